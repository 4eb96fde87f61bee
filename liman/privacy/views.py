"""Data protection pages: retention schedules, legal holds, the data map. Thin: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import retention
from liman.core.access import get_visible_or_404, has_role
from liman.core.views import paginate, role_required
from liman.core.views import refusal_messages as _messages_of

from . import selectors, services
from .models import Action, Breach, LegalHold
from .permissions import PRIVACY_ROLES


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
                return redirect("privacy-schedules")
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
            return redirect("privacy-holds")
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
    return redirect("privacy-holds")


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
                return redirect("privacy-breaches")
    context = {"page": paginate(request, selectors.breaches_for(request.user)), "offices": offices,
               "values": values, "errors": errors}  # fmt: skip
    return render(request, "privacy/breaches.html", context)


@role_required(PRIVACY_ROLES)
def reads_xlsx(request: HttpRequest) -> HttpResponse:
    """Who read what, from the audit log, for a period (and a person, by reference): an XLSX, itself audited."""
    from django.utils import timezone

    from liman.core import audit
    from liman.core.choices import AuditAction
    from liman.core.tabular import xlsx_bytes

    start, end = _date(request.GET.get("start", "")), _date(request.GET.get("end", ""))
    reference = request.GET.get("person", "").strip().upper()
    if start is None or end is None or start > end:
        messages.error(request, _("Give the period as two dates (YYYY-MM-DD), the first not after the second."))
        return redirect("privacy-breaches")
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
