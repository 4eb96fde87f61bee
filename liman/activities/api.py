"""REST API of activities, read-only and scoped: activities with their sessions and participant counts (never who
took part: names stay on the pages, where the participants' tier applies)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from liman.core.api import ScopedReadOnlyViewSet

from . import selectors
from .choices import ActivityState, ActivityType
from .models import Activity, Session


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["number", "held_on", "topic", "hours"]


class ActivitySerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    programme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    province = serializers.SlugRelatedField(slug_field="pcode", read_only=True)
    district = serializers.SlugRelatedField(slug_field="pcode", read_only=True, allow_null=True)
    sessions = SessionSerializer(many=True, read_only=True)
    participant_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Activity
        fields = ["reference", "office", "programme", "type", "title", "state", "province", "district", "venue",
                  "starts_on", "ends_on", "facilitators", "target_group", "completion_percent", "sessions",
                  "participant_count"]  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("type", str, enum=ActivityType.values, required=False),
            OpenApiParameter("state", str, enum=ActivityState.values, required=False),
        ]
    )
)
class ActivityViewSet(ScopedReadOnlyViewSet):
    """Activities of the caller's offices (`?type=`, `?state=`), each with its sessions and number of participants."""

    serializer_class = ActivitySerializer
    queryset = Activity.objects.all()
    lookup_field = "reference"

    def get_queryset(self):
        params = self.request.query_params
        kind, state = params.get("type", "").strip(), params.get("state", "").strip()
        return selectors.activities_for(
            self.request.user,
            type=kind if kind in ActivityType.values else "",
            state=state if state in ActivityState.values else "",
        ).prefetch_related("sessions")
