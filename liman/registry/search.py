"""Finding a person before registering them again: a fuzzy name search and exact identifier and phone lookups.

A name search computes the keys of what was typed (see `liman.registry.names`), fetches at most a few
hundred candidates through the B-tree index on `PersonNameKey` (scoped to what the user may see), and
ranks them by how well their whole name matches, with a bonus for the same date or year of birth.
Pairs of words are looked up first: "Mohammed Haddad" is selective even where "Mohammed" is not; one word on
its own is a range of the keys (those that start with it, see `names.linked_keys`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, NamedTuple

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from liman.core.bulk import insert_values

from . import names
from .choices import DatePrecision, IdentifierType
from .identifiers import normalise_phone
from .models import Identifier, NameKeyKind, NameSkeleton, Person, PersonNameKey

if TYPE_CHECKING:
    from liman.core.models import User

#: At most this many people are ranked per search.
CANDIDATES = 600
#: At most this many key rows are read per lookup: a common pair ("Mohammed Ahmad") has thousands; the people who
#: also match the other words searched are found among them by adding up their hits across lookups.
ROWS_PER_LOOKUP = 2000
#: Words of a query beyond this are ignored (a name of 6 words has 15 pairs to look up).
MAX_QUERY_WORDS = 6
#: At most this many spellings one typo away are tried per word.
MAX_TYPO_NEIGHBOURS = 40
#: Name matches below this are not likely matches; they are left out.
MIN_NAME_SCORE = 0.65
#: How much a matching date of birth weighs against the name, when both were searched.
BIRTH_WEIGHT = 0.2

#: How much one hit on a key counts when choosing which candidates to rank.
_WORD_PAIR_HIT, _PAIR_HIT, _TYPO_PAIR_HIT, _BIRTH_HIT, _WORD_HIT, _SKELETON_HIT = 4.0, 2.0, 1.5, 1.5, 1.0, 0.5


@dataclass
class PersonMatch:
    """A person who may be the one searched for, how likely (0..1), and why, in words a registrar reads."""

    person: Person
    score: float
    reasons: list[str] = field(default_factory=list)


# --- keys ----------------------------------------------------------------------------------------------------


def birth_keys(born: datetime.date | None, precision: str) -> set[str]:
    """Search keys of a date of birth at its precision; 1 January is often a convention for "year only"."""
    if born is None:
        return set()
    if precision == DatePrecision.YEAR:
        return {f"{born.year:04d}"}
    if precision == DatePrecision.MONTH:
        return {f"{born.year:04d}-{born.month:02d}"}
    keys = {born.isoformat()}
    if (born.month, born.day) == (1, 1):
        keys.add(f"{born.year:04d}")
    return keys


def keys_for(
    first_name: str,
    father_name: str,
    family_name: str,
    original_name: str,
    birth_date: datetime.date | None,
    birth_date_precision: str,
) -> set[tuple[str, str]]:
    """Every (kind, key) row the search finds a person of these names and date of birth by."""
    keys = names.person_name_keys(first_name, father_name, family_name, original_name)
    return keys | {(NameKeyKind.BIRTH, key) for key in birth_keys(birth_date, birth_date_precision)}


def search_keys(person: Person) -> set[tuple[str, str]]:
    """Every (kind, key) row the search finds `person` by."""
    return keys_for(
        person.first_name,
        person.father_name,
        person.family_name,
        person.original_name,
        person.birth_date,
        person.birth_date_precision,
    )


def remember_skeletons(skeletons: Iterable[str]) -> None:
    """File the skeletons not yet known under their deletions (for the typo widening of later searches)."""
    skeletons = {skeleton for skeleton in skeletons if names.filed_deletions(skeleton)}
    if not skeletons:
        return
    known: set[str] = set()
    ordered = sorted(skeletons)
    for start in range(0, len(ordered), 5000):  # a large import has many: stay under the databases' parameter limits
        found = NameSkeleton.objects.filter(skeleton__in=ordered[start : start + 5000], deletion=F("skeleton"))
        known |= set(found.values_list("skeleton", flat=True))
    rows = [
        NameSkeleton(deletion=deletion, skeleton=skeleton)
        for skeleton in sorted(skeletons - known)
        for deletion in sorted(names.filed_deletions(skeleton))
    ]
    if rows:
        NameSkeleton.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)


def skeletons_in(keys: Iterable[tuple[str, str]]) -> set[str]:
    """The skeletons of the words of some (kind, key) rows."""
    return {word for kind, key in keys if kind == NameKeyKind.PAIR for word in names.key_words(key)}


def _key_row(person: Person, kind: str, key: str) -> PersonNameKey:
    return PersonNameKey(person=person, office_id=person.office_id, sensitivity=person.sensitivity, kind=kind, key=key)


def refresh_search_keys(person: Person) -> None:
    """Bring the person's search keys in line with their names, date of birth, office and sensitivity (after a
    registration or any change of those)."""
    wanted = search_keys(person)
    with transaction.atomic():
        existing = {(kind, key): pk for pk, kind, key in person.search_keys.values_list("pk", "kind", "key")}
        stale = [pk for kind_key, pk in existing.items() if kind_key not in wanted]
        if stale:
            PersonNameKey.objects.filter(pk__in=stale).delete()
        person.search_keys.exclude(office_id=person.office_id, sensitivity=person.sensitivity).update(
            office_id=person.office_id, sensitivity=person.sensitivity
        )
        PersonNameKey.objects.bulk_create(
            [_key_row(person, kind, key) for kind, key in sorted(wanted - existing.keys())]
        )
        remember_skeletons(skeletons_in(wanted))


class KeySource(NamedTuple):
    """What a person's search keys are made of, without the person's row (an import writes keys for people it
    has only just inserted)."""

    person_id: int
    office_id: int
    sensitivity: str
    first_name: str
    father_name: str
    family_name: str
    original_name: str
    birth_date: datetime.date | None
    birth_date_precision: str


def rebuild_search_keys(chunk: int = 20_000) -> int:
    """Write every person's search keys afresh (after a change of what the keys are); returns the rows written."""
    fields = ("pk", "office_id", "sensitivity", *KeySource._fields[3:])
    written, after = 0, 0
    with transaction.atomic():
        PersonNameKey.objects.all().delete()
        # Read a chunk, then write its keys: on PostgreSQL the keys stream in by COPY, and no other query may run
        # on the connection while it does.
        while people := list(Person.objects.filter(pk__gt=after).order_by("pk").values_list(*fields)[:chunk]):
            written += write_search_keys([KeySource(*row) for row in people])
            after = people[-1][0]
    return written


