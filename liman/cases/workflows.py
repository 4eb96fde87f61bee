"""The three case workflows, declared: states, the steps between them, who may take each step and what must be
true first. The rules are those of docs/domain.md ("Workflows and their rules"); every refusal is written for the
caseworker.

The one engine is `liman.core.workflows`; `liman.cases.services.case_transition` adds what a step sets off
(closing, re-opening, opening an AVRR case from a voluntary return, a protection case from a fear of return).
"""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from liman.core.choices import Role
from liman.core.workflows import ANY, Transition, Workflow

from .choices import (
    RETURN_STATES_FROM_DEPARTURE,
    AssessmentKind,
    CaseType,
    NoteKind,
    ProtectionState,
    ReturnState,
    TraffickingState,
)

CASEWORK = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
SUPERVISION = frozenset({Role.SUPERVISOR})


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def current_consent(person, purpose: str):
    """The person's consent for `purpose` in force today, or None: the registry's one consent check."""
    from liman.registry.consent import consent_for

    return consent_for(person, purpose)


# --- guards: each returns what is missing, in the caseworker's words, or None -------------------------------


def has_owner(case, **context):
    if case.owner_id is None:
        return _("Assign the case to a caseworker first.")
    return None


def has_assessment(kind: str | None = None, message: str = ""):
    def guard(case, **context):
        assessments = case.assessments.all()
        if kind:
            assessments = assessments.filter(kind=kind)
        if not assessments.exists():
            return message or _("Record an assessment of the case first.")
        return None

    return guard


def plan_has_services(case, **context):
    from .models import PlannedService

    if not PlannedService.objects.filter(plan__case=case).exists():
        return _("Write the service plan and add at least one service to it.")
    return None


def plan_is_approved(case, **context):
    from .models import ServicePlan

    plan = ServicePlan.objects.filter(case=case).first()
    if plan is None or not plan.services.exists():
        return _("Write the service plan and add at least one service to it.")
    if not plan.is_approved:
        return _("A supervisor must approve the service plan.")
    return None


def service_delivered(case, **context):
    if not case.deliveries.exists():
        return _("Record at least one service the person received.")
    return None


def no_pending_follow_ups(case, **context):
    pending = case.follow_ups.pending().count()
    if pending:
        return ngettext(
            "%(count)d follow-up is still due: mark it done or cancel it first.",
            "%(count)d follow-ups are still due: mark them done or cancel them first.",
            pending,
        ) % {"count": pending}
    return None


def consent_to_referral(case, **context):
    from liman.registry.choices import ConsentPurpose

    if current_consent(case.person_id, ConsentPurpose.REFERRAL) is None:
        return _(
            "The person has not consented to be referred: record their consent for “Referral to another service” "
            "on the person page first."
        )
    return None


def identification_recorded(case, **context):
    if case.identified_on is None:
        return _("Record the date the authority (PMM) identified the person as a victim.")
    return None


def reflection_period_over(case, **context):
    ends = case.reflection_period_ends_on
    if ends is None:
        return _("Record the identification date first: the reflection period runs from it.")
    if timezone.localdate() < ends:
        return _(
            "The reflection period runs until %(date)s: the person decides about return, staying or a third "
            "country after it, without pressure."
        ) % {"date": _date(ends)}
    return None


def counselling_recorded(case, **context):
    if not case.notes.filter(kind=NoteKind.COUNSELLING).exists():
        return _("Record the counselling session (a note of the kind “Counselling session”) first.")
    return None


def counselling_before_application(case, **context):
    first = case.notes.filter(kind=NoteKind.COUNSELLING).order_by("occurred_on").values_list("occurred_on", flat=True)
    first = first.first()
    if first is None:
        return _("Counselling must come before the application: record the counselling session first.")
    if case.declaration_signed_on is None:
        return _("Record the date the person signed the voluntary return declaration.")
    if first > case.declaration_signed_on:
        return _(
            "Counselling must come before the application: the first counselling session (%(counselled)s) is "
            "after the declaration was signed (%(signed)s)."
        ) % {"counselled": _date(first), "signed": _date(case.declaration_signed_on)}
    return None


