"""REST API of core. Every viewset reads through `visible_to(request.user)`: outside scope is 404."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import audit, selectors
from .models import AdminArea, AuditEvent, Office, RoleGrant, TaskProgress, User


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Base for every API viewset over a scoped model: the queryset is always narrowed to the caller, and every
    read of protection- or medical-tier records is written to the audit log (one event per answer, listing them)."""

    def get_queryset(self):
        return self.queryset.visible_to(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._audit_read(page if page is not None else queryset)
        return page

    def get_object(self):
        obj = super().get_object()
        if self.action == "retrieve" and not getattr(self, "_read_audited", False):
            self._read_audited = True
            self._audit_read([obj])
        return obj

    def _audit_read(self, records) -> None:
        if self.request.method == "GET":
            audit.record_read(self.request.user, records, reason="api", ip_address=audit.client_address(self.request))


class AdminAreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="pcode", read_only=True)

    class Meta:
        model = AdminArea
        fields = [
            "pcode",
            "level",
            "name_tr",
            "name_en",
            "iso_code",
            "parent",
            "centroid_lat",
            "centroid_lon",
            "area_km2",
        ]


class AdminAreaViewSet(viewsets.ReadOnlyModelViewSet):
    """Provinces and districts (public reference data: every signed-in user reads them)."""

    serializer_class = AdminAreaSerializer
    lookup_field = "pcode"
    queryset = AdminArea.objects.select_related("parent")

    @extend_schema(parameters=[OpenApiParameter("level", int), OpenApiParameter("parent", str)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        areas = self.queryset
        level = self.request.query_params.get("level")
        if level:
            if level not in ("1", "2"):
                raise ValidationError({"level": "Use 1 (province) or 2 (district)."})
            areas = areas.filter(level=int(level))
        parent = self.request.query_params.get("parent")
        if parent:
            areas = areas.filter(parent__pcode=parent.upper())
        return areas

    @extend_schema(parameters=[OpenApiParameter("q", str, required=True)], responses=AdminAreaSerializer)
    @action(detail=False)
    def resolve(self, request, *args, **kwargs):
        """One area from a p-code, ISO code, plate number or name (`İZMİR`, `Izmir`, `35`, `TR-35`, `TUR035`)."""
        text = request.query_params.get("q", "")
        try:
            area = AdminArea.objects.select_related("parent").resolve(text)
        except AdminArea.DoesNotExist as exc:
            raise NotFound(str(exc)) from exc
        except AdminArea.MultipleObjectsReturned as exc:
            raise ValidationError({"q": str(exc)}) from exc
        return Response(self.get_serializer(area).data)


class OfficeSerializer(serializers.ModelSerializer):
    province = serializers.SlugRelatedField(slug_field="pcode", read_only=True)

    class Meta:
        model = Office
        fields = ["code", "name", "type", "province", "is_active"]


class OfficeViewSet(ScopedReadOnlyViewSet):
    serializer_class = OfficeSerializer
    lookup_field = "code"
    queryset = Office.objects.select_related("province")


class RoleGrantSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    programme = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RoleGrant
        fields = ["role", "office", "programme", "expires_on"]


class StaffSerializer(serializers.ModelSerializer):
    grants = RoleGrantSerializer(source="current_grants", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "grants"]


class StaffViewSet(ScopedReadOnlyViewSet):
    serializer_class = StaffSerializer
    lookup_field = "username"
    queryset = User.objects.all()

    def get_queryset(self):
        return selectors.staff_for(self.request.user)


class AuditEventSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "seq", "at", "actor_username", "office", "action", "object_type", "object_id", "object_repr",
            "changes", "reason", "ip_address", "sensitivity", "withheld", "prev_hash", "hash",
        ]  # fmt: skip

    withheld = serializers.SerializerMethodField()

    def to_representation(self, instance):
        # Outside the record's tier the values, the record's name and the reason are withheld, as on the page.
        audit.present([instance], self.context["request"].user)
        return super().to_representation(instance)

    def get_withheld(self, event) -> bool:
        return bool(getattr(event, "withheld", False))


class AuditEventViewSet(ScopedReadOnlyViewSet):
    serializer_class = AuditEventSerializer
    lookup_field = "seq"
    queryset = AuditEvent.objects.select_related("office")


class TaskProgressSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = TaskProgress
        fields = ["id", "name", "state", "total", "done", "percent", "message", "result", "created_at", "updated_at"]


class TaskProgressViewSet(ScopedReadOnlyViewSet):
    serializer_class = TaskProgressSerializer
    queryset = TaskProgress.objects.all()


class MeSerializer(serializers.ModelSerializer):
    grants = RoleGrantSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "preferred_language", "grants"]


class MeView(APIView):
    """The caller and their role grants."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)
