"""Field data and DTM pages: operations and their dashboards, downloads, forms, submissions, field users."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.access import get_visible_or_404
from liman.core.choices import AuditAction, Sensitivity
from liman.core.lists import Listing
from liman.core.models import AdminArea
from liman.core.views import paginate, role_required

from . import exports, lists, openrosa, publishing, selectors, services, targets
from .choices import (
    DTM_READ_ROLES,
    FIELD_DATA_EDITORS,
    FIELD_DATA_ROLES,
    FIELD_USER_UNLOCKERS,
    FormTarget,
    JavaRosaCheck,
    SubmissionState,
)
from .form_check import FormRefused
from .forms import (
    CorrectionForm,
    DashboardFilterForm,
    DismissForm,
    FieldUserCreateForm,
    FieldUserPasswordForm,
    FieldUserVehicleForm,
    FormBindingForm,
    OperationForm,
    RoundForm,
    XLSFormUploadForm,
)
from .models import FieldUser, Form, FormVersion, Operation, Submission, SubmissionAttachment
from .xlsform import XLSFormError


def _editable_offices(request: HttpRequest) -> list:
    return selectors.offices_where(request.user, FIELD_DATA_EDITORS)


def _require_editor(request: HttpRequest, office) -> None:
    if not selectors.can_edit_in(request.user, FIELD_DATA_EDITORS, office):
        raise Http404


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "message_dict") else {"__all__": list(exc.messages)}


def _form_errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{message}" for messages_ in exc.message_dict.values() for message in messages_]
    return list(exc.messages)


# --- operations and dashboards ------------------------------------------------------------------------------


@role_required(DTM_READ_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "operations": selectors.operations_for(request.user),
        "can_edit": bool(_editable_offices(request)),
        "review_count": selectors.review_counts(request.user),
    }
    return render(request, "dtm/home.html", context)


def operation_create(request: HttpRequest) -> HttpResponse:
    offices = _editable_offices(request)
    if not offices:
        raise Http404
    form = OperationForm(request.POST or None, offices=offices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            operation = services.operation_create(
                office=data["office"],
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                started_on=data["started_on"],
                ended_on=data["ended_on"],
                provinces=data["provinces"],
                description=data["description"],
                by=request.user,
            )
        except ValidationError as exc:
            for message in _form_errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Operation %(code)s created.") % {"code": operation.code})
            return redirect("dtm:dtm-operation", pk=operation.pk)
    return render(request, "dtm/operation_form.html", {"form": form})


def _filters(request: HttpRequest, operation: Operation) -> tuple[DashboardFilterForm, selectors.DashboardFilters]:
    rounds = selectors.rounds_for(request.user, operation)
    provinces = operation.provinces.all()
    form = DashboardFilterForm(request.GET or None, rounds=rounds, provinces=provinces if provinces.exists() else None)
    filters = selectors.DashboardFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.DashboardFilters(
            round=data["round"],
            month_from=data["month_from"],
            month_to=data["month_to"],
            province=data["province"],
            population_group=data["population_group"],
        )
    return form, filters


def operation_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    operation = get_visible_or_404(selectors.operations_for(request.user), request.user, pk=pk)
    form, filters = _filters(request, operation)
    query = request.GET.urlencode()
    data = publishing.dashboard_figures(selectors.dashboard(request.user, operation, filters))
    context = {
        "operation": operation,
        "data": data,
        # The page's script reads the figures from a data attribute: no second request, no inline script.
        "data_json": json.dumps(data, default=str, separators=(",", ":")),
        "filter_form": form,
        "query": query,
        "rounds": selectors.rounds_for(request.user, operation),
        "can_edit": selectors.can_edit_in(request.user, FIELD_DATA_EDITORS, operation.office),
        "tables": [
            ("sites", _("Sites and their latest assessment")),
            ("flows", _("Flows by province, month and nationality")),
            ("presence", _("Migrant presence figures")),
            ("interceptions", _("Apprehensions and rescues")),
        ],
        "formats": ["csv", "xlsx", "geojson"],
        "datasets": selectors.dataset_forms_for(request.user, operation=operation),
        "min_cell": publishing.min_cell(),
    }
    return render(request, "dtm/dashboard.html", context)


@publishing.publishes(Operation)
def operation_data(request: HttpRequest, pk: int) -> JsonResponse:
    operation = get_visible_or_404(selectors.operations_for(request.user), request.user, pk=pk)
    _form, filters = _filters(request, operation)
    return JsonResponse(publishing.dashboard_figures(selectors.dashboard(request.user, operation, filters)))


@publishing.publishes(Operation, table=list(publishing.TABLES), fmt=list(publishing.FORMATS))
def operation_export(request: HttpRequest, pk: int) -> HttpResponse:
    operation = get_visible_or_404(selectors.operations_for(request.user), request.user, pk=pk)
    table_name = request.GET.get("table", "sites")
    fmt = request.GET.get("fmt", "csv")
    if table_name not in publishing.TABLES or fmt not in publishing.FORMATS:
        raise Http404
    _form, filters = _filters(request, operation)
    table = publishing.TABLES[table_name](request.user, operation, filters)
    audit.record(
        AuditAction.EXPORT,
        actor=request.user,
        obj=operation,
        changes={"table": [None, table_name], "format": [None, fmt], "rows": [None, len(table.rows)]},
    )
    return _download(table, fmt, f"{operation.code}-{table_name}")


def _download(table: publishing.Table, fmt: str, stem: str) -> HttpResponse:
    content_type, extension = publishing.FORMATS[fmt]
    response = HttpResponse(publishing.WRITERS[fmt](table), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


def round_create(request: HttpRequest, pk: int) -> HttpResponse:
    operation = get_visible_or_404(selectors.operations_for(request.user), request.user, pk=pk)
    _require_editor(request, operation.office)
    next_number = (operation.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    form = RoundForm(request.POST or None, initial={"number": next_number})
    if request.method == "POST" and form.is_valid():
        try:
            services.round_create(operation=operation, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for message in _form_errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Round added."))
            return redirect("dtm:dtm-operation", pk=operation.pk)
    return render(request, "dtm/round_form.html", {"form": form, "operation": operation})


def site_detail(request: HttpRequest, site_id: str) -> HttpResponse:
    site = get_visible_or_404(selectors.sites_for(request.user), request.user, site_id=site_id.upper())
    assessments = (
        site.assessments.visible_to(request.user)
        .select_related("round__operation", "site")
        .prefetch_related("needs", "population_groups")
        .order_by("-assessed_on")
    )
    return render(request, "dtm/site_detail.html", {"site": site, "assessments": assessments})


def district_geojson(request: HttpRequest) -> HttpResponse:
    """District boundaries of the provinces asked for (`?province=TUR031,TUR027`), for the dashboards."""
    pcodes = [code.strip().upper() for code in request.GET.get("province", "").split(",") if code.strip()][:81]
    areas = AdminArea.objects.districts().filter(parent__pcode__in=pcodes).only("pcode", "name_tr", "parent__pcode")
    features = [
        {
            "type": "Feature",
            "properties": {"pcode": area.pcode, "name": area.name_tr},
            "geometry": area.geometry,
        }
        for area in areas.select_related("parent").only("pcode", "name_tr", "geometry", "parent__pcode")
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body, content_type="application/geo+json")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- forms ------------------------------------------------------------------------------------------------------


def _media_uploads(files) -> list[services.MediaUpload]:
    return [services.MediaUpload(upload.name, upload.read(), upload.content_type or "") for upload in files]


@role_required(FIELD_DATA_ROLES)
def form_list(request: HttpRequest) -> HttpResponse:
    offices = _editable_offices(request)
    upload_form = XLSFormUploadForm(request.POST or None, request.FILES or None, offices=offices) if offices else None
    if request.method == "POST":
        if upload_form is None:
            raise Http404
        if request.POST.get("action") == "javarosa_check":
            return _javarosa_check(
                request, selectors.versions_not_checked_for(request.user), back=reverse("dtm:dtm-forms")
            )
        if upload_form.is_valid():
            version = _upload(request, upload_form, office=upload_form.cleaned_data["office"], form=None)
            if version is not None:
                return redirect("dtm:dtm-form", pk=version.form_id)
    forms_ = selectors.forms_for(request.user).order_by("office__code", "form_id")
    context = {
        "forms": forms_,
        "upload_form": upload_form,
        "not_checked_count": selectors.versions_not_checked_for(request.user).count() if upload_form else 0,
    }
    return render(request, "dtm/form_list.html", context)


def _javarosa_check(request, versions, *, back: str) -> HttpResponse:
    try:
        progress = services.form_versions_check_start(versions=versions, by=request.user)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
        return redirect(back)
    return redirect("core:task-detail", pk=progress.pk)


def _upload(request, upload_form, *, office, form) -> FormVersion | None:
    upload = upload_form.cleaned_data["file"]
    try:
        version = services.form_upload(
            office=office,
            content=upload.read(),
            file_name=upload.name,
            form=form,
            media=_media_uploads(upload_form.cleaned_data.get("media") or []),
            by=request.user,
        )
    except FormRefused as exc:
        upload_form.add_error(
            "file",
            _("JavaRosa, the form engine of ODK Collect, refused this form; nothing was published:")
            if exc.is_javarosas
            else _("ODK Collect could not fill in this form; nothing was published:"),
        )
        for problem in exc.problems:
            upload_form.add_error("file", problem.message)
        return None
    except XLSFormError as exc:
        where = _("row %(row)s of the %(sheet)s sheet") % {"row": exc.row, "sheet": exc.sheet} if exc.row else ""
        upload_form.add_error(
            "file",
            _("pyxform refused the XLSForm (%(where)s): %(message)s") % {"where": where, "message": exc.message}
            if where
            else _("pyxform refused the XLSForm: %(message)s") % {"message": exc.message},
        )
        return None
    except ValidationError as exc:
        for message in _form_errors(exc):
            upload_form.add_error("file", message)
        return None
    messages.success(
        request,
        _("Form %(form)s version %(version)s published.") % {"form": version.form.form_id, "version": version.version},
    )
    if version.javarosa_check == JavaRosaCheck.NOT_CHECKED:
        messages.warning(
            request,
            _("It is not checked by JavaRosa (%(reason)s); ODK Collect may refuse it. Check it once Java runs here.")
            % {"reason": " ".join(version.javarosa_messages)},
        )
    return version


def form_detail(request: HttpRequest, pk: int) -> HttpResponse:
    form = get_visible_or_404(selectors.forms_for(request.user), request.user, pk=pk)
    can_edit = selectors.can_edit_in(request.user, FIELD_DATA_EDITORS, form.office)
    upload_form = XLSFormUploadForm(request.POST or None, request.FILES or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise Http404
        action = request.POST.get("action", "upload")
        if action == "close":
            services.form_close(form=form, by=request.user)
            messages.info(request, _("The form is closed: Collect no longer lists it and submissions are refused."))
            return redirect("dtm:dtm-form", pk=form.pk)
        if action == "open":
            services.form_open(form=form, by=request.user)
            messages.info(request, _("The form is open again."))
            return redirect("dtm:dtm-form", pk=form.pk)
        if action == "javarosa_check":
            pending = selectors.versions_not_checked_for(request.user, form=form)
            return _javarosa_check(request, pending, back=reverse("dtm:dtm-form", args=[form.pk]))
        if upload_form.is_valid() and _upload(request, upload_form, office=form.office, form=form) is not None:
            return redirect("dtm:dtm-form", pk=form.pk)
    versions = form.versions.defer("xml", "xlsform").prefetch_related("media")
    context = {
        "form": form,
        "versions": versions,
        "upload_form": upload_form,
        "can_edit": can_edit,
        "submission_count": form.submissions.filter(is_current=True).count(),
        "has_repeats": any(version.repeat_paths for version in versions),
        "mapping_rows": _mapping_rows(form),
        "served": next((v for v in versions if v.javarosa_check != JavaRosaCheck.REFUSED), None),
        "not_checked_count": sum(1 for v in versions if v.javarosa_check == JavaRosaCheck.NOT_CHECKED),
    }
    return render(request, "dtm/form_detail.html", context)


def _mapping_rows(form: Form) -> list[tuple]:
    return [(spec, form.field_mapping.get(spec.key, "")) for spec in targets.fields_for(form.target)]


def form_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    form = get_visible_or_404(selectors.forms_for(request.user), request.user, pk=pk)
    _require_editor(request, form.office)
    version = form.versions.first()
    target = request.POST.get("target") or request.GET.get("target") or form.target
    if target not in FormTarget.values:
        target = FormTarget.NONE
    operations = selectors.operations_for(request.user)
    rounds = selectors.all_rounds_for(request.user)
    fields = version.fields if version else []
    mapping = form.field_mapping if target == form.target else targets.suggest_mapping(target, fields)
    initial = {
        "target": target,
        "operation": form.operation_id,
        "round": form.round_id,
        "is_individual_level": form.is_individual_level,
        **{f"map__{key}": path for key, path in mapping.items()},
    }
    binding = FormBindingForm(
        request.POST if request.method == "POST" and "save" in request.POST else None,
        initial=initial,
        form_fields=fields,
        target=target,
        operations=operations,
        rounds=rounds,
    )
    if request.method == "POST" and "save" in request.POST and binding.is_valid():
        data = binding.cleaned_data
        try:
            services.form_bind(
                form=form,
                target=data["target"],
                mapping=binding.mapping(),
                operation=data["operation"],
                round=data["round"],
                is_individual_level=data["is_individual_level"],
                by=request.user,
            )
        except ValidationError as exc:
            for message in _form_errors(exc):
                binding.add_error(None, message)
        else:
            count = services.form_reprocess(form=form, by=request.user)
            messages.success(
                request,
                _("Binding saved; %(count)s waiting submissions were processed again.") % {"count": count},
            )
            return redirect("dtm:dtm-form", pk=form.pk)
    known = {entry["path"] for entry in fields}
    stale = sorted(path for path in form.field_mapping.values() if path and path not in known)
    context = {"form": form, "binding": binding, "target": target, "stale": stale, "targets": FormTarget.choices}
    return render(request, "dtm/form_mapping.html", context)


@publishing.publishes(Form, fmt=list(publishing.FORMATS))
def form_dataset(request: HttpRequest, pk: int) -> HttpResponse:
    form = selectors.dataset_forms_for(request.user).filter(pk=pk).first()
    if form is None:
        raise Http404
    fmt = request.GET.get("fmt", "csv")
    if fmt not in publishing.FORMATS:
        raise Http404
    version = form.versions.first()
    choosable = {entry["path"] for entry in (version.fields if version else []) if entry["type"] != "repeat"}
    by = [question for question in request.GET.getlist("by") if question in choosable][:3]
    # Like every published table: no cell of 1 to k-1 (`publishing.apply_min_cell`).
    table = publishing.dataset_table(request.user, form, by=by)
    audit.record(
        AuditAction.EXPORT,
        actor=request.user,
        obj=form,
        changes={"dataset": [None, form.form_id], "by": [None, ",".join(by)], "suppressed": [None, table.suppressed]},
    )
    return _download(table, fmt, f"{form.form_id}-dataset")


@publishing.publishes(Form, fmt=["csv", "xlsx"])
def form_submissions_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The form's submissions as Kobo exports them: CSV (a ZIP with one file per repeat, or `?table=` for one)
    or XLSX (one sheet per repeat)."""
    form = get_visible_or_404(selectors.forms_for(request.user), request.user, pk=pk)
    fmt = request.GET.get("fmt", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    tables = exports.export_tables(form, selectors.submissions_for_export(request.user, form).iterator(2000))
    only = request.GET.get("table", "")
    if only:
        tables = [table for table in tables if table.name == only]
        if not tables:
            raise Http404
    audit.record(
        AuditAction.EXPORT,
        actor=request.user,
        obj=form,
        changes={"submissions": [None, fmt], "tables": [None, exports.describe(tables)]},
    )
    if fmt == "xlsx":
        body, content_type, name = exports.write_xlsx(tables), publishing.FORMATS["xlsx"][0], f"{form.form_id}.xlsx"
    elif len(tables) == 1:
        body, content_type = publishing.write_csv(tables[0].as_table()), publishing.FORMATS["csv"][0]
        name = exports.file_name(form, tables[0])
    else:
        body, content_type, name = exports.write_zip(form, tables), "application/zip", f"{form.form_id}-csv.zip"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def form_xlsform(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_visible_or_404(selectors.form_versions_for(request.user), request.user, pk=pk)
    response = HttpResponse(bytes(version.xlsform), content_type=publishing.FORMATS["xlsx"][0])
    response["Content-Disposition"] = f'attachment; filename="{version.form.form_id}-{version.version}.xlsx"'
    return response


# --- submissions ------------------------------------------------------------------------------------------------


@role_required(FIELD_DATA_ROLES)
def submission_list(request: HttpRequest) -> HttpResponse:
    listing = Listing.read(request, lists.SUBMISSIONS)
    state = listing.values["state"] or SubmissionState.REVIEW
    rows = selectors.submissions_for(request.user, state="" if state == lists.ALL_STATES else state)
    if listing.values["form"]:
        rows = rows.filter(form_id=listing.values["form"])
    page = paginate(request, listing.ordered(rows))
    return render(request, "dtm/submission_list.html", {"page": page, "listing": listing, "state": state})


def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_visible_or_404(
        selectors.submissions_for(request.user, current=False).defer(None), request.user, pk=pk
    )
    if submission.sensitivity != Sensitivity.NORMAL:
        audit.record(AuditAction.VIEW, actor=request.user, obj=submission)
    answers = _flatten(submission.data)
    context = {
        "submission": submission,
        "answers": answers,
        # The answer the review reason quotes ("district: 'TUR031099' is not a known district"), offered first.
        "suggested_path": next(
            (path for path, value in answers if value and f"'{value}'" in submission.review_reason), ""
        ),
        "attachments": submission.attachments.all(),
        "versions": Submission.objects.visible_to(request.user)
        .filter(form=submission.form, root_instance_id=submission.root_instance_id)
        .order_by("received_at"),
        "can_edit": selectors.can_edit_in(request.user, FIELD_DATA_EDITORS, submission.office),
        "incident": selectors.incident_of(submission),
        "dismiss_form": DismissForm(),
    }
    return render(request, "dtm/submission_detail.html", context)


def _flatten(data, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in (data or {}).items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += _flatten(value, f"{path}/")
        elif isinstance(value, list):
            for number, item in enumerate(value, start=1):
                if isinstance(item, dict):
                    rows += _flatten(item, f"{path}[{number}]/")
                else:
                    rows.append((f"{path}[{number}]", "" if item is None else str(item)))
        else:
            rows.append((path, "" if value is None else str(value)))
    return rows


@require_POST
def submission_retry(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_visible_or_404(selectors.submissions_for(request.user), request.user, pk=pk)
    _require_editor(request, submission.office)
    try:
        services.submission_retry(submission=submission, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if submission.state == SubmissionState.REVIEW:
            messages.error(request, _("Still waiting for review: %(reason)s") % {"reason": submission.review_reason})
        else:
            messages.success(request, _("The submission was processed."))
    return redirect("dtm:dtm-submission", pk=submission.pk)


@require_POST
def submission_correct(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_visible_or_404(selectors.submissions_for(request.user), request.user, pk=pk)
    _require_editor(request, submission.office)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("dtm:dtm-submission", pk=submission.pk)
    try:
        services.submission_correct(submission=submission, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if submission.state == SubmissionState.REVIEW:
            messages.error(
                request,
                _("Corrected, and still waiting for review: %(reason)s") % {"reason": submission.review_reason},
            )
        else:
            messages.success(request, _("The answer was corrected and the submission processed."))
    return redirect("dtm:dtm-submission", pk=submission.pk)


@require_POST
def submission_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_visible_or_404(selectors.submissions_for(request.user), request.user, pk=pk)
    _require_editor(request, submission.office)
    form = DismissForm(request.POST)
    if form.is_valid():
        services.submission_dismiss(submission=submission, reason=form.cleaned_data["reason"], by=request.user)
        messages.info(request, _("The submission was dismissed."))
    else:
        messages.error(request, _("Say why the submission is dismissed."))
    return redirect("dtm:dtm-submission", pk=submission.pk)


def submission_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    from django.http import FileResponse

    attachment = get_visible_or_404(SubmissionAttachment, request.user, pk=pk)
    if attachment.submission.sensitivity != Sensitivity.NORMAL:
        audit.record(AuditAction.VIEW, actor=request.user, obj=attachment.submission, reason=attachment.name)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )


# --- field users ------------------------------------------------------------------------------------------------


@role_required(FIELD_DATA_ROLES)
def field_user_list(request: HttpRequest) -> HttpResponse:
    offices = _editable_offices(request)
    form = None
    if offices:
        vehicles = selectors.field_user_vehicles(request.user)
        form = FieldUserCreateForm(request.POST or None, offices=offices, vehicles=vehicles)
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                field_user, password = services.field_user_create(
                    office=data["office"],
                    username=data["username"],
                    name=data["name"],
                    vehicle=data.get("vehicle"),
                    by=request.user,
                )
            except ValidationError as exc:
                for key, messages_ in _error_dict(exc).items():
                    for message in messages_:
                        form.add_error(key if key in ("vehicle", "username") else "username", message)
            else:
                return _qr_page(request, field_user, password, created=True)
    listing = Listing.read(request, lists.FIELD_USERS)
    rows = selectors.field_users_for(
        request.user,
        office_code=listing.values["office"],
        query=listing.values["q"],
        deactivated_only=listing.values["inactive"],
    )
    page = paginate(request, listing.ordered(rows))
    return render(request, "dtm/field_user_list.html", {"page": page, "form": form, "listing": listing})


def field_user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    field_user = get_visible_or_404(selectors.field_users_for(request.user), request.user, pk=pk)
    can_edit = selectors.can_edit_in(request.user, FIELD_DATA_EDITORS, field_user.office)
    can_unlock = selectors.can_edit_in(request.user, FIELD_USER_UNLOCKERS, field_user.office)
    password_form = FieldUserPasswordForm(request.POST if request.POST.get("action") == "qr" else None)
    vehicle_form = FieldUserVehicleForm(
        request.POST if request.POST.get("action") == "vehicle" else None,
        vehicles=selectors.office_vehicles(field_user.office),
        initial={"vehicle": field_user.vehicle_id},
    )
    if request.method == "POST":
        if not (can_edit or can_unlock):
            raise Http404
        action = request.POST.get("action")
        if action != "unlock" and not can_edit:
            raise Http404
        if action == "qr" and password_form.is_valid():
            password = password_form.cleaned_data["password"]
            if services.field_user_check_password(field_user, password):
                return _qr_page(request, field_user, password)
            password_form.add_error("password", _("That is not this field user's password."))
        elif action == "vehicle" and vehicle_form.is_valid():
            try:
                services.field_user_set_vehicle(
                    field_user=field_user, vehicle=vehicle_form.cleaned_data["vehicle"], by=request.user
                )
            except ValidationError as exc:
                for message in _form_errors(exc):
                    vehicle_form.add_error("vehicle", message)
            else:
                messages.success(request, _("The team's vehicle is saved."))
                return redirect("dtm:dtm-field-user", pk=field_user.pk)
        elif action == "reset":
            password = services.field_user_set_password(field_user=field_user, by=request.user)
            return _qr_page(request, field_user, password, reset=True)
        elif action == "deactivate":
            services.field_user_deactivate(field_user=field_user, by=request.user)
            messages.info(request, _("The field user can no longer sign in from a phone."))
            return redirect("dtm:dtm-field-user", pk=field_user.pk)
        elif action == "activate":
            services.field_user_activate(field_user=field_user, by=request.user)
            return redirect("dtm:dtm-field-user", pk=field_user.pk)
        elif action == "unlock":
            if not can_unlock:
                raise Http404
            services.field_user_unlock(field_user=field_user, by=request.user)
            messages.success(request, _("The wrong-password counts are cleared: every address may sign in again."))
            return redirect("dtm:dtm-field-user", pk=field_user.pk)
    context = {
        "field_user": field_user,
        "can_edit": can_edit,
        "can_unlock": can_unlock,
        "throttles": services.field_user_throttles(field_user),
        "lockout_attempts": services.field_lockout_attempts(),
        "password_form": password_form,
        "vehicle_form": vehicle_form,
        "submission_count": field_user.submissions.count(),
        "server_url": request.build_absolute_uri(reverse("dtm:openrosa-base")),
    }
    return render(request, "dtm/field_user_detail.html", context)


def _qr_page(request: HttpRequest, field_user: FieldUser, password: str, *, created=False, reset=False):
    import segno

    server_url = request.build_absolute_uri(reverse("dtm:openrosa-base")).rstrip("/")
    payload = openrosa.collect_qr_payload(
        openrosa.collect_settings(
            server_url=server_url,
            username=field_user.username,
            password=password,
            project=f"Liman · {field_user.office.code}",
        )
    )
    context = {
        "field_user": field_user,
        "password": password,
        "server_url": server_url,
        "qr_svg": segno.make(payload, error="l").svg_inline(scale=4, dark="#111"),
        "created": created,
        "reset": reset,
    }
    response = render(request, "dtm/field_user_qr.html", context)
    # The page shows a password: never keep it in a cache or the browser history's copy.
    response["Cache-Control"] = "no-store"
    return response


# --- Kobo and ODK exports, through core's staging ---------------------------------------------------------------


def form_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a Kobo or ODK export of the form's submissions: staged and checked, then committed or discarded."""
    from liman.core import staging
    from liman.core.tabular import sheet_names

    from .forms import ExportUploadForm
    from .importers import stage_export

    form = get_visible_or_404(selectors.forms_for(request.user), request.user, pk=pk)
    _require_editor(request, form.office)
    upload_form = ExportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and upload_form.is_valid():
        upload = upload_form.cleaned_data["file"]
        try:
            batch = stage_export(
                form=form, stream=upload, file_name=upload.name, by=request.user, sheet=upload_form.chosen_sheet
            )
        except staging.ImportRefused as exc:
            upload_form.add_error("file", exc.messages)
            upload_form.offer_sheets(sheet_names(upload, upload.name))
        else:
            return redirect("dtm:dtm-import", pk=batch.pk)
    return render(request, "dtm/form_import.html", {"form": form, "upload_form": upload_form})


def import_detail(request: HttpRequest, pk) -> HttpResponse:
    from liman.core import staging
    from liman.core.models import ImportBatch

    from .importers import FieldDataImporter

    batch = get_visible_or_404(
        ImportBatch.objects.filter(kind=FieldDataImporter.kind).select_related("office", "created_by"),
        request.user,
        pk=pk,
    )
    may_act = batch.state in (ImportBatch.State.VALID, ImportBatch.State.INVALID) and staging.may_import(
        request.user, FieldDataImporter, batch.office
    )
    if request.method == "POST":
        if not may_act:
            raise Http404
        try:
            if request.POST.get("action") == "commit":
                batch = staging.import_commit(batch=batch, by=request.user)
                messages.success(request, _("The submissions were imported."))
            else:
                batch = staging.import_discard(batch=batch, by=request.user)
                messages.info(request, _("The import was discarded; nothing was written."))
        except staging.ImportRefused as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("dtm:dtm-import", pk=batch.pk)
    created = [
        (FieldDataImporter.created_labels.get(name, name), count)
        for name, count in batch.result.get("created", {}).items()
    ]
    context = {
        "batch": batch,
        "page": paginate(request, staging.staged_rows_with_problems(batch)),
        "state_help": staging.STATE_HELP.get(batch.state, ""),
        "may_commit": may_act and batch.state == ImportBatch.State.VALID,
        "may_discard": may_act,
        "created": created,
    }
    return render(request, "dtm/import_detail.html", context)
