import pytest

from liman.core.choices import OfficeType
from liman.core.models import AdminArea, Office
from tests.factories import OfficeFactory


@pytest.fixture
def istanbul(db) -> Office:
    return OfficeFactory(code="IST", name="Istanbul Sub-Office", type=OfficeType.SUB)


@pytest.fixture
def izmir(db) -> Office:
    return OfficeFactory(code="IZM", name="Izmir Field Office", province=AdminArea.objects.get(pcode="TUR035"))


@pytest.fixture(autouse=True)
def _language_of_the_settings():
    """A request through the locale middleware leaves its language active in the thread: the next test must not
    start in Arabic because the last one asked for it."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_keys():
    """Tests that change key settings must not leak cached keys into the next test."""
    from liman.core import crypto

    crypto.forget_keys()
    yield
    crypto.forget_keys()
