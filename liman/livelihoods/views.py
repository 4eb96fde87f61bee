"""Grant pages: calls with their criteria and panel, applications from businesses, one application with the panel's
scores, conflicts, the committee's decision, the agreement, tranches and monitoring visits. Thin: parse, call a
selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core.access import has_role
from liman.core.models import Office, User
from liman.core.views import paginate, role_required
from liman.core.views import refusal_messages as _messages_of
from liman.core.workflows import TransitionRefused

from . import forms, permissions, selectors, services
from .choices import ApplicationState
from .permissions import GRANT_MANAGE_ROLES, GRANT_READ_ROLES

REFUSED = (ValidationError, PermissionDenied, TransitionRefused)


def _refused(request: HttpRequest, exc: Exception) -> None:
    for text in _messages_of(exc):
        messages.error(request, text)


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for text in errors:
            messages.error(request, f"{label}: {text}" if label else text)


@role_required(GRANT_READ_ROLES)
def grant_home(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "").strip()
    context = {
        "calls": list(selectors.calls_for(request.user)[:20]),
        "page": paginate(request, selectors.applications_for(request.user, state=state)),
        "states": ApplicationState.choices,
        "state": state,
        "jobs": selectors.jobs_reported(request.user),
        "may_manage": has_role(request.user, GRANT_MANAGE_ROLES),
    }
    return render(request, "livelihoods/grant_home.html", context)


@role_required(GRANT_MANAGE_ROLES)
def call_create(request: HttpRequest) -> HttpResponse:
    from liman.core.selectors import offices_for

    offices = Office.objects.filter(
        pk__in=[o.pk for o in offices_for(request.user) if permissions.may_manage(request.user, o.pk)]
    )
    form = forms.CallForm(request.POST or None, offices=offices)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_open(by=request.user, **form.cleaned_data)
        except REFUSED as exc:
            for text in _messages_of(exc):
                form.add_error(None, text)
        else:
            return redirect("livelihoods:grant-call-detail", reference=call.reference)
    return render(request, "livelihoods/form.html", {"form": form, "title": _("Open a call for applications")})


def call_detail(request: HttpRequest, reference: str) -> HttpResponse:
    call = selectors.call_get(request.user, reference)
    may_manage = permissions.may_manage(request.user, call.office_id)
    context = {
        "call": call,
        "criteria": list(call.criteria.all()),
        "panel": list(call.panel.select_related("member")),
        "applications": list(selectors.applications_for(request.user, call=call)),
        "may_manage": may_manage,
        "criterion_form": forms.CriterionForm(),
        "panel_form": forms.PanelForm(),
    }
    return render(request, "livelihoods/call_detail.html", context)


def _managed_call(request: HttpRequest, reference: str):
    call = selectors.call_get(request.user, reference)
    if not permissions.may_manage(request.user, call.office_id):
        raise Http404
    return call


@require_POST
def criterion_add(request: HttpRequest, reference: str) -> HttpResponse:
    call = _managed_call(request, reference)
    form = forms.CriterionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.criterion_add(call=call, by=request.user, **form.cleaned_data)
        except REFUSED as exc:
            _refused(request, exc)
    return redirect("livelihoods:grant-call-detail", reference=reference)


@require_POST
def panel_add(request: HttpRequest, reference: str) -> HttpResponse:
    call = _managed_call(request, reference)
    form = forms.PanelForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("livelihoods:grant-call-detail", reference=reference)
    member = User.objects.filter(username=form.cleaned_data["username"].strip(), is_active=True).first()
    try:
        if member is None:
            raise ValidationError(_("No active user has this name."))
        services.panel_add(call=call, member=member, by=request.user)
    except REFUSED as exc:
        _refused(request, exc)
    return redirect("livelihoods:grant-call-detail", reference=reference)


def application_create(request: HttpRequest, reference: str) -> HttpResponse:
    from liman.registry.models import Person

    call = _managed_call(request, reference)
    form = forms.ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = None
        if data["owner"]:
            owner = Person.objects.visible_to(request.user).filter(reference=data["owner"].strip().upper()).first()
            if owner is None:
                form.add_error("owner", _("No person you can see has this reference."))
        if not form.errors:
            employees = {key[len("employees_"):]: value or 0 for key, value in data.items()
                         if key.startswith("employees_")}  # fmt: skip
            try:
                application = services.application_submit(
                    call=call, by=request.user,
                    data=services.ApplicationInput(
                        business_name=data["business_name"], sector=data["sector"], registration=data["registration"],
                        requested_amount=data["requested_amount"], owner=owner, owner_name=data["owner_name"],
                        owner_sex=data["owner_sex"], owner_nationality=data["owner_nationality"],
                        tax_kind=data["tax_kind"], tax_number=data["tax_number"], employees=employees,
                        plan=data["plan"],
                    ),
                )  # fmt: skip
            except REFUSED as exc:
                if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        for text in errors:
                            form.add_error(field if field in form.fields else None, text)
                else:
                    for text in _messages_of(exc):
                        form.add_error(None, text)
            else:
                messages.success(request, _("%(reference)s registered.") % {"reference": application.reference})
                return redirect("livelihoods:grant-application-detail", reference=application.reference)
    title = _("Application to %(call)s") % {"call": call.title}
    return render(request, "livelihoods/form.html", {"form": form, "title": title})


def application_detail(request: HttpRequest, reference: str) -> HttpResponse:
    application = selectors.application_get(request.user, reference)
    user = request.user
    criteria, sheet = selectors.score_sheet(application)
    on_panel = application.call.panel.filter(member=user).exists()
    conflicted = application.conflicts.filter(member=user).exists()
    agreement = getattr(application, "agreement", None)
    context = {
        "application": application,
        "criteria": criteria,
        "sheet": sheet,
        "conflicts": list(application.conflicts.select_related("member")),
        "on_panel": on_panel,
        "conflicted": conflicted,
        "may_score": on_panel and not conflicted and application.state == ApplicationState.SCORING,
        "my_scores": {row.criterion_id: row.value for row in application.scores.filter(member=user)},
        "may_manage": permissions.may_manage(user, application.office_id),
        "may_approve": permissions.may_approve(user, application.office_id)
        and application.prepared_by_id != user.pk
        and not conflicted,
        "steps": _steps(application, user),
        "agreement": agreement,
        "tranches": list(agreement.tranches.select_related("approved_by")) if agreement else [],
        "may_approve_payment": permissions.may_approve(user, application.office_id),
        "payable_form": forms.PayableForm(),
        "visits": list(agreement.visits.select_related("visited_by")) if agreement else [],
        "agreement_form": forms.AgreementForm(
            initial={"amount": application.requested_amount, "signed_on": timezone.localdate()}
        ),  # fmt: skip
        "milestone_form": forms.MilestoneForm(initial={"met_on": timezone.localdate()}),
        "payment_form": forms.PaymentForm(initial={"paid_on": timezone.localdate()}),
        "visit_form": forms.VisitForm(initial={"visited_on": timezone.localdate()}),
        "conflict_form": forms.ConflictForm(),
    }
    return render(request, "livelihoods/application_detail.html", context)


def _steps(record, user) -> list[tuple[str, str, list[str]]]:
    """The next steps of the record, each named by its transition ("Send to the panel"), not the state it reaches."""
    labels = {step.target: str(step.label) for step in record.workflow.transitions if step.label}
    return [(state, labels.get(state, label), blockers) for state, label, blockers in
            record.workflow.next_steps(record, user=user)]  # fmt: skip


def _after(request, application, act) -> HttpResponse:
    try:
        act()
    except REFUSED as exc:
        _refused(request, exc)
    else:
        application.refresh_from_db()
        messages.success(request, _("%(reference)s: %(state)s.") % {
            "reference": application.reference, "state": application.get_state_display()})  # fmt: skip
    return redirect("livelihoods:grant-application-detail", reference=application.reference)


@require_POST
def application_step(request: HttpRequest, reference: str) -> HttpResponse:
    application = selectors.application_get(request.user, reference)
    step, reason, by = request.POST.get("to", ""), request.POST.get("reason", ""), request.user
    actions = {
        ApplicationState.SCORING: lambda: services.application_to_panel(application=application, by=by),
        ApplicationState.SCORED: lambda: services.scoring_close(application=application, by=by),
        ApplicationState.APPROVED: lambda: services.application_approve(application=application, by=by, reason=reason),
        ApplicationState.REJECTED: lambda: services.application_reject(application=application, by=by, reason=reason),
        ApplicationState.WITHDRAWN: lambda: services.application_withdraw(
            application=application, by=by, reason=reason
        ),  # fmt: skip
        ApplicationState.COMPLETED: lambda: services.application_complete(application=application, by=by),
    }
    if step not in actions:
        raise Http404
    return _after(request, application, actions[step])


@require_POST
def application_score(request: HttpRequest, reference: str) -> HttpResponse:
    application = selectors.application_get(request.user, reference)
    values = {}
    for criterion in application.call.criteria.all():
        raw = request.POST.get(f"criterion_{criterion.pk}", "").strip()
        if not raw.isdigit():
            messages.error(request, _("“%(criterion)s”: give a whole number from 0 to %(max)d.") % {
                "criterion": criterion.name, "max": criterion.max_score})  # fmt: skip
            return redirect("livelihoods:grant-application-detail", reference=reference)
        values[criterion.pk] = int(raw)
    member = request.user
    return _after(request, application,
                  lambda: services.scores_record(application=application, member=member, values=values))  # fmt: skip


@require_POST
def application_conflict(request: HttpRequest, reference: str) -> HttpResponse:
    application = selectors.application_get(request.user, reference)
    note = request.POST.get("note", "")
    member = request.user
    return _after(request, application,
                  lambda: services.conflict_declare(application=application, member=member, note=note))  # fmt: skip


@require_POST
def agreement_sign(request: HttpRequest, reference: str) -> HttpResponse:
    application = selectors.application_get(request.user, reference)
    form = forms.AgreementForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("livelihoods:grant-application-detail", reference=reference)
    data = form.cleaned_data
    return _after(request, application, lambda: services.agreement_sign(
        application=application, amount=data["amount"], tranches=data["tranches"], signed_on=data["signed_on"],
        by=request.user))  # fmt: skip


@require_POST
def visit_record(request: HttpRequest, reference: str) -> HttpResponse:
    application = selectors.application_get(request.user, reference)
    agreement = getattr(application, "agreement", None)
    form = forms.VisitForm(request.POST)
    if agreement is None:
        raise Http404
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("livelihoods:grant-application-detail", reference=reference)
    return _after(request, application,
                  lambda: services.visit_record(agreement=agreement, by=request.user, **form.cleaned_data))  # fmt: skip


@require_POST
def tranche_milestone(request: HttpRequest, pk: int) -> HttpResponse:
    tranche = selectors.tranche_get(request.user, pk)
    application = tranche.agreement.application
    form = forms.MilestoneForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("livelihoods:grant-application-detail", reference=application.reference)
    data = form.cleaned_data
    return _after(request, application, lambda: services.tranche_milestone_met(
        tranche=tranche, evidence=data["evidence"], met_on=data["met_on"], by=request.user))  # fmt: skip


@require_POST
def tranche_pay(request: HttpRequest, pk: int) -> HttpResponse:
    tranche = selectors.tranche_get(request.user, pk)
    application = tranche.agreement.application
    form = forms.PaymentForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("livelihoods:grant-application-detail", reference=application.reference)
    return _after(request, application,
                  lambda: services.tranche_pay(tranche=tranche, by=request.user, **form.cleaned_data))  # fmt: skip


@require_POST
def tranche_payable(request: HttpRequest, pk: int) -> HttpResponse:
    tranche = selectors.tranche_get(request.user, pk)
    application = tranche.agreement.application
    form = forms.PayableForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("livelihoods:grant-application-detail", reference=application.reference)
    return _after(request, application, lambda: services.tranche_payable(
        tranche=tranche, provider=form.cleaned_data["provider"], by=request.user))  # fmt: skip


@require_POST
def tranche_payment_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The provider's file of the approved tranche with its detached signature, in one zip."""
    import io
    import zipfile

    tranche = selectors.tranche_get(request.user, pk)
    if not has_role(request.user, permissions.GRANT_PAY_ROLES, office=tranche.agreement.application.office_id):
        raise Http404
    try:
        data, signature = services.tranche_payment_file(tranche=tranche, by=request.user)
    except REFUSED as exc:
        _refused(request, exc)
        return redirect("livelihoods:grant-application-detail", reference=tranche.agreement.application.reference)
    name = f"{tranche.payment_reference}.csv"
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
        archive.writestr(f"{name}.sig", signature + "\n")
    response = HttpResponse(bundle.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{tranche.payment_reference}-payment-file.zip"'
    return response
