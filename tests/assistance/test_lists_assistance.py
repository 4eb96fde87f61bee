"""The distributions, field incidents and transfers lists (core.lists): columns sort, filters stay in the URL,
the incidents page keeps its old `month`, `province`, `how_met` and `sort` parameters, bad values are named."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from liman.assistance import services
from liman.core.choices import Role
from tests.assistance.test_distributions import household
from tests.assistance.test_incidents import CESME, DIKILI, MERIC, record
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper(izmir):
    return staff(Role.WAREHOUSE, izmir, username="warehouse.izm")


@pytest.fixture
def crew(izmir):
    return staff(Role.MOBILE_TEAM, izmir, username="mobile.izm")


@pytest.fixture
def stock(izmir, keeper, blankets):
    """İzmir's warehouse with 100 blankets, a van and a site; 20 blankets received on the van, 5 on the way."""
    warehouse = services.location_create(office=izmir, name="İzmir warehouse", by=keeper)
    van = services.location_create(office=izmir, name="İzmir van 1", kind="vehicle", vehicle_plate="35 LM 1", by=keeper)
    site = services.location_create(office=izmir, name="Bayraklı point", kind="site", by=keeper)
    services.stock_receive(location=warehouse, item=blankets, quantity=100, project_code="P1", by=keeper)
    load = services.transfer_dispatch(from_location=warehouse, to_location=van, item=blankets, quantity=20, by=keeper)
    services.transfer_receive(transfer=load, by=keeper)
    on_the_way = services.transfer_dispatch(
        from_location=warehouse, to_location=van, item=blankets, quantity=5, by=keeper
    )
    return {"warehouse": warehouse, "van": van, "site": site, "received": load, "in_transit": on_the_way}


def _rows(response) -> list:
    return list(response.context["page"])


def test_incidents_keep_their_filters_and_old_sort_and_sort_by_any_column(client, izmir, stock, crew):
    may = timezone.make_aware(datetime.datetime(2026, 5, 10, 4))
    small = record(izmir, stock["van"], crew, when=may, district=DIKILI, groups=[("f", "18_59", "AFG", 3)])
    large = record(izmir, stock["van"], crew, when=may + datetime.timedelta(hours=2), district=CESME)
    other = record(
        izmir, stock["van"], crew, when=may - datetime.timedelta(days=40), district=MERIC, how_met="apprehension"
    )
    client.force_login(crew)
    url = reverse("assistance:incident-list")

    # The page's old parameters: the month, the province, how the people were met; the old `sort` values.
    page = client.get(url, {"month": "2026-05", "province": "TUR035", "how_met": "rescue_at_sea"})
    assert [row.pk for row in _rows(page)] == [large.pk, small.pk]
    assert [row.pk for row in _rows(client.get(url, {"sort": "people_met"}))] == [small.pk, large.pk, other.pk]
    assert [row.pk for row in _rows(client.get(url, {"sort": "-occurred_at"}))] == [large.pk, small.pk, other.pk]
    by_district = client.get(url, {"sort": "district", "month": "2026-05"})
    assert {row.pk for row in _rows(by_district)} == {small.pk, large.pk}
    body = by_district.content.decode()
    assert 'aria-sort="ascending"' in body and "month=2026-05" in body
    # The month filter offers the months with incidents, the latest first.
    assert '<option value="2026-05"' in body and '<option value="2026-03"' in body
    assert body.index('value="2026-05"') < body.index('value="2026-03"')

    # A month that is not one, or a sort that does not exist, is named; the page answers.
    refused = client.get(url, {"month": "2026-13", "sort": "salary"})
    assert refused.status_code == 200 and len(_rows(refused)) == 3
    assert "“2026-13” is not a choice of month" in refused.content.decode()
    assert "cannot be sorted by “salary”" in refused.content.decode()


def test_transfers_filter_by_state_and_sort_by_quantity(client, izmir, stock, keeper, django_assert_max_num_queries):
    client.force_login(keeper)
    url = reverse("assistance:stock-transfer-list")
    # The tab's link (`?state=dispatched`) is the filter's value: in transit only.
    assert [row.pk for row in _rows(client.get(url, {"state": "dispatched"}))] == [stock["in_transit"].pk]
    assert [row.pk for row in _rows(client.get(url, {"state": "received"}))] == [stock["received"].pk]
    by_quantity = client.get(url, {"sort": "-quantity"})
    assert [row.quantity for row in _rows(by_quantity)] == [20, 5]
    # The keeper receives what is in transit from the list, and only that.
    body = by_quantity.content.decode()
    assert reverse("assistance:stock-transfer-receive", args=[stock["in_transit"].pk]) in body
    assert reverse("assistance:stock-transfer-receive", args=[stock["received"].pk]) not in body
    assert len(_rows(client.get(url, {"office": "IZM", "state": "dispatched"}))) == 1
    # Istanbul is not the keeper's office: not a choice, named, and the list is not narrowed to it.
    refused = client.get(url, {"office": "IST"})
    assert "“IST” is not a choice of office" in refused.content.decode() and len(_rows(refused)) == 2
    for _ in range(6):
        services.transfer_dispatch(
            from_location=stock["warehouse"], to_location=stock["site"], item=stock["in_transit"].item, quantity=1,
            by=keeper,
        )  # fmt: skip
    with django_assert_max_num_queries(14):
        assert len(_rows(client.get(url, {"sort": "to"}))) == 8


def test_distributions_sort_by_households_and_filter_by_state(
    client, izmir, istanbul, stock, keeper, blankets, django_assert_max_num_queries
):
    officer = staff(Role.PROGRAMME_OFFICER, izmir, username="po.izm")
    today = timezone.localdate()
    plans = []
    for name, size in (("Two homes", 2), ("One home", 1)):
        plan = services.distribution_plan_create(
            office=izmir, name=name, project_code="P1", warehouse=stock["warehouse"], site=stock["site"],
            starts_on=today, ends_on=today + datetime.timedelta(days=1), items=[(blankets, 1, None, 1)], by=officer,
        )  # fmt: skip
        homes = [household(izmir, f"{name[:3]}{n}", 1) for n in range(size)]
        services.distribution_select(plan=plan, households=homes, selection=name, by=officer)
        plans.append(plan)
    services.distribution_open(plan=plans[1], by=keeper)
    client.force_login(officer)
    url = reverse("assistance:distribution-list")

    assert [row.name for row in _rows(client.get(url, {"sort": "households"}))] == ["One home", "Two homes"]
    assert [row.name for row in _rows(client.get(url, {"sort": "-households"}))] == ["Two homes", "One home"]
    assert [row.name for row in _rows(client.get(url, {"state": "open"}))] == ["One home"]
    assert [row.name for row in _rows(client.get(url, {"state": "planned", "office": "IZM"}))] == ["Two homes"]
    refused = client.get(url, {"state": "shipped"})
    assert refused.status_code == 200 and "is not a choice of state" in refused.content.decode()
    with django_assert_max_num_queries(14):
        assert client.get(url, {"sort": "received"}).status_code == 200
