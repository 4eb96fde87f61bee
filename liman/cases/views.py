"""Case pages: list, open, the case page with its actions, follow-ups, referral inbox. Thin: parse, call, render."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.access import active_grants, get_visible_or_404, has_role
from liman.core.choices import AuditAction, ProgrammeArea, Role, Sensitivity
from liman.core.lists import Listing
from liman.core.models import Programme
from liman.core.roles import AUDIT_ROLES
from liman.core.services import user_may_administer
from liman.core.views import paginate, role_required
from liman.core.workflows import TransitionRefused
from liman.movements import selectors as movements_selectors
from liman.movements.choices import ACTIVE_BOOKINGS
from liman.movements.forms import BookingForm
from liman.movements.models import country_label
from liman.movements.services import BookingRefused
from liman.registry.choices import ConsentPurpose
from liman.registry.consent import withdrawn
from liman.registry.models import Person
from liman.registry.permits import victim_permit_standing

from . import ctdc, forms, lists, selectors, services
from .choices import CaseType
from .models import CASE_ROLES, FollowUp, PlannedService

#: The consents a referral relies on: to be referred within the mission, or to be shared with a partner.
REFERRAL_PURPOSES = (ConsentPurpose.REFERRAL, ConsentPurpose.SHARING_PARTNER)


def referral_purpose(referral) -> str:
    """The consent one referral relies on (as `services.referral_send` checks it)."""
    return ConsentPurpose.SHARING_PARTNER if referral.to_partner_id else ConsentPurpose.REFERRAL


def _error_messages(exc: Exception) -> list[str]:
    if isinstance(exc, TransitionRefused):
        return exc.messages
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [message for messages_ in exc.message_dict.values() for message in messages_]
        return list(exc.messages)
    return [str(exc) or _("You cannot do this.")]


def _form_messages(form) -> list[str]:
    found = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            found.append(f"{label}: {error}" if label else str(error))
    return found


def case_action(section: str):
    """A POST on a case: find it (404 outside scope), run the action, show what happened, back to the case."""

    def decorate(action):
        @require_POST
        @functools.wraps(action)
        def view(request: HttpRequest, reference: str, **kwargs) -> HttpResponse:
            case = selectors.case_for(request.user, reference)
            try:
                done = action(request, case, **kwargs)
            except (TransitionRefused, ValidationError, PermissionDenied) as exc:
                for message in _error_messages(exc):
                    messages.error(request, message)
            else:
                if isinstance(done, HttpResponse):
                    return done
                if done:
                    messages.success(request, done)
            return redirect(f"{reverse('cases:case-detail', args=[case.reference])}#{section}")

        return view

    return decorate


def _valid(form) -> dict:
    if not form.is_valid():
        raise ValidationError(_form_messages(form))
    return form.cleaned_data


# --- pages --------------------------------------------------------------------------------------------------


def _cases(request: HttpRequest) -> tuple[Listing, object]:
    """The case list as the request asks for it: the page and its exports read the same rows."""
    listing = Listing.read(request, lists.CASES)
    values = listing.values
    filters = {
        "type": values["type"],
        "state": values["state"],
        "owner": values["owner"],
        "query": values["q"],
        "open_only": values["open"],
    }
    # Neither the rows nor the exports show what happened nor the person's phone: not decrypted for each row.
    cases = selectors.cases_for(request.user, **filters).defer("trafficking_details", "person__phone")
    return listing, listing.ordered(cases)


def case_list(request: HttpRequest) -> HttpResponse:
    listing, cases = _cases(request)
    context = {"page": paginate(request, cases), "listing": listing}
    return render(request, "cases/case_list.html", context)


def case_export(request: HttpRequest, fmt: str) -> HttpResponse:
    listing, cases = _cases(request)
    return listing.export_response(cases, fmt)


def case_open(request: HttpRequest) -> HttpResponse:
    reference = (request.POST.get("person") or request.GET.get("person") or "").strip()
    person = None
    if reference:
        person = get_visible_or_404(Person.objects.select_related("office"), request.user, reference=reference)
    form = forms.CaseOpenForm(request.POST or None)
    if request.method == "POST" and person is not None and form.is_valid():
        try:
            case = services.case_open(
                person=person,
                type=form.cleaned_data["type"],
                sensitivity=form.cleaned_data["sensitivity"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as exc:
            for message in _error_messages(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Case %(reference)s is open.") % {"reference": case.reference})
            return redirect("cases:case-detail", reference=case.reference)
    context = {
        "person": person,
        "form": form,
        "may_open": person is not None and selectors.may_open_case(request.user, person),
    }
    return render(request, "cases/case_open.html", context)


def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_for(request.user, reference)
    if case.sensitivity != Sensitivity.NORMAL:
        audit.record(AuditAction.VIEW, actor=request.user, obj=case)
    context = selectors.case_page(request.user, case)
    plan = context["plan"]
    context.update(
        {
            "plan_form": forms.PlanForm(initial={"goals": plan.goals if plan else ""}),
            "follow_up_form": forms.FollowUpForm(),
            "closure_form": forms.TransitionForm(),
            "case_forms": CASE_FORMS,
            "planned": list(plan.services.all()) if plan else [],
            # The referral form relies on consent to be referred, within the mission or to a partner.
            "withdrawn": withdrawn(case.person, purposes=REFERRAL_PURPOSES),
        }
    )
    if case.type == CaseType.AVRR:
        context.update(_return_travel_context(request.user, case))
    if case.type == CaseType.COUNTER_TRAFFICKING:
        context["victim_permit"] = victim_permit_standing(request.user, case.person)
    return render(request, "cases/case_detail.html", context)


@dataclass(frozen=True)
class CaseForm:
    """A form of the case page behind a closed <details>: what it is called, where it posts, how it is built."""

    summary: str
    action: str
    button: str
    #: The empty form for (user, case), or None where the case has no such form.
    build: Callable
    primary: bool = True


def _delivery_form(user, case):
    planned = PlannedService.objects.filter(plan__case=case).select_related("plan__case").order_by("target_on", "id")
    return forms.DeliveryForm(planned_services=planned)


def _referral_form(user, case):
    partners, offices = selectors.referral_destinations()
    return forms.ReferralForm(partners=partners, offices=offices)


#: The case page's forms behind a closed <details>, by kind: each is written into the page only when it is opened
#: (`case_form`, fetched when its <details> opens; a page of its own without JavaScript). Building and rendering
#: them with every case page cost its server time on every view (the referral form reads the partners and offices,
#: the delivery form the planned services, the trafficking facts form its choices). The goals, the follow-up, the
#: steps' closure reasons and the AVRR health request are a field or two (a fraction of a millisecond) and stay in
#: the page; the travel booking form is open on load.
CASE_FORMS = {
    "note": CaseForm(
        gettext_lazy("Add a note"), "cases:case-note-add", gettext_lazy("Add"), lambda user, case: forms.NoteForm()
    ),
    "assessment": CaseForm(
        gettext_lazy("Record an assessment"),
        "cases:case-assessment-add",
        gettext_lazy("Record"),
        lambda user, case: forms.AssessmentForm(),
    ),
    "planned_service": CaseForm(
        gettext_lazy("Add a service to the plan"),
        "cases:case-planned-service-add",
        gettext_lazy("Add"),
        lambda user, case: forms.PlannedServiceForm(),
    ),
    "delivery": CaseForm(
        gettext_lazy("Record a service delivered"), "cases:case-service-deliver", gettext_lazy("Record"), _delivery_form
    ),
    "referral": CaseForm(
        gettext_lazy("Refer or transfer"), "cases:case-referral-send", gettext_lazy("Send"), _referral_form
    ),
    "facts": CaseForm(
        gettext_lazy("Record the details"),
        "cases:case-facts",
        gettext_lazy("Save"),
        lambda user, case: _facts_form(case),
    ),
}


def case_form(request: HttpRequest, reference: str, kind: str) -> HttpResponse:
    """One of the case page's forms, empty: the fragment its <details> fetches when opened (htmx), or a page of its
    own (without JavaScript). Only those who may work on the case get one; elsewhere, and for a form the case does
    not have, 404."""
    case = selectors.case_for(request.user, reference)
    spec = CASE_FORMS.get(kind)
    if spec is None or not selectors.may_work_on(request.user, case):
        raise Http404
    form = spec.build(request.user, case)
    if form is None:
        raise Http404
    if case.sensitivity != Sensitivity.NORMAL:
        audit.record(AuditAction.VIEW, actor=request.user, obj=case, reason="case form")
    context = {"case": case, "kind": kind, "spec": spec, "form": form}
    if request.headers.get("HX-Request"):
        return render(request, "cases/_case_form.html", context)
    return render(request, "cases/case_form.html", context)


def _return_travel(user, case, data=None):
    """The AVRR case's travel (seats, open flights, household) and the "Book travel" form over it."""
    travel = movements_selectors.return_travel(
        user, reference=case.reference, returnee=case.person, country=case.destination_country
    )
    seated = {booking.person_id for booking in travel.bookings if booking.status in ACTIVE_BOOKINGS}
    form = BookingForm(
        data,
        flights=travel.flights,
        travellers=travel.travellers,
        needs=travel.travel_needs,
        # The returnee is ticked until they hold a seat; family members are ticked by the caseworker.
        initial_travellers=[] if case.person_id in seated else [case.person_id],
    )
    return travel, form


