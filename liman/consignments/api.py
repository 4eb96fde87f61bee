"""REST API of cross-border consignments, read-only and scoped: the hub office's readers and the partner users of
the consignment's organisation see a consignment; everyone else gets 404."""

from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import serializers

from liman.core.api import ScopedReadOnlyViewSet

from . import selectors
from .models import Consignment, CrossingCheck, DistributionReport, ReportLine, Truck, TruckLine


class TruckLineSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = TruckLine
        fields = ["item", "lot", "quantity"]


class CrossingCheckSerializer(serializers.ModelSerializer):
    outcome = serializers.CharField(read_only=True)

    class Meta:
        model = CrossingCheck
        fields = ["checked_at", "seals_intact", "seals_found", "outcome", "reason"]


class TruckSerializer(serializers.ModelSerializer):
    lines = TruckLineSerializer(many=True, read_only=True)
    checks = CrossingCheckSerializer(many=True, read_only=True)

    class Meta:
        model = Truck
        fields = ["number", "plate", "driver_name", "seal_numbers", "returned_at", "lines", "checks"]


class ReportLineSerializer(serializers.ModelSerializer):
    people_by_sex_and_age = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()

    class Meta:
        model = ReportLine
        fields = ["subdistrict_pcode", "subdistrict_name", "households", "people", "people_by_sex_and_age", "items"]

    def get_people_by_sex_and_age(self, line) -> dict[str, int]:
        return {f"{row.sex}_{row.age_group}": row.count for row in line.people_counts.all()}

    def get_items(self, line) -> dict[str, int]:
        return {row.item.code: row.quantity for row in line.items.all()}


class DistributionReportSerializer(serializers.ModelSerializer):
    source = serializers.CharField(read_only=True)
    lines = ReportLineSerializer(many=True, read_only=True)

    class Meta:
        model = DistributionReport
        fields = ["submitted_at", "source", "households", "people", "lines"]


class ConsignmentSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    hub = serializers.CharField(source="hub.name", read_only=True)
    partner = serializers.CharField(source="partner.name", read_only=True)
    crossing = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    trucks = TruckSerializer(many=True, read_only=True)
    report = DistributionReportSerializer(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Consignment
        fields = ["id", "reference", "office", "hub", "partner", "crossing", "destination", "planned_on",
                  "project_code", "state", "dispatched_at", "trucks", "report"]  # fmt: skip


class ConsignmentViewSet(ScopedReadOnlyViewSet):
    """Cross-border consignments with their trucks, crossing checks and the partner's distribution report."""

    serializer_class = ConsignmentSerializer
    queryset = Consignment.objects.all()

    def get_queryset(self):
        lines = ReportLine.objects.prefetch_related("people_counts", "items__item")
        return (
            selectors.consignments_for(self.request.user)
            .select_related("report")
            .prefetch_related(
                Prefetch("trucks", queryset=Truck.objects.prefetch_related("lines__item", "lines__lot", "checks")),
                Prefetch("report__lines", queryset=lines),
            )
        )
