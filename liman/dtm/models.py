"""Field data and DTM / MPM: forms and their versions, field users, submissions, and what they become
(sites and site assessments, flow counts, presence figures, apprehensions and rescues, dataset rows)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.choices import Sensitivity
from liman.core.fields import EncryptedTextField

from .choices import (
    DTM_READ_ROLES,
    FIELD_DATA_ROLES,
    SEX_AGE_FIELDS,
    AgeGroup,
    AssessmentType,
    Authority,
    FigureSource,
    FlowBreakdown,
    FlowDirection,
    FlowPointType,
    FormState,
    FormTarget,
    InterceptionKind,
    JavaRosaCheck,
    OperationKind,
    PopulationGroup,
    Route,
    Sector,
    Severity,
    Sex,
    SiteStatus,
    SiteType,
    SubmissionState,
)

ISO_ALPHA3 = RegexValidator(r"^[A-Z]{3}$", _("Use the three-letter ISO 3166 code, e.g. SYR."))
FIELD_DATA_SCOPE = Scope(office="office", roles=FIELD_DATA_ROLES)
DTM_SCOPE = Scope(office="office", roles=DTM_READ_ROLES)
PROVINCE = {"level": 1}
DISTRICT = {"level": 2}


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


# --- forms, versions, field users, submissions ----------------------------------------------------------------


class Form(models.Model):
    """A data-collection form (an XLSForm) that enumerators fill in with ODK Collect or KoboCollect."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    form_id = models.CharField(_("form ID"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    state = models.CharField(_("state"), max_length=16, choices=FormState.choices, default=FormState.OPEN)
    target = models.CharField(_("becomes"), max_length=24, choices=FormTarget.choices, default=FormTarget.NONE)
    field_mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    is_individual_level = models.BooleanField(
        _("individual-level data"),
        default=True,
        help_text=_("Each submission describes one person: published only in cells of at least k people."),
    )
    operation = models.ForeignKey(
        "Operation", null=True, blank=True, on_delete=models.PROTECT, related_name="forms", verbose_name=_("operation")
    )
    round = models.ForeignKey(
        "Round", null=True, blank=True, on_delete=models.PROTECT, related_name="forms", verbose_name=_("round")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = FIELD_DATA_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["office", "form_id"]
        verbose_name = _("form")
        constraints = [models.UniqueConstraint(fields=["office", "form_id"], name="dtm_form_unique_id_per_office")]

    def __str__(self) -> str:
        return f"{self.title} ({self.form_id})"

    @property
    def is_open(self) -> bool:
        return self.state == FormState.OPEN

    def clean(self):
        if self.round_id and self.operation_id and self.round.operation_id != self.operation_id:
            raise ValidationError({"round": _("The round must belong to the form's operation.")})


class FormVersion(models.Model):
    """One uploaded version of a form: the XLSForm as sent and the XForm pyxform built from it."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(_("version"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    xml = models.TextField(_("XForm"))
    xml_md5 = models.CharField(max_length=32, editable=False)
    xlsform = models.BinaryField(_("XLSForm"))
    xlsform_name = models.CharField(_("file"), max_length=200)
    #: Every question and repeat: {"path", "name", "type", "label", "repeat" (the repeat it is in), "hxl" (its
    #: hashtag, when the XLSForm's `hxl` column gives one)}, for mapping, parsing and exports.
    fields = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    #: Whether JavaRosa (the engine of ODK Collect) checked this version. A version is only stored unchecked where
    #: Java could not run; a later check that refuses it withdraws it from the phones' form list.
    javarosa_check = models.CharField(
        _("JavaRosa check"), max_length=16, choices=JavaRosaCheck.choices, default=JavaRosaCheck.NOT_CHECKED
    )
    javarosa_checked_at = models.DateTimeField(_("checked by JavaRosa at"), null=True, blank=True)
    #: Why it was refused (each problem in the author's words), or why it is not checked yet.
    javarosa_messages = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="form__office", roles=FIELD_DATA_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["form", "-created_at", "-id"]
        verbose_name = _("form version")
        constraints = [models.UniqueConstraint(fields=["form", "version"], name="dtm_formversion_unique")]

    def __str__(self) -> str:
        return f"{self.form.form_id} v{self.version}"

    @property
    def hash(self) -> str:
        return f"md5:{self.xml_md5}"

    @property
    def repeat_paths(self) -> set[str]:
        return {entry["path"] for entry in self.fields if entry.get("type") == "repeat"}


def form_media_path(instance: FormMedia, filename: str) -> str:
    version = instance.version
    return f"dtm/forms/{version.form.office_id}/{version.form_id}/{version.pk}/{filename}"


class FormMedia(models.Model):
    """A media file a form version uses (image, audio, CSV for select_one_from_file), listed in its manifest."""

    version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="media")
    filename = models.CharField(_("file name"), max_length=200)
    file = models.FileField(upload_to=form_media_path)
    md5 = models.CharField(max_length=32)
    size = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)

    scope = Scope(office="version__form__office", roles=FIELD_DATA_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["version", "filename"]
        verbose_name = _("form media file")
        constraints = [models.UniqueConstraint(fields=["version", "filename"], name="dtm_formmedia_unique")]

    def __str__(self) -> str:
        return self.filename


class FieldUser(models.Model):
    """An enumerator's OpenRosa login for ODK Collect or KoboCollect: a credential of its own, not a staff account.

    The password is kept twice, never in clear: a Django password hash (Argon2) checks HTTP Basic, and
    the HTTP Digest HA1 = MD5(user:realm:password), which Digest needs to verify a response, is stored
    encrypted with the field keys. The HA1 is bound to the realm it was made for; changing
    `LIMAN_OPENROSA_REALM` needs a new password for Digest (Basic goes on working).
    """

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    username = models.CharField(
        _("user name"),
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9._-]*$",
                _("Use lower-case letters, digits, dots, dashes and underscores; start with a letter or digit."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    #: The mobile team's van this phone's team works from: incidents it sends name it, and their items are issued
    #: from its stock.
    vehicle = models.ForeignKey(
        "assistance.StockLocation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("team's vehicle"),
        help_text=_("For a border mobile team: the van the items given at an incident are issued from."),
    )
    password_hash = models.CharField(max_length=256, editable=False)
    digest_ha1 = EncryptedTextField(editable=False)
    digest_realm = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)

    scope = FIELD_DATA_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["office", "username"]
        verbose_name = _("field user")

    def __str__(self) -> str:
        return f"{self.name} ({self.username})" if self.name else self.username

    def clean(self):
        from liman.assistance.choices import LocationKind

        if self.vehicle_id and self.office_id:
            if self.vehicle.kind != LocationKind.VEHICLE:
                raise ValidationError({"vehicle": _("%(location)s is not a vehicle.") % {"location": self.vehicle}})
            if self.vehicle.office_id != self.office_id:
                raise ValidationError(
                    {"vehicle": _("%(vehicle)s belongs to another office.") % {"vehicle": self.vehicle}}
                )


class FieldLoginThrottle(models.Model):
    """Wrong passwords for one field user name from one address on the OpenRosa server, and how long that
    address is held back: a growing delay per (name, address), so a stranger guessing from elsewhere never
    locks the enumerator out of their own phone."""

    #: The name tried, known or not (an unknown name is held back the same way: no hint which names exist).
    username = models.CharField(_("user name"), max_length=64)
    ip_address = models.CharField(_("address"), max_length=45)
    failures = models.PositiveIntegerField(_("wrong passwords in a row"), default=0)
    held_until = models.DateTimeField(_("held back until"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last wrong password"), default=timezone.now)

    unscoped_because = "sign-in bookkeeping of the OpenRosa server; shown through the field user's page"

    class Meta:
        verbose_name = _("field sign-in throttle")
        constraints = [models.UniqueConstraint(fields=["username", "ip_address"], name="fieldloginthrottle_unique")]

    def __str__(self) -> str:
        return f"{self.username} @ {self.ip_address}"

    def is_held(self, now: datetime.datetime | None = None) -> bool:
        return self.held_until is not None and self.held_until > (now or timezone.now())


class DigestNonce(models.Model):
    """The highest nonce count (nc) a client has used with one Digest nonce: a header sent again is refused."""

    nonce = models.CharField(max_length=96, unique=True)
    highest_count = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    unscoped_because = "replay bookkeeping of the OpenRosa server, never shown"

    class Meta:
        verbose_name = _("Digest nonce")

    def __str__(self) -> str:
        return f"{self.nonce[:12]}… nc={self.highest_count}"


class Submission(models.Model):
    """One filled-in form as ODK Collect or KoboCollect sent it: the instance XML, its version and what it became."""

    # Office and form lead indexes of their own (below): no single-column index to keep up on each POST.
    office = models.ForeignKey(
        "core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"), db_index=False
    )
    form = models.ForeignKey(
        Form, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("form"), db_index=False
    )
    form_version = models.ForeignKey(
        FormVersion, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("form version")
    )
    instance_id = models.CharField(_("instance ID"), max_length=100)
    #: The instanceID of the first version of this submission (the same as `instance_id` unless it was edited).
    root_instance_id = models.CharField(max_length=100, db_index=True)
    deprecated_id = models.CharField(_("replaces instance"), max_length=100, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by", editable=False
    )
    is_current = models.BooleanField(_("current version"), default=True)
    xml = models.TextField(_("instance XML"))
    xml_sha256 = models.CharField(max_length=64, editable=False)
    data = models.JSONField(_("answers"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=SubmissionState.choices, default=SubmissionState.RECEIVED
    )
    review_reason = models.TextField(_("reason for review"), blank=True)
    #: Answers corrected on the page before processing again: [{"path", "old", "new", "by", "at", "reason"}]; the
    #: XML stays as the phone sent it.
    corrections = models.JSONField(_("corrections"), default=list, blank=True, editable=False)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    source = models.CharField(_("received through"), max_length=16, default="openrosa")
    submitted_by = models.ForeignKey(
        FieldUser, null=True, blank=True, on_delete=models.PROTECT, related_name="submissions"
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    #: The field incident this submission became (a border mobile team's form). Kept here, not on the incident:
    #: assistance comes before dtm and knows nothing of submissions. One incident per submission, and an
    #: incident is never built twice from it (its items were issued from the van).
    incident = models.OneToOneField(
        "assistance.FieldIncident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("field incident"),
    )

    scope = Scope(office="office", sensitivity="sensitivity", roles=FIELD_DATA_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("submission")
        constraints = [
            models.UniqueConstraint(fields=["form", "instance_id"], name="dtm_submission_unique_instance"),
        ]
        indexes = [models.Index(fields=["office", "state"]), models.Index(fields=["form", "is_current"])]

    def __str__(self) -> str:
        return f"{self.form.form_id} {self.instance_id}"


def submission_attachment_path(instance: SubmissionAttachment, filename: str) -> str:
    submission = instance.submission
    return f"dtm/submissions/{submission.office_id}/{submission.pk}/{filename}"


class SubmissionAttachment(models.Model):
    """A file sent with a submission (photo, audio, signature), named as the instance XML names it."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("file name"), max_length=200)
    file = models.FileField(upload_to=submission_attachment_path)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    md5 = models.CharField(max_length=32)

    scope = Scope(office="submission__office", sensitivity="submission__sensitivity", roles=FIELD_DATA_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["submission", "name"]
        verbose_name = _("submission attachment")
        constraints = [models.UniqueConstraint(fields=["submission", "name"], name="dtm_attachment_unique_name")]

    def __str__(self) -> str:
        return self.name


# --- DTM and MPM ------------------------------------------------------------------------------------------------


class Operation(models.Model):
    """A DTM or MPM operation, such as the February 2023 earthquake response or western-border flow monitoring."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("lead office"))
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=OperationKind.choices)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    provinces = models.ManyToManyField(
        "core.AdminArea", blank=True, related_name="+", limit_choices_to=PROVINCE, verbose_name=_("provinces")
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = DTM_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "code"]
        verbose_name = _("operation")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": _("An operation cannot end before it starts.")})


class Round(models.Model):
    """One round of data collection in an operation, with its assessment type and dates."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("round"), validators=[MinValueValidator(1)])
    assessment_type = models.CharField(_("assessment type"), max_length=32, choices=AssessmentType.choices)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    scope = Scope(office="operation__office", roles=DTM_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["operation", "number"]
        verbose_name = _("round")
        constraints = [models.UniqueConstraint(fields=["operation", "number"], name="dtm_round_unique_number")]

    def __str__(self) -> str:
        return _("%(operation)s round %(number)s · %(type)s") % {
            "operation": self.operation.code,
            "number": self.number,
            "type": self.get_assessment_type_display(),
        }

    def clean(self):
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": _("A round cannot end before it starts.")})


class Site(models.Model):
    """A displacement site with a stable ID across rounds: name, type, manager, district, coordinates and status."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    operation = models.ForeignKey(
        Operation, null=True, blank=True, on_delete=models.PROTECT, related_name="sites", verbose_name=_("operation")
    )
    site_id = models.CharField(_("site ID"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_key = models.CharField(max_length=200, db_index=True, editable=False)
    type = models.CharField(_("type"), max_length=24, choices=SiteType.choices)
    manager = models.CharField(_("manager"), max_length=200, blank=True)
    district = models.ForeignKey(
        "core.AdminArea",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=DISTRICT,
        verbose_name=_("district"),
    )
    province = models.ForeignKey("core.AdminArea", on_delete=models.PROTECT, related_name="+", editable=False)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=SiteStatus.choices, default=SiteStatus.OPEN)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = DTM_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["site_id"]
        verbose_name = _("site")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="dtm_site_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="dtm_site_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.site_id})"

    def clean(self):
        from liman.core.models import AdminArea
        from liman.core.text import ascii_key

        if self.district_id:
            if self.district.level != AdminArea.Level.DISTRICT:
                raise ValidationError({"district": _("A site is placed in a district, not a province.")})
            self.province_id = self.district.parent_id
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError({"latitude": _("Give both latitude and longitude, or neither.")})
        if self.closed_on and self.opened_on and self.closed_on < self.opened_on:
            raise ValidationError({"closed_on": _("A site cannot close before it opens.")})
        self.name_key = ascii_key(self.name)


class SiteAssessment(models.Model):
    """What one round found at one site: households, individuals by sex and age group, groups and needs."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("site"))
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("round"))
    assessed_on = models.DateField(_("assessed on"))
    households = models.PositiveIntegerField(_("households"))
    individuals = models.PositiveIntegerField(_("individuals"))
    f_0_4 = models.PositiveIntegerField(_("females 0–4"), null=True, blank=True)
    f_5_17 = models.PositiveIntegerField(_("females 5–17"), null=True, blank=True)
    f_18_59 = models.PositiveIntegerField(_("females 18–59"), null=True, blank=True)
    f_60 = models.PositiveIntegerField(_("females 60+"), null=True, blank=True)
    m_0_4 = models.PositiveIntegerField(_("males 0–4"), null=True, blank=True)
    m_5_17 = models.PositiveIntegerField(_("males 5–17"), null=True, blank=True)
    m_18_59 = models.PositiveIntegerField(_("males 18–59"), null=True, blank=True)
    m_60 = models.PositiveIntegerField(_("males 60+"), null=True, blank=True)
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="site_assessments"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = DTM_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["site", "round"]
        verbose_name = _("site assessment")
        constraints = [models.UniqueConstraint(fields=["site", "round"], name="dtm_assessment_one_per_round")]

    def __str__(self) -> str:
        return f"{self.site} · {self.round}"

    @property
    def has_sex_age(self) -> bool:
        return all(getattr(self, name) is not None for name in SEX_AGE_FIELDS)

    def clean(self):
        given = [getattr(self, name) for name in SEX_AGE_FIELDS]
        if any(value is not None for value in given):
            if any(value is None for value in given):
                raise ValidationError(_("Give every sex and age group, or none of them."))
            if self.individuals is not None and sum(given) != self.individuals:
                raise ValidationError(
                    {
                        "individuals": _(
                            "Individuals (%(total)s) must equal the sum of the sex and age groups (%(sum)s)."
                        )
                        % {"total": self.individuals, "sum": sum(given)}
                    }
                )
        if self.households is not None and self.individuals is not None and self.households > self.individuals:
            raise ValidationError({"households": _("There cannot be more households than individuals.")})
        if (
            self.site_id
            and self.round_id
            and self.site.operation_id
            and self.site.operation_id != self.round.operation_id
        ):
            raise ValidationError({"round": _("The round belongs to another operation than the site.")})


class SitePopulationGroup(models.Model):
    """A population group living at a site when it was assessed, with its number of individuals where known."""

    assessment = models.ForeignKey(SiteAssessment, on_delete=models.CASCADE, related_name="population_groups")
    group = models.CharField(_("population group"), max_length=32, choices=PopulationGroup.choices)
    individuals = models.PositiveIntegerField(_("individuals"), null=True, blank=True)

    scope = Scope(office="assessment__office", roles=DTM_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "group"]
        verbose_name = _("site population group")
        constraints = [models.UniqueConstraint(fields=["assessment", "group"], name="dtm_sitegroup_unique")]

    def __str__(self) -> str:
        return f"{self.assessment.site.site_id}: {self.get_group_display()}"


class SiteNeed(models.Model):
    """A need a site assessment found in one sector, ranked, with its severity."""

    assessment = models.ForeignKey(SiteAssessment, on_delete=models.CASCADE, related_name="needs")
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    rank = models.PositiveSmallIntegerField(_("rank"), validators=[MinValueValidator(1)])
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)

    scope = Scope(office="assessment__office", roles=DTM_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "rank"]
        verbose_name = _("site need")
        constraints = [models.UniqueConstraint(fields=["assessment", "sector"], name="dtm_siteneed_unique_sector")]

    def __str__(self) -> str:
        return f"{self.assessment.site.site_id}: {self.rank}. {self.get_sector_display()} ({self.severity})"


class FlowMonitoringPoint(models.Model):
    """A place where enumerators count people on the move: a border crossing, bus station or stretch of coast."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    operation = models.ForeignKey(
        Operation, null=True, blank=True, on_delete=models.PROTECT, related_name="points", verbose_name=_("operation")
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=24, choices=FlowPointType.choices)
    district = models.ForeignKey(
        "core.AdminArea",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=DISTRICT,
        verbose_name=_("district"),
    )
    province = models.ForeignKey("core.AdminArea", on_delete=models.PROTECT, related_name="+", editable=False)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope = DTM_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("flow monitoring point")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        if self.district_id:
            self.province_id = self.district.parent_id


class FlowCount(models.Model):
    """People counted at a flow-monitoring point on one day, by direction, nationality, sex and age group."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+")
    # Indexed by `dtm_flow_point_day`, which it leads (one index fewer to keep up per count).
    point = models.ForeignKey(FlowMonitoringPoint, on_delete=models.PROTECT, related_name="counts", db_index=False)
    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.PROTECT, related_name="flow_counts")
    counted_on = models.DateField(_("counted on"))
    #: The month of `counted_on` (its first day), kept so the dashboards group by an indexed column.
    month = models.DateField(editable=False)
    #: The point's province, kept so the dashboards group without joining (indexed by `dtm_flow_dashboard`).
    province = models.ForeignKey(
        "core.AdminArea", on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    direction = models.CharField(_("direction"), max_length=16, choices=FlowDirection.choices)
    nationality = models.CharField(_("nationality"), max_length=3, validators=[ISO_ALPHA3])
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    individuals = models.PositiveIntegerField(_("individuals"))
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="flow_counts"
    )

    scope = DTM_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-counted_on", "point", "id"]
        verbose_name = _("flow count")
        indexes = [
            # Covers the dashboards' province × month × nationality sums, in their order (no sort), for any
            # set of offices: the scan reads the index alone (SQLite: 1.8 s → 0.4 s over 800,000 counts).
            models.Index(
                fields=["province", "month", "nationality", "office", "individuals"], name="dtm_flow_dashboard"
            ),
            models.Index(fields=["point", "counted_on"], name="dtm_flow_point_day"),
        ]

    def __str__(self) -> str:
        return f"{self.point.code} {self.counted_on} {self.nationality} {self.sex} {self.age_group}: {self.individuals}"

    def clean(self):
        if self.counted_on:
            self.month = first_of_month(self.counted_on)
        if self.point_id:
            self.province_id = self.point.province_id
            self.office_id = self.office_id or self.point.office_id