def _return_travel_context(user, case) -> dict:
    travel, form = _return_travel(user, case)
    unassessed = [row["person"] for row in travel.rows if row["clearance"].status is None]
    return {
        "travel": travel,
        "travel_form": form,
        "travel_bookable": case.state in services.RETURN_BOOKING_STATES,
        "return_country": country_label(case.destination_country),
        "health_request_form": forms.ReturnAssessmentForm(people=unassessed) if unassessed else None,
    }


def _facts_form(case, data=None):
    if case.type == CaseType.COUNTER_TRAFFICKING:
        initial = {name: getattr(case, name) for name in services.FACTS[case.type]}
        return forms.TraffickingFactsForm(data, initial=initial)
    if case.type == CaseType.AVRR:
        initial = {name: getattr(case, name) for name in services.FACTS[case.type]}
        return forms.ReturnFactsForm(data, initial=initial)
    return None


# --- actions on a case --------------------------------------------------------------------------------------


@case_action("steps")
def case_transition(request, case):
    data = _valid(forms.TransitionForm(request.POST))
    services.case_transition(
        case=case,
        to_state=data["to_state"],
        by=request.user,
        reason=data["reason"],
        closure_reason=data["closure_reason"],
    )
    return _("The case is now “%(state)s”.") % {"state": case.state_label}