def add_search_keys(people: Iterable[Person]) -> int:
    """Write the search keys of people who have none yet, in bulk (demo data, large imports); returns the rows."""
    return write_search_keys(
        KeySource(
            person.pk,
            person.office_id,
            person.sensitivity,
            person.first_name,
            person.father_name,
            person.family_name,
            person.original_name,
            person.birth_date,
            person.birth_date_precision,
        )
        for person in people
    )


def write_search_keys(sources: Iterable[KeySource]) -> int:
    """Write the search keys of new people (who have none yet) in large batches; returns the rows written.
    `sources` must not read the database as it goes (on PostgreSQL the keys stream in by COPY meanwhile).

    Names and dates of birth repeat a lot (a household shares its family name; "Mohammed" is one man in ten),
    so the keys are worked out once per distinct name and date, and the rows go in as plain values: an import
    of 100,000 people writes over a million keys.
    """
    name_keys: dict[tuple[str, str, str, str], tuple[tuple[str, str], ...]] = {}
    date_keys: dict[tuple[datetime.date | None, str], tuple[tuple[str, str], ...]] = {}
    skeletons: set[str] = set()
    birth = NameKeyKind.BIRTH.value

    def rows() -> Iterator[tuple[int, int, str, str, str]]:
        for source in sources:
            name = (source.first_name, source.father_name, source.family_name, source.original_name)
            keys = name_keys.get(name)
            if keys is None:
                keys = name_keys[name] = tuple(sorted(names.person_name_keys(*name)))
                skeletons.update(skeletons_in(keys))
            born = (source.birth_date, source.birth_date_precision)
            dates = date_keys.get(born)
            if dates is None:
                dates = date_keys[born] = tuple((birth, key) for key in sorted(birth_keys(*born)))
            person = (source.person_id, source.office_id, source.sensitivity)
            yield from [person + key for key in keys]
            yield from [person + key for key in dates]

    columns = ("person_id", "office_id", "sensitivity", "kind", "key")
    with transaction.atomic():
        written = insert_values(PersonNameKey, columns, rows())
        remember_skeletons(skeletons)
    return written


# --- the name search -----------------------------------------------------------------------------------------


def _typo_neighbours(skeletons: Sequence[str]) -> dict[str, list[str]]:
    """For each skeleton typed, the skeletons in the registry one typo away from it (one query for all)."""
    wanted = {skeleton: names.deletions(skeleton) for skeleton in skeletons if len(skeleton) >= names.TYPO_MIN_LENGTH}
    if not wanted:
        return {}
    all_deletions = set().union(*wanted.values())
    found: dict[str, set[str]] = {}
    for deletion, skeleton in NameSkeleton.objects.filter(deletion__in=all_deletions).values_list(
        "deletion", "skeleton"
    ):
        found.setdefault(deletion, set()).add(skeleton)
    neighbours: dict[str, list[str]] = {}
    for typed, typed_deletions in wanted.items():
        near = {other for deletion in typed_deletions for other in found.get(deletion, ())}
        near = sorted(other for other in near if other != typed and names.one_typo_apart(typed, other))
        neighbours[typed] = near[:MAX_TYPO_NEIGHBOURS]
    return neighbours


