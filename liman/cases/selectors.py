"""Every read the case pages and API show, scoped to the user first."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from liman.core.access import get_visible_or_404, has_role
from liman.core.choices import Role
from liman.core.models import Office, RoleGrant, User
from liman.core.workflows import history
from liman.registry.models import Person

from .choices import CaseType
from .models import (
    CASE_ROLES,
    Case,
    FollowUp,
    PartnerOrganisation,
    PlannedService,
    Referral,
    ServicePlan,
)
from .permissions import is_partner_only, may_open_case, may_supervise, may_work_on  # noqa: F401


def cases_for(
    user: User,
    *,
    type: str = "",
    state: str = "",
    owner: str = "",
    office: str = "",
    query: str = "",
    open_only: bool = False,
) -> QuerySet[Case]:
    """Cases the user sees, newest first, with what the list shows (person, office, owner, follow-ups due)."""
    today = timezone.localdate()
    cases = (
        Case.objects.visible_to(user)
        .select_related("person", "office", "owner", "programme")
        .annotate(
            pending_follow_ups=Count(
                "follow_ups", filter=Q(follow_ups__done_on__isnull=True, follow_ups__cancelled_on__isnull=True)
            ),
            overdue_follow_ups=Count(
                "follow_ups",
                filter=Q(
                    follow_ups__done_on__isnull=True,
                    follow_ups__cancelled_on__isnull=True,
                    follow_ups__due_on__lt=today,
                ),
            ),
        )
    )
    if type:
        cases = cases.filter(type=type)
    if state:
        cases = cases.filter(state=state)
    if owner == "me":
        cases = cases.filter(owner=user)
    elif owner == "none":
        cases = cases.filter(owner__isnull=True)
    elif owner:
        cases = cases.filter(owner__username=owner)
    if office:
        cases = cases.filter(office__code=office.upper())
    if query:
        cases = cases.filter(
            Q(reference__icontains=query)
            | Q(person__reference__icontains=query)
            | Q(person__family_name__icontains=query)
            | Q(person__first_name__icontains=query)
        )
    if open_only:
        cases = cases.open()
    return cases.order_by("-opened_on", "-id")


def case_for(user: User, reference: str) -> Case:
    """One case the user sees, else 404."""
    queryset = Case.objects.select_related("person", "office", "owner", "programme", "parent", "opened_by")
    return get_visible_or_404(queryset, user, reference=reference)


@dataclass
class NextStep:
    """A step the case could take from here, and what stops it now."""

    target: str
    label: str
    state_label: str
    blockers: list[str]
    needs_reason: bool
    is_closure: bool

    @property
    def is_ready(self) -> bool:
        return not self.blockers


def next_steps(user: User, case: Case) -> list[NextStep]:
    workflow = case.workflow
    steps = []
    for target, state_label, blockers in workflow.next_steps(case, user=user):
        step = workflow.find(case, target)
        steps.append(
            NextStep(
                target=target,
                label=str(step.label or state_label),
                state_label=str(state_label),
                blockers=blockers,
                needs_reason=step.needs_reason,
                is_closure=target == "closed",
            )
        )
    return steps


def case_page(user: User, case: Case) -> dict:
    """Everything the case page shows, each list one query whatever its length."""
    plan = (
        ServicePlan.objects.filter(case=case)
        .select_related("approved_by")
        .prefetch_related(Prefetch("services", queryset=PlannedService.objects.order_by("target_on", "id")))
        .first()
    )
    referrals = (
        case.referrals.select_related("to_office", "to_programme", "to_partner", "sent_by", "responded_by")
        .select_related("resulting_case")
        .order_by("-sent_at")
    )
    return {
        "case": case,
        "person": case.person,
        "notes": case.notes.select_related("written_by").order_by("-occurred_on", "-id"),
        "assessments": case.assessments.select_related("assessed_by").order_by("-assessed_on", "-id"),
        "plan": plan,
        "deliveries": case.deliveries.select_related("planned", "delivered_by").order_by("-delivered_on", "-id"),
        "follow_ups": case.follow_ups.select_related("assigned_to").order_by("due_on", "id"),
        "referrals": referrals,
        "history": history_of(case),
        "assignments": case.assignments.select_related("owner", "previous_owner", "assigned_by"),
        "follow_on_cases": Case.objects.visible_to(user).filter(parent=case).select_related("office"),
        "person_visible": Person.objects.visible_to(user).filter(pk=case.person_id).exists(),
        "steps": next_steps(user, case) if not _is_read_only(user, case) else [],
        "can_work": may_work_on(user, case),
        "can_supervise": may_supervise(user, case),
        "owners": assignable_owners(user, case),
    }


def referral_destinations() -> tuple[QuerySet, QuerySet]:
    """Where a case may be referred or transferred: the active partner organisations and offices."""
    return PartnerOrganisation.objects.filter(is_active=True), Office.objects.filter(is_active=True).order_by("code")


def history_of(case: Case) -> list:
    """The steps the case took, oldest first, each with its states in words."""
    states = case.workflow.states
    rows = list(history(case))
    for change in rows:
        change.from_label = str(states(change.from_state).label) if change.from_state in states.values else ""
        change.to_label = str(states(change.to_state).label) if change.to_state in states.values else change.to_state
    return rows


def _is_read_only(user: User, case: Case) -> bool:
    return not has_role(user, CASE_ROLES, office=case.office_id)


def assignable_owners(user: User, case: Case) -> list[User]:
    """Who the user may give the case to: for a supervisor, the caseworkers and supervisors of the case's office
    whose grant covers its programme; for a caseworker, themselves when the case has no owner."""
    if may_supervise(user, case):
        grants = RoleGrant.objects.current().filter(
            Q(office_id=case.office_id) | Q(office__isnull=True),
            Q(programme__isnull=True) | Q(programme_id=case.programme_id),
            role__in=CASE_ROLES,
        )
        return list(
            User.objects.visible_to(user).filter(pk__in=grants.values("user"), is_active=True).order_by("username")
        )
    if case.owner_id is None and may_work_on(user, case):
        return [user]
    return []


def follow_ups_for(
    user: User, *, team: bool = False, overdue_only: bool = False, query: str = ""
) -> QuerySet[FollowUp]:
    """Follow-ups still due: the user's own, or (for a supervisor) those of every case in their offices; `query`
    finds a case reference, a person's name or a word of the purpose."""
    follow_ups = (
        FollowUp.objects.visible_to(user)
        .pending()
        .select_related("case", "case__person", "case__office", "assigned_to")
    )
    if team:
        offices = [grant.office_id for grant in user.grants if grant.role == Role.SUPERVISOR]
        if not user.is_superuser:
            if None not in offices:
                follow_ups = follow_ups.filter(case__office__in=offices)
            if not offices:
                follow_ups = follow_ups.none()
    else:
        follow_ups = follow_ups.filter(assigned_to=user)
    if overdue_only:
        follow_ups = follow_ups.filter(due_on__lt=timezone.localdate())
    if query:
        follow_ups = follow_ups.filter(
            Q(case__reference__icontains=query)
            | Q(case__person__family_name__icontains=query)
            | Q(case__person__first_name__icontains=query)
            | Q(purpose__icontains=query)
        )
    return follow_ups.order_by("due_on", "id")


