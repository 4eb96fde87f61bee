"""REST API of migration health. Assessments (with findings) answer health roles only, through the same
`visible_to` as the pages; everyone else reads clearances: status, expiry and travel needs, no findings."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from liman.core.api import ScopedReadOnlyViewSet

from .choices import ClearanceStatus, LabResult, TBClass, TravelNeed, XrayResult
from .models import HealthAssessment, MedicalClearance


def inline_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field documented with its values inline (inside `allOf`, which drf-spectacular's enum hook leaves
    alone): the API's many "status" and "state" fields then need no project-wide enum names in the settings."""

    @extend_schema_field({"allOf": [{"type": "string", "enum": [value for value, _label in choices]}]})
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField(choices=choices, **kwargs)


class HealthAssessmentSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    person = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    travel_needs = serializers.ListField(child=serializers.ChoiceField(choices=TravelNeed.choices), read_only=True)
    status = inline_choice(ClearanceStatus.choices, read_only=True)
    chest_xray = inline_choice(XrayResult.choices, read_only=True)
    sputum_smear = inline_choice(LabResult.choices, read_only=True)
    sputum_culture = inline_choice(LabResult.choices, read_only=True)
    tb_class = inline_choice(TBClass.choices, read_only=True)

    class Meta:
        model = HealthAssessment
        fields = [
            "reference", "office", "person", "status", "requested_on", "assessed_on", "medical_history",
            "examination", "vaccinations", "chest_xray", "sputum_smear", "sputum_culture", "tb_class",
            "class_a_waived", "fit_to_travel", "travel_needs", "hold_reason", "valid_until", "concluded_on",
        ]  # fmt: skip


class HealthAssessmentViewSet(ScopedReadOnlyViewSet):
    """Health assessments with their findings: health roles only (medical tier); reading one is audited."""

    serializer_class = HealthAssessmentSerializer
    lookup_field = "reference"
    queryset = HealthAssessment.objects.select_related("office", "person")


class MedicalClearanceSerializer(serializers.ModelSerializer):
    person = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    travel_needs = serializers.ListField(child=serializers.ChoiceField(choices=TravelNeed.choices), read_only=True)
    status = inline_choice(ClearanceStatus.choices, read_only=True)

    class Meta:
        model = MedicalClearance
        fields = ["person", "status", "valid_until", "travel_needs", "updated_at"]


class MedicalClearanceViewSet(ScopedReadOnlyViewSet):
    """Each traveller's medical clearance (cleared / on medical hold / in progress), looked up by person."""

    serializer_class = MedicalClearanceSerializer
    lookup_field = "person__reference"
    lookup_url_kwarg = "person"
    queryset = MedicalClearance.objects.select_related("person")
