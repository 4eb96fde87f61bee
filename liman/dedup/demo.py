"""Demo duplicates: people registered a second time, as it happens in the field, then a run that finds them.

About one person in twenty is registered again, mostly by another office (people move between provinces), some
by the same office: the given name in another transliteration (VARIANT_SPELLINGS), the family name with or
without its article, the father's name left out, the date of birth known to the year only or written as 1 January,
a new phone number, sometimes the same foreigner ID. Then the matcher runs over every demo person and stores the
pairs, so that the review queue of `make run` is populated. Seeded from the demo seed: the same seed plants the
same duplicates.
"""

from __future__ import annotations

import datetime
import random

from liman.core.choices import Role
from liman.core.demo import DEMO_OFFICES, demo_username
from liman.core.models import Office, User
from liman.registry import names
from liman.registry import services as registry
from liman.registry.choices import DatePrecision, IdentifierType
from liman.registry.models import Identifier, Person

from .models import DedupRun, MatchPair
from .services import dedup_run_execute

#: Share of demo people registered a second time.
SHARE = 0.05
#: Of those, the share registered again by the same office (the rest by another office).
SAME_OFFICE = 0.35


def _title(text: str) -> str:
    return " ".join(part[:1].upper() + part[1:] for part in text.split(" "))


def variant_spelling(rng: random.Random, name: str) -> str:
    """Another transliteration of a known name ("Mohammed" → "Muhammad"), else the name as it was."""
    tokens = names.name_tokens(name)
    if len(tokens) != 1:
        return name
    spellings = names.VARIANT_SPELLINGS.get(names.canonical(tokens[0]), ())
    others = [spelling for spelling in spellings if spelling.replace(" ", "") != name.lower().replace(" ", "")]
    return _title(rng.choice(others)) if others else name


def _family_variant(rng: random.Random, family: str) -> str:
    if family.lower().startswith("al-") and rng.random() < 0.6:
        return family[3:]  # "Al-Hassan" written "Hassan"
    return variant_spelling(rng, family)


def _phone(rng: random.Random) -> str:
    return f"+905{rng.randint(30, 59)}{rng.randint(0, 9_999_999):07d}"


def _birth(rng: random.Random, born: datetime.date | None, precision: str) -> tuple[datetime.date | None, str]:
    if born is None:
        return None, DatePrecision.DAY
    roll = rng.random()
    if roll < 0.35:
        return datetime.date(born.year, 1, 1), DatePrecision.YEAR
    if roll < 0.55:
        return datetime.date(born.year, 1, 1), DatePrecision.DAY  # 1 January, by convention
    return born, precision


def reregistration(rng: random.Random, person: Person, foreigner_id: str) -> registry.PersonInput:
    """The person as another registrar wrote them down again."""
    born, precision = _birth(rng, person.birth_date, person.birth_date_precision)
    phone_roll = rng.random()
    phone = _phone(rng) if phone_roll < 0.5 else (person.phone if phone_roll < 0.8 else "")
    father_roll = rng.random()
    if father_roll < 0.5:
        father = person.father_name
    else:
        father = "" if father_roll < 0.8 else variant_spelling(rng, person.father_name)
    identifiers = []
    if foreigner_id and rng.random() < 0.3:
        identifiers.append(registry.IdentifierInput(IdentifierType.FOREIGNER_ID, foreigner_id))
    return registry.PersonInput(
        first_name=variant_spelling(rng, person.first_name) if rng.random() < 0.7 else person.first_name,
        father_name=father,
        family_name=_family_variant(rng, person.family_name) if rng.random() < 0.4 else person.family_name,
        original_name=person.original_name if rng.random() < 0.5 else "",
        sex=person.sex,
        birth_date=born,
        birth_date_precision=precision,
        nationality=person.nationality,
        phone=phone,
        languages=list(person.languages),
    )


def seed_duplicates(rng: random.Random, seed: int) -> None:
    """Plant re-registrations among the demo people and run the matcher over them (once: nothing if run before)."""
    if DedupRun.objects.exists() or MatchPair.objects.exists():
        return
    offices = {office.code: office for office in Office.objects.filter(code__in=[code for code, *_ in DEMO_OFFICES])}
    registered = Person.objects.active().filter(office__in=offices.values())
    total = registered.count()
    # Adults go from office to office on their own; children are registered again with them, not planted here.
    adults = list(
        registered.filter(birth_date__isnull=False, birth_date__lte=datetime.date(2008, 1, 1))
        .select_related("office")
        .order_by("pk")
    )
    if len(adults) < 10:
        return
    local = random.Random(f"liman-dedup:{seed}")
    chosen = local.sample(adults, min(len(adults), max(1, round(total * SHARE))))
    foreigner_ids = dict(
        Identifier.objects.filter(person__in=chosen, type=IdentifierType.FOREIGNER_ID).values_list("person_id", "value")
    )
    registrars = {code: User.objects.filter(username=demo_username(Role.CASEWORKER, code)).first() for code in offices}
    for person in sorted(chosen, key=lambda chosen_person: chosen_person.pk):
        code = person.office.code
        if local.random() >= SAME_OFFICE:
            code = local.choice([other for other in sorted(offices) if other != code])
        data = reregistration(local, person, foreigner_ids.get(person.pk, ""))
        registry.person_register(office=offices[code], data=data, by=registrars.get(code))
    run = DedupRun.objects.create(started_by=None, office=None, message="demo")
    dedup_run_execute(run=run)
