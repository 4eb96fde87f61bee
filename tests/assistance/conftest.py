import pytest

from liman.assistance import services
from liman.assistance.models import Item
from liman.core.choices import Role
from tests.factories import staff


@pytest.fixture
def kits(db) -> Item:
    return Item.objects.get(code="HYG-KIT")  # tracked by lot and expiry (shipped catalogue)


@pytest.fixture
def blankets(db) -> Item:
    return Item.objects.get(code="BLANKET")  # not tracked by lot


@pytest.fixture
def keeper(istanbul):
    return staff(Role.WAREHOUSE, istanbul, username="warehouse.ist")


@pytest.fixture
def warehouse(istanbul, keeper):
    return services.location_create(office=istanbul, name="Istanbul warehouse", by=keeper)


@pytest.fixture
def van(istanbul, keeper):
    return services.location_create(
        office=istanbul, name="Istanbul van 1", kind="vehicle", vehicle_plate="34 LM 001", by=keeper
    )
