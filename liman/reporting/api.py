"""REST API of reporting, read-only and scoped: the issued donor reports of the caller's projects, each with its
frozen content (figures, narrative, stories: counts only, protection-tier cells already suppressed when issued) and
the changes since the issue before. A report of a project outside the caller's offices answers 404."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from liman.core.api import ScopedReadOnlyViewSet

from .models import DonorReportIssue


class DonorReportIssueSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="report.project.grant_code", read_only=True)
    donor = serializers.CharField(source="report.project.donor.name", read_only=True)
    title = serializers.CharField(source="report.title", read_only=True)
    starts_on = serializers.DateField(source="report.starts_on", read_only=True)
    ends_on = serializers.DateField(source="report.ends_on", read_only=True)
    issued_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = DonorReportIssue
        fields = ["id", "project", "donor", "title", "starts_on", "ends_on", "number", "issued_at", "issued_by",
                  "content", "changes"]  # fmt: skip


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("project", str, required=False)]))
class DonorReportIssueViewSet(ScopedReadOnlyViewSet):
    """Issued donor reports of the caller's projects, latest first (`?project=GRANT-CODE`)."""

    serializer_class = DonorReportIssueSerializer
    queryset = DonorReportIssue.objects.all()

    def get_queryset(self):
        # The scope holds the roles too (REPORTING_READ_ROLES in the report's project's offices).
        issues = (
            DonorReportIssue.objects.visible_to(self.request.user)
            .select_related("report__project__donor", "issued_by")
            .order_by("-issued_at", "-pk")
        )
        project = self.request.query_params.get("project", "").strip()
        return issues.filter(report__project__grant_code=project) if project else issues
