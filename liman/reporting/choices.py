"""Choices of reporting: 3RP sectors, indicator kinds and the disaggregations an indicator may require."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    """The sectors of the 3RP Türkiye chapter."""

    PROTECTION = "Protection", _("Protection")
    BASIC_NEEDS = "Basic Needs", _("Basic Needs")
    LIVELIHOODS = "Livelihoods", _("Livelihoods")
    HEALTH = "Health", _("Health")
    FOOD_SECURITY = "Food Security", _("Food Security & Agriculture")
    EDUCATION = "Education", _("Education")


class IndicatorKind(models.TextChoices):
    COMPUTED = "computed", _("Computed from a measure")
    MANUAL = "manual", _("Entered by hand, with evidence")


class Disaggregation(models.TextChoices):
    SEX_AGE = "sex_age", _("Sex and age group")
    POPULATION_GROUP = "population_group", _("Population group")
    DISABILITY = "disability", _("Disability")
    PROVINCE = "province", _("Province")
