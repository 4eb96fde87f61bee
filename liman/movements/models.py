"""Resettlement and movement operations: cases from referral to arrival, selection missions and interviews,
cultural orientation, visas and exit permissions, US travel loans and assurances, flights, bookings and
manifests, and family reunification (with Germany's Family Assistance Programme).

People come from the registry; medical clearance comes from `liman.health` (status only, never findings).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet, scope_condition
from liman.core.choices import Role, Sensitivity
from liman.registry.models import ISO_ALPHA3

from .choices import (
    ACTIVE_BOOKINGS,
    BookingStatus,
    CaseState,
    Decision,
    FlightStatus,
    HoldReason,
    InterviewOutcome,
    MemberRelationship,
    ReunificationDecision,
    ReunificationState,
)

#: Roles that read movement records (flights, legs) of their office.
MOVEMENT_ROLES = frozenset(
    {Role.VIEWER, Role.CASEWORKER, Role.SUPERVISOR, Role.HEALTH, Role.PROGRAMME_OFFICER, Role.REPORTING_OFFICER}
)
#: Roles that work on resettlement cases: open them, record documents, book, move them on.
CASE_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAMME_OFFICER})
#: Records that hang off a resettlement case are seen by whoever sees the case.
CASE_SCOPE = Scope(office="case__office", programme="case__programme", sensitivity="case__sensitivity")
IATA_AIRPORT = RegexValidator(r"^[A-Z]{3}$", _("Use the three-letter IATA airport code, e.g. IST."))


def country_label(code: str) -> str:
    from liman.registry.forms import country_name

    return country_name(code)


class ProcessingPartner(models.Model):
    """An organisation that runs a step of resettlement: a country's processing centre, a partner agency."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    acronym = models.CharField(_("acronym"), max_length=24, blank=True)
    country = models.CharField(_("country"), max_length=3, blank=True, validators=[ISO_ALPHA3])
    #: Steps (case states) this partner runs by default for cases going to its country.
    default_steps = models.JSONField(_("steps it runs"), default=list, blank=True)

    unscoped_because = "the directory of processing partners is the same for every office; it holds no person"

    class Meta:
        ordering = ["name"]
        verbose_name = _("processing partner")

    def __str__(self) -> str:
        return f"{self.acronym} ({self.name})" if self.acronym else self.name


class ResettlementCaseQuerySet(ScopedQuerySet):
    def open(self):
        from .workflows import FINAL_STATES

        return self.exclude(state__in=FINAL_STATES)


