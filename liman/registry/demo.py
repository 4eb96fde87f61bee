"""Demo people and households: about 600 people per demo office, reproducible from the seed.

Syrians under temporary protection are the majority; Afghans, Iraqis, Iranians, Pakistanis, Somalis and
Palestinians have the statuses of international protection, residence permits or irregular stay; the
Turkish host community is registered too. Names come in the transliterations registrars actually write
(a household's members are not always spelled alike), some with the name in Arabic or Persian script;
many dates of birth are known to the year only, or recorded as 1 January.

The rows are written in bulk (a few seconds, where the services one by one take minutes), but they are
the rows the services write: validated with `full_clean`, one audit CREATE event per record on the hash
chain, identifiers' checksum warnings, and the search keys (`search.add_search_keys`).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate
from pathlib import Path

from django.conf import settings
from django.db import transaction

from liman.core.choices import Role, Sensitivity
from liman.core.demo import DEMO_OFFICES, demo_username
from liman.core.models import AdminArea, Office, User
from liman.core.services import REFERENCE_ALPHABET, record_create_many

from .choices import (
    WG_DOMAINS,
    ConsentPurpose,
    DatePrecision,
    IdentifierType,
    LegalBasis,
    LegalStatusType,
    Relationship,
    VulnerabilityType,
    WGAnswer,
)
from .identifiers import ykn_problems, ykn_with_checksum
from .models import (
    Consent,
    DisabilityAssessment,
    Household,
    HouseholdMember,
    Identifier,
    LegalStatus,
    Person,
    Vulnerability,
    derive_disability,
)
from .search import add_search_keys

NAMES_DIR = Path(__file__).resolve().parent / "data" / "demo_names"
#: Dates are drawn relative to this day, not today, so that a seed gives the same people every day.
DEMO_DAY = datetime.date(2026, 6, 30)


# --- names ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """A name as it may be written: in its script of origin (or not at all) and its Latin spellings, the usual
    one first."""

    original: str
    spellings: tuple[str, ...]

    def spell(self, rng: random.Random) -> str:
        """The usual spelling more often than not; any other one the rest of the time."""
        if len(self.spellings) == 1 or rng.random() < 0.55:
            return self.spellings[0]
        return rng.choice(self.spellings[1:])


def _names(list_name: str) -> tuple[Name, ...]:
    """The names of `data/demo_names/<list_name>.txt`: `original=Spelling|Other spelling` per line (`=Spelling`
    when there is no other script), most common first."""
    text = (NAMES_DIR / f"{list_name}.txt").read_text(encoding="utf-8")
    found = []
    for line in text.strip().splitlines():
        original, _, spellings = line.strip().partition("=")
        found.append(Name(original.strip(), tuple(spelling.strip() for spelling in spellings.split("|"))))
    return tuple(found)


ARAB_MEN = _names("arab_men")
ARAB_WOMEN = _names("arab_women")
SYRIAN_FAMILIES = _names("syrian_families")
IRAQI_FAMILIES = _names("iraqi_families")
PALESTINIAN_FAMILIES = _names("palestinian_families")
AFGHAN_MEN = _names("afghan_men")
AFGHAN_WOMEN = _names("afghan_women")
AFGHAN_FAMILIES = _names("afghan_families")
IRANIAN_MEN = _names("iranian_men")
IRANIAN_WOMEN = _names("iranian_women")
IRANIAN_FAMILIES = _names("iranian_families")
PAKISTANI_MEN = _names("pakistani_men")
PAKISTANI_WOMEN = _names("pakistani_women")
PAKISTANI_FAMILIES = _names("pakistani_families")
SOMALI_MEN = _names("somali_men")
SOMALI_WOMEN = _names("somali_women")
SOMALI_FAMILIES = _names("somali_families")
TURKISH_MEN = _names("turkish_men")
TURKISH_WOMEN = _names("turkish_women")
TURKISH_FAMILIES = _names("turkish_families")


@cache
def zipf(count: int) -> list[float]:
    """Cumulative popularity of the names in a list, the first most common ("Mohammed" is given far more often
    than "Samer"), for `random.choices(..., cum_weights=...)`."""
    return list(accumulate(1 / (rank + 1) ** 0.9 for rank in range(count)))


@dataclass(frozen=True)
class People:
    """How a nationality's people are named, which legal statuses they hold and how their households are made."""

    code: str
    men: tuple[Name, ...]
    women: tuple[Name, ...]
    families: tuple[Name, ...]
    #: Share of people whose name is also recorded in its original script.
    in_script: float
    languages: tuple[str, ...]
    #: (status, weight): the current legal status in Türkiye.
    statuses: tuple[tuple[str, float], ...]
    #: (household size, weight).
    sizes: tuple[tuple[int, float], ...]
    #: Wives keep their own family name (Arab, Afghan, Iranian, Somali practice); in Türkiye they take the husband's.
    wife_keeps_name: bool = True
    #: Share of adults with a passport recorded.
    passports: float = 0.2

    def given(self, rng: random.Random, sex: str) -> Name:
        pool = self.men if sex == "M" else self.women
        return rng.choices(pool, cum_weights=zipf(len(pool)))[0]

    def family(self, rng: random.Random) -> Name:
        return rng.choices(self.families, cum_weights=zipf(len(self.families)))[0]


