"""Every read of migration health, scoped to the user first.

Two kinds of reader: health staff read assessments and their findings (`assessments_for`); everyone else
reads only the clearance (`clearance_for`, `clearances_for`): cleared / on medical hold / in progress, the
expiry date and the help needed on the way. `clearances_of` and `fit_to_fly_checks_of` are the facts the
booking rules check, whoever books (a rule must not pass because the booker cannot see a record).

`travel_needs_of` is the third kind: the help a traveller needs on the way (escort, oxygen, wheelchair,
stretcher), with no status and no finding. Movement staff must know it to book seats and meet the traveller
at the airport, also for travellers of another office on a flight their office runs; the caller reaches the
travellers through a record the user sees (a booking, a case member) and asks for those people only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from liman.core.access import has_role
from liman.core.choices import Role

from .choices import MEDIF_NEEDS, ClearanceStatus
from .models import FitToFlyCheck, HealthAssessment, MedicalClearance, fit_to_fly_hours, travel_need_labels

NOT_ASSESSED = _("Not assessed")


@dataclass(frozen=True)
class Clearance:
    """What a non-health reader may know of a person's health: no findings, ever."""

    status: str | None
    valid_until: datetime.date | None = None
    travel_needs: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return str(ClearanceStatus(self.status).label) if self.status else str(NOT_ASSESSED)

    @property
    def is_cleared(self) -> bool:
        return self.status == ClearanceStatus.CLEARED

    @property
    def is_on_hold(self) -> bool:
        return self.status == ClearanceStatus.MEDICAL_HOLD

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.is_cleared and self.valid_until is not None and self.valid_until >= day

    @property
    def travel_need_labels(self) -> list[str]:
        return travel_need_labels(self.travel_needs)

    @property
    def needs_medif(self) -> bool:
        return bool(MEDIF_NEEDS & set(self.travel_needs))


NO_CLEARANCE = Clearance(status=None)


def _clearance(row: MedicalClearance | None) -> Clearance:
    if row is None:
        return NO_CLEARANCE
    return Clearance(status=row.status, valid_until=row.valid_until, travel_needs=tuple(row.travel_needs))


def can_read_findings(user) -> bool:
    """Only health roles read medical findings (see ROLE_TIERS)."""
    return has_role(user, Role.HEALTH)


def clearance_for(user, person) -> Clearance:
    """The clearance of one person the user may see (not assessed when there is none or it is out of scope)."""
    return clearances_for(user, [person]).get(getattr(person, "pk", person), NO_CLEARANCE)


def clearances_for(user, people: Iterable) -> dict[int, Clearance]:
    """Clearances of many people in one query, keyed by person id; people without one are left out."""
    ids = [getattr(person, "pk", person) for person in people]
    rows = MedicalClearance.objects.visible_to(user).filter(person_id__in=ids)
    return {row.person_id: _clearance(row) for row in rows}


def people_on_medical_hold() -> QuerySet:
    """The ids of people whose clearance is a medical hold, as a subquery: the status the booking rules check
    (whoever books), never a finding."""
    return MedicalClearance.objects.filter(status=ClearanceStatus.MEDICAL_HOLD).values("person_id")


def clearances_of(person_ids: Iterable[int]) -> dict[int, Clearance]:
    """The facts the booking rules check, whoever books: one query, keyed by person id."""
    rows = MedicalClearance.objects.filter(person_id__in=list(person_ids))
    return {row.person_id: _clearance(row) for row in rows}


@dataclass(frozen=True)
class TravelNeeds:
    """The help one traveller needs during travel: operational, for the airline and the airport team; never
    why (the findings behind it stay in the assessment)."""

    needs: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.needs)

    def __iter__(self):
        return iter(self.needs)

    @property
    def labels(self) -> list[str]:
        return travel_need_labels(self.needs)

    @property
    def needs_medif(self) -> bool:
        return bool(MEDIF_NEEDS & set(self.needs))


NO_TRAVEL_NEEDS = TravelNeeds()


def travel_needs_of(person_ids: Iterable[int]) -> dict[int, TravelNeeds]:
    """The needs during travel of the people the caller found in the user's scope, in one query, keyed by
    person id (people without any are left out). Only the needs are read: no status, no date, no finding."""
    rows = MedicalClearance.objects.filter(person_id__in=list(person_ids)).values_list("person_id", "travel_needs")
    return {person_id: TravelNeeds(tuple(needs)) for person_id, needs in rows if needs}


def fit_to_fly_window(departure_at: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """A fit-to-fly check counts when done within the hours before departure (72 h; a setting)."""
    return departure_at - datetime.timedelta(hours=fit_to_fly_hours()), departure_at


def fit_to_fly_checks_of(person_ids: Iterable[int], departure_at: datetime.datetime) -> dict[int, FitToFlyCheck]:
    """Each person's latest check in the window before `departure_at`, keyed by person id."""
    start, end = fit_to_fly_window(departure_at)
    latest: dict[int, FitToFlyCheck] = {}
    checks = FitToFlyCheck.objects.filter(
        person_id__in=list(person_ids), checked_at__gte=start, checked_at__lte=end
    ).order_by("person_id", "-checked_at", "-id")
    for check in checks:
        latest.setdefault(check.person_id, check)
    return latest


#: People a name search on the assessment list may match (the people search's best, at most).
NAME_MATCHES = 200


def assessments_for(user, *, status: str = "", query: str = "") -> QuerySet[HealthAssessment]:
    """Assessments the user may read (health roles only: others get none)."""
    assessments = HealthAssessment.objects.visible_to(user).select_related("person", "office")
    if status:
        assessments = assessments.filter(status=status)
    if query:
        # A full name ("Said Al-Hassan") is found as the people search finds it: across its parts, transliterations
        # and typos (the registry's name keys); a single word still matches part of a first or family name.
        from liman.registry.search import person_search

        named = [match.person.pk for match in person_search(user, text=query, limit=NAME_MATCHES)]
        assessments = assessments.filter(
            Q(reference__iexact=query)
            | Q(person__reference__iexact=query)
            | Q(person__family_name__icontains=query)
            | Q(person__first_name__icontains=query)
            | Q(person__in=named)
        )
    return assessments


def assessments_of_person(user, person) -> QuerySet[HealthAssessment]:
    return assessments_for(user).filter(person=person)


def fit_to_fly_checks_for(user, person) -> QuerySet[FitToFlyCheck]:
    return FitToFlyCheck.objects.visible_to(user).filter(person=person).select_related("checked_by")
