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
