"""Cash pages: programmes and their rules, targeting runs, payment cycles from draft to closed, the check of a
payment file. Thin: parse, call a selector or a service, render. A programme, run or cycle outside the user's
offices answers 404; the services refuse whatever the user's roles do not allow (the four-eyes rule included)."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import crypto
from liman.core.access import has_role
from liman.core.lists import Listing
from liman.core.views import paginate, role_required
from liman.core.views import refusal_messages as _messages_of
from liman.core.workflows import TransitionRefused

from . import forms, lists, pdm, permissions, rules, selectors, services
from .choices import FROZEN_STATES, CycleState, PaymentStatus
from .permissions import CASH_PREPARE_ROLES, CASH_READ_ROLES
from .providers import provider_choices

REPORT_KIND = "cash_provider_report"


def _form_errors_from(form, exc: ValidationError) -> None:
    """A service's refusal on the form: at its field when the form has one, above the form otherwise."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _in_words(text: str, kind: str) -> str:
    try:
        return rules.describe(text, kind=kind)
    except rules.RuleProblem as exc:  # a rule saved under facts that have since changed: say so, show the text
        return str(exc)


# --- programmes ---------------------------------------------------------------------------------------------


@role_required(CASH_READ_ROLES)
def programme_list(request: HttpRequest) -> HttpResponse:
    context = {
        "page": paginate(request, selectors.programmes_for(request.user)),
        "may_create": has_role(request.user, CASH_PREPARE_ROLES),
    }
    return render(request, "cash/programme_list.html", context)


