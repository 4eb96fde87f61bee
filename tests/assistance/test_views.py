import io

import openpyxl
import pytest
from django.urls import reverse

from liman.assistance import services
from liman.assistance.models import StockBalance, Transfer
from liman.core.choices import Role
from liman.core.models import AuditEvent
from tests.factories import OfficeFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(warehouse, blankets, kits):
    services.stock_receive(location=warehouse, item=blankets, quantity=30, project_code="TUR-ECHO-1", by=None)
    services.stock_receive(
        location=warehouse, item=kits, quantity=12, project_code="TUR-ECHO-1", lot_code="L-2026-04",
        expires_on=__import__("datetime").date.today() + __import__("datetime").timedelta(days=20), by=None,
    )  # fmt: skip
    return warehouse


def test_the_overview_lists_the_offices_locations_for_a_programme_officer(client, stocked, istanbul):
    client.force_login(staff(Role.PROGRAMME_OFFICER, istanbul))

    body = client.get(reverse("assistance:stock-overview")).content.decode()

    assert "Istanbul warehouse" in body and 'data-nav="stock"' in body


def test_the_location_page_flags_a_lot_expiring_soon(client, stocked, keeper):
    client.force_login(keeper)

    body = client.get(reverse("assistance:stock-location", args=[stocked.pk])).content.decode()

    assert 'class="expiring-soon"' in body and "L-2026-04" in body and "issue next" in body


def test_the_stock_card_shows_a_running_balance(client, stocked, blankets, keeper, van):
    services.transfer_dispatch(from_location=stocked, to_location=van, item=blankets, quantity=8, by=keeper)
    client.force_login(keeper)

    response = client.get(reverse("assistance:stock-card", args=[stocked.pk, blankets.pk]))

    lines = [(entry.quantity, entry.running) for entry in response.context["page"]]
    assert lines == [(30, 30), (-8, 22)]


def test_a_receipt_through_the_page(client, warehouse, blankets, keeper):
    client.force_login(keeper)
    data = {"item": blankets.pk, "quantity": 25, "project_code": "tur-bprm-7", "supplier": "Local supplier"}

    response = client.post(reverse("assistance:stock-receive", args=[warehouse.pk]), data)

    assert response.status_code == 302
    assert StockBalance.objects.get(location=warehouse, item=blankets).quantity == 25


def test_a_transfer_dispatched_and_received_through_the_pages(client, stocked, blankets, keeper, van, istanbul):
    client.force_login(keeper)
    line = StockBalance.objects.get(location=stocked, item=blankets)
    client.post(
        reverse("assistance:stock-transfer", args=[stocked.pk]), {"line": line.pk, "to_location": van.pk, "quantity": 5}
    )
    transfer = Transfer.objects.get()
    client.force_login(staff(Role.MOBILE_TEAM, istanbul, username="crew.ist"))

    client.post(reverse("assistance:stock-transfer-receive", args=[transfer.pk]))

    assert StockBalance.objects.get(location=van, item=blankets).quantity == 5


def test_an_issue_of_too_much_through_a_form_shows_the_balance(client, stocked, blankets, keeper):
    client.force_login(keeper)
    line = StockBalance.objects.get(location=stocked, item=blankets)

    response = client.post(
        reverse("assistance:stock-loss", args=[stocked.pk]),
        {"line": line.pk, "quantity": 31, "reason_kind": "damaged", "reason": "Fire"},
    )

    assert "Only 30 × Blanket left at Istanbul warehouse; 31 asked for." in response.content.decode()


def test_a_loss_approved_on_the_page_by_a_second_person(client, stocked, blankets, keeper, istanbul):
    loss = services.loss_report(
        location=stocked, item=blankets, quantity=3, reason_kind="stolen", reason="Break-in", by=keeper
    )
    client.force_login(staff(Role.SUPERVISOR, istanbul))

    client.post(reverse("assistance:stock-loss-approve", args=[loss.pk]))

    assert StockBalance.objects.get(location=stocked, item=blankets).quantity == 27


def test_a_viewer_cannot_open_the_receipt_form(client, warehouse, istanbul):
    client.force_login(staff(Role.VIEWER, istanbul))
    assert client.get(reverse("assistance:stock-receive", args=[warehouse.pk])).status_code == 404
    assert client.get(reverse("assistance:stock-location", args=[warehouse.pk])).status_code == 200


def test_another_office_answers_404(client, stocked, blankets):
    client.force_login(staff(Role.WAREHOUSE, OfficeFactory(code="EDR"), username="warehouse.edr"))
    assert client.get(reverse("assistance:stock-location", args=[stocked.pk])).status_code == 404
    assert client.get(reverse("assistance:stock-card", args=[stocked.pk, blankets.pk])).status_code == 404
    assert client.get(reverse("assistance:stock-receive", args=[stocked.pk])).status_code == 404


def test_the_stock_report_is_xlsx_neutralised_and_audited(client, warehouse, blankets, keeper):
    services.stock_receive(location=warehouse, item=blankets, quantity=4, project_code="=HYPERLINK(1)", by=None)
    services.location_create(office=warehouse.office, name="=cmd|' /C calc'!A0", by=None)
    client.force_login(keeper)

    response = client.get(reverse("assistance:stock-report"))

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("office", "location", "kind")
    assert rows[1][1] == "Istanbul warehouse" and rows[1][9] == 4
    assert AuditEvent.objects.filter(action="export", object_type="assistance.stockbalance").exists()


def test_warehouse_staff_add_an_item_and_a_site_and_others_cannot(client, keeper, istanbul):
    from liman.assistance.models import Item, StockLocation

    client.force_login(keeper)
    response = client.post(
        "/stock/items/new/", {"code": "winter-jacket", "name": "Winter jacket", "unit": "piece", "category": "clothing"}
    )
    assert response.status_code == 302 and Item.objects.get(code="WINTER-JACKET").name == "Winter jacket"
    again = client.post(
        "/stock/items/new/", {"code": "WINTER-JACKET", "name": "Jacket", "unit": "piece", "category": "clothing"}
    )
    assert "has an item WINTER-JACKET already" in again.content.decode()
    response = client.post(
        "/stock/locations/new/", {"office": istanbul.pk, "kind": "site", "name": "Bağcılar point", "vehicle_plate": ""}
    )
    assert response.status_code == 302 and StockLocation.objects.get(name="Bağcılar point").kind == "site"
    client.force_login(staff(Role.VIEWER, istanbul, username="viewer.ist"))
    assert client.get("/stock/items/new/").status_code == 404
    assert client.get("/stock/locations/new/").status_code == 404
