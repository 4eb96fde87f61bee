"""Every read the registry pages show, scoped to the user first."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from liman.core.access import get_visible_or_404, has_role
from liman.core.choices import Role
from liman.core.models import Office, User

from . import search
from .choices import Relationship
from .identifiers import normalise_phone
from .models import (
    Attachment,
    Consent,
    DisabilityAssessment,
    Household,
    HouseholdMember,
    Identifier,
    LegalStatus,
    Person,
    PersonMerge,
    Vulnerability,
)
from .search import PersonMatch

#: Roles that register people and change registry records (in the offices where they hold them).
REGISTRAR_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})


# --- who may change what ------------------------------------------------------------------------------------


def registrar_offices(user: User) -> list[Office]:
    """Offices where `user` may register people: where they hold a caseworker or supervisor role."""
    if getattr(user, "is_superuser", False):
        return list(Office.objects.filter(is_active=True).order_by("code"))
    offices: dict[int, Office] = {}
    everywhere = False
    for grant in user.grants:
        if grant.role not in REGISTRAR_ROLES:
            continue
        if grant.office_id is None:
            everywhere = True
        else:
            offices.setdefault(grant.office_id, grant.office)
    if everywhere:
        return list(Office.objects.filter(is_active=True).order_by("code"))
    return sorted((office for office in offices.values() if office.is_active), key=lambda office: office.code)


def can_register(user: User) -> bool:
    return has_role(user, REGISTRAR_ROLES)


def can_change(user: User, record: Person | Household) -> bool:
    """Caseworkers and supervisors of the record's office change it; everyone else who sees it reads it.
    A merged record (an alias) keeps the values it had: nobody changes it (undoing the merge makes it editable)."""
    if getattr(record, "merged_into_id", None) is not None:
        return False
    return has_role(user, REGISTRAR_ROLES, office=record.office_id)


# --- search -------------------------------------------------------------------------------------------------


@dataclass
class SearchTerms:
    """What a registrar searched by; carried from the search page to the registration page."""

    name: str = ""
    identifier: str = ""
    phone: str = ""
    birth_date: datetime.date | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.identifier or self.phone or self.birth_date)


def _exact_lookups(user: User, *, identifier: str, phone: str) -> list[PersonMatch]:
    """People whose identifier or phone is exactly the one given (through the blind indexes)."""
    lookup = getattr(search, "person_lookup", None)
    if lookup is not None:
        return list(lookup(user, identifier=identifier, phone=phone))
    found: list[PersonMatch] = []
    if identifier:
        identifiers = (
            Identifier.objects.visible_to(user)
            .filter(value_index=identifier, person__merged_into__isnull=True)
            .select_related("person")
        )
        for match in identifiers[:20]:
            found.append(PersonMatch(match.person, 1.0, [_("%(type)s matches") % {"type": match.get_type_display()}]))
    if phone:
        for person in Person.objects.visible_to(user).active().filter(phone_index=normalise_phone(phone))[:20]:
            found.append(PersonMatch(person, 1.0, [_("Phone matches")]))
    return found


def people_matching(user: User, terms: SearchTerms, *, limit: int = 20) -> list[PersonMatch]:
    """Likely matches for the terms, best first: exact identifier and phone hits, then the name search.

    The people come back with their office, household and current legal status loaded, so a list of
    any length costs the same few queries.
    """
    if terms.is_empty:
        return []
    matches: dict[int, PersonMatch] = {}

    def merge(match: PersonMatch) -> None:
        seen = matches.get(match.person.pk)
        if seen is None:
            matches[match.person.pk] = PersonMatch(match.person, match.score, list(match.reasons))
            return
        seen.score = max(seen.score, match.score)
        seen.reasons += [reason for reason in match.reasons if reason not in seen.reasons]

    for match in _exact_lookups(user, identifier=terms.identifier, phone=terms.phone):
        merge(match)
    displayed: dict[int, Person] = {}
    if terms.name or terms.birth_date:
        found = search.person_search(
            user, text=terms.name, birth_date=terms.birth_date, limit=limit, people=people_for_display(user)
        )
        for match in found:
            displayed[match.person.pk] = match.person
            merge(match)
    ranked = sorted(matches.values(), key=lambda match: -match.score)[:limit]
    # The name search loaded its people for display already; the exact lookups' people are loaded here.
    missing = [match.person.pk for match in ranked if match.person.pk not in displayed]
    if missing:
        displayed.update((person.pk, person) for person in people_for_display(user, missing))
    shown = []
    for match in ranked:
        if match.person.pk in displayed:
            match.person = displayed[match.person.pk]
            shown.append(match)
    return shown


def people_for_display(user: User, ids=None) -> QuerySet[Person]:
    """People with what a list row shows (office, household, current legal status) loaded in one go; not their
    phone nor their household's address, which are encrypted and no row shows."""
    people = (
        Person.objects.visible_to(user)
        .select_related("office", "membership__household")
        .defer("phone", "membership__household__address")
    )
    if ids is not None:
        people = people.filter(pk__in=ids)
    current = LegalStatus.objects.filter(ended_on__isnull=True).order_by("-started_on", "-id")
    return people.prefetch_related(Prefetch("legal_statuses", queryset=current, to_attr="current_statuses"))


