"""The person page's section: how to reach the person (language, channel, their consent for contact as the registry
holds it, opt-out) and the latest messages to them the viewer reads, with links to change it and to send a
message."""

from __future__ import annotations

from liman.core.messages import message_kinds
from liman.core.text import masked

from . import permissions, selectors, services


def person_contact_context(user, person) -> dict | None:
    preference = selectors.person_preference(user, person)
    consent = selectors.person_contact_consent(user, person)
    recent = selectors.person_messages(user, person)
    may_edit = services.may_edit_contact(user, person)
    may_send = may_edit and any(
        kind.manual and permissions.may_send(user, kind, person.office_id) for kind in message_kinds()
    )
    if preference is None and consent is None and not recent and not may_edit:
        return None
    ready, why = services.contactable(person)
    return {
        "person": person,
        "preference": preference,
        "consent": consent,
        "messages": recent,
        "may_edit": may_edit,
        "may_send": may_send and ready,
        "ready": ready,
        "why": why,
        "phone_masked": masked(person.phone),
    }
