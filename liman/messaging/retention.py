"""How long messages keep their text and number (core.retention)."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from liman.core import retention
from liman.core.retention import Kind, Purge

from .models import Message


def messages_due(cutoff: date):
    return Message.objects.filter(queued_at__date__lt=cutoff)


def messages_anonymise(messages, work: Purge) -> None:
    work.blank(messages, "body", "phone", "error")


def messages_of_people(people, work: Purge) -> None:
    messages_anonymise(Message.objects.filter(person__in=people), work)


retention.register(
    Kind(
        "messaging.message",
        _("Messages sent to people"),
        _("the message was queued"),
        ("messaging.message", "messaging.contactpreference"),
        due=messages_due,
        anonymise=messages_anonymise,
        delete=lambda messages, work: work.delete(messages),
        default_days=365,
        keeps=_("kind, channel, language, state and dates; the text, the number and the provider's error go"),
    )
)
retention.register_part("registry.person", ("messaging.message",), messages_of_people)
retention.declare_no_personal_data(
    _("message wordings, keyed hashes of opted-out numbers and the gateway's receipts (no number, no text)"),
    "messaging.messagetemplate",
    "messaging.phoneoptout",
    "messaging.inboundreceipt",
)
