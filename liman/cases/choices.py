"""Choices of the case engine: case types, the states of each workflow, closure reasons, referral and CTDC terms."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseType(models.TextChoices):
    """A case type is also the programme the case belongs to (the values are core `Programme` codes)."""

    PROTECTION = "protection", _("Protection")
    COUNTER_TRAFFICKING = "counter_trafficking", _("Counter-trafficking")
    AVRR = "avrr", _("Assisted voluntary return (AVRR)")


class ProtectionState(models.TextChoices):
    OPEN = "open", _("Open")
    ASSESSED = "assessed", _("Assessed")
    PLAN_APPROVED = "plan_approved", _("Plan approved")
    SERVICES = "services", _("Receiving services")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")


class TraffickingState(models.TextChoices):
    REPORTED = "reported", _("Reported (potential victim)")
    SCREENED = "screened", _("Screened")
    REFERRED_TO_AUTHORITY = "referred_to_authority", _("Referred to the authority (PMM)")
    IDENTIFIED = "identified", _("Identified as a victim")
    NOT_IDENTIFIED = "not_identified", _("Not identified as a victim")
    REFLECTION_PERIOD = "reflection_period", _("Reflection period")
    SUPPORT_PROGRAMME = "support_programme", _("Support programme")
    VOLUNTARY_RETURN = "voluntary_return", _("Voluntary return")
    LOCAL_INTEGRATION = "local_integration", _("Local integration")
    THIRD_COUNTRY = "third_country", _("Third country")
    CLOSED = "closed", _("Closed")


class ReturnState(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    COUNSELLED = "counselled", _("Counselled")
    APPLIED = "applied", _("Applied (declaration signed)")
    ELIGIBILITY_ASSESSED = "eligibility_assessed", _("Eligibility assessed")
    APPROVED = "approved", _("Approved")
    TRAVEL_DOCUMENTS = "travel_documents", _("Travel documents")
    EXIT_CLEARED = "exit_cleared", _("Exit cleared")
    FIT_TO_TRAVEL = "fit_to_travel", _("Fit to travel")
    BOOKED = "booked", _("Booked")
    DEPARTED = "departed", _("Departed")
    RECEIVED = "received", _("Received in the country of origin")
    REINTEGRATION_PLANNED = "reintegration_planned", _("Reintegration planned")
    ASSISTANCE = "assistance", _("Reintegration assistance")
    MONITORED = "monitored", _("Monitored")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    STOPPED = "stopped", _("Stopped: fear of return")


#: AVRR states from the departure on: withdrawal and a stated fear of return no longer stop the return.
RETURN_STATES_FROM_DEPARTURE = frozenset(
    {
        ReturnState.DEPARTED,
        ReturnState.RECEIVED,
        ReturnState.REINTEGRATION_PLANNED,
        ReturnState.ASSISTANCE,
        ReturnState.MONITORED,
    }
)


class ClosureReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Goals of the plan met")
    RETURNED = "returned", _("Returned and reintegrated")
    LEFT_AREA = "left_area", _("Moved away or left Türkiye")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    DECLINED_SERVICES = "declined_services", _("The person declined further services")
    REFERRED_ELSEWHERE = "referred_elsewhere", _("Continued by another service")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class NoteKind(models.TextChoices):
    NOTE = "note", _("Case note")
    COUNSELLING = "counselling", _("Counselling session")
    CONTACT = "contact", _("Contact (call or visit)")


class AssessmentKind(models.TextChoices):
    INITIAL = "initial", _("Initial assessment")
    BEST_INTERESTS = "best_interests", _("Best-interests assessment (child)")
    SCREENING = "screening", _("Trafficking screening")
    ELIGIBILITY = "eligibility", _("AVRR eligibility")
    REINTEGRATION = "reintegration", _("Reintegration needs")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ServiceType(models.TextChoices):
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    LEGAL = "legal", _("Legal aid")
    MEDICAL = "medical", _("Medical care")
    SHELTER = "shelter", _("Safe shelter")
    CASH = "cash", _("Cash assistance")
    NFI = "nfi", _("Food and non-food items")
    EDUCATION = "education", _("Education")
    LIVELIHOODS = "livelihoods", _("Livelihoods")
    INTERPRETATION = "interpretation", _("Interpretation")
    FAMILY_TRACING = "family_tracing", _("Family tracing")
    TRAVEL = "travel", _("Travel assistance")
    REINTEGRATION_GRANT = "reintegration_grant", _("Reintegration grant")
    OTHER = "other", _("Other")


class ReferralKind(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    TRANSFER = "transfer", _("Transfer of the case")


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    #: The receiver (a partner, usually) reports the service given: the referring caseworker sees the loop closed.
    DELIVERED = "delivered", _("Service delivered")


class SharedField(models.TextChoices):
    """What a referral may share about the person; the sender picks, the partner sees only these."""

    FULL_NAME = "full_name", _("Name")
    SEX = "sex", _("Sex")
    AGE = "age", _("Age")
    NATIONALITY = "nationality", _("Nationality")
    LANGUAGES = "languages", _("Languages")
    PHONE = "phone", _("Phone")


class PartnerKind(models.TextChoices):
    NGO = "ngo", _("Non-governmental organisation")
    MUNICIPALITY = "municipality", _("Municipality")
    GOVERNMENT = "government", _("Government service")
    UN_AGENCY = "un_agency", _("UN agency")
    BAR_ASSOCIATION = "bar_association", _("Bar association (legal aid)")


class VictimStatus(models.TextChoices):
    POTENTIAL = "potential", _("Potential victim")
    IDENTIFIED = "identified", _("Identified victim")
    NOT_IDENTIFIED = "not_identified", _("Not identified")


class ExploitationType(models.TextChoices):
    """Types of exploitation as the CTDC data standard counts them."""

    FORCED_LABOUR = "forced_labour", _("Forced labour")
    SEXUAL = "sexual", _("Sexual exploitation")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    FORCED_MILITARY = "forced_military", _("Forced military service")
    ORGAN_REMOVAL = "organ_removal", _("Organ removal")
    OTHER = "other", _("Other exploitation")


class MeansOfControl(models.TextChoices):
    """Means of control as the CTDC data standard lists them."""

    DEBT_BONDAGE = "debt_bondage", _("Debt bondage")
    TAKES_EARNINGS = "takes_earnings", _("Takes earnings")
    RESTRICTS_FINANCIAL_ACCESS = "restricts_financial_access", _("Restricts access to money")
    THREATS = "threats", _("Threats")
    PSYCHOLOGICAL_ABUSE = "psychological_abuse", _("Psychological abuse")
    PHYSICAL_ABUSE = "physical_abuse", _("Physical abuse")
    SEXUAL_ABUSE = "sexual_abuse", _("Sexual abuse")
    FALSE_PROMISES = "false_promises", _("False promises")
    PSYCHOACTIVE_SUBSTANCES = "psychoactive_substances", _("Psychoactive substances")
    RESTRICTS_MOVEMENT = "restricts_movement", _("Restricts movement")
    RESTRICTS_MEDICAL_CARE = "restricts_medical_care", _("Restricts medical care")
    EXCESSIVE_WORKING_HOURS = "excessive_working_hours", _("Excessive working hours")
    USES_CHILDREN = "uses_children", _("Uses the victim's children")
    THREAT_OF_LAW_ENFORCEMENT = "threat_of_law_enforcement", _("Threat of law enforcement")
    WITHHOLDS_NECESSITIES = "withholds_necessities", _("Withholds necessities")
    WITHHOLDS_DOCUMENTS = "withholds_documents", _("Withholds documents")
    OTHER = "other", _("Other means of control")


class RecruiterRelation(models.TextChoices):
    INTIMATE_PARTNER = "intimate_partner", _("Intimate partner")
    FRIEND = "friend", _("Friend")
    FAMILY = "family", _("Family member")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")
