"""Cash programmes, their versioned rules, targeting runs, enrolments, payment cycles and payments.

A rule version is never changed: a new one is added. A payment keeps the version it was computed with. A cycle's
list is frozen once approved by a second person: the payments' snapshots and the list's hash are written then, and
the services refuse any change to a frozen list (`FROZEN_STATES`); the hash shows any change made behind them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.fields import EncryptedTextField

from .choices import CycleState, EnrolmentEnd, PaymentStatus, PdmReceived
from .permissions import CASH_READ_ROLES

PROGRAMME_SCOPE = Scope(office="offices", roles=CASH_READ_ROLES, through_many=True)


class CashProgramme(models.Model):
    """A cash programme (multipurpose cash for vulnerable households …), run in one or more offices."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=160)
    currency = models.CharField(_("currency"), max_length=3, default="TRY")
    offices = models.ManyToManyField("core.Office", related_name="cash_programmes", verbose_name=_("offices"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = PROGRAMME_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("cash programme")

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def current_rules(self) -> RuleVersion | None:
        return self.rule_versions.order_by("-number").first()


class RuleVersion(models.Model):
    """One version of a programme's eligibility and transfer value rules (see rules.py); never changed."""

    programme = models.ForeignKey(CashProgramme, on_delete=models.PROTECT, related_name="rule_versions")
    number = models.PositiveIntegerField(_("version"))
    eligibility = models.TextField(_("eligibility rule"))
    transfer_value = models.TextField(_("transfer value rule"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = Scope(office="programme__offices", roles=CASH_READ_ROLES, through_many=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "-number"]
        verbose_name = _("rule version")
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="cash_rule_version_once")]

    def __str__(self) -> str:
        return f"{self.programme.code} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("A rule version is never changed: add a new version.")
        super().save(*args, **kwargs)

    def clean(self):
        from .rules import RuleProblem, compile_rule

        errors = {}
        for field, kind in (("eligibility", "eligibility"), ("transfer_value", "transfer_value")):
            try:
                compile_rule(getattr(self, field), kind=kind)
            except RuleProblem as exc:
                errors[field] = str(exc)
        if errors:
            raise ValidationError(errors)


class TargetingRun(models.Model):
    """The rule run over an office's registered households: how many were found eligible, and why each was not."""

    programme = models.ForeignKey(CashProgramme, on_delete=models.PROTECT, related_name="targeting_runs")
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    rules = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("rules"))
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    households = models.PositiveIntegerField(_("households checked"), default=0)
    eligible = models.PositiveIntegerField(_("eligible"), default=0)
    #: The rule's clauses in words, in the order each result's `met` answers them.
    clauses = models.JSONField(_("clauses"), default=list)
    progress = models.ForeignKey(
        "core.TaskProgress", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope = Scope(office="office", roles=CASH_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("targeting run")

    def __str__(self) -> str:
        return f"{self.programme.code} · {self.office.code} · {self.started_at:%Y-%m-%d %H:%M}"


class TargetingResult(models.Model):
    """One household's outcome in a run: eligible or not, the amount, and each clause of the rule met or not."""

    run = models.ForeignKey(TargetingRun, on_delete=models.CASCADE, related_name="results")
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    eligible = models.BooleanField(_("eligible"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, default=0)
    #: For each of the run's clauses, whether the household met it.
    met = models.JSONField(_("clauses met"), default=list)

    scope = Scope(office="run__office", roles=CASH_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["run", "-eligible", "household_id"]
        verbose_name = _("targeting result")
        constraints = [models.UniqueConstraint(fields=["run", "household"], name="cash_result_once_per_run")]

    def __str__(self) -> str:
        return f"{self.household_id}: {'eligible' if self.eligible else 'not eligible'}"

    @property
    def reasons(self) -> list[tuple[str, bool]]:
        """(clause in words, met?) for each clause of the run's rule."""
        return list(zip(self.run.clauses, self.met, strict=False))


class Enrolment(models.Model):
    """A household enrolled in a programme (from a targeting run), until it ends with a reason."""

    programme = models.ForeignKey(CashProgramme, on_delete=models.PROTECT, related_name="enrolments")
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="cash_enrolments")
    rules = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("transfer value"), max_digits=12, decimal_places=2)
    enrolled_on = models.DateField(_("enrolled on"), default=timezone.localdate)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=16, choices=EnrolmentEnd.choices, blank=True)

    scope = Scope(office="office", roles=CASH_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "household_id"]
        verbose_name = _("enrolment")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "household"], condition=Q(ended_on__isnull=True), name="cash_enrolment_active_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} · {self.household_id}"


class PaymentCycle(models.Model):
    """One round of payments of a programme in one office: draft → verified → approved (frozen) → sent → reconciled
    → closed. The approver is never the preparer."""

    programme = models.ForeignKey(CashProgramme, on_delete=models.PROTECT, related_name="cycles")
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    reference = models.CharField(_("reference"), max_length=48, unique=True, editable=False)
    number = models.PositiveIntegerField(_("cycle"))
    state = models.CharField(_("state"), max_length=16, choices=CycleState.choices, default=CycleState.DRAFT)
    provider = models.CharField(_("payment provider"), max_length=32)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    list_hash = models.CharField(_("hash of the approved list"), max_length=64, blank=True)
    households = models.PositiveIntegerField(_("households"), default=0)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)

    scope = Scope(office="office", roles=CASH_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment cycle")
        constraints = [models.UniqueConstraint(fields=["programme", "office", "number"], name="cash_cycle_number")]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_state_display()}"

    @property
    def workflow(self):
        from .workflows import CYCLE_WORKFLOW

        return CYCLE_WORKFLOW


