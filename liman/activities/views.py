"""Activity pages: the list, planning an activity, one activity with its sessions and participants, the attendance
tick list (made for a phone), QR check-in, sign-in sheets and certificates as PDF, counts for reporting, equipment
handed over. Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.access import has_role
from liman.core.choices import AuditAction
from liman.core.disclosure import publishes
from liman.core.lists import Listing
from liman.core.models import Office
from liman.core.views import paginate, role_required
from liman.core.views import refusal_messages as _messages_of
from liman.core.workflows import TransitionRefused

from . import documents, forms, lists, permissions, selectors, services
from .choices import ActivityState, ActivityType
from .permissions import ACTIVITY_MANAGE_ROLES, ACTIVITY_READ_ROLES, COUNTS_ROLES, EQUIPMENT_ROLES

REFUSED = (ValidationError, PermissionDenied, TransitionRefused)


def _managed_offices(user, roles=ACTIVITY_MANAGE_ROLES):
    from liman.core.selectors import offices_for

    return Office.objects.filter(pk__in=[o.pk for o in offices_for(user) if has_role(user, roles, office=o.pk)])


def _refused(request: HttpRequest, exc: Exception) -> None:
    for text in _messages_of(exc):
        messages.error(request, text)


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for text in errors:
            messages.error(request, f"{label}: {text}" if label else text)


@role_required(ACTIVITY_READ_ROLES)
def activity_list(request: HttpRequest) -> HttpResponse:
    listing = Listing.read(request, lists.ACTIVITIES)
    rows = selectors.activities_for(request.user, **listing.values)
    context = {
        "page": paginate(request, listing.ordered(rows)),
        "listing": listing,
        "may_create": has_role(request.user, ACTIVITY_MANAGE_ROLES),
    }
    return render(request, "activities/activity_list.html", context)


@role_required(ACTIVITY_MANAGE_ROLES)
def activity_create(request: HttpRequest) -> HttpResponse:
    offices = _managed_offices(request.user)
    office_ids = list(offices.values_list("pk", flat=True))
    trainers = selectors.trained_trainers(request.user, office_ids[0]) if len(office_ids) == 1 else None
    if trainers is None:
        from .models import Participant

        trainers = Participant.objects.visible_to(request.user).filter(office_id__in=office_ids, completed=True)
    form = forms.ActivityForm(request.POST or None, offices=offices, trainers=trainers.select_related("activity"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = services.activity_create(
                office=data["office"], type=data["type"], title=data["title"], programme=data["programme"],
                district=data["district"], venue=data["venue"], starts_on=data["starts_on"], ends_on=data["ends_on"],
                facilitators=data["facilitators"], target_group=data["target_group"],
                completion_percent=data["completion_percent"], trained_facilitator=data["trained_facilitator"],
                by=request.user,
            )  # fmt: skip
        except REFUSED as exc:
            for text in _messages_of(exc):
                form.add_error(None, text)
        else:
            messages.success(request, _("%(reference)s planned.") % {"reference": activity.reference})
            return redirect("activities:activity-detail", reference=activity.reference)
    return render(request, "activities/activity_form.html", {"form": form})


def activity_detail(request: HttpRequest, reference: str) -> HttpResponse:
    activity = selectors.activity_get(request.user, reference)
    participants = list(selectors.participants_of(request.user, activity))
    audit.record_read(request.user, participants, reason="activity page", ip_address=audit.client_address(request))
    may_manage = permissions.may_manage_activity(request.user, activity)
    context = {
        "activity": activity,
        "sessions": list(selectors.sessions_of(activity)),
        "participants": participants,
        "hidden": selectors.hidden_participant_count(request.user, activity),
        "equipment": list(activity.equipment.all()),
        "may_manage": may_manage,
        "is_open": activity.state in services.OPEN_STATES,
        "steps": _steps(activity, request.user) if may_manage else [],
    }
    if may_manage:
        context.update(
            session_form=forms.SessionForm(
                initial={"held_on": max(activity.starts_on, min(timezone.localdate(), activity.ends_on))}
            ),  # fmt: skip
            person_form=forms.PersonParticipantForm(),
            light_form=forms.LightParticipantForm(),
            cancel_form=forms.CancelForm(),
        )
    return render(request, "activities/activity_detail.html", context)


def _steps(record, user) -> list[tuple[str, str, list[str]]]:
    """The next steps of the record, each named by its transition ("Start", "Close"), not the state it reaches."""
    labels = {step.target: str(step.label) for step in record.workflow.transitions if step.label}
    return [(state, labels.get(state, label), blockers) for state, label, blockers in
            record.workflow.next_steps(record, user=user)]  # fmt: skip


def _managed_activity(request: HttpRequest, reference: str):
    activity = selectors.activity_get(request.user, reference)
    if not permissions.may_manage_activity(request.user, activity):
        raise Http404
    return activity


@require_POST
def session_add(request: HttpRequest, reference: str) -> HttpResponse:
    activity = _managed_activity(request, reference)
    form = forms.SessionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            session = services.session_add(activity=activity, by=request.user, **form.cleaned_data)
        except REFUSED as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Session %(number)d added.") % {"number": session.number})
    return redirect("activities:activity-detail", reference=reference)


@require_POST
def participant_add(request: HttpRequest, reference: str) -> HttpResponse:
    """A registered person (by reference) or a light record, whichever form was sent."""
    from liman.registry.models import Person

    activity = _managed_activity(request, reference)
    light = request.POST.get("kind") == "light"
    form = (forms.LightParticipantForm if light else forms.PersonParticipantForm)(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("activities:activity-detail", reference=reference)
    data = form.cleaned_data
    try:
        if light:
            participant = services.participant_add_light(activity=activity, by=request.user, **data)
        else:
            person = Person.objects.visible_to(request.user).filter(reference=data["person"].strip().upper()).first()
            if person is None:
                raise ValidationError({"person": _("No person you can see has this reference.")})
            participant = services.participant_add_person(
                activity=activity, person=person, organisation=data["organisation"], position=data["position"],
                legal_basis=data["legal_basis"], basis_note=data["basis_note"], by=request.user,
            )  # fmt: skip
    except REFUSED as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(name)s added as number %(number)d.") % {
            "name": participant.name, "number": participant.number})  # fmt: skip
    return redirect("activities:activity-detail", reference=reference)


@require_POST
def activity_step(request: HttpRequest, reference: str) -> HttpResponse:
    activity = _managed_activity(request, reference)
    step = request.POST.get("to", "")
    try:
        if step == ActivityState.ONGOING:
            services.activity_start(activity=activity, by=request.user)
        elif step == ActivityState.CLOSED:
            services.activity_close(activity=activity, by=request.user)
        elif step == ActivityState.CANCELLED:
            services.activity_cancel(activity=activity, by=request.user, reason=request.POST.get("reason", ""))
        else:
            raise ValidationError(_("Choose a next step."))
    except REFUSED as exc:
        _refused(request, exc)
    else:
        activity.refresh_from_db()
        messages.success(request, _("%(reference)s: %(state)s.") % {
            "reference": reference, "state": activity.get_state_display()})  # fmt: skip
    return redirect("activities:activity-detail", reference=reference)


def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The tick list of one session, one big row per participant (made for a phone): tick who is here, save."""
    session = selectors.session_get(request.user, pk)
    activity = session.activity
    may_manage = permissions.may_manage_activity(request.user, activity)
    participants = list(selectors.participants_of(request.user, activity))
    if request.method == "POST":
        if not may_manage:
            raise Http404
        try:
            present = {int(value) for value in request.POST.getlist("present")}
        except ValueError:
            present = None
            messages.error(request, _("The list sent is not one this page made; reload it."))
        if present is not None:
            try:
                outcome = services.attendance_take(session=session, present=present, by=request.user)
            except REFUSED as exc:
                _refused(request, exc)
            else:
                messages.success(request, _("Session %(number)d: %(present)d present, %(absent)d absent.") % {
                    "number": session.number, **outcome})  # fmt: skip
                return redirect("activities:activity-detail", reference=activity.reference)
        return redirect("activities:activity-attendance", pk=pk)
    audit.record_read(request.user, participants, reason="attendance list", ip_address=audit.client_address(request))
    marks = selectors.attendance_of(session)
    rows = [(participant, marks.get(participant.pk, False)) for participant in participants]
    context = {"session": session, "activity": activity, "rows": rows, "may_manage": may_manage,
               "is_open": activity.state in services.OPEN_STATES, "taken": bool(marks)}  # fmt: skip
    return render(request, "activities/attendance.html", context)


