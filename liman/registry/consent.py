"""The one consent check: whether a person's current consent (or other legal basis) covers a purpose, and which of
their consents were withdrawn (the banner on the pages that rely on them)."""

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


def consent_for(person, purpose: str, *, on: datetime.date | None = None):
    """The person's most recent consent (or other legal basis) for `purpose` in force on `on` (today), or None."""
    from .models import Consent

    on = on or timezone.localdate()
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
    consents = Consent.objects.filter(person=person, given_on__lte=on)
    if purposes is not None:
        consents = consents.filter(purpose__in=list(purposes))
    for consent in consents.order_by("given_on", "id"):
        latest[consent.purpose] = consent
    return [
        {"purpose": consent.get_purpose_display(), "on": consent.withdrawn_on, "stops": STOPS.get(purpose, "")}
        for purpose, consent in latest.items()
        if consent.withdrawn_on is not None and consent.withdrawn_on <= on
    ]