_FAMILY_SIZES = ((1, 6), (2, 8), (3, 12), (4, 16), (5, 18), (6, 15), (7, 10), (8, 6))
_SINGLE_TRAVELLERS = ((1, 40), (2, 12), (3, 10), (4, 10), (5, 10), (6, 9), (7, 6), (8, 3))
NATIONALITIES = {
    people.code: people
    for people in (
        People(
            "SYR", ARAB_MEN, ARAB_WOMEN, SYRIAN_FAMILIES, 0.5, ("ar",),
            ((LegalStatusType.TEMPORARY_PROTECTION, 92), (LegalStatusType.RESIDENCE_PERMIT_SHORT_TERM, 4),
             (LegalStatusType.RESIDENCE_PERMIT_FAMILY, 2), (LegalStatusType.IRREGULAR_MIGRANT, 2)),
            _FAMILY_SIZES, passports=0.1,
        ),
        People(
            "IRQ", ARAB_MEN, ARAB_WOMEN, IRAQI_FAMILIES, 0.5, ("ar",),
            ((LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT, 45), (LegalStatusType.CONDITIONAL_REFUGEE, 15),
             (LegalStatusType.RESIDENCE_PERMIT_SHORT_TERM, 25), (LegalStatusType.RESIDENCE_PERMIT_FAMILY, 10),
             (LegalStatusType.IRREGULAR_MIGRANT, 5)),
            _FAMILY_SIZES, passports=0.4,
        ),
        People(
            "PSE", ARAB_MEN, ARAB_WOMEN, PALESTINIAN_FAMILIES, 0.5, ("ar",),
            ((LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT, 40),
             (LegalStatusType.RESIDENCE_PERMIT_HUMANITARIAN, 30),
             (LegalStatusType.RESIDENCE_PERMIT_SHORT_TERM, 20), (LegalStatusType.STATELESS, 10)),
            _FAMILY_SIZES, passports=0.3,
        ),
        People(
            "AFG", AFGHAN_MEN, AFGHAN_WOMEN, AFGHAN_FAMILIES, 0.4, ("fa", "ps"),
            ((LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT, 45), (LegalStatusType.CONDITIONAL_REFUGEE, 10),
             (LegalStatusType.IRREGULAR_MIGRANT, 35), (LegalStatusType.RESIDENCE_PERMIT_HUMANITARIAN, 10)),
            _SINGLE_TRAVELLERS, passports=0.15,
        ),
        People(
            "IRN", IRANIAN_MEN, IRANIAN_WOMEN, IRANIAN_FAMILIES, 0.4, ("fa",),
            ((LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT, 45), (LegalStatusType.CONDITIONAL_REFUGEE, 20),
             (LegalStatusType.RESIDENCE_PERMIT_SHORT_TERM, 25), (LegalStatusType.RESIDENCE_PERMIT_STUDENT, 10)),
            ((1, 30), (2, 25), (3, 25), (4, 15), (5, 5)), passports=0.6,
        ),
        People(
            "PAK", PAKISTANI_MEN, PAKISTANI_WOMEN, PAKISTANI_FAMILIES, 0.0, ("ur",),
            ((LegalStatusType.IRREGULAR_MIGRANT, 60), (LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT, 30),
             (LegalStatusType.RESIDENCE_PERMIT_SHORT_TERM, 10)),
            ((1, 70), (2, 15), (3, 8), (4, 7)), passports=0.5,
        ),
        People(
            "SOM", SOMALI_MEN, SOMALI_WOMEN, SOMALI_FAMILIES, 0.0, ("so",),
            ((LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT, 55), (LegalStatusType.CONDITIONAL_REFUGEE, 20),
             (LegalStatusType.SUBSIDIARY_PROTECTION, 15), (LegalStatusType.IRREGULAR_MIGRANT, 10)),
            ((1, 35), (2, 15), (3, 15), (4, 15), (5, 12), (6, 8)), passports=0.1,
        ),
        People(
            "TUR", TURKISH_MEN, TURKISH_WOMEN, TURKISH_FAMILIES, 0.0, ("tr",),
            ((LegalStatusType.TURKISH_CITIZEN, 1),),
            ((1, 10), (2, 20), (3, 25), (4, 30), (5, 15)), wife_keeps_name=False, passports=0.05,
        ),
    )
}  # fmt: skip
#: Nationalities registered by each demo office, with weights: the coast and Istanbul see more nationalities,
#: the south-east is mostly Syrian, the eastern border mostly Afghan and Iranian.
OFFICE_MIX = {
    "ANK": {"SYR": 40, "IRQ": 15, "AFG": 15, "IRN": 15, "SOM": 5, "PSE": 5, "TUR": 5},
    "IST": {"SYR": 45, "AFG": 15, "IRQ": 8, "IRN": 7, "PAK": 8, "SOM": 5, "PSE": 5, "TUR": 7},
    "IZM": {"SYR": 45, "AFG": 20, "PAK": 10, "SOM": 8, "PSE": 5, "IRQ": 5, "TUR": 7},
    "EDR": {"AFG": 35, "PAK": 25, "SYR": 15, "IRN": 10, "SOM": 5, "IRQ": 5, "TUR": 5},
    "GAZ": {"SYR": 80, "IRQ": 5, "PSE": 3, "TUR": 12},
    "HTY": {"SYR": 82, "PSE": 3, "IRQ": 3, "TUR": 12},
    "SUR": {"SYR": 80, "IRQ": 8, "TUR": 12},
    "VAN": {"AFG": 55, "IRN": 25, "PAK": 10, "IRQ": 5, "TUR": 5},
}

