"""Choices of migration health: clearance status, TB screening results, TB class, travel needs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClearanceStatus(models.TextChoices):
    """What everyone outside health staff may know of a person's health assessment."""

    PENDING = "pending", _("Assessment in progress")
    CLEARED = "cleared", _("Cleared")
    MEDICAL_HOLD = "medical_hold", _("On medical hold")


class XrayResult(models.TextChoices):
    NOT_DONE = "not_done", _("Not done")
    NORMAL = "normal", _("Normal")
    ABNORMAL_NOT_TB = "abnormal_not_tb", _("Abnormal, not suggestive of TB")
    SUGGESTIVE_OF_TB = "suggestive_of_tb", _("Suggestive of TB")


class LabResult(models.TextChoices):
    NOT_DONE = "not_done", _("Not done")
    PENDING = "pending", _("Pending")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class TBClass(models.TextChoices):
    """Result class of the TB screening (class A: travel blocked until treated or waived; B: follow-up)."""

    NONE = "none", _("No TB class")
    CLASS_A = "class_a", _("Class A")
    CLASS_B = "class_b", _("Class B")


class TravelNeed(models.TextChoices):
    """Help a traveller needs on the way; oxygen, a stretcher and an escort need the airline medical form."""

    ESCORT = "escort", _("Medical escort")
    OXYGEN = "oxygen", _("Oxygen")
    WHEELCHAIR = "wheelchair", _("Wheelchair")
    STRETCHER = "stretcher", _("Stretcher")


#: Needs for which the airline asks its medical information form (MEDIF) and the traveller needs an escort.
MEDIF_NEEDS = frozenset({TravelNeed.ESCORT, TravelNeed.OXYGEN, TravelNeed.STRETCHER})
