"""REST API of resettlement and movements, scoped like the pages (outside scope is 404). Medical facts appear
only as a traveller's clearance status, its expiry and travel needs: never a finding."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from liman.core.api import ScopedReadOnlyViewSet
from liman.health.api import inline_choice
from liman.health.choices import ClearanceStatus, TravelNeed
from liman.health.selectors import NO_CLEARANCE
from liman.registry.models import Person

from . import selectors
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
from .models import (
    Booking,
    CaseMember,
    Flight,
    FlightLeg,
    InterviewSlot,
    OrientationAttendance,
    OrientationSession,
    ResettlementCase,
    ReunificationCase,
    SelectionMission,
)


class ClearanceSerializer(serializers.Serializer):
    """A traveller's medical clearance as everyone outside health staff sees it."""

    status = inline_choice(ClearanceStatus.choices, allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    travel_needs = serializers.ListField(child=serializers.ChoiceField(choices=TravelNeed.choices))


def _clearance(person: Person) -> dict:
    clearance = getattr(person, "medical_clearance", None)
    if clearance is None:
        return {"status": None, "valid_until": None, "travel_needs": []}
    return {"status": clearance.status, "valid_until": clearance.valid_until, "travel_needs": clearance.travel_needs}


class CaseMemberSerializer(serializers.ModelSerializer):
    person = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    name = serializers.CharField(source="person.full_name", read_only=True)
    relationship = inline_choice(MemberRelationship.choices, read_only=True)
    medical_clearance = serializers.SerializerMethodField()

    class Meta:
        model = CaseMember
        fields = ["person", "name", "relationship", "is_travelling", "medical_clearance"]

    @extend_schema_field(ClearanceSerializer)
    def get_medical_clearance(self, member) -> dict:
        return ClearanceSerializer(_clearance(member.person)).data


class ResettlementCaseSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    principal = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    members = CaseMemberSerializer(source="visible_members", many=True, read_only=True)
    state = inline_choice(CaseState.choices, read_only=True)
    resume_state = inline_choice([("", ""), *CaseState.choices], read_only=True)
    decision = inline_choice([("", ""), *Decision.choices], read_only=True)
    hold_reason = inline_choice([("", ""), *HoldReason.choices], read_only=True)

    class Meta:
        model = ResettlementCase
        fields = [
            "reference", "office", "state", "country", "principal", "unhcr_reference", "country_case_id",
            "referred_on", "decision", "decided_on", "hold_reason", "resume_state", "departed_on", "arrived_on",
            "closed_on", "members",
        ]  # fmt: skip


BoardSerializer = inline_serializer(
    "PipelineBoard",
    fields={
        "countries": serializers.ListField(child=serializers.CharField()),
        "rows": serializers.ListField(
            child=inline_serializer(
                "PipelineBoardRow",
                fields={
                    "state": inline_choice(CaseState.choices),
                    "counts": serializers.ListField(child=serializers.IntegerField()),
                    "total": serializers.IntegerField(),
                },
            )
        ),
        "total": serializers.IntegerField(),
    },
)


class ResettlementCaseViewSet(ScopedReadOnlyViewSet):
    """Resettlement cases in the caller's scope with their travellers' clearance status.
    `?state=`, `?country=` and `?office=` narrow the list."""

    serializer_class = ResettlementCaseSerializer
    lookup_field = "reference"
    queryset = ResettlementCase.objects.select_related("office", "principal")

    def get_queryset(self):
        cases = super().get_queryset()
        params = self.request.query_params
        if params.get("state"):
            cases = cases.filter(state=params["state"])
        if params.get("country"):
            cases = cases.filter(country=params["country"].upper())
        if params.get("office"):
            cases = cases.filter(office__code=params["office"].upper())
        people = Person.objects.visible_to(self.request.user).values("pk")
        members = CaseMember.objects.filter(person__in=people).select_related("person__medical_clearance")
        return cases.prefetch_related(Prefetch("members", queryset=members, to_attr="visible_members"))

    @extend_schema(
        parameters=[OpenApiParameter("state", str), OpenApiParameter("country", str), OpenApiParameter("office", str)]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        responses=BoardSerializer, parameters=[OpenApiParameter("country", str), OpenApiParameter("office", str)]
    )
    @action(detail=False)
    def board(self, request, *args, **kwargs):
        """The pipeline board: cases by state × destination country."""
        filters = selectors.BoardFilters(
            office=request.query_params.get("office", ""), country=request.query_params.get("country", "")
        )
        board = selectors.pipeline_board(request.user, filters)
        return Response(
            {
                "countries": [code for code, _name in board.countries],
                "rows": [{"state": row["state"], "counts": row["counts"], "total": row["total"]} for row in board.rows],
                "total": board.total,
            }
        )


class FlightLegSerializer(serializers.ModelSerializer):
    class Meta:
        model = FlightLeg
        fields = ["sequence", "carrier", "flight_number", "origin", "destination", "departs_at", "arrives_at"]


class FlightSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    legs = FlightLegSerializer(many=True, read_only=True)
    traveller_count = serializers.IntegerField(read_only=True)
    status = inline_choice(FlightStatus.choices, read_only=True)

    class Meta:
        model = Flight
        fields = [
            "reference", "office", "destination_country", "status", "departs_at", "arrives_at", "traveller_count",
            "departure_confirmed_at", "arrival_confirmed_at", "legs",
        ]  # fmt: skip


class ManifestEntrySerializer(serializers.ModelSerializer):
    person = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    family_name = serializers.CharField(source="person.family_name", read_only=True)
    first_name = serializers.CharField(source="person.first_name", read_only=True)
    sex = serializers.CharField(source="person.sex", read_only=True)
    birth_date = serializers.DateField(source="person.birth_date", read_only=True)
    nationality = serializers.CharField(source="person.nationality", read_only=True)
    programme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = inline_choice(BookingStatus.choices, read_only=True)
    medical_clearance = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "person", "family_name", "first_name", "sex", "birth_date", "nationality", "programme",
            "source_reference", "status", "escort_name", "medif_received_on", "medical_clearance",
        ]  # fmt: skip

    @extend_schema_field(ClearanceSerializer)
    def get_medical_clearance(self, booking) -> dict:
        # The status in the caller's scope; the needs during travel for every traveller booked (see manifest_rows).
        row = self.context["rows"][booking.pk]
        clearance = row.clearance or NO_CLEARANCE
        clearance = {"status": clearance.status, "valid_until": clearance.valid_until}
        return ClearanceSerializer({**clearance, "travel_needs": list(row.travel_needs.needs)}).data


