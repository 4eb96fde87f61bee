"""A second synthetic registry, written apart from `liman.dedup.synthetic`, to measure the matcher on a
population it was not built on.

Nothing here comes from Liman: not the name pools, not the spelling variants, not the noise settings. Names
are written once in a phonemic notation and rendered by the transliteration habits of the desks that register
people (English, French — common among Syrians and Lebanese —, Turkish, German and Kurdish desks), so
that one person's name comes back in spellings a curated table is unlikely to hold ("Dschamal", "Chadi",
"Usame", "Xalid"). Family names are mostly rare, built from their own syllables. The noise model has its own
kinds and rates (`Noise`): typing errors in short names, Turkish dotted capitals inside a word, names typed
in the wrong column or rotated, a name left empty on one side, a birth date missing on one side, given to
the year, as 1 January, a year off, or simply different, changed and missing phones and foreigner IDs.

Households have a head, a spouse, children (twins among them, often given rhyming names: Hasan and
Husayn), sometimes a parent of the head or a sibling. Each record says its `relationship` to the head. A
share of the households register again in another office, with a new household id, most members coming
back.

    population = Population(100_000, seed=5, noise=Noise())
    for row, entity_id in population.records(): ...

This module imports nothing from the project, so that it stays independent of it.
"""

from __future__ import annotations

import csv
import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

COLUMNS = (
    "record_id",
    "first_name",
    "father_name",
    "family_name",
    "sex",
    "birth_date",
    "nationality",
    "phone",
    "foreigner_id",
    "household_id",
    "relationship",
)
TODAY = datetime.date(2026, 11, 1)

# --- names, in a phonemic notation ----------------------------------------------------------------------------
# x = kh, S = sh, g = gh, T = th, D = dh, j = j, q = q, H = pharyngeal h, ' = ayn or hamza (dropped by most
# desks), A I U = long vowels, other letters as in English. Grouped by culture area.

MEN = {
    "arab": (
        "muHammad 'aHmad maHmUd xAlid 'umar 'alI Hasan Husayn yUsuf 'ibrAhIm mustafA jamAl SAdI 'usAma walId "
        "TAriq sAmir bassAm Hamza 'abdallAh 'abdalraHmAn fAdI 'imAd ziyAd 'anas bilAl qAsim nabIl ra'd "
        "jihAd hiSAm maHir rAmI 'ammAr Sukri 'adnAn SafIq jawAd Haydar xalil mansUr ridwan sulaymAn dAwUd "
        "ya'qUb 'Isa mUsa nUr ayman Sarif fayyAd zuhayr gassAn wasIm"
    ).split(),
    "afghan": "ahmadzai gulAb Hamid nAjib zalmay farId jAwId 'azIz rahmat SafiullAh naqIb SIr wahId".split(),
    "kurd": "azAd SErwAn rEbwAr dilSAd bEriwAn hEmin kArwAn baxtiyAr SOrS jiwAn".split(),
}
WOMEN = {
    "arab": (
        "fATima 'A'iSa xadIja maryam zaynab nUr hiba ranA salmA layla huda 'amIra ruqayya samIra yAsmIn "
        "dAniya rIm sAra lubnA waf'a ghAda sanA' manAl 'abIr siham jamIla nadiya karIma Sayma 'asmA'"
    ).split(),
    "afghan": "gulalay malAlay SabnAm farzAna parwIn zarghUna mInA nilOfar".split(),
    "kurd": "SIlAn rOjIn berfIn dilAn Nergiz zIn helIn avIn".split(),
}
FAMILY_COMMON = {
    "arab": (
        "al-Hasan al-'alI al-xalil al-aHmad al-Saix al-Hamud al-'umar al-Husayn al-maHmUd al-jAsim "
        "al-qAdiri al-baxIt al-Hallaq al-Haddad al-najjAr al-xayyAT al-ma'ruf al-SAmi al-Hurani al-dUri "
        "al-zu'bi al-kurdi al-Halabi al-dimaSqi al-Hamawi al-ra'd"
    ).split(),
    "afghan": "ahmadzay popalzay mohmand nUrI rasUli sAdAt hazAra karImi".split(),
    "kurd": "bArzAni zEbAri doski hawrAmi sOrAni".split(),
}
NATIONALITIES = {"SYR": ("arab", 64), "IRQ": ("arab", 9), "AFG": ("afghan", 12), "IRN": ("kurd", 5),
                 "PSE": ("arab", 3), "SOM": ("arab", 3), "IRQK": ("kurd", 4)}  # fmt: skip
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6, 7, 8)
HOUSEHOLD_WEIGHTS = (10, 12, 14, 18, 17, 13, 9, 7)
#: Twins are often given rhyming names.
TWIN_NAMES = {"Hasan": "Husayn", "Husayn": "Hasan", "'umar": "'amr", "fATima": "fATin", "'abIr": "'amIra"}

