"""Registry pages: search first, register, the person page and the household page.

Views parse the input, call one service or selector, and render. Everything is read through the
selectors (scoped to the user: another office's person is 404); every change goes through a service.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.choices import AuditAction, Sensitivity

from . import checks, selectors, services
from . import merge as merging
from .choices import IdentifierType, Relationship
from .forms import (
    AttachmentForm,
    ConsentForm,
    DisabilityForm,
    HouseholdHeadForm,
    HouseholdLocationForm,
    HouseholdMemberAddForm,
    HouseholdMemberForm,
    HouseholdPlace,
    IdentifierForm,
    LegalStatusForm,
    PersonEditForm,
    PersonSearchForm,
    RegistrationForm,
    VulnerabilityForm,
    country_name,
    guess_identifier_type,
    identifier_rows,
    language_name,
)
from .models import HouseholdMember, Person
from .sections import sections_for

SEARCH_KEYS = ("name", "identifier", "phone", "born")
#: Likely matches shown again above the registration form: the best few, so the form stays in reach.
REGISTRATION_MATCHES = 10


def _address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _add_errors(form, exc: ValidationError) -> None:
    """Put a service's validation errors next to the form's fields (or above the form when it has no such field)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- search first ---------------------------------------------------------------------------------------------


def _search_query(form: PersonSearchForm) -> str:
    """The search terms as typed, to carry them to the registration page."""
    return urlencode({key: form.data.get(key, "") for key in SEARCH_KEYS if form.data.get(key, "").strip()})


def person_search(request: HttpRequest) -> HttpResponse:
    form = PersonSearchForm({key: request.GET.get(key, "") for key in SEARCH_KEYS} if request.GET else None)
    terms = form.terms()
    searched = form.is_bound and form.is_valid() and not terms.is_empty
    context = {
        "form": form,
        "searched": searched,
        "matches": selectors.people_matching(request.user, terms) if searched else [],
        "can_register": selectors.can_register(request.user),
        "search_query": _search_query(form) if searched else "",
        "recent": [] if form.is_bound else selectors.people_registered_by(request.user),
        "asked_nothing": form.is_bound and form.is_valid() and terms.is_empty,
    }
    return render(request, "registry/person_search.html", context)


# --- registration ---------------------------------------------------------------------------------------------


def _registration_search(request: HttpRequest) -> PersonSearchForm:
    """The search that led here: from the query string, then from hidden fields when the form comes back."""
    if request.method == "POST":
        return PersonSearchForm({key: request.POST.get(f"search-{key}", "") for key in SEARCH_KEYS})
    return PersonSearchForm({key: request.GET.get(key, "") for key in SEARCH_KEYS})


def _registration_initial(terms) -> tuple[dict, list[dict]]:
    initial: dict = {}
    words = terms.name.split()
    if len(words) == 1:
        initial["family_name"] = words[0]
    elif len(words) > 1:
        initial["first_name"], initial["family_name"] = " ".join(words[:-1]), words[-1]
    if terms.phone:
        initial["phone"] = terms.phone
    identifiers = []
    if terms.identifier:
        identifiers.append({"type": guess_identifier_type(terms.identifier), "value": terms.identifier})
    return initial, identifiers


