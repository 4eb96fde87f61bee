"""The people import: a CSV or XLSX file of people and their households, through staging (core.staging).

One row per person; `household_ref` groups the members of a household in the file, exactly one of them the
`head`. The commit registers the people, their foreigner IDs, legal statuses and households in one transaction.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core import staging
from liman.core.choices import Role, Sensitivity
from liman.core.fields import normalise_identifier
from liman.core.models import ImportBatch, User
from liman.core.staging import Column, Problem, StagedValues, insert_many, new_references

from . import checks, permits, search
from .choices import DatePrecision, IdentifierType, LegalStatusType, Relationship, Sex
from .identifiers import normalise_phone, ykn_problems
from .models import Household, HouseholdMember, Identifier, LegalStatus, Person

#: Nobody registered was born before this year; an earlier one is a typing mistake.
EARLIEST_BIRTH_YEAR = 1900
#: ICAO Doc 9303 code for a stateless person: ISO 3166 has none, and a person needs a nationality here.
STATELESS_CODE = "XXA"

_YEAR = re.compile(r"\d{4}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: A Turkish mobile number written the usual ways (0532 123 45 67, 5321234567, +90 532 123 4567): its E.164 form
#: needs no parsing, and most phones in a file are these (libphonenumber takes some 70 µs a number).
_TURKISH_MOBILE = re.compile(r"(?:\+90|0090|0)?(5[0-9]{9})")  # [0-9]: \d also takes Arabic-Indic digits
_NAME_LIMITS = {"first_name": 100, "father_name": 100, "family_name": 100, "original_name": 200}
_HOUSEHOLD_REF_LIMIT = 64
# Looked up once: an enum's `.values` is rebuilt on every access, and a check runs on every row.
_SEXES = frozenset(Sex.values)
_RELATIONSHIPS = tuple(Relationship.values)
_LEGAL_STATUSES = tuple(LegalStatusType.values)


@cache
def _alpha3_codes() -> frozenset[str]:
    import pycountry

    return frozenset(country.alpha_3 for country in pycountry.countries) | {STATELESS_CODE}


def _country_hint(text: str) -> str:
    """The alpha-3 code a user probably meant by a two-letter code or a country name, or ""."""
    import pycountry

    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        return ""
    return country.alpha_3


@staging.register
class PeopleImporter(staging.Importer):
    """People and their households, one row per person."""

    kind = "people"
    label = gettext_lazy("People")
    roles = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
    created_labels = {
        "people": gettext_lazy("People"),
        "households": gettext_lazy("Households"),
        "identifiers": gettext_lazy("Foreigner ID numbers"),
        "legal_statuses": gettext_lazy("Legal statuses"),
    }
    columns = (
        Column("first_name", help=gettext_lazy("Given name, in Latin script as the person writes it.")),
        Column("father_name", help=gettext_lazy("Father's name; may be blank.")),
        Column("family_name", help=gettext_lazy("Family name, in Latin script.")),
        Column("sex", help=gettext_lazy("M or F."), choices=tuple(Sex.values)),
        Column("birth_date", help=gettext_lazy("YYYY-MM-DD, or YYYY when only the year is known.")),
        Column("nationality", help=gettext_lazy("ISO 3166 three-letter code: SYR, AFG, IRQ, IRN…")),
        Column(
            "phone", help=gettext_lazy("Any usual way of writing it (0532 123 45 67); may be blank."), sensitive=True
        ),
        Column(
            "foreigner_id",
            help=gettext_lazy("Foreigner ID number (YKN): 11 digits starting 99; may be blank."),
            sensitive=True,
        ),
        Column(
            "household_ref",
            help=gettext_lazy("A label shared by the members of one household in this file; exactly one is the head."),
        ),
        Column(
            "relationship",
            help=gettext_lazy("Relationship to the head of the household."),
            choices=tuple(Relationship.values),
        ),
        Column("legal_status", help=gettext_lazy("Legal status in Türkiye."), choices=tuple(LegalStatusType.values)),
        Column(
            "original_name",
            required=False,
            help=gettext_lazy("The name in its original script (Arabic, Persian, Pashto); may be blank."),
        ),
        Column(
            "legal_status_from",
            required=False,
            help=gettext_lazy("YYYY-MM-DD: since when the legal status holds; may be blank."),
        ),
        Column(
            "legal_status_until",
            required=False,
            help=gettext_lazy(
                "YYYY-MM-DD: until when it holds (a residence permit's end date); may be blank. A residence permit "
                "for victims of trafficking runs at most 6 months."
            ),
        ),
    )

    def __init__(self, *, office):
        super().__init__(office=office)
        self.today = timezone.localdate()
        #: Row number → registered people it may be (from `checked`): the commit sends the pairs to review.
        self.possible_duplicates: dict[int, list[checks.PossibleDuplicate]] = {}

    # --- one row ---------------------------------------------------------------------------------------------

    def clean_row(self, raw: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        for column, limit in _NAME_LIMITS.items():
            # Names are kept as given (apostrophes, quotes, Arabic script and its zero-width non-joiners);
            # only the spaces around them go, as on the registration form.
            text = raw.get(column, "").strip()
            if not text and column in ("first_name", "family_name"):
                problems.append(Problem(column, _("A value is required.")))
            elif len(text) > limit:
                problems.append(
                    Problem(column, _("At most %(limit)d characters (this has %(length)d).") % _sizes(limit, text))
                )
            values[column] = text
        values["sex"] = self._sex(raw.get("sex", ""), problems)
        values["birth_date"], values["birth_date_precision"] = self._birth_date(raw.get("birth_date", ""), problems)
        values["nationality"] = self._nationality(raw.get("nationality", ""), problems)
        values["phone"] = self._phone(raw.get("phone", ""), problems)
        values["foreigner_id"], values["foreigner_id_warning"] = self._foreigner_id(
            raw.get("foreigner_id", ""), problems
        )
        values["household_ref"] = self._household_ref(raw.get("household_ref", ""), problems)
        values["relationship"] = self._choice("relationship", raw, _RELATIONSHIPS, problems)
        values["legal_status"] = self._choice("legal_status", raw, _LEGAL_STATUSES, problems)
        values["legal_status_from"], values["legal_status_until"] = self._status_period(
            values["legal_status"], raw, problems
        )
        return values, problems

    def _status_period(self, status: str, raw: dict[str, str], problems: list[Problem]) -> tuple[str, str]:
        """The legal status's dates, checked as `LegalStatus.clean` checks them (victim permits: 6 months)."""
        days: dict[str, datetime.date | None] = {}
        for column in ("legal_status_from", "legal_status_until"):
            text = raw.get(column, "").strip()
            days[column] = None
            if not text:
                continue
            try:
                days[column] = datetime.date.fromisoformat(text) if _DATE.fullmatch(text) else None
            except ValueError:
                pass
            if days[column] is None:
                problems.append(
                    Problem(column, _("Write the date as YYYY-MM-DD (this says “%(value)s”).") % {"value": text})
                )
        started, ended = days["legal_status_from"], days["legal_status_until"]
        if started and ended and ended < started:
            problems.append(Problem("legal_status_until", _("A status cannot end before it starts.")))
        elif status == permits.VICTIM_PERMIT and (problem := permits.period_problem(started, ended)):
            problems.append(Problem("legal_status_until" if started else "legal_status_from", problem))
        return (started.isoformat() if started else ""), (ended.isoformat() if ended else "")

    def _sex(self, text: str, problems: list[Problem]) -> str:
        value = text.strip().upper()
        if value not in _SEXES:
            problems.append(Problem("sex", _("Write M or F (this says “%(value)s”).") % {"value": text}))
        return value

    def _birth_date(self, text: str, problems: list[Problem]) -> tuple[str, str]:
        text = text.strip()
        if _YEAR.fullmatch(text):
            year = int(text)
            if year > self.today.year:
                problems.append(Problem("birth_date", _("%(value)s is in the future.") % {"value": text}))
            elif year < EARLIEST_BIRTH_YEAR:
                problems.append(Problem("birth_date", _too_early(text)))
            return f"{year:04d}-01-01", DatePrecision.YEAR.value
        if _DATE.fullmatch(text):
            try:
                born = datetime.date.fromisoformat(text)
            except ValueError:
                problems.append(Problem("birth_date", _("%(value)s is not a real date.") % {"value": text}))
                return "", DatePrecision.DAY.value
            if born > self.today:
                problems.append(Problem("birth_date", _("%(value)s is in the future.") % {"value": text}))
            elif born.year < EARLIEST_BIRTH_YEAR:
                problems.append(Problem("birth_date", _too_early(text)))
            return text, DatePrecision.DAY.value
        if not text:
            message = _("A value is required: YYYY-MM-DD, or YYYY when only the year is known.")
        else:
            message = _("Write the date as YYYY-MM-DD, or YYYY when only the year is known (this says “%(value)s”).")
            message %= {"value": text}
        problems.append(Problem("birth_date", message))
        return "", DatePrecision.DAY.value

    def _nationality(self, text: str, problems: list[Problem]) -> str:
        code = text.strip().upper()
        if code in _alpha3_codes():
            return code
        if not code:
            problems.append(Problem("nationality", _("A value is required: an ISO 3166 three-letter code.")))
            return code
        message = _("“%(value)s” is not an ISO 3166 three-letter country code.") % {"value": text}
        hint = _country_hint(text.strip())
        if hint:
            message += " " + _("Did you mean %(code)s?") % {"code": hint}
        problems.append(Problem("nationality", message))
        return code

    def _phone(self, text: str, problems: list[Problem]) -> str:
        text = text.strip()
        if not text:
            return ""
        mobile = _TURKISH_MOBILE.fullmatch(text.replace(" ", ""))
        if mobile:
            return "+90" + mobile.group(1)
        try:
            return normalise_phone(text)
        except ValueError:
            problems.append(Problem("phone", _("“%(value)s” is not a phone number.") % {"value": text}))
            return ""

    def _foreigner_id(self, text: str, problems: list[Problem]) -> tuple[str, str]:
        number = text.strip()
        if not number:
            return "", ""
        errors, warnings = ykn_problems(number)
        problems += [Problem("foreigner_id", message) for message in errors]
        problems += [Problem("foreigner_id", message, blocking=False) for message in warnings]
        return number, " ".join(warnings)

    def _household_ref(self, text: str, problems: list[Problem]) -> str:
        ref = text.strip()
        if not ref:
            problems.append(Problem("household_ref", _("A value is required: the same label for each member.")))
        elif len(ref) > _HOUSEHOLD_REF_LIMIT:
            problems.append(
                Problem(
                    "household_ref",
                    _("At most %(limit)d characters (this has %(length)d).") % _sizes(_HOUSEHOLD_REF_LIMIT, ref),
                )
            )
        return ref

    def _choice(self, column: str, raw: dict[str, str], allowed: tuple[str, ...], problems: list[Problem]) -> str:
        text = raw.get(column, "")
        value = text.strip().lower()
        if value not in allowed:
            if not value:
                message = _("A value is required, one of: %(choices)s.") % {"choices": ", ".join(allowed)}
            else:
                message = _("“%(value)s” is not one of: %(choices)s.") % {"value": text, "choices": ", ".join(allowed)}
            problems.append(Problem(column, message))
        return value

    # --- across rows -----------------------------------------------------------------------------------------

    def check_batch(self, rows: Sequence[StagedValues]) -> list[Problem]:
        problems: list[Problem] = []
        problems += self._check_households(rows)
        problems += self._check_duplicates(rows)
        problems += self._check_registered_ids(rows)
        problems += self._check_possible_duplicates(rows)
        return sorted(problems, key=lambda problem: problem.row)

    def _check_households(self, rows: Sequence[StagedValues]) -> list[Problem]:
        members: dict[str, list[int]] = defaultdict(list)
        heads: dict[str, list[int]] = defaultdict(list)
        for item in rows:
            ref = item.values.get("household_ref")
            if not ref:
                continue
            members[ref].append(item.row)
            if item.values.get("relationship") == Relationship.HEAD:
                heads[ref].append(item.row)
        problems = []
        for ref, numbers in members.items():
            found = heads.get(ref, [])
            if not found:
                message = _("Household “%(ref)s” has no head: give one member the relationship “head”.") % {"ref": ref}
                problems += [Problem("household_ref", message, row=number) for number in numbers]
            elif len(found) > 1:
                message = _("Household “%(ref)s” has %(count)d heads (rows %(rows)s); it must have exactly one.") % {
                    "ref": ref,
                    "count": len(found),
                    "rows": ", ".join(str(number) for number in found),
                }
                problems += [Problem("relationship", message, row=number) for number in found]
        return problems

    def _check_duplicates(self, rows: Sequence[StagedValues]) -> list[Problem]:
        problems = []
        seen_rows: dict[tuple, int] = {}
        seen_people: dict[tuple, int] = {}
        seen_ids: dict[str, int] = {}
        for item in rows:
            values = item.values
            whole = tuple(values.values())  # clean_row fills every row's values in the same order
            if whole in seen_rows:
                problems.append(
                    Problem("", _("This row repeats row %(row)d.") % {"row": seen_rows[whole]}, row=item.row)
                )
                continue
            seen_rows[whole] = item.row
            person = (
                values.get("household_ref"),
                *(str(values.get(key, "")).casefold() for key in ("first_name", "father_name", "family_name")),
                values.get("sex"),
                values.get("birth_date"),
            )
            if person in seen_people:
                message = _("The same person as row %(row)d: same name, sex and date of birth in the same household.")
                problems.append(Problem("", message % {"row": seen_people[person]}, row=item.row))
            else:
                seen_people[person] = item.row
            number = values.get("foreigner_id")
            if number:
                if number in seen_ids:
                    message = _("Row %(row)d has the same foreigner ID.") % {"row": seen_ids[number]}
                    problems.append(Problem("foreigner_id", message, row=item.row))
                else:
                    seen_ids[number] = item.row
        return problems

    def _check_registered_ids(self, rows: Sequence[StagedValues]) -> list[Problem]:
        """A foreigner ID already in the registry means the person is registered: importing would add them twice."""
        rows_by_number = {
            normalise_identifier(item.values["foreigner_id"]): item.row
            for item in rows
            if item.values.get("foreigner_id")
        }
        numbers = list(rows_by_number)
        registered: set[str] = set()
        for start in range(0, len(numbers), 500):
            # Found by the blind index; only the (few) matches are decrypted.
            registered |= {
                normalise_identifier(value)
                for value in Identifier.objects.filter(
                    type=IdentifierType.FOREIGNER_ID, value_index__in=numbers[start : start + 500]
                ).values_list("value", flat=True)
            }
        message = _("A person with this foreigner ID is already registered: find them instead of importing the row.")
        return [Problem("foreigner_id", message, row=rows_by_number[number]) for number in registered & set(numbers)]

    def _check_possible_duplicates(self, rows: Sequence[StagedValues]) -> list[Problem]:
        """People of the office each row may be, by the duplicate checkers (the matcher): a warning, not a block,
        since only a person comparing the records can tell. Each names the person, for the commit (`checked`),
        which sends the pairs to review."""
        drafts = {item.row: draft for item in rows if (draft := _draft(item.values)) is not None}
        problems = []
        for row, duplicates in checks.possible_duplicates_of_rows(office=self.office, drafts=drafts).items():
            for duplicate in duplicates:
                message = _("Possible duplicate of %(reference)s (p=%(probability).2f): compare before committing.")
                values = {"reference": duplicate.reference, "probability": duplicate.probability}
                detail = {
                    "person": duplicate.person_id,
                    "reference": duplicate.reference,
                    "probability": duplicate.probability,
                    "likely_same": duplicate.is_likely_same,
                }
                problems.append(Problem("", message % values, blocking=False, row=row, detail=detail))
        return problems

    def check_state(self) -> list:
        return checks.registry_state(office=self.office)

    def checked(self, problems: Sequence[Problem]) -> None:
        self.possible_duplicates = defaultdict(list)
        for problem in problems:
            if problem.detail and "person" in problem.detail:
                detail = problem.detail
                self.possible_duplicates[problem.row].append(
                    checks.PossibleDuplicate(
                        detail["person"], detail["reference"], detail["probability"], detail["likely_same"]
                    )
                )

    # --- commit ----------------------------------------------------------------------------------------------

    def commit(self, rows: Sequence[StagedValues], batch: ImportBatch, by: User | None) -> dict[str, int]:
        office = batch.office
        by_id = by.pk if by is not None else None
        now = timezone.now()
        people = [
            {
                "office_id": office.pk,
                "reference": reference,
                "first_name": item.values["first_name"],
                "father_name": item.values["father_name"],
                "family_name": item.values["family_name"],
                "original_name": item.values["original_name"],
                "sex": item.values["sex"],
                "birth_date": datetime.date.fromisoformat(item.values["birth_date"]),
                "birth_date_precision": item.values["birth_date_precision"],
                "nationality": item.values["nationality"],
                "phone": item.values["phone"],
                "created_by_id": by_id,
                "created_at": now,
            }
            for item, reference in zip(rows, new_references(office.code, Person, len(rows)), strict=True)
        ]
        before = _last_key(Person)
        insert_many(Person, people)
        person_ids = _ids_by_reference(Person, [person["reference"] for person in people], after=before)
        ids = [person_ids[person["reference"]] for person in people]

        identifiers = [
            {
                "person_id": person_id,
                "type": IdentifierType.FOREIGNER_ID.value,
                "value": item.values["foreigner_id"],
                "warning": item.values["foreigner_id_warning"][:200],
                "created_at": now,
            }
            for item, person_id in zip(rows, ids, strict=True)
            if item.values["foreigner_id"]
        ]
        insert_many(Identifier, identifiers)
        statuses = [
            {
                "person_id": person_id,
                "status": item.values["legal_status"],
                "started_on": _date_or_none(item.values.get("legal_status_from", "")),
                "ended_on": _date_or_none(item.values.get("legal_status_until", "")),
            }
            for item, person_id in zip(rows, ids, strict=True)
        ]
        insert_many(LegalStatus, statuses)

        heads = {
            item.values["household_ref"]: person_id
            for item, person_id in zip(rows, ids, strict=True)
            if item.values["relationship"] == Relationship.HEAD
        }
        households = [
            {"office_id": office.pk, "reference": reference, "head_id": head_id, "created_at": now}
            for head_id, reference in zip(
                heads.values(), new_references(f"{office.code}-H", Household, len(heads)), strict=True
            )
        ]
        before = _last_key(Household)
        insert_many(Household, households)
        household_ids = _ids_by_reference(Household, [household["reference"] for household in households], after=before)
        household_of = {
            ref: household_ids[household["reference"]] for ref, household in zip(heads, households, strict=True)
        }
        members = [
            {
                "household_id": household_of[item.values["household_ref"]],
                "person_id": person_id,
                "relationship": item.values["relationship"],
                "joined_on": self.today,
            }
            for item, person_id in zip(rows, ids, strict=True)
        ]
        insert_many(HouseholdMember, members)
        person_of_row = {item.row: person_id for item, person_id in zip(rows, ids, strict=True)}
        found = [
            (person_of_row[row], duplicate)
            for row, duplicates in self.possible_duplicates.items()
            if row in person_of_row
            for duplicate in duplicates
        ]
        if found:
            checks.people_imported(found=found, by=by)
        # What the search finds a person by, written now: a person must be findable as soon as the import commits.
        search.write_search_keys(
            search.KeySource(
                person_id,
                office.pk,
                Sensitivity.NORMAL.value,
                person["first_name"],
                person["father_name"],
                person["family_name"],
                person["original_name"],
                person["birth_date"],
                person["birth_date_precision"],
            )
            for person, person_id in zip(people, ids, strict=True)
        )
        return {
            "people": len(people),
            "households": len(households),
            "identifiers": len(identifiers),
            "legal_statuses": len(statuses),
        }


