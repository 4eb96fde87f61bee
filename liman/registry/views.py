"""Registry pages: search first, register, the person page and the household page.

Views parse the input, call one service or selector, and render. Everything is read through the
selectors (scoped to the user: another office's person is 404); every change goes through a service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from liman.core import audit
from liman.core.choices import AuditAction, Sensitivity
from liman.core.lists import Listing

from . import checks, lists, selectors, services
from . import merge as merging
from .choices import IdentifierType, Relationship
from .forms import (
    AttachmentForm,
    ConsentForm,
    DisabilityForm,
    FamilyForm,
    FamilyHeadForm,
    FamilyMemberForm,
    HouseholdHeadForm,
    HouseholdLocationForm,
    HouseholdMemberAddForm,
    HouseholdMemberForm,
    HouseholdPlace,
    IdentifierForm,
    LegalStatusForm,
    PersonDetailsForm,
    PersonEditForm,
    PersonSearchForm,
    RegistrationForm,
    VulnerabilityForm,
    carried_names,
    country_name,
    family_member_count,
    guess_identifier_type,
    identifier_rows,
    language_name,
    names_from_search,
)
from .models import Household, HouseholdMember, Person
from .sections import household_sections_for, sections_for
from .services import PersonInput

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


#: Likely matches per page of the search, and how many pages one may turn (ranked matches past 200 are noise).
SEARCH_PAGE = 20
SEARCH_PAGES = 10


def _search_page(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("page", 1)), 1), SEARCH_PAGES)
    except ValueError:
        return 1


def _search_matches(request: HttpRequest, form: PersonSearchForm, listing: Listing, *, limit: int) -> list:
    """The matches for the search terms: ranked (best first), or every match a search may page through, in the
    order of the column asked for."""
    if listing.sort_key:
        return listing.ordered(selectors.people_matching(request.user, form.terms(), limit=SEARCH_PAGE * SEARCH_PAGES))
    return selectors.people_matching(request.user, form.terms(), limit=limit)


def person_search(request: HttpRequest) -> HttpResponse:
    query = {key: request.GET.get(key, "") for key in SEARCH_KEYS}
    form = PersonSearchForm(query if request.GET else None)
    terms = form.terms()
    searched = form.is_bound and form.is_valid() and not terms.is_empty
    listing = Listing.read(request, lists.PEOPLE)
    number = _search_page(request)
    matches, has_next = [], False
    if searched:
        # One more than the pages so far: whether a next page exists, without counting every match.
        found = _search_matches(request, form, listing, limit=SEARCH_PAGE * number + 1)
        matches = found[SEARCH_PAGE * (number - 1) : SEARCH_PAGE * number]
        has_next = len(found) > SEARCH_PAGE * number and number < SEARCH_PAGES
    context = {
        "form": form,
        "searched": searched,
        "matches": matches,
        "listing": listing,
        "search_page": {
            "number": number,
            "first": SEARCH_PAGE * (number - 1) + 1,
            "last": SEARCH_PAGE * (number - 1) + len(matches),
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if has_next else None,
        },
        "can_register": selectors.can_register(request.user),
        "search_query": _search_query(form) if searched else "",
        "recent": [] if form.is_bound else selectors.people_registered_by(request.user),
        "asked_nothing": form.is_bound and form.is_valid() and terms.is_empty,
    }
    return render(request, "registry/person_search.html", context)


def person_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The search's matches (every page of them, in the page's order) as CSV or XLSX, audited."""
    form = PersonSearchForm({key: request.GET.get(key, "") for key in SEARCH_KEYS})
    if not form.is_valid() or form.terms().is_empty:
        messages.error(request, _("Search first: the export holds the people the search finds."))
        return redirect("registry:person-search")
    listing = Listing.read(request, lists.PEOPLE)
    found = selectors.people_matching(request.user, form.terms(), limit=SEARCH_PAGE * SEARCH_PAGES)
    return listing.export_response(found, fmt)


