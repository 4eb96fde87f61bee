"""REST API of cash assistance, read-only and scoped: programmes with their current rules, payment cycles, and
payments (`?cycle=REF`). A payment shows its household's reference, amount, status and the provider's outcome;
never the sealed snapshot (name, foreigner ID, phone) frozen for the provider."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers

from liman.core.api import ScopedReadOnlyViewSet

from . import selectors
from .choices import CycleState, PaymentStatus
from .models import CashProgramme, Payment, PaymentCycle, RuleVersion


class RuleVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RuleVersion
        fields = ["number", "eligibility", "transfer_value", "note", "created_at"]


class CashProgrammeSerializer(serializers.ModelSerializer):
    offices = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    current_rules = serializers.SerializerMethodField()

    class Meta:
        model = CashProgramme
        fields = ["code", "name", "currency", "offices", "is_active", "created_at", "current_rules"]

    @extend_schema_field(RuleVersionSerializer(allow_null=True))
    def get_current_rules(self, programme: CashProgramme):
        # From the prefetched versions: one query for the page, not one per programme.
        versions = sorted(programme.rule_versions.all(), key=lambda version: version.number)
        return RuleVersionSerializer(versions[-1]).data if versions else None


class CashProgrammeViewSet(ScopedReadOnlyViewSet):
    """Cash programmes of the caller's offices, each with its current rule version."""

    serializer_class = CashProgrammeSerializer
    queryset = CashProgramme.objects.all()
    lookup_field = "code"

    def get_queryset(self):
        return selectors.programmes_for(self.request.user).prefetch_related("rule_versions")


class PaymentCycleSerializer(serializers.ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    prepared_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    currency = serializers.CharField(source="programme.currency", read_only=True)

    class Meta:
        model = PaymentCycle
        fields = ["reference", "programme", "office", "number", "state", "provider", "households", "total",
                  "currency", "prepared_by", "created_at", "verified_at", "approved_by", "approved_at", "list_hash",
                  "sent_at", "reconciled_at"]  # fmt: skip


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("state", str, enum=CycleState.values, required=False)])
)
class PaymentCycleViewSet(ScopedReadOnlyViewSet):
    """Payment cycles of the caller's offices (`?state=` to filter): households and total on the list, who
    prepared and who approved it, and the hash of the approved list."""

    serializer_class = PaymentCycleSerializer
    queryset = PaymentCycle.objects.all()
    lookup_field = "reference"

    def get_queryset(self):
        state = self.request.query_params.get("state", "").strip()
        return selectors.cycles_for(self.request.user, state=state if state in CycleState.values else "")


class PaymentSerializer(serializers.ModelSerializer):
    cycle = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    household = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    rules_version = serializers.IntegerField(source="rules.number", read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "cycle", "household", "amount", "currency", "rules_version", "status", "hold_reason",
                  "paid_on", "transaction_id", "reported_amount"]  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("cycle", str, required=False, description="A cycle's reference."),
            OpenApiParameter("status", str, enum=PaymentStatus.values, required=False),
        ]
    )
)
class PaymentViewSet(ScopedReadOnlyViewSet):
    """Payments of the caller's offices; `?cycle=REF` for one cycle's list, `?status=` for one outcome."""

    serializer_class = PaymentSerializer
    queryset = Payment.objects.all()

    def get_queryset(self):
        payments = Payment.objects.visible_to(self.request.user).select_related("cycle", "household", "rules")
        cycle = self.request.query_params.get("cycle", "").strip()
        if cycle:
            payments = payments.filter(cycle__reference=cycle.upper())
        status = self.request.query_params.get("status", "").strip()
        if status in PaymentStatus.values:
            payments = payments.filter(status=status)
        return payments.order_by("cycle__reference", "household__reference")