def person_create(request: HttpRequest) -> HttpResponse:
    """Register a new person, after a search: the likely matches stay on the page until the registrar confirms."""
    offices = selectors.registrar_offices(request.user)
    if not offices:
        raise Http404
    search_form = _registration_search(request)
    terms = search_form.terms()
    if request.method != "POST" and terms.is_empty:
        messages.info(request, _("Search first: the person may already be registered."))
        return redirect("person-search")
    matches = selectors.people_matching(request.user, terms, limit=REGISTRATION_MATCHES)
    options = {"user": request.user, "offices": offices, "has_matches": bool(matches)}
    duplicates: list[checks.PossibleDuplicate] = []
    if request.method == "POST":
        form = RegistrationForm(request.POST, **options)
        rows = identifier_rows(request.POST)
        if all([form.is_valid(), *(row.is_valid() for row in rows)]):
            # Before anything is written: the duplicate checkers (the matcher) compare the person as typed.
            duplicates = checks.possible_duplicates(
                request.user, office=form.cleaned_data["office"], draft=_draft(form, rows)
            )
            if not duplicates or _duplicates_confirmed(request, duplicates, form, matches):
                person = _register(request, form, rows, duplicates)
                if person is not None:
                    return redirect("person-detail", reference=person.reference)
    else:
        initial, identifier_initial = _registration_initial(terms)
        if terms.birth_date:
            initial["birth_date"] = search_form.cleaned_data["born"]
        form = RegistrationForm(initial=initial, **options)
        rows = identifier_rows(initial=identifier_initial)
    context = {
        "form": form,
        "identifier_rows": rows,
        "search_form": search_form,
        "search_query": _search_query(search_form),
        "terms_text": ", ".join(value for value in search_form.data.values() if value.strip()),
        "matches": matches,
        "identifier_errors": any(row.errors for row in rows),
        "single_office": offices[0] if len(offices) == 1 else None,
        "duplicates": duplicates,
        "duplicates_unconfirmed": bool(duplicates) and "duplicates-seen" in request.POST,
    }
    return render(request, "registry/person_create.html", context)


def _draft(form: RegistrationForm, rows: list[IdentifierForm]) -> checks.PersonDraft:
    """The person as typed, for the duplicate checks."""
    fields = form.person_fields()
    foreigner_id = next(
        (
            row.cleaned_data["value"]
            for row in rows
            if not row.is_blank and row.cleaned_data.get("type") == IdentifierType.FOREIGNER_ID
        ),
        "",
    )
    household = (
        form.cleaned_data.get("household_object") if form.cleaned_data["household"] == HouseholdPlace.JOIN else None
    )
    return checks.PersonDraft(
        first_name=fields["first_name"],
        father_name=fields["father_name"],
        family_name=fields["family_name"],
        original_name=fields["original_name"],
        sex=fields["sex"],
        birth_date=fields["birth_date"],
        birth_date_precision=fields["birth_date_precision"],
        nationality=fields["nationality"],
        phone=fields["phone"],
        foreigner_id=foreigner_id,
        household_id=household.pk if household is not None else None,
    )


def _duplicates_confirmed(request: HttpRequest, duplicates: list, form: RegistrationForm, matches: list) -> bool:
    """The registrar saw these very possible duplicates and ticked that the person is none of them: in the list of
    possible duplicates, or (when each of them was among the likely matches shown) with "none of the people listed
    above is this person"."""
    wanted = {item.reference for item in duplicates}
    if request.POST.get("duplicates-confirmed") == "yes" and wanted <= set(request.POST.getlist("duplicates-seen")):
        return True
    shown = {match.person.reference for match in matches}
    return bool(form.cleaned_data.get("confirmed_new")) and wanted <= shown


def _register(
    request: HttpRequest,
    form: RegistrationForm,
    rows: list[IdentifierForm],
    duplicates: list[checks.PossibleDuplicate] | None = None,
) -> Person | None:
    data = form.cleaned_data
    try:
        with transaction.atomic():
            person = services.person_enrol(
                office=data["office"],
                data=form.person_input([row.identifier_input() for row in rows if not row.is_blank]),
                legal_basis=data["legal_basis"],
                start_household=data["household"] == HouseholdPlace.NEW,
                household=data.get("household_object") if data["household"] == HouseholdPlace.JOIN else None,
                relationship=data.get("relationship", ""),
                district=data["district"],
                address=data["address"],
                by=request.user,
            )
            if duplicates:
                # Registered all the same: the pairs go to a reviewer.
                checks.person_registered(person=person, duplicates=duplicates, by=request.user)
    except ValidationError as exc:
        _add_errors(form, exc)
        return None
    messages.success(request, _("%(name)s is registered as %(reference)s.") % _person_words(person))
    for identifier in person.identifiers.exclude(warning=""):
        messages.warning(request, f"{identifier.get_type_display()}: {_(identifier.warning)}")
    return person


