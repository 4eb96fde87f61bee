"""Data protection pages: retention schedules, legal holds, the data map. Thin: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import retention
from liman.core.access import get_visible_or_404, has_role
from liman.core.views import paginate, role_required
from liman.core.views import refusal_messages as _messages_of

from . import selectors, services
from .models import Action, Breach, LegalHold
from .permissions import PRIVACY_ROLES, REQUEST_LIST_ROLES, SUBJECT_REQUEST_ROLES
from .person_export import EXPORT_ROLES


@role_required(PRIVACY_ROLES)
def schedules(request: HttpRequest) -> HttpResponse:
    context = {"rows": selectors.schedules(), "may_set": services.may_set_schedules(request.user)}
    return render(request, "privacy/schedules.html", context)


@role_required(PRIVACY_ROLES)
def schedule_edit(request: HttpRequest, kind: str) -> HttpResponse:
    found = retention.KINDS.get(kind) if retention.kinds() else None
    if found is None or not services.may_set_schedules(request.user):
        raise Http404
    current = dict(selectors.schedules()).get(found)
    errors: list[str] = []
    values = {
        "days": str(current.days if current else found.default_days),
        "action": current.action if current else found.default_action,
        "is_active": current.is_active if current else False,
    }
    if request.method == "POST":
        values = {
            "days": request.POST.get("days", "").strip(),
            "action": request.POST.get("action", ""),
            "is_active": request.POST.get("is_active") == "1",
        }
        if not values["days"].isdigit():
            errors.append(_("Kept for: give a whole number of days."))
        else:
            try:
                services.schedule_set(
                    kind=found.key,
                    days=int(values["days"]),
                    action=values["action"],
                    is_active=values["is_active"],
                    by=request.user,
                )
            except (ValidationError, PermissionDenied) as exc:
                errors += _messages_of(exc)
            else:
                messages.success(request, _("The schedule of %(kind)s is saved.") % {"kind": found.label})
                return redirect("privacy:privacy-schedules")
    actions = [(value, label) for value, label in Action.choices if value in found.actions]
    context = {"kind": found, "values": values, "errors": errors, "actions": actions}
    return render(request, "privacy/schedule_form.html", context)


@role_required(PRIVACY_ROLES)
def holds(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    values = {"kind": request.POST.get("kind", ""), "reference": "", "reason": ""}
    if request.method == "POST":
        values.update(reference=request.POST.get("reference", ""), reason=request.POST.get("reason", ""))
        try:
            hold = services.hold_place(
                kind=values["kind"], reference=values["reference"], reason=values["reason"], by=request.user
            )
        except (ValidationError, PermissionDenied) as exc:
            errors += _messages_of(exc)
        else:
            messages.success(request, _("%(reference)s is held: no purge touches it.") % {"reference": hold.reference})
            return redirect("privacy:privacy-holds")
    show_all = request.GET.get("all") == "1"
    context = {
        "page": paginate(request, selectors.holds_for(request.user, current=not show_all)),
        "kinds": retention.kinds(),
        "values": values,
        "errors": errors,
        "show_all": show_all,
    }
    return render(request, "privacy/holds.html", context)


@require_POST
@role_required(PRIVACY_ROLES)
def hold_lift(request: HttpRequest, pk: int) -> HttpResponse:
    hold = get_visible_or_404(LegalHold, request.user, pk=pk)
    try:
        services.hold_lift(hold=hold, reason=request.POST.get("lift_reason", ""), by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
    else:
        messages.success(request, _("The hold on %(reference)s is lifted.") % {"reference": hold.reference})
    return redirect("privacy:privacy-holds")


@role_required(PRIVACY_ROLES)
def data_map(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/data_map.html", {"rows": selectors.data_map()})


def _date(text: str):
    from django.utils.dateparse import parse_date

    try:
        return parse_date(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


BREACH_DATES = ("occurred_on", "found_on", "told_donor_on", "told_authority_on", "told_people_on")


@role_required(PRIVACY_ROLES)
def breaches(request: HttpRequest) -> HttpResponse:
    from liman.core.selectors import offices_for

    offices = [o for o in offices_for(request.user) if has_role(request.user, PRIVACY_ROLES, office=o.pk)]
    errors: list[str] = []
    values = {key: request.POST.get(key, "") for key in ("office", "what_happened", "data_affected",
                                                          "people_affected", *BREACH_DATES)}  # fmt: skip
    if request.method == "POST":
        office = next((o for o in offices if str(o.pk) == values["office"]), None)
        dates = {name: _date(values[name]) for name in BREACH_DATES}
        for name in BREACH_DATES:
            if values[name].strip() and dates[name] is None:
                label = Breach._meta.get_field(name).verbose_name
                errors.append(_("%(field)s: give a date as YYYY-MM-DD.") % {"field": label})
        if office is None:
            errors.append(_("Office: choose one of the offices you administer."))
        if dates["found_on"] is None and not values["found_on"].strip():
            errors.append(_("Found on: say when the breach was found."))
        people = values["people_affected"].strip() or "0"
        if not people.isdigit():
            errors.append(_("People affected: give a whole number."))
        if not errors:
            found_on = dates.pop("found_on")
            try:
                services.breach_record(
                    office=office, by=request.user, found_on=found_on, what_happened=values["what_happened"],
                    data_affected=values["data_affected"], people_affected=int(people), **dates,
                )  # fmt: skip
            except (ValidationError, PermissionDenied) as exc:
                errors += _messages_of(exc)
            else:
                messages.success(request, _("The breach is logged."))
                return redirect("privacy:privacy-breaches")
    context = {"page": paginate(request, selectors.breaches_for(request.user)), "offices": offices,
               "values": values, "errors": errors}  # fmt: skip
    return render(request, "privacy/breaches.html", context)


@role_required(PRIVACY_ROLES)
def reads_xlsx(request: HttpRequest) -> HttpResponse:
    """Who read what, from the audit log, for a period (and a person, by reference): an XLSX, itself audited."""
    from liman.core import audit
    from liman.core.choices import AuditAction
    from liman.core.tabular import xlsx_bytes

    start, end = _date(request.GET.get("start", "")), _date(request.GET.get("end", ""))
    reference = request.GET.get("person", "").strip().upper()
    if start is None or end is None or start > end:
        messages.error(request, _("Give the period as two dates (YYYY-MM-DD), the first not after the second."))
        return redirect("privacy:privacy-breaches")
    events = selectors.reads_of(request.user, start=start, end=end, reference=reference)
    sheet = [[_("Number"), _("At"), _("User"), _("Action"), _("Record type"), _("Record id"), _("Record"),
              _("Records returned"), _("Reason"), _("Address")]]  # fmt: skip
    for event in events:
        returned = (event.changes or {}).get("returned", [])
        sheet.append([event.seq, timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"), event.actor_username,
                      event.get_action_display(), event.object_type, event.object_id, event.object_repr,
                      ", ".join(str(r) for r in returned) if isinstance(returned, list) else str(returned),
                      event.reason, event.ip_address])  # fmt: skip
    audit.record(
        AuditAction.EXPORT, actor=request.user, object_type="core.auditevent",
        object_repr=f"reads {start:%Y-%m-%d}..{end:%Y-%m-%d}",
        changes={"period": [start.isoformat(), end.isoformat()], "person": reference, "events": str(len(events))},
        reason=_("Who read what, for a breach or a person's request"), ip_address=audit.client_address(request),
        sensitivity="protection" if reference else None,
    )  # fmt: skip
    response = HttpResponse(
        xlsx_bytes({_("Reads"): sheet}),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="reads-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"'
    return response


# --- data-sharing agreements --------------------------------------------------------------------------------


@role_required(PRIVACY_ROLES)
def agreements(request: HttpRequest) -> HttpResponse:
    """The register of data-sharing agreements (those ending within 30 days first, flagged), and the form that
    records one."""
    from liman.cases.models import PartnerOrganisation
    from liman.core.selectors import offices_for
    from liman.registry.choices import ConsentPurpose

    from .choices import DataCategory, SharingBasis
    from .sharing import WARN_DAYS, expiry_warning

    offices = [o for o in offices_for(request.user) if has_role(request.user, PRIVACY_ROLES, office=o.pk)]
    every_office = services.may_set_schedules(request.user)
    partners = list(PartnerOrganisation.objects.filter(is_active=True))
    errors: list[str] = []
    keys = ("office", "title", "partner", "authority", "legal_basis", "starts_on", "ends_on", "focal_points")
    values: dict = {key: request.POST.get(key, "") for key in keys}
    values["purposes"] = request.POST.getlist("purposes")
    values["categories"] = request.POST.getlist("categories")
    if request.method == "POST":
        office = next((o for o in offices if str(o.pk) == values["office"]), None)
        if office is None and not (values["office"] == "" and every_office):
            errors.append(_("Office: choose one of the offices you administer."))
        partner = next((p for p in partners if str(p.pk) == values["partner"]), None)
        starts_on, ends_on = _date(values["starts_on"]), _date(values["ends_on"])
        if starts_on is None or ends_on is None:
            errors.append(_("In force from / until: give both dates as YYYY-MM-DD."))
        if not errors:
            try:
                agreement = services.agreement_record(
                    by=request.user, office=office, title=values["title"], partner=partner,
                    authority=values["authority"], purposes=values["purposes"], categories=values["categories"],
                    legal_basis=values["legal_basis"], starts_on=starts_on, ends_on=ends_on,
                    focal_points=values["focal_points"], document=request.FILES.get("document"),
                )  # fmt: skip
            except (ValidationError, PermissionDenied) as exc:
                errors += _messages_of(exc)
            else:
                text = _("Agreement %(reference)s is recorded.") % {"reference": agreement.reference}
                messages.success(request, text)
                return redirect("privacy:privacy-agreements")
    show_all = request.GET.get("all") == "1"
    page = paginate(request, selectors.agreements_for(request.user, current_only=not show_all))
    rows = [(agreement, expiry_warning(agreement) if agreement.days_left() >= 0 else "") for agreement in page]
    context = {
        "page": page, "rows": rows, "offices": offices, "every_office": every_office, "partners": partners,
        "values": values, "errors": errors, "show_all": show_all, "warn_days": WARN_DAYS,
        "purposes": ConsentPurpose.choices, "categories": DataCategory.choices, "bases": SharingBasis.choices,
    }  # fmt: skip
    return render(request, "privacy/agreements.html", context)


@role_required(PRIVACY_ROLES)
def agreement_document(request: HttpRequest, pk: int):
    """The signed document: to the administrators who see the agreement, each download audited."""
    from django.http import FileResponse

    from liman.core import audit
    from liman.core.choices import AuditAction

    from .models import SharingAgreement

    agreement = get_visible_or_404(SharingAgreement, request.user, pk=pk)
    if not agreement.document:
        raise Http404
    try:
        handle = agreement.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from storage.")) from exc
    audit.record(
        AuditAction.VIEW, actor=request.user, obj=agreement, reason=_("Signed agreement downloaded"),
        ip_address=audit.client_address(request),
    )  # fmt: skip
    return FileResponse(
        handle, as_attachment=True, filename=agreement.document_name or f"{agreement.reference}.pdf",
        content_type="application/pdf",
    )  # fmt: skip


@require_POST
@role_required(PRIVACY_ROLES)
def agreement_end(request: HttpRequest, pk: int) -> HttpResponse:
    from .models import SharingAgreement

    agreement = get_visible_or_404(SharingAgreement, request.user, pk=pk)
    ends_on = _date(request.POST.get("ends_on", ""))
    if ends_on is None:
        messages.error(request, _("Ends on: give a date as YYYY-MM-DD."))
        return redirect("privacy:privacy-agreements")
    try:
        services.agreement_end(agreement=agreement, ends_on=ends_on, by=request.user,
                               reason=request.POST.get("reason", ""))  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
    else:
        messages.success(request, _("Agreement %(reference)s now ends on %(date)s.")
                         % {"reference": agreement.reference, "date": ends_on.isoformat()})  # fmt: skip
    return redirect("privacy:privacy-agreements")


# --- requests from the people themselves --------------------------------------------------------------------

#: What a correction request may change on the person's record (the rest changes through its own pages).
CORRECTABLE = ("first_name", "father_name", "family_name", "original_name", "phone", "birth_date")


def _subject_request(request: HttpRequest, reference: str):
    from .models import SubjectRequest

    rows = SubjectRequest.objects.select_related("person", "office", "handled_by")
    return get_visible_or_404(rows, request.user, reference=reference.strip().upper())


@role_required(REQUEST_LIST_ROLES)
def subject_requests(request: HttpRequest) -> HttpResponse:
    """Requests from people about their data: open ones by deadline (`?overdue=1`: past it), and the form that logs
    one against a person (by reference). A data protection focal point sees the register of their offices'
    requests (`selectors.subject_requests_listed`)."""
    from liman.registry.models import Person

    from .choices import RequestKind

    errors: list[str] = []
    values = {key: request.POST.get(key, "") for key in ("person", "kind", "received_on", "details")}
    answers = has_role(request.user, SUBJECT_REQUEST_ROLES)
    if request.method == "POST" and answers:
        person = Person.objects.visible_to(request.user).filter(reference=values["person"].strip().upper()).first()
        received_on = _date(values["received_on"]) if values["received_on"].strip() else timezone.localdate()
        if person is None:
            errors.append(_("Person: no person you see has this reference."))
        if received_on is None:
            errors.append(_("Received on: give a date as YYYY-MM-DD."))
        if not errors:
            try:
                logged = services.subject_request_log(person=person, kind=values["kind"], by=request.user,
                                                      details=values["details"], received_on=received_on)  # fmt: skip
            except (ValidationError, PermissionDenied) as exc:
                errors += _messages_of(exc)
            else:
                messages.success(request, _("%(reference)s logged, due by %(date)s.")
                                 % {"reference": logged.reference, "date": logged.due_on.isoformat()})  # fmt: skip
                return redirect("privacy:privacy-request", reference=logged.reference)
    overdue = request.GET.get("overdue") == "1"
    rows = selectors.subject_requests_listed(
        request.user, overdue=overdue, include_closed=request.GET.get("all") == "1"
    )
    page = paginate(request, rows)
    context = {"page": page, "values": values, "errors": errors, "overdue": overdue, "kinds": RequestKind.choices,
               "answers": answers, "opened": selectors.subject_requests_opened_by(request.user, page)}  # fmt: skip
    return render(request, "privacy/requests.html", context)


@role_required(SUBJECT_REQUEST_ROLES)
def subject_request(request: HttpRequest, reference: str) -> HttpResponse:
    from liman.core.workflows import history

    found = _subject_request(request, reference)
    context = {
        "req": found,
        "steps": found.workflow.next_steps(found, user=request.user),
        "history": history(found),
        "refusal": services.deletion_refusal(found.person) if found.kind == "deletion" else "",
        "correctable": [(name, found.person._meta.get_field(name).verbose_name) for name in CORRECTABLE],
    }
    return render(request, "privacy/request_detail.html", context)


@require_POST
@role_required(SUBJECT_REQUEST_ROLES)
def subject_request_act(request: HttpRequest, reference: str) -> HttpResponse:
    """One action on a request: a step of its workflow, the correction, or the deletion."""
    from liman.core.workflows import TransitionRefused

    found = _subject_request(request, reference)
    act = request.POST.get("act", "")
    try:
        if act == "step":
            services.subject_request_step(request=found, to_state=request.POST.get("to_state", ""), by=request.user,
                                          answer=request.POST.get("answer", ""),
                                          reason=request.POST.get("reason", ""))  # fmt: skip
        elif act == "correct":
            name = request.POST.get("field", "")
            if name not in CORRECTABLE:
                raise ValidationError(_("Field: choose one of the list."))
            value = request.POST.get("value", "").strip()
            if name == "birth_date":
                value = _date(value)
                if value is None:
                    raise ValidationError(_("Date of birth: give a date as YYYY-MM-DD."))
            services.subject_request_correct(request=found, changes={name: value}, by=request.user)
        elif act == "delete":
            services.subject_request_delete(request=found, by=request.user)
        else:
            raise Http404
    except (ValidationError, PermissionDenied, TransitionRefused) as exc:
        for text in _messages_of(exc):
            messages.error(request, text)
    else:
        messages.success(request, _("%(reference)s saved.") % {"reference": found.reference})
    return redirect("privacy:privacy-request", reference=found.reference)


def _zip_response(content: bytes, reference: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{reference}.zip"'
    return response


@role_required(SUBJECT_REQUEST_ROLES)
def subject_request_export(request: HttpRequest, reference: str) -> HttpResponse:
    from liman.core import audit

    found = _subject_request(request, reference)
    try:
        content, _digest = services.subject_request_export(request=found, by=request.user,
                                                           ip_address=audit.client_address(request))  # fmt: skip
    except PermissionDenied as exc:
        raise Http404 from exc
    return _zip_response(content, found.person.reference)


@role_required(EXPORT_ROLES)
def person_export(request: HttpRequest, reference: str) -> HttpResponse:
    """The same export from the person page (no request logged): to who answers requests in the person's office, and
    to its data protection focal point (at normal tier, `person_export.export_reading`)."""
    from liman.core import audit

    from .person_export import export_zip, person_for_export

    person = person_for_export(request.user, reference)
    if person is None:
        raise Http404
    content, _digest = export_zip(request.user, person, ip_address=audit.client_address(request))
    return _zip_response(content, person.reference)