# --- registration ---------------------------------------------------------------------------------------------


def _registration_search(request: HttpRequest) -> PersonSearchForm:
    """The search that led here: from the query string, then from hidden fields when the form comes back."""
    if request.method == "POST":
        return PersonSearchForm({key: request.POST.get(f"search-{key}", "") for key in SEARCH_KEYS})
    return PersonSearchForm({key: request.GET.get(key, "") for key in SEARCH_KEYS})


def _registration_initial(terms) -> tuple[dict, list[dict]]:
    initial: dict = names_from_search(terms.name)
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
        return redirect("registry:person-search")
    matches = selectors.people_matching(request.user, terms, limit=REGISTRATION_MATCHES)
    options = {"user": request.user, "offices": offices, "has_matches": bool(matches)}
    duplicates: list[checks.PossibleDuplicate] = []
    household_query = request.POST.get("household-query", "").strip()
    chosen_household = request.POST.get("household_reference", "").strip().upper()
    if request.method == "POST" and "household-find" in request.POST:
        # "Find" without JavaScript: the page comes back as typed, with the households found to pick from.
        form = RegistrationForm(initial=_posted_values(request.POST, RegistrationForm(**options)), **options)
        rows = identifier_rows(initial=[_posted_values(request.POST, row) for row in identifier_rows()])
        household_choices = selectors.households_matching(request.user, household_query)
    elif request.method == "POST":
        household_choices = (
            selectors.households_matching(request.user, chosen_household, limit=1) if chosen_household else []
        )
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
                    return redirect("registry:person-detail", reference=person.reference)
    else:
        initial, identifier_initial = _registration_initial(terms)
        if terms.birth_date:
            initial["birth_date"] = search_form.cleaned_data["born"]
        form = RegistrationForm(initial=initial, **options)
        rows = identifier_rows(initial=identifier_initial)
        household_choices = []
    if len(household_choices) == 1 and not chosen_household:
        chosen_household = household_choices[0].household.reference
    context = {
        "household_query": household_query,
        "household_choices": household_choices,
        "households_searched": bool(household_query) or bool(chosen_household),
        "chosen_household": chosen_household,
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


def household_pick(request: HttpRequest) -> HttpResponse:
    """The households to pick from on the registration page, found by a member's name or the reference (a
    fragment the page asks for as the registrar types)."""
    if not selectors.can_register(request.user):
        raise Http404
    query = request.GET.get("household-query", "").strip()
    context = {
        "household_choices": selectors.households_matching(request.user, query),
        "households_searched": bool(query),
        "chosen_household": request.GET.get("household_reference", "").strip().upper(),
    }
    if len(context["household_choices"]) == 1 and not context["chosen_household"]:
        context["chosen_household"] = context["household_choices"][0].household.reference
    return render(request, "registry/_household_choices.html", context)


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


# --- a family at once -----------------------------------------------------------------------------------------


@dataclass
class FamilyEntry:
    """One person of the family on the page: their details, one identifier, and what the duplicate check found."""

    key: str
    form: PersonDetailsForm
    identifier: IdentifierForm
    relationship: str = Relationship.HEAD
    duplicates: list = field(default_factory=list)
    duplicates_unconfirmed: bool = False

    @property
    def is_head(self) -> bool:
        return self.key == "head"

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.identifier.is_valid()])

    def person_input(self, head_input: PersonInput | None = None) -> PersonInput:
        fields = self.form.person_fields()
        if head_input is not None:
            # A member shares the head's legal status, and their nationality unless another one is given.
            fields["nationality"] = fields["nationality"] or head_input.nationality
            legal = {"legal_status": head_input.legal_status, "legal_status_since": head_input.legal_status_since}
        else:
            legal = {
                "legal_status": self.form.cleaned_data["legal_status"],
                "legal_status_since": self.form.cleaned_data["legal_status_since"],
            }
        identifiers = [] if self.identifier.is_blank else [self.identifier.identifier_input()]
        return PersonInput(**fields, **legal, identifiers=identifiers)

    def draft(self, data: PersonInput) -> checks.PersonDraft:
        foreigner_id = next((item.value for item in data.identifiers if item.type == IdentifierType.FOREIGNER_ID), "")
        return checks.PersonDraft(
            first_name=data.first_name,
            father_name=data.father_name,
            family_name=data.family_name,
            original_name=data.original_name,
            sex=data.sex,
            birth_date=data.birth_date,
            birth_date_precision=data.birth_date_precision,
            nationality=data.nationality,
            phone=data.phone,
            foreigner_id=foreigner_id,
        )


