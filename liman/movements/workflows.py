"""The resettlement and family-reunification workflows, declared: states, steps, who may take each, and what
must be true first. The states and rules are those of docs/domain.md ("Resettlement and movements").

Every guard names the travellers it is waiting for, so the case page's checklist says exactly what blocks
the next step. On hold, withdrawn and no-show are reachable from any state before departure and undone by
resuming where the case was (`ResettlementCase.resume_state`); cancelling is final.
"""

from __future__ import annotations

import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core.choices import Role
from liman.core.workflows import Transition, Workflow

from .choices import (
    ACTIVE_BOOKINGS,
    ADULT_AGE,
    BEFORE_DEPARTURE,
    US,
    BookingStatus,
    CaseState,
    HoldReason,
    InterviewOutcome,
    ReunificationState,
)

CASEWORK = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAMME_OFFICER})
SUPERVISION = frozenset({Role.SUPERVISOR})
#: Health staff may also move a case between the health states (they know first).
HEALTH_STEPS = CASEWORK | {Role.HEALTH}
FINAL_STATES = frozenset({CaseState.CLOSED, CaseState.CANCELLED})
INTERRUPTED = (CaseState.ON_HOLD, CaseState.WITHDRAWN, CaseState.NO_SHOW)


def day_text(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def names(people) -> str:
    return ", ".join(person.full_name for person in people)


def travellers(case) -> list:
    """The people travelling on the case (members marked as not travelling stay behind)."""
    return [member.person for member in case.members.filter(is_travelling=True).select_related("person")]


def _missing(case, present_ids: set[int]) -> list:
    return [person for person in travellers(case) if person.pk not in present_ids]


# --- guards: each returns what is missing, naming the travellers, or None --------------------------------------


def has_travellers(case, **context):
    if not travellers(case):
        return _("Add the travelling members of the family to the case.")
    return None


def interview_booked(case, **context):
    if not case.interviews.filter(outcome=InterviewOutcome.SCHEDULED).exists():
        return _("Book a selection interview slot for the case in a selection mission.")
    return None


def interview_attended(case, **context):
    if not case.interviews.filter(outcome=InterviewOutcome.ATTENDED).exists():
        return _("Record that the family attended the selection interview.")
    return None


def decision_is(decision: str):
    def guard(case, **context):
        if case.decision != decision or case.decided_on is None:
            return _("Record the resettlement country's decision and its date.")
        return None

    return guard


def all_medically_cleared(case, **context):
    from liman.health.selectors import clearances_of

    today = timezone.localdate()
    clearances = clearances_of(person.pk for person in travellers(case))
    missing = [p for p in travellers(case) if not clearances.get(p.pk) or not clearances[p.pk].is_valid_on(today)]
    if missing:
        return _("Not medically cleared (or the clearance has expired): %(names)s.") % {"names": names(missing)}
    return None


def someone_on_medical_hold(case, **context):
    from liman.health.selectors import clearances_of

    clearances = clearances_of(person.pk for person in travellers(case))
    if not any(clearance.is_on_hold for clearance in clearances.values()):
        return _("No traveller of the case is on medical hold.")
    return None


def orientation_completed(case, **context):
    from .models import OrientationAttendance, OrientationCourse

    courses = list(OrientationCourse.objects.filter(country=case.country))
    if not courses:
        return None
    today = timezone.localdate()
    youngest = min(course.min_age for course in courses)
    due = [p for p in travellers(case) if (p.age_on(today) is None or p.age_on(today) >= youngest)]
    done = set(
        OrientationAttendance.objects.filter(
            person__in=due, completed=True, session__course__country=case.country
        ).values_list("person_id", flat=True)
    )
    missing = [person for person in due if person.pk not in done]
    if missing:
        return _("Cultural orientation not completed: %(names)s (from age %(age)d).") % {
            "names": names(missing),
            "age": youngest,
        }
    return None


def _valid_visas(case, day: datetime.date) -> set[int]:
    return set(case.visas.filter(valid_until__gte=day, issued_on__lte=day).values_list("person_id", flat=True))


def visas_issued(case, **context):
    missing = _missing(case, _valid_visas(case, timezone.localdate()))
    if missing:
        return _("No valid visa recorded: %(names)s.") % {"names": names(missing)}
    return None


def exit_permission_requested(case, **context):
    missing = _missing(case, set(case.exit_permissions.values_list("person_id", flat=True)))
    if missing:
        return _("Exit permission not requested from the authority: %(names)s.") % {"names": names(missing)}
    return None


def _valid_exit_permissions(case, day: datetime.date) -> set[int]:
    granted = case.exit_permissions.filter(granted_on__isnull=False, valid_until__gte=day)
    return set(granted.values_list("person_id", flat=True))


def exit_permission_granted(case, **context):
    missing = _missing(case, _valid_exit_permissions(case, timezone.localdate()))
    if missing:
        return _("Exit permission not granted (or expired): %(names)s.") % {"names": names(missing)}
    return None


def us_requirements(case, **context):
    """US cases: a signed travel-loan promissory note per adult (18+) and a sponsorship assurance."""
    if case.country != US:
        return None
    problems = []
    today = timezone.localdate()
    signed = set(case.promissory_notes.values_list("person_id", flat=True))
    adults = [p for p in travellers(case) if (p.age_on(today) or 0) >= ADULT_AGE]
    missing = [person for person in adults if person.pk not in signed]
    if missing:
        problems.append(_("No signed travel-loan promissory note: %(names)s.") % {"names": names(missing)})
    if not case.assurances.exists():
        problems.append(_("No sponsorship assurance received for the case."))
    return " ".join(problems) or None


def everything_still_valid(case, **context):
    problems = [
        message
        for message in (all_medically_cleared(case), visas_issued(case), exit_permission_granted(case))
        if message
    ]
    return " ".join(problems) or None


def _booked(case, statuses) -> set[int]:
    return set(case.bookings.filter(status__in=statuses).values_list("person_id", flat=True))


def all_booked(case, **context):
    missing = _missing(case, _booked(case, ACTIVE_BOOKINGS))
    if missing:
        return _("Not booked on a flight: %(names)s.") % {"names": names(missing)}
    return None


def fit_to_fly_done(case, **context):
    from liman.health.selectors import fit_to_fly_checks_of

    missing = []
    bookings = case.bookings.filter(status=BookingStatus.BOOKED).select_related("flight", "person")
    for booking in bookings:
        check = fit_to_fly_checks_of([booking.person_id], booking.flight.departs_at).get(booking.person_id)
        if check is None or not check.is_fit:
            missing.append(booking.person)
    if missing:
        return _("No fit-to-fly check in the %(hours)d hours before departure: %(names)s.") % {
            "hours": _fit_hours(),
            "names": names(missing),
        }
    return None


def _fit_hours() -> int:
    from liman.health.models import fit_to_fly_hours

    return fit_to_fly_hours()


def all_departed(case, **context):
    missing = _missing(case, _booked(case, (BookingStatus.DEPARTED, BookingStatus.ARRIVED)))
    if missing:
        return _("Departure not confirmed: %(names)s.") % {"names": names(missing)}
    return None


def all_arrived(case, **context):
    missing = _missing(case, _booked(case, (BookingStatus.ARRIVED,)))
    if missing:
        return _("Arrival not confirmed: %(names)s.") % {"names": names(missing)}
    return None


def hold_reason_given(case, hold_reason: str = "", **context):
    if hold_reason not in HoldReason.values:
        return _("Choose why the case is on hold: security, medical or programme suspension.")
    return None


def resumes_at(state: str):
    def guard(case, **context):
        if case.resume_state != state:
            return _("The case resumes where it was stopped: “%(state)s”.") % {
                "state": CaseState(case.resume_state).label if case.resume_state else "—"
            }
        return None

    return guard


def _forward(source, target, guards=(), roles=CASEWORK, **kwargs) -> Transition:
    return Transition(source=tuple(source), target=target, roles=frozenset(roles), guards=tuple(guards), **kwargs)


RESETTLEMENT = Workflow(
    name="resettlement",
    states=CaseState,
    initial=CaseState.REFERRED,
    final=FINAL_STATES,
    transitions=[
        _forward(
            [CaseState.REFERRED, CaseState.DEFERRED], CaseState.INTERVIEW_SCHEDULED, [has_travellers, interview_booked]
        ),
        _forward([CaseState.INTERVIEW_SCHEDULED], CaseState.INTERVIEWED, [interview_attended]),
        _forward([CaseState.INTERVIEWED, CaseState.DEFERRED], CaseState.ACCEPTED, [decision_is(CaseState.ACCEPTED)]),
        _forward([CaseState.INTERVIEWED, CaseState.DEFERRED], CaseState.REJECTED, [decision_is(CaseState.REJECTED)]),
        _forward([CaseState.INTERVIEWED], CaseState.DEFERRED, [decision_is(CaseState.DEFERRED)]),
        _forward([CaseState.ACCEPTED], CaseState.HEALTH_ASSESSMENT, [has_travellers]),
        _forward(
            [CaseState.HEALTH_ASSESSMENT, CaseState.MEDICAL_HOLD],
            CaseState.MEDICALLY_CLEARED,
            [all_medically_cleared],
            roles=HEALTH_STEPS,
        ),
        _forward([CaseState.HEALTH_ASSESSMENT], CaseState.MEDICAL_HOLD, [someone_on_medical_hold], roles=HEALTH_STEPS),
        _forward([CaseState.MEDICALLY_CLEARED], CaseState.ORIENTATION_DONE, [orientation_completed]),
        _forward([CaseState.ORIENTATION_DONE], CaseState.VISA_ISSUED, [visas_issued]),
        _forward([CaseState.VISA_ISSUED], CaseState.EXIT_PERMISSION_REQUESTED, [exit_permission_requested]),
        _forward([CaseState.EXIT_PERMISSION_REQUESTED], CaseState.EXIT_PERMISSION_GRANTED, [exit_permission_granted]),
        _forward(
            [CaseState.EXIT_PERMISSION_GRANTED],
            CaseState.READY_FOR_DEPARTURE,
            [everything_still_valid, us_requirements],
        ),
        _forward([CaseState.READY_FOR_DEPARTURE], CaseState.BOOKED, [all_booked]),
        _forward([CaseState.BOOKED], CaseState.FIT_TO_FLY_CHECKED, [fit_to_fly_done]),
        _forward([CaseState.BOOKED, CaseState.FIT_TO_FLY_CHECKED], CaseState.DEPARTED, [all_departed]),
        _forward([CaseState.DEPARTED], CaseState.ARRIVED, [all_arrived]),
        _forward([CaseState.ARRIVED, CaseState.REJECTED], CaseState.CLOSED),
        # From any state before departure (docs/domain.md); each is undone by resuming where the case was.
        _forward(BEFORE_DEPARTURE, CaseState.ON_HOLD, [hold_reason_given], needs_reason=True),
        _forward([*BEFORE_DEPARTURE, CaseState.ON_HOLD], CaseState.WITHDRAWN, needs_reason=True),
        _forward(BEFORE_DEPARTURE, CaseState.NO_SHOW, needs_reason=True),
        _forward([*BEFORE_DEPARTURE, *INTERRUPTED], CaseState.CANCELLED, roles=SUPERVISION, needs_reason=True),
        *[
            _forward(
                [CaseState.ON_HOLD, CaseState.NO_SHOW],
                state,
                [resumes_at(state)],
                label=gettext_lazy("Resume"),
                resumes=True,
            )
            for state in BEFORE_DEPARTURE
        ],
        # Taking back a withdrawal is a supervisor's call, with a reason.
        *[
            _forward(
                [CaseState.WITHDRAWN], state, [resumes_at(state)], roles=SUPERVISION, needs_reason=True, resumes=True
            )
            for state in BEFORE_DEPARTURE
        ],
    ],
)


def resume_state_after(case, target: str) -> str:
    """Where an interrupted case resumes: where it was, except that a no-show at the airport is booked again."""
    if target == CaseState.NO_SHOW and case.state in (CaseState.BOOKED, CaseState.FIT_TO_FLY_CHECKED):
        return CaseState.READY_FOR_DEPARTURE
    if case.state in INTERRUPTED:
        return case.resume_state
    return case.state


# --- family reunification ------------------------------------------------------------------------------------


def field_set(name: str, message: str):
    def guard(case, **context):
        if not getattr(case, name):
            return message
        return None

    return guard


REUNIFICATION = Workflow(
    name="reunification",
    states=ReunificationState,
    initial=ReunificationState.APPOINTMENT,
    final=frozenset({ReunificationState.CLOSED, ReunificationState.WITHDRAWN}),
    transitions=[
        _forward([ReunificationState.APPOINTMENT], ReunificationState.DOCUMENT_HELP),
        _forward(
            [ReunificationState.DOCUMENT_HELP],
            ReunificationState.CONSULATE_APPOINTMENT,
            [field_set("consulate_appointment_on", gettext_lazy("Record the date of the consulate appointment."))],
        ),
        _forward(
            [ReunificationState.CONSULATE_APPOINTMENT],
            ReunificationState.SUBMITTED,
            [field_set("submitted_on", gettext_lazy("Record the day the application was submitted."))],
        ),
        _forward(
            [ReunificationState.SUBMITTED],
            ReunificationState.DECIDED,
            [field_set("decision", gettext_lazy("Record the decision and its date."))],
        ),
        _forward([ReunificationState.DECIDED], ReunificationState.CLOSED),
        _forward(
            [
                ReunificationState.APPOINTMENT,
                ReunificationState.DOCUMENT_HELP,
                ReunificationState.CONSULATE_APPOINTMENT,
                ReunificationState.SUBMITTED,
            ],
            ReunificationState.WITHDRAWN,
            needs_reason=True,
        ),
    ],
)
