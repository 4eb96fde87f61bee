"""Choices of resettlement and movements: case states (docs/domain.md), hold reasons, bookings, flights."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseState(models.TextChoices):
    """Resettlement case states, in the order docs/domain.md gives them, then the ones reachable from any state."""

    REFERRED = "referred", _("Referred")
    INTERVIEW_SCHEDULED = "interview_scheduled", _("Selection interview scheduled")
    INTERVIEWED = "interviewed", _("Interviewed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DEFERRED = "deferred", _("Deferred")
    HEALTH_ASSESSMENT = "health_assessment", _("Health assessment")
    MEDICALLY_CLEARED = "medically_cleared", _("Medically cleared")
    MEDICAL_HOLD = "medical_hold", _("Medical hold")
    ORIENTATION_DONE = "orientation_done", _("Cultural orientation done")
    VISA_ISSUED = "visa_issued", _("Visa issued")
    EXIT_PERMISSION_REQUESTED = "exit_permission_requested", _("Exit permission requested")
    EXIT_PERMISSION_GRANTED = "exit_permission_granted", _("Exit permission granted")
    READY_FOR_DEPARTURE = "ready_for_departure", _("Ready for departure")
    BOOKED = "booked", _("Booked")
    FIT_TO_FLY_CHECKED = "fit_to_fly_checked", _("Fit-to-fly checked")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")
    CLOSED = "closed", _("Closed")
    ON_HOLD = "on_hold", _("On hold")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


#: The states a case passes through on its way, in order (the pipeline board's rows).
PIPELINE = [
    CaseState.REFERRED,
    CaseState.INTERVIEW_SCHEDULED,
    CaseState.INTERVIEWED,
    CaseState.ACCEPTED,
    CaseState.DEFERRED,
    CaseState.HEALTH_ASSESSMENT,
    CaseState.MEDICAL_HOLD,
    CaseState.MEDICALLY_CLEARED,
    CaseState.ORIENTATION_DONE,
    CaseState.VISA_ISSUED,
    CaseState.EXIT_PERMISSION_REQUESTED,
    CaseState.EXIT_PERMISSION_GRANTED,
    CaseState.READY_FOR_DEPARTURE,
    CaseState.BOOKED,
    CaseState.FIT_TO_FLY_CHECKED,
    CaseState.DEPARTED,
    CaseState.ARRIVED,
]
#: Reachable from any state before departure, and undone (except cancelling) back to where the case was.
INTERRUPTIONS = [CaseState.ON_HOLD, CaseState.WITHDRAWN, CaseState.NO_SHOW, CaseState.CANCELLED]
ENDED = [CaseState.REJECTED, CaseState.CLOSED]
#: States a case can be put on hold, withdrawn, cancelled or marked a no-show from: every one before departure.
BEFORE_DEPARTURE = tuple(state for state in PIPELINE if state not in (CaseState.DEPARTED, CaseState.ARRIVED))


class HoldReason(models.TextChoices):
    SECURITY = "security", _("Security")
    MEDICAL = "medical", _("Medical")
    PROGRAMME_SUSPENSION = "programme_suspension", _("Programme suspension")


class Decision(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DEFERRED = "deferred", _("Deferred")


class MemberRelationship(models.TextChoices):
    """A case member's relationship to the principal applicant."""

    PRINCIPAL = "principal", _("Principal applicant")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other relative")


class InterviewOutcome(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


class FlightStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")
    CANCELLED = "cancelled", _("Cancelled")


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


#: Bookings that hold a seat (the manifest lists these).
ACTIVE_BOOKINGS = (BookingStatus.BOOKED, BookingStatus.DEPARTED, BookingStatus.ARRIVED)


class ReunificationState(models.TextChoices):
    """Family reunification and Germany's Family Assistance Programme (FAP), as docs/domain.md describes them."""

    APPOINTMENT = "appointment", _("Appointment")
    DOCUMENT_HELP = "document_help", _("Document help")
    CONSULATE_APPOINTMENT = "consulate_appointment", _("Consulate appointment")
    SUBMITTED = "submitted", _("Submitted")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")


class ReunificationDecision(models.TextChoices):
    GRANTED = "granted", _("Visa granted")
    REFUSED = "refused", _("Refused")


#: Destination countries of the programme (ISO 3166 alpha-3), the ones the board shows first.
RESETTLEMENT_COUNTRIES = ["CAN", "AUS", "USA", "DEU", "NOR", "GBR", "SWE", "NLD", "FIN", "NZL", "FRA", "IRL"]
US = "USA"
GERMANY = "DEU"
#: Age from which a US traveller signs a travel-loan promissory note.
ADULT_AGE = 18
