"""Pages of imports through staging: the batches, the upload, the report, commit and discard, the templates."""

from __future__ import annotations

import datetime
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import audit
from .access import get_visible_or_404, has_role
from .choices import AuditAction
from .forms import SheetChoiceForm
from .models import ImportBatch, TaskProgress
from .services import task_progress_start
from .staging import (
    STATE_HELP,
    TEMPLATE_HELP_SHEET,
    TEMPLATE_LISTS_SHEET,
    ImportRefused,
    import_batches_for,
    import_commit,
    import_commit_task,
    import_discard,
    import_recheck_task,
    import_row_correct,
    import_row_leave_out,
    import_stage,
    import_stage_task,
    importer_for,
    importer_kinds,
    inline_bytes,
    inline_rows,
    may_import,
    offices_for_import,
    problem_report,
    spool_upload,
    staged_row_for_correction,
    staged_rows_with_problems,
    waiting_imports,
)
from .tabular import csv_bytes, sheet_names, unpacked_size, xlsx_bytes

PER_PAGE = 50


def _importer_or_404(kind: str):
    try:
        return importer_for(kind)
    except ImportRefused as exc:
        raise Http404 from exc


def _require_import_role(request: HttpRequest) -> None:
    """Pages of imports answer 404 to users without a role that imports (no hint that they exist)."""
    if not has_role(request.user, ImportBatch.scope.roles):
        raise Http404


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def import_list(request: HttpRequest) -> HttpResponse:
    _require_import_role(request)
    waiting = request.GET.get("waiting") == "1"
    batches = import_batches_for(request.user)
    if waiting:
        batches = waiting_imports(batches).filter(created_by=request.user)
    page = Paginator(batches, PER_PAGE).get_page(request.GET.get("page"))
    kinds = [importer for importer in importer_kinds() if offices_for_import(request.user, importer).exists()]
    return render(request, "core/import_list.html", {"page": page, "kinds": kinds, "waiting": waiting})


class UploadForm(SheetChoiceForm):
    office = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Office"), empty_label=None)
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))
    field_order = ["office", "file", "sheet"]

    def __init__(self, *args, offices, importer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices.order_by("code")
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx"
        # What the importer asks to be declared for the whole file (the legal basis of a people import).
        for option in importer.batch_options:
            if not (option.choices or option.choice_labels):
                # A free value (the payment cycle a provider's report is for), initial from the query string.
                self.fields[option.name] = forms.CharField(
                    label=option.label or option.name, help_text=option.help, required=False, max_length=100
                )
                continue
            self.fields[option.name] = forms.ChoiceField(
                label=option.label or option.name,
                help_text=option.help,
                required=False,
                choices=[("", "—"), *(option.choice_labels or ((value, value) for value in option.choices))],
            )

    def declared(self, importer) -> dict[str, str]:
        return {option.name: self.cleaned_data.get(option.name, "") for option in importer.batch_options}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in (".csv", ".xlsx"):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


def import_new(request: HttpRequest) -> HttpResponse:
    importer = _importer_or_404(request.GET.get("kind") or request.POST.get("kind", ""))
    offices = offices_for_import(request.user, importer)
    if not offices.exists():
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None, offices=offices, importer=importer)
    if request.method == "POST" and form.is_valid():
        upload, office = form.cleaned_data["file"], form.cleaned_data["office"]
        sheet, declared = form.chosen_sheet, form.declared(importer)
        if _is_large(upload):
            return _stage_in_background(request, importer, upload, office, sheet, declared)
        try:
            batch = import_stage(
                kind=importer.kind,
                file=upload,
                file_name=upload.name,
                office=office,
                by=request.user,
                sheet=sheet,
                declared=declared,
            )
        except ImportRefused as exc:
            form.add_error("file", exc.messages)
            form.offer_sheets(sheet_names(upload, upload.name))
        else:
            return redirect("core:import-detail", pk=batch.pk)
    context = {"form": form, "importer": importer}
    return render(request, "core/import_new.html", context)


def _is_large(upload) -> bool:
    """Checked in the background: a large upload, or a workbook that unpacks large (a few MB of XLSX can hold a
    table of hundreds of MB); the page shows the progress instead of holding the request."""
    return upload.size > inline_bytes() or unpacked_size(upload, upload.name) > 8 * inline_bytes()


def _stage_in_background(request: HttpRequest, importer, upload, office, sheet, declared) -> HttpResponse:
    with transaction.atomic():
        progress = task_progress_start(
            name=_("Checking %(file)s") % {"file": PurePath(upload.name).name}, owner=request.user, office=office
        )
        spooled = spool_upload(upload)
        arguments = (
            str(progress.pk),
            spooled,
            importer.kind,
            office.pk,
            request.user.pk,
            upload.name,
            sheet,
            declared,
        )
        transaction.on_commit(lambda: import_stage_task.enqueue(*arguments))
    return redirect("core:import-progress", pk=progress.pk)


def _batch_or_404(request: HttpRequest, pk) -> ImportBatch:
    return get_visible_or_404(ImportBatch.objects.select_related("office", "created_by"), request.user, pk=pk)


