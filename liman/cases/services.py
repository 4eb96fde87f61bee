"""Every write of the case engine: in a transaction, validated, audited. State changes go through the workflow
(`liman.core.workflows.transition`) so each step checks its rules and leaves its history row."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from liman.core import audit
from liman.core.access import has_role
from liman.core.choices import AuditAction, Role, Sensitivity
from liman.core.models import Office, Programme, User
from liman.core.services import new_reference, record_create, record_update
from liman.core.sharing import guard as transfer_guard
from liman.core.workflows import TransitionRefused, record_state_change, state_set, transition
from liman.health.selectors import clearances_of
from liman.health.services import health_assessment_request
from liman.movements import selectors as movements_selectors
from liman.movements import services as movements
from liman.movements.choices import BookingStatus
from liman.movements.models import Booking, Flight, country_label
from liman.registry.choices import ConsentPurpose
from liman.registry.consent import consent_for
from liman.registry.models import HouseholdMember, Person

from . import ctdc
from .choices import (
    CaseType,
    ClosureReason,
    ReferralKind,
    ReferralStatus,
    ReturnState,
    SharedField,
    TraffickingState,
    VictimStatus,
)
from .models import (
    CASE_ROLES,
    Assessment,
    Case,
    CaseAssignment,
    CaseNote,
    FollowUp,
    PartnerOrganisation,
    PlannedService,
    Referral,
    ServiceDelivery,
    ServicePlan,
)
from .permissions import may_supervise, may_work_on
from .workflows import WORKFLOWS, current_consent, one_open_case_message, other_open_case

#: Facts a caseworker records on a case, by type (everything else changes through its own service).
FACTS = {
    CaseType.PROTECTION: (),
    CaseType.COUNTER_TRAFFICKING: (
        "identified_on",
        "exploitation_types",
        "means_of_control",
        "recruiter_relation",
        "country_of_exploitation",
        "trafficking_details",
    ),
    # The departure date is not typed in: it is the booked flight's (see `return_travel_book`).
    CaseType.AVRR: ("declaration_signed_on", "destination_country"),
}


# --- who may write ------------------------------------------------------------------------------------------


def _require_casework(by: User | None, case: Case) -> None:
    if by is not None and not may_work_on(by, case):
        raise PermissionDenied(_("Only caseworkers and supervisors of this case's office and programme can change it."))


def _require_open(case: Case) -> None:
    if case.is_closed:
        raise ValidationError(_("The case is “%(state)s”: re-open it first.") % {"state": case.state_label})


# --- cases --------------------------------------------------------------------------------------------------


def _history_opened(case: Case, by: User | None, reason: str) -> None:
    record_state_change(case, field="state", old="", new=case.state, by=by, reason=reason, workflow=case.workflow.name)


def _case_create(
    *,
    person: Person,
    type: str,
    office: Office,
    by: User | None,
    sensitivity: str = "",
    opened_on: datetime.date | None = None,
    parent: Case | None = None,
    reason: str = "",
) -> Case:
    if type not in CaseType.values:
        raise ValidationError({"type": _("Choose the type of case: protection, counter-trafficking or AVRR.")})
    # One open case per person for the types that declare it; the person's row is locked so that two
    # caseworkers opening at once do not both pass.
    Person.objects.select_for_update().filter(pk=person.pk).first()
    other = other_open_case(type, person.pk)
    if other is not None:
        raise ValidationError({"type": one_open_case_message(other)})
    if type == CaseType.COUNTER_TRAFFICKING:
        sensitivity = Sensitivity.PROTECTION
    elif not sensitivity:
        sensitivity = Sensitivity.PROTECTION if type == CaseType.PROTECTION else Sensitivity.NORMAL
    case = Case(
        reference=new_reference(f"{office.code}-C", Case),
        type=type,
        person=person,
        office=office,
        programme=Programme.objects.get(code=type),
        sensitivity=sensitivity,
        state=WORKFLOWS[type].initial,
        opened_on=opened_on or timezone.localdate(),
        opened_by=by,
        parent=parent,
        victim_status=VictimStatus.POTENTIAL if type == CaseType.COUNTER_TRAFFICKING else "",
    )
    record_create(case, by=by, reason=reason)
    _history_opened(case, by, reason)
    # Whoever opens a case owns it when their role lets them work on it.
    if by is not None and may_work_on(by, case):
        _assign(case, owner=by, by=by, reason=_("Opened the case"))
    return case


def case_open(
    *,
    person: Person,
    type: str,
    by: User | None,
    sensitivity: str = "",
    opened_on: datetime.date | None = None,
    reason: str = "",
) -> Case:
    """Open a case for a person in the person's office; the opener must be able to work on it."""
    with transaction.atomic():
        case = _case_create(
            person=person, type=type, office=person.office, by=by, sensitivity=sensitivity, opened_on=opened_on,
            reason=reason,
        )  # fmt: skip
        if by is not None and not may_work_on(by, case):
            raise ValidationError(
                {
                    "type": _("Your role does not cover %(type)s cases in %(office)s.")
                    % {"type": CaseType(type).label, "office": person.office.name}
                }
            )
    return case