def _posted_values(data, form) -> dict:
    """What the page posted for `form`'s fields, as initial values: the page comes back as typed, without errors."""
    return {name: data.get(form.add_prefix(name), "") for name, field in form.fields.items() if not field.disabled}


def _family_entries(request: HttpRequest, *, count: int, quiet: bool, head_names: dict) -> list[FamilyEntry]:
    """The head and `count` member rows, bound to the posted page (unbound with what it posted when `quiet`: a row
    was added, nothing is checked yet), or empty on a first visit (the head's names from the search)."""
    post = request.POST if request.method == "POST" else None

    def build(form_class, key, **kwargs):
        identifier_prefix = f"{key}-identifier"
        if post is None:
            return form_class(**kwargs), IdentifierForm(prefix=identifier_prefix, optional=True)
        if quiet:
            form, identifier = form_class(**kwargs), IdentifierForm(prefix=identifier_prefix, optional=True)
            form.initial = _posted_values(post, form)
            identifier.initial = _posted_values(post, identifier)
            return form, identifier
        return form_class(post, **kwargs), IdentifierForm(post, prefix=identifier_prefix, optional=True)

    head_form, head_identifier = build(FamilyHeadForm, "head", initial=head_names)
    entries = [FamilyEntry("head", head_form, head_identifier)]
    for number in range(count):
        form, identifier = build(FamilyMemberForm, f"member-{number}", number=number)
        if post is not None and form.is_bound and form.is_blank:
            continue  # a row left empty (or removed on the page) is left out
        entries.append(
            FamilyEntry(
                f"member-{number}", form, identifier, relationship=post.get(f"member-{number}-relationship", "")
            )
        )
    return entries


def _new_member_row(request: HttpRequest, number: int) -> FamilyEntry:
    """A row added without JavaScript (the page posted "Add a member"): the head's names carried over."""
    post = request.POST
    carried = carried_names(
        "",
        head_first_name=post.get("head-first_name", "").strip(),
        head_father_name=post.get("head-father_name", "").strip(),
        head_family_name=post.get("head-family_name", "").strip(),
        head_sex=post.get("head-sex", ""),
    )
    return FamilyEntry(
        f"member-{number}",
        FamilyMemberForm(number=number, initial=carried),
        IdentifierForm(prefix=f"member-{number}-identifier", optional=True),
        relationship="",
    )


def _family_duplicates_confirmed(request: HttpRequest, entry: FamilyEntry, family: FamilyForm, matches) -> bool:
    """As for one person (`_duplicates_confirmed`), person by person: the registrar saw this person's possible
    duplicates and ticked that they are none of them; for the head, "none of the people listed above" counts when
    each of them was among the search's likely matches."""
    wanted = {item.reference for item in entry.duplicates}
    seen = set(request.POST.getlist(f"duplicates-seen-{entry.key}"))
    if request.POST.get(f"duplicates-confirmed-{entry.key}") == "yes" and wanted <= seen:
        return True
    if entry.is_head and family.cleaned_data.get("confirmed_new"):
        return wanted <= {match.person.reference for match in matches}
    return False


