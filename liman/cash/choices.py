"""Choices of the cash app: the payment cycle's states and each payment's outcome."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CycleState(models.TextChoices):
    DRAFT = "draft", _("Draft list")
    VERIFIED = "verified", _("Verified")
    APPROVED = "approved", _("Approved (list frozen)")
    SENT = "sent", _("Sent to the provider")
    RECONCILED = "reconciled", _("Reconciled")
    CLOSED = "closed", _("Closed")


#: States in which the list is frozen: nothing in it may change.
FROZEN_STATES = frozenset({CycleState.APPROVED, CycleState.SENT, CycleState.RECONCILED, CycleState.CLOSED})


class PaymentStatus(models.TextChoices):
    LISTED = "listed", _("On the list")
    HELD = "held", _("Held: possible duplicate")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    UNCOLLECTED = "uncollected", _("Uncollected")


#: The outcomes a provider reports.
PROVIDER_OUTCOMES = (PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.UNCOLLECTED)


class EnrolmentEnd(models.TextChoices):
    STATUS_ENDED = "status_ended", _("Legal status ended")
    DEPARTED = "departed", _("Left the country (resettled or returned)")
    NOT_ELIGIBLE = "not_eligible", _("No longer eligible under the current rule")
    WITHDRAWN = "withdrawn", _("Withdrew")