def people_registered_by(user: User, *, limit: int = 10) -> list[Person]:
    """The latest people `user` registered (read through the index on who registered them, not a scan)."""
    people = people_for_display(user).active().filter(created_by=user)
    return list(people.order_by("-created_at", "-id")[:limit])


# --- one person ---------------------------------------------------------------------------------------------


def person_get(user: User, *, reference: str) -> Person:
    """The person with this reference if `user` may see them, else 404."""
    people = Person.objects.select_related("office", "membership__household", "merged_into", "created_by")
    return get_visible_or_404(people, user, reference=reference.strip().upper())


@dataclass
class PersonRecord:
    """Everything the registry holds about one person that one user may see."""

    person: Person
    household: Household | None = None
    members: list[HouseholdMember] = field(default_factory=list)
    legal_statuses: list[LegalStatus] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    assessments: list[DisabilityAssessment] = field(default_factory=list)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def current_legal_status(self) -> LegalStatus | None:
        return next((status for status in self.legal_statuses if status.ended_on is None), None)

    @property
    def has_disability(self) -> bool | None:
        """The latest WG-SS result; None when never assessed."""
        return self.assessments[0].has_disability if self.assessments else None

    @property
    def current_vulnerabilities(self) -> list[Vulnerability]:
        return [vulnerability for vulnerability in self.vulnerabilities if vulnerability.ended_on is None]


def person_record(user: User, person: Person) -> PersonRecord:
    """One query per kind of record, whatever the number of members, statuses or identifiers."""
    membership = getattr(person, "membership", None)
    household = membership.household if membership else None
    members = []
    if household is not None:
        members = list(
            HouseholdMember.objects.visible_to(user)
            .filter(household=household)
            .select_related("person")
            .order_by("joined_on", "id")
        )
        members.sort(key=lambda member: (member.relationship != Relationship.HEAD, member.joined_on, member.pk))
    mine = {"person": person}
    return PersonRecord(
        person=person,
        household=household,
        members=members,
        legal_statuses=list(LegalStatus.objects.visible_to(user).filter(**mine).order_by("-started_on", "-id")),
        identifiers=list(Identifier.objects.visible_to(user).filter(**mine).order_by("type", "created_at")),
        assessments=list(DisabilityAssessment.objects.visible_to(user).filter(**mine).order_by("-assessed_on", "-id")),
        vulnerabilities=list(Vulnerability.objects.visible_to(user).filter(**mine).order_by("ended_on", "type")),
        consents=list(
            Consent.objects.visible_to(user).filter(**mine).select_related("taken_by").order_by("-given_on", "-id")
        ),
        attachments=list(
            Attachment.objects.visible_to(user).filter(**mine).select_related("uploaded_by").order_by("-uploaded_at")
        ),
    )


def identifier_get(user: User, *, person: Person, pk: int) -> Identifier:
    return get_visible_or_404(Identifier.objects.filter(person=person), user, pk=pk)


def vulnerability_get(user: User, *, person: Person, pk: int) -> Vulnerability:
    return get_visible_or_404(Vulnerability.objects.filter(person=person), user, pk=pk)


def consent_get(user: User, *, person: Person, pk: int) -> Consent:
    return get_visible_or_404(Consent.objects.filter(person=person), user, pk=pk)


def attachment_get(user: User, *, person: Person, pk: int) -> Attachment:
    return get_visible_or_404(Attachment.objects.filter(person=person), user, pk=pk)


# --- households ---------------------------------------------------------------------------------------------


def household_get(user: User, *, reference: str) -> Household:
    return get_visible_or_404(Household.objects.select_related("office", "district"), user, reference=reference)


def household_members(user: User, household: Household) -> list[HouseholdMember]:
    """The members `user` may see (a protection-tier member stays hidden from a viewer), head first."""
    return members_of_households(user, [household]).get(household.pk, [])