def family_create(request: HttpRequest) -> HttpResponse:
    """Register a family at once: the head, the members (the head's names carried over where they apply), the
    household's district and address; each person checked for duplicates before anything is saved."""
    offices = selectors.registrar_offices(request.user)
    if not offices:
        raise Http404
    search_form = _registration_search(request)
    terms = search_form.terms()
    if request.method != "POST" and terms.is_empty:
        messages.info(request, _("Search first: the family may already be registered."))
        return redirect("registry:person-search")
    matches = selectors.people_matching(request.user, terms, limit=REGISTRATION_MATCHES)
    options = {"user": request.user, "offices": offices, "has_matches": bool(matches)}
    adding = request.method == "POST" and "add-member" in request.POST
    count = family_member_count(request.POST) if request.method == "POST" else 0
    head_names = names_from_search(terms.name) if request.method != "POST" else {}
    entries = _family_entries(request, count=count, quiet=adding, head_names=head_names)
    if adding:
        family = FamilyForm(**options, initial=_posted_values(request.POST, FamilyForm(**options)))
        entries.append(_new_member_row(request, count))
        count += 1
    elif request.method == "POST":
        family = FamilyForm(request.POST, **options)
        valid = all([family.is_valid(), *(entry.is_valid() for entry in entries)])
        if valid:
            household = _register_family(request, family, entries, matches)
            if household is not None:
                return redirect("registry:household-detail", reference=household.reference)
    else:
        family = FamilyForm(**options)
    family.initial["members"] = count
    if family.is_bound:
        family.data = family.data.copy()
        family.data["members"] = count
    empty_row = FamilyEntry(
        "member-__prefix__",
        FamilyMemberForm(number="__prefix__"),
        IdentifierForm(prefix="member-__prefix__-identifier", optional=True),
    )
    context = {
        "family": family,
        "entries": entries,
        "head": entries[0],
        "members": entries[1:],
        "empty_row": empty_row,
        "member_count": count,
        "search_form": search_form,
        "search_query": _search_query(search_form),
        "terms_text": ", ".join(value for value in search_form.data.values() if value.strip()),
        "matches": matches,
        "single_office": offices[0] if len(offices) == 1 else None,
        "has_errors": request.method == "POST"
        and not adding
        and (family.errors or any(entry.form.errors or entry.identifier.errors for entry in entries)),
        "has_duplicates": any(entry.duplicates for entry in entries),
    }
    return render(request, "registry/family_create.html", context)


def _register_family(request: HttpRequest, family: FamilyForm, entries: list[FamilyEntry], matches) -> Household | None:
    """Check each person for duplicates, then register them all at once; None when something is left to confirm
    or a service refused (its errors are then on the page)."""
    data = family.cleaned_data
    head_input = entries[0].person_input()
    inputs = [head_input, *(entry.person_input(head_input) for entry in entries[1:])]
    unconfirmed = False
    for entry, person_input in zip(entries, inputs, strict=True):
        entry.duplicates = checks.possible_duplicates(
            request.user, office=data["office"], draft=entry.draft(person_input)
        )
        if entry.duplicates and not _family_duplicates_confirmed(request, entry, family, matches):
            entry.duplicates_unconfirmed = f"duplicates-seen-{entry.key}" in request.POST
            unconfirmed = True
    if unconfirmed:
        return None
    try:
        with transaction.atomic():
            household = services.family_enrol(
                office=data["office"],
                head=head_input,
                members=[
                    (person_input, entry.relationship)
                    for entry, person_input in zip(entries[1:], inputs[1:], strict=True)
                ],
                legal_basis=data["legal_basis"],
                district=data["district"],
                address=data["address"],
                by=request.user,
            )
            people = {
                member.person.pk: member.person for member in household.members.select_related("person").order_by("pk")
            }
            registered = list(people.values())
            for entry, person in zip(entries, registered, strict=True):
                if entry.duplicates:
                    # Registered all the same: the pairs go to a reviewer.
                    checks.person_registered(person=person, duplicates=entry.duplicates, by=request.user)
    except ValidationError as exc:
        _add_errors(family, exc)
        return None
    messages.success(
        request,
        ngettext(
            "%(count)d person is registered in household %(reference)s.",
            "%(count)d people are registered in household %(reference)s.",
            len(entries),
        )
        % {"count": len(entries), "reference": household.reference},
    )
    for person in registered:
        for identifier in person.identifiers.exclude(warning=""):
            messages.warning(request, f"{person.full_name}, {identifier.get_type_display()}: {_(identifier.warning)}")
    return household


