"""A synthetic registry with known duplicates, to train the model and to measure it.

Households are drawn from the demo's naming pools (the transliterations registrars actually write, see
`liman.registry.demo`) plus a long tail of generated family names, so that common names are common
("Mohammed" is one man in ten) and most family names are rare, as in a real registry. A share of the people
are registered again, by another office, years later, with the noise seen in the field:

* names spelled in another transliteration, in capitals with Turkish İ/ı, with or without the article
  ("Al-Hassan"), with a typing error, the father's or the family name left out, given and family names typed
  in each other's column or the three rotated;
* a date of birth reduced to the year, recorded as 1 January, with day and month swapped, one year off,
  left out, or another day altogether;
* another or no phone number; the foreigner ID (YKN) given one time and not the other, rarely mistyped;
* a new household: a family re-registers together, so duplicates of siblings share a household.

Siblings share family name, father's name, phone and household; twins share the date of birth; cousins
share family and grandfather names. Those are the look-alikes that must not be linked.

Every record carries the id of the person it stands for (`entity_id`), kept out of the matcher's input.
"""

from __future__ import annotations

import csv
import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from liman.registry.demo import NATIONALITIES, Name, People, zipf
from liman.registry.identifiers import ykn_with_checksum

from .engine import COLUMNS

#: The columns of `liman dedup file`'s input (`relationship` is optional).
INPUT_COLUMNS = COLUMNS
WITH_RELATIONSHIP = (*COLUMNS, "relationship")

#: Nationality shares of the registered population.
NATIONALITY_WEIGHTS = {"SYR": 62, "AFG": 12, "IRQ": 8, "IRN": 5, "PAK": 4, "SOM": 3, "PSE": 2, "TUR": 4}
TODAY = datetime.date(2026, 6, 30)

_START = ("Al-", "", "", "", "Abu ", "El-")
_SYLLABLES = ("Ka", "Ha", "Sa", "Ra", "Ja", "Ta", "Ma", "Na", "Da", "Za", "Ba", "Fa", "Qa", "Sha", "Kha", "Ya",
              "Wa", "Ga", "Ni", "Ri", "Mu", "Su", "Hu", "Ku", "Dou", "Zou", "Bi", "Fi")  # fmt: skip
_MIDDLE = ("b", "d", "r", "s", "l", "m", "n", "sh", "kh", "z", "t", "q", "j", "w", "h", "f", "y", "rr", "ss", "ll")
_END = ("ani", "awi", "iri", "ali", "oun", "ari", "abi", "ash", "our", "ir", "an", "i", "zai", "zadeh", "khel",
        "pour", "ai", "eh", "ah", "ouri")  # fmt: skip
_VOWELS = "aeiou"


def _long_tail(rng: random.Random, count: int) -> list[Name]:
    """Plausible family names nobody else has, each with a second spelling (vowel or ending changed)."""
    names: dict[str, Name] = {}
    while len(names) < count:
        stem = rng.choice(_SYLLABLES) + rng.choice(_MIDDLE) + rng.choice(_END)
        if rng.random() < 0.25:
            stem = rng.choice(_SYLLABLES) + stem.lower()
        spelled = (rng.choice(_START) + stem) if rng.random() < 0.2 else stem
        other = _respell(rng, spelled)
        names.setdefault(spelled, Name("", (spelled, other) if other != spelled else (spelled,)))
    return list(names.values())


def _respell(rng: random.Random, text: str) -> str:
    """Another transliteration of the same sounds: a vowel for another, a doubled or undoubled letter."""
    letters = list(text)
    spots = [i for i, ch in enumerate(letters) if ch.lower() in _VOWELS and 0 < i < len(letters) - 1]
    if spots and rng.random() < 0.7:
        i = rng.choice(spots)
        letters[i] = {"a": "e", "e": "a", "i": "ee", "o": "ou", "u": "ou"}[letters[i].lower()]
    elif len(letters) > 3:
        i = rng.randrange(1, len(letters) - 1)
        if letters[i].isalpha():
            letters.insert(i, letters[i])
    return "".join(letters)


