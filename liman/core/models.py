"""Core records: geography, offices, programmes, staff and their role grants, audit, task progress."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .access import Scope, ScopedQuerySet, active_grants
from .choices import AuditAction, OfficeType, ProgrammeArea, Role, Sensitivity, TaskState
from .fields import EncryptedTextField
from .roles import AUDIT_READ_ROLES
from .text import ascii_key


class AdminAreaQuerySet(models.QuerySet):
    def provinces(self):
        return self.filter(level=AdminArea.Level.PROVINCE)

    def districts(self):
        return self.filter(level=AdminArea.Level.DISTRICT)

    def resolve(self, text: str | int, *, level: int | None = None, parent: AdminArea | None = None) -> AdminArea:
        """Find one area from a p-code, ISO 3166-2 code, plate number or name.

        Accepts `TUR035`, `TR-35`, `35`, `035`, `İZMİR`, `IZMIR`, `Izmir`, `izmir` (all İzmir).
        Provinces win over districts of the same name unless `level` says otherwise;
        a district name shared by several provinces needs `parent`. Raises
        `AdminArea.DoesNotExist` or `AdminArea.MultipleObjectsReturned` with a message
        that says what was looked for.
        """
        raw = str(text).strip()
        upper = raw.upper()
        queryset = self.all()
        if parent is not None:
            queryset = queryset.filter(parent=parent)
        if upper.startswith("TUR") and upper[3:].isdigit():
            return queryset.get(pcode=upper)
        if upper.startswith("TR-") and upper[3:].isdigit():
            return queryset.get(pcode=f"TUR{int(upper[3:]):03d}")
        if raw.isdigit():
            return queryset.get(pcode=f"TUR{int(raw):03d}")
        key = ascii_key(raw)
        matches = queryset.filter(Q(name_key=key) | Q(name_en_key=key))
        if level is not None:
            matches = matches.filter(level=level)
        found = list(matches.order_by("level", "pcode")[:10])
        if not found:
            raise AdminArea.DoesNotExist(f"No province or district is called {raw!r}.")
        best_level = found[0].level
        at_level = [area for area in found if area.level == best_level]
        if len(at_level) > 1:
            where = ", ".join(f"{a.name} ({a.parent.name if a.parent else a.pcode})" for a in at_level)
            raise AdminArea.MultipleObjectsReturned(f"{raw!r} names several areas: {where}; give the province.")
        return at_level[0]


class AdminArea(models.Model):
    """A province (il, admin level 1) or district (ilçe, admin level 2) with its OCHA p-code."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Province")
        DISTRICT = 2, _("District")

    level = models.PositiveSmallIntegerField(choices=Level.choices)
    pcode = models.CharField(_("p-code"), max_length=12, unique=True)
    name_tr = models.CharField(_("name (Turkish)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_key = models.CharField(max_length=100, db_index=True, editable=False)
    name_en_key = models.CharField(max_length=100, db_index=True, editable=False)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    iso_code = models.CharField(_("ISO 3166-2"), max_length=6, blank=True, db_index=True)
    centroid_lat = models.FloatField()
    centroid_lon = models.FloatField()
    area_km2 = models.FloatField(null=True, blank=True)
    geometry = models.JSONField(help_text=_("Simplified GeoJSON geometry (WGS84)."))

    unscoped_because = "public reference data (OCHA COD-AB)"
    objects = AdminAreaQuerySet.as_manager()

    class Meta:
        ordering = ["pcode"]
        verbose_name = _("administrative area")
        constraints = [
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level=2, parent__isnull=False),
                name="adminarea_province_has_no_parent_district_has_one",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = ascii_key(self.name_tr)
        self.name_en_key = ascii_key(self.name_en)
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        return self.name_tr

    @property
    def plate(self) -> int:
        return int(self.pcode[3:6])


class OfficeQuerySet(ScopedQuerySet):
    pass


class Office(models.Model):
    """A mission office (country office, sub-office, field office or mobile-team base); every record belongs to one."""

    code = models.CharField(_("code"), max_length=8, unique=True, help_text=_("Short code, e.g. IST."))
    name = models.CharField(_("name"), max_length=120)
    type = models.CharField(_("type"), max_length=16, choices=OfficeType.choices)
    province = models.ForeignKey(
        AdminArea, on_delete=models.PROTECT, related_name="offices", limit_choices_to={"level": 1}
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="id", opens_to=frozenset({Role.DATA_PROTECTION_FOCAL_POINT}))
    objects = OfficeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("office")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.province_id and self.province.level != AdminArea.Level.PROVINCE:
            raise ValidationError({"province": _("An office is placed in a province, not a district.")})
        self.code = self.code.upper()


class Programme(models.Model):
    """A programme area the mission runs (protection, resettlement, DTM, …); grants and records may name one."""

    code = models.CharField(_("code"), max_length=32, unique=True, choices=ProgrammeArea.choices)
    name = models.CharField(_("name"), max_length=120)

    unscoped_because = "the list of programme areas is the same for every office"

    class Meta:
        ordering = ["code"]
        verbose_name = _("programme")

    def __str__(self) -> str:
        return self.get_code_display()


class LimanUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    """A staff member or partner user; what they may do comes from their role grants."""

    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)

    objects = LimanUserManager()

    class Meta:
        verbose_name = _("user")
        ordering = ["username"]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def grants(self) -> list[RoleGrant]:
        return active_grants(self)

    @property
    def roles(self) -> set[str]:
        return {grant.role for grant in active_grants(self)}

    @property
    def offices(self) -> list[Office]:
        seen: dict[int, Office] = {}
        for grant in active_grants(self):
            if grant.office_id is not None:
                seen.setdefault(grant.office_id, grant.office)
        return sorted(seen.values(), key=lambda office: office.code)


# Staff are visible to administrators and supervisors of an office they hold a grant in.
User.scope = Scope(
    office="role_grants__office",
    through_many=True,
    roles=frozenset({Role.ADMINISTRATOR, Role.SUPERVISOR}),
)


class RoleGrantQuerySet(ScopedQuerySet):
    def current(self):
        """Grants in force: approved (or needing no approval), not expired, of an active account."""
        today = timezone.localdate()
        return self.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=today), user__is_active=True, is_pending=False
        )

    def pending(self):
        """Grants of protection- or medical-tier roles waiting for a second administrator's approval."""
        return self.filter(is_pending=True, user__is_active=True)