def _person_words(person: Person) -> dict:
    return {"name": person.full_name, "reference": person.reference}


# --- the person page ------------------------------------------------------------------------------------------


def _change_forms(bound: dict | None) -> dict:
    forms = {
        "legal_status": LegalStatusForm(),
        "identifier": IdentifierForm(),
        "disability": DisabilityForm(),
        "vulnerability": VulnerabilityForm(),
        "consent": ConsentForm(),
        "attachment": AttachmentForm(),
    }
    forms.update(bound or {})
    return forms


def _person_page(
    request: HttpRequest,
    person: Person,
    *,
    bound: dict | None = None,
    revealed: set[int] | None = None,
    phone_revealed: bool = False,
) -> HttpResponse:
    user = request.user
    if person.sensitivity != Sensitivity.NORMAL:
        audit.record(AuditAction.VIEW, actor=user, obj=person, reason="person page", ip_address=_address(request))
    editable = selectors.can_change(user, person)
    sections = [
        (section, render_to_string(section.template, context, request=request))
        for section, context in sections_for(user, person)
    ]
    record = selectors.person_record(user, person)
    audit.record_read(user, record.vulnerabilities, reason="person page", ip_address=_address(request))
    for identifier in record.identifiers:
        identifier.is_revealed = identifier.pk in (revealed or set())
    context = {
        "person": person,
        "phone_revealed": phone_revealed,
        "record": record,
        "nationality": country_name(person.nationality),
        "spoken_languages": [language_name(code) for code in person.languages],
        "editable": editable,
        "forms": _change_forms(bound) if editable else {},
        "open": next(iter(bound)) if bound else "",
        "sections": sections,
        **_merge_context(user, person),
    }
    return render(request, "registry/person_detail.html", context)


def _merge_context(user, person: Person) -> dict:
    """The merge that made this record an alias (and whether this user may undo it), or the records merged into it."""
    merge = selectors.person_merge_in_force(user, person)
    if merge is None:
        return {"aliases": selectors.person_aliases(user, person)}
    may_undo = merging.can_merge(user, merge.survivor, person)
    return {
        "merge": merge,
        "can_unmerge": may_undo,
        "unmerge_problems": merging.unmerge_problems(merge) if may_undo else [],
    }


def person_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _person_page(request, selectors.person_get(request.user, reference=reference))


def _person_to_change(request: HttpRequest, reference: str) -> Person:
    """The person, if the user may change them: caseworkers and supervisors of the person's office."""
    person = selectors.person_get(request.user, reference=reference)
    if not selectors.can_change(request.user, person):
        raise Http404
    return person


