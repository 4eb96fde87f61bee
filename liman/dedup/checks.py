"""Checks before a person is written: the registration page and the people import ask the matcher whether a
registered person may be the same one (through `liman.registry.checks`, which the registry owns).

Candidates come from the registry's own indexes (the name search keys, the blind indexes of foreigner IDs and
phones), then `engine.link` scores the new records against them. The registration page checks the people the
registrar may see; an import checks the people of the office it goes into (those the report's readers see), with
the candidate lookups batched for the whole file.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Max

from liman.core.choices import Sensitivity
from liman.core.models import Office, User
from liman.registry import checks as registry_checks
from liman.registry import names, search
from liman.registry.checks import PersonDraft, PossibleDuplicate
from liman.registry.models import Identifier, NameKeyKind, Person, PersonNameKey
from liman.registry.selectors import people_for_display

from . import engine
from .choices import FoundBy
from .models import OfficeThresholds
from .records import NEW, new_and_existing, record_of, records_by_id
from .services import match_pairs_queue
from .thresholds import loosest, stricter, thresholds_by_office

#: People the name search brings as candidates for one registration.
REGISTRATION_CANDIDATES = 50
#: A name key shared by more people than this in the office is too common to bring candidates on its own.
KEY_CANDIDATES = 300
#: Possible duplicates kept per imported row (the most likely).
PER_ROW = 3
#: Keys looked up per query.
KEY_BATCH = 500
#: Tiers of the people an import is checked against: what caseworkers and supervisors, who import, see.
IMPORT_TIERS = (Sensitivity.NORMAL, Sensitivity.PROTECTION)


def _foreigner_id_token(number: str) -> str:
    """The blind index of a foreigner ID, as stored: the matcher compares tokens, never numbers."""
    if not number:
        return ""
    return Identifier._meta.get_field("value_index").get_prep_value(number) or ""


def draft_record(record_id: str, draft: PersonDraft) -> dict[str, str]:
    return record_of(
        record_id,
        first_name=draft.first_name,
        father_name=draft.father_name,
        family_name=draft.family_name,
        sex=draft.sex,
        birth_date=draft.birth_date,
        birth_date_precision=draft.birth_date_precision,
        nationality=draft.nationality,
        phone=draft.phone,
        foreigner_id=_foreigner_id_token(draft.foreigner_id),
        household_id=draft.household_id,
    )


def _score(drafts: dict[str, PersonDraft], candidates: set[int], office: Office) -> list[tuple[str, int, float, bool]]:
    """(draft key, person, probability, likely the same) for each pair at or above the offices' review thresholds."""
    if not drafts or not candidates:
        return []
    existing = records_by_id(candidates)
    office_of = dict(Person.objects.filter(pk__in=list(existing)).values_list("pk", "office_id"))
    by_office = thresholds_by_office({office.pk, *office_of.values()})
    new = [draft_record(f"{NEW}{key}", draft) for key, draft in drafts.items()]
    population = Person.objects.filter(merged_into__isnull=True).count()
    scored = engine.link(new, list(existing.values()), thresholds=loosest(by_office.values()), population=population)
    found = []
    for pair in scored:
        new_id, existing_id = new_and_existing(pair)
        person_id = int(existing_id)
        thresholds = by_office[office.pk]
        other = by_office.get(office_of.get(person_id), thresholds)
        if other != thresholds:
            thresholds = stricter(thresholds, other)
        band = thresholds.band(pair.match_probability)
        if band == engine.Band.DISTINCT:
            continue
        key = new_id.removeprefix(NEW)
        found.append((key, person_id, pair.match_probability, band == engine.Band.AUTO_LINK))
    return found


# --- the registration page -----------------------------------------------------------------------------------


def registration_duplicates(user: User, office: Office, draft: PersonDraft) -> list[PossibleDuplicate]:
    """People `user` may see who may be the person about to be registered, most likely first."""
    candidates: set[int] = set()
    name = " ".join(part for part in (draft.first_name, draft.father_name, draft.family_name) if part)
    if name:
        for match in search.person_search(user, text=name, birth_date=draft.birth_date, limit=REGISTRATION_CANDIDATES):
            candidates.add(match.person.pk)
    if draft.foreigner_id or draft.phone:
        for match in search.person_lookup(user, identifier=draft.foreigner_id, phone=draft.phone):
            candidates.add(match.person.pk)
    found = _score({"0": draft}, candidates, office)
    if not found:
        return []
    people = {person.pk: person for person in people_for_display(user, [pk for _key, pk, _p, _same in found])}
    return [
        PossibleDuplicate(pk, people[pk].reference, round(probability, 3), likely_same, people[pk])
        for _key, pk, probability, likely_same in sorted(found, key=lambda item: -item[2])
        if pk in people
    ]


