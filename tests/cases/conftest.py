import pytest

from liman.core.choices import Role
from tests.cases.builders import register
from tests.factories import staff


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def caseworker(istanbul):
    return staff(Role.CASEWORKER, istanbul)


@pytest.fixture
def supervisor(istanbul):
    return staff(Role.SUPERVISOR, istanbul)


@pytest.fixture
def person(istanbul):
    return register(istanbul)
