"""Retention schedules a country office sets, legal holds, and which records a purge already took."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.fields import EncryptedTextField

from .choices import DataCategory, RequestKind, RequestStatus, SharingBasis
from .permissions import PRIVACY_ROLES, SUBJECT_REQUEST_ROLES


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


def agreement_document_path(instance, filename: str) -> str:
    return f"privacy/agreements/{instance.office_id or 'all'}/{timezone.now():%Y%m%d%H%M%S%f}.pdf"


class SharingAgreementQuerySet(ScopedQuerySet):
    def current(self, on=None):
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on, ends_on__gte=on)

    def expiring(self, on=None, days: int = 30):
        from datetime import timedelta

        on = on or timezone.localdate()
        return self.current(on).filter(ends_on__lte=on + timedelta(days=days))


class SharingAgreement(models.Model):
    """A written data-sharing agreement with a partner organisation or an authority: what may be shared (purposes
    and categories of data), on which legal basis, for which period. A referral, a partner's access, an export to
    a partner or a file exchange happens only under a current one (`liman.privacy.sharing`)."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    #: Empty: signed by the country office for every office.
    office = models.ForeignKey(
        "core.Office", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("office")
    )
    title = models.CharField(_("title"), max_length=200)
    partner = models.ForeignKey(
        "cases.PartnerOrganisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sharing_agreements",
        verbose_name=_("partner organisation"),
    )
    authority = models.CharField(_("authority (when not a partner organisation)"), max_length=200, blank=True)
    purposes = models.JSONField(_("purposes"), default=list)
    categories = models.JSONField(_("categories of data"), default=list)
    legal_basis = models.CharField(_("legal basis"), max_length=24, choices=SharingBasis.choices)
    starts_on = models.DateField(_("in force from"))
    ends_on = models.DateField(_("in force until"))
    focal_points = models.TextField(_("focal points"), help_text=_("Who answers for the agreement on each side."))
    document = models.FileField(_("signed document"), upload_to=agreement_document_path, blank=True)
    document_name = models.CharField(_("file name"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    scope = Scope(office="office", roles=PRIVACY_ROLES)
    objects = SharingAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["ends_on", "reference"]
        verbose_name = _("data-sharing agreement")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="privacy_dsa_period")
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.party}"

    @property
    def party(self) -> str:
        return str(self.partner) if self.partner_id else self.authority

    def days_left(self, on=None) -> int:
        return (self.ends_on - (on or timezone.localdate())).days

    def purpose_labels(self) -> list[str]:
        from liman.registry.choices import ConsentPurpose

        labels = dict(ConsentPurpose.choices)
        return [str(labels.get(value, value)) for value in self.purposes]

    def category_labels(self) -> list[str]:
        labels = dict(DataCategory.choices)
        return [str(labels.get(value, value)) for value in self.categories]

    def clean(self):
        from liman.registry.choices import ConsentPurpose

        errors = {}
        if bool(self.partner_id) == bool(self.authority.strip()):
            errors["partner"] = _("Name the other party: a partner organisation, or else an authority.")
        unknown = [value for value in self.purposes if value not in ConsentPurpose.values]
        if not self.purposes or unknown:
            errors["purposes"] = _("Choose at least one purpose of the list.")
        unknown = [value for value in self.categories if value not in DataCategory.values]
        if not self.categories or unknown:
            errors["categories"] = _("Choose at least one category of data of the list.")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The agreement cannot end before it starts.")
        if errors:
            raise ValidationError(errors)


def subject_request_days() -> int:
    """Days a person's request is answered within (settings.LIMAN_SUBJECT_REQUEST_DAYS, 30 by default)."""
    return settings.LIMAN_SUBJECT_REQUEST_DAYS


class SubjectRequestQuerySet(ScopedQuerySet):
    def open(self):
        return self.exclude(status__in=[RequestStatus.ANSWERED, RequestStatus.REFUSED, RequestStatus.CLOSED])

    def overdue(self, on=None):
        return self.open().filter(due_on__lt=on or timezone.localdate())


class SubjectRequest(models.Model):
    """A person's own request about their data (access, correction, objection, deletion), with its deadline.
    At least protection tier: that a person asked reveals their contact with the mission."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="subject_requests", verbose_name=_("person")
    )
    sensitivity = models.CharField(_("sensitivity"), max_length=16, default="protection")
    kind = models.CharField(_("request"), max_length=16, choices=RequestKind.choices)
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    due_on = models.DateField(_("answer due by"))
    details = EncryptedTextField(_("what the person asks"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.RECEIVED, db_index=True
    )
    answer = EncryptedTextField(_("the answer"), blank=True)
    #: The audit event of what was done (the correction's update, the anonymisation, the access export).
    outcome_event_seq = models.BigIntegerField(_("audit event of what was done"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    scope = Scope(office="office", sensitivity="sensitivity", roles=SUBJECT_REQUEST_ROLES)
    objects = SubjectRequestQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("request from a person about their data")

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_kind_display()}"

    @property
    def workflow(self):
        from .workflows import SUBJECT_REQUEST_WORKFLOW

        return SUBJECT_REQUEST_WORKFLOW

    @property
    def is_overdue(self) -> bool:
        open_states = (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)
        return self.status in open_states and self.due_on < timezone.localdate()
