"""Choices of the registry: sex, date precision, Türkiye's legal statuses (Law 6458), identifiers, WG-SS."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class DatePrecision(models.TextChoices):
    DAY = "day", _("Exact date")
    MONTH = "month", _("Month and year only")
    YEAR = "year", _("Year only")


class LegalStatusType(models.TextChoices):
    """Legal statuses in Türkiye under the Law on Foreigners and International Protection (6458)."""

    TEMPORARY_PROTECTION = "temporary_protection", _("Temporary protection")
    INTERNATIONAL_PROTECTION_APPLICANT = "international_protection_applicant", _("International protection applicant")
    REFUGEE = "refugee", _("Refugee")
    CONDITIONAL_REFUGEE = "conditional_refugee", _("Conditional refugee")
    SUBSIDIARY_PROTECTION = "subsidiary_protection", _("Subsidiary protection")
    RESIDENCE_PERMIT_SHORT_TERM = "residence_permit_short_term", _("Short-term residence permit")
    RESIDENCE_PERMIT_FAMILY = "residence_permit_family", _("Family residence permit")
    RESIDENCE_PERMIT_STUDENT = "residence_permit_student", _("Student residence permit")
    RESIDENCE_PERMIT_LONG_TERM = "residence_permit_long_term", _("Long-term residence permit")
    RESIDENCE_PERMIT_HUMANITARIAN = "residence_permit_humanitarian", _("Humanitarian residence permit")
    RESIDENCE_PERMIT_TRAFFICKING_VICTIM = (
        "residence_permit_trafficking_victim",
        _("Residence permit for victims of trafficking"),
    )
    IRREGULAR_MIGRANT = "irregular_migrant", _("Irregular migrant")
    STATELESS = "stateless", _("Stateless")
    TURKISH_CITIZEN = "turkish_citizen", _("Turkish citizen (host community)")


class IdentifierType(models.TextChoices):
    FOREIGNER_ID = "foreigner_id", _("Foreigner ID number (YKN)")
    TEMPORARY_PROTECTION = "tp_number", _("Temporary-protection number")
    PASSPORT = "passport", _("Passport")
    UNHCR_CASE = "unhcr_case", _("UNHCR case number")
    RESETTLEMENT_CASE = "resettlement_case", _("Resettlement-country case ID")
    OTHER = "other", _("Other")


class Relationship(models.TextChoices):
    """Relationship to the head of household."""

    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    GRANDCHILD = "grandchild", _("Grandchild")
    OTHER_RELATIVE = "other_relative", _("Other relative")
    NON_RELATIVE = "non_relative", _("Not related")


class WGAnswer(models.IntegerChoices):
    """Washington Group Short Set answer codes."""

    NO_DIFFICULTY = 1, _("No difficulty")
    SOME_DIFFICULTY = 2, _("Some difficulty")
    A_LOT_OF_DIFFICULTY = 3, _("A lot of difficulty")
    CANNOT_DO = 4, _("Cannot do at all")
    REFUSED = 7, _("Refused")
    DONT_KNOW = 9, _("Don't know")


WG_DOMAINS = ("seeing", "hearing", "walking", "remembering", "self_care", "communicating")


class VulnerabilityType(models.TextChoices):
    UNACCOMPANIED_CHILD = "unaccompanied_child", _("Unaccompanied child")
    SEPARATED_CHILD = "separated_child", _("Separated child")
    SINGLE_PARENT = "single_parent", _("Single parent")
    OLDER_PERSON_AT_RISK = "older_person_at_risk", _("Older person at risk")
    SERIOUS_MEDICAL_CONDITION = "serious_medical_condition", _("Serious medical condition")
    SURVIVOR_OF_VIOLENCE = "survivor_of_violence", _("Survivor of violence")
    VICTIM_OF_TRAFFICKING = "victim_of_trafficking", _("Victim of trafficking")
    PREGNANT_OR_LACTATING = "pregnant_or_lactating", _("Pregnant or lactating")


#: Vulnerabilities that are themselves protection or medical facts: only readers of that tier see them (the rest
#: are normal). Knowing that someone is a victim of trafficking or a survivor of violence can put them at risk.
VULNERABILITY_TIERS = {
    VulnerabilityType.UNACCOMPANIED_CHILD: "protection",
    VulnerabilityType.SEPARATED_CHILD: "protection",
    VulnerabilityType.SURVIVOR_OF_VIOLENCE: "protection",
    VulnerabilityType.VICTIM_OF_TRAFFICKING: "protection",
    VulnerabilityType.SERIOUS_MEDICAL_CONDITION: "medical",
}


class ConsentPurpose(models.TextChoices):
    REGISTRATION = "registration", _("Registration and case management")
    REFERRAL = "referral", _("Referral to another service")
    SHARING_PARTNER = "sharing_partner", _("Sharing with a partner organisation")
    SHARING_PAYMENT_PROVIDER = "sharing_payment_provider", _("Sharing with a payment provider")
    RESETTLEMENT = "resettlement", _("Resettlement processing")
    RESEARCH = "research", _("Anonymous research and statistics")
    CONTACT = "contact", _("Contact by SMS, WhatsApp or call")
    ACTIVITIES = "activities", _("Participation in trainings, groups and livelihoods activities")


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    VITAL_INTEREST = "vital_interest", _("Vital interest")
    PUBLIC_INTEREST = "public_interest", _("Public interest")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")


class AttachmentKind(models.TextChoices):
    IDENTITY_DOCUMENT = "identity_document", _("Identity document")
    CONSENT_FORM = "consent_form", _("Signed consent form")
    PHOTO = "photo", _("Photo")
    OTHER = "other", _("Other document")