def typo(rng: random.Random, text: str) -> str:
    """One keyboard slip: a letter dropped, doubled, swapped with the next or replaced."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.3:
        return text[:i] + text[i + 1 :]
    if kind < 0.5:
        return text[:i] + text[i] + text[i:]
    if kind < 0.75:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("abdehiklmnorstuyz") + text[i + 1 :]


def turkish_upper(text: str) -> str:
    return text.replace("i", "İ").replace("ı", "I").upper()


@dataclass
class Person:
    entity_id: int
    given: Name
    father: Name
    family: Name
    sex: str
    born: datetime.date
    nationality: str
    phone: str
    foreigner_id: str
    household: int
    relationship: str = "head"


@dataclass
class Noise:
    """How often each kind of noise appears in a re-registration."""

    respell: float = 1.0  # each name spelled afresh from its spellings (the usual one more often)
    typo: float = 0.10
    capitals: float = 0.10
    article: float = 0.08
    no_father: float = 0.25
    year_only: float = 0.25
    first_january: float = 0.08
    swapped: float = 0.04
    year_off: float = 0.04
    phone_changed: float = 0.35
    phone_missing: float = 0.20
    id_missing: float = 0.45
    id_typo: float = 0.01
    sex_error: float = 0.003
    family_missing: float = 0.03
    swap: float = 0.03  # given and family names in each other's column
    rotate: float = 0.02  # the three names moved one column on
    date_missing: float = 0.06
    date_other: float = 0.03
    relationship_changed: float = 0.03  # a child registered later as the head of a household, or "other"


class Population:
    """`records()` yields (input row, entity id) for about `size` records."""

    def __init__(self, size: int, *, seed: int = 2026, duplicate_share: float = 0.2, noise: Noise | None = None):
        self.size, self.rng, self.noise = size, random.Random(seed), noise or Noise()
        self.duplicate_share = duplicate_share
        self.peoples = {code: NATIONALITIES[code] for code in NATIONALITY_WEIGHTS}
        tail = _long_tail(random.Random(seed + 1), max(200, size // 40))
        self.tail = tail
        self.tail_weights = zipf(len(tail))
        self._ids = random.Random(seed + 2).sample(range(10_000_000, 99_999_999), k=int(size * 1.2) + 10)
        self._next_id = 0
        self._household = 0

    # --- people ---

    def _family(self, people: People) -> Name:
        if people.code != "TUR" and self.rng.random() < 0.55:
            return self.rng.choices(self.tail, cum_weights=self.tail_weights)[0]
        return people.family(self.rng)

    def _phone(self) -> str:
        return f"+905{self.rng.randrange(30, 56)}{self.rng.randrange(1_000_000, 9_999_999)}"

    def _ykn(self) -> str:
        return ykn_with_checksum("99" + str(self.rng.randrange(1_000_000, 9_999_999)))

    def _birth(self, age_from: int, age_to: int) -> datetime.date:
        return TODAY - datetime.timedelta(days=self.rng.randrange(age_from * 365, age_to * 365 + 364))

    def households(self) -> Iterator[list[Person]]:
        codes, weights = zip(*NATIONALITY_WEIGHTS.items(), strict=True)
        entity = 0
        while True:
            people = self.peoples[self.rng.choices(codes, weights=weights)[0]]
            self._household += 1
            household, family, phone = self._household, self._family(people), self._phone()
            if self.rng.random() < 0.15:
                phone = ""
            grandfather = people.given(self.rng, "M")
            size = self.rng.choices(*zip(*people.sizes, strict=True))[0]
            head_born = self._birth(22, 65)
            head = Person(entity, people.given(self.rng, "M"), grandfather, family, "M", head_born,
                          people.code, phone, self._ykn() if self.rng.random() < 0.6 else "", household)  # fmt: skip
            members = [head]
            if size > 1:
                wife_family = self._family(people) if people.wife_keeps_name else family
                members.append(Person(entity + 1, people.given(self.rng, "F"), people.given(self.rng, "M"),
                                      wife_family, "F", self._birth(18, 60), people.code, phone,
                                      self._ykn() if self.rng.random() < 0.6 else "", household,
                                      "spouse"))  # fmt: skip
            twins_born = None
            for _ in range(size - len(members)):
                sex = self.rng.choice("MF")
                born = twins_born or self._birth(0, 20)
                twins_born = born if self.rng.random() < 0.02 else None
                members.append(Person(entity + len(members), people.given(self.rng, sex), head.given, family, sex,
                                      born, people.code, phone, self._ykn() if self.rng.random() < 0.5 else "",
                                      household, "child"))  # fmt: skip
            entity += len(members)
            yield members

    # --- records ---

    def _record_id(self) -> str:
        self._next_id += 1
        return f"R{self._ids[self._next_id]}"

    def _spell(self, name: Name, *, first: bool) -> str:
        noise, rng = self.noise, self.rng
        text = name.spellings[0] if first and rng.random() < 0.7 else name.spell(rng)
        if not first:
            if text.startswith(("Al-", "El-")) and rng.random() < noise.article * 4:
                text = text[3:]
            elif rng.random() < noise.article:
                text = "Al-" + text
            if rng.random() < noise.typo:
                text = typo(rng, text)
        if rng.random() < noise.capitals:
            text = turkish_upper(text)
        return text

    def _birth_text(self, born: datetime.date, *, first: bool) -> str:
        noise, rng = self.noise, self.rng
        roll = rng.random()
        if first:
            if roll < 0.15:
                return str(born.year)
            if roll < 0.20:
                return f"{born.year}-01-01"
            return born.isoformat()
        if roll < noise.year_only:
            return str(born.year)
        roll -= noise.year_only
        if roll < noise.first_january:
            return f"{born.year}-01-01"
        roll -= noise.first_january
        if roll < noise.swapped and born.day <= 12 and born.day != born.month:
            return f"{born.year}-{born.day:02d}-{born.month:02d}"
        roll -= noise.swapped
        if roll < noise.year_off:
            return f"{born.year + rng.choice((-1, 1))}-{born.month:02d}-{min(born.day, 28):02d}"
        roll -= noise.year_off
        if roll < noise.date_missing:
            return ""
        roll -= noise.date_missing
        if roll < noise.date_other:
            return f"{born.year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        return born.isoformat()

    def record(self, person: Person, household_id: str, *, first: bool) -> dict[str, str]:
        noise, rng = self.noise, self.rng
        phone = person.phone
        foreigner_id = person.foreigner_id
        sex = person.sex
        father = self._spell(person.father, first=first)
        if not first:
            if phone and rng.random() < noise.phone_changed:
                phone = self._phone()
            elif rng.random() < noise.phone_missing:
                phone = ""
            if foreigner_id and rng.random() < noise.id_missing:
                foreigner_id = ""
            elif foreigner_id and rng.random() < noise.id_typo:
                i = rng.randrange(2, 11)
                foreigner_id = foreigner_id[:i] + str((int(foreigner_id[i]) + 1) % 10) + foreigner_id[i + 1 :]
            if rng.random() < noise.no_father:
                father = ""
            if rng.random() < noise.sex_error:
                sex = "F" if sex == "M" else "M"
        elif rng.random() < 0.4:
            foreigner_id = ""
        given, family = self._spell(person.given, first=first), self._spell(person.family, first=first)
        relationship = person.relationship
        if not first and rng.random() < noise.relationship_changed:
            relationship = "other" if relationship != "child" else "head"
        if not first:
            if rng.random() < noise.family_missing:
                family = ""
            roll = rng.random()
            if roll < noise.swap:
                given, family = family, given
            elif roll < noise.swap + noise.rotate:
                given, father, family = father, family, given
        return {
            "record_id": self._record_id(),
            "first_name": given,
            "father_name": father,
            "family_name": family,
            "sex": sex,
            "birth_date": self._birth_text(person.born, first=first),
            "nationality": person.nationality,
            "phone": phone,
            "foreigner_id": foreigner_id,
            "household_id": household_id,
            "relationship": relationship,
        }

    def records(self) -> Iterator[tuple[dict[str, str], int]]:
        """(row, entity id) until about `size` rows; households re-register together."""
        written = 0
        for members in self.households():
            registrations = 1
            roll = self.rng.random()
            if roll < self.duplicate_share * 0.85:
                registrations = 2
            elif roll < self.duplicate_share:
                registrations = 3
            for n in range(registrations):
                household_id = f"H{members[0].household}-{n}"
                # Not everybody comes back: a re-registration brings most of the household.
                again = members if n == 0 else [m for m in members if self.rng.random() < 0.85] or members[:1]
                for person in again:
                    yield self.record(person, household_id, first=n == 0), person.entity_id
                    written += 1
            if written >= self.size:
                return


def write_population(path: Path, truth_path: Path, size: int, *, seed: int = 2026, relationship: bool = True) -> int:
    """Write `size` records (shuffled) to `path` (with the optional `relationship` column unless told not to)
    and `record_id,entity_id` to `truth_path`; return the count."""
    rows = list(Population(size, seed=seed).records())[:size]
    random.Random(seed + 3).shuffle(rows)
    with open(path, "w", newline="", encoding="utf-8") as out, open(truth_path, "w", newline="") as truth:
        columns = WITH_RELATIONSHIP if relationship else INPUT_COLUMNS
        writer, truth_writer = csv.DictWriter(out, columns, extrasaction="ignore"), csv.writer(truth)
        writer.writeheader()
        truth_writer.writerow(("record_id", "entity_id"))
        for row, entity in rows:
            writer.writerow(row)
            truth_writer.writerow((row["record_id"], entity))
    return len(rows)
