"""Cases (protection, counter-trafficking, AVRR) and what hangs off them: assignments, notes, assessments,
service plans and services delivered, follow-ups, and referrals to other offices, programmes or partners."""

from __future__ import annotations

import datetime
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet, has_role, scope_condition
from liman.core.choices import ChoiceLabels, Role, Sensitivity
from liman.core.fields import EncryptedTextField
from liman.registry.models import ISO_ALPHA3

from .choices import (
    AssessmentKind,
    CaseType,
    ClosureReason,
    ExploitationType,
    MeansOfControl,
    NoteKind,
    PartnerKind,
    RecruiterRelation,
    ReferralKind,
    ReferralStatus,
    RiskLevel,
    ServiceType,
    SharedField,
    VictimStatus,
)

#: Roles that work on cases: they open, write and move them.
CASE_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
#: Records that hang off a case are seen by whoever sees the case.
CASE_SCOPE = Scope(office="case__office", programme="case__programme", sensitivity="case__sensitivity")


def reflection_period_days() -> int:
    """Days of reflection a victim of trafficking is given from identification (Türkiye: 30; a setting)."""
    return settings.LIMAN_CT_REFLECTION_DAYS


class PartnerOrganisation(models.Model):
    """A partner organisation (NGO, municipality, bar association, government service) that receives referrals."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    acronym = models.CharField(_("acronym"), max_length=24, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=PartnerKind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="partner_organisations",
        verbose_name=_("partner users"),
        help_text=_("Users with the partner role who answer this organisation's referrals."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    unscoped_because = (
        "the directory of partner organisations is shared by every office (a referral may go to any of them); "
        "what a partner sees is decided by Referral.objects.visible_to"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner organisation")

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


class CaseQuerySet(ScopedQuerySet):
    def open(self):
        from .workflows import FINAL_STATES

        return self.exclude(state__in=FINAL_STATES)


class Case(ChoiceLabels, models.Model):
    """One person's protection, counter-trafficking or voluntary-return case in one office, moved by its workflow."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=24, choices=CaseType.choices)
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="cases", verbose_name=_("person")
    )
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="cases", verbose_name=_("office"))
    programme = models.ForeignKey("core.Programme", on_delete=models.PROTECT, related_name="+")
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.PROTECTION
    )
    state = models.CharField(_("state"), max_length=32, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        verbose_name=_("caseworker"),
    )
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(_("closure reason"), max_length=24, choices=ClosureReason.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_on_cases",
        verbose_name=_("opened from case"),
    )
    # Counter-trafficking facts; the categories are what the CTDC standard publishes, the story stays encrypted.
    victim_status = models.CharField(_("victim status"), max_length=16, choices=VictimStatus.choices, blank=True)
    identified_on = models.DateField(
        _("identified on"), null=True, blank=True, help_text=_("The day the authority (PMM) identified the victim.")
    )
    exploitation_types = models.JSONField(_("types of exploitation"), default=list, blank=True)
    means_of_control = models.JSONField(_("means of control"), default=list, blank=True)
    recruiter_relation = models.CharField(
        _("relation to the recruiter"), max_length=20, choices=RecruiterRelation.choices, blank=True
    )
    country_of_exploitation = models.CharField(
        _("country of exploitation"), max_length=3, blank=True, validators=[ISO_ALPHA3]
    )
    trafficking_details = EncryptedTextField(_("what happened"), blank=True)
    # Voluntary-return facts.
    declaration_signed_on = models.DateField(_("voluntary declaration signed on"), null=True, blank=True)
    destination_country = models.CharField(_("return to"), max_length=3, blank=True, validators=[ISO_ALPHA3])
    departure_on = models.DateField(_("departure on"), null=True, blank=True)
    fear_of_return_stated_on = models.DateField(_("fear of return stated on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="office", programme="programme", sensitivity="sensitivity")
    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("case")
        indexes = [
            models.Index(fields=["office", "type", "state"]),
            models.Index(fields=["owner", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_type_display()}"

    @property
    def workflow(self):
        from .workflows import WORKFLOWS

        return WORKFLOWS[self.type]

    @property
    def state_label(self) -> str:
        try:
            return str(self.workflow.states(self.state).label)
        except ValueError:
            return self.state

    @property
    def is_closed(self) -> bool:
        return self.state in self.workflow.final

    @property
    def exploitation_labels(self) -> list[str]:
        known = ExploitationType.values
        return [str(ExploitationType(value).label) for value in self.exploitation_types if value in known]

    @property
    def means_of_control_labels(self) -> list[str]:
        return [str(MeansOfControl(value).label) for value in self.means_of_control if value in MeansOfControl.values]

    @property
    def reflection_period_ends_on(self) -> datetime.date | None:
        if self.type != CaseType.COUNTER_TRAFFICKING or self.identified_on is None:
            return None
        return self.identified_on + datetime.timedelta(days=reflection_period_days())

    @property
    def reflection_days_left(self) -> int | None:
        ends = self.reflection_period_ends_on
        if ends is None:
            return None
        return max(0, (ends - timezone.localdate()).days)

    def clean(self):
        errors: dict[str, str] = {}
        if self.programme_id and self.programme.code != self.type:
            errors["programme"] = _("A case belongs to the programme of its type.")
        if self.type == CaseType.COUNTER_TRAFFICKING and self.sensitivity != Sensitivity.PROTECTION:
            errors["sensitivity"] = _("Counter-trafficking cases are always protection-sensitive.")
        if self.sensitivity == Sensitivity.MEDICAL:
            errors["sensitivity"] = _("Cases are normal or protection-sensitive; medical findings belong to health.")
        unknown = [value for value in self.exploitation_types if value not in ExploitationType.values]
        if unknown:
            errors["exploitation_types"] = _("Unknown type of exploitation: %(values)s.") % {
                "values": ", ".join(unknown)
            }
        unknown = [value for value in self.means_of_control if value not in MeansOfControl.values]
        if unknown:
            errors["means_of_control"] = _("Unknown means of control: %(values)s.") % {"values": ", ".join(unknown)}
        today = timezone.localdate()
        for name in ("identified_on", "declaration_signed_on", "opened_on"):
            value = getattr(self, name)
            if value and value > today:
                errors[name] = _("This date is in the future.")
        if self.closed_on and self.opened_on and self.closed_on < self.opened_on:
            errors["closed_on"] = _("A case cannot close before it opens.")
        if errors:
            raise ValidationError(errors)


class CaseAssignment(models.Model):
    """A change of the caseworker who owns a case: who took it over, from whom, who decided and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "assigned_at", "id"]
        verbose_name = _("case assignment")

    def __str__(self) -> str:
        return f"{self.case.reference}: assigned to {self.owner or '—'}"


class CaseNote(models.Model):
    """A note on a case: a session, a call, a visit or a counselling session (AVRR counselling is one)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("kind"), max_length=16, choices=NoteKind.choices, default=NoteKind.NOTE)
    occurred_on = models.DateField(_("date"), default=timezone.localdate)
    text = EncryptedTextField(_("note"))
    #: What others said or what is about others (a family member, an informant, an alleged trafficker): left out of
    #: the person's own access export (`privacy.person_export.HARM_RULES`).
    about_others = models.BooleanField(_("mentions other people / third-party information"), default=False)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "-occurred_on", "-id"]
        verbose_name = _("case note")

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.get_kind_display()} {self.occurred_on}"

    def clean(self):
        if self.occurred_on and self.occurred_on > timezone.localdate():
            raise ValidationError({"occurred_on": _("A note records what happened: its date cannot be in the future.")})
        if not (self.text or "").strip():
            raise ValidationError({"text": _("Write the note.")})


class Assessment(models.Model):
    """An assessment of a case (initial, best interests, trafficking screening, AVRR eligibility, reintegration)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    kind = models.CharField(_("kind"), max_length=24, choices=AssessmentKind.choices)
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices, blank=True)
    findings = EncryptedTextField(_("findings"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "-assessed_on", "-id"]
        verbose_name = _("assessment")

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.get_kind_display()} {self.assessed_on}"

    def clean(self):
        if self.assessed_on and self.assessed_on > timezone.localdate():
            raise ValidationError({"assessed_on": _("An assessment cannot be dated in the future.")})


class ServicePlan(models.Model):
    """The plan of services agreed for a case; a supervisor approves it before the services start."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="plan")
    goals = EncryptedTextField(_("goals"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service plan")

    def __str__(self) -> str:
        return f"{self.case.reference}: service plan"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class PlannedService(models.Model):
    """One service in a plan: what, by whom, by when."""

    plan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE, related_name="services")
    service_type = models.CharField(_("service"), max_length=24, choices=ServiceType.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    provider = models.CharField(_("provided by"), max_length=200, blank=True)
    target_on = models.DateField(_("by"), null=True, blank=True)

    scope = Scope(office="plan__case__office", programme="plan__case__programme", sensitivity="plan__case__sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "target_on", "id"]
        verbose_name = _("planned service")

    def __str__(self) -> str:
        return f"{self.plan.case.reference}: {self.get_service_type_display()}"


class ServiceDelivery(models.Model):
    """A service the person received (planned or not), when and from whom."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deliveries")
    planned = models.ForeignKey(
        PlannedService,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("planned service"),
    )
    service_type = models.CharField(_("service"), max_length=24, choices=ServiceType.choices)
    delivered_on = models.DateField(_("delivered on"), default=timezone.localdate)
    provider = models.CharField(_("provided by"), max_length=200, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "-delivered_on", "-id"]
        verbose_name = _("service delivered")
        verbose_name_plural = _("services delivered")

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.get_service_type_display()} {self.delivered_on}"

    def clean(self):
        if self.delivered_on and self.delivered_on > timezone.localdate():
            raise ValidationError({"delivered_on": _("A service is recorded once given: not in the future.")})
        if self.planned_id and self.planned.plan.case_id != self.case_id:
            raise ValidationError({"planned": _("That planned service belongs to another case.")})


class FollowUpQuerySet(ScopedQuerySet):
    def pending(self):
        return self.filter(done_on__isnull=True, cancelled_on__isnull=True)

    def overdue(self, today: datetime.date | None = None):
        return self.pending().filter(due_on__lt=today or timezone.localdate())


class FollowUp(models.Model):
    """A follow-up due on a date, for one caseworker; overdue when the date passes and it is not done."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    due_on = models.DateField(_("due on"))
    purpose = models.CharField(_("purpose"), max_length=200)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_follow_ups",
        verbose_name=_("caseworker"),
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    outcome = EncryptedTextField(_("outcome"), blank=True)
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = CASE_SCOPE
    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up")
        indexes = [models.Index(fields=["assigned_to", "done_on", "cancelled_on", "due_on"])]

    def __str__(self) -> str:
        return f"{self.case.reference}: follow-up due {self.due_on}"

    @property
    def is_pending(self) -> bool:
        return self.done_on is None and self.cancelled_on is None

    @property
    def is_overdue(self) -> bool:
        return self.is_pending and self.due_on < timezone.localdate()

    @property
    def days_overdue(self) -> int:
        return max(0, (timezone.localdate() - self.due_on).days) if self.is_pending else 0


class _ReceivingOffice:
    """How the receiving office of an internal referral or transfer sees it: its caseworkers and supervisors,
    on the programme the referral goes to, at the tier of the case."""

    scope = Scope(office="to_office", programme="to_programme", sensitivity="sensitivity", roles=CASE_ROLES)


class ReferralQuerySet(ScopedQuerySet):
    """A referral is seen by its sending side (through the case's scope), its receiving office, and, when it goes
    to a partner organisation, by that organisation's partner users, and by nobody else."""

    def visible_to(self, user):
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        conditions = [scope_condition(self.model, user)]
        conditions.append(self._receiving_condition(user))
        conditions.append(self._partner_condition(user))
        condition = None
        for q in conditions:
            if q is not None:
                condition = q if condition is None else condition | q
        if condition is None:
            return self.none()
        return self.filter(condition)

    def received_by(self, user):
        """Referrals `user` answers: addressed to their office and programme, or to their partner organisation."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.filter(Q(to_office__isnull=False) | Q(to_partner__isnull=False))
        condition = None
        for q in (self._receiving_condition(user), self._partner_condition(user)):
            if q is not None:
                condition = q if condition is None else condition | q
        return self.none() if condition is None else self.filter(condition)

    def sent_by_side_of(self, user):
        """Referrals sent from cases `user` sees."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        condition = scope_condition(self.model, user)
        return self.none() if condition is None else self.filter(condition)

    @staticmethod
    def _receiving_condition(user) -> Q | None:
        condition = scope_condition(_ReceivingOffice, user)
        return None if condition is None else condition & Q(to_office__isnull=False)

    @staticmethod
    def _partner_condition(user) -> Q | None:
        # Partner users see referrals to their organisation only while they hold the partner role.
        if not has_role(user, Role.PARTNER):
            return None
        organisations = PartnerOrganisation.objects.filter(members=user, is_active=True).values("pk")
        from liman.core import sharing  # ... and while a data-sharing agreement is in force

        return Q(to_partner__in=organisations) & Q(sharing.guard().partner_covered())


class Referral(models.Model):
    """A referral or transfer of a case to another office or programme of the mission, or to a partner
    organisation; the receiving side accepts or declines it with a reason."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=ReferralKind.choices, default=ReferralKind.REFERRAL)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("case"))
    office = models.ForeignKey(
        "core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("referring office")
    )
    sensitivity = models.CharField(_("sensitivity"), max_length=16, choices=Sensitivity.choices)
    to_office = models.ForeignKey(
        "core.Office", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("to office")
    )
    to_programme = models.ForeignKey(
        "core.Programme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("to programme"),
    )
    to_partner = models.ForeignKey(
        PartnerOrganisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("to partner organisation"),
    )
    service_type = models.CharField(_("service needed"), max_length=24, choices=ServiceType.choices, blank=True)
    summary = EncryptedTextField(_("message to the receiver"), blank=True)
    shared_fields = models.JSONField(_("shared about the person"), default=list, blank=True)
    #: What was shared, as it was when sent (JSON): the receiver reads this, never the registry.
    shared_data = EncryptedTextField(blank=True)
    consent = models.ForeignKey(
        "registry.Consent", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("consent")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.PENDING, db_index=True
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    response_reason = models.TextField(_("answer"), blank=True)
    resulting_case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("case opened")
    )

    scope = Scope(office="office", programme="case__programme", sensitivity="sensitivity")
    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("referral")
        constraints = [
            models.CheckConstraint(
                condition=(Q(to_partner__isnull=True) & Q(to_office__isnull=False) & Q(to_programme__isnull=False))
                | (Q(to_partner__isnull=False) & Q(to_office__isnull=True) & Q(to_programme__isnull=True)),
                name="referral_goes_to_an_office_and_programme_or_to_a_partner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_kind_display()}"

    @property
    def is_to_partner(self) -> bool:
        return self.to_partner_id is not None

    @property
    def destination(self) -> str:
        if self.to_partner_id:
            return str(self.to_partner)
        return f"{self.to_office.name} · {self.to_programme}"

    @property
    def shared(self) -> dict:
        """The person's details shared with the receiver, in the order the sender could choose them."""
        if not self.shared_data:
            return {}
        data = json.loads(self.shared_data)
        return {key: data[key] for key in SharedField.values if key in data}

    def clean(self):
        errors: dict[str, str] = {}
        if self.to_partner_id and (self.to_office_id or self.to_programme_id):
            errors["to_partner"] = _("Refer either to a partner organisation or to an office and programme, not both.")
        elif not self.to_partner_id and not (self.to_office_id and self.to_programme_id):
            errors["to_office"] = _("Choose the office and programme to refer to, or a partner organisation.")
        if self.kind == ReferralKind.TRANSFER:
            if self.to_partner_id:
                errors["kind"] = _("A case is transferred within the mission; to a partner, send a referral.")
            elif self.to_office_id == self.office_id:
                errors["to_office"] = _("A transfer goes to another office.")
            elif self.to_programme_id and self.to_programme_id != self.case.programme_id:
                errors["to_programme"] = _("A transfer keeps the case in its programme; to change programme, refer.")
        elif self.to_programme_id:
            if self.to_programme.code not in CaseType.values:
                errors["to_programme"] = _(
                    "Referrals within the mission go to protection, counter-trafficking or AVRR."
                )
            elif self.to_programme_id == self.case.programme_id and self.to_office_id == self.office_id:
                errors["to_programme"] = _("The case is already in this programme and office.")
        unknown = [value for value in self.shared_fields if value not in SharedField.values]
        if unknown:
            errors["shared_fields"] = _("Unknown detail to share: %(values)s.") % {"values": ", ".join(unknown)}
        if errors:
            raise ValidationError(errors)
