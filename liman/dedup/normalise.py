"""What the matcher compares, made comparable, with no Django in it.

Names go through the registry's name keys (`liman.registry.names`: Turkish case folding, Arabic-script
transliteration, `al-`/`Abd al-` forms, the curated spelling variants, the consonant skeleton); phones
become E.164; foreigner IDs are checked; dates of birth are compared knowing how precisely they were given.
The skeleton is used to find candidates and as one level of agreement, never as proof of a match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from liman.registry import names
from liman.registry.identifiers import normalise_phone, ykn_checksum_ok


@dataclass(frozen=True)
class NameFeatures:
    #: Folded words: lower case with Turkish rules, Latin letters, particles joined ("abdrahman hassan").
    fold: str
    #: Each word's key in the spelling-variant table ("mehmet" and "mohammed" are both "muhammad").
    canon: str
    #: Consonant skeleton of the whole name, vowels and letter classes dropped ("khaled", "halit" → "hlt").
    skel: str
    #: Every word is a name of the curated table: two such names with different keys are different names
    #: ("Mohammed" and "Mahmoud" share a skeleton but are two names), whatever their skeletons say.
    known: bool


@lru_cache(maxsize=200_000)
def name_features(text: str) -> NameFeatures:
    tokens = names.name_tokens(text or "")
    return NameFeatures(
        fold=" ".join(tokens),
        canon=" ".join(names.canonical(token) for token in tokens),
        skel="".join(names.skeleton(token) for token in tokens),
        known=bool(tokens) and all(names.canonical(token) in _KNOWN_KEYS for token in tokens),
    )


_KNOWN_KEYS = frozenset(names.VARIANT_INDEX.values())

#: Skeletons are keyed for typing errors by their forms with one letter less down to this length: two letters
#: ("Mahir" and "Marir", "mhr" and "mr"), since a key pairs the form with another name's whole skeleton, the
#: sex and the year of birth, which tell people apart where two letters alone would not.
TYPO_KEY_LENGTH = 2


def typo_keys(skeleton: str) -> list[str]:
    """The skeleton and its forms with one letter less, as long as they keep `TYPO_KEY_LENGTH` letters: two
    skeletons one letter dropped, added, changed or swapped apart share one of them (symmetric deletion, as
    the person search's keys for typing errors)."""
    return sorted(key for key in names.deletions(skeleton) if len(key) >= TYPO_KEY_LENGTH) or [skeleton]


def feature_rows(texts: list[str]) -> list[tuple]:
    """(fold, canon, skel, known, typo keys) of each name of `texts`, None for an empty feature: the rows of the
    matcher's table of names (`engine.prepare`)."""
    rows = []
    for text in texts:
        features = name_features(text)
        typed = typo_keys(features.skel) if features.skel else None
        rows.append((features.fold or None, features.canon or None, features.skel or None, features.known, typed))
    return rows


def phone_key(text: str) -> str:
    """E.164 for a phone written any usual way ("0532 123 45 67", "+90 532…"); "" when it is not a number."""
    if not text or not text.strip():
        return ""
    try:
        return normalise_phone(text)
    except ValueError:
        return ""


_DIGITS = re.compile(r"\D+")


def foreigner_id_key(text: str) -> str:
    """The digits of a foreigner ID (YKN), or "" when it cannot be one (the checksum must hold)."""
    digits = _DIGITS.sub("", text or "")
    return digits if ykn_checksum_ok(digits) else ""


# --- dates of birth ------------------------------------------------------------------------------------------

_DATE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})-(?P<day>\d{2}))?$")


@dataclass(frozen=True)
class BirthDate:
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def year_only(self) -> bool:
        return self.month is None

    @property
    def placeholder(self) -> bool:
        """1 January stands for "born that year" in many registrations."""
        return self.month == 1 and self.day == 1


def birth_date(text: str) -> BirthDate | None:
    """`YYYY-MM-DD` or `YYYY`; None when blank. A value of another shape raises ValueError."""
    text = (text or "").strip()
    if not text:
        return None
    found = _DATE.match(text)
    if not found:
        raise ValueError(f"{text!r} is not a date of birth: use YYYY-MM-DD, or YYYY when only the year is known")
    year = int(found["year"])
    if found["month"] is None:
        return BirthDate(year)
    return BirthDate(year, int(found["month"]), int(found["day"]))


class DateAgreement(StrEnum):
    """How two dates of birth agree, strongest first (the levels of the model's date comparison)."""

    MISSING = "missing"
    EXACT = "exact"
    SWAPPED = "swapped"  # day and month swapped
    SAME_YEAR_IMPRECISE = "same_year_imprecise"  # same year, one of them year-only or 1 January
    SAME_YEAR = "same_year"
    YEAR_APART = "year_apart"
    DIFFERENT = "different"


def birth_date_agreement(left: BirthDate | None, right: BirthDate | None) -> DateAgreement:
    if left is None or right is None:
        return DateAgreement.MISSING
    if left.year != right.year:
        return DateAgreement.YEAR_APART if abs(left.year - right.year) == 1 else DateAgreement.DIFFERENT
    if left.year_only or right.year_only or left.placeholder or right.placeholder:
        return DateAgreement.SAME_YEAR_IMPRECISE
    if (left.month, left.day) == (right.month, right.day):
        return DateAgreement.EXACT
    if (left.month, left.day) == (right.day, right.month):
        return DateAgreement.SWAPPED
    return DateAgreement.SAME_YEAR
