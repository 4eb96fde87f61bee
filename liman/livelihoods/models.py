"""Small-business (MSME) grants: a call for applications with its scoring criteria and panel; applications from
businesses (the owner registered or a light record; sector, employees by nationality and sex, registration, a
checked tax number); each panel member's scores and declared conflicts of interest; the committee's decision (never
by whoever prepared the application); the grant agreement with tranches paid against milestones; monitoring visits
with the jobs created and retained."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.cash.choices import PaymentStatus
from liman.core.access import Scope, ScopedQuerySet

from .choices import (
    ApplicationState,
    PermitKind,
    PermitState,
    ReferralStatus,
    Registration,
    Sector,
    TaxKind,
    TrancheStatus,
)
from .rules import tax_number_problem


class GrantCall(models.Model):
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    opens_on = models.DateField(_("opens"))
    closes_on = models.DateField(_("closes"))
    max_amount = models.DecimalField(_("largest grant"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="TRY")
    donor_project = models.CharField(_("donor project"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_on", "-id"]
        verbose_name = _("call for applications")
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="grantcall_closes_after")
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.title}"

    def clean(self):
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            raise ValidationError({"closes_on": _("A call closes on or after the day it opens.")})
        if self.max_amount is not None and self.max_amount <= 0:
            raise ValidationError({"max_amount": _("The largest grant is more than zero.")})


class Criterion(models.Model):
    """One scoring criterion of a call, with its weight (the weights of a call add up to 100)."""

    call = models.ForeignKey(GrantCall, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("criterion"), max_length=200)
    weight = models.PositiveSmallIntegerField(_("weight (%)"))
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=10)

    scope = Scope(office="call__office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["call", "id"]
        verbose_name = _("scoring criterion")
        constraints = [models.UniqueConstraint(fields=["call", "name"], name="grant_criterion_once")]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight} %)"

    def clean(self):
        if not self.weight or self.weight > 100:
            raise ValidationError({"weight": _("A weight is from 1 to 100 %.")})
        if not self.max_score:
            raise ValidationError({"max_score": _("The highest score is at least 1.")})


class PanelMember(models.Model):
    call = models.ForeignKey(GrantCall, on_delete=models.CASCADE, related_name="panel")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope = Scope(office="call__office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["call", "member__username"]
        verbose_name = _("panel member")
        constraints = [models.UniqueConstraint(fields=["call", "member"], name="grant_panel_member_once")]

    def __str__(self) -> str:
        return f"{self.call.reference} · {self.member}"


class GrantApplication(models.Model):
    call = models.ForeignKey(GrantCall, on_delete=models.PROTECT, related_name="applications")
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", editable=False)
    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    business_name = models.CharField(_("business"), max_length=200)
    owner = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("owner (registered)"),
    )  # fmt: skip
    owner_name = models.CharField(_("owner"), max_length=200)
    owner_sex = models.CharField(_("owner's sex"), max_length=1, choices=[("M", _("Male")), ("F", _("Female"))])
    owner_nationality = models.CharField(_("owner's nationality"), max_length=3)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    registration = models.CharField(_("registration"), max_length=16, choices=Registration.choices)
    tax_kind = models.CharField(_("tax number kind"), max_length=4, choices=TaxKind.choices, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=11, blank=True)
    employees_syrian_f = models.PositiveSmallIntegerField(_("Syrian women employed"), default=0)
    employees_syrian_m = models.PositiveSmallIntegerField(_("Syrian men employed"), default=0)
    employees_other_f = models.PositiveSmallIntegerField(_("other foreign women employed"), default=0)
    employees_other_m = models.PositiveSmallIntegerField(_("other foreign men employed"), default=0)
    employees_turkish_f = models.PositiveSmallIntegerField(_("Turkish women employed"), default=0)
    employees_turkish_m = models.PositiveSmallIntegerField(_("Turkish men employed"), default=0)
    requested_amount = models.DecimalField(_("amount requested"), max_digits=12, decimal_places=2)
    plan = models.TextField(_("business plan"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ApplicationState.choices, default=ApplicationState.SUBMITTED, db_index=True
    )
    #: The weighted score of the panel (0–100), set when scoring closes.
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True, editable=False)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("prepared by"),
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("decided by"), editable=False,
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    submitted_on = models.DateField(_("submitted"), default=timezone.localdate)

    scope = Scope(office="office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_on", "-id"]
        verbose_name = _("grant application")
        constraints = [
            models.CheckConstraint(condition=Q(requested_amount__gt=0), name="grantapplication_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.business_name}"

    @property
    def workflow(self):
        from .workflows import APPLICATION_WORKFLOW

        return APPLICATION_WORKFLOW

    @property
    def employees(self) -> int:
        return sum(
            getattr(self, f"employees_{group}_{sex}") for group in ("syrian", "other", "turkish") for sex in "fm"
        )

    def clean(self):
        errors = {}
        if self.registration == Registration.FORMAL and not self.tax_number:
            errors["tax_number"] = _("A registered business gives its tax number.")
        if self.tax_number:
            if not self.tax_kind:
                errors["tax_kind"] = _("Say whether the tax number is a company's (VKN) or a sole proprietor's.")
            else:
                problem = tax_number_problem(self.tax_number, self.tax_kind)
                if problem:
                    errors["tax_number"] = problem
        if self.call_id and self.requested_amount and self.requested_amount > self.call.max_amount:
            errors["requested_amount"] = _("The call gives at most %(amount)s %(currency)s.") % {
                "amount": self.call.max_amount, "currency": self.call.currency}  # fmt: skip
        if not (self.owner_name or "").strip():
            errors["owner_name"] = _("Name the business owner.")
        if errors:
            raise ValidationError(errors)


class ConflictDeclaration(models.Model):
    """A panel member's declared conflict of interest with one application: they do not score it."""

    application = models.ForeignKey(GrantApplication, on_delete=models.CASCADE, related_name="conflicts")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("what the conflict is"), max_length=300)
    declared_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="application__office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["application", "declared_at"]
        verbose_name = _("conflict of interest")
        constraints = [models.UniqueConstraint(fields=["application", "member"], name="grant_conflict_once")]

    def __str__(self) -> str:
        return f"{self.application.reference} · {self.member}"


