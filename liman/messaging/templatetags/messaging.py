"""`{% message_audience_link "distribution_day" plan %}`: the link to send a kind of message to the list a record
offers (a distribution's households), shown only to those who may send it in the record's office."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from liman.core.messages import message_kind

from ..permissions import may_send

register = template.Library()


@register.simple_tag(takes_context=True)
def message_audience_link(context, kind_key: str, record) -> str:
    kind = message_kind(kind_key)
    request = context.get("request")
    if kind is None or kind.audience is None or request is None:
        return ""
    if not may_send(request.user, kind, getattr(record, "office_id", None)):
        return ""
    url = reverse(f"messaging:message-audience-{kind.key}", kwargs={"pk": record.pk})
    return format_html('<a class="button" href="{}">{}</a>', url, kind.audience.button)