def _assign(case: Case, *, owner: User | None, by: User | None, reason: str) -> Case:
    previous = case.owner
    record_update(case, by=by, changes={"owner": owner}, reason=reason)
    record_create(
        CaseAssignment(case=case, owner=owner, previous_owner=previous, assigned_by=by, reason=reason[:300]), by=by
    )
    # Follow-ups due go with the case to its new caseworker.
    for follow_up in case.follow_ups.pending().filter(assigned_to=previous) if previous else ():
        record_update(follow_up, by=by, changes={"assigned_to": owner}, reason=reason)
    return case


def case_assign(*, case: Case, owner: User | None, by: User | None, reason: str = "") -> Case:
    """Give the case to a caseworker. Supervisors assign and re-assign; a caseworker may take an unassigned case."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _require_casework(by, case)
        if by is not None and not may_supervise(by, case):
            if case.owner_id is not None or owner != by:
                raise PermissionDenied(
                    _("Only a supervisor can assign or re-assign a case; you may take an unassigned one.")
                )
        if owner is not None and not may_work_on(owner, case):
            raise ValidationError(
                {
                    "owner": _("%(name)s does not work on %(programme)s cases in %(office)s.")
                    % {"name": owner.display_name, "programme": case.programme, "office": case.office.name}
                }
            )
        if owner == case.owner:
            return case
        return _assign(case, owner=owner, by=by, reason=reason.strip() or _("Assigned"))


def case_transition(*, case: Case, to_state: str, by: User | None, reason: str = "", closure_reason: str = ""):
    """Take one workflow step, and what it sets off. Raises `TransitionRefused` with the caseworker's reasons."""
    reason = reason.strip()
    with transaction.atomic():
        _require_casework(by, case)
        if to_state == "closed":
            if closure_reason not in ClosureReason.values:
                raise TransitionRefused([_("Choose why the case is closed.")])
            label = str(ClosureReason(closure_reason).label)
            reason = f"{label}: {reason}" if reason else label
        was_closed = case.is_closed
        change = transition(case, to_state, by=by, reason=reason)
        _after_step(case, was_closed=was_closed, by=by, reason=reason, closure=closure_reason)
    return change


