import pytest

from liman.assistance import services
from liman.core.choices import Role
from tests.factories import OfficeFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(warehouse, van, blankets, kits, keeper):
    for number in range(12):
        services.stock_receive(
            location=warehouse, item=kits, quantity=10, project_code="TUR-ECHO-1", lot_code=f"L-{number}", by=None
        )
    services.stock_receive(location=warehouse, item=blankets, quantity=10, project_code="TUR-ECHO-1", by=None)
    for _ in range(5):
        services.transfer_dispatch(from_location=warehouse, to_location=van, item=blankets, quantity=1, by=keeper)
    return warehouse


@pytest.mark.parametrize("route", ["locations", "balances", "entries", "items"])
def test_stock_lists_cost_the_same_few_queries(client, ledger, keeper, route, django_assert_max_num_queries):
    client.force_login(keeper)
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/stock/{route}/")
    assert response.status_code == 200 and response.json()["count"] > 0


def test_balances_read_in_the_api(client, ledger, keeper):
    client.force_login(keeper)
    rows = client.get("/api/stock/balances/?limit=100").json()["results"]
    blankets = [row for row in rows if row["item"] == "BLANKET"]
    assert sorted(row["quantity"] for row in blankets) == [5]  # 5 left, 5 in transit to the van


def test_another_office_sees_no_stock_in_the_api(client, ledger):
    client.force_login(staff(Role.WAREHOUSE, OfficeFactory(code="EDR"), username="warehouse.edr"))
    assert client.get("/api/stock/balances/").json()["count"] == 0
    assert client.get(f"/api/stock/locations/{ledger.pk}/").status_code == 404
    assert client.get("/api/stock/items/HYG-KIT/").status_code == 200  # the shared catalogue


def test_a_caseworker_sees_no_stock(client, ledger, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul))
    assert client.get("/api/stock/entries/").json()["count"] == 0
