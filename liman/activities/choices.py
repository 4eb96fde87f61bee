"""Choices of the activities mechanism: kinds of activity, states, who participants are and how they are counted."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from liman.registry.choices import ConsentPurpose


class ActivityType(models.TextChoices):
    TRAINING = "training", _("Training")
    WORKSHOP = "workshop", _("Workshop")
    COURSE = "course", _("Course with sessions")
    SOCIAL_COHESION = "social_cohesion", _("Social-cohesion event")
    MHPSS_GROUP = "mhpss_group", _("MHPSS group session")
    AWARENESS = "awareness", _("Awareness session")
    COMMUNITY_CENTRE = "community_centre", _("Community-centre service")
    AUTHORITIES_TRAINING = "authorities_training", _("Training for authorities")


#: Activities whose participants are protection-sensitive: who attended an MHPSS session is read only by roles that
#: read the protection tier (caseworkers, supervisors), like a protection case.
PROTECTED_TYPES = frozenset({ActivityType.MHPSS_GROUP})


class ActivityState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class AgeGroup(models.TextChoices):
    """The age groups of DTM and the 3RP, and one for a participant whose age is not known."""

    INFANTS = "0_4", _("0–4")
    CHILDREN = "5_17", _("5–17")
    ADULTS = "18_59", _("18–59")
    ELDERLY = "60", _("60+")
    UNKNOWN = "unknown", _("Age not known")


class PopulationGroup(models.TextChoices):
    SYRIAN_TP = "syrian_tp", _("Syrian under temporary protection")
    OTHER_FOREIGNER = "other_foreigner", _("Other foreigners")
    HOST_COMMUNITY = "host_community", _("Host community")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Institution(models.TextChoices):
    """The authority an official participant (or an equipment handover) belongs to."""

    COAST_GUARD = "coast_guard", _("Coast Guard")
    GENDARMERIE = "gendarmerie", _("Gendarmerie")
    PMM = "pmm", _("Presidency of Migration Management (PMM)")
    POLICE = "police", _("Police")
    MUNICIPALITY = "municipality", _("Municipality")
    JUDICIARY = "judiciary", _("Judiciary")
    OTHER = "other", _("Other institution")


def age_group_of(age: int | None) -> str:
    if age is None:
        return AgeGroup.UNKNOWN
    if age < 5:
        return AgeGroup.INFANTS
    if age < 18:
        return AgeGroup.CHILDREN
    if age < 60:
        return AgeGroup.ADULTS
    return AgeGroup.ELDERLY


#: The registry's consent purpose a registered participant's consent is recorded under (taking part in an activity:
#: attendance, certificates, the counts and messages about it): its own, so that withdrawing it stops participation
#: records and leaves the person's registration and case management alone.
ACTIVITY_CONSENT_PURPOSE = ConsentPurpose.ACTIVITIES
