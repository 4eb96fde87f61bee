"""Checks later apps run on a person before they are registered or imported, and what they hear after a change.

The registry comes before duplicate detection in the app order, so it must not import it. Instead, an app
registers a `DuplicateChecker` here in its AppConfig.ready() (as apps add person-page sections in `sections.py`);
the registration page and the people import ask every checker registered, and `person_update` tells the
callbacks registered with `on_person_changed`. With nothing registered, the registry works as before.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from liman.core.models import Office, User

    from .models import Person


@dataclass(frozen=True)
class PersonDraft:
    """A person not yet registered, as typed on the registration page or read from an import row."""

    first_name: str
    family_name: str
    sex: str = ""
    nationality: str = ""
    father_name: str = ""
    original_name: str = ""
    birth_date: datetime.date | None = None
    birth_date_precision: str = "day"
    phone: str = ""
    #: The foreigner ID number (YKN) as typed; "" when none was given.
    foreigner_id: str = ""
    #: The household the person joins, when an existing one.
    household_id: int | None = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.father_name, self.family_name) if part)


@dataclass
class PossibleDuplicate:
    """A registered person who may be the one being registered: how likely, and whether likely the same."""

    person_id: int
    reference: str
    probability: float
    is_likely_same: bool = False
    #: The person, loaded for display (office, household) when the check shows them to a user.
    person: Person | None = None


@dataclass(frozen=True)
class DuplicateChecker:
    """What an app offers the registry: checks before a registration or an import, and what to do after one."""

    key: str
    #: (user, office, draft) -> the people `user` may see who may be the draft, most likely first.
    check_person: Callable[..., list[PossibleDuplicate]]
    #: (office, {row number: draft}) -> {row number: possible duplicates}, for the rows that have any.
    check_rows: Callable[..., dict[int, list[PossibleDuplicate]]]
    #: (person, duplicates shown, by) after the registrar registered the person all the same.
    registered: Callable[..., None] = field(default=lambda person, duplicates, by: None)
    #: ([(new person id, possible duplicate)], by) after an import was committed.
    imported: Callable[..., None] = field(default=lambda found, by: None)
    #: (office) -> what else `check_rows` reads, summed up (JSON): see `registry_state`.
    state: Callable[..., Any] = field(default=lambda office: None)


CHECKERS: list[DuplicateChecker] = []
PERSON_CHANGED: list[Callable[..., None]] = []


def register(checker: DuplicateChecker) -> None:
    CHECKERS[:] = [existing for existing in CHECKERS if existing.key != checker.key] + [checker]


def on_person_changed(callback: Callable[..., None]) -> None:
    """`callback(person=..., by=...)` runs after each change of a person's details, inside its transaction."""
    if callback not in PERSON_CHANGED:
        PERSON_CHANGED.append(callback)


def possible_duplicates(user: User, *, office: Office, draft: PersonDraft) -> list[PossibleDuplicate]:
    """Registered people `user` may see who may be the person about to be registered, most likely first."""
    found: dict[int, PossibleDuplicate] = {}
    for checker in CHECKERS:
        for duplicate in checker.check_person(user, office, draft):
            seen = found.get(duplicate.person_id)
            if seen is None or duplicate.probability > seen.probability:
                found[duplicate.person_id] = duplicate
    return sorted(found.values(), key=lambda duplicate: (-duplicate.probability, duplicate.reference))


def registry_state(*, office: Office) -> list:
    """What the checks of new people read, summed up: it changes once anyone is registered, changed, deleted,
    merged or unmerged, given an identifier or a household (and with what the checkers read besides). An import
    checked against one state still holds at commit if the state is the same (see `Importer.check_state`).

    Counts and latest keys and times of the registry's tables, not the whole registry: people are changed through
    `save()` (which sets `updated_at`), merges through `PersonMerge` rows, identifiers and household members are
    added or removed, never changed in place.
    """
    from django.db.models import Count, Max

    from .models import HouseholdMember, Identifier, Person, PersonMerge

    def summed(model, *latest: str) -> list:
        found = model._base_manager.aggregate(count=Count("pk"), last=Max("pk"), **{name: Max(name) for name in latest})
        return [found["count"], found["last"], *(str(found[name]) for name in latest)]

    return [
        summed(Person, "updated_at"),
        summed(Identifier),
        summed(PersonMerge, "unmerged_at"),
        summed(HouseholdMember),
        *(checker.state(office) for checker in CHECKERS),
    ]


def possible_duplicates_of_rows(*, office: Office, drafts: dict[int, PersonDraft]) -> dict[int, list]:
    """For the rows of an import (by row number): registered people each row may be, most likely first."""
    found: dict[int, list[PossibleDuplicate]] = {}
    for checker in CHECKERS:
        for row, duplicates in checker.check_rows(office, drafts).items():
            found.setdefault(row, []).extend(duplicates)
    return {row: sorted(items, key=lambda item: (-item.probability, item.reference)) for row, items in found.items()}


def person_registered(*, person: Person, duplicates: list[PossibleDuplicate], by: User | None) -> None:
    for checker in CHECKERS:
        checker.registered(person, duplicates, by)


def people_imported(*, found: list[tuple[int, PossibleDuplicate]], by: User | None) -> None:
    for checker in CHECKERS:
        checker.imported(found, by)


def person_changed(*, person: Person, by: User | None) -> None:
    for callback in PERSON_CHANGED:
        callback(person=person, by=by)
