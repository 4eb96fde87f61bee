"""The rules a person's record must meet, each defined once.

The model's `clean()`, the registration form, the single-person services, the bulk services (the people import,
the demo) all call these functions, so that no path can hold a rule the others lack. Limits of one field (its
length, its choices, whether it may be blank) are the model field's own: `field_problem` reads them from it.
`PERSON_RULES` lists each rule with a value that breaks it, for the test that drives every path with them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .choices import ConsentPurpose, LegalBasis

#: Nobody registered was born before this year; an earlier one is a typing mistake.
EARLIEST_BIRTH_YEAR = 1900
#: ICAO Doc 9303 codes for what ISO 3166 has no code for: a person needs a nationality here.
EXTRA_NATIONALITIES = (("XXA", gettext_noop("Stateless")), ("XXX", gettext_noop("Unspecified nationality")))
STATELESS_CODE = "XXA"


@cache
def nationality_codes() -> frozenset[str]:
    """ISO 3166 three-letter codes, and the ICAO codes for stateless and unspecified."""
    import pycountry

    return frozenset(country.alpha_3 for country in pycountry.countries) | {code for code, _ in EXTRA_NATIONALITIES}


def nationality_problem(code: str) -> str:
    if code in nationality_codes():
        return ""
    return _("“%(value)s” is not an ISO 3166 three-letter country code.") % {"value": code}


def birth_date_problem(born: datetime.date | None, *, today: datetime.date | None = None) -> str:
    """Why a date of birth cannot be right ("" when it can)."""
    if born is None:
        return ""
    if born > (today or timezone.localdate()):
        return _("A date of birth cannot be in the future.")
    if born.year < EARLIEST_BIRTH_YEAR:
        return _("Check the year: %(year)s is before %(earliest)d.") % {
            "year": born.year,
            "earliest": EARLIEST_BIRTH_YEAR,
        }
    return ""


def legal_status_problem(
    status: str, started_on: datetime.date | None, ended_on: datetime.date | None
) -> tuple[str, str]:
    """(field, why) a period of a legal status cannot be; ("", "") when it can. A residence permit for victims of
    trafficking runs at most 6 months a period (docs/domain.md; Law 6458, art. 48): `permits.period_problem`."""
    from . import permits

    if started_on and ended_on and ended_on < started_on:
        return "ended_on", _("A status cannot end before it starts.")
    if status == permits.VICTIM_PERMIT:
        problem = permits.period_problem(started_on, ended_on)
        if problem:
            return ("ended_on" if started_on else "started_on"), problem
    return "", ""


#: The choices as sets, read once: an import checks every row (an enum's `.values` builds its list each time).
_PURPOSES = frozenset(ConsentPurpose.values)
_LEGAL_BASES = frozenset(LegalBasis.values)


def consent_problems(purpose: str, legal_basis: str) -> dict[str, str]:
    """A registration rests on a legal basis for a purpose (the registration form asks for both)."""
    problems = {}
    if purpose not in _PURPOSES:
        problems["purpose"] = _("Choose the purpose, one of: %(choices)s.") % {
            "choices": ", ".join(ConsentPurpose.values)
        }
    if legal_basis not in _LEGAL_BASES:
        problems["legal_basis"] = _("Choose the legal basis for registering this person, one of: %(choices)s.") % {
            "choices": ", ".join(LegalBasis.values)
        }
    return problems


# --- limits of one field, as the model declares them ------------------------------------------------------------


@dataclass(frozen=True)
class FieldLimits:
    required: bool
    max_length: int | None
    choices: frozenset[str] | None


@cache
def field_limits(model: type[models.Model], name: str) -> FieldLimits:
    field = model._meta.get_field(name)
    choices = frozenset(str(value) for value, _label in field.flatchoices) if field.choices else None
    return FieldLimits(required=not field.blank, max_length=getattr(field, "max_length", None), choices=choices)


def field_problem(model: type[models.Model], name: str, value: Any) -> str:
    """Why `value` cannot be the model's field `name` (blank, too long, not one of its choices); "" when it can."""
    limits = field_limits(model, name)
    if value in (None, ""):
        return _("A value is required.") if limits.required else ""
    if limits.max_length is not None and isinstance(value, str) and len(value) > limits.max_length:
        return _("At most %(limit)d characters (this has %(length)d).") % {
            "limit": limits.max_length,
            "length": len(value),
        }
    if limits.choices is not None and str(value) not in limits.choices:
        return _("“%(value)s” is not one of: %(choices)s.") % {
            "value": value,
            "choices": ", ".join(sorted(limits.choices)),
        }
    return ""


#: The fields of a person a registration or an import gives, checked by `person_problems`.
PERSON_FIELDS = ("first_name", "father_name", "family_name", "original_name", "sex", "nationality")


def person_problems(values: Mapping[str, Any], *, today: datetime.date | None = None) -> dict[str, str]:
    """Every rule of one person's own fields: field → why. The model's `clean()` and the bulk services use it."""
    from .models import Person

    problems = {}
    for name in PERSON_FIELDS:
        if name in values and (problem := field_problem(Person, name, values[name])):
            problems[name] = problem
    if (
        "nationality" not in problems
        and values.get("nationality")
        and (problem := nationality_problem(values["nationality"]))
    ):
        problems["nationality"] = problem
    if problem := birth_date_problem(values.get("birth_date"), today=today):
        problems["birth_date"] = problem
    return problems


@dataclass(frozen=True)
class Rule:
    """A rule of a person's record, with a value that breaks it: the test of every write path drives each one
    through the registration form, the single-person service, the import and the bulk service."""

    field: str
    bad_value: str
    why: str


PERSON_RULES = (
    Rule("first_name", "", "a first name is required"),
    Rule("family_name", "", "a family name is required"),
    Rule("first_name", "A" * 101, "a name has at most 100 characters"),
    Rule("father_name", "B" * 101, "a father's name has at most 100 characters"),
    Rule("family_name", "C" * 101, "a family name has at most 100 characters"),
    Rule("sex", "X", "sex is one of the choices"),
    Rule("nationality", "QQQ", "a nationality is an ISO 3166 code"),
    Rule("birth_date", "2999-01-01", "a date of birth is not in the future"),
    Rule("birth_date", "1850-01-01", "a date of birth is not before 1900"),
    Rule("phone", "call me", "a phone is a phone number"),
)