def destination_recorded(case, **context):
    if not case.destination_country:
        return _("Record the country the person returns to.")
    return None


def returnee_medically_cleared(case, **context):
    """Fit to travel: health staff cleared the returnee (the booking checks the clearance again, on the day)."""
    from liman.health.selectors import clearances_of

    clearance = clearances_of([case.person_id]).get(case.person_id)
    if clearance is not None and clearance.is_on_hold:
        return _("The person is on medical hold: health staff must clear them before the return.")
    if clearance is None or not clearance.is_valid_on(timezone.localdate()):
        return _(
            "The person has no valid medical clearance: health staff assess them (the request is in their queue "
            "since the travel documents step) and clear them for travel."
        )
    return None


def _returnee_seat(case):
    """The returnee's own seat on a flight (booked, departed or arrived), booked through movements."""
    from liman.movements.selectors import return_bookings_of

    return return_bookings_of(case.reference).filter(person_id=case.person_id).select_related("flight").first()


def returnee_booked(case, **context):
    if _returnee_seat(case) is None:
        return _("Book the person on a flight to the country of return (“Book travel” on this page).")
    return None


def departure_day_reached(case, **context):
    seat = _returnee_seat(case)
    if seat is None:
        return _(
            "The person holds no seat on a flight: the booking was cancelled or marked a no-show. Book travel again."
        )
    if seat.flight.departs_on > timezone.localdate():
        return _("The flight is on %(date)s: mark the person departed on or after that day.") % {
            "date": _date(seat.flight.departs_on)
        }
    return None


def before_departure_withdrawal(case, **context):
    if case.state in RETURN_STATES_FROM_DEPARTURE:
        return _("The person has already departed: a return can be withdrawn only before departure.")
    return None


def before_departure_fear(case, **context):
    if case.state in RETURN_STATES_FROM_DEPARTURE:
        return _(
            "The person has already departed: a fear stated now is followed up by the reintegration team in the "
            "country of return, not by stopping this case."
        )
    return None


def other_open_case(case_type: str, person_id: int, *, excluding: int | None = None):
    """The person's open case of a type that allows one open case per person (None: none, or the type allows
    several)."""
    from .models import Case

    if case_type not in ONE_OPEN_CASE_PER_PERSON:
        return None
    others = Case.objects.filter(person_id=person_id, type=case_type).open()
    if excluding is not None:
        others = others.exclude(pk=excluding)
    return others.order_by("opened_on", "id").first()


def one_open_case_message(other) -> str:
    return _(
        "This person already has an open %(type)s case, %(reference)s: record the new facts there, or close it first."
    ) % {"type": other.get_type_display().lower(), "reference": other.reference}


def no_other_open_case(case, **context):
    other = other_open_case(case.type, case.person_id, excluding=case.pk)
    return one_open_case_message(other) if other is not None else None


# --- the workflows ------------------------------------------------------------------------------------------


def closing(closed: str) -> Transition:
    """Closing: from any open state, with a reason, once no follow-up is still due."""
    return Transition(
        (ANY,), closed, CASEWORK, (no_pending_follow_ups,), label=gettext_lazy("Close the case"), needs_reason=True
    )


def closed_from(state: str):
    """The case re-opens in the state it was closed from (the start, when its history does not say)."""

    def guard(case, **context):
        workflow = case.workflow
        left = workflow.state_left_for(case, case.state) or workflow.initial
        if left != state:
            return _("The case re-opens where it was closed: “%(state)s”.") % {"state": workflow.states(left).label}
        return None

    return guard


def reopening(states: type, closed: str, final: frozenset) -> list[Transition]:
    """Re-opening goes back to the step the case was closed from, never further: the engine checks the case was
    there (`resumes`), and every later step checks its rules again."""
    return [
        Transition(
            (closed,),
            state,
            CASEWORK,
            (closed_from(state), no_other_open_case),
            label=gettext_lazy("Re-open the case"),
            needs_reason=True,
            resumes=True,
        )
        for state in states.values
        if state not in final
    ]