def after_registration(person: Person, duplicates: list[PossibleDuplicate], by: User | None) -> None:
    """The registrar registered the person all the same: the pairs go to the review queue."""
    match_pairs_queue(
        found=[(person.pk, item.person_id, item.probability, item.is_likely_same) for item in duplicates],
        found_by=FoundBy.REGISTRATION,
        by=by,
    )


# --- the people import ---------------------------------------------------------------------------------------


def _pairs(draft: PersonDraft) -> set[tuple[str, str]]:
    """The skeleton pairs of the draft's given and family names (a search key of every person so named): robust to
    spellings, selective enough to find candidates by. The father's name is left out: a registration often lacks
    it, and it would bring in the person's siblings."""
    givens = names.skeletons_of(names.words(draft.first_name))
    families = names.skeletons_of(names.words(draft.family_name))
    return {(a, b) for a in givens for b in families if a != b}


def _candidates_by_keys(office: Office, pairs: set[tuple[str, str]]) -> set[int]:
    """People of the office sharing a name pair, leaving out pairs too common to tell anyone apart. A person has a
    pair as one key in either order (see `names.linked_keys`): both are looked up, and counted together (a
    person of two name words has both, and counts twice: a pair common enough for that to matter is left out
    all the same)."""
    rows = PersonNameKey.objects.filter(office=office, sensitivity__in=IMPORT_TIERS, kind=NameKeyKind.PAIR)
    wanted = sorted(pairs)
    found: set[int] = set()
    for start in range(0, len(wanted), KEY_BATCH):
        chunk = {pair: names.pair_keys(*pair) for pair in wanted[start : start + KEY_BATCH]}
        keys = sorted({key for both in chunk.values() for key in both})
        counts = dict(rows.filter(key__in=keys).values("key").annotate(n=Count("person_id")).values_list("key", "n"))
        usable = [
            key
            for both in chunk.values()
            if 0 < sum(counts.get(key, 0) for key in set(both)) <= KEY_CANDIDATES
            for key in both
            if key in counts
        ]
        if usable:
            found.update(rows.filter(key__in=usable).values_list("person_id", flat=True))
    return found


def _candidates_by_phones(office: Office, drafts: dict[int, PersonDraft]) -> set[int]:
    """People of the office with a phone of the file. The phones go to the blind-index field as they are: the
    field hashes them (once) for the lookup. (Foreigner IDs are not looked up: a row whose ID is registered,
    in any office, is refused by the import itself.)"""
    found: set[int] = set()
    phones = sorted({draft.phone for draft in drafts.values() if draft.phone})
    people = Person.objects.filter(office=office, sensitivity__in=IMPORT_TIERS)
    for start in range(0, len(phones), KEY_BATCH):
        found.update(people.filter(phone_index__in=phones[start : start + KEY_BATCH]).values_list("pk", flat=True))
    return found


def import_duplicates(office: Office, drafts: dict[int, PersonDraft]) -> dict[int, list[PossibleDuplicate]]:
    """For each row (by number): the office's people it may be, most likely first, at most `PER_ROW`."""
    if not drafts:
        return {}
    pairs = set().union(*(_pairs(draft) for draft in drafts.values()))
    candidates = _candidates_by_keys(office, pairs) | _candidates_by_phones(office, drafts)
    if candidates:
        merged = Person.objects.filter(pk__in=list(candidates), merged_into__isnull=False)
        candidates -= set(merged.values_list("pk", flat=True))
    found = _score({str(row): draft for row, draft in drafts.items()}, candidates, office)
    if not found:
        return {}
    references = dict(Person.objects.filter(pk__in={pk for _row, pk, _p, _s in found}).values_list("pk", "reference"))
    by_row: dict[int, list[PossibleDuplicate]] = defaultdict(list)
    for row, pk, probability, likely_same in sorted(found, key=lambda item: -item[2]):
        if len(by_row[int(row)]) < PER_ROW:
            by_row[int(row)].append(PossibleDuplicate(pk, references[pk], round(probability, 3), likely_same))
    return dict(by_row)


def after_import(found: list[tuple[int, PossibleDuplicate]], by: User | None) -> None:
    """The rows were imported all the same: the pairs go to the review queue."""
    match_pairs_queue(
        found=[(person_id, item.person_id, item.probability, item.is_likely_same) for person_id, item in found],
        found_by=FoundBy.IMPORT,
        by=by,
    )


def state(office: Office) -> list:
    """What the import check reads besides the registry: the model, and every office's thresholds (a row's pairs
    with other offices' people use the stricter of the two offices')."""
    found = OfficeThresholds.objects.aggregate(count=Count("pk"), last=Max("updated_at"))
    return [engine.MODEL_VERSION, found["count"], str(found["last"])]


CHECKER = registry_checks.DuplicateChecker(
    key="dedup",
    check_person=registration_duplicates,
    check_rows=import_duplicates,
    registered=after_registration,
    imported=after_import,
    state=state,
)