@case_action("owner")
def case_assign(request, case):
    data = _valid(forms.AssignForm(request.POST))
    candidates = {member.username: member for member in selectors.assignable_owners(request.user, case)}
    owner = candidates.get(data["owner"])
    if owner is None:
        raise ValidationError(_("Caseworker: %(name)s cannot be given this case.") % {"name": data["owner"]})
    services.case_assign(case=case, owner=owner, by=request.user, reason=data["reason"])
    return _("Case assigned to %(name)s.") % {"name": owner.display_name}


@case_action("facts")
def case_facts(request, case):
    form = _facts_form(case, request.POST)
    if form is None:
        raise Http404
    services.case_facts_update(case=case, by=request.user, changes=_valid(form))
    return _("Details saved.")


@case_action("notes")
def case_note_add(request, case):
    data = _valid(forms.NoteForm(request.POST))
    services.case_note_add(
        case=case, kind=data["kind"], text=data["text"], occurred_on=data["occurred_on"], by=request.user,
        about_others=data["about_others"],
    )  # fmt: skip
    return _("Note added.")


@case_action("assessments")
def assessment_add(request, case):
    data = _valid(forms.AssessmentForm(request.POST))
    services.assessment_record(
        case=case,
        kind=data["kind"],
        findings=data["findings"],
        risk_level=data["risk_level"],
        assessed_on=data["assessed_on"],
        by=request.user,
    )
    return _("Assessment recorded.")


@case_action("plan")
def plan_write(request, case):
    data = _valid(forms.PlanForm(request.POST))
    services.service_plan_write(case=case, goals=data["goals"], by=request.user)
    return _("Service plan saved.")


@case_action("plan")
def planned_service_add(request, case):
    data = _valid(forms.PlannedServiceForm(request.POST))
    services.planned_service_add(case=case, by=request.user, **data)
    return _("Service added to the plan.")


