"""Every read of grants, scoped to the user first."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from liman.core.access import get_visible_or_404, has_role
from liman.core.models import User

from .models import GrantApplication, GrantCall, Score, Tranche
from .permissions import GRANT_READ_ROLES


def _reader(user: User) -> None:
    if not has_role(user, GRANT_READ_ROLES):
        raise Http404


def calls_for(user: User) -> QuerySet[GrantCall]:
    if not has_role(user, GRANT_READ_ROLES):
        return GrantCall.objects.none()
    return (
        GrantCall.objects.visible_to(user)
        .select_related("office")
        .annotate(application_count=Count("applications"))
        .order_by("-opens_on", "-id")
    )


def call_get(user: User, reference: str) -> GrantCall:
    _reader(user)
    return get_visible_or_404(GrantCall.objects.select_related("office"), user, reference=reference)


def applications_for(user: User, *, call: GrantCall | None = None, state: str = "") -> QuerySet[GrantApplication]:
    if not has_role(user, GRANT_READ_ROLES):
        return GrantApplication.objects.none()
    rows = GrantApplication.objects.visible_to(user).select_related("call", "office", "owner")
    if call is not None:
        rows = rows.filter(call=call)
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-submitted_on", "-id")


def application_get(user: User, reference: str) -> GrantApplication:
    _reader(user)
    rows = GrantApplication.objects.select_related("call__office", "office", "owner", "prepared_by", "decided_by")
    return get_visible_or_404(rows, user, reference=reference)


def score_sheet(application: GrantApplication) -> tuple[list, list[tuple]]:
    """(criteria, rows): one row per member who scored, with their score of each criterion."""
    criteria = list(application.call.criteria.all())
    by_member: dict = {}
    for score in Score.objects.filter(application=application).select_related("member"):
        by_member.setdefault(score.member, {})[score.criterion_id] = score.value
    rows = [(member, [values.get(c.pk) for c in criteria]) for member, values in by_member.items()]
    return criteria, sorted(rows, key=lambda row: row[0].username)


def agreements_for(user: User) -> QuerySet:
    from .models import GrantAgreement

    if not has_role(user, GRANT_READ_ROLES):
        return GrantAgreement.objects.none()
    return (
        GrantAgreement.objects.visible_to(user)
        .select_related("application__office", "application__call")
        .order_by("-signed_on", "-id")
    )


def tranche_get(user: User, pk: int) -> Tranche:
    _reader(user)
    return get_visible_or_404(Tranche.objects.select_related("agreement__application__office"), user, pk=pk)


def person_grants(user: User, person) -> QuerySet[GrantApplication]:
    if not has_role(user, GRANT_READ_ROLES):
        return GrantApplication.objects.none()
    return GrantApplication.objects.visible_to(user).filter(owner=person).select_related("call").order_by("-id")


def jobs_reported(user: User) -> dict:
    """Jobs created and retained at the latest visit of each grant the user reads."""
    from .models import MonitoringVisit

    visits = MonitoringVisit.objects.visible_to(user).order_by("agreement_id", "-visited_on", "-id")
    latest = {}
    for visit in visits.only("agreement_id", "jobs_created", "jobs_retained"):
        latest.setdefault(visit.agreement_id, visit)
    return {
        "grants": len(latest),
        "created": sum(v.jobs_created for v in latest.values()),
        "retained": sum(v.jobs_retained for v in latest.values()),
    }


def paid_total(user: User):
    return Tranche.objects.visible_to(user).filter(status="paid").aggregate(total=Sum("amount"))["total"] or 0


# --- employment ---------------------------------------------------------------------------------------------------


def employment_for(user: User) -> dict:
    """The office's employment work as the user reads it: job seekers (with the certificates they earned in
    activities), vacancies, referrals and placements with follow-ups due, work-permit applications."""
    from liman.activities.models import Participant

    from .models import JobSeeker, PlacementFollowUp, Referral, Vacancy, WorkPermitApplication

    if not has_role(user, GRANT_READ_ROLES):
        return {}
    seekers = list(JobSeeker.objects.visible_to(user).select_related("person", "office")[:200])
    certificates: dict[int, list[str]] = {}
    for person_id, title in (
        Participant.objects.visible_to(user)
        .filter(person_id__in=[s.person_id for s in seekers])
        .exclude(certificate_number="")
        .values_list("person_id", "activity__title")
    ):
        certificates.setdefault(person_id, []).append(title)
    for seeker in seekers:
        seeker.certificates = certificates.get(seeker.person_id, [])
    return {
        "seekers": seekers,
        "vacancies": list(Vacancy.objects.visible_to(user).select_related("employer")[:200]),
        "referrals": list(
            Referral.objects.visible_to(user).select_related("seeker__person", "vacancy__employer", "placement")[:200]
        ),
        "follow_ups": list(
            PlacementFollowUp.objects.visible_to(user)
            .filter(done_on__isnull=True)
            .select_related("placement__referral__seeker__person", "placement__referral__vacancy")
            .order_by("due_on")[:200]
        ),
        "permits": list(WorkPermitApplication.objects.visible_to(user).select_related("person", "employer")[:200]),
    }


def person_employment(user: User, person) -> dict:
    from .models import JobSeeker, Placement, WorkPermitApplication

    if not has_role(user, GRANT_READ_ROLES):
        return {}
    return {
        "seeker": JobSeeker.objects.visible_to(user).filter(person=person).first(),
        "placements": list(
            Placement.objects.visible_to(user).filter(referral__seeker__person=person)
            .select_related("referral__vacancy__employer").prefetch_related("follow_ups")
        ),
        "permits": list(
            WorkPermitApplication.objects.visible_to(user).filter(person=person).select_related("employer")
        ),
    }  # fmt: skip


# --- employment: lists and records of the pages ------------------------------------------------------------------


def _employment_rows(user: User, model) -> QuerySet:
    if not has_role(user, GRANT_READ_ROLES):
        return model.objects.none()
    return model.objects.visible_to(user)


def _text(rows: QuerySet, q: str, *fields: str) -> QuerySet:
    from django.db.models import Q

    if not q:
        return rows
    match = Q()
    for name in fields:
        match |= Q(**{f"{name}__icontains": q})
    return rows.filter(match)


def employers_for(user: User, *, q: str = "") -> QuerySet:
    from .models import Employer

    rows = _employment_rows(user, Employer).select_related("office", "province")
    return _text(rows, q, "name", "tax_number")


def employer_get(user: User, pk: int):
    from .models import Employer

    _reader(user)
    return get_visible_or_404(Employer.objects.select_related("office", "province"), user, pk=pk)


def seekers_for(user: User, *, q: str = "") -> QuerySet:
    from .models import JobSeeker

    rows = _employment_rows(user, JobSeeker).select_related("person", "office")
    return _text(rows, q, "person__first_name", "person__family_name", "skills", "languages")


def seeker_get(user: User, pk: int):
    from .models import JobSeeker

    _reader(user)
    return get_visible_or_404(JobSeeker.objects.select_related("person", "office"), user, pk=pk)


def seeker_certificates(user: User, person) -> list:
    """The activities the person completed (as the user reads them): what the profile offers an employer."""
    from liman.activities.models import Participant

    return list(
        Participant.objects.visible_to(user)
        .filter(person=person, completed=True)
        .select_related("activity")
        .order_by("-activity__ends_on", "-id")
    )


def vacancies_for(user: User, *, q: str = "", seasonal: bool = False) -> QuerySet:
    from .models import Vacancy

    rows = (
        _employment_rows(user, Vacancy).select_related("employer", "office").annotate(referral_count=Count("referrals"))
    )
    if seasonal:
        rows = rows.filter(seasonal_agriculture=True)
    return _text(rows, q, "title", "employer__name")


def vacancy_get(user: User, pk: int):
    from .models import Vacancy

    _reader(user)
    return get_visible_or_404(Vacancy.objects.select_related("employer__province", "office"), user, pk=pk)


def referrals_of(user: User, **lookup) -> list:
    from .models import Referral

    return list(
        _employment_rows(user, Referral)
        .filter(**lookup)
        .select_related("seeker__person", "vacancy__employer", "placement")
        .order_by("-referred_on", "-id")
    )


def referral_get(user: User, pk: int):
    from .models import Referral

    _reader(user)
    return get_visible_or_404(Referral.objects.select_related("seeker__person", "vacancy__employer"), user, pk=pk)


def placements_for(user: User, *, q: str = "") -> QuerySet:
    from .models import Placement

    rows = _employment_rows(user, Placement).select_related(
        "referral__seeker__person", "referral__vacancy__employer", "office"
    )
    return _text(rows, q, "referral__seeker__person__first_name", "referral__seeker__person__family_name",
                 "referral__vacancy__title", "referral__vacancy__employer__name")  # fmt: skip


def placement_get(user: User, pk: int):
    from .models import Placement

    _reader(user)
    rows = Placement.objects.select_related("referral__seeker__person", "referral__vacancy__employer", "office")
    return get_visible_or_404(rows, user, pk=pk)


def follow_ups_for(user: User, *, overdue: bool = False, open_only: bool = False, q: str = "") -> QuerySet:
    """Follow-ups of placements: `overdue` keeps those due before today and not done."""
    from django.utils import timezone

    from .models import PlacementFollowUp

    rows = _employment_rows(user, PlacementFollowUp).select_related(
        "placement__referral__seeker__person", "placement__referral__vacancy__employer", "office"
    )
    if overdue:
        rows = rows.filter(done_on__isnull=True, due_on__lt=timezone.localdate())
    elif open_only:
        rows = rows.filter(done_on__isnull=True)
    return _text(rows, q, "placement__referral__seeker__person__first_name",
                 "placement__referral__seeker__person__family_name", "placement__referral__vacancy__title")  # fmt: skip


def follow_up_get(user: User, pk: int):
    from .models import PlacementFollowUp

    _reader(user)
    return get_visible_or_404(PlacementFollowUp.objects.select_related("placement"), user, pk=pk)


def permits_for(user: User, *, state: str = "", kind: str = "", q: str = "") -> QuerySet:
    from .models import WorkPermitApplication

    rows = _employment_rows(user, WorkPermitApplication).select_related("person", "employer", "office")
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    return _text(rows, q, "person__first_name", "person__family_name", "employer__name", "decision_reference")


def permit_get(user: User, pk: int):
    from .models import WorkPermitApplication

    _reader(user)
    rows = WorkPermitApplication.objects.select_related(
        "person", "employer__province", "office", "placement__referral__vacancy"
    )
    return get_visible_or_404(rows, user, pk=pk)
