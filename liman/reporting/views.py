"""Reporting pages: the 3RP 4W of a month (review, submit, download) and projects with their indicator tables.
Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.tabular import csv_bytes, xlsx_bytes
from liman.core.views import refusal_messages, role_required

from . import fourw, selectors, services
from .permissions import REPORTING_READ_ROLES, REPORTING_WRITE_ROLES


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
    return redirect(f"{reverse('fourw')}?month={month:%Y-%m}")


@role_required(REPORTING_READ_ROLES)
def project_list(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/project_list.html", {"projects": selectors.projects_for(request.user)})


@role_required(REPORTING_READ_ROLES)
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_for(request.user, pk)
    table = selectors.indicator_table(project)
    return render(request, "reporting/project_detail.html", {"project": project, "table": table})