class FlightViewSet(ScopedReadOnlyViewSet):
    """Flights of the caller's offices with their legs; `manifest` lists the people booked."""

    serializer_class = FlightSerializer
    lookup_field = "reference"
    queryset = Flight.objects.select_related("office")

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .annotate(traveller_count=Count("bookings", filter=Q(bookings__status__in=ACTIVE_BOOKINGS)))
            .prefetch_related("legs")
        )

    @extend_schema(responses=ManifestEntrySerializer(many=True))
    @action(detail=True, pagination_class=None)
    def manifest(self, request, *args, **kwargs):
        rows = selectors.manifest_rows(request.user, self.get_object())
        context = {"rows": {row.booking.pk: row for row in rows}}
        return Response(ManifestEntrySerializer([row.booking for row in rows], many=True, context=context).data)


class InterviewSlotSerializer(serializers.ModelSerializer):
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    outcome = inline_choice(InterviewOutcome.choices, read_only=True)

    class Meta:
        model = InterviewSlot
        fields = ["case", "starts_at", "room", "interviewer", "interpreter", "language", "outcome"]


class SelectionMissionSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    interviewers = serializers.ListField(child=serializers.CharField(), read_only=True)
    interpreters = serializers.ListField(child=serializers.CharField(), read_only=True)
    slots = serializers.SerializerMethodField()

    class Meta:
        model = SelectionMission
        fields = [
            "reference",
            "office",
            "country",
            "starts_on",
            "ends_on",
            "place",
            "interviewers",
            "interpreters",
            "slots",
        ]

    @extend_schema_field(InterviewSlotSerializer(many=True))
    def get_slots(self, mission) -> list[dict]:
        return InterviewSlotSerializer(getattr(mission, "visible_slots", []), many=True).data


class SelectionMissionViewSet(ScopedReadOnlyViewSet):
    """Selection missions and the interview slots of the cases the caller may see."""

    serializer_class = SelectionMissionSerializer
    lookup_field = "reference"
    queryset = SelectionMission.objects.select_related("office")

    def get_queryset(self):
        slots = InterviewSlot.objects.visible_to(self.request.user).select_related("case")
        return super().get_queryset().prefetch_related(Prefetch("slots", queryset=slots, to_attr="visible_slots"))


class AttendanceSerializer(serializers.ModelSerializer):
    person = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = OrientationAttendance
        fields = ["person", "hours_attended", "completed"]


class OrientationSessionSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    country = serializers.CharField(source="course.country", read_only=True)
    course = serializers.CharField(source="course.name", read_only=True)
    attendance = AttendanceSerializer(many=True, read_only=True)

    class Meta:
        model = OrientationSession
        fields = [
            "reference",
            "office",
            "country",
            "course",
            "starts_on",
            "ends_on",
            "place",
            "facilitator",
            "attendance",
        ]


class OrientationSessionViewSet(ScopedReadOnlyViewSet):
    serializer_class = OrientationSessionSerializer
    lookup_field = "reference"
    queryset = OrientationSession.objects.select_related("office", "course").prefetch_related("attendance__person")


class ReunificationCaseSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    person = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    state = inline_choice(ReunificationState.choices, read_only=True)
    decision = inline_choice([("", ""), *ReunificationDecision.choices], read_only=True)

    class Meta:
        model = ReunificationCase
        fields = [
            "reference", "office", "person", "country", "is_fap", "sponsor_name", "state", "appointment_on",
            "documents_ready_on", "consulate_appointment_on", "submitted_on", "decision", "decided_on",
        ]  # fmt: skip


class ReunificationCaseViewSet(ScopedReadOnlyViewSet):
    """Family reunification cases (Germany's Family Assistance Programme among them)."""

    serializer_class = ReunificationCaseSerializer
    lookup_field = "reference"
    queryset = ReunificationCase.objects.select_related("office", "person")