@case_action("plan")
def plan_approve(request, case):
    services.service_plan_approve(case=case, by=request.user)
    return _("Service plan approved.")


@case_action("services")
def service_deliver(request, case):
    planned = list(PlannedService.objects.filter(plan__case=case))
    data = _valid(forms.DeliveryForm(request.POST, planned_services=planned))
    chosen = next((service for service in planned if service.pk == data["planned"]), None)
    services.service_deliver(
        case=case,
        service_type=data["service_type"],
        delivered_on=data["delivered_on"],
        planned=chosen,
        provider=data["provider"],
        note=data["note"],
        by=request.user,
    )
    return _("Service recorded.")


@case_action("follow-ups")
def follow_up_add(request, case):
    data = _valid(forms.FollowUpForm(request.POST))
    services.follow_up_schedule(case=case, due_on=data["due_on"], purpose=data["purpose"], by=request.user)
    return _("Follow-up scheduled.")


def _follow_up_of(case, pk: int) -> FollowUp:
    try:
        return case.follow_ups.get(pk=pk)
    except FollowUp.DoesNotExist as exc:
        raise Http404 from exc


@case_action("follow-ups")
def follow_up_done(request, case, pk: int):
    data = _valid(forms.FollowUpDoneForm(request.POST))
    services.follow_up_complete(follow_up=_follow_up_of(case, pk), outcome=data["outcome"], by=request.user)
    return _("Follow-up done.")


@case_action("follow-ups")
def follow_up_cancel(request, case, pk: int):
    data = _valid(forms.ReasonForm(request.POST))
    services.follow_up_cancel(follow_up=_follow_up_of(case, pk), reason=data["reason"], by=request.user)
    return _("Follow-up cancelled.")


@case_action("referrals")
def referral_send(request, case):
    partners, offices = selectors.referral_destinations()
    data = _valid(forms.ReferralForm(request.POST, partners=partners, offices=offices))
    to_partner = partners.filter(pk=data["to_partner"]).first() if data["to_partner"] else None
    to_office = offices.filter(code=data["to_office"]).first() if data["to_office"] else None
    to_programme = Programme.objects.filter(code=data["to_programme"]).first() if data["to_programme"] else None
    referral = services.referral_send(
        case=case,
        by=request.user,
        kind=data["kind"],
        to_partner=to_partner,
        to_office=to_office,
        to_programme=to_programme,
        service_type=data["service_type"],
        summary=data["summary"],
        shared_fields=data["shared_fields"],
    )
    sent = _("Referral %(reference)s sent to %(to)s.") % {"reference": referral.reference, "to": referral.destination}
    warning = getattr(referral, "agreement_warning", "")  # the sharing agreement ends within 30 days
    return f"{sent} {warning}" if warning else sent


@case_action("travel")
def return_travel_book(request, case):
    travel, form = _return_travel(request.user, case, request.POST)
    data = _valid(form)
    flight = next(flight for flight in travel.flights if flight.reference == data["flight"])
    try:
        made = services.return_travel_book(
            case=case, flight=flight, travellers=form.traveller_bookings(), by=request.user
        )
    except BookingRefused as exc:
        raise ValidationError(exc.messages) from exc
    return _("Booked on %(flight)s: %(names)s.") % {
        "flight": flight.reference,
        "names": ", ".join(booking.person.full_name for booking in made),
    }


@case_action("travel")
def return_travel_assess(request, case):
    travel = movements_selectors.return_travel(request.user, reference=case.reference, returnee=case.person, country="")
    data_form = forms.ReturnAssessmentForm(request.POST, people=travel.travellers)
    _valid(data_form)
    people = data_form.chosen()
    services.return_travel_assessments_request(case=case, people=people, by=request.user)
    return _("Health staff are asked to assess %(names)s.") % {"names": ", ".join(p.full_name for p in people)}


# --- follow-ups and referrals -------------------------------------------------------------------------------


def _follow_ups(request: HttpRequest) -> tuple[Listing, object, bool]:
    listing = Listing.read(request, lists.FOLLOW_UPS)
    is_supervisor = selectors.is_supervisor(request.user)
    team = is_supervisor and listing.values["team"]
    rows = selectors.follow_ups_for(
        request.user, team=team, overdue_only=listing.values["overdue"], query=listing.values["q"]
    )
    return listing, listing.ordered(rows), is_supervisor


