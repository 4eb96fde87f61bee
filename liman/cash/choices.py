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
    NO_CONSENT = "no_consent", _("Held back: no consent to share with the payment provider")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    UNCOLLECTED = "uncollected", _("Uncollected")


#: Payments off the list: held as a possible duplicate (until released), or held back from the provider's file
#: because the head's consent to share with the payment provider is not in force.
OFF_LIST = (PaymentStatus.HELD, PaymentStatus.NO_CONSENT)


#: The outcomes a provider reports.
PROVIDER_OUTCOMES = (PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.UNCOLLECTED)


class EnrolmentEnd(models.TextChoices):
    STATUS_ENDED = "status_ended", _("Legal status ended")
    DEPARTED = "departed", _("Left the country (resettled or returned)")
    NOT_ELIGIBLE = "not_eligible", _("No longer eligible under the current rule")
    WITHDRAWN = "withdrawn", _("Withdrew")


# --- post-distribution monitoring (the shipped form `liman_cash_pdm` uses these values) ------------------------


class PdmReceived(models.TextChoices):
    """Whether the household received the payment, and in full."""

    FULL = "full", _("Yes, in full")
    PARTLY = "partly", _("Yes, but less than the amount")
    NO = "no", _("No")


class PdmSpending(models.TextChoices):
    """What the money was spent on (several may apply)."""

    FOOD = "food", _("Food")
    RENT = "rent", _("Rent")
    UTILITIES = "utilities", _("Electricity, water, gas")
    HEALTH = "health", _("Health and medicine")
    EDUCATION = "education", _("Education")
    CLOTHES = "clothes", _("Clothes and shoes")
    DEBT = "debt", _("Paying back debt")
    TRANSPORT = "transport", _("Transport")
    HYGIENE = "hygiene", _("Hygiene items")
    SAVED = "saved", _("Saved")
    OTHER = "other", _("Other")


class PdmProblem(models.TextChoices):
    """Problems met while collecting or using the money (several may apply; `none` alone)."""

    NONE = "none", _("No problem")
    DISTANCE = "distance", _("The pay point was far")
    WAITING = "waiting", _("Long waiting")
    CARD_PIN = "card_pin", _("Card or PIN did not work")
    FEE = "fee", _("Asked to pay a fee")
    DOCUMENTS = "documents", _("Documents were refused")
    INFORMATION = "information", _("Did not know when or where to collect")
    PRESSURE = "pressure", _("Someone asked for a share or pressured them")
    OTHER = "other", _("Other")


class YesNo(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


#: Shipped XLSForm of post-distribution monitoring (liman/dtm/data/forms/liman_cash_pdm.xlsx).
PDM_FORM_ID = "liman_cash_pdm"