def check_in(request: HttpRequest, check_in_token: str) -> HttpResponse:
    """What a session's QR opens: check a participant in by their number (from the sign-in sheet) or their name."""
    session = selectors.session_from_token(request.user, check_in_token)
    if session is None:
        raise Http404
    activity = session.activity
    if not permissions.may_manage_activity(request.user, activity):
        raise Http404
    participants = list(selectors.participants_of(request.user, activity))
    if request.method == "POST":
        number = request.POST.get("number", "").strip()
        found = next((p for p in participants if str(p.number) == number), None)
        if found is None:
            messages.error(request, _("No participant of this activity has number %(number)s.") % {"number": number})
        else:
            try:
                services.attendance_check_in(session=session, participant=found, by=request.user)
            except REFUSED as exc:
                _refused(request, exc)
            else:
                messages.success(request, _("%(number)d · %(name)s: present.") % {
                    "number": found.number, "name": found.name})  # fmt: skip
        return redirect("activities:activity-check-in", check_in_token=check_in_token)
    marks = selectors.attendance_of(session)
    context = {"session": session, "activity": activity, "token": check_in_token,
               "rows": [(p, marks.get(p.pk, False)) for p in participants]}  # fmt: skip
    return render(request, "activities/check_in.html", context)


def sign_in_sheets(request: HttpRequest, reference: str) -> HttpResponse:
    activity = selectors.activity_get(request.user, reference)
    participants = list(selectors.participants_of(request.user, activity))
    sessions = list(activity.sessions.order_by("number"))

    def check_in_url(session):
        return request.build_absolute_uri(reverse("activities:activity-check-in", args=[session.check_in_token]))

    content = documents.sign_in_sheets_pdf(activity, sessions, participants, check_in_url)
    audit.record(
        AuditAction.EXPORT, actor=request.user, obj=activity, reason="sign-in sheets PDF",
        ip_address=audit.client_address(request), sensitivity=activity.participants_tier if participants else None,
    )  # fmt: skip
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{activity.reference}-sign-in.pdf"'
    return response


