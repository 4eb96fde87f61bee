"""People as the matcher reads them: one dict of strings per person, keyed by `engine.COLUMNS`.

Read with `values_list`, never as model instances, in chunks in key order, with one query per chunk for the
foreigner IDs and one for the households: a million people stream through in bounded memory. A foreigner ID
goes to the matcher as its blind index (a stable token for the number: nothing is decrypted); the phone is
decrypted, since the matcher reads it as E.164.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from liman.registry.choices import DatePrecision, IdentifierType
from liman.registry.models import HouseholdMember, Identifier, Person

#: People read per query.
CHUNK = 2000
#: Keys at most this many times as spread as the people read are read by range, not by list.
DENSE = 4
#: Prefix of the record ids of the records `engine.link` is asked about (the others are person keys).
NEW = "new-"

_PERSON_FIELDS = (
    "pk",
    "first_name",
    "father_name",
    "family_name",
    "sex",
    "birth_date",
    "birth_date_precision",
    "nationality",
    "phone",
)


def birth_date_text(born: datetime.date | None, precision: str) -> str:
    """`YYYY-MM-DD`, or `YYYY` when less than the day is known (the matcher knows no month-only dates: the year
    alone counts as imprecise, where a made-up day would count as a different date)."""
    if born is None:
        return ""
    if precision == DatePrecision.DAY:
        return born.isoformat()
    return f"{born.year:04d}"


def record_of(
    pk: int | str,
    *,
    first_name: str = "",
    father_name: str = "",
    family_name: str = "",
    sex: str = "",
    birth_date: datetime.date | None = None,
    birth_date_precision: str = DatePrecision.DAY,
    nationality: str = "",
    phone: str = "",
    foreigner_id: str = "",
    household_id: int | str | None = None,
) -> dict[str, str]:
    """One matcher record (every value a string, "" when unknown)."""
    return {
        "record_id": str(pk),
        "first_name": first_name or "",
        "father_name": father_name or "",
        "family_name": family_name or "",
        "sex": sex or "",
        "birth_date": birth_date_text(birth_date, birth_date_precision),
        "nationality": nationality or "",
        "phone": phone or "",
        "foreigner_id": foreigner_id or "",
        "household_id": "" if household_id in (None, "") else str(household_id),
    }


@dataclass(frozen=True)
class _Extras:
    foreigner_ids: dict[int, str]
    households: dict[int, int]


def _extras(ids: list[int]) -> _Extras:
    """Foreigner IDs and households of the people `ids` (sorted): one query each. Where the keys are dense (a run
    over the registry) the rows are read by key range, cheaper than a list of thousands of keys."""
    wanted = set(ids)
    if ids[-1] - ids[0] < DENSE * len(ids):
        among = {"person_id__gte": ids[0], "person_id__lte": ids[-1]}
    else:
        among = {"person_id__in": ids}
    foreigner_ids: dict[int, str] = {}
    found = (
        Identifier.objects.filter(type=IdentifierType.FOREIGNER_ID, **among)
        .order_by("person_id", "created_at", "pk")
        .values_list("person_id", "value_index")
    )
    for person_id, token in found:
        if token and person_id in wanted:
            foreigner_ids.setdefault(person_id, token)  # the first one recorded, when there are several
    households = {
        person_id: household_id
        for person_id, household_id in HouseholdMember.objects.filter(**among).values_list("person_id", "household_id")
        if person_id in wanted
    }
    return _Extras(foreigner_ids, households)


def person_records(people: QuerySet[Person], *, chunk: int = CHUNK) -> Iterator[dict[str, str]]:
    """The matcher records of `people`, in key order, streamed a chunk at a time."""
    rows = people.order_by("pk").values_list(*_PERSON_FIELDS)
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:chunk])
        if not batch:
            return
        extras = _extras([row[0] for row in batch])
        for pk, first, father, family, sex, born, precision, nationality, phone in batch:
            yield record_of(
                pk,
                first_name=first,
                father_name=father,
                family_name=family,
                sex=sex,
                birth_date=born,
                birth_date_precision=precision,
                nationality=nationality,
                phone=phone,
                foreigner_id=extras.foreigner_ids.get(pk, ""),
                household_id=extras.households.get(pk),
            )
        last = batch[-1][0]
        if len(batch) < chunk:
            return


def records_by_id(person_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The records of a few people (a pair, the candidates of one check), by key."""
    ids = sorted(set(person_ids))
    found: dict[int, dict[str, str]] = {}
    for start in range(0, len(ids), CHUNK):
        people = Person.objects.filter(pk__in=ids[start : start + CHUNK])
        found.update((int(record["record_id"]), record) for record in person_records(people))
    return found


def new_and_existing(pair) -> tuple[str, str]:
    """(new record id, existing record id) of a pair from `engine.link`, whichever side each came back on."""
    if pair.record_id_r.startswith(NEW) and not pair.record_id_l.startswith(NEW):
        return pair.record_id_r, pair.record_id_l
    return pair.record_id_l, pair.record_id_r
