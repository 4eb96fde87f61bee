"""The people import: a CSV or XLSX file of people and their households, through staging (core.staging).

One row per person; `household_ref` groups the members of a household in the file, exactly one of them the
`head`. The commit registers the people, their foreigner IDs, legal statuses and households in one transaction.

Consent: what a row says (`consent_purpose`, one purpose or several, on the row's `consent_legal_basis`) is recorded
for each purpose it names; every person is also registered on a legal basis (registration), the one the import
form chose for the file (`legal_basis`) when the row does not name registration itself.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liman.core import staging
from liman.core.choices import Role
from liman.core.fields import normalise_identifier
from liman.core.models import ImportBatch, User
from liman.core.staging import Column, Problem, StagedValues

from . import checks, rules
from .choices import ConsentPurpose, DatePrecision, IdentifierType, LegalBasis, LegalStatusType, Relationship, Sex
from .identifiers import normalise_phone, ykn_problems
from .models import Identifier, Person
from .rules import EARLIEST_BIRTH_YEAR, STATELESS_CODE
from .services import PeopleEnrolled, PersonEnrolment, PersonInput, people_enrol_bulk

__all__ = ["EARLIEST_BIRTH_YEAR", "STATELESS_CODE", "PeopleImporter"]

_YEAR = re.compile(r"\d{4}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: A Turkish mobile number written the usual ways (0532 123 45 67, 5321234567, +90 532 123 4567): its E.164 form
#: needs no parsing, and most phones in a file are these (libphonenumber takes some 70 µs a number).
_TURKISH_MOBILE = re.compile(r"(?:\+90|0090|0)?(5[0-9]{9})")  # [0-9]: \d also takes Arabic-Indic digits
#: Names the file gives: their length limits are the model's (`rules.field_problem`).
_NAMES = ("first_name", "father_name", "family_name", "original_name")
_HOUSEHOLD_REF_LIMIT = 64
# Looked up once: an enum's `.values` is rebuilt on every access, and a check runs on every row.
_SEXES = frozenset(Sex.values)
_RELATIONSHIPS = tuple(Relationship.values)
_LEGAL_STATUSES = tuple(LegalStatusType.values)
_PURPOSES = tuple(ConsentPurpose.values)
#: Between the purposes a consent_purpose cell names: commas (or semicolons, spaces).
_PURPOSE_SEPARATORS = re.compile(r"[,;\s]+")


def _alpha3_codes() -> frozenset[str]:
    return rules.nationality_codes()


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
        "consents": gettext_lazy("Consents and legal bases"),
    }
    # The legal basis of registering the people: for the whole file, or row by row in the columns below.
    batch_options = (
        Column(
            "consent_purpose",
            required=False,
            label=gettext_lazy("Purpose of the registration"),
            help=gettext_lazy("For every row whose consent_purpose is blank (registration when none is given)."),
            choices=tuple(ConsentPurpose.values),
            choice_labels=tuple(ConsentPurpose.choices),
        ),
        Column(
            "legal_basis",
            required=False,
            label=gettext_lazy("Legal basis for registering"),
            help=gettext_lazy(
                "The legal basis of registering every person of the file (unless a row names registration itself), "
                "and of the purposes of each row whose consent_legal_basis is blank. Consent: each person was told "
                "what is recorded and why, and consents."
            ),
            choices=tuple(LegalBasis.values),
            choice_labels=tuple(LegalBasis.choices),
        ),
    )
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
        Column(
            "consent_purpose",
            required=False,
            help=gettext_lazy(
                "What the person consented to, one purpose or several separated by commas (registration, contact, "
                "sharing_payment_provider…); blank: the purpose chosen for the file (registration when none). Every "
                "person is registered on the legal basis chosen for the file, or on this row's when it names "
                "registration."
            ),
            choices=tuple(ConsentPurpose.values),
        ),
        Column(
            "consent_legal_basis",
            required=False,
            help=gettext_lazy(
                "The legal basis of the purposes in consent_purpose (consent: they were told what is recorded and "
                "why, and consent); blank: the one chosen for the whole file."
            ),
            choices=tuple(LegalBasis.values),
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
        for column in _NAMES:
            # Names are kept as given (apostrophes, quotes, Arabic script and its zero-width non-joiners);
            # only the spaces around them go, as on the registration form.
            text = raw.get(column, "").strip()
            if problem := rules.field_problem(Person, column, text):
                problems.append(Problem(column, problem))
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
        purposes, basis, registration = self._consent(raw, problems)
        values.update(consent_purpose=purposes, consent_legal_basis=basis, registration_legal_basis=registration)
        return values, problems

    def _consent(self, raw: dict[str, str], problems: list[Problem]) -> tuple[str, str, str]:
        """The purposes the row names (comma-separated, each once) and their legal basis: the row's, else the file's
        (`declared`); and the legal basis of registering the person: the row's when it names registration, else the
        file's, else the row's."""
        text = raw.get("consent_purpose", "").strip().lower()
        named = [word for word in _PURPOSE_SEPARATORS.split(text) if word] if text else []
        purposes = list(dict.fromkeys(named)) or [self.declared.get("consent_purpose", ConsentPurpose.REGISTRATION)]
        unknown = [purpose for purpose in purposes if purpose not in _PURPOSES]
        if unknown:
            problems.append(
                Problem(
                    "consent_purpose",
                    _("“%(value)s” is not a purpose; write one or more of: %(choices)s, separated by commas.")
                    % {"value": ", ".join(unknown), "choices": ", ".join(_PURPOSES)},
                )
            )
        basis = raw.get("consent_legal_basis", "").strip().lower() or self.declared.get("legal_basis", "")
        registration = basis if ConsentPurpose.REGISTRATION in purposes else self.declared.get("legal_basis") or basis
        if not basis:
            problems.append(
                Problem(
                    "consent_legal_basis",
                    _(
                        "No legal basis for registering this person: fill consent_legal_basis (%(choices)s), or "
                        "choose the legal basis for the whole file (on the command line: --legal-basis)."
                    )
                    % {"choices": ", ".join(LegalBasis.values)},
                )
            )
        elif problem := rules.consent_problems(ConsentPurpose.REGISTRATION, basis).get("legal_basis"):
            problems.append(Problem("consent_legal_basis", problem))
        return ",".join(purposes), basis, registration

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
        field_name, problem = rules.legal_status_problem(status, started, ended)
        if problem:
            problems.append(Problem("legal_status_until" if field_name == "ended_on" else "legal_status_from", problem))
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
            elif problem := rules.birth_date_problem(datetime.date(max(year, 1), 1, 1), today=self.today):
                problems.append(Problem("birth_date", problem))
            return f"{year:04d}-01-01", DatePrecision.YEAR.value
        if _DATE.fullmatch(text):
            try:
                born = datetime.date.fromisoformat(text)
            except ValueError:
                problems.append(Problem("birth_date", _("%(value)s is not a real date.") % {"value": text}))
                return "", DatePrecision.DAY.value
            if born > self.today:
                problems.append(Problem("birth_date", _("%(value)s is in the future.") % {"value": text}))
            elif problem := rules.birth_date_problem(born, today=self.today):
                problems.append(Problem("birth_date", problem))
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
        """Through the registry's bulk service, which checks every row again by the same rules."""
        enrolments = [_enrolment(item.values) for item in rows]
        try:
            enrolled: PeopleEnrolled = people_enrol_bulk(
                office=batch.office,
                enrolments=enrolments,
                by=by,
                reason=_("Import of %(file)s") % {"file": batch.file_name},
            )
        except ValidationError as exc:
            raise staging.ImportRefused(exc.messages) from exc
        person_of_row = {item.row: person_id for item, person_id in zip(rows, enrolled.person_ids, strict=True)}
        found = [
            (person_of_row[row], duplicate)
            for row, duplicates in self.possible_duplicates.items()
            if row in person_of_row
            for duplicate in duplicates
        ]
        if found:
            checks.people_imported(found=found, by=by)
        return enrolled.counts


