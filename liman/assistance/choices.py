"""Choices of the assistance app: the catalogue's units and categories, stock locations, ledger entry kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemCategory(models.TextChoices):
    FOOD = "food", _("Food")
    WATER = "water", _("Water")
    HYGIENE = "hygiene", _("Hygiene")
    NFI = "nfi", _("Non-food items")
    CLOTHING = "clothing", _("Clothing")
    SHELTER = "shelter", _("Shelter")
    FIRST_AID = "first_aid", _("First aid")


class Unit(models.TextChoices):
    PIECE = "piece", _("piece")
    KIT = "kit", _("kit")
    PARCEL = "parcel", _("parcel")
    SET = "set", _("set")
    BOTTLE = "bottle", _("bottle")
    PACK = "pack", _("pack")


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    VEHICLE = "vehicle", _("Vehicle")
    SITE = "site", _("Distribution site")


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    TRANSFER_OUT = "transfer_out", _("Transfer dispatched")
    TRANSFER_IN = "transfer_in", _("Transfer received")
    ISSUE = "issue", _("Issue")
    LOSS = "loss", _("Loss or damage")
    COUNT_ADJUSTMENT = "count_adjustment", _("Count adjustment")
    RETURN = "return", _("Returned to stock")


#: Kinds that add stock, and kinds that take it away (a count adjustment goes either way).
INCOMING = frozenset({EntryKind.RECEIPT, EntryKind.TRANSFER_IN, EntryKind.RETURN})
OUTGOING = frozenset({EntryKind.TRANSFER_OUT, EntryKind.ISSUE, EntryKind.LOSS})


class TransferState(models.TextChoices):
    DISPATCHED = "dispatched", _("In transit")
    RECEIVED = "received", _("Received")


class LossStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved and written off")
    REJECTED = "rejected", _("Rejected")


class LossReason(models.TextChoices):
    DAMAGED = "damaged", _("Damaged")
    EXPIRED = "expired", _("Expired")
    SPOILED = "spoiled", _("Spoiled (water, heat, pests)")
    STOLEN = "stolen", _("Stolen")
    MISSING = "missing", _("Missing")


# --- mobile-team field incidents ----------------------------------------------------------------------------


class Terrain(models.TextChoices):
    LAND = "land", _("Land")
    SEA = "sea", _("Sea")


class Authority(models.TextChoices):
    COAST_GUARD = "coast_guard", _("Coast guard")
    GENDARMERIE = "gendarmerie", _("Gendarmerie")
    POLICE = "police", _("Police")
    PMM = "pmm", _("Presidency of Migration Management")
    OTHER = "other", _("Other")


class HowMet(models.TextChoices):
    RESCUE_AT_SEA = "rescue_at_sea", _("Rescue at sea")
    INTERCEPTION = "interception", _("Interception")
    APPREHENSION = "apprehension", _("Apprehension")
    SELF_PRESENTATION = "self_presentation", _("Self-presentation")


class Sex(models.TextChoices):
    FEMALE = "f", _("Female")
    MALE = "m", _("Male")


class AgeGroup(models.TextChoices):
    """The age groups of DTM and the 3RP: 0–4, 5–17, 18–59, 60+."""

    INFANTS = "0_4", _("0–4")
    CHILDREN = "5_17", _("5–17")
    ADULTS = "18_59", _("18–59")
    ELDERLY = "60", _("60+")


class IncidentService(models.TextChoices):
    INTERPRETATION = "interpretation", _("Interpretation")
    FIRST_AID = "first_aid", _("First aid")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial first aid")
    INFORMATION = "information", _("Information")
    REFERRAL = "referral", _("Referral")


#: The nationalities the border teams meet most (docs/domain.md, "Border response in practice"), ISO 3166-1 alpha-3.
COMMON_NATIONALITIES = ["AFG", "SYR", "PSE", "SOM", "ERI", "COD", "YEM", "IRQ", "IRN", "PAK"]


# --- in-kind distributions ----------------------------------------------------------------------------------


class DistributionState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPEN = "open", _("Open (goods at the site)")
    CLOSED = "closed", _("Closed")


class EntitlementState(models.TextChoices):
    PENDING = "pending", _("Not yet received")
    RECEIVED = "received", _("Received")
    UNCLAIMED = "unclaimed", _("Unclaimed")