class Payment(models.Model):
    """One household's payment in a cycle (one per household per cycle), with the rule version it was computed
    with, the snapshot frozen at approval (sealed), and the provider's outcome."""

    cycle = models.ForeignKey(PaymentCycle, on_delete=models.PROTECT, related_name="payments")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="cash_payments")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="payments")
    rules = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.LISTED)
    hold_reason = models.CharField(_("why it is held"), max_length=300, blank=True)
    # Frozen at approval: who is paid, as the provider will see them (name, foreigner ID, phone), sealed.
    snapshot = EncryptedTextField(_("snapshot"), blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    transaction_id = models.CharField(_("provider transaction"), max_length=64, blank=True)
    reported_amount = models.DecimalField(
        _("amount reported by the provider"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    scope = Scope(office="cycle__office", roles=CASH_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["cycle", "household_id"]
        verbose_name = _("payment")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "household"], name="cash_payment_once_per_cycle"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="cash_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.cycle.reference} · {self.household_id}: {self.amount} {self.currency}"


class PdmSample(models.Model):
    """The post-distribution monitoring sample of a paid cycle: households drawn at random among those paid, in a
    number chosen by the officer, reproducibly (the seed is kept: the same seed over the same paid list draws the same
    households), in proportion to each district's share of the paid households when stratified."""

    cycle = models.OneToOneField(PaymentCycle, on_delete=models.PROTECT, related_name="pdm_sample")
    size = models.PositiveIntegerField(_("households asked for"))
    seed = models.PositiveBigIntegerField(_("seed of the draw"))
    stratified = models.BooleanField(_("stratified by district"), default=True)
    paid = models.PositiveIntegerField(_("households paid when drawn"), default=0)
    drawn_at = models.DateTimeField(default=timezone.now, editable=False)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = Scope(office="cycle__office", roles=CASH_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-drawn_at", "-id"]
        verbose_name = _("monitoring sample")

    def __str__(self) -> str:
        return f"PDM {self.cycle.reference}"


class PdmVisit(models.Model):
    """One household of a monitoring sample and, once asked (the form `liman_cash_pdm`), its answers: received in
    full or not and how much, what the money went on, problems met, whether they felt safe, whether they
    complained."""

    sample = models.ForeignKey(PdmSample, on_delete=models.PROTECT, related_name="visits")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="pdm_visit")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    #: The district p-code the household was drawn in (its stratum).
    stratum = models.CharField(_("stratum"), max_length=16, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    interviewed_on = models.DateField(_("interviewed on"), null=True, blank=True)
    received = models.CharField(_("received"), max_length=8, choices=PdmReceived.choices, blank=True)
    amount_received = models.DecimalField(_("amount received"), max_digits=12, decimal_places=2, null=True, blank=True)
    spent_on = models.JSONField(_("spent on"), default=list, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    felt_safe = models.BooleanField(_("felt safe"), null=True, blank=True)
    complaint_made = models.BooleanField(_("complaint made"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    submission = models.ForeignKey("dtm.Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    scope = Scope(office="sample__cycle__office", roles=CASH_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["sample", "household_id"]
        verbose_name = _("monitoring visit")

    def __str__(self) -> str:
        return f"PDM {self.sample.cycle.reference} · {self.household_id}"
