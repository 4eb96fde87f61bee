"""REST API of grants and employment, read-only and scoped: calls with their criteria, applications (a sole
proprietor's identity number masked as the pages mask identifiers), agreements with their tranches and monitoring
visits, job seekers, vacancies, placements with their follow-ups, and work-permit applications. People are named by
their registry reference only: names stay on the pages, where the person's tier applies."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from liman.core.api import ScopedReadOnlyViewSet
from liman.core.text import masked

from . import selectors
from .choices import ApplicationState, PermitKind, PermitState, TaxKind
from .models import (
    Criterion,
    GrantAgreement,
    GrantApplication,
    GrantCall,
    JobSeeker,
    MonitoringVisit,
    Placement,
    PlacementFollowUp,
    Tranche,
    Vacancy,
    WorkPermitApplication,
)

OFFICE = {"slug_field": "code", "read_only": True}


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["name", "weight", "max_score"]


class CallSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(**OFFICE)
    criteria = CriterionSerializer(many=True, read_only=True)
    application_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = GrantCall
        fields = ["reference", "office", "title", "opens_on", "closes_on", "max_amount", "currency", "donor_project",
                  "criteria", "application_count"]  # fmt: skip


class ApplicationSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(**OFFICE)
    call = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    tax_number = serializers.SerializerMethodField()
    agreement = serializers.SerializerMethodField()

    class Meta:
        model = GrantApplication
        fields = ["reference", "call", "office", "business_name", "owner", "owner_name", "owner_sex",
                  "owner_nationality", "sector", "registration", "tax_kind", "tax_number", "employees_syrian_f",
                  "employees_syrian_m", "employees_other_f", "employees_other_m", "employees_turkish_f",
                  "employees_turkish_m", "requested_amount", "state", "score", "submitted_on", "decided_at",
                  "agreement"]  # fmt: skip

    def get_tax_number(self, application) -> str:
        if application.tax_kind == TaxKind.SOLE_PROPRIETOR:
            return masked(application.tax_number)
        return application.tax_number

    def get_agreement(self, application) -> str | None:
        agreement = getattr(application, "agreement", None)
        return agreement.reference if agreement is not None else None


class TrancheSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tranche
        fields = ["number", "amount", "milestone", "status", "milestone_met_on", "paid_on", "payment_reference",
                  "provider", "payment_status"]  # fmt: skip


class VisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonitoringVisit
        fields = ["visited_on", "still_operating", "jobs_created", "jobs_retained", "jobs_by_group"]


class AgreementSerializer(serializers.ModelSerializer):
    application = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    office = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    tranches = TrancheSerializer(many=True, read_only=True)
    visits = VisitSerializer(many=True, read_only=True)

    class Meta:
        model = GrantAgreement
        fields = ["reference", "application", "office", "amount", "currency", "signed_on", "tranches", "visits"]

    def get_office(self, agreement) -> str:
        return agreement.application.office.code

    def get_currency(self, agreement) -> str:
        return agreement.application.call.currency


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("q", str, required=False)]))
class CallViewSet(ScopedReadOnlyViewSet):
    """Calls for applications of the caller's offices, with their scoring criteria and number of applications."""

    serializer_class = CallSerializer
    queryset = GrantCall.objects.all()
    lookup_field = "reference"

    def get_queryset(self):
        return selectors.calls_for(self.request.user).prefetch_related("criteria")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=ApplicationState.values, required=False),
            OpenApiParameter("call", str, required=False, description="The call's reference."),
        ]
    )
)
class ApplicationViewSet(ScopedReadOnlyViewSet):
    """Applications of the caller's offices (`?state=`, `?call=`), with the committee's state and the score."""

    serializer_class = ApplicationSerializer
    queryset = GrantApplication.objects.all()
    lookup_field = "reference"

    def get_queryset(self):
        params = self.request.query_params
        state = params.get("state", "").strip()
        rows = selectors.applications_for(self.request.user, state=state if state in ApplicationState.values else "")
        call = params.get("call", "").strip().upper()
        if call:
            rows = rows.filter(call__reference=call)
        return rows.select_related("agreement")