# --- the person page ------------------------------------------------------------------------------------------


#: The forms a caseworker opens on the person page, by kind: each is written into the page only when it is opened
#: (`person_change_form`, fetched when its <details> opens), or when it comes back with errors.
CHANGE_FORMS = {
    "legal_status": (LegalStatusForm, gettext_lazy("Add a legal status")),
    "identifier": (IdentifierForm, gettext_lazy("Add an identifier")),
    "disability": (DisabilityForm, gettext_lazy("Record Washington Group answers")),
    "vulnerability": (VulnerabilityForm, gettext_lazy("Add a vulnerability")),
    "consent": (ConsentForm, gettext_lazy("Record a consent")),
    "attachment": (AttachmentForm, gettext_lazy("Attach a document")),
}


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
    # The banner and the sections ask several consent questions of this one person: read the consents once.
    prefetch_related_objects([person], "consents")
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
        "change_summaries": {kind: summary for kind, (_form, summary) in CHANGE_FORMS.items()},
        "open": next(iter(bound)) if bound else "",
        "open_form": next(iter(bound.values())) if bound else None,
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


def person_change_form(request: HttpRequest, reference: str, kind: str) -> HttpResponse:
    """One of the person page's forms, empty: the fragment its <details> fetches when opened (htmx), or a page of
    its own (without JavaScript). Rendering all six with every person page was half of the page's server time."""
    person = _person_to_change(request, reference)
    if kind not in CHANGE_FORMS:
        raise Http404
    form_class, summary = CHANGE_FORMS[kind]
    context = {"person": person, "kind": kind, "form": form_class(), "summary": summary}
    if request.headers.get("HX-Request"):
        return render(request, "registry/_change_form.html", context)
    return render(request, "registry/person_change_form.html", context)


def _person_to_change(request: HttpRequest, reference: str) -> Person:
    """The person, if the user may change them: caseworkers and supervisors of the person's office."""
    person = selectors.person_get(request.user, reference=reference)
    if not selectors.can_change(request.user, person):
        raise Http404
    return person


def _after_change(request: HttpRequest, person: Person, message: str, anchor: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(f"{reverse('registry:person-detail', args=[person.reference])}#{anchor}")


def person_edit(request: HttpRequest, reference: str) -> HttpResponse:
    person = _person_to_change(request, reference)
    form = PersonEditForm.for_person(person, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        changes = form.changes(person)
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("registry:person-detail", reference=person.reference)
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
        return redirect("registry:person-detail", reference=person.reference)
    try:
        household = services.household_create(office=person.office, head=person, by=request.user)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return redirect("registry:person-detail", reference=person.reference)
    messages.success(request, _("Household %(reference)s is started.") % {"reference": household.reference})
    return redirect("registry:household-detail", reference=household.reference)


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
    return redirect("registry:person-detail", reference=person.reference)


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
        "sections": [
            (section, render_to_string(section.template, section_context, request=request))
            for section, section_context in household_sections_for(user, household)
        ],
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
            return redirect("registry:household-detail", reference=household.reference)
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
    return redirect("registry:household-detail", reference=household.reference)


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
            return redirect(f"{reverse('registry:household-detail', args=[household.reference])}#location")
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
            return redirect("registry:household-detail", reference=household.reference)
    return _household_page(request, household, bound={"head": form})