def _after_step(case: Case, *, was_closed: bool, by: User | None, reason: str, closure: str) -> None:
    today = timezone.localdate()
    changes: dict = {}
    if case.is_closed:
        changes = {"closed_on": today, "closure_reason": closure}
        for follow_up in case.follow_ups.pending():
            record_update(follow_up, by=by, changes={"cancelled_on": today}, reason=_("The case was closed"))
    elif was_closed:
        changes = {"closed_on": None, "closure_reason": ""}
    if case.type == CaseType.COUNTER_TRAFFICKING:
        if case.state == TraffickingState.IDENTIFIED:
            changes["victim_status"] = VictimStatus.IDENTIFIED
        elif case.state == TraffickingState.NOT_IDENTIFIED:
            changes["victim_status"] = VictimStatus.NOT_IDENTIFIED
    if case.type == CaseType.AVRR and case.state == ReturnState.STOPPED:
        changes["fear_of_return_stated_on"] = today
    if changes:
        record_update(case, by=by, changes=changes, reason=reason)
    if case.type == CaseType.AVRR and case.state == ReturnState.TRAVEL_DOCUMENTS:
        # Health staff assess the returnee while the documents are prepared: "fit to travel" waits for them.
        clearance = clearances_of([case.person_id]).get(case.person_id)
        if clearance is None or not (clearance.is_valid_on(today) or clearance.is_on_hold):
            health_assessment_request(person=case.person, by=by, office=case.office)
    if case.type == CaseType.AVRR and case.is_closed:
        # Withdrawn, stopped or closed before the flight: the seats go back (DOMAIN: withdrawal any time before
        # departure); seats already flown stay as they are.
        _return_seats_give_up(case, by=by, reason=f"{case.state_label}: {reason}" if reason else case.state_label)
    if case.type == CaseType.COUNTER_TRAFFICKING and case.state == TraffickingState.VOLUNTARY_RETURN:
        # DOMAIN: a victim's voluntary return opens an AVRR case; the consent was checked by the step's rule.
        _open_follow_on(case, CaseType.AVRR, by=by, reason=reason or _("Voluntary return of a victim of trafficking"))
    if case.type == CaseType.AVRR and case.state == ReturnState.STOPPED:
        # DOMAIN: a stated fear of return stops the case and refers it to protection (non-refoulement): this
        # referral does not wait for consent, the mission owes the person protection first.
        _open_follow_on(case, CaseType.PROTECTION, by=by, reason=reason or _("Stated fear of return"))


def _open_follow_on(case: Case, type: str, *, by: User | None, reason: str) -> Case:
    """A case the workflow opens by itself, with the accepted referral that links it to the case it came from."""
    sensitivity = Sensitivity.PROTECTION if case.sensitivity == Sensitivity.PROTECTION else ""
    new_case = _case_create(
        person=case.person, type=type, office=case.office, by=by, sensitivity=sensitivity, parent=case, reason=reason
    )
    purpose = ConsentPurpose.REFERRAL
    now = timezone.now()
    referral = record_create(
        Referral(
            reference=new_reference(f"{case.office.code}-R", Referral),
            kind=ReferralKind.REFERRAL,
            case=case,
            office=case.office,
            sensitivity=case.sensitivity,
            to_office=case.office,
            to_programme=new_case.programme,
            summary=reason,
            shared_fields=list(SharedField.values),
            shared_data=_person_snapshot(case.person, SharedField.values),
            consent=current_consent(case.person_id, purpose),
            status=ReferralStatus.ACCEPTED,
            sent_by=by,
            sent_at=now,
            responded_by=by,
            responded_at=now,
            response_reason=_("Opened at once by the workflow."),
            resulting_case=new_case,
        ),
        by=by,
    )
    record_state_change(referral, field="status", old="", new=referral.status, by=by, reason=reason)
    return new_case


def case_facts_update(*, case: Case, by: User | None, changes: dict, reason: str = "") -> Case:
    """Record the facts of a counter-trafficking or return case (identification, exploitation, travel dates)."""
    allowed = FACTS[case.type]
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError(
            _("These details do not belong to a %(type)s case: %(fields)s.")
            % {"type": case.get_type_display(), "fields": ", ".join(unknown)}
        )
    for name in ("country_of_exploitation", "destination_country"):
        if name in changes and changes[name]:
            changes[name] = str(changes[name]).strip().upper()
    with transaction.atomic():
        _require_casework(by, case)
        return record_update(case, by=by, changes=changes, reason=reason)


# --- AVRR travel, booked through movements -------------------------------------------------------------------

#: AVRR states in which travel is booked: once fit to travel, and while booked (a family member joins, a no-show
#: is booked again).
RETURN_BOOKING_STATES = (ReturnState.FIT_TO_TRAVEL, ReturnState.BOOKED)


