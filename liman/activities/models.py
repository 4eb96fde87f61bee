"""Activities with participants: the one mechanism of trainings, workshops, courses, social-cohesion events, MHPSS
group sessions, awareness sessions, community-centre services and trainings for authorities.

An activity has sessions; its participants are registered people (linked) or light records (name, sex, age group,
nationality or host community, organisation and position for officials); attendance is one row per session and
participant. Each participant keeps what reporting counts (sex, age group, population group, the activity's type,
province and the month they were first present), kept up to date by the attendance services, so counts read one
narrow table. Who attended an MHPSS session is protection-tier: participants and attendance carry the tier.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet
from liman.core.choices import Sensitivity
from liman.registry.choices import LegalBasis

from .choices import (
    PROTECTED_TYPES,
    ActivityState,
    ActivityType,
    AgeGroup,
    Institution,
    PopulationGroup,
    Sex,
)

CHECK_IN_SALT = "liman.activities.check-in"


class Activity(models.Model):
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    programme = models.ForeignKey(
        "core.Programme", on_delete=models.PROTECT, related_name="+", verbose_name=_("programme")
    )
    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=24, choices=ActivityType.choices)
    title = models.CharField(_("title"), max_length=200)
    #: The tier of who takes part (protection for MHPSS): the activity itself is normal, its participants are not.
    participants_tier = models.CharField(
        max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL, editable=False
    )
    district = models.ForeignKey(
        "core.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level": 2}, verbose_name=_("district"),
    )  # fmt: skip
    #: The district's province (or the office's): what counts are reported by.
    province = models.ForeignKey(
        "core.AdminArea", on_delete=models.PROTECT, related_name="+", editable=False, verbose_name=_("province")
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    facilitators = models.CharField(_("facilitators"), max_length=300, blank=True)
    target_group = models.CharField(_("target group"), max_length=200, blank=True)
    #: Share of the sessions a participant attends to complete the activity (and get a certificate).
    # xgettext:no-python-format
    completion_percent = models.PositiveSmallIntegerField(_("completion rule (% of sessions)"), default=80)
    #: Training of trainers: the participant of an earlier activity who facilitates this one.
    trained_facilitator = models.ForeignKey(
        "Participant", null=True, blank=True, on_delete=models.PROTECT, related_name="facilitated",
        verbose_name=_("facilitator trained in an earlier activity"),
    )  # fmt: skip
    state = models.CharField(
        _("state"), max_length=16, choices=ActivityState.choices, default=ActivityState.PLANNED, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="office", programme="programme")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="activity_ends_after_start"),
            models.CheckConstraint(
                condition=Q(completion_percent__gte=1, completion_percent__lte=100),
                name="activity_completion_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.title}"

    def save(self, *args, **kwargs):
        self.participants_tier = Sensitivity.PROTECTION if self.type in PROTECTED_TYPES else Sensitivity.NORMAL
        if self.district_id:
            self.province_id = self.district.parent_id
        elif self.office_id and not self.province_id:
            self.province_id = self.office.province_id
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("An activity ends on or after the day it starts.")
        if self.district_id and self.district.level != 2:
            errors["district"] = _("Give a district (ilçe), not a province.")
        if not (1 <= (self.completion_percent or 0) <= 100):
            errors["completion_percent"] = _("The completion rule is a share of sessions from 1 to 100 %.")
        if self.trained_facilitator_id and self.trained_facilitator.activity_id == self.pk:
            errors["trained_facilitator"] = _("A facilitator trained in this same activity cannot facilitate it.")
        if errors:
            raise ValidationError(errors)

    @property
    def workflow(self):
        from .workflows import ACTIVITY_WORKFLOW

        return ACTIVITY_WORKFLOW

    @property
    def is_protected(self) -> bool:
        return self.type in PROTECTED_TYPES


class Session(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField(_("session"))
    held_on = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1, default=2)

    scope = Scope(office="activity__office", programme="activity__programme")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["activity", "number"]
        verbose_name = _("session")
        constraints = [models.UniqueConstraint(fields=["activity", "number"], name="activity_session_number_once")]

    def __str__(self) -> str:
        return f"{self.activity.reference} · {_('session')} {self.number}"

    @property
    def check_in_token(self) -> str:
        """What the session's QR holds: its number, signed (the same on every print; a guessed or altered token is
        refused)."""
        return signing.Signer(salt=CHECK_IN_SALT).sign(str(self.pk)).replace(":", ".")

    @staticmethod
    def pk_from_token(token: str) -> int | None:
        try:
            value = signing.Signer(salt=CHECK_IN_SALT).unsign(token.replace(".", ":"))
        except signing.BadSignature:
            return None
        return int(value) if value.isdigit() else None


class Participant(models.Model):
    """One person taking part in one activity: a registered person, or a light record (no registration needed)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participants")
    #: Copied from the activity: participants are scoped (and counted) without a join.
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", editable=False)
    sensitivity = models.CharField(
        max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL, editable=False
    )
    #: The participant's number in the activity, printed on the sign-in sheet and typed at check-in.
    number = models.PositiveIntegerField(_("number"), editable=False)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("registered person"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=200)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    nationality = models.CharField(_("nationality"), max_length=3, blank=True)
    population_group = models.CharField(_("population group"), max_length=16, choices=PopulationGroup.choices)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    institution = models.CharField(_("institution"), max_length=16, choices=Institution.choices, blank=True)
    pre_score = models.PositiveSmallIntegerField(_("pre-test score"), null=True, blank=True)
    post_score = models.PositiveSmallIntegerField(_("post-test score"), null=True, blank=True)
    # Kept up to date by the attendance services (what reporting counts, without reading attendance).
    activity_type = models.CharField(max_length=24, choices=ActivityType.choices, editable=False)
    province = models.ForeignKey("core.AdminArea", on_delete=models.PROTECT, related_name="+", editable=False)
    sessions_attended = models.PositiveSmallIntegerField(_("sessions attended"), default=0, editable=False)
    reached_on = models.DateField(_("first present"), null=True, blank=True, editable=False)
    #: The month first present as a number, 202612 for December 2026 (counts group by it with no date parsing).
    reached_month = models.PositiveIntegerField(null=True, blank=True, editable=False)
    completed = models.BooleanField(_("completed"), default=False, editable=False)
    certificate_number = models.CharField(_("certificate"), max_length=32, blank=True, editable=False)
    certificate_issued_on = models.DateField(_("certificate issued"), null=True, blank=True, editable=False)
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    # Consent at entry (or another legal basis, documented): a registered person's is the registry's consent record
    # (`consent`); a light participant's is kept here. A withdrawn one stops certificates being sent by message.
    consent = models.ForeignKey(
        "registry.Consent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    legal_basis = models.CharField(_("legal basis"), max_length=24, choices=LegalBasis.choices, blank=True)
    basis_note = models.CharField(_("basis documented"), max_length=300, blank=True)
    consent_given_on = models.DateField(_("consent given"), null=True, blank=True, editable=False)
    consent_withdrawn_on = models.DateField(_("consent withdrawn"), null=True, blank=True, editable=False)

    scope = Scope(office="office", programme="activity__programme", sensitivity="sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["activity", "number"]
        verbose_name = _("participant")
        constraints = [
            models.UniqueConstraint(fields=["activity", "number"], name="activity_participant_number_once"),
            models.UniqueConstraint(
                fields=["activity", "person"], condition=Q(person__isnull=False), name="activity_person_once"
            ),
            models.CheckConstraint(
                condition=(Q(pre_score__isnull=True) | Q(pre_score__lte=100))
                & (Q(post_score__isnull=True) | Q(post_score__lte=100)),
                name="activity_participant_scores_0_100",
            ),
        ]
        indexes = [
            # The counts for reporting read only this index, in its order (a covering index: no table lookups, and
            # the groups come out sorted, with no temporary sort); the office is checked on each index entry.
            models.Index(
                fields=["reached_month", "activity_type", "province", "sex", "age_group", "population_group", "office"],
                name="activity_participant_counts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity.reference} · {self.number} · {self.name}"

    def clean(self):
        errors = {}
        if not (self.name or "").strip():
            errors["name"] = _("Give the participant's name.")
        if self.population_group == PopulationGroup.HOST_COMMUNITY and self.nationality not in ("", "TUR"):
            errors["population_group"] = _("A host-community participant is a Turkish citizen (nationality TUR).")
        if self.nationality and (len(self.nationality) != 3 or not self.nationality.isalpha()):
            errors["nationality"] = _("Nationality is a three-letter ISO code, e.g. SYR.")
        for field in ("pre_score", "post_score"):
            value = getattr(self, field)
            if value is not None and value > 100:
                errors[field] = _("A test score is from 0 to 100.")
        if self.legal_basis and self.legal_basis != LegalBasis.CONSENT and not (self.basis_note or "").strip():
            errors["basis_note"] = _("Without consent, say what the other basis is and where it is documented.")
        if errors:
            raise ValidationError(errors)

    @property
    def consent_withdrawn(self) -> bool:
        """The participant withdrew their consent (a registered person's, on the registry's record)."""
        if self.consent_id is not None:
            return not self.consent.is_current
        return self.consent_withdrawn_on is not None and self.consent_withdrawn_on <= timezone.localdate()

    @property
    def is_official(self) -> bool:
        return bool(self.institution)

    @property
    def score_gain(self) -> int | None:
        if self.pre_score is None or self.post_score is None:
            return None
        return self.post_score - self.pre_score


class Attendance(models.Model):
    """Whether one participant was present at one session (a row for each ticked or unticked name)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="attendance")
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", editable=False)
    sensitivity = models.CharField(
        max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL, editable=False
    )
    present = models.BooleanField(_("present"), default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    via_qr = models.BooleanField(_("checked in by QR"), default=False)

    scope = Scope(office="office", programme="session__activity__programme", sensitivity="sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["session", "participant"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "participant"], name="activity_attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.participant_id} · {'present' if self.present else 'absent'}"


class EquipmentHandover(models.Model):
    """Equipment handed over to an institution (a boat engine to the Coast Guard, laptops to a PMM office): an
    inventory line with the donor project that paid for it, and the training it came with, if any."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    institution = models.CharField(_("institution"), max_length=16, choices=Institution.choices)
    unit = models.CharField(_("receiving unit"), max_length=200, help_text=_("e.g. Ayvalık Coast Guard Command"))
    item = models.CharField(_("item"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_value = models.DecimalField(_("unit value"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    donor_project = models.CharField(_("donor project"), max_length=120, help_text=_("e.g. EU-HBM-2026-03"))
    handed_over_on = models.DateField(_("handed over on"))
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="equipment",
        verbose_name=_("with the training"),
    )  # fmt: skip
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-handed_over_on", "-id"]
        verbose_name = _("equipment handover")
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="equipment_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item} → {self.unit}"

    def clean(self):
        if self.activity_id and self.activity.office_id != self.office_id:
            raise ValidationError({"activity": _("The training must be one of the same office.")})


# --- the counts of people reached: a rollup kept by the attendance services ---------------------------------------


class PersonReach(models.Model):
    """A person reached by an activity type in a province in a month, once however many activities reached them
    there: the first participant present (its office, and its sex, age group and population group as the activity
    recorded them). A registered person is their person id; a light participant, its own id negated (never a
    person's). Kept by `participants_refresh` (`liman.activities.reach`); rebuilt from the participants by
    `reach_rebuild`."""

    person_key = models.BigIntegerField()
    activity_type = models.CharField(max_length=24, choices=ActivityType.choices)
    province = models.ForeignKey("core.AdminArea", on_delete=models.PROTECT, related_name="+")
    month = models.PositiveIntegerField()
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+")
    sex = models.CharField(max_length=1, choices=Sex.choices)
    age_group = models.CharField(max_length=8, choices=AgeGroup.choices)
    population_group = models.CharField(max_length=16, choices=PopulationGroup.choices)

    scope = Scope(office="office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("person reached")
        constraints = [
            models.UniqueConstraint(
                fields=["person_key", "activity_type", "province", "month"], name="activity_person_reached_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["office", "month", "activity_type", "province", "sex", "age_group", "population_group"],
                name="activity_reach_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity_type} · {self.month} · {self.person_key}"


class ReachCount(models.Model):
    """People reached in one cell (office × month × activity type × province × sex × age group × population group):
    the number of `PersonReach` rows of the cell. A person counts in one office only (the first to reach them in the
    type, province and month), so cells summed over offices count each person once."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+")
    month = models.PositiveIntegerField()
    activity_type = models.CharField(max_length=24, choices=ActivityType.choices)
    province = models.ForeignKey("core.AdminArea", on_delete=models.PROTECT, related_name="+")
    sex = models.CharField(max_length=1, choices=Sex.choices)
    age_group = models.CharField(max_length=8, choices=AgeGroup.choices)
    population_group = models.CharField(max_length=16, choices=PopulationGroup.choices)
    people = models.PositiveIntegerField()

    scope = Scope(office="office")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("people reached (count)")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "month", "activity_type", "province", "sex", "age_group", "population_group"],
                name="activity_reach_count_cell_once",
            )
        ]
        indexes = [
            # The counts read this index in its order (month first: the published table's order).
            models.Index(
                fields=["month", "activity_type", "province", "sex", "age_group", "population_group", "office",
                        "people"],
                name="activity_reach_count_read",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.office_id} · {self.month} · {self.activity_type}: {self.people}"


class ReachTotal(models.Model):
    """People reached in one published cell (month × activity type × province × sex × age group × population group)
    across every office: what `ReachCount` adds up to over the offices, kept beside it so that a reader of every
    office's counts reads the cells as they are, with no grouping."""

    month = models.PositiveIntegerField()
    activity_type = models.CharField(max_length=24, choices=ActivityType.choices)
    province = models.ForeignKey("core.AdminArea", on_delete=models.PROTECT, related_name="+")
    sex = models.CharField(max_length=1, choices=Sex.choices)
    age_group = models.CharField(max_length=8, choices=AgeGroup.choices)
    population_group = models.CharField(max_length=16, choices=PopulationGroup.choices)
    people = models.PositiveIntegerField()

    unscoped_because = (
        "counts of people across every office, naming no one; read only by those who read every office's counts "
        "(activities.selectors.count_offices gives None), office readers read ReachCount"
    )

    class Meta:
        verbose_name = _("people reached (total)")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "activity_type", "province", "sex", "age_group", "population_group"],
                name="activity_reach_total_cell_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["month", "activity_type", "province", "sex", "age_group", "population_group", "people"],
                name="activity_reach_total_read",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} · {self.activity_type}: {self.people}"
