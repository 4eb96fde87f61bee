"""Every read of messaging that a page shows, scoped to the user first: a message is seen by those who read its
person (office and tier) and hold a role that reads the outbox."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from liman.core.access import get_visible_or_404
from liman.core.models import User

from .models import ContactPreference, Message


def messages_for(user: User, *, state: str = "", kind: str = "", q: str = "") -> QuerySet[Message]:
    rows = Message.objects.visible_to(user).select_related("person", "person__office")
    if state == "sending":
        rows = rows.filter(state="queued").exclude(claim_token="")
    elif state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    if q:
        rows = rows.filter(person__reference__iexact=q.strip())
    return rows.order_by("-queued_at", "-id")


def message_counts(user: User) -> dict[str, int]:
    """Messages by state, of those the user reads."""
    rows = Message.objects.visible_to(user).values_list("state").annotate(n=Count("id"))
    return dict(rows.values_list("state", "n"))


def message_get(user: User, pk: int) -> Message:
    rows = Message.objects.select_related("person", "person__office", "queued_by")
    return get_visible_or_404(rows, user, pk=pk)


def person_messages(user: User, person, *, limit: int = 10) -> list[Message]:
    return list(Message.objects.visible_to(user).filter(person=person).order_by("-queued_at", "-id")[:limit])


def person_preference(user: User, person) -> ContactPreference | None:
    rows = ContactPreference.objects.visible_to(user).select_related("opt_out_by")
    return rows.filter(person=person).first()


def person_contact_consent(user: User, person):
    """The person's consent for contact in force today (the registry's, `registry.consent`), as the user may read
    it: None when there is none, or when it is outside the user's scope."""
    from liman.registry.choices import ConsentPurpose
    from liman.registry.consent import consent_for
    from liman.registry.models import Consent

    current = consent_for(person, ConsentPurpose.CONTACT)
    if current is None:
        return None
    return Consent.objects.visible_to(user).select_related("taken_by").filter(pk=current.pk).first()