# --- rendering: how desks write the sounds --------------------------------------------------------------------

_SCHEMES = {
    "english": {
        "x": "kh",
        "S": "sh",
        "g": "gh",
        "T": "th",
        "D": "dh",
        "j": "j",
        "q": "q",
        "H": "h",
        "'": "",
        "A": "a",
        "I": "ee",
        "U": "oo",
        "E": "e",
        "O": "o",
        "y": "y",
        "w": "w",
        "N": "n",
    },
    "french": {
        "x": "kh",
        "S": "ch",
        "g": "gh",
        "T": "t",
        "D": "d",
        "j": "dj",
        "q": "k",
        "H": "h",
        "'": "",
        "A": "a",
        "I": "i",
        "U": "ou",
        "u": "ou",
        "E": "é",
        "O": "o",
        "y": "y",
        "w": "ou",
        "N": "n",
    },
    "turkish": {
        "x": "h",
        "S": "ş",
        "g": "ğ",
        "T": "s",
        "D": "z",
        "j": "c",
        "q": "k",
        "H": "h",
        "'": "",
        "A": "a",
        "I": "i",
        "U": "u",
        "E": "e",
        "O": "o",
        "y": "y",
        "w": "v",
        "N": "n",
    },
    "german": {
        "x": "ch",
        "S": "sch",
        "g": "gh",
        "T": "t",
        "D": "d",
        "j": "dsch",
        "q": "k",
        "H": "h",
        "'": "",
        "A": "a",
        "I": "i",
        "U": "u",
        "E": "e",
        "O": "o",
        "y": "j",
        "w": "w",
        "N": "n",
    },
    "kurdish": {
        "x": "x",
        "S": "ş",
        "g": "x",
        "T": "t",
        "D": "d",
        "j": "c",
        "q": "q",
        "H": "h",
        "'": "",
        "A": "a",
        "I": "î",
        "U": "û",
        "E": "ê",
        "O": "o",
        "y": "y",
        "w": "w",
        "N": "n",
    },
}
SCHEME_WEIGHTS = {"english": 40, "turkish": 30, "french": 18, "german": 4, "kurdish": 8}


def render(phonemic: str, scheme: str, rng: random.Random | None = None) -> str:
    """One spelling of a phonemic name by a desk's habits; `rng` adds the habits that vary within a desk
    (a short vowel written e or o, a Turkish final d written t, the article joined or left out)."""
    table = _SCHEMES[scheme]
    out = []
    for i, ch in enumerate(phonemic):
        letter = table.get(ch, ch)
        if rng is not None and ch in "aiu" and 0 < i < len(phonemic) - 1 and rng.random() < 0.25:
            letter = {"a": "e", "i": "e", "u": "o"}[ch]
        out.append(letter)
    text = "".join(out)
    if scheme == "turkish" and text.endswith("d"):
        text = text[:-1] + "t"
    if text.startswith("al-"):
        roll = rng.random() if rng is not None else 0.0
        rest = text[3:]
        if scheme == "turkish" or roll < 0.3:
            text = rest
        elif scheme == "french" and roll < 0.6:
            text = "el-" + rest
        elif roll < 0.75:
            text = "al" + rest
    return "-".join(part[:1].upper() + part[1:] for part in text.split("-"))