P = ProtectionState
PROTECTION = Workflow(
    name="protection",
    states=ProtectionState,
    initial=P.OPEN,
    final=frozenset({P.CLOSED}),
    transitions=[
        Transition(
            (P.OPEN,),
            P.ASSESSED,
            CASEWORK,
            (has_owner, has_assessment(message=gettext_lazy("Record the initial assessment first."))),
            label=gettext_lazy("Mark assessed"),
        ),
        Transition((P.ASSESSED,), P.PLAN_APPROVED, CASEWORK, (plan_is_approved,), label=gettext_lazy("Plan approved")),
        Transition((P.PLAN_APPROVED,), P.SERVICES, CASEWORK, label=gettext_lazy("Start services")),
        Transition((P.SERVICES,), P.FOLLOW_UP, CASEWORK, (service_delivered,), label=gettext_lazy("Move to follow-up")),
        closing(P.CLOSED),
        *reopening(ProtectionState, P.CLOSED, frozenset({P.CLOSED})),
    ],
)

T = TraffickingState
TRAFFICKING = Workflow(
    name="counter_trafficking",
    states=TraffickingState,
    initial=T.REPORTED,
    final=frozenset({T.CLOSED}),
    transitions=[
        Transition(
            (T.REPORTED,),
            T.SCREENED,
            CASEWORK,
            (
                has_owner,
                has_assessment(AssessmentKind.SCREENING, gettext_lazy("Record the trafficking screening first.")),
            ),
            label=gettext_lazy("Screened"),
        ),
        Transition(
            (T.SCREENED,),
            T.REFERRED_TO_AUTHORITY,
            CASEWORK,
            (consent_to_referral,),
            label=gettext_lazy("Referred to the authority (PMM)"),
        ),
        Transition(
            (T.REFERRED_TO_AUTHORITY,),
            T.IDENTIFIED,
            CASEWORK,
            (identification_recorded,),
            label=gettext_lazy("Identified as a victim"),
        ),
        Transition(
            (T.REFERRED_TO_AUTHORITY,),
            T.NOT_IDENTIFIED,
            CASEWORK,
            label=gettext_lazy("Not identified"),
            needs_reason=True,
        ),
        Transition(
            (T.IDENTIFIED,),
            T.REFLECTION_PERIOD,
            CASEWORK,
            (identification_recorded,),
            label=gettext_lazy("Start the reflection period"),
        ),
        Transition(
            (T.REFLECTION_PERIOD,),
            T.SUPPORT_PROGRAMME,
            CASEWORK,
            (plan_is_approved,),
            label=gettext_lazy("Enrol in the support programme"),
        ),
        Transition(
            (T.SUPPORT_PROGRAMME,),
            T.VOLUNTARY_RETURN,
            CASEWORK,
            (reflection_period_over, consent_to_referral),
            label=gettext_lazy("Voluntary return (opens an AVRR case)"),
        ),
        Transition(
            (T.SUPPORT_PROGRAMME,),
            T.LOCAL_INTEGRATION,
            CASEWORK,
            (reflection_period_over,),
            label=gettext_lazy("Local integration"),
        ),
        Transition(
            (T.SUPPORT_PROGRAMME,),
            T.THIRD_COUNTRY,
            CASEWORK,
            (reflection_period_over,),
            label=gettext_lazy("Third country"),
        ),
        closing(T.CLOSED),
        *reopening(TraffickingState, T.CLOSED, frozenset({T.CLOSED})),
    ],
)

