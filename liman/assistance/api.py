"""REST API of the stock ledger, read-only: the catalogue, stock locations, balances and ledger entries, scoped to
the caller's offices (another office's records answer 404)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from liman.core.api import ScopedReadOnlyViewSet

from . import selectors
from .models import (
    DistributionPlan,
    Entitlement,
    EntitlementLine,
    FieldIncident,
    IncidentGroupCount,
    IncidentServiceGiven,
    Item,
    LedgerEntry,
    PlanItem,
    StockBalance,
    StockLocation,
)


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["code", "name", "unit", "category", "tracks_lots", "is_active"]


class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    """The item catalogue (shared reference data: every signed-in user reads it)."""

    serializer_class = ItemSerializer
    lookup_field = "code"
    queryset = Item.objects.order_by("name")


class StockLocationSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = StockLocation
        fields = ["id", "office", "kind", "name", "vehicle_plate", "is_active"]


class StockLocationViewSet(ScopedReadOnlyViewSet):
    serializer_class = StockLocationSerializer
    queryset = StockLocation.objects.select_related("office")

    def get_queryset(self):
        return selectors.locations_for(self.request.user)


class StockBalanceSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    expires_on = serializers.DateField(source="lot.expires_on", read_only=True, allow_null=True, default=None)

    class Meta:
        model = StockBalance
        fields = ["id", "office", "location", "item", "lot", "expires_on", "quantity", "updated_at"]


class StockBalanceViewSet(ScopedReadOnlyViewSet):
    """Balances by location × item × lot: the sum of the ledger, kept with every entry."""

    serializer_class = StockBalanceSerializer
    queryset = StockBalance.objects.all()

    def get_queryset(self):
        return selectors.balances_for(self.request.user)


class LedgerEntrySerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    transfer = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "office", "location", "item", "lot", "kind", "quantity", "at", "by", "reference", "reason",
                  "purpose", "transfer"]  # fmt: skip


class LedgerEntryViewSet(ScopedReadOnlyViewSet):
    serializer_class = LedgerEntrySerializer
    queryset = LedgerEntry.objects.all()

    def get_queryset(self):
        return selectors.entries_for(self.request.user).select_related("transfer").order_by("-at", "-id")


class IncidentGroupCountSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentGroupCount
        fields = ["sex", "age_group", "nationality", "count"]


class IncidentServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentServiceGiven
        fields = ["service", "quantity"]


class FieldIncidentSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    district = serializers.CharField(source="district_id", read_only=True)
    province = serializers.CharField(source="district.parent.pcode", read_only=True, default=None)
    vehicle = serializers.CharField(source="vehicle.name", read_only=True, default=None)
    group_counts = IncidentGroupCountSerializer(many=True, read_only=True)
    services_given = IncidentServiceSerializer(many=True, read_only=True)

    class Meta:
        model = FieldIncident
        fields = ["id", "reference", "office", "occurred_at", "district", "province", "latitude", "longitude",
                  "terrain", "authority", "how_met", "vehicle", "people_met", "unaccompanied_children",
                  "pregnant_women", "injured", "with_disability", "referred_to_case", "referred_to_health",
                  "referred_to_pmm", "referral_note", "note", "group_counts", "services_given"]  # fmt: skip


class FieldIncidentViewSet(ScopedReadOnlyViewSet):
    """The mobile teams' field incidents: people met by sex × age group × nationality, services given, referrals."""

    serializer_class = FieldIncidentSerializer
    queryset = FieldIncident.objects.all()

    def get_queryset(self):
        return selectors.incidents_for(self.request.user).prefetch_related("group_counts", "services_given")


class PlanItemSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PlanItem
        fields = ["item", "min_size", "max_size", "quantity"]


class DistributionPlanSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    warehouse = serializers.CharField(source="warehouse.name", read_only=True)
    site = serializers.CharField(source="site.name", read_only=True)
    plan_items = PlanItemSerializer(many=True, read_only=True)
    households = serializers.IntegerField(source="n_entitled", read_only=True)
    received = serializers.IntegerField(source="n_received", read_only=True)
    unclaimed = serializers.IntegerField(source="n_unclaimed", read_only=True)

    class Meta:
        model = DistributionPlan
        fields = ["id", "reference", "office", "name", "project_code", "warehouse", "site", "starts_on", "ends_on",
                  "state", "selection", "plan_items", "households", "received", "unclaimed"]  # fmt: skip


class DistributionPlanViewSet(ScopedReadOnlyViewSet):
    """Distribution plans with what each household size receives and how many households were served."""

    serializer_class = DistributionPlanSerializer
    queryset = DistributionPlan.objects.all()

    def get_queryset(self):
        return selectors.plans_for(self.request.user).prefetch_related("plan_items__item")


class EntitlementLineSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = EntitlementLine
        fields = ["item", "quantity"]


class EntitlementSerializer(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    household = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    lines = EntitlementLineSerializer(many=True, read_only=True)
    received_by_member = serializers.SlugRelatedField(
        source="received_by_person", slug_field="reference", read_only=True, allow_null=True
    )
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Entitlement
        fields = ["id", "plan", "household", "household_size", "state", "lines", "received_at", "received_by_member",
                  "received_by_name", "recorded_by"]  # fmt: skip


class EntitlementViewSet(ScopedReadOnlyViewSet):
    """Each household's entitlement under a plan and its receipt; `?plan=REF` for one plan."""

    serializer_class = EntitlementSerializer
    queryset = Entitlement.objects.all()

    def get_queryset(self):
        rows = (
            Entitlement.objects.visible_to(self.request.user)
            .select_related("plan", "household", "received_by_person", "recorded_by")
            .prefetch_related("lines__item")
            .order_by("plan__reference", "household__reference")
        )
        plan = self.request.query_params.get("plan", "").strip()
        return rows.filter(plan__reference=plan.upper()) if plan else rows