def members_of_households(user: User, households: Iterable[Household]) -> dict[int, list[HouseholdMember]]:
    """The members `user` may see of each household, head first, by household id: one query for a page of them."""
    ids = [household.pk for household in households]
    members: dict[int, list[HouseholdMember]] = {pk: [] for pk in ids}
    if not ids:
        return members
    rows = (
        HouseholdMember.objects.visible_to(user)
        .filter(household_id__in=ids)
        .select_related("person", "person__office")
        .order_by("joined_on", "id")
    )
    for member in rows:
        members[member.household_id].append(member)
    for group in members.values():
        group.sort(key=lambda member: (member.relationship != Relationship.HEAD, member.joined_on, member.pk))
    return members


def adults_to_tell(user: User, households: Iterable[Household]) -> dict[int, list[Person]]:
    """For a message to households: the adult members `user` may see of each, the head first (the one to tell;
    the others are who may be told instead). A household with no adult the user may see is left out."""
    adults: dict[int, list[Person]] = {}
    for household_id, members in members_of_households(user, households).items():
        people = [m.person for m in members if m.person.age is None or m.person.age >= 18]
        if people:
            adults[household_id] = people
    return adults


# --- merged records -----------------------------------------------------------------------------------------


def person_merge_in_force(user: User, person: Person) -> PersonMerge | None:
    """The merge that made `person` an alias, if `user` may see it (None when `person` is not merged)."""
    if person.merged_into_id is None:
        return None
    merges = PersonMerge.objects.visible_to(user).in_force().filter(merged=person)
    return merges.select_related("survivor", "merged", "merged_by").first()


@dataclass
class Alias:
    """A record merged into a person, and what stayed with it (rows a one-per-person rule kept from moving)."""

    person: Person
    merge: PersonMerge | None
    kept: list[str] = field(default_factory=list)


def person_aliases(user: User, person: Person) -> list[Alias]:
    """The records merged into `person` that `user` may see, newest merge first (two queries, however many)."""
    # Sorted here, not by the database: ordered by reference, SQLite walked the whole people table by that index
    # instead of finding the few records merged into this person by theirs.
    aliases = sorted(
        Person.objects.visible_to(user).filter(merged_into=person).select_related("office"),
        key=lambda alias: alias.reference,
    )
    merges = {
        merge.merged_id: merge
        for merge in PersonMerge.objects.visible_to(user)
        .in_force()
        .filter(merged__in=[alias.pk for alias in aliases])
        .select_related("merged_by")
    }
    shown = []
    for alias in aliases:
        merge = merges.get(alias.pk)
        kept = []
        if merge is not None:
            for entry in merge.kept:
                name = str(apps.get_model(entry["model"])._meta.verbose_name)
                if name not in kept:
                    kept.append(name)
        shown.append(Alias(alias, merge, kept))
    shown.sort(key=lambda alias: alias.merge.merged_at if alias.merge else alias.person.created_at, reverse=True)
    return shown


@dataclass
class HouseholdChoice:
    """A household offered to pick on the registration page: who heads it, where, how many members."""

    household: Household
    head_name: str
    size: int
    matched: str = ""


def households_matching(user: User, text: str, *, limit: int = 10) -> list[HouseholdChoice]:
    """Households `user` may see, found by their reference (or part of it) or by the name of one of their members,
    best first: what a registrar picks a household by instead of typing its reference."""
    from django.db.models import Count

    text = text.strip()
    if not text:
        return []
    households = Household.objects.visible_to(user).select_related("head", "district", "office")
    found: dict[int, str] = {}
    for household_id in households.filter(reference__icontains=text).values_list("pk", flat=True)[:limit]:
        found[household_id] = ""
    if len(found) < limit:
        matches = search.person_search(user, text=text, limit=limit * 3)
        members = dict(
            HouseholdMember.objects.visible_to(user)
            .filter(person__in=[match.person.pk for match in matches])
            .values_list("person_id", "household_id")
        )
        names = {match.person.pk: match.person for match in matches}
        for match in matches:
            household_id = members.get(match.person.pk)
            if household_id is not None and household_id not in found:
                person = names[match.person.pk]
                found[household_id] = " ".join(
                    part for part in (person.first_name, person.father_name, person.family_name) if part
                )
            if len(found) >= limit:
                break
    loaded = {household.pk: household for household in households.filter(pk__in=found).annotate(size=Count("members"))}
    return [
        HouseholdChoice(loaded[pk], loaded[pk].head.full_name if loaded[pk].head else "", loaded[pk].size, matched)
        for pk, matched in found.items()
        if pk in loaded
    ]
