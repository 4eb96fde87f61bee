"""Employment pages: the home with the follow-ups overdue and due; lists of employers, job seekers, vacancies,
placements, follow-ups and work permits; each record's page with the forms that move it on (refer, place, not
hired, follow-up, permit prepared → submitted → decided). Thin: parse, call a selector or a service, render."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.access import has_role
from liman.core.lists import Listing, ListSpec
from liman.core.models import Office
from liman.core.views import paginate, role_required
from liman.core.views import refusal_messages as _messages_of
from liman.core.workflows import history

from . import employment, forms, lists, permissions, selectors
from .choices import PermitState
from .permissions import GRANT_MANAGE_ROLES, GRANT_READ_ROLES

REFUSED = (ValidationError, PermissionDenied)


def _refused(request: HttpRequest, exc: Exception) -> None:
    for text in _messages_of(exc):
        messages.error(request, text)


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for text in errors:
            messages.error(request, f"{label}: {text}" if label else text)


def _managed_offices(user):
    from liman.core.selectors import offices_for

    return Office.objects.filter(pk__in=[o.pk for o in offices_for(user) if permissions.may_manage(user, o.pk)])


def _run(request: HttpRequest, form, action, done: str) -> HttpResponse:
    """A form posted on a record's page: the service's refusal comes back as messages on that page."""
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(done)
    try:
        action(form.cleaned_data)
    except REFUSED as exc:
        _refused(request, exc)
    return redirect(done)


def _manager_of(request: HttpRequest, record) -> None:
    if not permissions.may_manage(request.user, record.office_id):
        raise Http404


def _seen(request: HttpRequest, records, reason: str) -> None:
    audit.record_read(request.user, records, reason=reason, ip_address=audit.client_address(request))


# --- home and lists -----------------------------------------------------------------------------------------------


@role_required(GRANT_READ_ROLES)
def employment_home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    overdue = list(selectors.follow_ups_for(request.user, overdue=True).order_by("due_on", "id")[:50])
    soon = list(
        selectors.follow_ups_for(request.user, open_only=True)
        .filter(due_on__gte=today, due_on__lte=today + datetime.timedelta(days=30))
        .order_by("due_on", "id")[:50]
    )
    permits = list(
        selectors.permits_for(request.user).filter(Q(state=PermitState.PREPARED) | Q(state=PermitState.SUBMITTED))
        .order_by("-id")[:50]
    )  # fmt: skip
    _seen(request, [*overdue, *soon, *permits], "employment page")
    context = {
        "overdue": overdue,
        "soon": soon,
        "permits": permits,
        "may_manage": has_role(request.user, GRANT_MANAGE_ROLES),
        "lists": [(spec.url_name, spec.title) for spec in (lists.SEEKERS, lists.VACANCIES, lists.EMPLOYERS,
                                                             lists.PLACEMENTS, lists.FOLLOW_UPS, lists.PERMITS)],
    }  # fmt: skip
    return render(request, "livelihoods/employment.html", context)


def _list(request: HttpRequest, spec: ListSpec, rows, link, actions=()) -> HttpResponse:
    listing = Listing.read(request, spec)
    page = paginate(request, listing.ordered(rows(**listing.values)))
    columns = [column for column in spec.columns if column.in_page]
    table = [(link(row), [column.value(row) for column in columns]) for row in page]
    context = {"listing": listing, "page": page, "table": table, "spec": spec, "actions": actions}
    return render(request, "livelihoods/employment_list.html", context)


def _create_action(request: HttpRequest, name: str, label: str) -> list[tuple[str, str]]:
    return [(reverse(name), label)] if has_role(request.user, GRANT_MANAGE_ROLES) else []


@role_required(GRANT_READ_ROLES)
def employer_list(request: HttpRequest) -> HttpResponse:
    return _list(request, lists.EMPLOYERS, lambda q: selectors.employers_for(request.user, q=q),
                 lambda row: reverse("livelihoods:employment-employer-detail", args=[row.pk]),
                 _create_action(request, "livelihoods:employment-employer-create", _("Add an employer")))  # fmt: skip


@role_required(GRANT_READ_ROLES)
def seeker_list(request: HttpRequest) -> HttpResponse:
    return _list(request, lists.SEEKERS, lambda q: selectors.seekers_for(request.user, q=q),
                 lambda row: reverse("livelihoods:employment-seeker-detail", args=[row.pk]),
                 _create_action(request, "livelihoods:employment-seeker-create",
                                _("Register a job seeker")))  # fmt: skip


@role_required(GRANT_READ_ROLES)
def vacancy_list(request: HttpRequest) -> HttpResponse:
    return _list(request, lists.VACANCIES,
                 lambda q, seasonal: selectors.vacancies_for(request.user, q=q, seasonal=seasonal),
                 lambda row: reverse("livelihoods:employment-vacancy-detail", args=[row.pk]))  # fmt: skip


@role_required(GRANT_READ_ROLES)
def placement_list(request: HttpRequest) -> HttpResponse:
    return _list(request, lists.PLACEMENTS, lambda q: selectors.placements_for(request.user, q=q),
                 lambda row: reverse("livelihoods:employment-placement-detail", args=[row.pk]))  # fmt: skip


@role_required(GRANT_READ_ROLES)
def follow_up_list(request: HttpRequest) -> HttpResponse:
    return _list(request, lists.FOLLOW_UPS,
                 lambda q, open_only, overdue: selectors.follow_ups_for(request.user, q=q, open_only=open_only,
                                                                         overdue=overdue),
                 lambda row: reverse("livelihoods:employment-placement-detail", args=[row.placement_id]))  # fmt: skip


@role_required(GRANT_READ_ROLES)
def permit_list(request: HttpRequest) -> HttpResponse:
    return _list(request, lists.PERMITS,
                 lambda q, state, kind: selectors.permits_for(request.user, q=q, state=state, kind=kind),
                 lambda row: reverse("livelihoods:employment-permit-detail", args=[row.pk]))  # fmt: skip


# --- employers and vacancies ------------------------------------------------------------------------------------


@role_required(GRANT_MANAGE_ROLES)
def employer_create(request: HttpRequest) -> HttpResponse:
    form = forms.EmployerForm(request.POST or None, offices=_managed_offices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            employer = employment.employer_add(by=request.user, **form.cleaned_data)
        except REFUSED as exc:
            for text in _messages_of(exc):
                form.add_error(None, text)
        else:
            return redirect("livelihoods:employment-employer-detail", pk=employer.pk)
    context = {"form": form, "title": _("Add an employer"), "back": reverse("livelihoods:employment-employer-list")}
    return render(request, "livelihoods/employment_form.html", context)


def employer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    employer = selectors.employer_get(request.user, pk)
    permits = list(selectors.permits_for(request.user).filter(employer=employer).order_by("-id"))
    _seen(request, permits, "employer page")
    context = {
        "employer": employer,
        "quota_left": employment.quota_left(employer),
        "vacancies": list(selectors.vacancies_for(request.user).filter(employer=employer).order_by("-opened_on")),
        "permits": permits,
        "may_manage": permissions.may_manage(request.user, employer.office_id),
        "vacancy_form": forms.VacancyForm(),
    }
    return render(request, "livelihoods/employer_detail.html", context)


@require_POST
def vacancy_open(request: HttpRequest, pk: int) -> HttpResponse:
    employer = selectors.employer_get(request.user, pk)
    _manager_of(request, employer)
    return _run(request, forms.VacancyForm(request.POST),
                lambda data: employment.vacancy_open(employer=employer, by=request.user, **data),
                reverse("livelihoods:employment-employer-detail", args=[pk]))  # fmt: skip


def vacancy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vacancy = selectors.vacancy_get(request.user, pk)
    referrals = selectors.referrals_of(request.user, vacancy=vacancy)
    _seen(request, referrals, "vacancy page")
    context = {
        "vacancy": vacancy,
        "referrals": referrals,
        "may_manage": permissions.may_manage(request.user, vacancy.office_id),
        "today": timezone.localdate(),
    }
    return render(request, "livelihoods/vacancy_detail.html", context)


# --- job seekers, referrals, placements --------------------------------------------------------------------------


@role_required(GRANT_MANAGE_ROLES)
def seeker_create(request: HttpRequest) -> HttpResponse:
    from liman.registry.models import Person

    form = forms.SeekerForm(request.POST or None, initial={"person": request.GET.get("person", "")[:24]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = Person.objects.visible_to(request.user).filter(reference=data["person"].strip().upper()).first()
        if person is None:
            form.add_error("person", _("No person you can see has this reference."))
        else:
            try:
                seeker = employment.job_seeker_register(person=person, skills=data["skills"],
                                                        languages=data["languages"], by=request.user)  # fmt: skip
            except REFUSED as exc:
                for text in _messages_of(exc):
                    form.add_error(None, text)
            else:
                return redirect("livelihoods:employment-seeker-detail", pk=seeker.pk)
    context = {"form": form, "title": _("Register a job seeker"), "back": reverse("livelihoods:employment-seeker-list")}
    return render(request, "livelihoods/employment_form.html", context)


def _open_vacancies(user, office_id: int):
    return selectors.vacancies_for(user).filter(office_id=office_id).order_by("title")


def seeker_detail(request: HttpRequest, pk: int) -> HttpResponse:
    seeker = selectors.seeker_get(request.user, pk)
    referrals = selectors.referrals_of(request.user, seeker=seeker)
    _seen(request, [seeker, *referrals], "job seeker page")
    may_manage = permissions.may_manage(request.user, seeker.office_id)
    context = {
        "seeker": seeker,
        "certificates": selectors.seeker_certificates(request.user, seeker.person),
        "referrals": referrals,
        "permits": list(selectors.permits_for(request.user).filter(person=seeker.person).order_by("-id")),
        "may_manage": may_manage,
        "today": timezone.localdate(),
        "refer_form": forms.ReferForm(vacancies=_open_vacancies(request.user, seeker.office_id)),
    }
    return render(request, "livelihoods/seeker_detail.html", context)


@require_POST
def seeker_refer(request: HttpRequest, pk: int) -> HttpResponse:
    seeker = selectors.seeker_get(request.user, pk)
    _manager_of(request, seeker)
    form = forms.ReferForm(request.POST, vacancies=_open_vacancies(request.user, seeker.office_id))
    return _run(request, form, lambda data: employment.refer(seeker=seeker, vacancy=data["vacancy"], by=request.user),
                reverse("livelihoods:employment-seeker-detail", args=[pk]))  # fmt: skip


def _referral_back(request: HttpRequest, referral) -> str:
    """Back to the page the form was on (the vacancy's or the seeker's), never anywhere else."""
    if request.POST.get("back") == "seeker":
        return reverse("livelihoods:employment-seeker-detail", args=[referral.seeker_id])
    return reverse("livelihoods:employment-vacancy-detail", args=[referral.vacancy_id])


@require_POST
def referral_place(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.referral_get(request.user, pk)
    _manager_of(request, referral)
    form = forms.PlaceForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_referral_back(request, referral))
    try:
        placement = employment.place(referral=referral, by=request.user, **form.cleaned_data)
    except REFUSED as exc:
        _refused(request, exc)
        return redirect(_referral_back(request, referral))
    return redirect("livelihoods:employment-placement-detail", pk=placement.pk)


@require_POST
def referral_not_hired(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.referral_get(request.user, pk)
    _manager_of(request, referral)
    return _run(request, forms.NotHiredForm(request.POST),
                lambda data: employment.referral_not_hired(referral=referral, by=request.user, reason=data["reason"]),
                _referral_back(request, referral))  # fmt: skip


def placement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    placement = selectors.placement_get(request.user, pk)
    follow_ups = list(placement.follow_ups.order_by("months"))
    permit = selectors.permits_for(request.user).filter(placement=placement).first()
    _seen(request, [placement], "placement page")
    vacancy = placement.referral.vacancy
    may_manage = permissions.may_manage(request.user, placement.office_id)
    context = {
        "placement": placement,
        "referral": placement.referral,
        "follow_ups": follow_ups,
        "today": timezone.localdate(),
        "permit": permit,
        "quota_left": employment.quota_left(vacancy.employer),
        "may_manage": may_manage,
        "follow_up_form": forms.FollowUpForm(initial={"done_on": timezone.localdate()}),
        "permit_form": forms.PermitPrepareForm(initial={"monthly_wage": placement.monthly_wage,
                                                        "seasonal_agriculture": vacancy.seasonal_agriculture}),
    }  # fmt: skip
    return render(request, "livelihoods/placement_detail.html", context)


@require_POST
def follow_up_record(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = selectors.follow_up_get(request.user, pk)
    _manager_of(request, follow_up)
    return _run(request, forms.FollowUpForm(request.POST),
                lambda data: employment.follow_up_record(follow_up=follow_up, by=request.user, **data),
                reverse("livelihoods:employment-placement-detail", args=[follow_up.placement_id]))  # fmt: skip


# --- work permits ---------------------------------------------------------------------------------------------


@require_POST
def permit_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    placement = selectors.placement_get(request.user, pk)
    _manager_of(request, placement)
    form = forms.PermitPrepareForm(request.POST)
    back = reverse("livelihoods:employment-placement-detail", args=[pk])
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(back)
    try:
        permit = employment.permit_prepare(
            person=placement.referral.seeker.person, employer=placement.referral.vacancy.employer,
            placement=placement, by=request.user, **form.cleaned_data,
        )  # fmt: skip
    except REFUSED as exc:
        _refused(request, exc)
        return redirect(back)
    return redirect("livelihoods:employment-permit-detail", pk=permit.pk)


def _state_label(value: str) -> str:
    return str(PermitState(value).label) if value in PermitState.values else value


def permit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    permit = selectors.permit_get(request.user, pk)
    _seen(request, [permit], "work permit page")
    context = {
        "permit": permit,
        "quota_left": employment.quota_left(permit.employer),
        "allowed": int(permit.employer.turkish_employees * employment.TP_QUOTA_SHARE),
        "history": [(change, _state_label(change.from_state), _state_label(change.to_state))
                    for change in history(permit).order_by("at", "id")],
        "may_manage": permissions.may_manage(request.user, permit.office_id),
        "submit_form": forms.PermitSubmitForm(initial={"submitted_on": timezone.localdate()}),
        "decide_form": forms.PermitDecideForm(initial={"decided_on": timezone.localdate()}),
    }  # fmt: skip
    return render(request, "livelihoods/permit_detail.html", context)


@require_POST
def permit_submit(request: HttpRequest, pk: int) -> HttpResponse:
    permit = selectors.permit_get(request.user, pk)
    _manager_of(request, permit)
    return _run(request, forms.PermitSubmitForm(request.POST),
                lambda data: employment.permit_submit(permit=permit, by=request.user, **data),
                reverse("livelihoods:employment-permit-detail", args=[pk]))  # fmt: skip


@require_POST
def permit_decide(request: HttpRequest, pk: int) -> HttpResponse:
    permit = selectors.permit_get(request.user, pk)
    _manager_of(request, permit)
    return _run(request, forms.PermitDecideForm(request.POST),
                lambda data: employment.permit_decide(permit=permit, by=request.user, **data),
                reverse("livelihoods:employment-permit-detail", args=[pk]))  # fmt: skip
