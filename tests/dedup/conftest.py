"""People, reviewers and pairs for the duplicate tests."""

from __future__ import annotations

import datetime

import pytest

from liman.core.choices import Role
from liman.dedup.models import MatchPair
from liman.registry import services as registry
from liman.registry.choices import DatePrecision, IdentifierType
from tests.factories import staff


def register(office, first_name, family_name, *, by=None, foreigner_id="", **details):
    """A person registered through the registry's service (search keys and all)."""
    details.setdefault("sex", "M")
    details.setdefault("nationality", "SYR")
    identifiers = [registry.IdentifierInput(IdentifierType.FOREIGNER_ID, foreigner_id)] if foreigner_id else []
    data = registry.PersonInput(first_name=first_name, family_name=family_name, identifiers=identifiers, **details)
    return registry.person_register(office=office, data=data, by=by)


#: One man as two registrars wrote him down: another transliteration, the year of birth only, a new phone.
ORIGINAL = {
    "first_name": "Mohammed",
    "family_name": "Al-Hassan",
    "father_name": "Ahmad",
    "birth_date": datetime.date(1985, 3, 12),
    "phone": "+905321112233",
}
AGAIN = {
    "first_name": "Muhammad",
    "family_name": "Hassan",
    "father_name": "Ahmed",
    "birth_date": datetime.date(1985, 1, 1),
    "birth_date_precision": DatePrecision.YEAR,
    "phone": "+905559876543",
}


def twice(office_a, office_b=None, **extra):
    """The same man registered in `office_a`, then again (spelled otherwise) in `office_b`."""
    first = register(office_a, **ORIGINAL, **extra)
    second = register(office_b or office_a, **AGAIN, **extra)
    return first, second


def bystanders(office, count: int = 4):
    """People who are nobody's duplicate."""
    names = [("Zeynep", "Kaya", "F"), ("Omar", "Karimi", "M"), ("Leyla", "Haddad", "F"), ("Yusuf", "Demir", "M")]
    made = []
    for n in range(count):
        first, family, sex = names[n % len(names)]
        made.append(register(office, first, f"{family}{n}", sex=sex, birth_date=datetime.date(1960 + 7 * n, 6, 1 + n)))
    return made


def pair_of(a, b) -> MatchPair:
    low, high = sorted((a.pk, b.pk))
    return MatchPair.objects.get(person_l_id=low, person_r_id=high)


@pytest.fixture
def supervisor(istanbul):
    return staff(Role.SUPERVISOR, istanbul, username="supervisor.ist")


@pytest.fixture
def country_admin(db):
    """A reviewer of every office (the country office's administrator)."""
    return staff(Role.ADMINISTRATOR, None, username="administrator.all")


@pytest.fixture
def no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
