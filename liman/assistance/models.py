"""The item catalogue and the stock ledger.

Stock moves only by ledger entries (append-only); `StockBalance` holds the running sum per location × item × lot
and is written in the same transaction as each entry, never typed. `liman stock check` recomputes it from the
ledger. An issue points to what it was issued for (`issued_for`: a distribution, a field incident …).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liman.core.access import Scope, ScopedQuerySet

from .choices import (
    INCOMING,
    OUTGOING,
    AgeGroup,
    Authority,
    DistributionState,
    EntitlementState,
    EntryKind,
    HowMet,
    IncidentService,
    ItemCategory,
    LocationKind,
    LossReason,
    LossStatus,
    Sex,
    Terrain,
    TransferState,
    Unit,
)
from .permissions import DISTRIBUTION_READ_ROLES, INCIDENT_READ_ROLES, STOCK_READ_ROLES

#: Stock records are seen in their office by the roles that read stock, nobody else.
STOCK_SCOPE = Scope(office="office", roles=STOCK_READ_ROLES)


class Item(models.Model):
    """One kind of thing the mission stocks and gives out (a hygiene kit, a food parcel, a blanket)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices, default=Unit.PIECE)
    category = models.CharField(_("category"), max_length=16, choices=ItemCategory.choices)
    tracks_lots = models.BooleanField(
        _("tracks lot and expiry"), default=False, help_text=_("Every movement of this item names its lot.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    unscoped_because = (
        "the item catalogue is shared by every office (reference data, like provinces); what stock of an item an "
        "office holds is scoped (StockBalance, LedgerEntry)"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("item")

    def __str__(self) -> str:
        return self.name


class StockLocation(models.Model):
    """Where stock is kept: an office's warehouse, or a mobile team's vehicle."""

    office = models.ForeignKey(
        "core.Office", on_delete=models.PROTECT, related_name="stock_locations", verbose_name=_("office")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LocationKind.choices, default=LocationKind.WAREHOUSE)
    name = models.CharField(_("name"), max_length=120)
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=16, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope = STOCK_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["office__code", "kind", "name"]
        verbose_name = _("stock location")
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="stock_location_name_per_office")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.kind == LocationKind.VEHICLE and not self.vehicle_plate.strip():
            raise ValidationError({"vehicle_plate": _("A vehicle is known by its plate: give it.")})
        if self.kind != LocationKind.VEHICLE and self.vehicle_plate:
            raise ValidationError({"vehicle_plate": _("Only a vehicle has a plate.")})


class StockLot(models.Model):
    """A manufacturer's or supplier's lot of a lot-tracked item, with its expiry."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots", verbose_name=_("item"))
    code = models.CharField(_("lot"), max_length=48)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    unscoped_because = (
        "a lot of a catalogue item is the same lot wherever it is stored (its code and expiry are printed on the "
        "box); the stock of it each office holds is scoped (StockBalance, LedgerEntry)"
    )

    class Meta:
        ordering = ["expires_on", "code"]
        verbose_name = _("lot")
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="stock_lot_code_per_item")]

    def __str__(self) -> str:
        return self.code

    def clean(self):
        if self.item_id and not self.item.tracks_lots:
            raise ValidationError({"item": _("%(item)s is not tracked by lot.") % {"item": self.item}})


class StockLine(models.Model):
    """What every stock record names: where, what, which lot (and the office, for scoping and indexing)."""

    office = models.ForeignKey("core.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="+", verbose_name=_("location"))
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    lot = models.ForeignKey(
        StockLot, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("lot")
    )

    scope = STOCK_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean_line(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if self.location_id and self.office_id and self.location.office_id != self.office_id:
            errors["location"] = _("The location belongs to another office.")
        if self.item_id:
            if self.item.tracks_lots and not self.lot_id:
                errors["lot"] = _("%(item)s is tracked by lot: say which lot.") % {"item": self.item}
            if not self.item.tracks_lots and self.lot_id:
                errors["lot"] = _("%(item)s is not tracked by lot.") % {"item": self.item}
            if self.lot_id and self.lot.item_id != self.item_id:
                errors["lot"] = _("This lot is of another item.")
        return errors

    def clean(self):
        errors = self.clean_line()
        if errors:
            raise ValidationError(errors)


class StockBalance(StockLine):
    """The quantity at one location of one item and lot: the sum of its ledger entries, kept by the services."""

    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="balances", verbose_name=_("location")
    )
    quantity = models.IntegerField(_("quantity"), default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["location", "item__name", "lot__expires_on", "lot__code"]
        verbose_name = _("stock balance")
        constraints = [
            # Stock never goes below zero: the services refuse first, the database holds the line.
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_balance_not_negative"),
            # One row per location × item × lot; two partial constraints, as NULL lots are distinct in a UNIQUE.
            models.UniqueConstraint(
                fields=["location", "item", "lot"], condition=Q(lot__isnull=False), name="stock_balance_per_lot"
            ),
            models.UniqueConstraint(
                fields=["location", "item"], condition=Q(lot__isnull=True), name="stock_balance_per_item"
            ),
        ]

    def __str__(self) -> str:
        lot = f" ({self.lot.code})" if self.lot_id else ""
        return f"{self.location} · {self.item}{lot}: {self.quantity}"


class Transfer(StockLine):
    """Stock sent from one location to another of the same office: dispatched, in transit, then received.

    Its ledger entries are the transfer_out posted at dispatch and the transfer_in posted on receipt; between the
    two the goods are in transit (counted at neither location, listed as in transit)."""

    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="transfers_out", verbose_name=_("from")
    )
    to_location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="transfers_in", verbose_name=_("to")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    state = models.CharField(
        _("state"), max_length=16, choices=TransferState.choices, default=TransferState.DISPATCHED, db_index=True
    )
    reference = models.CharField(_("waybill"), max_length=48, unique=True, editable=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), default=timezone.now)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-dispatched_at", "-id"]
        verbose_name = _("transfer")

    def __str__(self) -> str:
        return f"{self.reference} · {self.quantity} × {self.item}"

    @property
    def workflow(self):
        from .workflows import TRANSFER_WORKFLOW

        return TRANSFER_WORKFLOW

    def clean(self):
        errors = self.clean_line()
        if self.to_location_id:
            if self.to_location_id == self.location_id:
                errors["to_location"] = _("A transfer goes to another location.")
            elif self.office_id and self.to_location.office_id != self.office_id:
                errors["to_location"] = _("Transfers stay within one office.")
            elif not self.to_location.is_active:
                errors["to_location"] = _("This location is closed.")
        if not self.quantity:
            errors["quantity"] = _("Send at least one.")
        if errors:
            raise ValidationError(errors)


class Loss(StockLine):
    """Stock lost or damaged: reported with a reason, written off only when a second person approves it."""

    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="losses")
    quantity = models.PositiveIntegerField(_("quantity"))
    reason_kind = models.CharField(_("what happened"), max_length=16, choices=LossReason.choices)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=LossStatus.choices, default=LossStatus.PENDING)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("loss")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item} · {self.get_reason_kind_display()}"

    def clean(self):
        errors = self.clean_line()
        if not (self.reason or "").strip():
            errors["reason"] = _("Say what happened to the stock.")
        if not self.quantity:
            errors["quantity"] = _("A loss is of at least one.")
        if errors:
            raise ValidationError(errors)


class StockCount(StockLine):
    """A physical count of one line: what was found, what the ledger said, the variance posted."""

    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="counts")
    counted_quantity = models.PositiveIntegerField(_("counted"))
    expected_quantity = models.IntegerField(_("expected"))
    variance = models.IntegerField(_("variance"))
    counted_at = models.DateTimeField(_("counted at"), default=timezone.now)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-counted_at", "-id"]
        verbose_name = _("stock count")

    def __str__(self) -> str:
        return f"{self.item}: {self.counted_quantity} ({self.variance:+d})"


class LedgerEntryQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise TypeError("The stock ledger is append-only: post a correcting entry instead.")

    def delete(self):
        raise TypeError("The stock ledger is append-only: post a correcting entry instead.")


class LedgerEntry(StockLine):
    """One movement of stock, signed (+ in, − out). Append-only: a mistake is corrected by another entry."""

    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    quantity = models.IntegerField(_("quantity"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    reference = models.CharField(
        _("reference"), max_length=48, blank=True, help_text=_("The project code a receipt was bought under.")
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # What an issue was for: the record (a distribution, a field incident) and a line of text that names it.
    purpose = models.CharField(_("issued for"), max_length=200, blank=True)
    issued_for_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_for_id = models.CharField(max_length=40, blank=True)
    issued_for = GenericForeignKey("issued_for_type", "issued_for_id")
    transfer = models.ForeignKey(Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    loss = models.ForeignKey(Loss, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    count = models.ForeignKey(StockCount, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            # The stock card (one location × item, in time order) and the recomputation by line.
            models.Index(fields=["location", "item", "at"], name="stock_entry_card"),
            models.Index(fields=["location", "item", "lot", "quantity"], name="stock_entry_sum"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=sorted(INCOMING), quantity__gt=0)
                    | Q(kind__in=sorted(OUTGOING), quantity__lt=0)
                    | (Q(kind=EntryKind.COUNT_ADJUSTMENT) & ~Q(quantity=0))
                ),
                name="stock_entry_sign_of_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} × {self.item} @ {self.location}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The stock ledger is append-only: post a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The stock ledger is append-only: post a correcting entry instead.")

    def clean(self):
        errors = self.clean_line()
        if self.kind in INCOMING and self.quantity <= 0:
            errors["quantity"] = _("A receipt adds stock.")
        if self.kind in OUTGOING and self.quantity >= 0:
            errors["quantity"] = _("This movement takes stock away.")
        if self.kind == EntryKind.COUNT_ADJUSTMENT and not self.quantity:
            errors["quantity"] = _("A count that matches posts nothing.")
        if self.kind == EntryKind.RECEIPT and not self.reference.strip():
            errors["reference"] = _("A receipt names the project code it was bought under.")
        if self.kind == EntryKind.RETURN and not self.issued_for_id:
            errors["purpose"] = _("A return names what the goods came back from (a consignment, a distribution).")
        if self.kind == EntryKind.ISSUE and not (self.issued_for_id or self.purpose.strip()):
            errors["purpose"] = _("Every issue says what it is for: a distribution or an incident.")
        if self.kind in (EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_IN) and not self.transfer_id:
            errors["transfer"] = _("A transfer entry belongs to a transfer.")
        if self.kind == EntryKind.LOSS and not self.loss_id:
            errors["loss"] = _("A loss entry belongs to an approved loss report.")
        if self.kind == EntryKind.COUNT_ADJUSTMENT and not self.count_id:
            errors["count"] = _("A count adjustment belongs to a count.")
        if errors:
            raise ValidationError(errors)


# --- mobile-team field incidents ----------------------------------------------------------------------------

#: Incidents are seen in their office by the mobile teams and those who read their work (see permissions.py).
INCIDENT_SCOPE = Scope(office="office", roles=INCIDENT_READ_ROLES)
#: The rows of an incident are seen with it.
INCIDENT_PART_SCOPE = Scope(office="incident__office", roles=INCIDENT_READ_ROLES)


class FieldIncident(models.Model):
    """A group of people a mobile team met at the border (at sea or on land), with what the team gave them.

    Group-level only: people are counted by sex × age group × nationality, never named."""

    office = models.ForeignKey(
        "core.Office", on_delete=models.PROTECT, related_name="field_incidents", verbose_name=_("office")
    )
    reference = models.CharField(_("reference"), max_length=48, unique=True, editable=False)
    occurred_at = models.DateTimeField(_("date and time"), db_index=True)
    district = models.ForeignKey(
        "core.AdminArea",
        on_delete=models.PROTECT,
        related_name="+",
        to_field="pcode",
        limit_choices_to={"level": 2},
        verbose_name=_("district"),
    )
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    terrain = models.CharField(_("land or sea"), max_length=8, choices=Terrain.choices)
    authority = models.CharField(_("authority present"), max_length=16, choices=Authority.choices)
    how_met = models.CharField(_("how the group was met"), max_length=20, choices=HowMet.choices, db_index=True)
    vehicle = models.ForeignKey(
        StockLocation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("team's vehicle"),
    )
    people_met = models.PositiveIntegerField(_("people met"), default=0, editable=False)
    # Vulnerable cases seen (counts, not people).
    unaccompanied_children = models.PositiveIntegerField(_("unaccompanied children"), default=0)
    pregnant_women = models.PositiveIntegerField(_("pregnant women"), default=0)
    injured = models.PositiveIntegerField(_("injured"), default=0)
    with_disability = models.PositiveIntegerField(_("people with a disability"), default=0)
    # Referrals made.
    referred_to_case = models.PositiveIntegerField(_("referred to a case"), default=0)
    referred_to_health = models.PositiveIntegerField(_("referred to health"), default=0)
    referred_to_pmm = models.PositiveIntegerField(_("referred to the PMM"), default=0)
    referral_note = models.CharField(_("referral note"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True, help_text=_("What happened; no names."))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = INCIDENT_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("field incident")
        indexes = [models.Index(fields=["office", "occurred_at"], name="incident_office_when")]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_how_met_display()}"

    def clean(self):
        errors = {}
        if self.district_id and self.district.level != 2:
            errors["district"] = _("Give a district, not a province.")
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = _("Give both coordinates or neither.")
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            errors["latitude"] = _("A latitude is between -90 and 90.")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            errors["longitude"] = _("A longitude is between -180 and 180.")
        if self.how_met == HowMet.RESCUE_AT_SEA and self.terrain == Terrain.LAND:
            errors["terrain"] = _("A rescue at sea is at sea.")
        if self.vehicle_id and self.office_id:
            if self.vehicle.office_id != self.office_id:
                errors["vehicle"] = _("The vehicle belongs to another office.")
            elif self.vehicle.kind != LocationKind.VEHICLE:
                errors["vehicle"] = _("Choose one of the team's vehicles.")
        if errors:
            raise ValidationError(errors)


class IncidentGroupCount(models.Model):
    """How many people of one sex, age group and nationality a team met at an incident."""

    incident = models.ForeignKey(FieldIncident, on_delete=models.CASCADE, related_name="group_counts")
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    nationality = models.CharField(_("nationality"), max_length=3, help_text=_("ISO 3166-1 alpha-3 code."))
    count = models.PositiveIntegerField(_("people"))

    scope = INCIDENT_PART_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "nationality", "sex", "age_group"]
        verbose_name = _("people met")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "sex", "age_group", "nationality"], name="incident_group_count_once"
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="incident_group_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.nationality} {self.sex} {self.age_group}: {self.count}"

    def clean(self):
        import pycountry

        if not self.nationality or pycountry.countries.get(alpha_3=self.nationality.upper()) is None:
            raise ValidationError({"nationality": _("Give the nationality as an ISO 3166-1 alpha-3 code (SYR).")})


class IncidentServiceGiven(models.Model):
    """A service a team gave at an incident (interpretation, first aid …), with how many times or people."""

    incident = models.ForeignKey(FieldIncident, on_delete=models.CASCADE, related_name="services_given")
    service = models.CharField(_("service"), max_length=16, choices=IncidentService.choices)
    quantity = models.PositiveIntegerField(_("quantity"))

    scope = INCIDENT_PART_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "service"]
        verbose_name = _("service given")
        verbose_name_plural = _("services given")
        constraints = [
            models.UniqueConstraint(fields=["incident", "service"], name="incident_service_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="incident_service_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} × {self.quantity}"


# --- in-kind distributions ----------------------------------------------------------------------------------

#: Distribution plans and entitlements are seen in their office by distribution, warehouse and programme staff.
DISTRIBUTION_SCOPE = Scope(office="office", roles=DISTRIBUTION_READ_ROLES)
DISTRIBUTION_PART_SCOPE = Scope(office="plan__office", roles=DISTRIBUTION_READ_ROLES)


class DistributionPlan(models.Model):
    """A distribution of food or non-food items to registered households of one office.

    The plan says what each household receives by its size (`PlanItem` bands) and which households are entitled
    (`Entitlement`, one per household). Opening it sends the total from the warehouse to the distribution site
    (transfers, received there by the site team); each household's receipt issues its items from the site's
    stock; closing it marks what was not collected as unclaimed and sends that back to the warehouse."""

    office = models.ForeignKey(
        "core.Office", on_delete=models.PROTECT, related_name="distribution_plans", verbose_name=_("office")
    )
    reference = models.CharField(_("reference"), max_length=48, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=160)
    project_code = models.CharField(_("project code"), max_length=48)
    warehouse = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="distribution_plans", verbose_name=_("from warehouse")
    )
    site = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="distributions_at", verbose_name=_("distribution site")
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    state = models.CharField(
        _("state"), max_length=16, choices=DistributionState.choices, default=DistributionState.PLANNED, db_index=True
    )
    selection = models.CharField(
        _("how households were selected"), max_length=300, blank=True, help_text=_("The criteria or the list used.")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = DISTRIBUTION_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("distribution plan")

    def __str__(self) -> str:
        return f"{self.reference} · {self.name}"

    @property
    def workflow(self):
        from .workflows import DISTRIBUTION_WORKFLOW

        return DISTRIBUTION_WORKFLOW

    def clean(self):
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The last day is on or after the first.")
        if self.warehouse_id and self.office_id:
            if self.warehouse.office_id != self.office_id:
                errors["warehouse"] = _("The warehouse belongs to another office.")
            elif self.warehouse.kind != LocationKind.WAREHOUSE:
                errors["warehouse"] = _("Choose one of the office's warehouses.")
        if self.site_id and self.office_id:
            if self.site.office_id != self.office_id:
                errors["site"] = _("The site belongs to another office.")
            elif self.site.kind != LocationKind.SITE:
                errors["site"] = _("Choose one of the office's distribution sites.")
        if not (self.project_code or "").strip():
            errors["project_code"] = _("Name the project code the distribution is funded under.")
        if errors:
            raise ValidationError(errors)


class PlanItem(models.Model):
    """What a household of `min_size` to `max_size` people receives of one item (no upper bound when empty)."""

    plan = models.ForeignKey(DistributionPlan, on_delete=models.CASCADE, related_name="plan_items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    min_size = models.PositiveSmallIntegerField(_("from household size"), default=1)
    max_size = models.PositiveSmallIntegerField(_("to household size"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity per household"))

    scope = DISTRIBUTION_PART_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "item__name", "min_size"]
        verbose_name = _("plan item")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="plan_item_quantity_positive"),
            models.CheckConstraint(condition=Q(min_size__gte=1), name="plan_item_min_size_positive"),
        ]

    def __str__(self) -> str:
        top = self.max_size if self.max_size is not None else "+"
        return f"{self.item}: {self.quantity} ({self.min_size}–{top})"

    def applies_to(self, size: int) -> bool:
        return self.min_size <= size and (self.max_size is None or size <= self.max_size)

    def clean(self):
        if self.max_size is not None and self.max_size < self.min_size:
            raise ValidationError({"max_size": _("The upper size is at least the lower one.")})


class Entitlement(models.Model):
    """What one household is to receive under a plan, and, once it came, who received it for the household.

    One per household per plan (a database constraint): a second receipt is refused and shows the first."""

    plan = models.ForeignKey(DistributionPlan, on_delete=models.PROTECT, related_name="entitlements")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="entitlements", verbose_name=_("household")
    )
    household_size = models.PositiveSmallIntegerField(_("household size"))
    state = models.CharField(
        _("state"), max_length=16, choices=EntitlementState.choices, default=EntitlementState.PENDING
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by_person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("received by (member)"),
    )
    received_by_name = models.CharField(
        _("received by (someone else)"),
        max_length=160,
        blank=True,
        help_text=_("A person the household sent, when no member came."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = DISTRIBUTION_PART_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "household__reference"]
        verbose_name = _("entitlement")
        constraints = [models.UniqueConstraint(fields=["plan", "household"], name="entitlement_once_per_plan")]
        indexes = [models.Index(fields=["plan", "state"], name="entitlement_plan_state")]

    def __str__(self) -> str:
        return f"{self.plan.reference} · {self.household.reference}"

    @property
    def office_id(self):
        return self.plan.office_id


class EntitlementLine(models.Model):
    """One item of an entitlement, with its quantity (from the plan's band for the household's size)."""

    entitlement = models.ForeignKey(Entitlement, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    quantity = models.PositiveIntegerField(_("quantity"))

    scope = Scope(office="entitlement__plan__office", roles=DISTRIBUTION_READ_ROLES)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["entitlement", "item__name"]
        verbose_name = _("entitlement line")
        constraints = [
            models.UniqueConstraint(fields=["entitlement", "item"], name="entitlement_line_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="entitlement_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item}"