def return_travel_book(
    *, case: Case, flight: Flight, travellers: list[movements.TravellerBooking], by: User | None
) -> list[Booking]:
    """Book the returnee, and the members of their household going back with them, on a flight through
    movements' one door (`bookings_create`: medical clearance, fit-to-fly, escorts and the airline medical form,
    one seat each). Refused with `BookingRefused` naming each traveller and what is missing; once the returnee
    holds a seat, the case records the departure date and moves to "booked"."""
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("office", "person").get(pk=case.pk)
        _require_casework(by, case)
        problems = _return_travel_problems(case, flight, travellers)
        if problems:
            raise movements.BookingRefused(problems)
        made = movements.bookings_create(
            flight=flight,
            travellers=travellers,
            by=by,
            office=case.office,
            programme=CaseType.AVRR,
            source_reference=case.reference,
            sensitivity=case.sensitivity,
        )
        if any(item.person.pk == case.person_id for item in travellers):
            record_update(case, by=by, changes={"departure_on": flight.departs_on}, reason=flight.reference)
        if case.state == ReturnState.FIT_TO_TRAVEL:
            case_transition(case=case, to_state=ReturnState.BOOKED, by=by, reason=flight.reference)
    return made


def _returnee_household(case: Case) -> set[int]:
    """The returnee and the members of their household (registry): who may travel on the return."""
    members = HouseholdMember.objects.filter(household__members__person_id=case.person_id)
    return {case.person_id, *members.values_list("person_id", flat=True)}


def _return_travel_problems(case: Case, flight: Flight, travellers: list[movements.TravellerBooking]) -> list[str]:
    """What the case engine checks before movements' own rules: the case, the country, who travels."""
    if case.type != CaseType.AVRR:
        return [_("Only a voluntary return (AVRR) case books travel here.")]
    if case.state not in RETURN_BOOKING_STATES:
        return [
            _("The case is “%(state)s”: travel is booked once the person is fit to travel.")
            % {"state": case.state_label}
        ]
    if not case.destination_country:
        return [_("Record the country the person returns to.")]
    problems = []
    if flight.destination_country != case.destination_country:
        problems.append(
            _("This flight goes to %(flight)s; the person returns to %(country)s.")
            % {"flight": flight.country_name, "country": country_label(case.destination_country)}
        )
    household = _returnee_household(case)
    strangers = [item.person.full_name for item in travellers if item.person.pk not in household]
    if strangers:
        problems.append(_("Not in the household of the person returning: %(names)s.") % {"names": ", ".join(strangers)})
    seats = {
        booking.person_id: booking
        for booking in movements_selectors.return_bookings_of(case.reference).select_related("flight")
    }
    for item in travellers:
        seat = seats.get(item.person.pk)
        if seat is not None:
            problems.append(
                _("%(name)s already holds a seat on %(flight)s for this return.")
                % {"name": item.person.full_name, "flight": seat.flight.reference}
            )
    if case.person_id not in seats and all(item.person.pk != case.person_id for item in travellers):
        problems.append(
            _("Book %(name)s, the person returning, with the family members who go back with them.")
            % {"name": case.person.full_name}
        )
    return problems


def return_travel_assessments_request(*, case: Case, people: Iterable[Person], by: User | None) -> list:
    """Ask health staff to assess the household members going back with the returnee (the returnee's own
    assessment was asked for at the travel documents step); an assessment in progress is reused."""
    with transaction.atomic():
        _require_casework(by, case)
        _require_open(case)
        household = _returnee_household(case)
        people = list(people)
        strangers = [person.full_name for person in people if person.pk not in household]
        if strangers:
            raise ValidationError(
                _("Not in the household of the person returning: %(names)s.") % {"names": ", ".join(strangers)}
            )
        return [health_assessment_request(person=person, by=by, office=case.office) for person in people]


def _return_seats_give_up(case: Case, *, by: User | None, reason: str) -> None:
    for booking in movements_selectors.return_bookings_of(case.reference).filter(status=BookingStatus.BOOKED):
        movements.booking_cancel(booking=booking, by=by, reason=reason[:300])


# --- notes, assessments, plan, services, follow-ups ----------------------------------------------------------


def case_note_add(
    *,
    case: Case,
    kind: str,
    text: str,
    by: User | None,
    occurred_on: datetime.date | None = None,
    about_others: bool = False,
) -> CaseNote:
    """A note on the case; `about_others` marks one that holds what others said or what is about others."""
    with transaction.atomic():
        _require_casework(by, case)
        note = CaseNote(case=case, kind=kind, text=text.strip(), written_by=by, about_others=about_others)
        if occurred_on:
            note.occurred_on = occurred_on
        return record_create(note, by=by)


