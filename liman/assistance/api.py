"""REST API of the stock ledger, read-only: the catalogue, stock locations, balances and ledger entries, scoped to
the caller's offices (another office's records answer 404)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from liman.core.api import ScopedReadOnlyViewSet

from . import selectors
from .models import (
    FieldIncident,
    IncidentGroupCount,
    IncidentServiceGiven,
    Item,
    LedgerEntry,
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
