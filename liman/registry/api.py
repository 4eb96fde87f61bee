"""REST API of the registry: people and households, scoped like the pages (outside scope is 404)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from liman.core import audit
from liman.core.api import ScopedReadOnlyViewSet
from liman.core.choices import AuditAction
from liman.core.text import masked

from .models import Consent, Household, HouseholdMember, Identifier, LegalStatus, Person


class LegalStatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = LegalStatus
        fields = ["status", "started_on", "ended_on"]


class IdentifierSerializer(serializers.ModelSerializer):
    """An identifier as the person page shows it: the last three characters; `reveal` shows it all, audited."""

    value = serializers.SerializerMethodField()

    class Meta:
        model = Identifier
        fields = ["id", "type", "value", "issuing_country", "valid_until", "warning"]

    def get_value(self, identifier) -> str:
        return masked(identifier.value)


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["purpose", "legal_basis", "given_on", "withdrawn_on"]


class PersonListSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    household = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "reference", "office", "first_name", "father_name", "family_name", "original_name", "sex",
            "birth_date", "birth_date_precision", "nationality", "household",
        ]  # fmt: skip

    def get_household(self, person) -> str | None:
        membership = getattr(person, "membership", None)
        return membership.household.reference if membership else None


class PersonDetailSerializer(PersonListSerializer):
    legal_statuses = LegalStatusSerializer(many=True, read_only=True)
    identifiers = IdentifierSerializer(many=True, read_only=True)
    consents = ConsentSerializer(many=True, read_only=True)
    phone = serializers.SerializerMethodField()

    def get_phone(self, person) -> str:
        return masked(person.phone)

    class Meta(PersonListSerializer.Meta):
        fields = [*PersonListSerializer.Meta.fields, "phone", "languages", "legal_statuses", "identifiers", "consents"]


class RevealSerializer(serializers.Serializer):
    identifier = serializers.IntegerField(required=False)
    field = serializers.ChoiceField(choices=["phone"], required=False)
    value = serializers.CharField(read_only=True)

    def validate(self, data):
        if bool(data.get("identifier")) == bool(data.get("field")):
            raise serializers.ValidationError(_("Name one identifier or the field 'phone'."))
        return data


class PersonViewSet(ScopedReadOnlyViewSet):
    """People in the caller's scope. `?office=IST` and `?nationality=SYR` narrow the list."""

    lookup_field = "reference"
    queryset = Person.objects.active().select_related("office", "membership__household")

    def get_serializer_class(self):
        return PersonDetailSerializer if self.action == "retrieve" else PersonListSerializer

    def get_queryset(self):
        people = super().get_queryset()
        office = self.request.query_params.get("office")
        if office:
            people = people.filter(office__code=office.upper())
        nationality = self.request.query_params.get("nationality")
        if nationality:
            people = people.filter(nationality=nationality.upper())
        if self.action == "retrieve":
            people = people.prefetch_related("legal_statuses", "identifiers", "consents")
        return people

    @extend_schema(parameters=[OpenApiParameter("office", str), OpenApiParameter("nationality", str)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=RevealSerializer, responses=RevealSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, *args, **kwargs):
        """One identifier (`{"identifier": id}`) or the phone (`{"field": "phone"}`) in full; audited."""
        person = self.get_object()
        asked = RevealSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        if asked.validated_data.get("identifier"):
            try:
                shown = person.identifiers.get(pk=asked.validated_data["identifier"])
            except Identifier.DoesNotExist as exc:
                raise NotFound(_("No such identifier of this person.")) from exc
            value, reason = shown.value, "identifier shown"
        else:
            shown, value, reason = person, person.phone, "phone shown"
        audit.record(
            AuditAction.VIEW, actor=request.user, obj=shown, reason=reason, ip_address=audit.client_address(request)
        )
        return Response({**asked.validated_data, "value": value})


class HouseholdMemberSerializer(serializers.ModelSerializer):
    person = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = HouseholdMember
        fields = ["person", "relationship", "joined_on"]


class HouseholdSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    head = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    district = serializers.SlugRelatedField(slug_field="pcode", read_only=True)
    members = HouseholdMemberSerializer(source="visible_members", many=True, read_only=True)

    class Meta:
        model = Household
        fields = ["reference", "office", "head", "district", "members"]


class HouseholdViewSet(ScopedReadOnlyViewSet):
    """Households in the caller's scope; members the caller may not see (a protection-tier person) are left out."""

    serializer_class = HouseholdSerializer
    lookup_field = "reference"
    queryset = Household.objects.select_related("office", "head", "district")

    def get_queryset(self):
        members = HouseholdMember.objects.visible_to(self.request.user).select_related("person")
        return super().get_queryset().prefetch_related(Prefetch("members", queryset=members, to_attr="visible_members"))