def import_detail(request: HttpRequest, pk) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    importer = _importer_or_404(batch.kind)
    page = Paginator(staged_rows_with_problems(batch), PER_PAGE).get_page(request.GET.get("page"))
    open_states = (ImportBatch.State.VALID, ImportBatch.State.INVALID)
    may_act = batch.state in open_states and may_import(request.user, importer, batch.office)
    created = [
        (importer.created_labels.get(name, name), count) for name, count in batch.result.get("created", {}).items()
    ]
    context = {
        "batch": batch,
        "importer": importer,
        "page": page,
        "state_help": STATE_HELP.get(batch.state, ""),
        "may_commit": may_act and batch.state == ImportBatch.State.VALID,
        "may_discard": may_act,
        "may_correct": may_act,
        "rechecking": batch.result.get("recheck", False),
        "created": created,
    }
    return render(request, "core/import_detail.html", context)


class RowCorrectionForm(forms.Form):
    """A staged row's cells, one field per column of the file, as they are now."""

    def __init__(self, *args, row, **kwargs):
        super().__init__(*args, **kwargs)
        for column in row.columns:
            current = row.raw[column.name]
            if column.choices:
                choices = [("", "—"), *((choice, choice) for choice in column.choices)]
                if current and current not in column.choices:
                    choices.append((current, current))  # as the file says, until corrected
                field = forms.ChoiceField(choices=choices, required=False, initial=current)
            else:
                field = forms.CharField(required=False, strip=False, initial=current)
            field.label = column.name
            field.help_text = column.help
            self.fields[column.name] = field


def _may_correct_or_404(request: HttpRequest, batch: ImportBatch):
    importer = _importer_or_404(batch.kind)
    if not may_import(request.user, importer, batch.office):
        raise Http404
    return importer


def import_row(request: HttpRequest, pk, row_number: int) -> HttpResponse:
    """The editor of one staged row: its cells, its problems; saving checks the row and the batch again."""
    batch = _batch_or_404(request, pk)
    importer = _may_correct_or_404(request, batch)
    try:
        row = staged_row_for_correction(batch, row_number)
    except ImportRefused as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("core:import-detail", pk=batch.pk)
    form = RowCorrectionForm(request.POST or None, row=row)
    if request.method == "POST" and form.is_valid():
        background = _recheck_in_background(batch)
        try:
            row = import_row_correct(
                batch=batch,
                row_number=row_number,
                cells=form.cleaned_data,
                by=request.user,
                check_across=not background,
            )
        except ImportRefused as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            if background:
                messages.success(request, _("Row %(row)d was saved.") % {"row": row_number})
                return _recheck(request, batch)
            if any(problem["blocking"] for problem in row.problems):
                messages.warning(
                    request, _("Row %(row)d was saved; it still has blocking problems.") % {"row": row_number}
                )
                return redirect("core:import-row", pk=batch.pk, row_number=row_number)
            messages.success(request, _("Row %(row)d was corrected.") % {"row": row_number})
            return redirect("core:import-detail", pk=batch.pk)
    if request.method == "GET":
        # The row's cells are a person's data, read out of their encrypted store: who opened them is kept.
        audit.record(
            AuditAction.VIEW,
            actor=request.user,
            obj=batch,
            reason=_("Row %(row)d opened for correction") % {"row": row_number},
        )
    problems_by_column: dict[str, list] = {}
    for problem in row.problems:
        problems_by_column.setdefault(problem["column"], []).append(problem)
    fields = [(form[column.name], problems_by_column.get(column.name, [])) for column in row.columns]
    context = {
        "batch": batch,
        "importer": importer,
        "row": row,
        "form": form,
        "fields": fields,
        "row_problems": problems_by_column.get("", []),
        "corrections": [
            {**correction, "at": datetime.datetime.fromisoformat(correction["at"])} for correction in row.corrections
        ],
    }
    return render(request, "core/import_row.html", context)


