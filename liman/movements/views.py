"""Resettlement and movement pages: the pipeline board, cases with their checklist, selection missions,
orientation, flights with manifests and the airport checklist, the departures calendar, family reunification.

Views parse, call one service or selector, render. Records are read through the selectors (another office's
record is 404); health appears only as a clearance status.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.access import get_visible_or_404
from liman.core.choices import AuditAction
from liman.core.lists import Listing
from liman.core.views import paginate
from liman.core.workflows import TransitionRefused
from liman.registry.selectors import person_get

from . import lists, manifests, selectors, services
from .choices import RESETTLEMENT_COUNTRIES, CaseState, FlightStatus, HoldReason
from .forms import (
    AssuranceForm,
    AttendanceForm,
    BookingForm,
    CaseOpenForm,
    DecisionForm,
    DepartureForm,
    ExitGrantForm,
    ExitRequestForm,
    FlightForm,
    LegForm,
    MissionForm,
    OutcomeForm,
    PromissoryNoteForm,
    ReunificationOpenForm,
    ReunificationUpdateForm,
    SessionForm,
    SlotForm,
    SplitApprovalForm,
    StepForm,
    StepPartnerForm,
    VisaForm,
)
from .models import CaseMember, ExitPermission, InterviewSlot, OrientationCourse, country_label


def _require_resettlement(request: HttpRequest) -> None:
    """Resettlement pages answer 404 to anyone outside the resettlement programme."""
    if not selectors.works_on_resettlement(request.user):
        raise Http404


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(message) for message in exc.messages]
    return list(getattr(exc, "messages", [str(exc)]))


def _refused(request: HttpRequest, exc: Exception) -> None:
    for message in _messages(exc):
        messages.error(request, message)


def _date_param(request: HttpRequest, name: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


def _board_filters(request: HttpRequest) -> selectors.BoardFilters:
    hold = request.GET.get("hold_reason", "")
    return selectors.BoardFilters(
        office=request.GET.get("office", "").strip()[:8],
        country=request.GET.get("country", "").strip()[:3],
        hold_reason=hold if hold in HoldReason.values else "",
        referred_from=_date_param(request, "from"),
        referred_until=_date_param(request, "until"),
        include_ended=request.GET.get("ended") == "1",
        medical_hold=request.GET.get("medical_hold") == "1",
    )


# --- the board and the case list ------------------------------------------------------------------------------------


def board(request: HttpRequest) -> HttpResponse:
    _require_resettlement(request)
    filters = _board_filters(request)
    context = {
        "board": selectors.pipeline_board(request.user, filters),
        "filters": filters,
        "offices": request.user.offices,
        "countries": [(code, country_label(code)) for code in RESETTLEMENT_COUNTRIES],
        "hold_reasons": HoldReason.choices,
        "query": request.GET.urlencode(),
    }
    return render(request, "movements/board.html", context)


def case_list(request: HttpRequest) -> HttpResponse:
    _require_resettlement(request)
    listing = Listing.read(request, lists.RESETTLEMENT_CASES)
    filters = _board_filters(request)
    state = listing.values["state"]
    cases = selectors.case_list(request.user, filters=filters, state=state, query=listing.values["q"])
    context = {
        "page": paginate(request, listing.ordered(cases)),
        "listing": listing,
        "state_label": CaseState(state).label if state else "",
        "filters": filters,
    }
    return render(request, "movements/case_list.html", context)


def case_open(request: HttpRequest) -> HttpResponse:
    """Open a case for a registered person (search the registry first, then come here from the person page)."""
    _require_resettlement(request)
    reference = request.GET.get("person") or request.POST.get("person") or ""
    if not reference:
        messages.info(request, _("Find the principal applicant in the registry first, then open the case there."))
        return redirect("registry:person-search")
    person = person_get(request.user, reference=reference)
    offices = [office for office in selectors.offices_for_work(request.user) if office.pk == person.office_id]
    if not offices:
        raise Http404
    form = CaseOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.resettlement_case_open(
                office=offices[0],
                principal=person,
                country=data["country"],
                members=None if data["with_household"] else [],
                unhcr_reference=data["unhcr_reference"],
                country_case_id=data["country_case_id"],
                referred_on=data["referred_on"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Case %(reference)s is opened.") % {"reference": case.reference})
            return redirect("movements:resettlement-case-detail", reference=case.reference)
    return render(request, "movements/case_open.html", {"form": form, "person": person})


def _case_forms(request: HttpRequest, case, record, bound: dict | None = None) -> dict:
    people = [traveller.person for traveller in record.travellers]
    permissions = ExitPermission.objects.filter(case=case, granted_on__isnull=True).select_related("person")
    flights = selectors.flights_for_case(request.user, case)
    forms = {
        "decision": DecisionForm(),
        "visa": VisaForm(travellers=people),
        "exit_request": ExitRequestForm(travellers=people),
        "exit_grant": ExitGrantForm(permissions=permissions),
        "note": PromissoryNoteForm(travellers=[p for p in people if (p.age or 0) >= 18]),
        "assurance": AssuranceForm(),
        "partner": StepPartnerForm(),
        "booking": BookingForm(
            flights=flights,
            travellers=[t.person for t in record.travellers if t.member.is_travelling],
            needs={t.person.pk: t.travel_needs for t in record.travellers},
        ),
        "split": SplitApprovalForm(flights=flights),
    }
    forms.update(bound or {})
    return forms


def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_page(request, selectors.case_get(request.user, reference=reference))


def _case_page(request: HttpRequest, case, *, bound: dict | None = None, status: int = 200) -> HttpResponse:
    record = selectors.case_record(request.user, case)
    context = {
        "case": case,
        "record": record,
        "forms": _case_forms(request, case, record, bound),
        "editable": selectors.can_change_case(request.user, case),
        "hold_reasons": HoldReason.choices,
        "is_us": case.country == "USA",
        "bookable": case.state in services.BOOKABLE_STATES,
    }
    return render(request, "movements/case_detail.html", context, status=status)


def _case_to_change(request: HttpRequest, reference: str):
    case = selectors.case_get(request.user, reference=reference)
    if not selectors.can_change_case(request.user, case):
        raise Http404
    return case


def _back(case, anchor: str = "") -> HttpResponse:
    url = reverse("movements:resettlement-case-detail", args=[case.reference])
    return redirect(f"{url}#{anchor}" if anchor else url)


@require_POST
def case_step(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_to_change(request, reference)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a step."))
        return _back(case)
    try:
        case = services.case_transition(
            case=case,
            to_state=form.cleaned_data["to_state"],
            by=request.user,
            reason=form.cleaned_data["reason"],
            hold_reason=form.cleaned_data["hold_reason"],
        )
    except (TransitionRefused, ValidationError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The case is now “%(state)s”.") % {"state": case.get_state_display()})
    return _back(case, "checklist")


@require_POST
def case_decision(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_to_change(request, reference)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.case_decide(case=case, by=request.user, **form.cleaned_data)
        except (TransitionRefused, ValidationError) as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("The decision is recorded."))
            return _back(case, "checklist")
    return _case_page(request, case, bound={"decision": form}, status=400)


@require_POST
def case_document(request: HttpRequest, reference: str) -> HttpResponse:
    """Visas, exit permissions, promissory notes, assurances and step partners, one form each."""
    case = _case_to_change(request, reference)
    record = selectors.case_record(request.user, case)
    people = {traveller.person.pk: traveller.person for traveller in record.travellers}
    kind = request.POST.get("kind", "")
    builders = {
        "visa": lambda: VisaForm(request.POST, travellers=people.values()),
        "exit_request": lambda: ExitRequestForm(request.POST, travellers=people.values()),
        "exit_grant": lambda: ExitGrantForm(
            request.POST,
            permissions=ExitPermission.objects.filter(case=case, granted_on__isnull=True).select_related("person"),
        ),
        "note": lambda: PromissoryNoteForm(request.POST, travellers=people.values()),
        "assurance": lambda: AssuranceForm(request.POST),
        "partner": lambda: StepPartnerForm(request.POST),
    }
    if kind not in builders:
        raise Http404
    form = builders[kind]()
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if kind == "visa":
                services.visa_record(case=case, person=people[data.pop("person")], by=request.user, **data)
            elif kind == "exit_request":
                services.exit_permission_request(case=case, person=people[data.pop("person")], by=request.user, **data)
            elif kind == "exit_grant":
                permission = ExitPermission.objects.get(case=case, pk=data.pop("permission"))
                services.exit_permission_grant(permission=permission, by=request.user, **data)
            elif kind == "note":
                services.promissory_note_record(case=case, person=people[data.pop("person")], by=request.user, **data)
            elif kind == "assurance":
                services.sponsorship_assurance_record(case=case, by=request.user, **data)
            else:
                services.case_step_partner_set(case=case, by=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return _back(case, "documents")
    return _case_page(request, case, bound={kind: form}, status=400)


@require_POST
def case_book(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_to_change(request, reference)
    travelling = [m.person for m in CaseMember.objects.filter(case=case, is_travelling=True).select_related("person")]
    flights = selectors.flights_for_case(request.user, case)
    form = BookingForm(request.POST, flights=flights, travellers=travelling)
    if form.is_valid():
        flight = next(f for f in flights if f.reference == form.cleaned_data["flight"])
        try:
            services.case_book(case=case, flight=flight, travellers=form.traveller_bookings(), by=request.user)
        except (services.BookingRefused, PermissionDenied) as exc:
            for message in _messages(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Booked on %(flight)s.") % {"flight": flight.reference})
            return _back(case, "travel")
    return _case_page(request, case, bound={"booking": form}, status=400)


@require_POST
def case_split_approve(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_to_change(request, reference)
    flights = selectors.flights_for_case(request.user, case)
    form = SplitApprovalForm(request.POST, flights=flights)
    if form.is_valid():
        flight = next(f for f in flights if f.reference == form.cleaned_data["flight"])
        try:
            services.family_split_approve(case=case, flight=flight, by=request.user, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _messages(exc)[0])
        else:
            messages.success(
                request, _("Splitting the family on %(flight)s is approved.") % {"flight": flight.reference}
            )
            return _back(case, "travel")
    return _case_page(request, case, bound={"split": form}, status=400)


# --- selection missions ---------------------------------------------------------------------------------------------


def mission_list(request: HttpRequest) -> HttpResponse:
    _require_resettlement(request)
    offices = selectors.offices_for_work(request.user)
    form = MissionForm(request.POST or None, offices=offices)
    if request.method == "POST":
        if not offices:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                mission = services.selection_mission_create(
                    office=data["office"],
                    country=data["country"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    place=data["place"],
                    interviewers=form.names("interviewers"),
                    interpreters=form.names("interpreters"),
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("movements:resettlement-mission-detail", reference=mission.reference)
    listing = Listing.read(request, lists.MISSIONS)
    page = paginate(request, listing.ordered(selectors.missions_for(request.user)))
    context = {"page": page, "listing": listing, "form": form if offices else None}
    return render(request, "movements/mission_list.html", context)


def mission_detail(request: HttpRequest, reference: str) -> HttpResponse:
    mission = selectors.mission_get(request.user, reference=reference)
    slot_form = SlotForm(request.POST if request.POST.get("kind") == "slot" else None)
    if request.method == "POST":
        if request.POST.get("kind") == "outcome":
            outcome = OutcomeForm(request.POST)
            if outcome.is_valid():
                slot = get_visible_or_404(InterviewSlot, request.user, pk=outcome.cleaned_data["slot"], mission=mission)
                if not selectors.can_change_case(request.user, slot.case):
                    raise Http404
                services.interview_record_outcome(slot=slot, outcome=outcome.cleaned_data["outcome"], by=request.user)
                messages.success(request, _("The outcome is recorded."))
            return redirect("movements:resettlement-mission-detail", reference=mission.reference)
        if slot_form.is_valid():
            data = dict(slot_form.cleaned_data)
            case = selectors.case_get(request.user, reference=data.pop("case"))
            if not selectors.can_change_case(request.user, case):
                raise Http404
            try:
                services.interview_schedule(mission=mission, case=case, by=request.user, **data)
            except ValidationError as exc:
                slot_form.add_error(None, exc)
            else:
                messages.success(request, _("Interview booked for %(case)s.") % {"case": case.reference})
                return redirect("movements:resettlement-mission-detail", reference=mission.reference)
    context = {
        "mission": mission,
        "slots": selectors.mission_slots(request.user, mission),
        "slot_form": slot_form,
        "outcome_form": OutcomeForm(),
    }
    return render(request, "movements/mission_detail.html", context)


# --- cultural orientation -------------------------------------------------------------------------------------------


def session_list(request: HttpRequest) -> HttpResponse:
    _require_resettlement(request)
    offices = selectors.offices_for_work(request.user)
    form = SessionForm(request.POST or None, offices=offices, courses=OrientationCourse.objects.all())
    if request.method == "POST":
        if not offices:
            raise Http404
        if form.is_valid():
            try:
                session = services.orientation_session_create(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("movements:resettlement-session-detail", reference=session.reference)
    listing = Listing.read(request, lists.SESSIONS)
    context = {
        "listing": listing,
        "page": paginate(request, listing.ordered(selectors.sessions_for(request.user))),
        "form": form if offices else None,
        "courses": OrientationCourse.objects.all(),
    }
    return render(request, "movements/session_list.html", context)


def session_detail(request: HttpRequest, reference: str) -> HttpResponse:
    session = selectors.session_get(request.user, reference=reference)
    form = AttendanceForm(request.POST or None)
    if request.method == "POST":
        if not selectors.offices_for_work(request.user):
            raise Http404
        if form.is_valid():
            person = person_get(request.user, reference=form.cleaned_data["person"])
            try:
                services.orientation_attendance_record(
                    session=session, person=person, hours_attended=form.cleaned_data["hours_attended"], by=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Attendance recorded for %(name)s.") % {"name": person.full_name})
                return redirect("movements:resettlement-session-detail", reference=session.reference)
    context = {"session": session, "attendance": selectors.session_attendance(request.user, session), "form": form}
    return render(request, "movements/session_detail.html", context)


# --- flights --------------------------------------------------------------------------------------------------------


def flight_list(request: HttpRequest) -> HttpResponse:
    _require_resettlement(request)
    offices = selectors.offices_for_work(request.user)
    form = FlightForm(request.POST or None, offices=offices)
    if request.method == "POST":
        if not offices:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            leg = services.LegInput(**{name: data[name] for name in LegForm.base_fields})
            try:
                flight = services.flight_create(
                    office=data["office"],
                    destination_country=data["destination_country"],
                    legs=[leg],
                    note=data["note"],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("movements:movements-flight-detail", reference=flight.reference)
    listing = Listing.read(request, lists.FLIGHTS)
    upcoming = not listing.values["all"]
    flights = selectors.flights_for(
        request.user, upcoming=upcoming, status=listing.values["status"], destination=listing.values["destination"]
    )
    context = {
        "page": paginate(request, listing.ordered(flights)),
        "listing": listing,
        "form": form if offices else None,
        "upcoming": upcoming,
    }
    return render(request, "movements/flight_list.html", context)


def flight_detail(request: HttpRequest, reference: str) -> HttpResponse:
    flight = selectors.flight_get(request.user, reference=reference)
    rows = selectors.manifest_rows(request.user, flight)
    can_manage = bool(selectors.offices_for_work(request.user)) and any(
        office.pk == flight.office_id for office in selectors.offices_for_work(request.user)
    )
    leg_form = LegForm(request.POST if request.POST.get("kind") == "leg" else None)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        kind = request.POST.get("kind", "")
        try:
            if kind == "leg" and leg_form.is_valid():
                services.flight_leg_add(flight=flight, leg=services.LegInput(**leg_form.cleaned_data), by=request.user)
                return redirect("movements:movements-flight-detail", reference=flight.reference)
            if kind == "checklist":
                key = request.POST.get("key", "")
                if key in {item.key for item in selectors.airport_checklist(request.user, flight, rows)}:
                    services.flight_checklist_mark(
                        flight=flight, key=key, done=request.POST.get("done") == "1", by=request.user
                    )
                return redirect(f"{reverse('movements:movements-flight-detail', args=[flight.reference])}#checklist")
            if kind == "departure":
                form = DepartureForm(request.POST, bookings=[row.booking for row in rows])
                if form.is_valid():
                    services.flight_confirm_departure(
                        flight=flight, by=request.user, no_shows=form.cleaned_data["no_shows"]
                    )
                    messages.success(request, _("The departure is confirmed."))
                return redirect("movements:movements-flight-detail", reference=flight.reference)
            if kind == "arrival":
                services.flight_confirm_arrival(flight=flight, by=request.user)
                messages.success(request, _("The arrival is confirmed."))
                return redirect("movements:movements-flight-detail", reference=flight.reference)
        except ValidationError as exc:
            if kind == "leg":
                leg_form.add_error(None, exc)
            else:
                _refused(request, exc)
                return redirect("movements:movements-flight-detail", reference=flight.reference)
    context = {
        "flight": flight,
        "legs": selectors.flight_legs(request.user, flight),
        "rows": rows,
        "checklist": selectors.airport_checklist(request.user, flight, rows),
        "can_manage": can_manage,
        "leg_form": leg_form,
        "departure_form": DepartureForm(bookings=[row.booking for row in rows if row.booking.status == "booked"]),
        "is_planned": flight.status == FlightStatus.PLANNED,
        "is_departed": flight.status == FlightStatus.DEPARTED,
    }
    return render(request, "movements/flight_detail.html", context)


def _manifest_export(request: HttpRequest, reference: str, kind: str) -> HttpResponse:
    flight = selectors.flight_get(request.user, reference=reference)
    rows = selectors.manifest_rows(request.user, flight)
    legs = list(selectors.flight_legs(request.user, flight))
    audit.record(
        AuditAction.EXPORT, actor=request.user, obj=flight, reason=f"manifest {kind}", changes={"travellers": len(rows)}
    )
    if kind == "pdf":
        body, content_type = manifests.manifest_pdf(flight, legs, rows), "application/pdf"
    else:
        body = manifests.manifest_xlsx(flight, legs, rows)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{manifests.safe_filename(flight, kind)}"'
    return response


def manifest_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    return _manifest_export(request, reference, "pdf")


def manifest_xlsx(request: HttpRequest, reference: str) -> HttpResponse:
    return _manifest_export(request, reference, "xlsx")


def _bookings(request: HttpRequest):
    _require_resettlement(request)
    listing = Listing.read(request, lists.BOOKINGS)
    values = listing.values
    rows = selectors.bookings_for(
        request.user,
        status=values["status"],
        destination=values["destination"],
        upcoming=values["upcoming"],
        query=values["q"],
    )
    return listing, listing.ordered(rows)


def booking_list(request: HttpRequest) -> HttpResponse:
    listing, rows = _bookings(request)
    return render(request, "movements/booking_list.html", {"page": paginate(request, rows), "listing": listing})


def booking_export(request: HttpRequest, fmt: str) -> HttpResponse:
    listing, rows = _bookings(request)
    return listing.export_response(rows, fmt)


def departures_calendar(request: HttpRequest) -> HttpResponse:
    _require_resettlement(request)
    today = timezone.localdate()
    try:
        year, month = int(request.GET.get("year", today.year)), int(request.GET.get("month", today.month))
        first = datetime.date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    context = {
        "weeks": selectors.departures_calendar(request.user, year=first.year, month=first.month),
        "month": first,
        "previous": previous,
        "following": following,
        "today": today,
    }
    return render(request, "movements/calendar.html", context)


# --- family reunification -------------------------------------------------------------------------------------------


def reunification_list(request: HttpRequest) -> HttpResponse:
    _require_resettlement(request)
    listing = Listing.read(request, lists.REUNIFICATION_CASES)
    cases = selectors.reunification_cases_for(request.user, state=listing.values["state"])
    page = paginate(request, listing.ordered(cases))
    return render(request, "movements/reunification_list.html", {"page": page, "listing": listing})


def reunification_open(request: HttpRequest) -> HttpResponse:
    _require_resettlement(request)
    reference = request.GET.get("person") or request.POST.get("person") or ""
    if not reference:
        return redirect("registry:person-search")
    person = person_get(request.user, reference=reference)
    if not any(office.pk == person.office_id for office in selectors.offices_for_work(request.user)):
        raise Http404
    form = ReunificationOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.reunification_case_open(
                office=person.office, person=person, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("movements:reunification-case-detail", reference=case.reference)
    return render(request, "movements/reunification_open.html", {"form": form, "person": person})


def reunification_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.reunification_case_get(request.user, reference=reference)
    editable = any(office.pk == case.office_id for office in selectors.offices_for_work(request.user))
    initial = {name: getattr(case, name) for name in services.REUNIFICATION_FIELDS}
    form = ReunificationUpdateForm(request.POST if request.POST.get("kind") == "update" else None, initial=initial)
    if request.method == "POST":
        if not editable:
            raise Http404
        try:
            if request.POST.get("kind") == "step":
                services.reunification_transition(
                    case=case,
                    to_state=request.POST.get("to_state", ""),
                    by=request.user,
                    reason=request.POST.get("reason", ""),
                )
                return redirect("movements:reunification-case-detail", reference=case.reference)
            if form.is_valid():
                changes = {name: form.cleaned_data[name] for name in form.changed_data}
                services.reunification_case_update(case=case, changes=changes, by=request.user)
                messages.success(request, _("Saved."))
                return redirect("movements:reunification-case-detail", reference=case.reference)
        except (TransitionRefused, ValidationError) as exc:
            _refused(request, exc)
    from liman.core.workflows import history

    context = {
        "case": case,
        "form": form,
        "editable": editable,
        "steps": case.workflow.next_steps(case, user=request.user),
        "history": history(case),
    }
    return render(request, "movements/reunification_detail.html", context)