@require_POST
def participant_consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The participant withdrew their consent (told in person, by phone, in writing): recorded today."""
    participant = selectors.participant_get(request.user, pk)
    if not permissions.may_manage_activity(request.user, participant.activity):
        raise Http404
    try:
        services.participant_consent_withdraw(participant=participant, by=request.user)
    except REFUSED as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(name)s's consent is recorded as withdrawn.") % {"name": participant.name})
    return redirect("activities:activity-detail", reference=participant.activity.reference)


@require_POST
def participant_scores(request: HttpRequest, pk: int) -> HttpResponse:
    participant = selectors.participant_get(request.user, pk)
    if not permissions.may_manage_activity(request.user, participant.activity):
        raise Http404

    def score(name):
        value = request.POST.get(name, "").strip()
        if not value:
            return None
        if not value.isdigit() or int(value) > 100:
            raise ValidationError({name: _("A test score is a whole number from 0 to 100.")})
        return int(value)

    try:
        services.participant_scores(
            participant=participant, pre_score=score("pre_score"), post_score=score("post_score"), by=request.user
        )
    except REFUSED as exc:
        _refused(request, exc)
    return redirect("activities:activity-detail", reference=participant.activity.reference)


@require_POST
def certificate_issue(request: HttpRequest, pk: int) -> HttpResponse:
    participant = selectors.participant_get(request.user, pk)
    if not permissions.may_manage_activity(request.user, participant.activity):
        raise Http404
    try:
        participant = services.certificate_issue(participant=participant, by=request.user)
    except REFUSED as exc:
        _refused(request, exc)
        return redirect("activities:activity-detail", reference=participant.activity.reference)
    return redirect("activities:activity-certificate", pk=participant.pk)


def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    participant = selectors.participant_get(request.user, pk)
    if not participant.certificate_number or participant.certificate_issued_on is None:
        raise Http404  # no certificate issued (a number alone, without its date, is not one)
    content = documents.certificate_pdf(
        participant, sessions=participant.activity.sessions.count(), office_name=participant.activity.office.name
    )
    audit.record(AuditAction.EXPORT, actor=request.user, obj=participant, reason="certificate PDF",
                 ip_address=audit.client_address(request))  # fmt: skip
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{participant.certificate_number}.pdf"'
    return response


# --- counts -------------------------------------------------------------------------------------------------------


def _count_filters(request: HttpRequest) -> dict:
    import datetime

    def day(name):
        try:
            return datetime.date.fromisoformat(request.GET.get(name, "").strip() + "-01")
        except ValueError:
            return None

    kind = request.GET.get("type", "").strip()
    return {"since": day("since"), "until": day("until"), "type": kind if kind in ActivityType.values else ""}


@role_required(COUNTS_ROLES)
def counts(request: HttpRequest) -> HttpResponse:
    filters = _count_filters(request)
    table = selectors.counts(request.user, **filters)
    context = {"counts": table, "page": paginate(request, table.rows, per_page=200), "types": ActivityType.choices,
               "filters": {key: request.GET.get(key, "") for key in ("since", "until", "type")}}  # fmt: skip
    return render(request, "activities/counts.html", context)


COUNT_HEADERS = (
    ("Activity type", "#activity+type"),
    ("Province", "#adm1+name"),
    ("Month", "#date+month"),
    ("Sex", "#group+sex"),
    ("Age group", "#group+age"),
    ("Population group", "#population+type"),
    ("People reached", "#reached+ind"),
)


@publishes(None, fmt=["csv", "xlsx"])
@role_required(COUNTS_ROLES)
def counts_export(request: HttpRequest) -> HttpResponse:
    """People reached by type × province × month × sex × age group × population group, HXL-tagged, no cell below k."""
    from liman.core.tabular import csv_bytes, xlsx_bytes

    fmt = request.GET.get("fmt", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    table = selectors.counts(request.user, **_count_filters(request))
    keys = ("activity_type", "province", "month", "sex", "age_group", "population_group", "people")
    sheet = [[_(label) for label, _tag in COUNT_HEADERS], [tag for _label, tag in COUNT_HEADERS]]
    sheet += [[row[key] for key in keys] for row in table.rows]
    audit.record(AuditAction.EXPORT, actor=request.user, object_type="activities.participant",
                 object_repr="people reached by activities", changes={"format": [None, fmt]},
                 ip_address=audit.client_address(request))  # fmt: skip
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        response = HttpResponse(
            xlsx_bytes({_("People reached"): sheet}),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(csv_bytes(sheet), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="activities-people-reached-{stamp}.{fmt}"'
    return response


# --- equipment ----------------------------------------------------------------------------------------------------


@role_required(ACTIVITY_READ_ROLES | EQUIPMENT_ROLES)
def equipment_list(request: HttpRequest) -> HttpResponse:
    context = {"page": paginate(request, selectors.equipment_for(request.user)),
               "may_record": has_role(request.user, EQUIPMENT_ROLES)}  # fmt: skip
    return render(request, "activities/equipment_list.html", context)


@role_required(EQUIPMENT_ROLES)
def equipment_create(request: HttpRequest) -> HttpResponse:
    form = forms.EquipmentForm(request.POST or None, offices=_managed_offices(request.user, EQUIPMENT_ROLES))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reference = data.pop("activity").strip().upper()
        activity = None
        if reference:
            activity = selectors.activities_for(request.user).filter(reference=reference).first()
            if activity is None:
                form.add_error("activity", _("No activity you can see has this reference."))
        if not form.errors:
            try:
                services.equipment_handover_record(activity=activity, by=request.user, **data)
            except REFUSED as exc:
                for text in _messages_of(exc):
                    form.add_error(None, text)
            else:
                messages.success(request, _("Handover recorded."))
                return redirect("activities:activity-equipment-list")
    return render(request, "activities/equipment_form.html", {"form": form})
