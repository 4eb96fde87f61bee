"""Cross-border consignments: items from a hub warehouse to a partner organisation across the border.

A consignment is planned at a hub (its office is the hub's office), loaded on trucks (plate, driver, seals, the
lines each carries), dispatched, checked truck by truck at the crossing by the monitoring mechanism (a check may hold
a truck; a held truck is later cleared or returned to the hub), handed over to the partner (quantity received per
line, each difference a transit loss with its reason), and closed by the partner's distribution report (households
and people reached by sub-district, by sex and age, and the items distributed).

Stock: the goods leave the hub's ledger at dispatch, as issues for the consignment (`issued_for`), all trucks in one
transaction. A returned truck's load comes back into the hub by a receipt under the consignment's project code. What
is lost between dispatch and handover is recorded on the handover as transit losses with reasons, never posted to the
ledger again (the goods had already left it).

Partners see the consignments addressed to their organisation, whatever the office (as referrals to a partner).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.assistance.choices import AgeGroup, LocationKind, LossReason, Sex
from liman.core.access import Scope, ScopedQuerySet, has_role, scope_condition
from liman.core.choices import Role

from .choices import BorderCrossing, ConsignmentState, CrossingOutcome, ReportSource, TruckStatus
from .permissions import READ_ROLES
from .rules import SUBDISTRICT_PCODE


class ConsignmentQuerySet(ScopedQuerySet):
    """Seen in the hub's office by the roles that read consignments (`Scope`), and by the partner users of the
    consignment's organisation, whatever the office; by nobody else. A model declares where its partner is
    (`partner_path`)."""

    def visible_to(self, user):
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        condition = None
        for q in (scope_condition(self.model, user), partner_condition(user, self.model.partner_path)):
            if q is not None:
                condition = q if condition is None else condition | q
        return self.none() if condition is None else self.filter(condition)


def partner_condition(user, path: str) -> Q | None:
    """Records whose partner organisation (at `path`) counts `user` among its members, while they hold the partner
    role (as `cases.Referral` reaches partners)."""
    if not has_role(user, Role.PARTNER):
        return None
    from liman.cases.models import PartnerOrganisation

    organisations = PartnerOrganisation.objects.filter(members=user, is_active=True).values("pk")
    return Q(**{f"{path}__in": organisations})


def _part_scope(path: str) -> Scope:
    """The parts of a consignment are seen with it: `path` leads from the part to its consignment."""
    return Scope(office=f"{path}__office", roles=READ_ROLES)


class Consignment(models.Model):
    """A consignment of items from a hub warehouse to a partner organisation across the border into Syria.

    The goods leave the hub's stock ledger at dispatch (issues for the consignment, every truck in one transaction);
    what is lost between dispatch and handover is recorded on the handover as transit losses with their reasons, not
    posted to the ledger again."""

    office = models.ForeignKey(
        "core.Office", on_delete=models.PROTECT, related_name="consignments", verbose_name=_("office")
    )
    reference = models.CharField(_("reference"), max_length=48, unique=True, editable=False)
    hub = models.ForeignKey(
        "assistance.StockLocation", on_delete=models.PROTECT, related_name="consignments", verbose_name=_("hub")
    )
    partner = models.ForeignKey(
        "cases.PartnerOrganisation",
        on_delete=models.PROTECT,
        related_name="consignments",
        verbose_name=_("partner organisation"),
    )
    crossing = models.CharField(_("border crossing"), max_length=16, choices=BorderCrossing.choices)
    destination = models.CharField(
        _("destination"), max_length=200, help_text=_("Where the partner receives the goods (warehouse, town).")
    )
    planned_on = models.DateField(_("planned for"))
    project_code = models.CharField(_("project code"), max_length=48)
    state = models.CharField(
        _("state"), max_length=16, choices=ConsignmentState.choices, default=ConsignmentState.PLANNED, db_index=True
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = Scope(office="office", roles=READ_ROLES)
    partner_path = "partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_on", "-id"]
        verbose_name = _("consignment")
        indexes = [models.Index(fields=["office", "state"], name="consignment_office_state")]

    def __str__(self) -> str:
        return self.reference

    @property
    def workflow(self):
        from .workflows import CONSIGNMENT_WORKFLOW

        return CONSIGNMENT_WORKFLOW

    def clean(self):
        errors = {}
        if self.hub_id:
            if self.office_id and self.hub.office_id != self.office_id:
                errors["hub"] = _("The hub belongs to another office.")
            elif self.hub.kind != LocationKind.WAREHOUSE:
                errors["hub"] = _("A consignment leaves from a warehouse, not a vehicle.")
        if not (self.project_code or "").strip():
            errors["project_code"] = _("Name the project code the goods were bought under.")
        if not (self.destination or "").strip():
            errors["destination"] = _("Say where the partner receives the goods.")
        if errors:
            raise ValidationError(errors)


class Truck(models.Model):
    """One truck of a consignment: its plate, its driver, the seals put on it at loading, and what it carries."""

    consignment = models.ForeignKey(Consignment, on_delete=models.PROTECT, related_name="trucks")
    number = models.PositiveSmallIntegerField(_("truck"))
    plate = models.CharField(_("plate"), max_length=16)
    driver_name = models.CharField(_("driver"), max_length=120)
    seal_numbers = models.CharField(
        _("seal numbers"), max_length=300, help_text=_("The seals put on the truck at loading, separated by commas.")
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_reason = models.TextField(_("why it was returned"), blank=True)

    scope = _part_scope("consignment")
    partner_path = "consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        ordering = ["consignment", "number"]
        verbose_name = _("truck")
        constraints = [
            models.UniqueConstraint(fields=["consignment", "number"], name="consignment_truck_number"),
            models.UniqueConstraint(fields=["consignment", "plate"], name="consignment_truck_plate"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.plate}"

    @property
    def seals(self) -> list[str]:
        return [seal.strip() for seal in self.seal_numbers.split(",") if seal.strip()]

    def status(self, checks=None) -> str:
        """Loaded (not dispatched), on the road, cleared, held, or returned: from the truck's last check."""
        if self.returned_at:
            return TruckStatus.RETURNED
        if self.consignment.dispatched_at is None:
            return TruckStatus.LOADED
        checks = list(self.checks.all()) if checks is None else checks
        if not checks:
            return TruckStatus.ON_THE_ROAD
        last = max(checks, key=lambda check: (check.checked_at, check.pk))
        return TruckStatus.CLEARED if last.outcome == CrossingOutcome.CLEARED else TruckStatus.HELD

    def clean(self):
        errors = {}
        if not (self.plate or "").strip():
            errors["plate"] = _("Give the truck's plate.")
        if not (self.driver_name or "").strip():
            errors["driver_name"] = _("Give the driver's name.")
        if not self.seals:
            errors["seal_numbers"] = _("Give the numbers of the seals put on the truck.")
        elif len(set(self.seals)) != len(self.seals):
            errors["seal_numbers"] = _("A seal number appears twice.")
        if errors:
            raise ValidationError(errors)


