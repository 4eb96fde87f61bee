"""Health pages, for health staff only: the assessment queue, one assessment with its findings, the
fit-to-fly check. Everyone else meets health only as a clearance status (see `sections.py`)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.access import get_visible_or_404
from liman.core.choices import AuditAction, Role
from liman.core.lists import Listing
from liman.core.views import paginate, require_role
from liman.registry.selectors import person_get

from . import lists, selectors, services
from .choices import ClearanceStatus
from .forms import ClearForm, FindingsForm, FitToFlyForm, HoldForm
from .models import HealthAssessment


def _errors(exc: ValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


def _assessments(request: HttpRequest):
    require_role(request, {Role.HEALTH})
    listing = Listing.read(request, lists.ASSESSMENTS)
    rows = selectors.assessments_for(request.user, status=listing.values["status"], query=listing.values["q"])
    return listing, listing.ordered(rows)


def assessment_list(request: HttpRequest) -> HttpResponse:
    listing, rows = _assessments(request)
    return render(request, "health/assessment_list.html", {"page": paginate(request, rows), "listing": listing})


def assessment_export(request: HttpRequest, fmt: str) -> HttpResponse:
    listing, rows = _assessments(request)
    return listing.export_response(rows, fmt)


@require_POST
def assessment_request(request: HttpRequest, reference: str) -> HttpResponse:
    """Health staff open an assessment for a person (resettlement cases request theirs themselves)."""
    require_role(request, {Role.HEALTH})
    person = person_get(request.user, reference=reference)
    assessment = services.health_assessment_request(person=person, by=request.user)
    return redirect("health:health-assessment-detail", reference=assessment.reference)


def _assessment(request: HttpRequest, reference: str) -> HealthAssessment:
    queryset = HealthAssessment.objects.select_related("person", "office", "concluded_by")
    return get_visible_or_404(queryset, request.user, reference=reference.upper())


def assessment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    assessment = _assessment(request, reference)
    audit.record(AuditAction.VIEW, actor=request.user, obj=assessment, reason="health assessment page")
    forms = {"findings": FindingsForm(instance=assessment), "clear": ClearForm(), "hold": HoldForm()}
    problems: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "findings":
                forms["findings"] = form = FindingsForm(
                    request.POST, instance=HealthAssessment.objects.get(pk=assessment.pk)
                )
                if form.is_valid():
                    services.health_assessment_record(assessment=assessment, by=request.user, changes=form.changes())
                    messages.success(request, _("The findings are saved."))
                    return redirect("health:health-assessment-detail", reference=assessment.reference)
            elif action == "clear":
                forms["clear"] = form = ClearForm(request.POST)
                if form.is_valid():
                    services.health_assessment_clear(
                        assessment=assessment, by=request.user, valid_until=form.cleaned_data["valid_until"]
                    )
                    messages.success(request, _("The traveller is medically cleared."))
                    return redirect("health:health-assessment-detail", reference=assessment.reference)
            elif action == "hold":
                forms["hold"] = form = HoldForm(request.POST)
                if form.is_valid():
                    services.health_assessment_hold(
                        assessment=assessment, by=request.user, reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, _("The traveller is on medical hold."))
                    return redirect("health:health-assessment-detail", reference=assessment.reference)
        except ValidationError as exc:
            problems = _errors(exc)
        except PermissionDenied as exc:
            problems = [str(exc)]
    context = {
        "assessment": assessment,
        "person": assessment.person,
        "forms": forms,
        "problems": problems,
        # What still stands in the way of clearing, whatever date the clearance will be given.
        "clearance_problems": services.clearance_problems(assessment, timezone.localdate() + timedelta(days=365))
        if assessment.status != ClearanceStatus.CLEARED
        else [],
        "checks": selectors.fit_to_fly_checks_for(request.user, assessment.person)[:5],
        "fit_form": FitToFlyForm(),
        "history": selectors.assessments_of_person(request.user, assessment.person).exclude(pk=assessment.pk),
    }
    return render(request, "health/assessment_detail.html", context)


@require_POST
def fit_to_fly_record(request: HttpRequest, reference: str) -> HttpResponse:
    require_role(request, {Role.HEALTH})
    person = person_get(request.user, reference=reference)
    form = FitToFlyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the traveller is fit to fly."))
    else:
        try:
            services.fit_to_fly_record(person=person, by=request.user, is_fit=form.cleaned_data["is_fit"])
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The fit-to-fly check is recorded."))
    return redirect(f"{reverse('registry:person-detail', args=[person.reference])}#section-health")