R = ReturnState
RETURN = Workflow(
    name="avrr",
    states=ReturnState,
    initial=R.INQUIRY,
    final=frozenset({R.CLOSED, R.WITHDRAWN, R.STOPPED}),
    transitions=[
        Transition((R.INQUIRY,), R.COUNSELLED, CASEWORK, (counselling_recorded,), label=gettext_lazy("Counselled")),
        Transition(
            (R.COUNSELLED,),
            R.APPLIED,
            CASEWORK,
            (counselling_before_application,),
            label=gettext_lazy("Applied (declaration signed)"),
        ),
        Transition(
            (R.APPLIED,),
            R.ELIGIBILITY_ASSESSED,
            CASEWORK,
            (has_assessment(AssessmentKind.ELIGIBILITY, gettext_lazy("Record the eligibility assessment first.")),),
            label=gettext_lazy("Eligibility assessed"),
        ),
        Transition((R.ELIGIBILITY_ASSESSED,), R.APPROVED, SUPERVISION, label=gettext_lazy("Approve the return")),
        Transition(
            (R.APPROVED,),
            R.TRAVEL_DOCUMENTS,
            CASEWORK,
            (destination_recorded,),
            label=gettext_lazy("Travel documents ready"),
        ),
        Transition((R.TRAVEL_DOCUMENTS,), R.EXIT_CLEARED, CASEWORK, label=gettext_lazy("Exit cleared")),
        Transition(
            (R.EXIT_CLEARED,),
            R.FIT_TO_TRAVEL,
            CASEWORK,
            (returnee_medically_cleared,),
            label=gettext_lazy("Fit to travel"),
        ),
        Transition((R.FIT_TO_TRAVEL,), R.BOOKED, CASEWORK, (returnee_booked,), label=gettext_lazy("Booked")),
        Transition((R.BOOKED,), R.DEPARTED, CASEWORK, (departure_day_reached,), label=gettext_lazy("Departed")),
        Transition((R.DEPARTED,), R.RECEIVED, CASEWORK, label=gettext_lazy("Received in the country of origin")),
        Transition(
            (R.RECEIVED,),
            R.REINTEGRATION_PLANNED,
            CASEWORK,
            (plan_has_services,),
            label=gettext_lazy("Reintegration planned"),
        ),
        Transition(
            (R.REINTEGRATION_PLANNED,),
            R.ASSISTANCE,
            CASEWORK,
            (plan_is_approved,),
            label=gettext_lazy("Start reintegration assistance"),
        ),
        Transition((R.ASSISTANCE,), R.MONITORED, CASEWORK, (service_delivered,), label=gettext_lazy("Monitored")),
        closing(R.CLOSED),
        Transition(
            (ANY,),
            R.WITHDRAWN,
            CASEWORK,
            (before_departure_withdrawal,),
            label=gettext_lazy("Withdraw (the person no longer wants to return)"),
            needs_reason=True,
        ),
        Transition(
            (ANY,),
            R.STOPPED,
            CASEWORK,
            (before_departure_fear,),
            label=gettext_lazy("Fear of return stated: stop and refer to protection"),
            needs_reason=True,
        ),
        Transition(
            (R.CLOSED, R.WITHDRAWN), R.INQUIRY, CASEWORK, label=gettext_lazy("Re-open the case"), needs_reason=True
        ),
    ],
)

#: Case types of which a person holds one open case at a time: a second report about the same person belongs in
#: the case already open (one screening, one identification, one reflection period for one victim).
ONE_OPEN_CASE_PER_PERSON = frozenset({CaseType.COUNTER_TRAFFICKING})

WORKFLOWS: dict[str, Workflow] = {
    CaseType.PROTECTION: PROTECTION,
    CaseType.COUNTER_TRAFFICKING: TRAFFICKING,
    CaseType.AVRR: RETURN,
}

#: Every state from which nothing moves on, whatever the type (for "open cases" filters).
FINAL_STATES = frozenset().union(*(workflow.final for workflow in WORKFLOWS.values()))


def step_of(case, target: str) -> Transition | None:
    return case.workflow.find(case, target)


def state_choices(case_type: str = "") -> list[tuple[str, str]]:
    """(value, label) of the states of one type, or of every type (each value once) for filters."""
    seen: dict[str, str] = {}
    types = [case_type] if case_type in WORKFLOWS else list(WORKFLOWS)
    for each in types:
        for value, label in WORKFLOWS[each].states.choices:
            seen.setdefault(value, label)
    return list(seen.items())