def follow_up_list(request: HttpRequest) -> HttpResponse:
    listing, rows, is_supervisor = _follow_ups(request)
    context = {
        "page": paginate(request, rows),
        "listing": listing,
        "team": is_supervisor and listing.values["team"],
        "overdue": listing.values["overdue"],
        "is_supervisor": is_supervisor,
    }
    return render(request, "cases/follow_up_list.html", context)


def follow_up_export(request: HttpRequest, fmt: str) -> HttpResponse:
    listing, rows, _is_supervisor = _follow_ups(request)
    return listing.export_response(rows, fmt)


def _referrals(request: HttpRequest) -> tuple[Listing, object, str, bool]:
    listing = Listing.read(request, lists.REFERRALS)
    values = listing.values
    partner_only = selectors.is_partner_only(request.user)
    box = "sent" if values["box"] == "sent" and not partner_only else "received"
    chosen = selectors.referrals_sent if box == "sent" else selectors.referrals_received
    rows = chosen(request.user, status=values["status"], service=values["service"], query=values["q"])
    return listing, listing.ordered(rows), box, partner_only


def referral_list(request: HttpRequest) -> HttpResponse:
    listing, rows, box, partner_only = _referrals(request)
    context = {"page": paginate(request, rows), "listing": listing, "box": box, "partner_only": partner_only}
    return render(request, "cases/referral_list.html", context)


def referral_export(request: HttpRequest, fmt: str) -> HttpResponse:
    listing, rows, _box, _partner_only = _referrals(request)
    return listing.export_response(rows, fmt)


def referral_detail(request: HttpRequest, reference: str) -> HttpResponse:
    referral = selectors.referral_for(request.user, reference)
    if referral.sensitivity != Sensitivity.NORMAL:
        audit.record(AuditAction.VIEW, actor=request.user, obj=referral)
    as_staff = selectors.sees_referral_as_staff(request.user, referral)
    case_visible = as_staff and selectors.cases_for(request.user).filter(pk=referral.case_id).exists()
    context = {
        "referral": referral,
        "as_staff": as_staff,
        "case_visible": case_visible,
        "may_answer": selectors.may_answer(request.user, referral),
        "may_report_delivery": selectors.may_report_delivery(request.user, referral),
        "delivery": selectors.referral_delivery(referral),
        "answer_form": forms.ReferralAnswerForm(),
        "withdrawn": withdrawn(referral.case.person_id, purposes=[referral_purpose(referral)]),
    }
    return render(request, "cases/referral_detail.html", context)


@require_POST
def referral_answer(request: HttpRequest, reference: str) -> HttpResponse:
    referral = selectors.referral_for(request.user, reference)
    form = forms.ReferralAnswerForm(request.POST)
    try:
        data = _valid(form)
        if data["decision"] == "accept":
            referral = services.referral_accept(referral=referral, by=request.user, note=data["reason"])
            messages.success(request, _("Referral accepted."))
            if referral.resulting_case_id:
                return redirect("cases:case-detail", reference=referral.resulting_case.reference)
            if referral.kind == "transfer":
                return redirect("cases:case-detail", reference=referral.case.reference)
        elif data["decision"] == "delivered":
            services.referral_deliver(referral=referral, by=request.user, note=data["reason"])
            messages.success(request, _("The service is reported delivered: the referring caseworker sees it."))
        else:
            services.referral_decline(referral=referral, by=request.user, reason=data["reason"])
            messages.success(request, _("Referral declined."))
    except (ValidationError, PermissionDenied) as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
    return redirect("cases:referral-detail", reference=referral.reference)


# --- the CTDC export ----------------------------------------------------------------------------------------