def _birth_search_keys(born: datetime.date) -> list[str]:
    """The keys of the people a date of birth may be: born that day, or recorded by that month or year only."""
    return [born.isoformat(), f"{born:%Y-%m}", f"{born:%Y}"]


def _candidate_ids(keys, query: Sequence[names.Word], enough: int, birth_date: datetime.date | None) -> list[int]:
    """People whose keys match the query's, the most promising first, at most `CANDIDATES` of them."""
    weights: dict[int, float] = {}

    def add(rows, weight: float) -> None:
        for person_id in dict.fromkeys(rows.values_list("person_id", flat=True)[:ROWS_PER_LOOKUP]):
            weights[person_id] = weights.get(person_id, 0.0) + weight

    def collect(kind: str, wanted: Iterable[str], weight: float) -> None:
        wanted = sorted(set(wanted))
        if wanted:
            add(keys.filter(kind=kind, key__in=wanted), weight)

    def collect_starting(kind: str, starts: Iterable[str], weight: float) -> None:
        """People with any of these words: the keys that start with one (each word of a name starts one)."""
        ranges = Q()
        for low, high in sorted({names.starting_range(word) for word in starts if word}):
            ranges |= Q(key__gte=low, key__lt=high)
        if ranges:
            add(keys.filter(ranges, kind=kind), weight)

    skeletons = names.skeletons_of(query)
    neighbours = _typo_neighbours(skeletons)
    if birth_date is not None:  # among many people of one name, those born that day or year come first
        collect(NameKeyKind.BIRTH, _birth_search_keys(birth_date), _BIRTH_HIT)
    canonicals = list(dict.fromkeys(word.canonical for word in query if not word.unvocalised))
    for a, b in combinations(canonicals, 2):
        collect(NameKeyKind.WORD_PAIR, names.pair_keys(a, b), _WORD_PAIR_HIT)
    if len(skeletons) >= 2:
        for a, b in combinations(skeletons, 2):
            collect(NameKeyKind.PAIR, names.pair_keys(a, b), _PAIR_HIT)
        typo_pairs = {
            key
            for typed, nears in neighbours.items()
            for near in nears
            for other in skeletons
            if other != typed
            for key in names.pair_keys(near, other)
        }
        collect(NameKeyKind.PAIR, typo_pairs, _TYPO_PAIR_HIT)
    if len(weights) < enough:
        # One word searched, or too few people share two of the words: each word on its own.
        for word in query:
            if not word.unvocalised:
                collect_starting(NameKeyKind.WORD_PAIR, [word.canonical], _WORD_HIT)
        nears = [near for nears in neighbours.values() for near in nears]
        collect_starting(NameKeyKind.PAIR, [*skeletons, *nears], _SKELETON_HIT)
    ranked = sorted(weights.items(), key=lambda item: -item[1])
    return [person_id for person_id, _weight in ranked[:CANDIDATES]]


def _birth_agreement(searched: datetime.date, born: datetime.date | None, precision: str) -> tuple[float, str]:
    """How well a recorded date of birth agrees with the one searched (0..1), and how."""
    if born is None:
        return 0.0, ""
    if precision == DatePrecision.DAY and born == searched:
        return 1.0, "day"
    if born.year == searched.year:
        if precision == DatePrecision.MONTH and born.month == searched.month:
            return 0.8, "month"
        # A year-only date, or 1 January (the usual convention for one) on either side, agrees as far as it goes.
        year_only = precision == DatePrecision.YEAR or (born.month, born.day) == (1, 1)
        return (0.7 if year_only or (searched.month, searched.day) == (1, 1) else 0.4), "year"
    if abs(born.year - searched.year) == 1:
        return 0.2, "near"
    return 0.0, ""


def _name_agreement(
    query: Sequence[names.Word], first: str, father: str, family: str, original: str, seen: dict
) -> tuple[float, str]:
    """How well the name agrees with the words searched, and the weakest way its words agreed."""
    score, how = names.match_score(query, names.name_words(first, father, family), seen)
    if original:
        original_score, original_how = names.match_score(query, names.words(original), seen)
        if original_score > score:
            score, how = original_score, original_how
    for agreement in (names.Agreement.SIMILAR, names.Agreement.ORIGINAL, names.Agreement.VARIANT):
        if agreement in how:
            return score, agreement
    return score, (names.Agreement.EXACT if how else "")


