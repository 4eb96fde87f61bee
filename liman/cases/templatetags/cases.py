"""Template filters for what a referral shares about a person: labels and values in the reader's language."""

from django import template

from liman.registry.choices import Sex

from ..choices import SharedField

register = template.Library()


@register.filter
def shared_label(key: str) -> str:
    return str(SharedField(key).label) if key in SharedField.values else key


@register.filter
def shared_value(value, key: str) -> str:
    if value in (None, "", []):
        return "—"
    if key == SharedField.SEX and value in Sex.values:
        return str(Sex(value).label)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
