"""Retention schedules a country office sets, legal holds, and which records a purge already took."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.fields import EncryptedTextField

from .permissions import PRIVACY_ROLES


class Action(models.TextChoices):
    ANONYMISE = "anonymise", _("Anonymise")
    DELETE = "delete", _("Delete")


class RetentionSchedule(models.Model):
    """How long one kind of record keeps its personal data (`core.retention` kinds), and what happens then."""

    kind = models.CharField(_("kind of record"), max_length=64, unique=True)
    days = models.PositiveIntegerField(_("kept for (days)"), validators=[MinValueValidator(1)])
    action = models.CharField(_("then"), max_length=16, choices=Action.choices, default=Action.ANONYMISE)
    is_active = models.BooleanField(_("purges run"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    unscoped_because = "the schedules are the country office's settings, the same for every office"

    class Meta:
        ordering = ["kind"]
        verbose_name = _("retention schedule")

    def __str__(self) -> str:
        return f"{self.kind}: {self.days} d, {self.get_action_display()}"


class LegalHoldQuerySet(ScopedQuerySet):
    def current(self):
        return self.filter(lifted_at__isnull=True)


class LegalHold(models.Model):
    """A record (a case under investigation …) no purge touches until the hold is lifted."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    kind = models.CharField(_("kind of record"), max_length=64)
    object_id = models.CharField(_("record"), max_length=64)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    reason = models.TextField(_("why it is held"))
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(_("held since"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = models.TextField(_("why it was lifted"), blank=True)

    scope = Scope(office="office", roles=PRIVACY_ROLES)
    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("legal hold")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], condition=models.Q(lifted_at__isnull=True), name="privacy_hold_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference or self.object_id}"


class PurgedRecord(models.Model):
    """A record a purge anonymised (so the next run does not take it again): its kind and number, no value."""

    kind = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    action = models.CharField(max_length=16, choices=Action.choices)
    purged_at = models.DateTimeField(default=timezone.now)
    audit_seq = models.BigIntegerField()

    unscoped_because = "bookkeeping of the purge (kind and record number only), never shown record by record"

    class Meta:
        verbose_name = _("purged record")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="privacy_purged_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class Breach(models.Model):
    """A data breach or incident, logged by the data protection focal point: what happened, to which data and
    people, when it was found, and who was told."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    occurred_on = models.DateField(_("happened on"), null=True, blank=True)
    found_on = models.DateField(_("found on"))
    what_happened = EncryptedTextField(_("what happened"))
    data_affected = EncryptedTextField(_("data affected"))
    people_affected = models.PositiveIntegerField(_("people affected (about)"), default=0)
    told_donor_on = models.DateField(_("donor told on"), null=True, blank=True)
    told_authority_on = models.DateField(_("authority told on"), null=True, blank=True)
    told_people_on = models.DateField(_("affected people told on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    scope = Scope(office="office", roles=PRIVACY_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-found_on", "-pk"]
        verbose_name = _("data breach")

    def __str__(self) -> str:
        return f"{self.office.code} · {self.found_on:%Y-%m-%d}"