_REASONS = {
    names.Agreement.EXACT: lambda: _("Name matches"),
    names.Agreement.VARIANT: lambda: _("Name matches in another spelling"),
    names.Agreement.SIMILAR: lambda: _("Similar name"),
    names.Agreement.ORIGINAL: lambda: _("Name in original script matches"),
    "day": lambda: _("Same date of birth"),
    "month": lambda: _("Same month and year of birth"),
    "year": lambda: _("Same year of birth"),
    "near": lambda: _("Born a year apart"),
}


def person_search(
    user: User,
    *,
    text: str = "",
    birth_date: datetime.date | None = None,
    limit: int = 20,
    people: QuerySet[Person] | None = None,
) -> list[PersonMatch]:
    """People `user` may see who are likely the one searched for, best first: by name (fuzzy across
    transliterations, Turkish case and one-letter typos), date of birth, or both.

    The matches are loaded from `people` (by default the people `user` may see, without their phone): a caller
    that shows them passes its own queryset, with what its rows show joined, so they are read once.
    """
    query = names.query_words(text)[:MAX_QUERY_WORDS]
    if limit <= 0 or (not query and birth_date is None):
        return []
    keys = PersonNameKey.objects.visible_to(user)
    if query:
        candidates = _candidate_ids(keys, query, enough=limit, birth_date=birth_date)
    else:
        wanted = _birth_search_keys(birth_date)
        rows = keys.filter(kind=NameKeyKind.BIRTH, key__in=wanted).values_list("person_id", flat=True)
        candidates = list(dict.fromkeys(rows[:ROWS_PER_LOOKUP]))[:CANDIDATES]
    if not candidates:
        return []
    rows = (
        Person.objects.visible_to(user)
        .active()
        .filter(pk__in=candidates)
        .order_by()
        .values_list(
            "pk", "first_name", "father_name", "family_name", "original_name", "birth_date", "birth_date_precision"
        )
    )
    ranked: list[tuple[float, str, int, tuple[str, ...]]] = []
    seen: dict = {}
    for pk, first, father, family, original, born, precision in rows:
        score, agreements = 0.0, ()
        if query:
            score, how = _name_agreement(query, first, father, family, original, seen)
            if score < MIN_NAME_SCORE:
                continue
            agreements = (how,)
        if birth_date is not None:
            agreement, how = _birth_agreement(birth_date, born, precision)
            score = (1 - BIRTH_WEIGHT) * score + BIRTH_WEIGHT * agreement if query else agreement
            agreements += (how,)
        ranked.append((score, f"{family} {first}", pk, agreements))
    ranked.sort(key=lambda item: (-item[0], item[1], item[2]))
    best = ranked[:limit]
    if people is None:
        # The phone is encrypted and no caller of a name search reads it: not decrypted for nothing.
        people = Person.objects.visible_to(user).defer("phone")
    loaded = people.in_bulk([pk for _score, _name, pk, _agreements in best])
    return [
        PersonMatch(loaded[pk], round(score, 3), [_REASONS[how]() for how in agreements if how])
        for score, _name, pk, agreements in best
        if pk in loaded
    ]


# --- exact lookups -------------------------------------------------------------------------------------------


def person_lookup(user: User, *, identifier: str = "", phone: str = "") -> list[PersonMatch]:
    """People `user` may see whose identifier or phone is exactly the one given, through the blind indexes.

    The identifier matches whatever its spacing and case; the phone in any form Turkish numbers are written
    ("0532 123 45 67", "+90 532 123 4567"). Each match says what matched.
    """
    reasons: dict[int, list[str]] = {}
    if identifier.strip():
        found = (
            Identifier.objects.visible_to(user)
            .filter(value_index=identifier.strip())
            .order_by()
            .values_list("person_id", "type")
        )
        for person_id, kind in found[:CANDIDATES]:
            label = IdentifierType(kind).label if kind in IdentifierType.values else kind
            reason = _("%(type)s matches") % {"type": label}
            if reason not in reasons.setdefault(person_id, []):
                reasons[person_id].append(reason)
    if phone.strip():
        try:
            number = normalise_phone(phone.strip())
        except ValueError:
            number = ""
        if number:
            found = Person.objects.visible_to(user).filter(phone_index=number).order_by().values_list("pk", flat=True)
            for person_id in found[:CANDIDATES]:
                reasons.setdefault(person_id, []).append(_("Phone matches"))
    if not reasons:
        return []
    people = Person.objects.visible_to(user).active().in_bulk(list(reasons))
    matches = [PersonMatch(people[pk], 1.0, reasons[pk]) for pk in reasons if pk in people]
    matches.sort(key=lambda match: (-len(match.reasons), match.person.family_name, match.person.first_name))
    return matches
