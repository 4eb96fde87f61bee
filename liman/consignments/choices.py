"""Choices of cross-border consignments: states, border crossings, crossing outcomes, report sources."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsignmentState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    LOADED = "loaded", _("Loaded")
    DISPATCHED = "dispatched", _("Dispatched")
    HELD = "held", _("Held at the crossing")
    CLEARED = "cleared", _("Cleared at the crossing")
    RETURNED = "returned", _("Returned to the hub")
    HANDED_OVER = "handed_over", _("Handed over to the partner")
    REPORTED = "reported", _("Distribution reported")
    CANCELLED = "cancelled", _("Cancelled")


#: States in which the trucks are on the road (left the hub, not yet handed over or back).
ON_THE_ROAD = (ConsignmentState.DISPATCHED, ConsignmentState.HELD, ConsignmentState.CLEARED)


class BorderCrossing(models.TextChoices):
    """The crossings UN cross-border consignments into Northwest Syria pass (docs/domain.md, "Facts the demo data
    and reference lists follow"): Bab al-Hawa, and Bab al-Salam and Al-Ra'ee since the 2023 earthquake; Turkish name
    first."""

    CILVEGOZU = "cilvegozu", _("Cilvegözü – Bab al-Hawa (Reyhanlı, Hatay)")
    ONCUPINAR = "oncupinar", _("Öncüpınar – Bab al-Salam (Kilis)")
    COBANBEY = "cobanbey", _("Çobanbey – Al-Ra'ee (Kilis)")
    KARKAMIS = "karkamis", _("Karkamış – Jarablus (Gaziantep)")


class CrossingOutcome(models.TextChoices):
    CLEARED = "cleared", _("Cleared")
    HELD = "held", _("Held")


class TruckStatus(models.TextChoices):
    """Where a truck is, read from its crossing checks and its return (not stored)."""

    LOADED = "loaded", _("Loaded")
    ON_THE_ROAD = "on_the_road", _("On the road")
    CLEARED = "cleared", _("Cleared")
    HELD = "held", _("Held")
    RETURNED = "returned", _("Returned to the hub")


class ReportSource(models.TextChoices):
    FORM = "form", _("Entered on the partner page")
    UPLOAD = "upload", _("Uploaded as XLSX")