NEIGHBOURHOODS = (
    "Cumhuriyet", "Yeni", "Fatih", "Atatürk", "Merkez", "Yavuz Selim", "Hürriyet", "İstiklal", "Barış", "Gazi",
    "Mimar Sinan", "Fevzi Çakmak", "Esentepe", "Bahçelievler", "Kazım Karabekir", "Yunus Emre", "Mevlana",
)  # fmt: skip
STREETS = ("Gül", "Lale", "Çınar", "Papatya", "Menekşe", "Akasya", "Zeytin", "Nar", "Dere", "Okul", "Cami", "Pazar")


# --- the plan of one household -------------------------------------------------------------------------------


@dataclass
class _Planned:
    """One person to write, with the records that hang off them."""

    person: Person
    relationship: str
    given: Name
    statuses: list[LegalStatus] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    assessments: list[DisabilityAssessment] = field(default_factory=list)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)


class _Numbers:
    """Unique identity numbers and references for one run, drawn from the seeded generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make) -> str:
        while True:
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value

    def reference(self, prefix: str) -> str:
        return self._unique(lambda: f"{prefix}-{''.join(self.rng.choices(REFERENCE_ALPHABET, k=8))}")

    def ykn(self, *, valid: bool = True, prefix: str = "99") -> str:
        def make() -> str:
            number = ykn_with_checksum(prefix + "".join(self.rng.choices("0123456789", k=7)))
            if not valid:  # a typing slip in the last digit: the checksum no longer holds
                number = number[:10] + str((int(number[10]) + self.rng.randint(1, 9)) % 10)
            return number

        return self._unique(make)

    def passport(self, nationality: str) -> str:
        letters = {"IRN": "K", "IRQ": "A", "PAK": "AB", "SYR": "N", "AFG": "P", "PSE": "P", "SOM": "P", "TUR": "U"}
        return self._unique(lambda: letters.get(nationality, "P") + "".join(self.rng.choices("0123456789", k=7)))

    def unhcr_case(self) -> str:
        rng = self.rng
        return self._unique(lambda: f"{rng.randint(100, 999)}-{rng.randint(16, 25)}C{rng.randint(0, 99999):05d}")

    def phone(self) -> str:
        prefix = self.rng.choice(("501", "505", "506", "507", "530", "532", "533", "535", "537", "541", "542",
                                  "543", "544", "545", "551", "552", "553", "555", "559"))  # fmt: skip
        return self._unique(lambda: f"+90{prefix}{self.rng.randint(0, 9_999_999):07d}")


def _day_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _birth(rng: random.Random, age_from: int, age_to: int, *, adult: bool) -> tuple[datetime.date, str]:
    """A date of birth and how precisely it is known: many adults know the year only, or give 1 January."""
    year = DEMO_DAY.year - rng.randint(age_from, age_to)
    born = _day_between(rng, datetime.date(year, 1, 1), min(datetime.date(year, 12, 31), DEMO_DAY))
    roll = rng.random()
    if roll < (0.35 if adult else 0.08):
        return datetime.date(year, 1, 1), DatePrecision.YEAR
    if roll < (0.45 if adult else 0.12):
        return datetime.date(year, 1, 1), DatePrecision.DAY  # 1 January, by convention, recorded as a day
    if roll < (0.5 if adult else 0.14):
        return datetime.date(year, born.month, 1), DatePrecision.MONTH
    return born, DatePrecision.DAY


def _wg_answers(rng: random.Random, age: int) -> dict[str, int]:
    """Washington Group answers: mostly no difficulty; difficulty grows with age; a few refusals."""
    difficulty = 0.04 + (0.25 if age >= 60 else 0.0)
    answers = {}
    for domain in WG_DOMAINS:
        roll = rng.random()
        if roll < difficulty * 0.3:
            answers[domain] = rng.choice((WGAnswer.A_LOT_OF_DIFFICULTY, WGAnswer.CANNOT_DO))
        elif roll < difficulty:
            answers[domain] = WGAnswer.SOME_DIFFICULTY
        elif roll > 0.995:
            answers[domain] = rng.choice((WGAnswer.REFUSED, WGAnswer.DONT_KNOW))
        else:
            answers[domain] = WGAnswer.NO_DIFFICULTY
    return answers


class _OfficePlanner:
    """Plans the households of one office: people, statuses, identifiers, assessments, vulnerabilities, consents."""

    def __init__(self, office: Office, registrar: User | None, rng: random.Random, numbers: _Numbers):
        self.office, self.registrar, self.rng, self.numbers = office, registrar, rng, numbers
        mix = OFFICE_MIX.get(office.code, {"SYR": 70, "AFG": 15, "TUR": 15})
        self.mix_codes, self.mix_weights = list(mix), list(mix.values())
        self.districts = list(AdminArea.objects.filter(parent=office.province_id).order_by("pcode"))
        #: The legal status of the household being planned (its members mostly share it).
        self.status = ""

    def household(self) -> tuple[Household, list[_Planned]]:
        rng = self.rng
        people = NATIONALITIES[rng.choices(self.mix_codes, weights=self.mix_weights)[0]]
        size = rng.choices([size for size, _ in people.sizes], weights=[weight for _, weight in people.sizes])[0]
        family = people.family(rng)
        family_spelling = family.spell(rng)
        members: list[_Planned] = []

        statuses, weights = zip(*people.statuses, strict=True)
        self.status = rng.choices(statuses, weights=weights)[0]
        if size == 1 and people.code in ("AFG", "SYR") and rng.random() < 0.06:
            # An unaccompanied child registered on their own.
            head = self.person(people, "M", 15, 17, family, family_spelling, father=people.given(rng, "M"))
            head.vulnerabilities.append(Vulnerability(person=head.person, type=VulnerabilityType.UNACCOMPANIED_CHILD))
            members.append(head)
            return self._household(members), members

        head_is_man = (size == 1 and people.code in ("AFG", "PAK")) or rng.random() < 0.78
        head_sex = "M" if head_is_man else "F"
        head_father = people.given(rng, "M")
        head_family, head_spelling = (family, family_spelling)
        if not head_is_man and people.wife_keeps_name:
            head_family = people.family(rng)
            head_spelling = head_family.spell(rng)
        head = self.person(people, head_sex, 20 if size > 1 else 18, 65, head_family, head_spelling, father=head_father)
        members.append(head)
        children_father = head.given if head_is_man else people.given(rng, "M")
        if head_is_man and size >= 2:
            if people.wife_keeps_name:
                wife_family = people.family(rng)
                spouse = self.person(
                    people, "F", 18, 60, wife_family, wife_family.spell(rng), father=people.given(rng, "M")
                )
            else:
                spouse = self.person(people, "F", 18, 60, family, family_spelling, father=people.given(rng, "M"))
            spouse.relationship = Relationship.SPOUSE
            members.append(spouse)
        if size >= 4 and rng.random() < 0.12:
            parent = self.person(
                people, rng.choice("MF"), 60, 85, head_family, head_spelling, father=people.given(rng, "M")
            )
            parent.relationship = Relationship.PARENT
            members.append(parent)
        youngest_parent = min(member.person.age_on(DEMO_DAY) or 0 for member in members[:2])
        oldest_child = max(0, min(17, youngest_parent - 16))
        while len(members) < size:
            sex = rng.choice("MF")
            # Children carry their father's family name; the registrar may spell it differently from the head's.
            spelling = family_spelling if rng.random() < 0.8 else family.spell(rng)
            child = self.person(people, sex, 0, oldest_child, family, spelling, father=children_father)
            child.relationship = Relationship.CHILD
            if rng.random() < 0.04:
                child.relationship = Relationship.OTHER_RELATIVE
                if child.person.age_on(DEMO_DAY) < 18:
                    child.vulnerabilities.append(
                        Vulnerability(person=child.person, type=VulnerabilityType.SEPARATED_CHILD)
                    )
            members.append(child)
        if not head_is_man and any(member.relationship == Relationship.CHILD for member in members):
            head.vulnerabilities.append(Vulnerability(person=head.person, type=VulnerabilityType.SINGLE_PARENT))
        return self._household(members), members

    def _household(self, members: list[_Planned]) -> Household:
        rng = self.rng
        members[0].relationship = Relationship.HEAD
        address = f"{rng.choice(NEIGHBOURHOODS)} Mah. {rng.choice(STREETS)} Sk. No:{rng.randint(1, 120)}"
        return Household(
            office=self.office,
            reference=self.numbers.reference(f"{self.office.code}-H"),
            head=members[0].person,
            district=rng.choice(self.districts) if self.districts else None,
            address=address,
        )

    def person(
        self, people: People, sex: str, age_from: int, age_to: int, family: Name, spelling: str, *, father: Name
    ):
        rng = self.rng
        given = people.given(rng, sex)
        first = given.spell(rng)
        adult = age_from >= 18
        born, precision = _birth(rng, age_from, age_to, adult=adult)
        with_father = people.code != "TUR" or rng.random() < 0.5
        original = ""
        if given.original and family.original and rng.random() < people.in_script:
            original = " ".join(
                part for part in (given.original, father.original if with_father else "", family.original) if part
            )
        languages = [rng.choice(people.languages)]
        if adult and people.code != "TUR" and rng.random() < 0.3:
            languages.append("tr")
        if people.code in ("SYR", "IRQ") and rng.random() < 0.1:
            languages = ["ku", *languages]
        person = Person(
            office=self.office,
            reference=self.numbers.reference(self.office.code),
            first_name=first,
            father_name=father.spell(rng) if with_father else "",
            family_name=spelling,
            original_name=original,
            sex=sex,
            birth_date=born,
            birth_date_precision=precision,
            nationality=people.code,
            languages=languages,
            phone=self.numbers.phone() if adult and rng.random() < 0.75 else "",
            created_by=self.registrar,
        )
        planned = _Planned(person, Relationship.HEAD, given)
        self._legal_statuses(planned, people)
        self._identifiers(planned, people, adult=adult)
        age = person.age_on(DEMO_DAY) or 0
        if age >= 5 and rng.random() < 0.35:
            answers = _wg_answers(rng, age)
            planned.assessments.append(
                DisabilityAssessment(
                    person=person,
                    assessed_on=_day_between(rng, datetime.date(2024, 1, 1), DEMO_DAY),
                    assessed_by=self.registrar,
                    has_disability=derive_disability(answers),
                    **answers,
                )
            )
        self._vulnerabilities(planned, age)
        if adult:
            self._consents(planned)
        return planned

    def _legal_statuses(self, planned: _Planned, people: People) -> None:
        rng = self.rng
        status = self.status  # a household mostly shares one status
        if status != LegalStatusType.TURKISH_CITIZEN and rng.random() < 0.05:
            statuses, weights = zip(*people.statuses, strict=True)
            status = rng.choices(statuses, weights=weights)[0]
        if status == LegalStatusType.TURKISH_CITIZEN:
            planned.statuses.append(LegalStatus(person=planned.person, status=status))
            return
        if status == LegalStatusType.TEMPORARY_PROTECTION:
            started = _day_between(rng, datetime.date(2013, 1, 1), datetime.date(2023, 12, 31))
        else:
            started = _day_between(rng, datetime.date(2017, 1, 1), datetime.date(2026, 3, 31))
        born = planned.person.birth_date
        started = max(started, born) if born else started
        if status == LegalStatusType.CONDITIONAL_REFUGEE and rng.random() < 0.7:
            # The application came first; the new status ended it the day before (as `legal_status_add` does).
            applied = max(started - datetime.timedelta(days=rng.randint(200, 900)), born or started)
            if applied < started:
                planned.statuses.append(
                    LegalStatus(
                        person=planned.person,
                        status=LegalStatusType.INTERNATIONAL_PROTECTION_APPLICANT,
                        started_on=applied,
                        ended_on=started - datetime.timedelta(days=1),
                    )
                )
        planned.statuses.append(LegalStatus(person=planned.person, status=status, started_on=started))

    def _identifiers(self, planned: _Planned, people: People, *, adult: bool) -> None:
        rng, numbers, person = self.rng, self.numbers, planned.person
        current = planned.statuses[-1].status
        registered = current not in (LegalStatusType.IRREGULAR_MIGRANT, LegalStatusType.TURKISH_CITIZEN)
        if registered and rng.random() < (0.92 if adult else 0.8):
            value = numbers.ykn(valid=rng.random() > 0.03)
            errors, warnings = ykn_problems(value)
            planned.identifiers.append(
                Identifier(person=person, type=IdentifierType.FOREIGNER_ID, value=value, warning=" ".join(warnings))
            )
        if current == LegalStatusType.TEMPORARY_PROTECTION and rng.random() < 0.3:
            planned.identifiers.append(
                Identifier(person=person, type=IdentifierType.TEMPORARY_PROTECTION, value=numbers.ykn(prefix="98"))
            )
        if adult and people.code != "TUR" and rng.random() < people.passports:
            issued = _day_between(rng, datetime.date(2015, 1, 1), datetime.date(2025, 12, 31))
            planned.identifiers.append(
                Identifier(
                    person=person,
                    type=IdentifierType.PASSPORT,
                    value=numbers.passport(people.code),
                    issuing_country=people.code,
                    valid_until=issued.replace(year=issued.year + 10, day=min(issued.day, 28)),
                )
            )
        if (
            current in (LegalStatusType.CONDITIONAL_REFUGEE, LegalStatusType.SUBSIDIARY_PROTECTION)
            and rng.random() < 0.5
        ):
            planned.identifiers.append(
                Identifier(person=person, type=IdentifierType.UNHCR_CASE, value=numbers.unhcr_case())
            )

    def _vulnerabilities(self, planned: _Planned, age: int) -> None:
        rng, person = self.rng, planned.person
        flags = []
        if age >= 60 and rng.random() < 0.25:
            flags.append(VulnerabilityType.OLDER_PERSON_AT_RISK)
        if rng.random() < 0.03:
            flags.append(VulnerabilityType.SERIOUS_MEDICAL_CONDITION)
        if person.sex == "F" and 18 <= age <= 45 and rng.random() < 0.06:
            flags.append(VulnerabilityType.PREGNANT_OR_LACTATING)
        if age >= 12 and rng.random() < 0.015:
            flags.append(VulnerabilityType.SURVIVOR_OF_VIOLENCE)
        if age >= 14 and rng.random() < 0.004:
            flags.append(VulnerabilityType.VICTIM_OF_TRAFFICKING)
        if {VulnerabilityType.SURVIVOR_OF_VIOLENCE, VulnerabilityType.VICTIM_OF_TRAFFICKING} & set(flags):
            person.sensitivity = Sensitivity.PROTECTION
        for flag in flags:
            noted = _day_between(rng, datetime.date(2023, 1, 1), DEMO_DAY)
            planned.vulnerabilities.append(Vulnerability(person=person, type=flag, noted_on=noted))

    def _consents(self, planned: _Planned) -> None:
        rng, person = self.rng, planned.person
        given = _day_between(rng, datetime.date(2022, 1, 1), DEMO_DAY)
        basis = rng.choices(
            (LegalBasis.CONSENT, LegalBasis.VITAL_INTEREST, LegalBasis.LEGITIMATE_INTEREST), weights=(90, 5, 5)
        )[0]
        purposes = [(ConsentPurpose.REGISTRATION, basis)]
        for purpose, share in (
            (ConsentPurpose.REFERRAL, 0.25),
            (ConsentPurpose.SHARING_PARTNER, 0.15),
            (ConsentPurpose.SHARING_PAYMENT_PROVIDER, 0.2),
            (ConsentPurpose.RESEARCH, 0.1),
        ):
            if rng.random() < share:
                purposes.append((purpose, LegalBasis.CONSENT))
        for purpose, legal_basis in purposes:
            consent = Consent(
                person=person, purpose=purpose, legal_basis=legal_basis, given_on=given, taken_by=self.registrar
            )
            if legal_basis == LegalBasis.CONSENT and purpose != ConsentPurpose.REGISTRATION and rng.random() < 0.05:
                consent.withdrawn_on = _day_between(rng, given, DEMO_DAY)
            planned.consents.append(consent)


# --- writing -------------------------------------------------------------------------------------------------


def seed_office(office: Office, *, seed: int, people: int | None = None) -> int:
    """Register about `people` people in households in `office` (nothing if it has people already)."""
    if Person.objects.filter(office=office).exists():
        return 0
    if people is None:
        people = settings.LIMAN_DEMO_PEOPLE_PER_OFFICE
    rng = random.Random(f"liman-registry:{seed}:{office.code}")
    registrar = User.objects.filter(username=demo_username(Role.CASEWORKER, office.code)).first()
    planner = _OfficePlanner(office, registrar, rng, _Numbers(rng))
    households: list[tuple[Household, list[_Planned]]] = []
    total = 0
    while total < people:
        household, members = planner.household()
        households.append((household, members))
        total += len(members)
    planned = [member for _, members in households for member in members]
    with transaction.atomic():
        persons = record_create_many(Person, [member.person for member in planned], by=registrar)
        record_create_many(Household, [household for household, _ in households], by=registrar)
        record_create_many(
            HouseholdMember,
            [
                HouseholdMember(household=household, person=member.person, relationship=member.relationship)
                for household, members in households
                for member in members
            ],
            by=registrar,
        )
        for model, attribute in (
            (LegalStatus, "statuses"),
            (Identifier, "identifiers"),
            (DisabilityAssessment, "assessments"),
            (Vulnerability, "vulnerabilities"),
            (Consent, "consents"),
        ):
            objects = [obj for member in planned for obj in getattr(member, attribute)]
            record_create_many(model, objects, by=registrar)
        add_search_keys(persons)
    return len(persons)


def seed_registry(rng: random.Random, seed: int) -> None:
    """People in households in every demo office; each office's people depend only on the seed and the office."""
    for code, *_rest in DEMO_OFFICES:
        office = Office.objects.filter(code=code).first()
        if office is not None:
            seed_office(office, seed=seed)