class RoleGrant(models.Model):
    """A role a user holds in one office (blank: every office) and one programme (blank: every programme)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    office = models.ForeignKey(
        Office, null=True, blank=True, on_delete=models.PROTECT, related_name="role_grants", verbose_name=_("office")
    )
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="role_grants"
    )
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    #: A grant that opens protection or medical records waits for a second administrator (see `role_grant_add`).
    is_pending = models.BooleanField(_("awaiting approval"), default=False)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("approved by")
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    scope = Scope(office="office", roles=frozenset({Role.ADMINISTRATOR}))
    objects = RoleGrantQuerySet.as_manager()

    class Meta:
        ordering = ["user__username", "role"]
        verbose_name = _("role grant")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "office", "programme"],
                name="rolegrant_unique",
            )
        ]

    def __str__(self) -> str:
        where = self.office.code if self.office_id else _("all offices")
        what = self.programme if self.programme_id else _("all programmes")
        return f"{self.user} · {self.get_role_display()} · {where} · {what}"


class AuditEventQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit log: who did what to which record, and why."""

    seq = models.BigIntegerField(_("number"), unique=True, editable=False)
    at = models.DateTimeField(_("at"), db_index=True, editable=False)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_username = models.CharField(_("user"), max_length=150, blank=True)
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(_("record type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip_address = models.CharField(_("address"), max_length=45, blank=True)
    #: The tier of the record the event is about: a reader outside it sees that something happened, not what.
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL, editable=False
    )
    #: Which audit key (`LIMAN_AUDIT_KEY`) sealed the event: its fingerprint, never the key.
    key_id = models.CharField(max_length=16, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    #: The seal covers a digest of the event's payload (record name, changes, reason) salted with a random nonce,
    #: not the payload itself: a purge replaces the payload of a purged record's events by a marker and drops the
    #: nonce, and the chain still verifies (`audit.redact`). The nonce keeps the digest from being guessed back.
    payload_nonce = models.CharField(max_length=32, blank=True, editable=False)
    payload_digest = models.CharField(max_length=64, blank=True, editable=False)
    #: The purge event (its number) that redacted this event's payload; that event lists this one, under its seal.
    redacted_by = models.BigIntegerField(null=True, blank=True, editable=False)
    #: The seal an event had before seals covered the payload's digest (events written before that change), so
    #: chain heads exported earlier still check (`audit.check_anchor`).
    legacy_hash = models.CharField(max_length=64, blank=True, editable=False)

    scope = Scope(office="office", roles=AUDIT_READ_ROLES)
    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")


class AuditChainHead(models.Model):
    """The last link of the audit chain; a removed last event shows as a head that points past the table."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    unscoped_because = "internal bookkeeping of the audit chain, never shown"

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"audit chain at #{self.seq}"


class TaskProgressQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        # A task's progress and result belong to whoever started it.
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(owner=user)


class TaskProgress(models.Model):
    """The progress of one background task (import, dedup run, export, check), shown as a progress bar."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("task"), max_length=120)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=16, choices=TaskState.choices, default=TaskState.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    scope = Scope(office="office")
    objects = TaskProgressQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("task progress")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        if self.state == TaskState.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(100 * self.done / self.total))

    @property
    def is_finished(self) -> bool:
        return self.state in (TaskState.SUCCEEDED, TaskState.FAILED)


class StateChangeQuerySet(ScopedQuerySet):
    pass


class StateChange(models.Model):
    """One step a record took through its workflow: from which state to which, by whom, when and why."""

    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    workflow = models.CharField(max_length=64)
    from_state = models.CharField(_("from"), max_length=64)
    to_state = models.CharField(_("to"), max_length=64)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    scope = Scope(office="office", sensitivity="sensitivity")
    objects = StateChangeQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("state change")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.workflow}: {self.from_state} → {self.to_state}"