_SYLLABLES = (
    "bar",
    "dal",
    "fer",
    "gan",
    "hab",
    "jar",
    "kas",
    "lum",
    "mar",
    "nes",
    "qad",
    "ras",
    "sab",
    "tur",
    "wan",
    "zar",
    "Sam",
    "xar",
    "dun",
    "hil",
    "kor",
    "mir",
    "sul",
    "tab",
    "yas",
    "zul",
    "gor",
    "bak",
)
_SUFFIXES = ("i", "Awi", "Ani", "On", "Ali", "zAda", "iyya", "Ur", "", "", "")


def tail_family_names(rng: random.Random, count: int) -> list[str]:
    found: set[str] = set()
    while len(found) < count:
        stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
        found.add(("al-" if rng.random() < 0.3 else "") + stem + rng.choice(_SUFFIXES))
    return sorted(found)


# --- the noise model ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Noise:
    """Rates of each kind of error in a re-registration (per record; a name typo per name)."""

    typo: float = 0.12  # one letter dropped, doubled, swapped with the next or replaced, in any name
    capitals: float = 0.12  # written in capitals, Turkish-style (İ inside words)
    swap: float = 0.05  # given and family names typed in each other's column
    rotate: float = 0.03  # the three names moved one column on
    father_missing: float = 0.20
    family_missing: float = 0.05
    date_missing: float = 0.10  # a birth date on one record and none on the other
    year_only: float = 0.15
    first_january: float = 0.06
    year_off: float = 0.06
    date_other: float = 0.05  # another day of the same year (or of any year, a third of the time)
    phone_changed: float = 0.45
    phone_missing: float = 0.15
    id_missing: float = 0.40
    id_changed: float = 0.05  # another foreigner ID (issued again)
    respell: float = 0.6  # the desk writes with another transliteration scheme

    def scaled(self, kind: str, factor: float) -> Noise:
        """The same noise with the kinds of `NOISE_KINDS[kind]` multiplied by `factor` (at most 0.95)."""
        return replace(self, **{name: min(0.95, getattr(self, name) * factor) for name in NOISE_KINDS[kind]})


#: The kinds of noise the sensitivity table turns up, and the rates each covers.
NOISE_KINDS = {
    "typos": ("typo", "capitals"),
    "names in other columns": ("swap", "rotate"),
    "names missing": ("father_missing", "family_missing"),
    "birth date missing or imprecise": ("date_missing", "year_only", "first_january"),
    "birth date different": ("year_off", "date_other"),
    "phone and ID changed": ("phone_changed", "phone_missing", "id_missing", "id_changed"),
}
assert all(name in {f.name for f in fields(Noise)} for names in NOISE_KINDS.values() for name in names)


def typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text))
    kind = rng.random()
    if kind < 0.3:
        return text[:i] + text[i + 1 :]
    if kind < 0.55:
        return text[:i] + text[i] + text[i:]
    if kind < 0.8 and i < len(text) - 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("aeinrsltmdk") + text[i + 1 :]


def dotted_capitals(text: str) -> str:
    return text.replace("i", "İ").replace("ı", "I").upper()


@dataclass
class Person:
    entity_id: int
    given: str  # phonemic
    father: str
    family: str
    sex: str
    born: datetime.date
    nationality: str
    relationship: str
    phone: str = ""
    foreigner_id: str = ""
    schemes: dict = field(default_factory=dict)


