"""Donors, projects and their results frameworks; the 3RP mapping of measures; submitted (locked) 4W months.

A computed indicator names a measure (liman.core.measures) and an optional filter; its figures are computed from the
operations, never typed. A submitted 4W month stores its rows (`FourWRow`): later edits to the records it counted
show as adjustments in the next open month and never change what was submitted.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.measures import Unit

from .choices import Disaggregation, IndicatorKind, Sector
from .permissions import REPORTING_READ_ROLES

PROJECT_SCOPE = Scope(office="offices", roles=REPORTING_READ_ROLES, through_many=True)


class Donor(models.Model):
    """A government or institution that funds projects (the seed's: Australia, Canada, the EU …)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=160, unique=True)

    unscoped_because = "the list of donors is the same for every office"

    class Meta:
        ordering = ["name"]
        verbose_name = _("donor")

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """A donor grant: its code, dates, budget, the offices that implement it and the 3RP sectors it reports to."""

    grant_code = models.CharField(_("grant code"), max_length=48, unique=True)
    title = models.CharField(_("title"), max_length=200)
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="projects", verbose_name=_("donor"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    offices = models.ManyToManyField("core.Office", related_name="+", verbose_name=_("offices"))
    programmes = models.ManyToManyField("core.Programme", related_name="+", blank=True, verbose_name=_("programmes"))
    sectors = models.JSONField(_("3RP sectors"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = PROJECT_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "grant_code"]
        verbose_name = _("project")

    def __str__(self) -> str:
        return f"{self.grant_code} · {self.title}"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A project ends on or after the day it starts.")})
        if self.budget is not None and self.budget < 0:
            raise ValidationError({"budget": _("A budget is not negative.")})
        unknown = [sector for sector in self.sectors or [] if sector not in Sector.values]
        if unknown:
            raise ValidationError({"sectors": _("Not a 3RP sector: %(s)s.") % {"s": ", ".join(map(str, unknown))}})
        self.currency = (self.currency or "").upper()


class Outcome(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="outcomes")
    code = models.CharField(_("code"), max_length=16)
    title = models.CharField(_("outcome"), max_length=300)

    scope = Scope(office="project__offices", roles=REPORTING_READ_ROLES, through_many=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "code"]
        verbose_name = _("outcome")
        constraints = [models.UniqueConstraint(fields=["project", "code"], name="reporting_outcome_code_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Output(models.Model):
    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="outputs")
    code = models.CharField(_("code"), max_length=16)
    title = models.CharField(_("output"), max_length=300)

    scope = Scope(office="outcome__project__offices", roles=REPORTING_READ_ROLES, through_many=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["outcome", "code"]
        verbose_name = _("output")
        constraints = [models.UniqueConstraint(fields=["outcome", "code"], name="reporting_output_code_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Indicator(models.Model):
    """What an output is measured by: computed from a measure (with an optional filter) or entered by hand."""

    output = models.ForeignKey(Output, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("code"), max_length=16)
    title = models.CharField(_("indicator"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=IndicatorKind.choices, default=IndicatorKind.COMPUTED)
    unit = models.CharField(
        _("unit"),
        max_length=16,
        choices=Unit.choices,
        blank=True,
        help_text=_("A computed indicator takes its measure's."),
    )
    measure_key = models.CharField(_("measure"), max_length=80, blank=True)
    #: Narrows the measure's rows: {"population_groups": [...], "provinces": [p-codes], "with_disability": true}.
    measure_filter = models.JSONField(_("filter"), default=dict, blank=True)
    baseline = models.PositiveIntegerField(_("baseline"), default=0)
    disaggregations = models.JSONField(_("required disaggregations"), default=list, blank=True)

    scope = Scope(office="output__outcome__project__offices", roles=REPORTING_READ_ROLES, through_many=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["output", "code"]
        verbose_name = _("indicator")
        constraints = [models.UniqueConstraint(fields=["output", "code"], name="reporting_indicator_code_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self):
        from liman.core.measures import MEASURES

        if self.kind == IndicatorKind.COMPUTED:
            if self.measure_key not in MEASURES:
                raise ValidationError({"measure_key": _("Choose one of the measures the apps offer.")})
            self.unit = MEASURES[self.measure_key].unit
        elif self.measure_key:
            raise ValidationError({"measure_key": _("An indicator entered by hand names no measure.")})
        elif not self.unit:
            raise ValidationError({"unit": _("Say what the indicator counts (people, households, records).")})
        unknown = set(self.measure_filter or {}) - FILTER_KEYS
        if unknown:
            raise ValidationError(
                {"measure_filter": _("Unknown filter: %(k)s (use %(ok)s).")
                 % {"k": ", ".join(sorted(unknown)), "ok": ", ".join(sorted(FILTER_KEYS))}}
            )  # fmt: skip
        wrong = [d for d in self.disaggregations or [] if d not in Disaggregation.values]
        if wrong:
            raise ValidationError({"disaggregations": _("Unknown disaggregation: %(d)s.") % {"d": ", ".join(wrong)}})


FILTER_KEYS = frozenset({"population_groups", "provinces", "with_disability", "age_sex"})


class IndicatorTarget(models.Model):
    """The target of an indicator for one period (a year, a quarter, the life of the project)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), help_text=_("The last day of the period."))
    value = models.PositiveIntegerField(_("target"))

    scope = Scope(office="indicator__output__outcome__project__offices", roles=REPORTING_READ_ROLES, through_many=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["indicator", "starts_on"]
        verbose_name = _("indicator target")

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.starts_on}–{self.ends_on}: {self.value}"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A period ends on or after the day it starts.")})


class ManualValue(models.Model):
    """A figure entered by hand for an indicator of that kind, for one period, with its evidence."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="manual_values")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    value = models.PositiveIntegerField(_("value"))
    evidence = models.CharField(_("evidence"), max_length=500)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="indicator__output__outcome__project__offices", roles=REPORTING_READ_ROLES, through_many=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["indicator", "starts_on"]
        verbose_name = _("value entered by hand")

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.starts_on}–{self.ends_on}: {self.value}"

    def clean(self):
        if not (self.evidence or "").strip():
            raise ValidationError({"evidence": _("Say where the figure comes from (a report, an attendance list).")})
        if self.indicator_id and self.indicator.kind != IndicatorKind.MANUAL:
            raise ValidationError({"indicator": _("This indicator is computed from the operations.")})
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A period ends on or after the day it starts.")})


class ThreeRPMapping(models.Model):
    """How a measure is reported in the 3RP 4W: its sector, indicator code and text, and the activity."""

    measure_key = models.CharField(_("measure"), max_length=80, unique=True)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices)
    indicator_code = models.CharField(_("3RP indicator code"), max_length=32)
    indicator = models.CharField(_("3RP indicator"), max_length=300)
    activity = models.CharField(_("activity"), max_length=300)

    unscoped_because = "the mapping of measures to 3RP indicators is the mission's, the same for every office"

    class Meta:
        ordering = ["sector", "indicator_code"]
        verbose_name = _("3RP mapping")

    def __str__(self) -> str:
        return f"{self.sector} {self.indicator_code}"

    def clean(self):
        from liman.core.measures import MEASURES

        if self.measure_key not in MEASURES:
            raise ValidationError({"measure_key": _("Choose one of the measures the apps offer.")})


class FourWSubmission(models.Model):
    """One office's 4W of one month, reviewed and submitted: the month is locked for that office and its rows are
    stored in `FourWRow`."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, editable=False)
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope = Scope(office="office", roles=REPORTING_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "office"]
        verbose_name = _("submitted 4W month")
        constraints = [models.UniqueConstraint(fields=["office", "month"], name="reporting_fourw_month_once")]

    def __str__(self) -> str:
        return f"{self.office.code} {self.month:%Y-%m}"

    def clean(self):
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("A month is given by its first day.")})


class FourWRow(models.Model):
    """A stored row of a submitted month: new people in the month by sex and age, or (with `adjustment_for`) the
    change to an earlier submitted month found since, reported in this one."""

    submission = models.ForeignKey(FourWSubmission, on_delete=models.PROTECT, related_name="rows")
    measure_key = models.CharField(max_length=80)
    sector = models.CharField(_("sector"), max_length=32)
    indicator_code = models.CharField(_("3RP indicator code"), max_length=32)
    indicator = models.CharField(_("3RP indicator"), max_length=300)
    activity = models.CharField(_("activity"), max_length=300)
    district_pcode = models.CharField(_("district p-code"), max_length=12, blank=True)
    province_pcode = models.CharField(_("province p-code"), max_length=12)
    population_group = models.CharField(_("population group"), max_length=40)
    girls = models.IntegerField(default=0)
    boys = models.IntegerField(default=0)
    women = models.IntegerField(default=0)
    men = models.IntegerField(default=0)
    with_disability = models.IntegerField(default=0)
    adjustment_for = models.DateField(_("adjusts the month of"), null=True, blank=True)

    scope = Scope(office="submission__office", roles=REPORTING_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["submission", "sector", "indicator_code", "province_pcode", "district_pcode", "id"]
        verbose_name = _("4W row")

    def __str__(self) -> str:
        return f"{self.indicator_code} {self.district_pcode or self.province_pcode} {self.population_group}"

    @property
    def total(self) -> int:
        return self.girls + self.boys + self.women + self.men


# --- project tagging ------------------------------------------------------------------------------------------


class ProjectDefault(models.Model):
    """The project an office's new records of a programme belong to (tagged when they are created)."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    programme = models.ForeignKey(
        "core.Programme", on_delete=models.PROTECT, related_name="+", verbose_name=_("programme")
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="defaults", verbose_name=_("project"))
    set_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="office", roles=REPORTING_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["office", "programme"]
        verbose_name = _("default project")
        constraints = [
            models.UniqueConstraint(fields=["office", "programme"], name="reporting_default_once_per_programme")
        ]

    def __str__(self) -> str:
        return f"{self.office.code} × {self.programme.code} → {self.project.grant_code}"


class ProjectTag(models.Model):
    """Which project a record (a distribution, a cash cycle, a case, an activity …) belongs to: its office ×
    programme default when it was created, or a re-tag (audited). One project per record."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="tags", verbose_name=_("project"))
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    retagged = models.BooleanField(_("re-tagged"), default=False)
    tagged_at = models.DateTimeField(_("tagged at"), default=timezone.now)

    scope = Scope(office="office", roles=REPORTING_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-tagged_at", "-id"]
        verbose_name = _("project tag")
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id"], name="reporting_tag_once")]
        indexes = [models.Index(fields=["project", "content_type", "object_id"], name="reporting_tag_project")]

    def __str__(self) -> str:
        return f"{self.reference or self.object_id} → {self.project.grant_code}"


# --- donor reports ----------------------------------------------------------------------------------------------


class DonorReport(models.Model):
    """A report to the donor on a project for a period: narrative and stories edited freely, figures computed; each
    issue (`DonorReportIssue`) freezes the figures and the text as they were sent."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="reports", verbose_name=_("project"))
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), help_text=_("The last day of the period."))
    summary = models.TextField(_("summary"), blank=True)
    achievements = models.TextField(_("achievements"), blank=True)
    challenges = models.TextField(_("challenges and how they were met"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="project__offices", roles=REPORTING_READ_ROLES, through_many=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-ends_on", "project"]
        verbose_name = _("donor report")

    def __str__(self) -> str:
        return f"{self.project.grant_code} {self.starts_on}–{self.ends_on}"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A period ends on or after the day it starts.")})
        if (
            self.project_id
            and self.starts_on
            and self.ends_on
            and (self.starts_on < self.project.starts_on or self.ends_on > self.project.ends_on)
        ):
            raise ValidationError({"starts_on": _("The period lies within the project's dates (%(a)s – %(b)s).")
                                   % {"a": self.project.starts_on, "b": self.project.ends_on}})  # fmt: skip


class BeneficiaryStory(models.Model):
    """A story told in a donor report, with no name, reference, telephone, address or identity number in it."""

    report = models.ForeignKey(DonorReport, on_delete=models.CASCADE, related_name="stories")
    title = models.CharField(_("title"), max_length=160)
    text = models.TextField(_("story"))
    province = models.ForeignKey(
        "core.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level": 1}, verbose_name=_("province"),
    )  # fmt: skip
    consent = models.BooleanField(_("the person agreed to the story being told"), default=False)

    scope = Scope(office="report__project__offices", roles=REPORTING_READ_ROLES, through_many=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["report", "id"]
        verbose_name = _("beneficiary story")

    def __str__(self) -> str:
        return self.title

    def clean(self):
        from .stories import identifying_data

        if not self.consent:
            raise ValidationError({"consent": _("Tell a story only with the person's agreement.")})
        for name in ("title", "text"):
            found = identifying_data(getattr(self, name) or "")
            if found:
                raise ValidationError({name: _("A story carries no identifying data: remove %(what)s.")
                                       % {"what": found}})  # fmt: skip


class DonorReportIssue(models.Model):
    """One issue of a donor report: the figures and the text frozen as they were sent, numbered 1, 2 …; an issue
    after the first lists what changed since the one before."""

    report = models.ForeignKey(DonorReport, on_delete=models.PROTECT, related_name="issues")
    number = models.PositiveIntegerField(_("issue"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: {"indicators": [...], "narrative": {...}, "stories": [...], "period": [...], "project": {...}}
    content = models.JSONField(default=dict, editable=False)
    #: What changed since the issue before: [{"indicator", "field", "before", "after"}].
    changes = models.JSONField(default=list, editable=False)

    scope = Scope(office="report__project__offices", roles=REPORTING_READ_ROLES, through_many=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["report", "-number"]
        verbose_name = _("donor report issue")
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="reporting_issue_number_once")]

    def __str__(self) -> str:
        return f"{self.report} #{self.number}"


# --- stored first reaches (the 4W's "new in the month") -------------------------------------------------------


class FirstReach(models.Model):
    """When a person (a measure's key: a person, a household, a complaint) was first reached in a year by an office,
    and in which district: the 4W's "new in the month" is a GROUP BY over these rows (liman.reporting.reach). The
    person's sex, age, population group and disability are read from the person when the 4W is computed, never
    stored. Derived data: rebuilt by `liman report rebuild-reach`, kept exact from the audit log."""

    measure_key = models.CharField(max_length=80)
    year = models.PositiveSmallIntegerField()
    office = models.ForeignKey("core.Office", on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField()
    #: The person the row describes (the person reached; a household's head: the survivor of a merge), read for
    #: sex, age and group.
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    first_on = models.DateField()
    district_pcode = models.CharField(max_length=12, blank=True)

    unscoped_because = "derived data the 4W reads by office; never listed, exported or served"
    stays_with_alias_because = "derived from the records: a merge's audit events recompute both people's rows"

    class Meta:
        verbose_name = _("first reach")
        constraints = [
            models.UniqueConstraint(fields=["measure_key", "year", "office", "key"], name="reporting_reach_once")
        ]
        indexes = [
            models.Index(fields=["measure_key", "year", "first_on", "office"], name="reporting_reach_month"),
            models.Index(fields=["measure_key", "year", "key", "first_on"], name="reporting_reach_key"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_key} {self.key} {self.first_on}"


class ProjectReach(models.Model):
    """When a person (a measure's key) was first reached through the records tagged with a project, over the
    project's life, by which office and in which district: a project's indicator table (its pages, dashboards) is a
    GROUP BY over these rows instead of a read of every tagged record (liman.reporting.reach). As `FirstReach`, the
    person's attributes are read when the table is computed; derived data, kept exact from the audit log."""

    measure_key = models.CharField(max_length=80)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    office = models.ForeignKey("core.Office", on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField()
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    first_on = models.DateField()
    district_pcode = models.CharField(max_length=12, blank=True)

    unscoped_because = "derived data a project's indicator table reads; never listed, exported or served"
    stays_with_alias_because = "derived from the records: a merge's audit events recompute both people's rows"

    class Meta:
        verbose_name = _("first reach in a project")
        constraints = [
            models.UniqueConstraint(fields=["measure_key", "project", "key"], name="reporting_project_reach_once")
        ]

    def __str__(self) -> str:
        return f"{self.measure_key} {self.project_id} {self.key} {self.first_on}"


class ReachState(models.Model):
    """A measure's stored first reaches for a year (or, with `project`, over a project's life) exist and take into
    account the audit log up to `audit_seq` (unless `stale`)."""

    measure_key = models.CharField(max_length=80)
    #: The year of the 4W's first reaches; 0 for a project's.
    year = models.PositiveSmallIntegerField()
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    audit_seq = models.BigIntegerField(default=0)
    built_at = models.DateTimeField(default=timezone.now)
    #: A write whose people cannot be found (a deletion) made the stored rows unusable: computed from the records
    #: until the rebuild queued with it (or the scheduled catch-up) is done.
    stale = models.BooleanField(default=False)

    unscoped_because = "bookkeeping of derived data, the same for every office"

    class Meta:
        verbose_name = _("stored first reaches")
        constraints = [
            models.UniqueConstraint(
                fields=["measure_key", "year"], condition=models.Q(project__isnull=True),
                name="reporting_reach_state_once",
            ),
            models.UniqueConstraint(
                fields=["measure_key", "project"], condition=models.Q(project__isnull=False),
                name="reporting_reach_state_project_once",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.measure_key} {self.project_id or self.year} @{self.audit_seq}"