def assessment_record(
    *,
    case: Case,
    kind: str,
    by: User | None,
    findings: str = "",
    risk_level: str = "",
    assessed_on: datetime.date | None = None,
) -> Assessment:
    with transaction.atomic():
        _require_casework(by, case)
        _require_open(case)
        assessment = Assessment(case=case, kind=kind, findings=findings.strip(), risk_level=risk_level, assessed_by=by)
        if assessed_on:
            assessment.assessed_on = assessed_on
        return record_create(assessment, by=by)


def _plan_of(case: Case, by: User | None) -> ServicePlan:
    plan = ServicePlan.objects.filter(case=case).first()
    if plan is None:
        plan = record_create(ServicePlan(case=case, created_by=by), by=by)
    return plan


def _unapprove(plan: ServicePlan, by: User | None) -> None:
    # A plan changed after approval needs a supervisor's approval again.
    if plan.is_approved:
        record_update(
            plan, by=by, changes={"approved_at": None, "approved_by": None}, reason=_("The plan changed after approval")
        )


def service_plan_write(*, case: Case, goals: str, by: User | None) -> ServicePlan:
    with transaction.atomic():
        _require_casework(by, case)
        _require_open(case)
        plan = _plan_of(case, by)
        if plan.goals != goals.strip():
            _unapprove(plan, by)
            record_update(plan, by=by, changes={"goals": goals.strip()})
        return plan


def planned_service_add(
    *,
    case: Case,
    service_type: str,
    by: User | None,
    description: str = "",
    provider: str = "",
    target_on: datetime.date | None = None,
) -> PlannedService:
    with transaction.atomic():
        _require_casework(by, case)
        _require_open(case)
        plan = _plan_of(case, by)
        _unapprove(plan, by)
        return record_create(
            PlannedService(
                plan=plan, service_type=service_type, description=description.strip(), provider=provider.strip(),
                target_on=target_on,
            ),
            by=by,
        )  # fmt: skip


def service_plan_authors(plan: ServicePlan) -> set[int]:
    """Who wrote the plan: its creator, and whoever wrote its goals or added one of its services (audit log)."""
    from liman.core.models import AuditEvent

    service_ids = [str(pk) for pk in plan.services.values_list("pk", flat=True)]
    writes = AuditEvent.objects.filter(
        Q(object_type="cases.serviceplan", object_id=str(plan.pk), changes__has_key="goals")
        | Q(object_type="cases.plannedservice", object_id__in=service_ids, action=AuditAction.CREATE)
    )
    authors = set(writes.exclude(actor=None).values_list("actor_id", flat=True))
    if plan.created_by_id is not None:
        authors.add(plan.created_by_id)
    return authors


def service_plan_approve(*, case: Case, by: User | None) -> ServicePlan:
    with transaction.atomic():
        if by is not None and not may_supervise(by, case):
            raise PermissionDenied(_("Only a supervisor of this case's office approves its service plan."))
        plan = ServicePlan.objects.select_for_update().filter(case=case).first()
        if plan is None or not plan.services.exists():
            raise ValidationError(_("Add at least one service to the plan before it is approved."))
        # Four eyes: the supervisor who approves the plan is not one who wrote it.
        if by is not None and by.pk in service_plan_authors(plan):
            raise PermissionDenied(_("You wrote this service plan: another supervisor of the office approves it."))
        if plan.is_approved:
            return plan
        return record_update(plan, by=by, changes={"approved_by": by, "approved_at": timezone.now()})


def service_deliver(
    *,
    case: Case,
    service_type: str,
    by: User | None,
    delivered_on: datetime.date | None = None,
    planned: PlannedService | None = None,
    provider: str = "",
    note: str = "",
) -> ServiceDelivery:
    with transaction.atomic():
        _require_casework(by, case)
        delivery = ServiceDelivery(
            case=case, planned=planned, service_type=service_type, provider=provider.strip(), note=note.strip(),
            delivered_by=by,
        )  # fmt: skip
        if delivered_on:
            delivery.delivered_on = delivered_on
        return record_create(delivery, by=by)