def _enrolment(values: dict[str, Any]) -> PersonEnrolment:
    """A staged row as the registry's bulk service takes it."""
    return PersonEnrolment(
        person=PersonInput(
            first_name=values["first_name"],
            father_name=values["father_name"],
            family_name=values["family_name"],
            original_name=values["original_name"],
            sex=values["sex"],
            nationality=values["nationality"],
            birth_date=_date_or_none(values["birth_date"]),
            birth_date_precision=values["birth_date_precision"],
            phone=values["phone"],
            legal_status=values["legal_status"],
            legal_status_since=_date_or_none(values.get("legal_status_from", "")),
        ),
        household=values["household_ref"],
        relationship=values["relationship"],
        **_consents(values),
        legal_status_until=_date_or_none(values.get("legal_status_until", "")),
        foreigner_id=values["foreigner_id"],
        foreigner_id_warning=values["foreigner_id_warning"],
    )


def _consents(values: dict[str, Any]) -> dict[str, Any]:
    """A staged row's consents as the bulk service takes them: one per purpose the row names, on the row's legal
    basis, and registration (when the row does not name it) on the basis of registering the person."""
    basis = values.get("consent_legal_basis", "")
    purposes = [purpose for purpose in values.get("consent_purpose", "").split(",") if purpose]
    consents = [(purpose, basis) for purpose in purposes]
    if ConsentPurpose.REGISTRATION not in purposes:
        consents.insert(0, (ConsentPurpose.REGISTRATION.value, values.get("registration_legal_basis") or basis))
    (purpose, legal_basis), *others = consents
    return {"consent_purpose": purpose, "legal_basis": legal_basis, "other_consents": tuple(others)}


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