@role_required(CASH_PREPARE_ROLES)
def programme_create(request: HttpRequest) -> HttpResponse:
    offices = selectors.offices_to_prepare(request.user)
    if not offices.exists():
        raise Http404
    form = forms.ProgrammeForm(request.POST or None, offices=offices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            programme = services.programme_create(
                code=data["code"],
                name=data["name"],
                offices=list(data["offices"]),
                eligibility=data["eligibility"],
                transfer_value=data["transfer_value"],
                currency=data["currency"],
                by=request.user,
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error("offices", str(exc))
        else:
            messages.success(request, _("Programme %(code)s created.") % {"code": programme.code})
            return redirect("cash:cash-programme-detail", pk=programme.pk)
    return render(request, "cash/programme_form.html", {"form": form})


def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    programme = selectors.programme_for(user, pk)
    current = programme.current_rules
    versions = [
        (version, _in_words(version.eligibility, "eligibility"), _in_words(version.transfer_value, "transfer_value"))
        for version in selectors.rule_versions_for(user, programme)
    ]
    prepare_in = selectors.offices_to_prepare(user, programme)
    context = {
        "programme": programme,
        "current": current,
        "versions": versions,
        "offices": programme.offices.all(),
        "enrolments": selectors.enrolment_counts(user, programme),
        "runs": selectors.runs_for(user, programme=programme)[:10],
        "cycles": selectors.cycles_for(user, programme=programme)[:10],
        "may_prepare": prepare_in.exists(),
        "targeting_form": forms.TargetingForm(offices=prepare_in) if prepare_in.exists() else None,
    }
    return render(request, "cash/programme_detail.html", context)


def _programme_to_prepare(request: HttpRequest, pk: int):
    programme = selectors.programme_for(request.user, pk)
    offices = selectors.offices_to_prepare(request.user, programme)
    if not offices.exists():
        raise Http404
    return programme, offices


def rules_add(request: HttpRequest, pk: int) -> HttpResponse:
    programme, _offices = _programme_to_prepare(request, pk)
    current = programme.current_rules
    initial = {"eligibility": current.eligibility, "transfer_value": current.transfer_value} if current else None
    form = forms.RulesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.rules_add(
                programme=programme,
                eligibility=data["eligibility"],
                transfer_value=data["transfer_value"],
                note=data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Version %(number)d of the rules saved: the next targeting run uses it.")
                % {"number": version.number},
            )
            return redirect("cash:cash-programme-detail", pk=programme.pk)
    return render(request, "cash/rules_form.html", {"programme": programme, "form": form, "current": current})


# --- targeting ----------------------------------------------------------------------------------------------


@require_POST
def targeting_start(request: HttpRequest, pk: int) -> HttpResponse:
    programme, offices = _programme_to_prepare(request, pk)
    form = forms.TargetingForm(request.POST, offices=offices)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("cash:cash-programme-detail", pk=programme.pk)
    try:
        run = services.targeting_run_start(programme=programme, office=form.cleaned_data["office"], by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
        return redirect("cash:cash-programme-detail", pk=programme.pk)
    return redirect("cash:cash-run-detail", pk=run.pk)


def _eligible_filter(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    run = selectors.run_for(user, pk)
    run.not_eligible = run.households - run.eligible
    progress = run.progress
    if progress is not None:
        from liman.core.progress import refresh

        progress = refresh(progress)
    if request.headers.get("HX-Request"):
        request.is_poll = True  # the bar refreshing itself is not the user's activity
        response = render(request, "cash/_run_status.html", {"run": run, "progress": progress})
        if run.finished_at is not None:
            response["HX-Refresh"] = "true"  # finished: the whole page, with its results
        return response
    eligible = request.GET.get("eligible", "")
    page = None
    heads, enrolled = {}, set()
    if run.finished_at is not None:
        page = paginate(request, selectors.results_for(user, run, eligible=_eligible_filter(eligible)))
        households = [row.household for row in page]
        heads = selectors.visible_heads(user, households)
        enrolled = selectors.enrolled_households(run.programme, [h.pk for h in households])
        for row in page:
            row.run = run  # its clauses in words, read once
            row.head_name = heads.get(row.household_id, "")
            row.is_enrolled = row.household_id in enrolled
    context = {
        "run": run,
        "progress": progress,
        "page": page,
        "eligible": eligible,
        "may_enrol": run.finished_at is not None and permissions.may_prepare(user, run.office_id) and run.eligible,
        "rules_words": _in_words(run.rules.eligibility, "eligibility"),
    }
    return render(request, "cash/run_detail.html", context)


@require_POST
def run_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_for(request.user, pk)
    if not permissions.may_prepare(request.user, run.office_id):
        raise Http404
    form = forms.EnrolForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("cash:cash-run-detail", pk=run.pk)
    try:
        enrolled = services.enrol(run=run, by=request.user, household_ids=form.household_ids())
    except (ValidationError, PermissionDenied) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("%(n)d households enrolled in %(programme)s (those enrolled already are left as they are).")
            % {"n": len(enrolled), "programme": run.programme.code},
        )
    return redirect("cash:cash-run-detail", pk=run.pk)


# --- payment cycles -----------------------------------------------------------------------------------------


@role_required(CASH_READ_ROLES)
def cycle_list(request: HttpRequest) -> HttpResponse:
    listing = Listing.read(request, lists.CYCLES)
    cycles = selectors.cycles_for(request.user, **listing.values)
    context = {
        "page": paginate(request, listing.ordered(cycles)),
        "listing": listing,
        "may_create": has_role(request.user, CASH_PREPARE_ROLES),
    }
    return render(request, "cash/cycle_list.html", context)


@role_required(CASH_PREPARE_ROLES)
def cycle_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    offices = selectors.offices_to_prepare(user)
    programmes = selectors.programmes_for(user).filter(is_active=True, offices__in=offices).distinct()
    if not offices.exists():
        raise Http404
    initial = {"programme": request.GET.get("programme")} if request.GET.get("programme", "").isdigit() else None
    form = forms.CycleForm(request.POST or None, initial=initial, programmes=programmes, offices=offices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cycle = services.cycle_create(
                programme=data["programme"], office=data["office"], provider=data["provider"], by=user
            )
        except (ValidationError, PermissionDenied) as exc:
            for text in _messages_of(exc):
                form.add_error(None, text)
        else:
            messages.success(
                request,
                _("Draft list %(reference)s: %(n)d households enrolled are on it. Verify it next.")
                % {"reference": cycle.reference, "n": cycle.payments.count()},
            )
            return redirect("cash:cash-cycle-detail", pk=cycle.pk)
    return render(request, "cash/cycle_form.html", {"form": form})


def _next_steps(cycle, user) -> list[dict]:
    """The workflow's next steps from here, each with what blocks it for this user (the approval is asked as this
    user approving, so the four-eyes rule shows as the blocker it is)."""
    workflow = cycle.workflow
    steps = []
    for target, label, blockers in workflow.next_steps(cycle, user=user):
        if target == CycleState.APPROVED:
            blockers = workflow.blockers(cycle, target, user=user, context={"approver": user})
        step = workflow.find(cycle, target)
        steps.append({"state": target, "label": str(step.label) if step else label, "blockers": blockers})
    return steps


def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from liman.core.staging import import_batches_for

    user = request.user
    cycle = selectors.cycle_for(user, pk)
    status = request.GET.get("status", "").strip()
    status = status if status in PaymentStatus.values else ""
    page = paginate(request, selectors.payments_for(user, cycle, status=status, q=request.GET.get("q", "")))
    heads = selectors.visible_heads(user, [row.household for row in page])
    for row in page:
        row.head_name = heads.get(row.household_id, "")
    steps = _next_steps(cycle, user)
    open_steps = {step["state"] for step in steps if not step["blockers"]}
    prepares = permissions.may_prepare(user, cycle.office_id)
    context = {
        "cycle": cycle,
        "page": page,
        "status": status,
        "statuses": PaymentStatus.choices,
        "summary": selectors.payment_summary(cycle),
        "steps": steps,
        "may_verify": cycle.state == CycleState.DRAFT and CycleState.VERIFIED in open_steps,
        "may_send_back": cycle.state == CycleState.VERIFIED and CycleState.DRAFT in open_steps,
        "may_approve": cycle.state == CycleState.VERIFIED and CycleState.APPROVED in open_steps,
        "may_export": cycle.state in FROZEN_STATES and prepares,
        "may_report": cycle.state == CycleState.SENT and prepares,
        "may_close": CycleState.CLOSED in open_steps,
        "may_release": cycle.state not in FROZEN_STATES and prepares,
        "verify_form": forms.VerifyForm(),
        "provider": dict(provider_choices()).get(cycle.provider, cycle.provider),
        "reports": import_batches_for(user).filter(kind=REPORT_KIND, result__declared__cycle=cycle.reference)[:10],
        **_monitoring(user, cycle, prepares),
    }
    return render(request, "cash/cycle_detail.html", context)


def _monitoring(user, cycle, prepares: bool) -> dict:
    """The cycle page's monitoring part: the sample's summary, or the form to draw one."""
    sample = pdm.sample_for(user, cycle)
    may_draw = sample is None and prepares and cycle.state in pdm.SAMPLED_STATES
    return {
        "pdm_sample": sample,
        "pdm_summary": pdm.pdm_summary(sample) if sample is not None else None,
        "pdm_form": forms.PdmDrawForm() if may_draw else None,
    }


def _back(cycle) -> HttpResponse:
    return redirect("cash:cash-cycle-detail", pk=cycle.pk)


def _refused(request: HttpRequest, exc: Exception) -> None:
    for text in _messages_of(exc):
        messages.error(request, text)


@require_POST
def cycle_verify(request: HttpRequest, pk: int) -> HttpResponse:
    from liman.dedup.engine import InputError

    from .partners import PartnerFileRefused, read_partner_file

    cycle = selectors.cycle_for(request.user, pk)
    form = forms.VerifyForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return _back(cycle)
    partner_records, upload = [], form.cleaned_data.get("partner_file")
    if upload:
        try:
            partner_records = read_partner_file(upload, upload.name)
        except PartnerFileRefused as exc:
            messages.error(request, _("%(file)s was refused; the list was not verified:") % {"file": upload.name})
            for text in exc.problems:
                messages.error(request, text)
            return _back(cycle)
    try:
        outcome = services.cycle_verify(
            cycle=cycle,
            by=request.user,
            partner_records=partner_records,
            partner_name=form.cleaned_data.get("partner_name", "").strip(),
        )
    except InputError as exc:  # the matcher's own check of the partner's records
        messages.error(request, _("%(file)s was refused; the list was not verified:") % {"file": upload.name})
        for text in exc.problems:
            messages.error(request, text)
    except (ValidationError, PermissionDenied, TransitionRefused) as exc:
        _refused(request, exc)
    else:
        text = _("%(reference)s verified: %(checked)d households checked, %(held)d held as possible duplicates.") % {
            "reference": cycle.reference,
            **outcome,
        }
        if outcome["no_consent"]:
            text += " " + _("%(n)d held back: no consent to share with the payment provider.") % {
                "n": outcome["no_consent"]
            }
        if partner_records:
            text += " " + _("%(n)d records of %(partner)s's list compared.") % {
                "n": len(partner_records),
                "partner": form.cleaned_data["partner_name"],
            }
        messages.success(request, text)
    return _back(cycle)


@require_POST
def cycle_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycle_for(request.user, pk)
    form = forms.ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why the list goes back to draft."))
        services.cycle_send_back(cycle=cycle, by=request.user, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied, TransitionRefused) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(reference)s is back to draft.") % {"reference": cycle.reference})
    return _back(cycle)


@require_POST
def cycle_approve(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycle_for(request.user, pk)
    try:
        services.cycle_approve(cycle=cycle, by=request.user)
    except (ValidationError, PermissionDenied, TransitionRefused) as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("%(reference)s approved: the list is frozen (%(n)d payments, %(total)s %(currency)s).")
            % {
                "reference": cycle.reference,
                "n": cycle.households,
                "total": f"{cycle.total:,.2f}",
                "currency": cycle.programme.currency,
            },
        )
    return _back(cycle)


@require_POST
def cycle_payment_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The provider's file of the frozen list and its detached signature, in one zip; the first marks it sent."""
    cycle = selectors.cycle_for(request.user, pk)
    if not permissions.may_prepare(request.user, cycle.office_id):
        raise Http404
    try:
        data, signature = services.cycle_export(cycle=cycle, by=request.user)
    except (ValidationError, PermissionDenied, TransitionRefused) as exc:
        _refused(request, exc)
        return _back(cycle)
    name = f"{cycle.reference}.csv"
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
        archive.writestr(f"{name}.sig", signature + "\n")
    response = HttpResponse(bundle.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{cycle.reference}-payment-file.zip"'
    return response


def cycle_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload the provider's report: it is staged and checked row by row against the frozen list (the staging
    page shows each refused row and commits the accepted file)."""
    from liman.core.services import task_progress_start
    from liman.core.staging import ImportRefused, import_stage, import_stage_task, inline_bytes, spool_upload
    from liman.core.tabular import unpacked_size

    user = request.user
    cycle = selectors.cycle_for(user, pk)
    if not permissions.may_prepare(user, cycle.office_id):
        raise Http404
    form = forms.ReportUploadForm(request.POST or None, request.FILES or None)
    waiting = cycle.state == CycleState.SENT
    if request.method == "POST" and waiting and form.is_valid():
        upload = form.cleaned_data["file"]
        declared = {"cycle": cycle.reference}
        if upload.size > inline_bytes() or unpacked_size(upload, upload.name) > 8 * inline_bytes():
            with transaction.atomic():
                progress = task_progress_start(
                    name=_("Checking %(file)s") % {"file": PurePath(upload.name).name}, owner=user, office=cycle.office
                )
                arguments = (str(progress.pk), spool_upload(upload), REPORT_KIND, cycle.office_id, user.pk,
                             upload.name, None, declared)  # fmt: skip
                transaction.on_commit(lambda: import_stage_task.enqueue(*arguments))
            return redirect("core:import-progress", pk=progress.pk)
        else:
            try:
                batch = import_stage(
                    kind=REPORT_KIND, file=upload, file_name=upload.name, office=cycle.office, by=user,
                    declared=declared,
                )  # fmt: skip
            except ImportRefused as exc:
                form.add_error("file", exc.messages)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                return redirect("core:import-detail", pk=batch.pk)
    refusal = (
        ""
        if waiting
        else (
            _("%(reference)s is not waiting for a provider report (it is %(state)s).")
            % {"reference": cycle.reference, "state": cycle.get_state_display()}
        )
    )
    return render(request, "cash/report_form.html", {"cycle": cycle, "form": form, "refusal": refusal})


@require_POST
def cycle_close(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycle_for(request.user, pk)
    try:
        services.cycle_close(cycle=cycle, by=request.user)
    except (ValidationError, PermissionDenied, TransitionRefused) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(reference)s closed.") % {"reference": cycle.reference})
    return _back(cycle)


@require_POST
def payment_release(request: HttpRequest, pk: int, payment_id: int) -> HttpResponse:
    cycle = selectors.cycle_for(request.user, pk)
    payment = selectors.payment_for(request.user, cycle, payment_id)
    form = forms.ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why this is not a duplicate."))
        services.payment_release(payment=payment, by=request.user, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied, TransitionRefused) as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("%(household)s is back on the list; verify the list again before approval.")
            % {"household": payment.household.reference},
        )
    return _back(cycle)


# --- post-distribution monitoring ---------------------------------------------------------------------------


@require_POST
def pdm_draw(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycle_for(request.user, pk)
    if not permissions.may_prepare(request.user, cycle.office_id):
        raise Http404
    form = forms.PdmDrawForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return _back(cycle)
    data = form.cleaned_data
    try:
        sample = pdm.pdm_sample_draw(
            cycle=cycle, size=data["size"], stratified=data["stratified"], seed=data["seed"], by=request.user
        )
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
        return _back(cycle)
    messages.success(
        request,
        _("%(n)d households drawn for monitoring (seed %(seed)d).") % {"n": sample.visits.count(), "seed": sample.seed},
    )
    return redirect("cash:cash-pdm-sample", pk=cycle.pk)


def pdm_sample(request: HttpRequest, pk: int) -> HttpResponse:
    """The monitoring sample's households, to be asked (the name and phone the provider paid), and their answers."""
    user = request.user
    cycle = selectors.cycle_for(user, pk)
    sample = pdm.sample_for(user, cycle)
    if sample is None:
        raise Http404
    answered = _eligible_filter(request.GET.get("answered", ""))
    page = paginate(request, pdm.visits_for(user, sample, answered=answered))
    details = pdm.call_details(list(page))
    for visit in page:
        visit.call = details[visit.pk]
    context = {
        "cycle": cycle,
        "sample": sample,
        "page": page,
        "answered": request.GET.get("answered", ""),
        "summary": pdm.pdm_summary(sample),
        "form_published": pdm.pdm_form_published(cycle.office_id),
        "may_publish": permissions.may_prepare(user, cycle.office_id),
        "form_id": pdm.PDM_FORM_ID,
    }
    return render(request, "cash/pdm_sample.html", context)


@require_POST
def pdm_form(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the shipped monitoring form in the cycle's office (its field users' phones then list it)."""
    cycle = selectors.cycle_for(request.user, pk)
    if not permissions.may_prepare(request.user, cycle.office_id):
        raise Http404
    try:
        version = pdm.pdm_form_publish(office=cycle.office, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("The form %(form)s (version %(version)s) is published in %(office)s.")
            % {"form": pdm.PDM_FORM_ID, "version": version.version, "office": cycle.office.code},
        )
    return redirect("cash:cash-pdm-sample", pk=cycle.pk)


@role_required(CASH_READ_ROLES)
def check_file(request: HttpRequest) -> HttpResponse:
    """Whether a payment file is exactly as Liman signed it (what a provider checks before paying from it)."""
    form = forms.CheckFileForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        outcome = {
            "file": PurePath(upload.name).name,
            "valid": crypto.payment_verify(upload.read(), form.signature_value()),
        }
    context = {"form": form, "outcome": outcome, "public_key": crypto.payment_public_key_pem()}
    return render(request, "cash/check_file.html", context)
