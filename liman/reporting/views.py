"""Reporting pages: the 3RP 4W of a month (review, submit, download), projects with their indicator tables and
records, project tagging, dashboards (country and project) and donor reports (narrative, stories, issues, downloads).
Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import audit, disclosure
from liman.core.access import get_visible_or_404
from liman.core.choices import AuditAction
from liman.core.models import Office
from liman.core.tabular import csv_bytes, xlsx_bytes
from liman.core.views import paginate, refusal_messages, role_required

from . import dashboards, fourw, selectors, services
from .forms import DonorReportForm, ProjectDefaultForm, RetagForm, StoryForm
from .permissions import DONOR_REPORT_WRITE_ROLES, REPORTING_READ_ROLES, REPORTING_WRITE_ROLES


def _month(text: str | None):
    if not text:
        return fourw.previous_month(timezone.localdate().replace(day=1))
    try:
        return fourw.parse_month(text)
    except ValueError as exc:
        raise Http404(str(exc)) from None


@role_required(REPORTING_READ_ROLES)
def fourw_page(request: HttpRequest) -> HttpResponse:
    month = _month(request.GET.get("month"))
    view = selectors.fourw_for(request.user, month)
    submitting = {office.pk for office in selectors.submitting_offices(request.user)}
    context = {
        "view": view,
        "month_text": month.strftime("%Y-%m"),
        "previous": fourw.previous_month(month).strftime("%Y-%m"),
        "next": fourw.next_month(month).strftime("%Y-%m"),
        "columns": [*fourw.COLUMNS, "year_to_date"],
        "may_submit": [office for office in view.open_offices if office.pk in submitting],
        "is_over": fourw.next_month(month) <= timezone.localdate(),
    }
    return render(request, "reporting/fourw.html", context)


@role_required(REPORTING_READ_ROLES)
def fourw_download(request: HttpRequest, month: str, fmt: str) -> HttpResponse:
    when = _month(month)
    view = selectors.fourw_for(request.user, when)
    rows = [list(fourw.COLUMNS), *[row[: len(fourw.COLUMNS)] for row in view.rows]]
    audit.record(AuditAction.EXPORT, actor=request.user, obj=None, reason=f"3RP 4W {month} {fmt.upper()}",
                 ip_address=audit.client_address(request))  # fmt: skip
    name = f"4w-{month}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(csv_bytes(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            xlsx_bytes({"4W": rows}),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@role_required(REPORTING_WRITE_ROLES)
def fourw_submit(request: HttpRequest) -> HttpResponse:
    month = _month(request.POST.get("month"))
    allowed = {office.pk: office for office in selectors.submitting_offices(request.user)}
    chosen = request.POST.getlist("office")
    offices = [allowed[int(pk)] for pk in chosen if pk.isdigit() and int(pk) in allowed]
    if not offices or len(offices) != len(chosen):
        raise Http404
    for office in offices:
        try:
            services.fourw_submit(month=month, office=office, by=request.user, note=request.POST.get("note", ""))
        except ValidationError as exc:
            for message in refusal_messages(exc):
                messages.error(request, message)
            break
        else:
            messages.success(request, _("The 4W of %(m)s is submitted and locked for %(o)s.")
                             % {"m": month.strftime("%Y-%m"), "o": office.code})  # fmt: skip
    return redirect(f"{reverse('reporting:fourw')}?month={month:%Y-%m}")


@role_required(REPORTING_READ_ROLES)
def project_list(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/project_list.html", {"projects": selectors.projects_for(request.user)})


@role_required(REPORTING_READ_ROLES)
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_for(request.user, pk)
    return render(request, "reporting/project_detail.html", _project_detail_context(request, project))


# --- project pages: records, tagging, dashboards ----------------------------------------------------------------


def _project_detail_context(request, project):
    return {
        "project": project,
        "table": selectors.indicator_table(project),
        "tag_counts": selectors.tag_counts(request.user, project),
        "reports": selectors.donor_reports_for(request.user).filter(project=project),
    }


@role_required(REPORTING_READ_ROLES)
def project_records(request: HttpRequest, pk: int) -> HttpResponse:
    """The records tagged with a project, in the user's offices; a reference shows only where the user may see the
    record itself (a case's reference stays with the caseworkers)."""
    project = selectors.project_for(request.user, pk)
    page = paginate(request, selectors.tags_of(request.user, project))
    rows = selectors.with_visibility(request.user, page.object_list)
    return render(request, "reporting/project_records.html", {"project": project, "page": page, "rows": rows})


@role_required(REPORTING_READ_ROLES)
def project_tags(request: HttpRequest) -> HttpResponse:
    """Default projects per office × programme, and re-tagging a record (reporting officers)."""
    submitting = selectors.submitting_offices(request.user)
    writer = bool(submitting)
    office_ids = [office.pk for office in submitting]
    projects = selectors.projects_for(request.user)
    default_form = ProjectDefaultForm(offices=Office.objects.filter(pk__in=office_ids), projects=projects)
    retag_form = RetagForm(projects=projects)
    if request.method == "POST":
        if not writer:
            raise Http404
        action = request.POST.get("action")
        try:
            if action == "default":
                default_form = ProjectDefaultForm(request.POST, offices=Office.objects.filter(pk__in=office_ids),
                                                  projects=projects)  # fmt: skip
                if default_form.is_valid():
                    data = default_form.cleaned_data
                    services.project_default_set(office=data["office"], programme=data["programme"],
                                                 project=data["project"], by=request.user)  # fmt: skip
                    messages.success(
                        request,
                        _("%(o)s × %(p)s now defaults to %(g)s.")
                        % {"o": data["office"].code, "p": data["programme"].name, "g": data["project"].grant_code},
                    )
                    return redirect("reporting:project-tags")
            elif action == "retag":
                retag_form = RetagForm(request.POST, projects=projects)
                if retag_form.is_valid():
                    data = retag_form.cleaned_data
                    record = selectors.taggable_record(request.user, data["kind"], data["reference"])
                    if record is None or record.office_id not in office_ids:
                        retag_form.add_error("reference", _("No such record in the offices you report for."))
                    else:
                        services.record_retag(record=record, project=data["project"], by=request.user,
                                              reason=data["reason"])  # fmt: skip
                        messages.success(
                            request,
                            _("%(r)s now belongs to %(g)s.")
                            % {"r": data["reference"], "g": data["project"].grant_code},
                        )
                        return redirect("reporting:project-tags")
            else:
                raise Http404
        except ValidationError as exc:
            for message in refusal_messages(exc):
                messages.error(request, message)
    context = {
        "defaults": selectors.defaults_for(request.user),
        "default_form": default_form,
        "retag_form": retag_form,
        "writer": writer,
        "retagged": selectors.with_visibility(request.user, selectors.retagged_for(request.user)[:20]),
    }
    return render(request, "reporting/project_tags.html", context)


def _year(request) -> int:
    text = request.GET.get("year", "")
    if not text:
        return timezone.localdate().year
    if not (text.isdigit() and 2000 <= int(text) <= 2100):
        raise Http404
    return int(text)


@role_required(REPORTING_READ_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    data = dashboards.country(request.user, year=year, today=timezone.localdate())
    chosen = _chosen(data["series"], request.GET.get("measure"))
    context = {
        **data,
        "year": year,
        "chosen": chosen,
        "chart": _chart(data["series"]),
        "map_url": f"{reverse('reporting:reporting-dashboard-map')}?year={year}&measure={chosen.key if chosen else ''}",
    }
    return render(request, "reporting/dashboard.html", context)


@role_required(REPORTING_READ_ROLES)
def project_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_for(request.user, pk)
    data = dashboards.project(project, today=timezone.localdate())
    chosen = _chosen(data["series"], request.GET.get("indicator"))
    map_url = (
        f"{reverse('reporting:project-dashboard-map', args=[project.pk])}?indicator={chosen.key if chosen else ''}"
    )
    context = {**data, "project": project, "chosen": chosen, "chart": _chart(data["series"]), "map_url": map_url}
    return render(request, "reporting/project_dashboard.html", context)


def _chosen(series, key):
    return next((one for one in series if one.key == key), series[0] if series else None)


def _chart(series) -> str:
    import json

    if not series:
        return "{}"
    return json.dumps({"labels": series[0].months,
                       "series": [{"label": one.label, "data": one.by_month} for one in series]})  # fmt: skip


def _map_json(series, key) -> JsonResponse:
    chosen = next((one for one in series if one.key == key), None)
    if chosen is None:
        raise Http404
    return JsonResponse({"metric": chosen.key, "label": chosen.label, "counts": chosen.by_province})


@role_required(REPORTING_READ_ROLES)
def dashboard_map(request: HttpRequest) -> JsonResponse:
    key = request.GET.get("measure", "")
    data = dashboards.country(request.user, year=_year(request), today=timezone.localdate(), only=key)
    return _map_json(data["series"], key)


@role_required(REPORTING_READ_ROLES)
def project_dashboard_map(request: HttpRequest, pk: int) -> JsonResponse:
    project = selectors.project_for(request.user, pk)
    return _map_json(dashboards.project(project, today=timezone.localdate())["series"], request.GET.get("indicator"))


def _published(request, rows, name: str, fmt: str) -> HttpResponse:
    audit.record(AuditAction.EXPORT, actor=request.user, obj=None, reason=f"{name} {fmt.upper()}",
                 ip_address=audit.client_address(request))  # fmt: skip
    if fmt == "csv":
        response = HttpResponse(csv_bytes(rows), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(xlsx_bytes({"Dashboard": rows}), content_type=XLSX)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@disclosure.publishes(None, fmt=["csv", "xlsx"])
@role_required(REPORTING_READ_ROLES)
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """The country dashboard's figures as published: no count of people between 1 and k-1."""
    year = _year(request)
    data = dashboards.country(request.user, year=year, today=timezone.localdate())
    rows = dashboards.published_rows(data["series"], data["names"])
    return _published(request, rows, f"dashboard-{year}", request.GET.get("fmt", "csv"))


@role_required(REPORTING_READ_ROLES)
def project_dashboard_export(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_for(request.user, pk)
    data = dashboards.project(project, today=timezone.localdate())
    rows = dashboards.published_rows(data["series"], data["names"])
    return _published(request, rows, f"dashboard-{project.grant_code}", request.GET.get("fmt", "csv"))


# --- donor reports ------------------------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@role_required(REPORTING_READ_ROLES)
def donor_report_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.projects_for(request.user)
    writer = bool(_donor_writer_projects(request.user))
    if request.method == "POST":
        if not writer:
            raise Http404
        project = get_visible_or_404(_donor_writer_projects(request.user), request.user,
                                     pk=request.POST.get("project") or 0)  # fmt: skip
        form = DonorReportForm(request.POST)
        if form.is_valid():
            try:
                report = services.donor_report_create(project=project, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for message in refusal_messages(exc):
                    messages.error(request, message)
            else:
                return redirect("reporting:donor-report-detail", pk=report.pk)
        else:
            for message in refusal_messages(ValidationError(form.errors)):
                messages.error(request, message)
    page = paginate(request, selectors.donor_reports_for(request.user).prefetch_related("issues"))
    return render(request, "reporting/donor_report_list.html",
                  {"page": page, "projects": projects, "writer": writer, "form": DonorReportForm()})  # fmt: skip


def _donor_writer_projects(user):
    """Projects in which the user writes donor reports (a writing role in one of the project's offices)."""
    from liman.core.access import active_grants

    grants = [grant for grant in active_grants(user) if grant.role in DONOR_REPORT_WRITE_ROLES]
    projects = selectors.projects_for(user)
    if user.is_superuser or any(grant.office_id is None for grant in grants):
        return projects
    return projects.filter(offices__in={grant.office_id for grant in grants}).distinct()


@role_required(REPORTING_READ_ROLES)
def donor_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.donor_report_for(request.user, pk)
    writer = _donor_writer_projects(request.user).filter(pk=report.project_id).exists()
    form = DonorReportForm(initial={name: getattr(report, name) for name in DonorReportForm.base_fields})
    story_form = StoryForm()
    if request.method == "POST":
        if not writer:
            raise Http404
        action = request.POST.get("action")
        try:
            if action == "edit":
                form = DonorReportForm(request.POST)
                if form.is_valid():
                    services.donor_report_update(report=report, by=request.user, changes=form.cleaned_data)
                    messages.success(request, _("Saved."))
                    return redirect("reporting:donor-report-detail", pk=report.pk)
            elif action == "story":
                story_form = StoryForm(request.POST)
                if story_form.is_valid():
                    services.story_add(report=report, by=request.user, **story_form.cleaned_data)
                    messages.success(request, _("Story added."))
                    return redirect("reporting:donor-report-detail", pk=report.pk)
            elif action == "issue":
                issue = services.donor_report_issue(report=report, by=request.user)
                messages.success(request, _("Issue %(n)s of the report is frozen.") % {"n": issue.number})
                return redirect("reporting:donor-report-detail", pk=report.pk)
            else:
                raise Http404
        except ValidationError as exc:
            for message in refusal_messages(exc):
                messages.error(request, message)
    from . import donor_reports

    context = {
        "report": report,
        "writer": writer,
        "form": form,
        "story_form": story_form,
        "content": donor_reports.content_of(report),
        "issues": list(report.issues.select_related("issued_by")),
        "stories": report.stories.select_related("province"),
    }
    return render(request, "reporting/donor_report_detail.html", context)


@role_required(REPORTING_READ_ROLES)
def donor_report_download(request: HttpRequest, pk: int, number: int, fmt: str) -> HttpResponse:
    """An issue of a report, as frozen (number 0: the draft, computed now)."""
    from . import donor_reports

    report = selectors.donor_report_for(request.user, pk)
    issue = selectors.issue_of(report, number) if number else None
    content = issue.content if issue is not None else donor_reports.content_of(report)
    render_as = {"xlsx": (donor_reports.xlsx, XLSX), "docx": (donor_reports.docx, DOCX),
                 "pdf": (donor_reports.pdf, "application/pdf")}  # fmt: skip
    if fmt not in render_as:
        raise Http404
    build, content_type = render_as[fmt]
    audit.record(AuditAction.EXPORT, actor=request.user, obj=report,
                 reason=f"donor report {report.project.grant_code} issue {number or 'draft'} {fmt.upper()}",
                 ip_address=audit.client_address(request))  # fmt: skip
    response = HttpResponse(build(content, issue), content_type=content_type)
    name = f"{report.project.grant_code}-{report.starts_on:%Y%m%d}-{number or 'draft'}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