class Population:
    """`records()` yields (input row, entity id) for about `size` records."""

    def __init__(self, size: int, *, seed: int = 5, noise: Noise | None = None, duplicate_share: float = 0.22):
        self.size, self.rng, self.noise = size, random.Random(seed), noise or Noise()
        self.duplicate_share = duplicate_share
        self.tail = tail_family_names(random.Random(seed + 11), max(300, size // 30))
        self._record_ids = random.Random(seed + 12).sample(range(1, 10 * size + 1000), k=size + 1000)
        self._next = 0
        self._entity = 0
        self._household = 0

    def _pick(self, names: list[str]) -> str:
        # Common names are common: a Zipf-like draw over the list order.
        weights = [1 / (rank + 1) ** 0.9 for rank in range(len(names))]
        return self.rng.choices(names, weights=weights)[0]

    def _family(self, area: str) -> str:
        if self.rng.random() < 0.6:
            return self.rng.choice(self.tail)
        return self._pick(FAMILY_COMMON[area])

    def _born(self, low: int, high: int) -> datetime.date:
        return TODAY - datetime.timedelta(days=self.rng.randrange(low * 365, high * 365 + 364))

    def _phone(self) -> str:
        return "05" + str(self.rng.randrange(300_000_000, 559_999_999))

    def _foreigner_id(self) -> str:
        digits = [9, 9] + [self.rng.randrange(10) for _ in range(7)]
        odd, even = sum(digits[0:9:2]), sum(digits[1:8:2])
        digits.append((odd * 7 - even) % 10)
        digits.append(sum(digits) % 10)
        return "".join(map(str, digits))

    def _new(self, given, father, family, sex, born, nationality, relationship) -> Person:
        self._entity += 1
        return Person(self._entity, given, father, family, sex, born, nationality, relationship)

    def household(self) -> list[Person]:
        rng = self.rng
        nationality = rng.choices(list(NATIONALITIES), weights=[w for _, w in NATIONALITIES.values()])[0]
        area = NATIONALITIES[nationality][0]
        men, women = MEN[area] + MEN["arab"][:10], WOMEN[area] + WOMEN["arab"][:6]
        size = rng.choices(HOUSEHOLD_SIZES, weights=HOUSEHOLD_WEIGHTS)[0]
        family = self._family(area)
        grandfather = self._pick(men)
        head_born = self._born(20, 70)
        head = self._new(self._pick(men), grandfather, family, "M", head_born, nationality, "head")
        members = [head]
        if size >= 2:
            members.append(self._new(self._pick(women), self._pick(men), self._family(area) if area != "arab"
                                     or rng.random() < 0.5 else family, "F", self._born(18, 60), nationality,
                                     "spouse"))  # fmt: skip
        if size >= 4 and rng.random() < 0.12:
            members.append(self._new(grandfather, self._pick(men), family, "M", self._born(60, 90), nationality,
                                     "parent"))  # fmt: skip
        if size >= 3 and rng.random() < 0.08:
            members.append(self._new(self._pick(men), grandfather, family, "M",
                                     head_born + datetime.timedelta(days=rng.randrange(-3000, 3000)),
                                     nationality, "sibling"))  # fmt: skip
        while len(members) < size:
            sex = rng.choice("MF")
            taken = {member.given for member in members}
            given = self._pick(men if sex == "M" else women)
            for _ in range(5):  # parents do not give two children one name
                if given not in taken:
                    break
                given = self._pick(men if sex == "M" else women)
            born = self._born(0, 22)
            members.append(self._new(given, head.given, family, sex, born, nationality, "child"))
            if len(members) < size and rng.random() < 0.04:  # twins
                twin_sex = sex if rng.random() < 0.6 else ("F" if sex == "M" else "M")
                twin = TWIN_NAMES.get(given) if twin_sex == sex else None
                while twin is None or twin == given:
                    twin = self._pick(men if twin_sex == "M" else women)
                members.append(self._new(twin, head.given, family, twin_sex, born, nationality, "child"))
        phone = self._phone() if rng.random() < 0.85 else ""
        for person in members:
            person.phone = phone if person.relationship in ("head", "spouse") or rng.random() < 0.7 else ""
            person.foreigner_id = self._foreigner_id() if rng.random() < 0.65 else ""
        return members

    # --- one registration of one person ---

    def _write_name(self, phonemic: str, scheme: str) -> str:
        text = render(phonemic, scheme, self.rng)
        if self.rng.random() < self.noise.typo:
            text = typo(self.rng, text)
        return text

    def _birth_text(self, born: datetime.date, *, again: bool) -> str:
        noise, rng = self.noise, self.rng
        if not again:
            roll = rng.random()
            return str(born.year) if roll < 0.1 else f"{born.year}-01-01" if roll < 0.14 else born.isoformat()
        roll = rng.random()
        for rate, written in (
            (noise.date_missing, lambda: ""),
            (noise.year_only, lambda: str(born.year)),
            (noise.first_january, lambda: f"{born.year}-01-01"),
            (noise.year_off, lambda: f"{born.year + rng.choice((-1, 1))}-{born.month:02d}-{min(born.day, 28):02d}"),
            (noise.date_other, lambda: datetime.date(born.year + (rng.randrange(-6, 7) if rng.random() < 0.33 else 0),
                                                     rng.randrange(1, 13), rng.randrange(1, 29)).isoformat()),
        ):  # fmt: skip
            if roll < rate:
                return written()
            roll -= rate
        return born.isoformat()

    def record(self, person: Person, household_id: str, *, again: bool) -> dict[str, str]:
        noise, rng = self.noise, self.rng
        scheme = person.schemes.get("first")
        if scheme is None or (again and rng.random() < noise.respell):
            scheme = rng.choices(list(SCHEME_WEIGHTS), weights=list(SCHEME_WEIGHTS.values()))[0]
        person.schemes.setdefault("first", scheme)
        first = self._write_name(person.given, scheme)
        father = self._write_name(person.father, scheme)
        family = self._write_name(person.family, scheme)
        phone, foreigner_id = person.phone, person.foreigner_id
        if again:
            if rng.random() < noise.father_missing:
                father = ""
            if rng.random() < noise.family_missing:
                family = ""
            roll = rng.random()
            if roll < noise.swap:
                first, family = family, first
            elif roll < noise.swap + noise.rotate:
                first, father, family = (father, family, first) if rng.random() < 0.5 else (family, first, father)
            if phone and rng.random() < noise.phone_changed:
                phone = self._phone()
            elif rng.random() < noise.phone_missing:
                phone = ""
            if foreigner_id and rng.random() < noise.id_missing:
                foreigner_id = ""
            elif rng.random() < noise.id_changed:
                foreigner_id = self._foreigner_id()
        if rng.random() < noise.capitals:
            first, father, family = (dotted_capitals(x) for x in (first, father, family))
        elif phone and rng.random() < 0.3:
            phone = f"+90 {phone[1:4]} {phone[4:7]} {phone[7:9]} {phone[9:]}"
        return {
            "record_id": self._record_id(),
            "first_name": first,
            "father_name": father,
            "family_name": family,
            "sex": person.sex,
            "birth_date": self._birth_text(person.born, again=again),
            "nationality": person.nationality[:3],
            "phone": phone,
            "foreigner_id": foreigner_id,
            "household_id": household_id,
            "relationship": person.relationship if not again or rng.random() > 0.03 else "other",
        }

    def _record_id(self) -> str:
        self._next += 1
        return f"P{self._record_ids[self._next]:08d}"

    def records(self) -> Iterator[tuple[dict[str, str], int]]:
        written = 0
        while written < self.size:
            members = self.household()
            self._household += 1
            roll = self.rng.random()
            registrations = 1 if roll >= self.duplicate_share else 2 if roll < self.duplicate_share * 0.9 else 3
            for n in range(registrations):
                household_id = f"HH{self._household:07d}{'ABC'[n]}"
                again = members if n == 0 else [m for m in members if self.rng.random() < 0.8] or members[:1]
                for person in again:
                    yield self.record(person, household_id, again=n > 0), person.entity_id
                    written += 1


def write_population(path: Path, truth_path: Path, size: int, *, seed: int = 5, noise: Noise | None = None,
                     relationship: bool = True) -> int:  # fmt: skip
    """Write `size` shuffled records to `path` (with or without the `relationship` column) and
    `record_id,entity_id` to `truth_path`; return the count."""
    population = Population(size, seed=seed, noise=noise)
    rows = []
    for row, entity in population.records():
        rows.append((row, entity))
        if len(rows) >= size:
            break
    random.Random(seed + 13).shuffle(rows)
    columns = COLUMNS if relationship else COLUMNS[:-1]
    with open(path, "w", newline="", encoding="utf-8") as out, open(truth_path, "w", newline="") as truth:
        writer = csv.DictWriter(out, columns, extrasaction="ignore")
        truth_writer = csv.writer(truth)
        writer.writeheader()
        truth_writer.writerow(("record_id", "entity_id"))
        for row, entity in rows:
            writer.writerow(row)
            truth_writer.writerow((row["record_id"], entity))
    return len(rows)