class ResettlementCase(models.Model):
    """One family's resettlement to a third country, from UNHCR's referral to arrival, moved by its workflow."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    programme = models.ForeignKey("core.Programme", on_delete=models.PROTECT, related_name="+")
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    state = models.CharField(_("state"), max_length=32, choices=CaseState.choices, default=CaseState.REFERRED)
    principal = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        related_name="resettlement_cases",
        verbose_name=_("principal applicant"),
    )
    country = models.CharField(_("resettlement country"), max_length=3, validators=[ISO_ALPHA3])
    unhcr_reference = models.CharField(_("UNHCR case number"), max_length=40, blank=True)
    country_case_id = models.CharField(_("resettlement-country case ID"), max_length=40, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("caseworker"),
    )
    referred_on = models.DateField(_("referred on"), default=timezone.localdate)
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    hold_reason = models.CharField(_("on hold because of"), max_length=24, choices=HoldReason.choices, blank=True)
    #: Where the case was before it was put on hold, withdrawn or marked a no-show: undoing goes back there.
    resume_state = models.CharField(_("resumes at"), max_length=32, choices=CaseState.choices, blank=True)
    departed_on = models.DateField(_("departed on"), null=True, blank=True)
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="office", programme="programme", sensitivity="sensitivity")
    objects = ResettlementCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-referred_on", "-id"]
        verbose_name = _("resettlement case")
        indexes = [
            models.Index(fields=["office", "state", "country"]),
            models.Index(fields=["state", "country"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.principal.full_name}"

    @property
    def workflow(self):
        from .workflows import RESETTLEMENT

        return RESETTLEMENT

    @property
    def country_name(self) -> str:
        return country_label(self.country)

    def clean(self):
        if self.programme_id and self.programme.code != "resettlement":
            raise ValidationError({"programme": _("A resettlement case belongs to the resettlement programme.")})
        if self.sensitivity == Sensitivity.MEDICAL:
            raise ValidationError({"sensitivity": _("Medical findings belong in a health assessment, not a case.")})
        if self.state == CaseState.ON_HOLD and not self.hold_reason:
            raise ValidationError({"hold_reason": _("Say why the case is on hold.")})


class CaseMember(models.Model):
    """A person travelling on a resettlement case: the principal applicant or a family member."""

    case = models.ForeignKey(ResettlementCase, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="resettlement_memberships", verbose_name=_("person")
    )
    relationship = models.CharField(
        _("relationship to the principal"), max_length=16, choices=MemberRelationship.choices
    )
    is_travelling = models.BooleanField(_("travelling"), default=True)

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("case member")
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="movements_member_once_per_case")]

    def __str__(self) -> str:
        return f"{self.person.full_name} · {self.get_relationship_display()}"


class CaseStepPartner(models.Model):
    """Which partner organisation runs one step of one case (the mission runs the others itself)."""

    case = models.ForeignKey(ResettlementCase, on_delete=models.CASCADE, related_name="step_partners")
    step = models.CharField(_("step"), max_length=32, choices=CaseState.choices)
    partner = models.ForeignKey(
        ProcessingPartner, on_delete=models.PROTECT, related_name="+", verbose_name=_("partner")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("step partner")
        constraints = [models.UniqueConstraint(fields=["case", "step"], name="movements_one_partner_per_step")]

    def __str__(self) -> str:
        return f"{self.get_step_display()}: {self.partner}"


class SelectionMission(models.Model):
    """A resettlement country's selection mission: dates, place, interviewers and interpreters."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    country = models.CharField(_("country"), max_length=3, validators=[ISO_ALPHA3])
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    place = models.CharField(_("place"), max_length=200)
    interviewers = models.JSONField(_("interviewers"), default=list, blank=True)
    interpreters = models.JSONField(_("interpreters"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope = Scope(office="office", roles=MOVEMENT_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("selection mission")

    def __str__(self) -> str:
        return f"{self.reference} · {self.place}"

    @property
    def country_name(self) -> str:
        return country_label(self.country)

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A mission cannot end before it starts.")})


class InterviewSlot(models.Model):
    """A case's selection interview during a mission; its outcome (attended, no-show) is recorded."""

    mission = models.ForeignKey(SelectionMission, on_delete=models.PROTECT, related_name="slots")
    case = models.ForeignKey(ResettlementCase, on_delete=models.CASCADE, related_name="interviews")
    starts_at = models.DateTimeField(_("starts at"))
    room = models.CharField(_("room"), max_length=60, blank=True)
    interviewer = models.CharField(_("interviewer"), max_length=120, blank=True)
    interpreter = models.CharField(_("interpreter"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=40, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=InterviewOutcome.choices, default=InterviewOutcome.SCHEDULED
    )

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("interview slot")

    def __str__(self) -> str:
        return f"{self.case.reference} · {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.mission_id and self.starts_at:
            day = timezone.localtime(self.starts_at).date()
            if not self.mission.starts_on <= day <= self.mission.ends_on:
                raise ValidationError({"starts_at": _("The interview must fall within the mission's dates.")})


class OrientationCourse(models.Model):
    """A destination country's cultural orientation course, with its age rule and length."""

    country = models.CharField(_("country"), max_length=3, validators=[ISO_ALPHA3])
    name = models.CharField(_("name"), max_length=120)
    min_age = models.PositiveSmallIntegerField(_("from age"), default=0)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    days = models.PositiveSmallIntegerField(_("days"), default=1)

    unscoped_because = "the course catalogue per destination country is the same for every office"

    class Meta:
        ordering = ["country", "name"]
        verbose_name = _("orientation course")
        constraints = [models.UniqueConstraint(fields=["country", "name"], name="movements_course_name_per_country")]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class OrientationSession(models.Model):
    """One run of an orientation course in an office: dates, place, facilitator."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    course = models.ForeignKey(OrientationCourse, on_delete=models.PROTECT, related_name="sessions")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    place = models.CharField(_("place"), max_length=200)
    facilitator = models.CharField(_("facilitator"), max_length=120, blank=True)

    scope = Scope(office="office", roles=MOVEMENT_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("orientation session")

    def __str__(self) -> str:
        return f"{self.reference} · {self.course.name}"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A session cannot end before it starts.")})


class OrientationAttendance(models.Model):
    """A traveller's attendance at an orientation session; completed once the course's hours are attended."""

    session = models.ForeignKey(OrientationSession, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    case = models.ForeignKey(ResettlementCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hours_attended = models.DecimalField(_("hours attended"), max_digits=5, decimal_places=1, default=0)
    completed = models.BooleanField(_("completed"), default=False, editable=False)

    scope = Scope(office="session__office", roles=MOVEMENT_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["session", "id"]
        verbose_name = _("orientation attendance")
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="movements_attend_once")]

    def __str__(self) -> str:
        return f"{self.person.full_name} · {self.session.reference}"

    def save(self, *args, **kwargs):
        self.completed = self.hours_attended >= self.session.course.hours
        super().save(*args, **kwargs)


class Visa(models.Model):
    """A traveller's entry visa (or travel document) for the resettlement country."""

    case = models.ForeignKey(ResettlementCase, on_delete=models.CASCADE, related_name="visas")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    number = models.CharField(_("visa number"), max_length=40, blank=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "person", "-valid_until"]
        verbose_name = _("visa")

    def __str__(self) -> str:
        return f"{self.person.full_name}: {self.valid_until}"

    def clean(self):
        if self.issued_on and self.valid_until and self.valid_until < self.issued_on:
            raise ValidationError({"valid_until": _("A visa cannot expire before it is issued.")})


class ExitPermission(models.Model):
    """The authority's permission for a traveller to leave Türkiye: requested, granted, valid until."""

    case = models.ForeignKey(ResettlementCase, on_delete=models.CASCADE, related_name="exit_permissions")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    requested_on = models.DateField(_("requested on"))
    granted_on = models.DateField(_("granted on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    authority_reference = models.CharField(_("authority's reference"), max_length=60, blank=True)

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "person", "-requested_on"]
        verbose_name = _("exit permission")

    def __str__(self) -> str:
        return f"{self.person.full_name}: {self.granted_on or '…'}"

    def clean(self):
        if self.granted_on and self.requested_on and self.granted_on < self.requested_on:
            raise ValidationError({"granted_on": _("Permission cannot be granted before it is requested.")})
        if self.granted_on and not self.valid_until:
            raise ValidationError({"valid_until": _("Give the date until which the exit permission is valid.")})
        if self.valid_until and not self.granted_on:
            raise ValidationError({"granted_on": _("Give the date the exit permission was granted.")})


class PromissoryNote(models.Model):
    """A US travel-loan promissory note, signed by each adult (18+) of a US case."""

    case = models.ForeignKey(ResettlementCase, on_delete=models.CASCADE, related_name="promissory_notes")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    signed_on = models.DateField(_("signed on"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="USD")

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "person"]
        verbose_name = _("promissory note")

    def __str__(self) -> str:
        return f"{self.person.full_name}: {self.signed_on}"


class SponsorshipAssurance(models.Model):
    """The sponsorship assurance a US case needs: a resettlement agency agreed to receive the family."""

    case = models.ForeignKey(ResettlementCase, on_delete=models.CASCADE, related_name="assurances")
    agency = models.CharField(_("resettlement agency"), max_length=200)
    received_on = models.DateField(_("received on"))

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case", "-received_on"]
        verbose_name = _("sponsorship assurance")

    def __str__(self) -> str:
        return f"{self.agency} ({self.received_on})"


class Flight(models.Model):
    """A movement: one journey (one or more legs) that an office organises for booked travellers."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    destination_country = models.CharField(_("destination country"), max_length=3, validators=[ISO_ALPHA3])
    status = models.CharField(_("status"), max_length=12, choices=FlightStatus.choices, default=FlightStatus.PLANNED)
    #: The first leg's departure and the last leg's arrival, kept for the calendar.
    departs_at = models.DateTimeField(_("departs at"), null=True, blank=True, db_index=True)
    arrives_at = models.DateTimeField(_("arrives at"), null=True, blank=True)
    #: Keys of the airport-assistance checklist already done.
    checklist_done = models.JSONField(default=list, blank=True)
    departure_confirmed_at = models.DateTimeField(_("departure confirmed at"), null=True, blank=True)
    arrival_confirmed_at = models.DateTimeField(_("arrival confirmed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="office", roles=MOVEMENT_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["departs_at", "id"]
        verbose_name = _("flight")

    def __str__(self) -> str:
        when = timezone.localtime(self.departs_at).strftime("%Y-%m-%d %H:%M") if self.departs_at else "—"
        return f"{self.reference} · {self.destination_country} · {when}"

    @property
    def departs_on(self) -> datetime.date | None:
        return timezone.localtime(self.departs_at).date() if self.departs_at else None

    @property
    def country_name(self) -> str:
        return country_label(self.destination_country)


class FlightLeg(models.Model):
    """One leg of a flight: carrier, flight number, airports and times."""

    flight = models.ForeignKey(Flight, on_delete=models.CASCADE, related_name="legs")
    sequence = models.PositiveSmallIntegerField(_("leg"))
    carrier = models.CharField(_("carrier"), max_length=60)
    flight_number = models.CharField(_("flight number"), max_length=10)
    origin = models.CharField(_("from"), max_length=3, validators=[IATA_AIRPORT])
    destination = models.CharField(_("to"), max_length=3, validators=[IATA_AIRPORT])
    departs_at = models.DateTimeField(_("departs at"))
    arrives_at = models.DateTimeField(_("arrives at"))

    scope = Scope(office="flight__office", roles=MOVEMENT_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["flight", "sequence"]
        verbose_name = _("flight leg")
        constraints = [models.UniqueConstraint(fields=["flight", "sequence"], name="movements_leg_sequence")]

    def __str__(self) -> str:
        return f"{self.flight_number} {self.origin}→{self.destination}"

    def clean(self):
        if self.departs_at and self.arrives_at and self.arrives_at <= self.departs_at:
            raise ValidationError({"arrives_at": _("A leg must arrive after it departs.")})
        if self.origin and self.origin == self.destination:
            raise ValidationError({"destination": _("A leg goes from one airport to another.")})


class _FlightSideOfBooking:
    """The bookings on a flight are also seen by the office that runs the flight (it prints the manifest)."""

    scope = Scope(office="flight__office", roles=MOVEMENT_ROLES)


class BookingQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        """Seen in the traveller's office (their case, their programme) and by the office running the flight."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        conditions = [c for c in (scope_condition(Booking, user), scope_condition(_FlightSideOfBooking, user)) if c]
        if not conditions:
            return self.none()
        condition = conditions[0]
        for other in conditions[1:]:
            condition |= other
        return self.filter(condition)

    def active(self):
        return self.filter(status__in=ACTIVE_BOOKINGS)


class Booking(models.Model):
    """A seat for one traveller on one flight: a resettlement case member, or an AVRR returnee booked by the
    case engine (then `source_reference` names that case)."""

    flight = models.ForeignKey(Flight, on_delete=models.PROTECT, related_name="bookings")
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="bookings", verbose_name=_("traveller")
    )
    #: The traveller's office (their case's office); the flight's office sees the booking too.
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey("core.Programme", on_delete=models.PROTECT, related_name="+")
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL)
    case = models.ForeignKey(ResettlementCase, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings")
    source_reference = models.CharField(_("case"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    escort_name = models.CharField(_("escort"), max_length=120, blank=True)
    medif_received_on = models.DateField(_("airline medical form (MEDIF) approved on"), null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    booked_at = models.DateTimeField(_("booked at"), default=timezone.now)
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)

    scope = Scope(office="office", programme="programme", sensitivity="sensitivity")
    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["flight", "person__family_name", "person__first_name", "id"]
        verbose_name = _("booking")
        # An AVRR case finds its seats by its reference (its workflow checks them at every step).
        indexes = [models.Index(fields=["source_reference"])]
        constraints = [
            models.UniqueConstraint(
                fields=["flight", "person"],
                condition=Q(status__in=["booked", "departed", "arrived"]),
                name="movements_one_seat_per_traveller",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person.full_name} · {self.flight.reference}"


class FamilySplitApproval(models.Model):
    """A supervisor's explicit approval that some members of a case travel on a flight without the others."""

    case = models.ForeignKey(ResettlementCase, on_delete=models.CASCADE, related_name="split_approvals")
    flight = models.ForeignKey(Flight, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    approved_at = models.DateTimeField(_("approved at"), default=timezone.now)

    scope = CASE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-approved_at"]
        verbose_name = _("family split approval")

    def __str__(self) -> str:
        return f"{self.case.reference} on {self.flight.reference}: {self.reason}"


class ReunificationCase(models.Model):
    """Family reunification (Germany's Family Assistance Programme among them): appointment, document help,
    consulate appointment, submission, decision."""

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    programme = models.ForeignKey("core.Programme", on_delete=models.PROTECT, related_name="+")
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, default=Sensitivity.NORMAL)
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="reunification_cases", verbose_name=_("applicant")
    )
    country = models.CharField(_("country of the family member"), max_length=3, validators=[ISO_ALPHA3])
    is_fap = models.BooleanField(_("Family Assistance Programme (Germany)"), default=False)
    sponsor_name = models.CharField(_("family member abroad"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=24, choices=ReunificationState.choices, default=ReunificationState.APPOINTMENT
    )
    appointment_on = models.DateField(_("first appointment on"), default=timezone.localdate)
    documents_ready_on = models.DateField(_("documents ready on"), null=True, blank=True)
    consulate_appointment_on = models.DateField(_("consulate appointment on"), null=True, blank=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=12, choices=ReunificationDecision.choices, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = Scope(office="office", programme="programme", sensitivity="sensitivity")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-appointment_on", "-id"]
        verbose_name = _("family reunification case")

    def __str__(self) -> str:
        return f"{self.reference} · {self.person.full_name}"

    @property
    def workflow(self):
        from .workflows import REUNIFICATION

        return REUNIFICATION

    @property
    def country_name(self) -> str:
        return country_label(self.country)

    def clean(self):
        if self.is_fap and self.country != "DEU":
            raise ValidationError({"is_fap": _("The Family Assistance Programme is Germany's.")})
        if self.decision and not self.decided_on:
            raise ValidationError({"decided_on": _("Give the date of the decision.")})