class TruckLine(models.Model):
    """What one truck carries of one item (and lot): issued from the hub at dispatch."""

    truck = models.ForeignKey(Truck, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey("assistance.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    lot = models.ForeignKey(
        "assistance.StockLot", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("lot")
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    scope = _part_scope("truck__consignment")
    partner_path = "truck__consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        ordering = ["truck", "item__name", "lot__code"]
        verbose_name = _("truck line")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="consignment_truck_line_positive")]

    def __str__(self) -> str:
        lot = f" ({self.lot.code})" if self.lot_id else ""
        return f"{self.quantity} × {self.item}{lot}"

    def clean(self):
        errors = {}
        if self.item_id:
            if self.item.tracks_lots and not self.lot_id:
                errors["lot"] = _("%(item)s is tracked by lot: say which lot.") % {"item": self.item}
            elif not self.item.tracks_lots and self.lot_id:
                errors["lot"] = _("%(item)s is not tracked by lot.") % {"item": self.item}
            elif self.lot_id and self.lot.item_id != self.item_id:
                errors["lot"] = _("This lot is of another item.")
        if not self.quantity:
            errors["quantity"] = _("Load at least one.")
        if errors:
            raise ValidationError(errors)


class CrossingCheck(models.Model):
    """The monitoring mechanism's check of one truck at the crossing: the seals, and whether it is cleared or held."""

    truck = models.ForeignKey(Truck, on_delete=models.PROTECT, related_name="checks")
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seals_intact = models.BooleanField(_("seals intact"))
    seals_found = models.CharField(
        _("seal numbers found"), max_length=300, blank=True, help_text=_("As read on the truck, when they differ.")
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=CrossingOutcome.choices)
    reason = models.TextField(_("reason"), blank=True)

    scope = _part_scope("truck__consignment")
    partner_path = "truck__consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        ordering = ["truck", "checked_at", "id"]
        verbose_name = _("crossing check")

    def __str__(self) -> str:
        return f"{self.truck.plate}: {self.get_outcome_display()}"

    def clean(self):
        if not (self.reason or "").strip():
            if self.outcome == CrossingOutcome.HELD:
                raise ValidationError({"reason": _("Say why the truck is held.")})
            if not self.seals_intact:
                raise ValidationError({"reason": _("The seals were not intact: say what was found and done.")})