def _or_zero(name: str) -> Coalesce:
    return Coalesce(name, Value(0), output_field=models.IntegerField())


#: The cell of a `FlowMonthly` row; the services' upsert names the same expressions as its conflict target.
FLOW_MONTHLY_CELL = (
    F("breakdown"),
    F("office"),
    _or_zero("operation"),
    _or_zero("round"),
    F("month"),
    F("province"),
    _or_zero("district"),
    F("nationality"),
    F("sex"),
    F("age_group"),
)


class FlowMonthly(models.Model):
    """Flow counts summed by month for the dashboards, in three breakdowns (by nationality, by district, by sex
    and age group), each per office, operation, round and province.

    A rollup of `FlowCount`, kept in step by the services that write and retire counts, in the same
    transaction; `liman dtm-rollup` rebuilds it from the counts (after a bulk load) and checks it. An
    operation's dashboard reads a few thousand of these instead of grouping every count of the operation
    (benchmarks/dtm_aggregate.py). Fields outside a row's breakdown are blank (or null).
    """

    breakdown = models.CharField(max_length=12, choices=FlowBreakdown.choices)
    # No index of their own: the cell's unique index and the two below serve every read (fewer indexes to
    # keep up on the phones' path).
    office = models.ForeignKey("core.Office", on_delete=models.CASCADE, related_name="+", db_index=False)
    #: The point's operation and the count's round when the counts were written.
    operation = models.ForeignKey(
        Operation, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    province = models.ForeignKey("core.AdminArea", on_delete=models.CASCADE, related_name="+", db_index=False)
    district = models.ForeignKey(
        "core.AdminArea", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    nationality = models.CharField(max_length=3, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    age_group = models.CharField(max_length=8, blank=True)
    individuals = models.IntegerField(default=0)
    #: How many counts the cell sums: a cell whose counts were all retired is removed.
    records = models.IntegerField(default=0)

    scope = DTM_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["breakdown", "month", "province"]
        verbose_name = _("monthly flow figure")
        constraints = [models.UniqueConstraint(*FLOW_MONTHLY_CELL, name="dtm_flowmonthly_cell")]
        # The sums are in no index, so that adding to a cell rewrites no index entry (a HOT update in PostgreSQL).
        indexes = [
            # The province × month × nationality aggregate, in its group order.
            models.Index(
                fields=["breakdown", "province", "month", "nationality", "office"], name="dtm_flowmonthly_main"
            ),
            # An operation's dashboard.
            models.Index(fields=["operation", "breakdown", "month"], name="dtm_flowmonthly_operation"),
        ]

    def __str__(self) -> str:
        return f"{self.breakdown} {self.month:%Y-%m} {self.province_id}: {self.individuals}"


class PresenceFigure(models.Model):
    """Migrants present in a province in a month, by population group and nationality, as a source published it."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+")
    operation = models.ForeignKey(
        Operation, null=True, blank=True, on_delete=models.PROTECT, related_name="presence_figures"
    )
    period = models.DateField(_("month"), help_text=_("The first day of the month the figure is for."))
    province = models.ForeignKey(
        "core.AdminArea",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=PROVINCE,
        verbose_name=_("province"),
    )
    population_group = models.CharField(_("population group"), max_length=32, choices=PopulationGroup.choices)
    nationality = models.CharField(_("nationality"), max_length=3, validators=[ISO_ALPHA3])
    source = models.CharField(_("source"), max_length=16, choices=FigureSource.choices)
    individuals = models.PositiveIntegerField(_("individuals"))
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="presence_figures"
    )

    scope = DTM_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "province", "population_group", "nationality"]
        verbose_name = _("presence figure")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "province", "population_group", "nationality", "source"],
                name="dtm_presence_unique_cell",
            )
        ]
        indexes = [
            models.Index(
                fields=["province", "period", "nationality", "office", "individuals"], name="dtm_presence_dashboard"
            ),
            # An operation's dashboard: its months, then the latest month by province and by nationality.
            models.Index(
                fields=["operation", "period", "province", "nationality", "population_group", "office", "individuals"],
                name="dtm_presence_operation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.province_id} {self.population_group} {self.nationality}: {self.individuals}"

    def clean(self):
        if self.period:
            self.period = first_of_month(self.period)


class InterceptionCount(models.Model):
    """People apprehended or rescued in a month, by route, authority, nationality, sex and age group."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+")
    operation = models.ForeignKey(
        Operation, null=True, blank=True, on_delete=models.PROTECT, related_name="interceptions"
    )
    period = models.DateField(_("month"))
    kind = models.CharField(_("kind"), max_length=16, choices=InterceptionKind.choices)
    route = models.CharField(_("route"), max_length=16, choices=Route.choices)
    authority = models.CharField(_("authority"), max_length=16, choices=Authority.choices)
    province = models.ForeignKey(
        "core.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+", limit_choices_to=PROVINCE
    )
    nationality = models.CharField(_("nationality"), max_length=3, validators=[ISO_ALPHA3])
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    individuals = models.PositiveIntegerField(_("individuals"))

    scope = DTM_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "route", "nationality"]
        verbose_name = _("apprehension or rescue count")

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.kind} {self.route} {self.nationality}: {self.individuals}"

    def clean(self):
        if self.period:
            self.period = first_of_month(self.period)


class DatasetRecord(models.Model):
    """One submission of a form bound to a generic dataset, reduced to the mapped columns."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+")
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="dataset_records")
    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="dataset_record")
    collected_on = models.DateField(_("collected on"), null=True, blank=True)
    province = models.ForeignKey("core.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    values = models.JSONField(_("values"), default=dict)

    scope = DTM_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["form", "-collected_on", "id"]
        verbose_name = _("dataset record")

    def __str__(self) -> str:
        return f"{self.form.form_id} #{self.pk}"
