"""Feedback pages: the list (with the overdue ones), recording feedback, and one feedback with its next step.
Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core.access import has_role
from liman.core.lists import Listing
from liman.core.models import Office, User
from liman.core.views import paginate, role_required
from liman.core.views import refusal_messages as _messages_of
from liman.core.workflows import TransitionRefused

from . import forms, lists, permissions, selectors, services
from .models import Feedback
from .permissions import FEEDBACK_READ_ROLES, FEEDBACK_RECORD_ROLES, TRENDS_ROLES


@role_required(FEEDBACK_READ_ROLES)
def feedback_list(request: HttpRequest) -> HttpResponse:
    listing = Listing.read(request, lists.FEEDBACK)
    rows = selectors.feedback_for(request.user, **listing.values)
    context = {
        "page": paginate(request, listing.ordered(rows)),
        "listing": listing,
        "may_record": has_role(request.user, FEEDBACK_RECORD_ROLES),
    }
    return render(request, "feedback/feedback_list.html", context)


@role_required(FEEDBACK_RECORD_ROLES)
def feedback_create(request: HttpRequest) -> HttpResponse:
    from liman.core.selectors import offices_for
    from liman.registry.models import Person

    offices = Office.objects.filter(
        pk__in=[o.pk for o in offices_for(request.user) if permissions.may_record(request.user, o.pk)]
    )
    initial = {key: request.GET[key].strip() for key in ("about", "person", "category") if request.GET.get(key)}
    form = forms.FeedbackForm(request.POST or None, offices=offices, initial=initial)
    about_key = (request.POST if request.method == "POST" else request.GET).get("about", "")
    about = selectors.about_from_key(request.user, about_key) if about_key else None
    if about_key and about is None:
        raise Http404
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = None
        if data["person"] and not data["anonymous"]:
            person = Person.objects.visible_to(request.user).filter(reference=data["person"].strip().upper()).first()
            if person is None:
                form.add_error("person", _("No person you can see has this reference."))
        about_staff = None
        if data["about_staff"]:
            about_staff = User.objects.filter(username=data["about_staff"].strip(), is_active=True).first()
            if about_staff is None:
                form.add_error("about_staff", _("No active user has this name."))
        if not form.errors:
            try:
                feedback = services.feedback_record(
                    office=data["office"], channel=data["channel"], category=data["category"],
                    priority=data["priority"], summary=data["summary"], anonymous=data["anonymous"], person=person,
                    contact=data["contact"], about_staff=about_staff, about=about, by=request.user,
                )  # fmt: skip
            except (ValidationError, PermissionDenied) as exc:
                for text in _messages_of(exc):
                    form.add_error(None, text)
            else:
                if not Feedback.objects.visible_to(request.user).filter(pk=feedback.pk).exists():
                    # Out of the recorder's sight from now on: say where it went, and stay on a page they can open.
                    if feedback.is_protected:
                        text = _("%(reference)s recorded and sent to the PSEA focal points only. Thank you.")
                    else:
                        text = _("%(reference)s recorded and passed to the feedback team of %(office)s. Thank you.")
                    messages.success(request, text % {"reference": feedback.reference, "office": feedback.office})
                    may_list = has_role(request.user, FEEDBACK_READ_ROLES)
                    return redirect("feedback:feedback-list" if may_list else "feedback:feedback-create")
                messages.success(request, _("%(reference)s recorded.") % {"reference": feedback.reference})
                return redirect("feedback:feedback-detail", reference=feedback.reference)
    return render(request, "feedback/feedback_form.html", {"form": form, "about": about})


def feedback_detail(request: HttpRequest, reference: str) -> HttpResponse:
    feedback = selectors.feedback_get(request.user, reference)
    may_handle = permissions.may_handle(request.user, feedback.office_id)
    context = {
        "feedback": feedback,
        "about": selectors.about_record(request.user, feedback),
        "may_handle": may_handle,
        "history": feedback.workflow.next_steps(feedback, user=request.user) if may_handle else [],
    }
    if may_handle:
        context.update(
            triage=forms.TriageForm(initial={"priority": feedback.priority, "category": feedback.category}),
            assign=forms.AssignForm(handlers=selectors.handlers(request.user, feedback)),
            resolve=forms.ResolveForm(),
            respond=forms.RespondForm(),
        )
    return render(request, "feedback/feedback_detail.html", context)


def _step(request: HttpRequest, reference: str, form_class, act, **form_kwargs) -> HttpResponse:
    feedback = selectors.feedback_get(request.user, reference)
    if not permissions.may_handle(request.user, feedback.office_id):
        raise Http404
    if form_class is None:
        data = {}
    else:
        if form_class is forms.AssignForm:
            form_kwargs["handlers"] = selectors.handlers(request.user, feedback)
        form = form_class(request.POST, **form_kwargs)
        if not form.is_valid():
            for errors in form.errors.values():
                for text in errors:
                    messages.error(request, text)
            return redirect("feedback:feedback-detail", reference=reference)
        data = form.cleaned_data
    try:
        act(feedback, data)
    except (ValidationError, PermissionDenied, TransitionRefused) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
    else:
        feedback.refresh_from_db()
        messages.success(request, _("%(reference)s: %(state)s.") % {
            "reference": reference, "state": feedback.get_state_display()})  # fmt: skip
    return redirect("feedback:feedback-detail", reference=reference)


@require_POST
def feedback_triage(request: HttpRequest, reference: str) -> HttpResponse:
    def act(feedback, data):
        services.feedback_triage(
            feedback=feedback, priority=data["priority"], category=data["category"], by=request.user
        )

    return _step(request, reference, forms.TriageForm, act)


@require_POST
def feedback_assign(request: HttpRequest, reference: str) -> HttpResponse:
    def act(feedback, data):
        services.feedback_assign(feedback=feedback, to=data["to"], by=request.user)

    return _step(request, reference, forms.AssignForm, act)


@require_POST
def feedback_resolve(request: HttpRequest, reference: str) -> HttpResponse:
    def act(feedback, data):
        services.feedback_resolve(
            feedback=feedback, resolution=data["resolution"], referred_to=data["referred_to"], by=request.user
        )

    return _step(request, reference, forms.ResolveForm, act)


@require_POST
def feedback_respond(request: HttpRequest, reference: str) -> HttpResponse:
    def act(feedback, data):
        services.feedback_respond(feedback=feedback, response=data["response"], by=request.user)

    return _step(request, reference, forms.RespondForm, act)


@require_POST
def feedback_close(request: HttpRequest, reference: str) -> HttpResponse:
    def act(feedback, data):
        services.feedback_close(feedback=feedback, by=request.user)

    return _step(request, reference, None, act)


@role_required(TRENDS_ROLES)
def feedback_trends(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/feedback_trends.html", {"trends": selectors.trends(request.user)})


@role_required(TRENDS_ROLES)
def feedback_trends_xlsx(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    from liman.core import audit
    from liman.core.choices import AuditAction
    from liman.core.tabular import xlsx_bytes

    trends = selectors.trends(request.user)
    sheet = [[_("Month"), *trends["categories"], _("Total")]]
    sheet += [[month, *counts, total] for month, counts, total in trends["months"]]
    sheet += [[], [_("Channel"), _("Feedback")], *[[label, n] for label, n in trends["channels"]]]
    sheet += [[], [_("Province"), _("Feedback")], *[[label, n] for label, n in trends["provinces"]]]
    median, share = trends["median_days_to_answer"], trends["closed_with_answer_share"]
    sheet += [
        [],
        [_("Median days to answer"), "" if median is None else median],
        [_("Closed with an answer (%)"), "" if share is None else share],
    ]
    if trends["protected"]:
        sheet += [
            [],
            [_("Protected channel (month: complaints, shown from 11)")],
            *[list(row) for row in trends["protected"]],
        ]
    audit.record(AuditAction.EXPORT, actor=request.user, obj=None, reason="feedback trends XLSX",
                 ip_address=audit.client_address(request))  # fmt: skip
    response = HttpResponse(
        xlsx_bytes({_("Feedback trends"): sheet}),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="feedback-trends-{timezone.localdate():%Y-%m-%d}.xlsx"'
    return response
