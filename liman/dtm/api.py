"""REST API of field data and DTM (read-only). Every viewset reads through `visible_to(request.user)`."""

from __future__ import annotations

from rest_framework import serializers

from liman.core.api import ScopedReadOnlyViewSet

from .models import Form, Operation, PresenceFigure, Site, SiteAssessment


class OperationSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    provinces = serializers.SlugRelatedField(slug_field="pcode", many=True, read_only=True)

    class Meta:
        model = Operation
        fields = ["id", "code", "name", "kind", "office", "started_on", "ended_on", "provinces"]


class OperationViewSet(ScopedReadOnlyViewSet):
    serializer_class = OperationSerializer
    queryset = Operation.objects.select_related("office").prefetch_related("provinces")


class SiteSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    operation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    district = serializers.SlugRelatedField(slug_field="pcode", read_only=True)
    province = serializers.SlugRelatedField(slug_field="pcode", read_only=True)

    class Meta:
        model = Site
        fields = [
            "site_id", "name", "type", "manager", "status", "office", "operation", "province", "district",
            "latitude", "longitude", "opened_on", "closed_on",
        ]  # fmt: skip


class SiteViewSet(ScopedReadOnlyViewSet):
    serializer_class = SiteSerializer
    lookup_field = "site_id"
    queryset = Site.objects.select_related("office", "operation", "district", "province")


class SiteAssessmentSerializer(serializers.ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="site_id", read_only=True)
    round = serializers.IntegerField(source="round.number", read_only=True)
    operation = serializers.CharField(source="round.operation.code", read_only=True)
    needs = serializers.SerializerMethodField()
    population_groups = serializers.SerializerMethodField()

    class Meta:
        model = SiteAssessment
        fields = [
            "id", "site", "operation", "round", "assessed_on", "households", "individuals",
            "f_0_4", "f_5_17", "f_18_59", "f_60", "m_0_4", "m_5_17", "m_18_59", "m_60",
            "population_groups", "needs",
        ]  # fmt: skip

    def get_needs(self, obj) -> list[dict]:
        return [{"sector": need.sector, "rank": need.rank, "severity": need.severity} for need in obj.needs.all()]

    def get_population_groups(self, obj) -> list[str]:
        """Codes of the population groups living at the site (as in the presence figures' `population_group`)."""
        return [group.group for group in obj.population_groups.all()]


class SiteAssessmentViewSet(ScopedReadOnlyViewSet):
    serializer_class = SiteAssessmentSerializer
    queryset = SiteAssessment.objects.select_related("site", "round__operation").prefetch_related(
        "needs", "population_groups"
    )


class PresenceFigureSerializer(serializers.ModelSerializer):
    province = serializers.SlugRelatedField(slug_field="pcode", read_only=True)

    class Meta:
        model = PresenceFigure
        fields = ["id", "period", "province", "population_group", "nationality", "source", "individuals"]


class PresenceFigureViewSet(ScopedReadOnlyViewSet):
    serializer_class = PresenceFigureSerializer
    queryset = PresenceFigure.objects.select_related("province")


class FormSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    version = serializers.SerializerMethodField()
    javarosa_check = serializers.SerializerMethodField()

    class Meta:
        model = Form
        fields = ["id", "form_id", "title", "office", "state", "target", "version", "javarosa_check"]

    def get_version(self, obj) -> str:
        return getattr(obj, "current_version", "") or ""

    def get_javarosa_check(self, obj) -> str:
        """The newest version's JavaRosa check: passed, not_checked or refused ("" without a version)."""
        return getattr(obj, "current_javarosa_check", "") or ""


class FormViewSet(ScopedReadOnlyViewSet):
    serializer_class = FormSerializer
    queryset = Form.objects.select_related("office")

    def get_queryset(self):
        from django.db.models import OuterRef, Subquery

        from .models import FormVersion

        latest = FormVersion.objects.filter(form=OuterRef("pk")).order_by("-created_at", "-id")
        return (
            super()
            .get_queryset()
            .annotate(
                current_version=Subquery(latest.values("version")[:1]),
                current_javarosa_check=Subquery(latest.values("javarosa_check")[:1]),
            )
        )