class Score(models.Model):
    """One panel member's score of one application on one criterion."""

    application = models.ForeignKey(GrantApplication, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(_("score"))
    scored_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="application__office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["application", "member", "criterion"]
        verbose_name = _("score")
        constraints = [
            models.UniqueConstraint(fields=["application", "criterion", "member"], name="grant_score_once"),
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} · {self.criterion.name} · {self.value}"

    def clean(self):
        if self.criterion_id and self.value is not None and self.value > self.criterion.max_score:
            raise ValidationError({"value": _("“%(criterion)s” is scored from 0 to %(max)d.") % {
                "criterion": self.criterion.name, "max": self.criterion.max_score}})  # fmt: skip


class GrantAgreement(models.Model):
    application = models.OneToOneField(GrantApplication, on_delete=models.PROTECT, related_name="agreement")
    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    amount = models.DecimalField(_("grant"), max_digits=12, decimal_places=2)
    signed_on = models.DateField(_("signed"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = Scope(office="application__office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("grant agreement")

    def __str__(self) -> str:
        return f"{self.reference} · {self.application.business_name}"

    @property
    def paid(self) -> Decimal:
        return sum((t.amount for t in self.tranches.all() if t.status == TrancheStatus.PAID), Decimal(0))


class Tranche(models.Model):
    """A part of the grant, paid once its milestone is met: through the cash part's payment providers (a signed
    payment file, reconciled from the provider's report) or, for a programme without cash, recorded by hand."""

    agreement = models.ForeignKey(GrantAgreement, on_delete=models.CASCADE, related_name="tranches")
    number = models.PositiveSmallIntegerField(_("tranche"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    milestone = models.CharField(_("milestone"), max_length=300)
    status = models.CharField(
        _("status"), max_length=8, choices=TrancheStatus.choices, default=TrancheStatus.PLANNED, db_index=True
    )
    milestone_met_on = models.DateField(_("milestone met"), null=True, blank=True)
    milestone_evidence = models.CharField(_("evidence"), max_length=300, blank=True)
    paid_on = models.DateField(_("paid"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)
    #: Paid through the cash part: the payment provider (a `liman.cash.providers` code) the tranche is sent to, who
    #: approved it (never who recorded the milestone), the provider's outcome from its report and its transaction.
    #: Empty provider: the payment is recorded by hand (a programme without cash).
    provider = models.CharField(_("payment provider"), max_length=32, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("payment approved by"),
    )  # fmt: skip
    payment_status = models.CharField(_("payment's state"), max_length=16, choices=PaymentStatus.choices, blank=True)
    transaction_id = models.CharField(_("provider transaction"), max_length=64, blank=True)

    scope = Scope(office="agreement__application__office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "number"]
        verbose_name = _("tranche")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="grant_tranche_number_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="grant_tranche_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.reference} · {self.number}"


class MonitoringVisit(models.Model):
    agreement = models.ForeignKey(GrantAgreement, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("visited"))
    jobs_created = models.PositiveSmallIntegerField(_("jobs created"), default=0)
    jobs_retained = models.PositiveSmallIntegerField(_("jobs retained"), default=0)
    still_operating = models.BooleanField(_("business operating"), default=True)
    note = models.TextField(_("what was seen"), blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: Jobs created and retained by nationality group and sex ({"created": {"syrian_f": 2, …}, "retained": {…}};
    #: keys from `choices.JOB_GROUPS`), when the visit counted them so (the shipped form does).
    jobs_by_group = models.JSONField(_("jobs by nationality and sex"), default=dict, blank=True)
    #: The photo of the milestone's evidence: an attachment of the submission that recorded the visit.
    evidence_photo = models.CharField(_("evidence photo"), max_length=255, blank=True)
    submission = models.ForeignKey(
        "dtm.Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    scope = Scope(office="agreement__application__office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "-visited_on"]
        verbose_name = _("monitoring visit")

    def __str__(self) -> str:
        return f"{self.agreement.reference} · {self.visited_on}"

    @property
    def jobs_breakdown(self) -> list[tuple[str, int, int]]:
        """(group, created, retained) for each nationality group and sex the visit counted."""
        from .choices import JOB_GROUPS

        if not self.jobs_by_group:
            return []
        names = {"syrian": _("Syrian"), "other": _("other foreign"), "turkish": _("Turkish")}
        sexes = {"f": _("women"), "m": _("men")}
        rows = []
        for key in JOB_GROUPS:
            group, sex = key.rsplit("_", 1)
            created = self.jobs_by_group.get("created", {}).get(key, 0)
            retained = self.jobs_by_group.get("retained", {}).get(key, 0)
            if created or retained:
                rows.append((f"{names[group]} {sexes[sex]}", created, retained))
        return rows


# --- employment ---------------------------------------------------------------------------------------------------


class Employer(models.Model):
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    name = models.CharField(_("employer"), max_length=200)
    tax_number = models.CharField(_("tax number (VKN)"), max_length=10, blank=True)
    province = models.ForeignKey(
        "core.AdminArea", on_delete=models.PROTECT, related_name="+", limit_choices_to={"level": 1},
        verbose_name=_("province of the workplace"),
    )  # fmt: skip
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    turkish_employees = models.PositiveIntegerField(_("Turkish citizens employed"), default=0)
    #: İŞKUR found no Turkish citizen for the job: the 10 % quota does not apply.
    quota_exception = models.BooleanField(_("İŞKUR quota exception"), default=False)

    scope = Scope(office="office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("employer")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.tax_number:
            problem = tax_number_problem(self.tax_number, TaxKind.COMPANY)
            if problem:
                raise ValidationError({"tax_number": problem})


class JobSeeker(models.Model):
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", editable=False)
    person = models.OneToOneField("registry.Person", on_delete=models.PROTECT, related_name="job_seeker")
    skills = models.CharField(_("skills"), max_length=300)
    languages = models.CharField(_("languages"), max_length=100, blank=True, help_text=_("e.g. ar, tr (B1), en"))
    registered_on = models.DateField(_("registered"), default=timezone.localdate)

    scope = Scope(office="office", sensitivity="person__sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_on", "-id"]
        verbose_name = _("job seeker")

    def __str__(self) -> str:
        return f"{self.person} · {self.skills[:40]}"


class Vacancy(models.Model):
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="vacancies")
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", editable=False)
    title = models.CharField(_("job"), max_length=200)
    positions = models.PositiveSmallIntegerField(_("positions"), default=1)
    monthly_wage = models.DecimalField(_("monthly wage"), max_digits=10, decimal_places=2)
    seasonal_agriculture = models.BooleanField(_("seasonal agriculture or livestock"), default=False)
    opened_on = models.DateField(_("opened"), default=timezone.localdate)

    scope = Scope(office="office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("vacancy")
        verbose_name_plural = _("vacancies")

    def __str__(self) -> str:
        return f"{self.title} · {self.employer}"


class Referral(models.Model):
    seeker = models.ForeignKey(JobSeeker, on_delete=models.PROTECT, related_name="referrals")
    vacancy = models.ForeignKey(Vacancy, on_delete=models.PROTECT, related_name="referrals")
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", editable=False)
    referred_on = models.DateField(_("referred"), default=timezone.localdate)
    status = models.CharField(
        _("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.REFERRED
    )

    scope = Scope(office="office", sensitivity="seeker__person__sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-referred_on", "-id"]
        verbose_name = _("job referral")
        constraints = [models.UniqueConstraint(fields=["seeker", "vacancy"], name="job_referral_once")]

    def __str__(self) -> str:
        return f"{self.seeker.person} → {self.vacancy}"


class Placement(models.Model):
    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="placement")
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", editable=False)
    started_on = models.DateField(_("started"))
    monthly_wage = models.DecimalField(_("monthly wage"), max_digits=10, decimal_places=2)

    scope = Scope(office="office", sensitivity="referral__seeker__person__sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("placement")

    def __str__(self) -> str:
        return f"{self.referral} · {self.started_on}"


class PlacementFollowUp(models.Model):
    """The 3- and 6-month checks of a placement: still employed or not."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="follow_ups")
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", editable=False)
    months = models.PositiveSmallIntegerField(_("after months"))
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done"), null=True, blank=True)
    still_employed = models.BooleanField(_("still employed"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope = Scope(office="office", sensitivity="placement__referral__seeker__person__sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("placement follow-up")
        constraints = [models.UniqueConstraint(fields=["placement", "months"], name="placement_follow_up_once")]

    def __str__(self) -> str:
        return f"{self.placement} · {self.months} months"


class WorkPermitApplication(models.Model):
    """A work permit (or the seasonal-agriculture exemption) the employer applies for, supported by the mission."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", editable=False)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="permits")
    placement = models.OneToOneField(Placement, null=True, blank=True, on_delete=models.PROTECT, related_name="permit")
    kind = models.CharField(_("kind"), max_length=20, choices=PermitKind.choices, default=PermitKind.PERMIT)
    state = models.CharField(_("state"), max_length=16, choices=PermitState.choices, default=PermitState.PREPARED)
    monthly_wage = models.DecimalField(_("monthly wage"), max_digits=10, decimal_places=2)
    submitted_on = models.DateField(_("submitted"), null=True, blank=True)
    decided_on = models.DateField(_("decided"), null=True, blank=True)
    decision_reference = models.CharField(_("decision reference"), max_length=60, blank=True)

    scope = Scope(office="office", sensitivity="person__sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("work-permit application")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.person} · {self.employer}"