class AgreementViewSet(ScopedReadOnlyViewSet):
    """Grant agreements of the caller's offices with their tranches (paid, due, sent through the cash part) and
    monitoring visits (jobs created and retained, by nationality and sex when counted so)."""

    serializer_class = AgreementSerializer
    queryset = GrantAgreement.objects.all()
    lookup_field = "reference"

    def get_queryset(self):
        return selectors.agreements_for(self.request.user).prefetch_related("tranches", "visits")


# --- employment ---------------------------------------------------------------------------------------------------


class SeekerSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(**OFFICE)
    person = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = JobSeeker
        fields = ["id", "office", "person", "skills", "languages", "registered_on"]


class VacancySerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(**OFFICE)
    employer = serializers.SlugRelatedField(slug_field="name", read_only=True)
    province = serializers.SerializerMethodField()
    referral_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Vacancy
        fields = ["id", "office", "employer", "province", "title", "positions", "monthly_wage",
                  "seasonal_agriculture", "opened_on", "referral_count"]  # fmt: skip

    def get_province(self, vacancy) -> str:
        return vacancy.employer.province.pcode


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlacementFollowUp
        fields = ["months", "due_on", "done_on", "still_employed"]


class PlacementSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(**OFFICE)
    person = serializers.SerializerMethodField()
    vacancy = serializers.SerializerMethodField()
    employer = serializers.SerializerMethodField()
    follow_ups = FollowUpSerializer(many=True, read_only=True)

    class Meta:
        model = Placement
        fields = ["id", "office", "person", "vacancy", "employer", "started_on", "monthly_wage", "follow_ups"]

    def get_person(self, placement) -> str:
        return placement.referral.seeker.person.reference

    def get_vacancy(self, placement) -> int:
        return placement.referral.vacancy_id

    def get_employer(self, placement) -> str:
        return placement.referral.vacancy.employer.name


class PermitSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(**OFFICE)
    person = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    employer = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = WorkPermitApplication
        fields = ["id", "office", "person", "employer", "placement", "kind", "state", "monthly_wage", "submitted_on",
                  "decided_on", "decision_reference"]  # fmt: skip


class SeekerViewSet(ScopedReadOnlyViewSet):
    """Job seekers of the caller's offices: their registry reference, skills and languages."""

    serializer_class = SeekerSerializer
    queryset = JobSeeker.objects.all()

    def get_queryset(self):
        return selectors.seekers_for(self.request.user).order_by("-registered_on", "-id")


class VacancyViewSet(ScopedReadOnlyViewSet):
    """Vacancies of the caller's offices' employers, with the number of people referred."""

    serializer_class = VacancySerializer
    queryset = Vacancy.objects.all()

    def get_queryset(self):
        return (
            selectors.vacancies_for(self.request.user)
            .select_related("employer__province")
            .order_by("-opened_on", "-id")
        )


class PlacementViewSet(ScopedReadOnlyViewSet):
    """Placements of the caller's offices, with their 3- and 6-month follow-ups."""

    serializer_class = PlacementSerializer
    queryset = Placement.objects.all()

    def get_queryset(self):
        return selectors.placements_for(self.request.user).prefetch_related("follow_ups").order_by("-started_on", "-id")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=PermitState.values, required=False),
            OpenApiParameter("kind", str, enum=PermitKind.values, required=False),
        ]
    )
)
class PermitViewSet(ScopedReadOnlyViewSet):
    """Work-permit applications (and seasonal-agriculture exemptions) the caller's offices support (`?state=`,
    `?kind=`), with the decision."""

    serializer_class = PermitSerializer
    queryset = WorkPermitApplication.objects.all()

    def get_queryset(self):
        params = self.request.query_params
        state, kind = params.get("state", "").strip(), params.get("kind", "").strip()
        return selectors.permits_for(
            self.request.user,
            state=state if state in PermitState.values else "",
            kind=kind if kind in PermitKind.values else "",
        ).order_by("-id")