def _last_key(model) -> int:
    return model._base_manager.aggregate(last=Max("pk"))["last"] or 0


def _ids_by_reference(model, references: list[str], *, after: int) -> dict[str, int]:
    """The keys of records `insert_many` has just inserted, by their unique reference. Keys only grow: each one is
    above `after`, the largest before the insert, so one range of the primary key holds them all (with any record
    someone else added meanwhile, which has another reference)."""
    wanted = set(references)
    inserted = model._base_manager.filter(pk__gt=after).values_list("reference", "pk")
    found = {reference: pk for reference, pk in inserted.iterator(chunk_size=5000) if reference in wanted}
    if len(found) != len(wanted):
        raise RuntimeError(f"{len(wanted) - len(found)} new {model.__name__} records were not found by reference.")
    return found


def _draft(values: dict[str, Any]) -> checks.PersonDraft | None:
    """A row as the duplicate checks read it; None when its names or date of birth are unusable (already reported)."""
    if not values.get("first_name") or not values.get("family_name"):
        return None
    try:
        born = datetime.date.fromisoformat(values["birth_date"]) if values.get("birth_date") else None
    except ValueError:
        return None
    return checks.PersonDraft(
        first_name=values["first_name"],
        father_name=values.get("father_name", ""),
        family_name=values["family_name"],
        original_name=values.get("original_name", ""),
        sex=values.get("sex", "") if values.get("sex") in _SEXES else "",
        birth_date=born,
        birth_date_precision=values.get("birth_date_precision", DatePrecision.DAY.value),
        nationality=values.get("nationality", "") if values.get("nationality") in _alpha3_codes() else "",
        phone=values.get("phone", ""),
        foreigner_id=values.get("foreigner_id", ""),
    )


def _date_or_none(text: str) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _sizes(limit: int, text: str) -> dict[str, int]:
    return {"limit": limit, "length": len(text)}


def _too_early(text: str) -> str:
    return _("%(value)s is before %(year)d: check the year.") % {"value": text, "year": EARLIEST_BIRTH_YEAR}