def follow_up_schedule(
    *, case: Case, due_on: datetime.date, purpose: str, by: User | None, assigned_to: User | None = None
) -> FollowUp:
    with transaction.atomic():
        _require_casework(by, case)
        _require_open(case)
        if due_on < case.opened_on:
            raise ValidationError(
                {"due_on": _("A follow-up cannot be due before the case opened (%(date)s).") % {"date": case.opened_on}}
            )
        owner = assigned_to or case.owner or by
        if assigned_to is not None and not may_work_on(assigned_to, case):
            raise ValidationError({"assigned_to": _("%(name)s cannot see this case.") % {"name": assigned_to}})
        return record_create(
            FollowUp(case=case, due_on=due_on, purpose=purpose.strip(), assigned_to=owner, created_by=by), by=by
        )


def follow_up_complete(
    *, follow_up: FollowUp, by: User | None, outcome: str = "", done_on: datetime.date | None = None
) -> FollowUp:
    with transaction.atomic():
        _require_casework(by, follow_up.case)
        if not follow_up.is_pending:
            raise ValidationError(_("This follow-up is already done or cancelled."))
        done_on = done_on or timezone.localdate()
        if done_on > timezone.localdate():
            raise ValidationError({"done_on": _("A follow-up is marked done once it happened, not in advance.")})
        return record_update(follow_up, by=by, changes={"done_on": done_on, "outcome": outcome.strip()})


def follow_up_cancel(*, follow_up: FollowUp, by: User | None, reason: str) -> FollowUp:
    with transaction.atomic():
        _require_casework(by, follow_up.case)
        if not follow_up.is_pending:
            raise ValidationError(_("This follow-up is already done or cancelled."))
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the follow-up is cancelled.")})
        return record_update(follow_up, by=by, changes={"cancelled_on": timezone.localdate()}, reason=reason.strip())


# --- referrals and transfers --------------------------------------------------------------------------------


def _person_snapshot(person: Person, fields: Iterable[str]) -> str:
    """The chosen details of the person as they are now, as JSON (codes, so the receiver reads its language)."""
    values: dict[str, object] = {}
    for name in fields:
        if name == SharedField.FULL_NAME:
            values[name] = person.full_name
        elif name == SharedField.SEX:
            values[name] = person.sex
        elif name == SharedField.AGE:
            values[name] = person.age
        elif name == SharedField.NATIONALITY:
            values[name] = person.nationality
        elif name == SharedField.LANGUAGES:
            values[name] = list(person.languages or [])
        elif name == SharedField.PHONE:
            values[name] = person.phone
    return json.dumps(values, ensure_ascii=False)


def referral_send(
    *,
    case: Case,
    by: User | None,
    kind: str = ReferralKind.REFERRAL,
    to_office: Office | None = None,
    to_programme: Programme | None = None,
    to_partner: PartnerOrganisation | None = None,
    service_type: str = "",
    summary: str = "",
    shared_fields: Iterable[str] | None = None,
) -> Referral:
    """Refer or transfer a case. Every referral needs the person's current consent for it: to a partner, consent
    to share with a partner organisation; within the mission, consent to be referred."""
    with transaction.atomic():
        _require_casework(by, case)
        if case.is_closed:
            raise ValidationError(_("A closed case cannot be referred: re-open it first."))
        if kind == ReferralKind.TRANSFER:
            to_programme = case.programme
            if case.referrals.filter(kind=ReferralKind.TRANSFER, status=ReferralStatus.PENDING).exists():
                raise ValidationError(_("This case already has a transfer waiting for an answer."))
        if to_partner is not None and not to_partner.is_active:
            raise ValidationError({"to_partner": _("%(name)s no longer takes referrals.") % {"name": to_partner}})
        purpose = ConsentPurpose.SHARING_PARTNER if to_partner is not None else ConsentPurpose.REFERRAL
        consent = consent_for(case.person_id, purpose)  # the one consent check (registry.consent)
        if consent is None:
            if to_partner is not None:
                message = _(
                    "The person has not consented to their details being shared with a partner organisation: record "
                    "their consent for “Sharing with a partner organisation” on the person page first."
                )
            else:
                message = _(
                    "The person has not consented to be referred: record their consent for “Referral to another "
                    "service” on the person page first."
                )
            raise ValidationError({"consent": message})
        if shared_fields is None:
            shared_fields = [] if to_partner is not None else list(SharedField.values)
        shared_fields = [name for name in SharedField.values if name in set(shared_fields)] + sorted(
            set(shared_fields) - set(SharedField.values)
        )
        referral = Referral(
            reference=new_reference(f"{case.office.code}-R", Referral),
            kind=kind,
            case=case,
            office=case.office,
            sensitivity=case.sensitivity,
            to_office=to_office,
            to_programme=to_programme,
            to_partner=to_partner,
            service_type=service_type,
            summary=summary.strip(),
            shared_fields=shared_fields,
            consent=consent,
            sent_by=by,
        )
        referral.full_clean()
        agreement = None
        if to_partner is not None:  # data protection: only under a current data-sharing agreement (core.sharing)
            sharing = transfer_guard()
            categories = sharing.referral_categories(case.type, shared_fields)
            agreement = sharing.agreement_for(to_partner, purpose, categories, office=case.office)
        referral.shared_data = _person_snapshot(case.person, shared_fields)
        record_create(referral, by=by)
        if agreement is not None:
            referral.agreement_warning = sharing.expiry_warning(agreement)
            audit.record(AuditAction.EXPORT, actor=by, obj=referral, reason=_("Shared with a partner organisation"),
                         changes=sharing.transfer_payload(agreement, purpose, categories))  # fmt: skip
        return referral


