"""REST API of the case engine, read-only: cases and referrals, scoped to the caller. Partner users get the
partner view of a referral (what was shared with them, nothing of the case)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from liman.core.api import ScopedReadOnlyViewSet

from . import selectors
from .choices import CaseType, ReferralStatus, ServiceType
from .models import Case, Referral
from .workflows import state_choices


class CaseSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    programme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    person = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    person_name = serializers.CharField(source="person.full_name", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    state_label = serializers.CharField(read_only=True)
    reflection_period_ends_on = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "reference", "type", "state", "state_label", "office", "programme", "sensitivity", "person",
            "person_name", "owner", "opened_on", "closed_on", "closure_reason", "victim_status", "identified_on",
            "reflection_period_ends_on", "declaration_signed_on", "destination_country", "departure_on",
        ]  # fmt: skip


class SharedPersonSerializer(serializers.Serializer):
    """The person's details the sender chose to share; a key is absent when it was not shared."""

    full_name = serializers.CharField(required=False)
    sex = serializers.CharField(required=False)
    age = serializers.IntegerField(required=False, allow_null=True)
    nationality = serializers.CharField(required=False)
    languages = serializers.ListField(child=serializers.CharField(), required=False)
    phone = serializers.CharField(required=False)


class PartnerReferralSerializer(serializers.ModelSerializer):
    """What a partner organisation sees of a referral addressed to it."""

    from_office = serializers.CharField(source="office.name", read_only=True)
    to_partner = serializers.CharField(source="to_partner.name", read_only=True)
    # Plain strings: "status" names other choice sets in other apps (an enum here would collide in the schema).
    service_type = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    person = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "reference", "from_office", "to_partner", "service_type", "summary", "shared_fields", "person", "status",
            "sent_at", "responded_at", "response_reason",
        ]  # fmt: skip

    def get_service_type(self, referral: Referral) -> str:
        """The service the person needs (a `ServiceTypeEnum` code); blank when not said."""
        return referral.service_type

    def get_status(self, referral: Referral) -> str:
        """`pending`, `accepted` or `declined`."""
        return referral.status

    @extend_schema_field(SharedPersonSerializer)
    def get_person(self, referral: Referral) -> dict:
        return {key: value for key, value in referral.shared.items() if key in referral.shared_fields}


class ReferralSerializer(PartnerReferralSerializer):
    """A referral as mission staff see it, sending or receiving."""

    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    to_office = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    to_programme = serializers.SerializerMethodField()
    service_type = serializers.ChoiceField(choices=ServiceType.choices, read_only=True)
    to_partner = serializers.CharField(source="to_partner.name", read_only=True, allow_null=True, default=None)
    sent_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    resulting_case = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)

    class Meta(PartnerReferralSerializer.Meta):
        fields = [
            "reference", "kind", "case", "office", "to_office", "to_programme", "to_partner", "service_type",
            "summary", "shared_fields", "person", "status", "sent_by", "sent_at", "responded_at", "response_reason",
            "resulting_case", "sensitivity",
        ]  # fmt: skip

    def get_to_programme(self, referral: Referral) -> str | None:
        """The programme code (`protection`, `counter_trafficking`, `avrr`) of a referral within the mission."""
        return referral.to_programme.code if referral.to_programme_id else None


REFERRAL_RESPONSE = PolymorphicProxySerializer(
    component_name="ReferralForCaller",
    serializers=[ReferralSerializer, PartnerReferralSerializer],
    resource_type_field_name=None,
)


class CaseViewSet(ScopedReadOnlyViewSet):
    """Cases the caller sees; protection-sensitive cases only for roles that read that tier."""

    serializer_class = CaseSerializer
    lookup_field = "reference"
    queryset = Case.objects.all()

    @extend_schema(
        parameters=[
            OpenApiParameter("type", str, enum=CaseType.values),
            OpenApiParameter("state", str, enum=[value for value, _label in state_choices()]),
            OpenApiParameter("owner", str, description="`me`, `none` or a user name"),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        case_type = params.get("type", "")
        if case_type and case_type not in CaseType.values:
            raise ValidationError({"type": f"Use one of: {', '.join(CaseType.values)}."})
        state = params.get("state", "")
        if state and state not in {value for value, _label in state_choices()}:
            raise ValidationError({"state": "No case type has this state."})
        return selectors.cases_for(self.request.user, type=case_type, state=state, owner=params.get("owner", ""))


class ReferralViewSet(ScopedReadOnlyViewSet):
    """Referrals the caller sent, received, or (partner users) that were addressed to their organisation."""

    lookup_field = "reference"
    queryset = Referral.objects.all()

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return ReferralSerializer
        if selectors.is_partner_only(self.request.user):
            return PartnerReferralSerializer
        return ReferralSerializer

    def get_queryset(self):
        status = self.request.query_params.get("status", "")
        if status and status not in ReferralStatus.values:
            raise ValidationError({"status": f"Use one of: {', '.join(ReferralStatus.values)}."})
        referrals = selectors.referrals_for(self.request.user)
        return referrals.filter(status=status) if status else referrals

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=ReferralStatus.values)],
        responses=REFERRAL_RESPONSE,
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=REFERRAL_RESPONSE)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