class Handover(models.Model):
    """The handover of a consignment to the partner at the destination: who received it, where and when."""

    consignment = models.OneToOneField(Consignment, on_delete=models.PROTECT, related_name="handover")
    handed_over_at = models.DateTimeField(_("handed over at"))
    received_by_name = models.CharField(_("received by"), max_length=120, help_text=_("The partner's representative."))
    place = models.CharField(_("place"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = _part_scope("consignment")
    partner_path = "consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("handover")

    def __str__(self) -> str:
        return f"{self.consignment}: {self.received_by_name}"


class HandoverLine(models.Model):
    """How many of one truck line the partner received."""

    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, related_name="lines")
    truck_line = models.OneToOneField(TruckLine, on_delete=models.PROTECT, related_name="handover_line")
    received = models.PositiveIntegerField(_("received"))

    scope = _part_scope("handover__consignment")
    partner_path = "handover__consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        ordering = ["handover", "truck_line__truck__number", "truck_line__item__name"]
        verbose_name = _("handover line")

    def __str__(self) -> str:
        return f"{self.received} × {self.truck_line.item}"

    def clean(self):
        if self.truck_line_id and self.received > self.truck_line.quantity:
            raise ValidationError(
                {"received": _("More than the %(loaded)d loaded on the truck.") % {"loaded": self.truck_line.quantity}}
            )


class TransitLoss(models.Model):
    """What of a truck line did not reach the partner (dispatched − received), and why. Recorded on the handover; the
    goods had already left the hub's ledger at dispatch."""

    line = models.OneToOneField(HandoverLine, on_delete=models.PROTECT, related_name="loss")
    quantity = models.PositiveIntegerField(_("quantity"))
    reason_kind = models.CharField(_("what happened"), max_length=16, choices=LossReason.choices)
    reason = models.TextField(_("reason"))

    scope = _part_scope("line__handover__consignment")
    partner_path = "line__handover__consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        ordering = ["line"]
        verbose_name = _("transit loss")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="consignment_transit_loss_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.line.truck_line.item} · {self.get_reason_kind_display()}"

    def clean(self):
        if not (self.reason or "").strip():
            raise ValidationError({"reason": _("Say what happened to the goods.")})


class DistributionReport(models.Model):
    """The partner's report of a consignment's distribution: households and people reached by sub-district."""

    consignment = models.OneToOneField(Consignment, on_delete=models.PROTECT, related_name="report")
    source = models.CharField(_("how it came"), max_length=8, choices=ReportSource.choices)
    households = models.PositiveIntegerField(_("households reached"), default=0)
    people = models.PositiveIntegerField(_("people reached"), default=0)
    note = models.TextField(_("note"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = _part_scope("consignment")
    partner_path = "consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("distribution report")

    def __str__(self) -> str:
        return f"{self.consignment}: {self.people} people"


class ReportLine(models.Model):
    """One sub-district of a distribution report (Syrian admin-3, by its p-code)."""

    report = models.ForeignKey(DistributionReport, on_delete=models.PROTECT, related_name="lines")
    subdistrict_name = models.CharField(_("sub-district"), max_length=120)
    subdistrict_pcode = models.CharField(
        _("p-code"),
        max_length=8,
        validators=[RegexValidator(SUBDISTRICT_PCODE, _("A Syrian sub-district p-code: SY and six digits."))],
    )
    households = models.PositiveIntegerField(_("households"))
    people = models.PositiveIntegerField(_("people"))

    scope = _part_scope("report__consignment")
    partner_path = "report__consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        ordering = ["report", "subdistrict_pcode"]
        verbose_name = _("report line")
        constraints = [
            models.UniqueConstraint(fields=["report", "subdistrict_pcode"], name="consignment_report_subdistrict_once")
        ]

    def __str__(self) -> str:
        return f"{self.subdistrict_name} ({self.subdistrict_pcode})"


class ReportPeople(models.Model):
    """People of one sex and age group reached in a sub-district."""

    line = models.ForeignKey(ReportLine, on_delete=models.PROTECT, related_name="people_counts")
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    count = models.PositiveIntegerField(_("people"))

    scope = _part_scope("line__report__consignment")
    partner_path = "line__report__consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        ordering = ["line", "sex", "age_group"]
        verbose_name = _("people reached")
        verbose_name_plural = _("people reached")
        constraints = [
            models.UniqueConstraint(fields=["line", "sex", "age_group"], name="consignment_report_people_once"),
            models.CheckConstraint(condition=Q(count__gt=0), name="consignment_report_people_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sex} {self.age_group}: {self.count}"


class ReportItem(models.Model):
    """How many of one item were distributed in a sub-district."""

    line = models.ForeignKey(ReportLine, on_delete=models.PROTECT, related_name="items")
    item = models.ForeignKey("assistance.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    quantity = models.PositiveIntegerField(_("distributed"))

    scope = _part_scope("line__report__consignment")
    partner_path = "line__report__consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        ordering = ["line", "item__name"]
        verbose_name = _("item distributed")
        verbose_name_plural = _("items distributed")
        constraints = [
            models.UniqueConstraint(fields=["line", "item"], name="consignment_report_item_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="consignment_report_item_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item}"


class ReportUpload(models.Model):
    """A partner's XLSX distribution report, staged (core.staging) for its consignment until it is committed or
    discarded. The staged batch is reached through this record, which partners see with their consignment."""

    consignment = models.ForeignKey(Consignment, on_delete=models.PROTECT, related_name="uploads")
    batch = models.OneToOneField("core.ImportBatch", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = _part_scope("consignment")
    partner_path = "consignment__partner"
    objects = ConsignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("report upload")

    def __str__(self) -> str:
        return f"{self.consignment}: {self.batch.file_name}"