def _require_receiver(by: User | None, referral: Referral) -> None:
    if by is not None and not Referral.objects.received_by(by).filter(pk=referral.pk).exists():
        raise PermissionDenied(_("Only the office or partner organisation the referral is addressed to can answer it."))


def _require_pending(referral: Referral) -> None:
    if referral.status != ReferralStatus.PENDING:
        raise ValidationError(
            _("This referral was already answered: %(status)s.") % {"status": referral.get_status_display()}
        )


def referral_accept(*, referral: Referral, by: User | None, note: str = "") -> Referral:
    """Accept a referral. A transfer moves the case to the receiving office; a referral to another programme opens
    a case of that programme for the person there; a partner's acceptance changes nothing else."""
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("case", "to_office", "to_programme")
            .get(pk=referral.pk)
        )
        _require_receiver(by, referral)
        _require_pending(referral)
        changes: dict = {
            "responded_by": by,
            "responded_at": timezone.now(),
            "response_reason": note.strip(),
        }
        case = referral.case
        receiver_works_here = by is not None and has_role(by, CASE_ROLES, office=referral.to_office_id)
        if referral.kind == ReferralKind.TRANSFER:
            reason = _("Transferred by %(reference)s") % {"reference": referral.reference}
            record_update(case, by=by, changes={"office": referral.to_office}, reason=reason)
            _assign(case, owner=by if receiver_works_here else None, by=by, reason=reason)
        elif referral.to_programme_id is not None:
            type = referral.to_programme.code
            sensitivity = Sensitivity.PROTECTION if case.sensitivity == Sensitivity.PROTECTION else ""
            changes["resulting_case"] = _case_create(
                person=case.person,
                type=type,
                office=referral.to_office,
                by=by,
                sensitivity=sensitivity,
                parent=case,
                reason=_("Accepted referral %(reference)s") % {"reference": referral.reference},
            )
        return state_set(referral, field="status", new=ReferralStatus.ACCEPTED, by=by, changes=changes)


def referral_decline(*, referral: Referral, by: User | None, reason: str) -> Referral:
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        _require_receiver(by, referral)
        _require_pending(referral)
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the referral is declined: the referring caseworker reads it.")})
        return state_set(
            referral,
            field="status",
            new=ReferralStatus.DECLINED,
            by=by,
            changes={
                "responded_by": by,
                "responded_at": timezone.now(),
                "response_reason": reason.strip(),
            },
            reason=reason.strip(),
        )


def referral_deliver(*, referral: Referral, by: User | None, note: str = "") -> Referral:
    """The receiver reports the service of an accepted referral as delivered (a partner closes the loop for the
    referring caseworker); the note says what was given, and goes into the status history."""
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        _require_receiver(by, referral)
        if referral.status != ReferralStatus.ACCEPTED:
            raise ValidationError(
                _("Report the service delivered once the referral is accepted; it is “%(status)s”.")
                % {"status": referral.get_status_display()}
            )
        return state_set(referral, field="status", new=ReferralStatus.DELIVERED, by=by, reason=note.strip())


