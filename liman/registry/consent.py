"""The one consent check: whether a person's current consent (or other legal basis) covers a purpose, and which of
their consents were withdrawn (the banner on the pages that rely on them).

A page that asks several of these of one person (the person page: the banner, the contact section, the messages'
readiness) loads the person's consents once (`prefetch_related_objects([person], "consents")`); each check then
answers from them, by the same rules, instead of reading the table again."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ConsentPurpose

#: What stops when the consent for each purpose is withdrawn (the banner says it).
STOPS = {
    ConsentPurpose.REGISTRATION: _("case management on the basis of consent"),
    ConsentPurpose.REFERRAL: _("referrals to other services of the mission"),
    ConsentPurpose.SHARING_PARTNER: _("referrals to and sharing with partner organisations"),
    ConsentPurpose.SHARING_PAYMENT_PROVIDER: _("sharing with a payment provider"),
    ConsentPurpose.RESETTLEMENT: _("resettlement processing"),
    ConsentPurpose.RESEARCH: _("use in research and statistics"),
    ConsentPurpose.CONTACT: _("messages and calls from the mission"),
    ConsentPurpose.ACTIVITIES: _("participation records of trainings and livelihoods activities"),
}


def _loaded(person) -> list | None:
    """The person's consents, if the caller loaded them with the person (else None: read them)."""
    return getattr(person, "_prefetched_objects_cache", {}).get("consents")


def _in_force(consent, on: datetime.date) -> bool:
    return consent.given_on <= on and (consent.withdrawn_on is None or consent.withdrawn_on > on)


def consent_for(person, purpose: str, *, on: datetime.date | None = None):
    """The person's most recent consent (or other legal basis) for `purpose` in force on `on` (today), or None."""
    from .models import Consent

    on = on or timezone.localdate()
    loaded = _loaded(person)
    if loaded is not None:
        current = [consent for consent in loaded if consent.purpose == purpose and _in_force(consent, on)]
        return max(current, key=lambda consent: (consent.given_on, consent.id), default=None)
    person_id = getattr(person, "pk", person)
    return (
        Consent.objects.filter(person_id=person_id, purpose=purpose, given_on__lte=on)
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on))
        .order_by("-given_on", "-id")
        .first()
    )


def consented_among(person_ids: Iterable[int] | QuerySet, purpose: str, *, on: datetime.date | None = None) -> set[int]:
    """Of `person_ids`, those whose consent (or other legal basis) for `purpose` is in force on `on` (today):
    `consent_for` for a list of people at once (a message to a hundred thousand households), 500 a query. A
    queryset of person ids (`.values("head_id")`) is read as a subquery, in one query however many it names: the
    heads of a payment list of 100,000 households are not sent to the database as 100,000 keys."""
    from .models import Consent

    on = on or timezone.localdate()
    if (
        isinstance(person_ids, list | tuple)
        and person_ids
        and all(_loaded(person) is not None for person in person_ids)
    ):
        return {
            person.pk
            for person in person_ids
            if any(consent.purpose == purpose and _in_force(consent, on) for consent in _loaded(person))
        }
    in_force = (
        Consent.objects.filter(purpose=purpose, given_on__lte=on)
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on))
        .order_by()
        .values_list("person_id", flat=True)
    )
    if isinstance(person_ids, QuerySet):
        return set(in_force.filter(person_id__in=person_ids))
    ids = sorted({getattr(person, "pk", person) for person in person_ids})
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found |= set(in_force.filter(person_id__in=ids[start : start + 500]))
    return found


def withdrawn(person, *, purposes: Iterable[str] | None = None, on: datetime.date | None = None) -> list[dict]:
    """Purposes whose consent the person withdrew and did not give again: what each stops (one query). A page that
    relies on some purposes only (a referral, a message) names them in `purposes`."""
    from .models import Consent

    on = on or timezone.localdate()
    latest: dict[str, object] = {}
    loaded = _loaded(person)
    if loaded is not None:
        wanted = None if purposes is None else set(purposes)
        consents = sorted(
            (c for c in loaded if c.given_on <= on and (wanted is None or c.purpose in wanted)),
            key=lambda consent: (consent.given_on, consent.id),
        )
    else:
        consents = Consent.objects.filter(person=person, given_on__lte=on)
        if purposes is not None:
            consents = consents.filter(purpose__in=list(purposes))
        consents = consents.order_by("given_on", "id")
    for consent in consents:
        latest[consent.purpose] = consent
    return [
        {"purpose": consent.get_purpose_display(), "on": consent.withdrawn_on, "stops": STOPS.get(purpose, "")}
        for purpose, consent in latest.items()
        if consent.withdrawn_on is not None and consent.withdrawn_on <= on
    ]
