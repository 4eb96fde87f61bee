"""Migration health: pre-migration health assessments (medical tier), the clearance others may see, and the
fit-to-fly check before departure.

Findings live on `HealthAssessment`, whose `sensitivity` is always "medical": only health roles read it
(`liman.core.roles.ROLE_TIERS`). Everyone else reads `MedicalClearance`: cleared / on medical hold, until
when, and the help the traveller needs on the way, never why.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.choices import Sensitivity
from liman.core.fields import EncryptedTextField

from .choices import MEDIF_NEEDS, ClearanceStatus, LabResult, TBClass, TravelNeed, XrayResult


def fit_to_fly_hours() -> int:
    """How long before departure a fit-to-fly check may be done (72 hours; a setting, it may change)."""
    return settings.LIMAN_FIT_TO_FLY_HOURS


def travel_need_labels(needs) -> list[str]:
    return [str(TravelNeed(need).label) for need in needs if need in TravelNeed.values]


class HealthAssessment(models.Model):
    """One pre-migration health assessment of one traveller: history, examination, vaccinations, TB screening."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="health_assessments", verbose_name=_("person")
    )
    #: Always medical: only health roles read an assessment.
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.MEDICAL, editable=False
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ClearanceStatus.choices, default=ClearanceStatus.PENDING, db_index=True
    )
    requested_on = models.DateField(_("requested on"), default=timezone.localdate)
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    medical_history = EncryptedTextField(_("medical history"), blank=True)
    examination = EncryptedTextField(_("physical examination"), blank=True)
    vaccinations = EncryptedTextField(_("vaccinations"), blank=True)
    chest_xray = models.CharField(
        _("chest x-ray"), max_length=20, choices=XrayResult.choices, default=XrayResult.NOT_DONE
    )
    sputum_smear = models.CharField(
        _("sputum smear"), max_length=12, choices=LabResult.choices, default=LabResult.NOT_DONE
    )
    sputum_culture = models.CharField(
        _("sputum culture"), max_length=12, choices=LabResult.choices, default=LabResult.NOT_DONE
    )
    tb_class = models.CharField(_("TB class"), max_length=12, choices=TBClass.choices, default=TBClass.NONE)
    class_a_waived = models.BooleanField(
        _("class A waived"), default=False, help_text=_("The resettlement country waived the class A condition.")
    )
    fit_to_travel = models.BooleanField(_("fit to travel"), null=True, blank=True)
    travel_needs = models.JSONField(_("needs during travel"), default=list, blank=True)
    hold_reason = EncryptedTextField(_("reason for the medical hold"), blank=True)
    valid_until = models.DateField(_("clearance valid until"), null=True, blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="office", sensitivity="sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_on", "-id"]
        verbose_name = _("health assessment")
        indexes = [models.Index(fields=["office", "status"])]

    def __str__(self) -> str:
        return f"{self.reference} · {self.person.full_name}"

    def clean(self):
        if self.sensitivity != Sensitivity.MEDICAL:
            raise ValidationError({"sensitivity": _("A health assessment is always medical.")})
        unknown = [need for need in self.travel_needs if need not in TravelNeed.values]
        if unknown:
            raise ValidationError({"travel_needs": _("Unknown travel need: %(need)s.") % {"need": unknown[0]}})
        if self.assessed_on and self.assessed_on > timezone.localdate():
            raise ValidationError({"assessed_on": _("An assessment cannot be dated in the future.")})
        if self.valid_until and self.assessed_on and self.valid_until <= self.assessed_on:
            raise ValidationError({"valid_until": _("The clearance must be valid after the day of the assessment.")})

    @property
    def travel_need_labels(self) -> list[str]:
        return travel_need_labels(self.travel_needs)

    @property
    def needs_medif(self) -> bool:
        return bool(MEDIF_NEEDS & set(self.travel_needs))


class MedicalClearance(models.Model):
    """A person's current medical clearance: the status, expiry and travel needs others may see; no findings."""

    person = models.OneToOneField(
        "registry.Person", on_delete=models.CASCADE, related_name="medical_clearance", verbose_name=_("person")
    )
    assessment = models.ForeignKey(HealthAssessment, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("medical clearance"), max_length=16, choices=ClearanceStatus.choices)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    travel_needs = models.JSONField(_("needs during travel"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    scope = Scope(office="person__office", sensitivity="person__sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("medical clearance")

    def __str__(self) -> str:
        return f"{self.person.full_name}: {self.get_status_display()}"

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.status == ClearanceStatus.CLEARED and self.valid_until is not None and self.valid_until >= day

    @property
    def travel_need_labels(self) -> list[str]:
        return travel_need_labels(self.travel_needs)

    @property
    def needs_medif(self) -> bool:
        return bool(MEDIF_NEEDS & set(self.travel_needs))


class FitToFlyCheck(models.Model):
    """The pre-departure check that a traveller is fit to fly, done within 72 hours before departure."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="fit_to_fly_checks", verbose_name=_("person")
    )
    checked_at = models.DateTimeField(_("checked at"))
    is_fit = models.BooleanField(_("fit to fly"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="person__office", sensitivity="person__sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("fit-to-fly check")
        indexes = [models.Index(fields=["person", "checked_at"])]

    def __str__(self) -> str:
        verdict = _("fit") if self.is_fit else _("not fit")
        return f"{self.person.full_name}: {verdict} ({self.checked_at:%Y-%m-%d %H:%M})"

    def clean(self):
        if self.checked_at and self.checked_at > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError({"checked_at": _("A fit-to-fly check cannot be recorded in advance.")})