def _after_change(request: HttpRequest, person: Person, message: str, anchor: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(f"{reverse('person-detail', args=[person.reference])}#{anchor}")


def person_edit(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_change(request, reference)
    form = PersonEditForm.for_person(person, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        changes = form.changes(person)
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("person-detail", reference=person.reference)
        try:
            services.person_update(person=person, changes=changes, by=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
            person.refresh_from_db()
        else:
            return _after_change(request, person, _("The details are saved."), "identity")
    return render(request, "registry/person_edit.html", {"person": person, "form": form})


@require_POST
def person_household_start(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_change(request, reference)
    if getattr(person, "membership", None) is not None:
        messages.info(request, _("%(name)s already belongs to a household.") % {"name": person.full_name})
        return redirect("person-detail", reference=person.reference)
    try:
        household = services.household_create(office=person.office, head=person, by=request.user)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return redirect("person-detail", reference=person.reference)
    messages.success(request, _("Household %(reference)s is started.") % {"reference": household.reference})
    return redirect("household-detail", reference=household.reference)


@require_POST
def person_legal_status_add(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_change(request, reference)
    form = LegalStatusForm(request.POST)
    if form.is_valid():
        try:
            services.legal_status_add(person=person, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _after_change(request, person, _("The legal status is recorded."), "legal-status")
    return _person_page(request, person, bound={"legal_status": form})


@require_POST
def person_identifier_add(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_change(request, reference)
    form = IdentifierForm(request.POST)
    if form.is_valid():
        try:
            identifier = services.identifier_add(person=person, data=form.identifier_input(), by=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if identifier.warning:
                messages.warning(request, f"{identifier.get_type_display()}: {_(identifier.warning)}")
            return _after_change(request, person, _("The identifier is added."), "identifiers")
    return _person_page(request, person, bound={"identifier": form})


@require_POST
def person_identifier_reveal(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Show one identifier in full; each showing is written to the audit log."""
    person = selectors.person_get(request.user, reference=reference)
    identifier = selectors.identifier_get(request.user, person=person, pk=pk)
    audit.record(
        AuditAction.VIEW, actor=request.user, obj=identifier, reason="identifier shown", ip_address=_address(request)
    )
    if request.headers.get("HX-Request"):
        context = {"identifier": identifier, "person": person, "revealed": True}
        return render(request, "registry/_identifier_value.html", context)
    return _person_page(request, person, revealed={identifier.pk})


@require_POST
def person_phone_reveal(request: HttpRequest, reference: str) -> HttpResponse:
    """Show the phone in full; each showing is written to the audit log, as for identifiers."""
    person = selectors.person_get(request.user, reference=reference)
    audit.record(AuditAction.VIEW, actor=request.user, obj=person, reason="phone shown", ip_address=_address(request))
    if request.headers.get("HX-Request"):
        return render(request, "registry/_phone_value.html", {"person": person, "revealed": True})
    return _person_page(request, person, phone_revealed=True)


@require_POST
def person_disability_assess(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_change(request, reference)
    form = DisabilityForm(request.POST)
    if form.is_valid():
        services.disability_assess(person=person, answers=form.answers(), by=request.user)
        return _after_change(request, person, _("The Washington Group answers are recorded."), "vulnerability")
    return _person_page(request, person, bound={"disability": form})


@require_POST
def person_vulnerability_add(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_change(request, reference)
    form = VulnerabilityForm(request.POST)
    if form.is_valid():
        services.vulnerability_add(person=person, by=request.user, **form.cleaned_data)
        return _after_change(request, person, _("The vulnerability is recorded."), "vulnerability")
    return _person_page(request, person, bound={"vulnerability": form})


@require_POST
def person_vulnerability_end(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    person = _person_to_change(request, reference)
    vulnerability = selectors.vulnerability_get(request.user, person=person, pk=pk)
    if vulnerability.ended_on is None:
        services.vulnerability_end(vulnerability=vulnerability, by=request.user)
    return _after_change(request, person, _("“%(flag)s” no longer applies.") % {"flag": vulnerability}, "vulnerability")


@require_POST
def person_consent_record(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_change(request, reference)
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.consent_record(person=person, by=request.user, **form.cleaned_data)
        return _after_change(request, person, _("The consent is recorded."), "consents")
    return _person_page(request, person, bound={"consent": form})


@require_POST
def person_consent_withdraw(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    person = _person_to_change(request, reference)
    consent = selectors.consent_get(request.user, person=person, pk=pk)
    if consent.withdrawn_on is None:
        services.consent_withdraw(consent=consent, by=request.user)
    return _after_change(request, person, _("The consent is withdrawn."), "consents")


@require_POST
def person_attachment_add(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_change(request, reference)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(
                person=person, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], by=request.user
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _after_change(request, person, _("The document is attached."), "attachments")
    return _person_page(request, person, bound={"attachment": form})


def person_attachment_download(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    """Attachments are not public media: they are served here, to who may see the person, and each download is
    written to the audit log."""
    person = selectors.person_get(request.user, reference=reference)
    attachment = selectors.attachment_get(request.user, person=person, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from storage.")) from exc
    audit.record(
        AuditAction.VIEW,
        actor=request.user,
        obj=attachment,
        reason="attachment downloaded",
        ip_address=_address(request),
    )
    return FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )


@require_POST
def person_unmerge(request: HttpRequest, reference: str) -> HttpResponse:
    """Undo the merge that made this record an alias: supervisors and administrators of both records' offices."""
    person = selectors.person_get(request.user, reference=reference)
    merge = selectors.person_merge_in_force(request.user, person)
    if merge is None or not merging.can_merge(request.user, merge.survivor, person):
        raise Http404
    try:
        merging.person_unmerge(merge=merge, by=request.user)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(merged)s is a record of its own again, apart from %(survivor)s.")
            % {"merged": person.reference, "survivor": merge.survivor.reference},
        )
    return redirect("person-detail", reference=person.reference)


# --- households -----------------------------------------------------------------------------------------------


def _household_page(request: HttpRequest, household, *, bound: dict | None = None) -> HttpResponse:
    user = request.user
    members = selectors.household_members(user, household)
    editable = selectors.can_change(user, household)
    query = request.GET.get("q", "").strip()
    candidates = []
    if editable and query:
        terms = selectors.SearchTerms(name=query)
        candidates = [match for match in selectors.people_matching(user, terms) if not _in_a_household(match.person)]
    forms = {}
    if editable:
        forms = {
            "head": HouseholdHeadForm(members=members),
            "add": HouseholdMemberAddForm(),
            "location": HouseholdLocationForm(household=household),
        }
        forms.update(bound or {})
    context = {
        "household": household,
        "members": members,
        "head": next((member.person for member in members if member.relationship == Relationship.HEAD), None),
        "editable": editable,
        "forms": forms,
        "member_form": HouseholdMemberForm(),
        "query": query,
        "candidates": candidates,
        "open": next(iter(bound)) if bound else "",
    }
    return render(request, "registry/household_detail.html", context)


def _in_a_household(person: Person) -> bool:
    return getattr(person, "membership", None) is not None


def household_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _household_page(request, selectors.household_get(request.user, reference=reference))


def _household_to_change(request: HttpRequest, reference: str):
    household = selectors.household_get(request.user, reference=reference)
    if not selectors.can_change(request.user, household):
        raise Http404
    return household


@require_POST
def household_member_add(request: HttpRequest, reference: str) -> HttpResponse:
    household = _household_to_change(request, reference)
    form = HouseholdMemberAddForm(request.POST)
    if form.is_valid():
        person = selectors.person_get(request.user, reference=form.cleaned_data["person"])
        try:
            services.household_add_member(
                household=household, person=person, relationship=form.cleaned_data["relationship"], by=request.user
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is now a member.") % {"name": person.full_name})
            return redirect("household-detail", reference=household.reference)
    return _household_page(request, household, bound={"add": form})


@require_POST
def household_member_change(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    household = _household_to_change(request, reference)
    member = _visible_member(request, household, pk)
    form = HouseholdMemberForm(request.POST)
    if form.is_valid():
        try:
            services.household_member_update(
                member=member, relationship=form.cleaned_data["relationship"], by=request.user
            )
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(request, _("The relationship is saved."))
    return redirect("household-detail", reference=household.reference)


def _visible_member(request: HttpRequest, household, pk: int) -> HouseholdMember:
    for member in selectors.household_members(request.user, household):
        if member.pk == pk:
            return member
    raise Http404


@require_POST
def household_location_change(request: HttpRequest, reference: str) -> HttpResponse:
    household = _household_to_change(request, reference)
    form = HouseholdLocationForm(request.POST, household=household)
    if form.is_valid():
        try:
            services.household_place(household=household, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
            household.refresh_from_db()
        else:
            messages.success(request, _("The district and address are saved."))
            return redirect(f"{reverse('household-detail', args=[household.reference])}#location")
    return _household_page(request, household, bound={"location": form})


@require_POST
def household_head_change(request: HttpRequest, reference: str) -> HttpResponse:
    household = _household_to_change(request, reference)
    members = selectors.household_members(request.user, household)
    form = HouseholdHeadForm(request.POST, members=members)
    if form.is_valid():
        person = next(m.person for m in members if m.person.reference == form.cleaned_data["person"])
        try:
            services.household_change_head(
                household=household,
                person=person,
                former_head_relationship=form.cleaned_data["former_head_relationship"],
                by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is now the head of household.") % {"name": person.full_name})
            return redirect("household-detail", reference=household.reference)
    return _household_page(request, household, bound={"head": form})
