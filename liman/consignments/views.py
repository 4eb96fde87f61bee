"""Consignment pages: the list, a consignment (trucks, checks, handover, losses, report), the forms of each step, the
partner's report (page form and XLSX upload through staging), the XLSX export. Thin: parse, call a selector or a
service, render. A consignment outside the user's scope answers 404, and so does a step the user may not take."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.assistance.models import Item, StockLot
from liman.assistance.selectors import items as catalogue_items
from liman.cases.models import PartnerOrganisation
from liman.core import audit, staging
from liman.core.access import has_role
from liman.core.choices import AuditAction
from liman.core.import_views import RowCorrectionForm
from liman.core.lists import Listing
from liman.core.models import ImportBatch
from liman.core.tabular import xlsx_bytes
from liman.core.views import paginate, role_required
from liman.core.views import refusal_messages as _messages_of
from liman.core.workflows import TransitionRefused, history

from . import forms, lists, permissions, rules, selectors, services
from .choices import ConsignmentState, TruckStatus
from .importers import DistributionReportImporter
from .permissions import READ_ROLES, REPORT_ROLES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _refused(form, exc: Exception) -> None:
    for text in _messages_of(exc):
        form.add_error(None, text)


def _step(request: HttpRequest, pk: int, allowed) -> object:
    """The consignment, for a step the user may take (404 otherwise: no hint that the step exists)."""
    consignment = selectors.consignment_for(request.user, pk)
    if not allowed(request.user, consignment):
        raise Http404
    return consignment


def _keeper(user, consignment) -> bool:
    return permissions.may_plan(user, consignment.office_id)


def _monitor(user, consignment) -> bool:
    return permissions.may_monitor(user, consignment.office_id)


# --- list, detail, export -----------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip() for key in ("state", "partner", "office")}


@role_required(READ_ROLES | REPORT_ROLES)
def consignment_list(request: HttpRequest) -> HttpResponse:
    listing = Listing.read(request, lists.CONSIGNMENTS)
    rows = selectors.consignments_for(request.user, **listing.values)
    context = {
        "page": paginate(request, listing.ordered(rows)),
        "listing": listing,
        "may_plan": has_role(request.user, permissions.KEEPER_ROLES),
    }
    return render(request, "consignments/consignment_list.html", context)


def consignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consignment = selectors.consignment_for(request.user, pk)
    user = request.user
    report, report_lines, report_items = selectors.report_of(consignment)
    state = consignment.state
    keeper, monitor = _keeper(user, consignment), _monitor(user, consignment)
    staff = has_role(user, READ_ROLES, office=consignment.office_id)
    handover_lines = selectors.handover_lines(consignment)
    may_report = permissions.may_report(user, consignment) and state == ConsignmentState.HANDED_OVER
    context = {
        "consignment": consignment,
        "trucks": selectors.trucks_of(consignment),
        "loaded": selectors.loaded_by_item(consignment),
        "losses": [line for line in handover_lines if hasattr(line, "loss")],
        "handover": selectors.handover_of(consignment),
        "report": report,
        "report_lines": report_lines,
        "report_items": report_items,
        "sadd_labels": [rules.cell_label(sex, age) for sex, age in rules.SADD_CELLS],
        "uploads": selectors.uploads_of(consignment) if may_report or keeper or monitor else [],
        # What blocks the next step is the staff's to know (a partner sees where its consignment is, and reports).
        "next_steps": consignment.workflow.next_steps(consignment, user=user) if staff else [],
        "history": [
            (change, _state_label(change.from_state), _state_label(change.to_state)) for change in history(consignment)
        ],
        "may_add_truck": keeper and state == ConsignmentState.PLANNED,
        "may_load": keeper and state == ConsignmentState.PLANNED,
        "may_dispatch": keeper and state == ConsignmentState.LOADED,
        "may_cancel": keeper and state in (ConsignmentState.PLANNED, ConsignmentState.LOADED),
        "may_check": monitor and state in (ConsignmentState.DISPATCHED, ConsignmentState.HELD),
        "may_return": keeper and state in (ConsignmentState.DISPATCHED, ConsignmentState.HELD),
        "may_hand_over": monitor and state == ConsignmentState.CLEARED,
        "may_report": may_report,
        "held": TruckStatus.HELD,
        "cleared": TruckStatus.CLEARED,
        "returned": TruckStatus.RETURNED,
    }
    return render(request, "consignments/consignment_detail.html", context)


def _state_label(state: str) -> str:
    return str(ConsignmentState(state).label) if state in ConsignmentState.values else (state or "—")


@role_required(READ_ROLES | REPORT_ROLES)
def consignment_export(request: HttpRequest) -> HttpResponse:
    """The consignments the user sees (with the list's filters), their truck lines and the partners' reports."""
    filters = _filters(request)
    sheets = selectors.export_sheets(request.user, **filters)
    audit.record(
        AuditAction.EXPORT,
        actor=request.user,
        object_type="consignments.consignment",
        object_repr="consignments and distribution reports",
        changes={
            **{name: [None, value] for name, value in filters.items() if value},
            "rows": [None, len(sheets["Consignments"]) - 1],
            "format": [None, "xlsx"],
        },
    )
    named = {
        _("Consignments"): sheets["Consignments"],
        _("Truck lines"): sheets["Truck lines"],
        _("Distribution reports"): sheets["Distribution reports"],
    }
    response = HttpResponse(xlsx_bytes(named), content_type=XLSX)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="consignments-{stamp}.xlsx"'
    return response


# --- planning, loading, dispatch ----------------------------------------------------------------------------


@role_required(permissions.KEEPER_ROLES)
def consignment_create(request: HttpRequest) -> HttpResponse:
    partners = PartnerOrganisation.objects.filter(is_active=True).order_by("name")
    form = forms.ConsignmentForm(request.POST or None, hubs=selectors.hubs_for(request.user), partners=partners)
    if request.method == "POST" and form.is_valid():
        try:
            consignment = services.consignment_plan(by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Consignment %(reference)s planned.") % {"reference": consignment.reference})
            return redirect("consignments:consignment-detail", pk=consignment.pk)
    return render(request, "consignments/consignment_form.html", {"form": form})


def truck_add(request: HttpRequest, pk: int) -> HttpResponse:
    consignment = _step(request, pk, _keeper)
    data = request.POST or None
    form = forms.TruckForm(data)
    lots = StockLot.objects.filter(pk__in=consignment.hub.balances.filter(quantity__gt=0).values("lot")).select_related(
        "item"
    )
    lines = forms.LoadLineFormSet(data, prefix="line", form_kwargs={"items": catalogue_items(), "lots": lots})
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        loads = [
            services.LoadLine(item=row.cleaned_data["item"], quantity=row.cleaned_data["quantity"],
                              lot=row.cleaned_data.get("lot"))
            for row in lines if row.cleaned_data.get("item")
        ]  # fmt: skip
        try:
            truck = services.truck_add(consignment=consignment, lines=loads, by=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Truck %(plate)s added.") % {"plate": truck.plate})
            return redirect("consignments:consignment-detail", pk=consignment.pk)
    context = {"consignment": consignment, "form": form, "lines": lines}
    return render(request, "consignments/truck_form.html", context)


def _act(request: HttpRequest, consignment, done) -> HttpResponse:
    try:
        message = done()
    except (TransitionRefused, ValidationError, PermissionDenied) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
    else:
        messages.success(request, message)
    return redirect("consignments:consignment-detail", pk=consignment.pk)


@require_POST
def consignment_load(request: HttpRequest, pk: int) -> HttpResponse:
    consignment = _step(request, pk, _keeper)

    def done():
        services.consignment_loaded(consignment=consignment, by=request.user)
        return _("Loading done: the consignment is ready to dispatch.")

    return _act(request, consignment, done)


def consignment_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page (what leaves the hub, against what the hub holds), then the dispatch."""
    consignment = _step(request, pk, _keeper)
    if request.method == "POST":

        def done():
            services.consignment_dispatch(consignment=consignment, by=request.user)
            return _("Consignment %(reference)s dispatched: the goods left the hub.") % {
                "reference": consignment.reference
            }

        return _act(request, consignment, done)
    context = {"consignment": consignment, "loaded": selectors.loaded_by_item(consignment)}
    return render(request, "consignments/dispatch_confirm.html", context)


def consignment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    consignment = _step(request, pk, _keeper)
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consignment_cancel(consignment=consignment, by=request.user, reason=form.cleaned_data["reason"])
        except (TransitionRefused, ValidationError, PermissionDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Consignment %(reference)s cancelled.") % {"reference": consignment.reference})
            return redirect("consignments:consignment-detail", pk=consignment.pk)
    context = {"consignment": consignment, "form": form, "title": _("Cancel the consignment")}
    return render(request, "consignments/step_form.html", context)


# --- at the crossing ----------------------------------------------------------------------------------------


def crossing_check(request: HttpRequest, pk: int) -> HttpResponse:
    truck = selectors.truck_for(request.user, pk)
    consignment = truck.consignment
    if not _monitor(request.user, consignment):
        raise Http404
    form = forms.CrossingCheckForm(request.POST or None, initial={"seals_intact": "yes"})
    if request.method == "POST" and form.is_valid():
        try:
            check = services.crossing_check(truck=truck, by=request.user, **form.cleaned_data)
        except (TransitionRefused, ValidationError, PermissionDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(
                request,
                _("Truck %(plate)s: %(outcome)s.") % {"plate": truck.plate, "outcome": check.get_outcome_display()},
            )
            return redirect("consignments:consignment-detail", pk=consignment.pk)
    context = {
        "consignment": consignment,
        "truck": truck,
        "form": form,
        "title": _("Crossing check of truck %(plate)s") % {"plate": truck.plate},
    }
    return render(request, "consignments/step_form.html", context)


def truck_return(request: HttpRequest, pk: int) -> HttpResponse:
    truck = selectors.truck_for(request.user, pk)
    consignment = truck.consignment
    if not _keeper(request.user, consignment):
        raise Http404
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.truck_return(truck=truck, reason=form.cleaned_data["reason"], by=request.user)
        except (TransitionRefused, ValidationError, PermissionDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(
                request, _("Truck %(plate)s is back: its load was taken into the hub again.") % {"plate": truck.plate}
            )
            return redirect("consignments:consignment-detail", pk=consignment.pk)
    context = {
        "consignment": consignment,
        "truck": truck,
        "form": form,
        "title": _("Truck %(plate)s goes back to the hub") % {"plate": truck.plate},
    }
    return render(request, "consignments/step_form.html", context)


# --- handover -----------------------------------------------------------------------------------------------


def handover_record(request: HttpRequest, pk: int) -> HttpResponse:
    consignment = _step(request, pk, _monitor)
    lines = [
        line for view in selectors.trucks_of(consignment) if view.status != TruckStatus.RETURNED for line in view.lines
    ]
    initial = {"handed_over_at": timezone.localtime().replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")}
    form = forms.HandoverForm(request.POST or None, lines=lines, initial={"place": consignment.destination, **initial})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        received = [
            services.Received(
                line=line,
                received=data[f"received_{line.pk}"],
                loss_reason_kind=data[f"loss_kind_{line.pk}"],
                loss_reason=data[f"loss_reason_{line.pk}"],
            )
            for line in lines
        ]
        try:
            services.handover_record(
                consignment=consignment,
                received=received,
                received_by_name=data["received_by_name"],
                place=data["place"],
                handed_over_at=data["handed_over_at"],
                note=data["note"],
                by=request.user,
            )
        except (TransitionRefused, ValidationError, PermissionDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Handover recorded."))
            return redirect("consignments:consignment-detail", pk=consignment.pk)
    return render(request, "consignments/handover_form.html", {"consignment": consignment, "form": form})


# --- the partner's report -----------------------------------------------------------------------------------


def _reporter(user, consignment) -> bool:
    return permissions.may_report(user, consignment)


def _received_items(consignment) -> list[tuple[str, str]]:
    codes = services.received_by_item(consignment)
    return list(Item.objects.filter(code__in=codes).order_by("name").values_list("code", "name"))


def report_form(request: HttpRequest, pk: int) -> HttpResponse:
    consignment = _step(request, pk, _reporter)
    data = request.POST or None
    form = forms.ReportForm(data)
    items = _received_items(consignment)
    lines = forms.ReportLineFormSet(data, prefix="line", form_kwargs={"items": items})
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        given = [row.line_input() for row in lines if row.has_changed()]
        try:
            services.report_submit(
                consignment=consignment, lines=given, note=form.cleaned_data["note"], by=request.user
            )
        except (TransitionRefused, ValidationError, PermissionDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Distribution report submitted."))
            return redirect("consignments:consignment-detail", pk=consignment.pk)
    context = {
        "consignment": consignment,
        "form": form,
        "lines": lines,
        "items": items,
        "sadd_labels": [rules.cell_label(sex, age) for sex, age in rules.SADD_CELLS],
    }
    return render(request, "consignments/report_form.html", context)


def report_upload(request: HttpRequest, pk: int) -> HttpResponse:
    consignment = _step(request, pk, _reporter)
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            staged = services.report_upload_stage(
                consignment=consignment, file=upload, file_name=upload.name, by=request.user
            )
        except (staging.ImportRefused, ValidationError, PermissionDenied) as exc:
            form.add_error("file", _messages_of(exc))
        else:
            return redirect("consignments:consignment-upload", pk=staged.pk)
    importer = DistributionReportImporter.for_consignment(consignment)
    context = {"consignment": consignment, "form": form, "columns": importer.columns}
    return render(request, "consignments/report_upload.html", context)


def report_template(request: HttpRequest, pk: int) -> HttpResponse:
    """The XLSX to fill in for this consignment: its columns (one per item received) and a sheet explaining them."""
    consignment = _step(request, pk, _reporter)
    importer = DistributionReportImporter.for_consignment(consignment)
    help_rows = [[_("column"), _("required"), _("what goes in it")]]
    for column in importer.columns:
        help_rows.append([column.name, _("yes") if column.required else _("no"), str(column.help)])
    content = xlsx_bytes(
        {importer.kind: [importer.column_names()], str(staging.TEMPLATE_HELP_SHEET): help_rows}, write_only=False
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="distribution-report-{consignment.reference}.xlsx"'
    return response


def _upload_for_reporting(request: HttpRequest, pk: int):
    upload = selectors.upload_for(request.user, pk)
    if not _reporter(request.user, upload.consignment):
        raise Http404
    return upload


def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    upload = selectors.upload_for(request.user, pk)
    batch = upload.batch
    open_states = (ImportBatch.State.VALID, ImportBatch.State.INVALID)
    may_act = batch.state in open_states and _reporter(request.user, upload.consignment)
    page = Paginator(staging.staged_rows_with_problems(batch), 50).get_page(request.GET.get("page"))
    importer = DistributionReportImporter
    context = {
        "upload": upload,
        "batch": batch,
        "consignment": upload.consignment,
        "page": page,
        "state_help": staging.STATE_HELP.get(batch.state, ""),
        "may_commit": may_act and batch.state == ImportBatch.State.VALID,
        "may_correct": may_act,
        "created": [(importer.created_labels.get(k, k), v) for k, v in batch.result.get("created", {}).items()],
    }
    return render(request, "consignments/upload_detail.html", context)


@require_POST
def upload_commit(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _upload_for_reporting(request, pk)
    try:
        staging.import_commit(batch=upload.batch, by=request.user)
    except (staging.ImportRefused, TransitionRefused, ValidationError, PermissionDenied) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
        return redirect("consignments:consignment-upload", pk=upload.pk)
    messages.success(request, _("Distribution report submitted."))
    return redirect("consignments:consignment-detail", pk=upload.consignment_id)


@require_POST
def upload_discard(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _upload_for_reporting(request, pk)
    try:
        staging.import_discard(batch=upload.batch, by=request.user)
    except (staging.ImportRefused, PermissionDenied) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
        return redirect("consignments:consignment-upload", pk=upload.pk)
    messages.info(
        request, _("The upload of %(file)s was discarded; nothing was written.") % {"file": upload.batch.file_name}
    )
    return redirect("consignments:consignment-detail", pk=upload.consignment_id)


def upload_row(request: HttpRequest, pk: int, row_number: int) -> HttpResponse:
    """Correct one row of a staged report: the row and the rules across rows are checked again (core.staging)."""
    upload = _upload_for_reporting(request, pk)
    batch = upload.batch
    try:
        row = staging.staged_row_for_correction(batch, row_number)
    except staging.ImportRefused as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("consignments:consignment-upload", pk=upload.pk)
    form = RowCorrectionForm(request.POST or None, row=row)
    if request.method == "POST" and form.is_valid():
        try:
            row = staging.import_row_correct(
                batch=batch, row_number=row_number, cells=form.cleaned_data, by=request.user
            )
        except staging.ImportRefused as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            if any(problem["blocking"] for problem in row.problems):
                messages.warning(
                    request, _("Row %(row)d was saved; it still has blocking problems.") % {"row": row_number}
                )
                return redirect("consignments:consignment-upload-row", pk=upload.pk, row_number=row_number)
            messages.success(request, _("Row %(row)d was corrected.") % {"row": row_number})
            return redirect("consignments:consignment-upload", pk=upload.pk)
    problems: dict[str, list] = {}
    for problem in row.problems:
        problems.setdefault(problem["column"], []).append(problem)
    context = {
        "upload": upload,
        "consignment": upload.consignment,
        "row": row,
        "form": form,
        "fields": [(form[column.name], problems.get(column.name, [])) for column in row.columns],
        "row_problems": problems.get("", []),
    }
    return render(request, "consignments/upload_row.html", context)