def is_supervisor(user: User) -> bool:
    return has_role(user, Role.SUPERVISOR)


def _referrals_filtered(referrals, *, status: str, service: str, query: str) -> QuerySet[Referral]:
    if status:
        referrals = referrals.filter(status=status)
    if service:
        referrals = referrals.filter(service_type=service)
    if query:
        referrals = referrals.filter(reference__icontains=query)
    return referrals.order_by("-sent_at", "-id")


def referrals_received(user: User, *, status: str = "", service: str = "", query: str = "") -> QuerySet[Referral]:
    referrals = Referral.objects.received_by(user).select_related(
        "office", "to_office", "to_programme", "to_partner", "sent_by", "case__programme"
    )
    return _referrals_filtered(referrals, status=status, service=service, query=query)


def referrals_sent(user: User, *, status: str = "", service: str = "", query: str = "") -> QuerySet[Referral]:
    referrals = Referral.objects.sent_by_side_of(user).select_related(
        "office", "to_office", "to_programme", "to_partner", "sent_by", "case"
    )
    return _referrals_filtered(referrals, status=status, service=service, query=query)


def referrals_for(user: User) -> QuerySet[Referral]:
    return (
        Referral.objects.visible_to(user)
        .select_related("office", "to_office", "to_programme", "to_partner", "sent_by", "responded_by", "case")
        .select_related("resulting_case", "case__programme")
        .order_by("-sent_at", "-id")
    )


def referral_for(user: User, reference: str) -> Referral:
    return get_visible_or_404(referrals_for(user), user, reference=reference)


def sees_referral_as_staff(user: User, referral: Referral) -> bool:
    """Mission staff (sending or receiving office) see the whole referral; partner users only what was shared."""
    if user.is_superuser:
        return True
    return Referral.objects.sent_by_side_of(user).filter(pk=referral.pk).exists() or (
        referral.to_office_id is not None and Referral.objects.received_by(user).filter(pk=referral.pk).exists()
    )


def may_answer(user: User, referral: Referral) -> bool:
    return referral.status == "pending" and Referral.objects.received_by(user).filter(pk=referral.pk).exists()


def referral_delivery(referral: Referral):
    """The report that the referral's service was delivered (who, when, the note), or None."""
    if referral.status != "delivered":
        return None
    return history(referral).filter(to_state="delivered").order_by("-at").first()


def may_report_delivery(user: User, referral: Referral) -> bool:
    """The receiver of an accepted referral may report its service delivered."""
    return referral.status == "accepted" and Referral.objects.received_by(user).filter(pk=referral.pk).exists()


def person_cases(user: User, person) -> QuerySet[Case]:
    return Case.objects.visible_to(user).filter(person=person).select_related("office", "owner").order_by("-opened_on")


def ctdc_cases(user: User | None) -> QuerySet[Case]:
    """Counter-trafficking cases of identified victims, for the CTDC export (every office when no user is given:
    the command line runs as the system)."""
    cases = Case.objects.all() if user is None else Case.objects.visible_to(user)
    return (
        cases.filter(type=CaseType.COUNTER_TRAFFICKING, victim_status="identified")
        .select_related("person")
        .order_by("pk")
    )


# --- partner organisations ----------------------------------------------------------------------------------


def partner_organisations() -> QuerySet[PartnerOrganisation]:
    """The directory every office shares (see `PartnerOrganisation.unscoped_because`)."""
    return PartnerOrganisation.objects.order_by("name")


def partner_members_for(user: User, organisation: PartnerOrganisation) -> QuerySet[User]:
    """The organisation's partner users that `user` sees as staff; members in other offices are not shown."""
    return organisation.members.filter(pk__in=User.objects.visible_to(user).values("pk")).order_by("username")


def partner_member_candidates(user: User, organisation: PartnerOrganisation) -> QuerySet[User]:
    """Active users holding the partner role in an office `user` sees, not yet members of the organisation."""
    partners = RoleGrant.objects.current().filter(role=Role.PARTNER).values("user")
    return (
        User.objects.visible_to(user)
        .filter(is_active=True, pk__in=partners)
        .exclude(pk__in=organisation.members.values("pk"))
        .order_by("username")
    )