class ImportBatch(models.Model):
    """A file being imported: staged, validated row by row, then committed in one transaction or discarded."""

    class State(models.TextChoices):
        INVALID = "invalid", _("Has blocking problems")
        VALID = "valid", _("Ready to commit")
        COMMITTED = "committed", _("Committed")
        DISCARDED = "discarded", _("Discarded")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=32)
    file_name = models.CharField(_("file"), max_length=255)
    file_size = models.PositiveIntegerField(default=0)
    encoding = models.CharField(max_length=32, blank=True)
    notices = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.INVALID)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    committed_at = models.DateTimeField(null=True, blank=True)
    #: The key the staged rows are sealed with (`crypto.DataKey`), itself encrypted; blank once the rows' data is
    #: gone (committed, discarded, purged), which leaves any copy of them unreadable.
    rows_key = EncryptedTextField(blank=True, editable=False)

    scope = Scope(
        office="office",
        roles=frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAMME_OFFICER, Role.DTM_OFFICER}),
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import batch")

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_name}"


class StagedRow(models.Model):
    """One row of an import batch: its values (encrypted, as JSON) and the problems found in it."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    #: The row's cells and values as JSON, sealed with the batch's `rows_key` (see `liman.core.staging`);
    #: blank once the data is gone.
    data = models.TextField(blank=True)
    problems = models.JSONField(default=list, blank=True)
    is_blocking = models.BooleanField(default=False)

    scope = Scope(
        office="batch__office",
        roles=frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAMME_OFFICER, Role.DTM_OFFICER}),
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["batch", "row_number"]
        verbose_name = _("staged row")
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="stagedrow_unique_row")]

    def __str__(self) -> str:
        return f"row {self.row_number}"


class ApiToken(models.Model):
    """A key a script or partner system calls the API with: only its SHA-256 digest is kept, and it expires."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    #: SHA-256 of the key (hex): a stolen database copy gives no usable key, and the lookup is by digest.
    digest = models.CharField(max_length=64, unique=True, editable=False)
    #: The key's first characters, so its owner can tell which token a script holds.
    prefix = models.CharField(_("starts with"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    unscoped_because = "read only by its owner's page and the API's authentication, never listed"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.user} · {self.prefix}…"

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())


class ScheduledRun(models.Model):
    """One period of one scheduled job (liman/core/schedule.py), enqueued once: the (job, period) pair is unique, so
    two schedulers (two workers' machines) that find the same job due never both enqueue it."""

    job = models.CharField(_("job"), max_length=100)
    #: The start of the period this run is for (the hour, the day at its time).
    period = models.DateTimeField(_("period"))
    enqueued_at = models.DateTimeField(_("enqueued at"), default=timezone.now, editable=False)
    #: The django-tasks result id of the run (its outcome is read from there).
    task_id = models.CharField(max_length=64, blank=True)

    unscoped_because = "bookkeeping of the scheduler (job names and times), shown only by `liman schedule list`"

    class Meta:
        ordering = ["-period"]
        verbose_name = _("scheduled run")
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="scheduledrun_once_per_period")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.period:%Y-%m-%d %H:%M}"


class TaskLease(models.Model):
    """A background task being run, and when its worker last said it was alive: a task whose lease ran out lost its
    worker (killed, out of memory, machine gone), and the scheduler marks it failed (liman/core/schedule.py)."""

    task_id = models.CharField(max_length=64, primary_key=True)
    worker_id = models.CharField(max_length=64)
    beat_at = models.DateTimeField(default=timezone.now)

    unscoped_because = "bookkeeping of the task workers, never shown"

    class Meta:
        verbose_name = _("task lease")

    def __str__(self) -> str:
        return f"{self.task_id} ({self.worker_id})"
