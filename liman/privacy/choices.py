"""Choices of data protection: what an agreement lets be shared, on which legal basis; people's own requests."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataCategory(models.TextChoices):
    """Kinds of personal data an agreement lets be shared (a transfer names the ones it carries)."""

    IDENTITY = "identity", _("Identity (names, documents)")
    DEMOGRAPHIC = "demographic", _("Sex, age, nationality, languages")
    CONTACT = "contact", _("Contact details")
    PROTECTION = "protection", _("Protection and counter-trafficking")
    MEDICAL = "medical", _("Medical")
    LEGAL_STATUS = "legal_status", _("Legal status")
    ASSISTANCE = "assistance", _("Assistance and payments")
    MOVEMENT = "movement", _("Movements and return")


class SharingBasis(models.TextChoices):
    """The legal basis an agreement shares data on."""

    CONSENT = "consent", _("Consent")
    VITAL_INTEREST = "vital_interest", _("Vital interest")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    PUBLIC_INTEREST = "public_interest", _("Public interest")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
    CONTRACT = "contract", _("Contract")


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access (what Liman holds about me)")
    CORRECTION = "correction", _("Correction")
    OBJECTION = "objection", _("Objection to a processing")
    DELETION = "deletion", _("Deletion")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused")
    CLOSED = "closed", _("Closed")