@require_POST
def import_row_leave_out_view(request: HttpRequest, pk, row_number: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    _may_correct_or_404(request, batch)
    background = _recheck_in_background(batch)
    try:
        import_row_leave_out(batch=batch, row_number=row_number, by=request.user, check_across=not background)
    except ImportRefused as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("core:import-row", pk=batch.pk, row_number=row_number)
    messages.info(request, _("Row %(row)d was left out of the import.") % {"row": row_number})
    if background:
        return _recheck(request, batch)
    return redirect("core:import-detail", pk=batch.pk)


@require_POST
def import_recheck_view(request: HttpRequest, pk) -> HttpResponse:
    """Check the rules across rows again (when a check left waiting did not finish)."""
    batch = _batch_or_404(request, pk)
    _may_correct_or_404(request, batch)
    return _recheck(request, batch)


def _recheck_in_background(batch: ImportBatch) -> bool:
    """The rules across rows of a large batch are checked again in the background, with a progress bar."""
    return batch.row_count > inline_rows()


def _recheck(request: HttpRequest, batch: ImportBatch) -> HttpResponse:
    with transaction.atomic():
        progress = task_progress_start(
            name=_("Checking %(file)s again") % {"file": batch.file_name}, owner=request.user, office=batch.office
        )
        arguments = (str(progress.pk), str(batch.pk), request.user.pk)
        transaction.on_commit(lambda: import_recheck_task.enqueue(*arguments))
    return redirect("core:import-progress", pk=progress.pk)


@require_POST
def import_commit_view(request: HttpRequest, pk) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    if batch.row_count > inline_rows():
        with transaction.atomic():
            progress = task_progress_start(
                name=_("Importing %(file)s") % {"file": batch.file_name}, owner=request.user, office=batch.office
            )
            arguments = (str(progress.pk), str(batch.pk), request.user.pk)
            transaction.on_commit(lambda: import_commit_task.enqueue(*arguments))
        return redirect("core:import-progress", pk=progress.pk)
    try:
        import_commit(batch=batch, by=request.user)
    except ImportRefused as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The records were written."))
    return redirect("core:import-detail", pk=batch.pk)


@require_POST
def import_discard_view(request: HttpRequest, pk) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    try:
        import_discard(batch=batch, by=request.user)
    except ImportRefused as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("core:import-detail", pk=batch.pk)
    messages.info(request, _("The import of %(file)s was discarded; nothing was written.") % {"file": batch.file_name})
    return redirect("core:import-list")


def import_problems(request: HttpRequest, pk) -> HttpResponse:
    """The report as CSV (row, column, problem, blocks); cells are neutralised, the export is audited."""
    batch = _batch_or_404(request, pk)
    header = [_("row"), _("column"), _("problem"), _("blocks")]
    body = [
        (row, column, message, _("yes") if blocking else _("no"))
        for row, column, message, blocking in problem_report(batch)
    ]
    audit.record(AuditAction.EXPORT, actor=request.user, obj=batch, reason=_("Problem report of an import"))
    response = HttpResponse(csv_bytes([header, *body]), content_type="text/csv; charset=utf-8")
    stem = PurePath(batch.file_name).stem or "import"
    response["Content-Disposition"] = f'attachment; filename="{_ascii_file_name(stem)}-problems.csv"'
    return response


def _ascii_file_name(stem: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in stem)[:80] or "import"


def import_progress(request: HttpRequest, pk) -> HttpResponse:
    progress = get_visible_or_404(TaskProgress, request.user, pk=pk)
    result = progress.result or {}
    finished_batch = progress.is_finished and result.get("batch") and not result.get("refused")
    if finished_batch:
        url = reverse("core:import-detail", args=[result["batch"]])
        if not _is_htmx(request):
            return redirect(url)
    template = "core/_import_progress.html" if _is_htmx(request) else "core/import_progress.html"
    response = render(request, template, {"progress": progress, "result": result})
    if finished_batch:
        response["HX-Redirect"] = url
    return response


def _template_rows(importer) -> list[list[str]]:
    return [importer.column_names()]


def import_template_csv(request: HttpRequest, import_kind: str) -> HttpResponse:
    importer = _importer_or_404(import_kind)
    response = HttpResponse(csv_bytes(_template_rows(importer)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{importer.kind}-template.csv"'
    return response


def import_template_xlsx(request: HttpRequest, import_kind: str) -> HttpResponse:
    importer = _importer_or_404(import_kind)
    help_rows = [[_("column"), _("required"), _("what goes in it"), _("allowed values")]]
    for column in importer.columns:
        help_rows.append(
            [column.name, _("yes") if column.required else _("no"), str(column.help), ", ".join(column.choices)]
        )
    lists = [[column.name for column in importer.columns if column.choices]]
    choice_columns = [column for column in importer.columns if column.choices]
    for index in range(max((len(column.choices) for column in choice_columns), default=0)):
        lists.append([column.choices[index] if index < len(column.choices) else None for column in choice_columns])

    def decorate(workbook) -> None:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.datavalidation import DataValidation

        data, help_sheet, lists_sheet = workbook.worksheets
        for sheet in (data, help_sheet):
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            sheet.freeze_panes = "A2"
        for position, column in enumerate(importer.columns, start=1):
            data.column_dimensions[get_column_letter(position)].width = max(14, len(column.name) + 4)
        help_sheet.column_dimensions["C"].width = 70
        lists_sheet.sheet_state = "hidden"
        for list_position, column in enumerate(choice_columns, start=1):
            letter = get_column_letter(list_position)
            validation = DataValidation(
                type="list", formula1=f"Lists!${letter}$2:${letter}${len(column.choices) + 1}", allow_blank=True
            )
            data_letter = get_column_letter(importer.column_names().index(column.name) + 1)
            validation.add(f"{data_letter}2:{data_letter}100000")
            data.add_data_validation(validation)

    content = xlsx_bytes(
        {importer.kind: _template_rows(importer), str(TEMPLATE_HELP_SHEET): help_rows, TEMPLATE_LISTS_SHEET: lists},
        write_only=False,
        decorate=decorate,
    )
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{importer.kind}-template.xlsx"'
    return response