def _may_export_ctdc(user) -> bool:
    """Caseworkers and supervisors whose grant covers counter-trafficking (in some office, or all offices)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return any(
        grant.role in CASE_ROLES
        and (grant.programme_id is None or grant.programme.code == ProgrammeArea.COUNTER_TRAFFICKING)
        for grant in active_grants(user)
    )


def ctdc_export_page(request: HttpRequest) -> HttpResponse:
    """What the CTDC export holds, for the counter-trafficking cases the user sees, and its download."""
    if not _may_export_ctdc(request.user):
        raise Http404
    context = {
        "victims": selectors.ctdc_cases(request.user).values("person").distinct().count(),
        "k": ctdc.default_k(),
        "columns": ctdc.COLUMNS,
        "bands": [label for _low, _high, label in ctdc.AGE_BANDS],
    }
    return render(request, "cases/ctdc_export.html", context)


def ctdc_export_download(request: HttpRequest) -> HttpResponse:
    """The CTDC CSV of the identified victims the user sees, k-anonymised; the export is audited."""
    if not _may_export_ctdc(request.user):
        raise Http404
    stream = io.StringIO()
    services.ctdc_export(stream=stream, by=request.user)
    response = HttpResponse(stream.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ctdc-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


# --- partner organisations ----------------------------------------------------------------------------------

#: Who keeps the partner directory; adding or removing a partner user (what referrals they read) is an
#: administrator's, as role grants are.
PARTNER_DIRECTORY_ROLES = frozenset({Role.ADMINISTRATOR, Role.SUPERVISOR})


def _partner_form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@role_required(PARTNER_DIRECTORY_ROLES)
def partner_list(request: HttpRequest) -> HttpResponse:
    context = {"page": paginate(request, selectors.partner_organisations())}
    return render(request, "cases/partner_list.html", context)


@role_required(PARTNER_DIRECTORY_ROLES)
def partner_new(request: HttpRequest) -> HttpResponse:
    form = forms.PartnerOrganisationForm(request.POST or None)
    del form.fields["is_active"]  # a new organisation is active
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.partner_organisation_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _partner_form_errors(form, exc)
        else:
            messages.success(request, _("Partner organisation added."))
            return redirect("cases:partner-detail", organisation_id=organisation.pk)
    return render(request, "cases/partner_form.html", {"form": form, "organisation": None})


@role_required(PARTNER_DIRECTORY_ROLES)
def partner_detail(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = get_object_or_404(selectors.partner_organisations(), pk=organisation_id)
    member_form = None
    if has_role(request.user, AUDIT_ROLES):
        candidates = selectors.partner_member_candidates(request.user, organisation)
        member_form = forms.PartnerMemberForm(candidates=candidates)
    context = {
        "organisation": organisation,
        "members": selectors.partner_members_for(request.user, organisation),
        "member_form": member_form,
    }
    return render(request, "cases/partner_detail.html", context)


@role_required(PARTNER_DIRECTORY_ROLES)
def partner_edit(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = get_object_or_404(selectors.partner_organisations(), pk=organisation_id)
    initial = {field: getattr(organisation, field) for field in forms.PartnerOrganisationForm.base_fields}
    form = forms.PartnerOrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_organisation_update(organisation=organisation, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _partner_form_errors(form, exc)
        else:
            messages.success(request, _("Partner organisation saved."))
            return redirect("cases:partner-detail", organisation_id=organisation.pk)
    return render(request, "cases/partner_form.html", {"form": form, "organisation": organisation})


@require_POST
@role_required(AUDIT_ROLES)
def partner_member_add(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = get_object_or_404(selectors.partner_organisations(), pk=organisation_id)
    form = forms.PartnerMemberForm(
        request.POST, candidates=selectors.partner_member_candidates(request.user, organisation)
    )
    if not form.is_valid() or not user_may_administer(request.user, form.cleaned_data["user"]):
        messages.error(request, _("Choose a partner user of an office you administer."))
    else:
        try:
            services.partner_member_add(organisation=organisation, user=form.cleaned_data["user"], by=request.user)
        except ValidationError as exc:
            for message in _error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("Partner user added."))
    return redirect("cases:partner-detail", organisation_id=organisation.pk)


@require_POST
@role_required(AUDIT_ROLES)
def partner_member_remove(request: HttpRequest, organisation_id: int, username: str) -> HttpResponse:
    organisation = get_object_or_404(selectors.partner_organisations(), pk=organisation_id)
    member = get_object_or_404(selectors.partner_members_for(request.user, organisation), username=username)
    if not user_may_administer(request.user, member):
        raise Http404
    services.partner_member_remove(organisation=organisation, user=member, by=request.user)
    messages.success(request, _("Partner user removed."))
    return redirect("cases:partner-detail", organisation_id=organisation.pk)