# --- partner organisations ----------------------------------------------------------------------------------


def partner_organisation_create(*, name: str, kind: str, by: User | None, acronym: str = "") -> PartnerOrganisation:
    return record_create(PartnerOrganisation(name=name.strip(), kind=kind, acronym=acronym.strip()), by=by)


def partner_member_add(*, organisation: PartnerOrganisation, user: User, by: User | None) -> PartnerOrganisation:
    """Let a user with the partner role answer this organisation's referrals."""
    with transaction.atomic():
        if not has_role(user, Role.PARTNER):
            raise ValidationError(
                {"members": _("%(name)s does not hold the partner role.") % {"name": user.get_username()}}
            )
        organisation.members.add(user)
        audit.record(AuditAction.UPDATE, actor=by, obj=organisation, changes={"members": [None, user.get_username()]})
    return organisation


# --- the CTDC export ----------------------------------------------------------------------------------------


def ctdc_export(*, stream, by: User | None, k: int | None = None, actor_label: str = "") -> ctdc.Anonymised:
    """Write the identified victims in the CTDC standard, k-anonymised, to `stream` (CSV); audited as an export.
    With `by`, only the cases that user sees; without (the command line), every office's."""

    from .selectors import ctdc_cases

    k = k if k is not None else ctdc.default_k()
    if k < 2:
        raise ValidationError({"k": _("k must be at least 2: a group of one identifies a victim.")})
    # One row per victim: a person with several identified cases counts once, with their latest case.
    latest: dict[int, Case] = {}
    for case in ctdc_cases(by).only(
        "person", "opened_on", "exploitation_types", "means_of_control", "recruiter_relation",
        "country_of_exploitation", "person__sex", "person__birth_date", "person__nationality",
    ):  # fmt: skip
        if case.person_id not in latest or case.opened_on >= latest[case.person_id].opened_on:
            latest[case.person_id] = case
    victims = [
        ctdc.Victim(
            registered_on=case.opened_on,
            sex=case.person.sex,
            age=case.person.age_on(case.opened_on),
            citizenship=case.person.nationality,
            exploitation_types=tuple(case.exploitation_types),
            means_of_control=tuple(case.means_of_control),
            recruiter_relation=case.recruiter_relation,
            country_of_exploitation=case.country_of_exploitation,
        )
        for case in latest.values()
    ]
    result = ctdc.k_anonymise((ctdc.victim_row(victim) for victim in victims), k=k)
    with transaction.atomic():
        ctdc.write_csv(stream, result.rows)
        audit.record(
            AuditAction.EXPORT,
            actor=by,
            actor_username=actor_label,
            object_type="cases.ctdc",
            object_repr="CTDC export of identified victims of trafficking",
            changes={
                "victims": [None, len(victims)],
                "rows": [None, len(result.rows)],
                "suppressed": [None, result.suppressed],
                "generalised": [None, ", ".join(result.generalised)],
                "k": [None, k],
            },
        )
    return result


# --- partner organisations: editing and membership ----------------------------------------------------------


def partner_organisation_update(
    *, organisation: PartnerOrganisation, by: User | None, name: str, kind: str, acronym: str = "", is_active: bool
) -> PartnerOrganisation:
    """Rename, reclassify or retire a partner organisation; a retired one receives no new referrals."""
    changes = {"name": name.strip(), "acronym": acronym.strip(), "kind": kind, "is_active": is_active}
    return record_update(organisation, by=by, changes=changes)


def partner_member_remove(*, organisation: PartnerOrganisation, user: User, by: User | None) -> PartnerOrganisation:
    """The user no longer answers this organisation's referrals (and no longer sees them)."""
    with transaction.atomic():
        if not organisation.members.filter(pk=user.pk).exists():
            raise ValidationError(
                {"members": _("%(name)s is not a member of this organisation.") % {"name": user.get_username()}}
            )
        organisation.members.remove(user)
        audit.record(AuditAction.UPDATE, actor=by, obj=organisation, changes={"members": [user.get_username(), None]})
    return organisation
