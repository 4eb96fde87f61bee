"""The consignment pages, step by step, as each role takes its step."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from liman.consignments.choices import ConsignmentState
from liman.consignments.models import Consignment, TransitLoss, TruckLine
from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent
from tests.factories import staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_no_second_factor")]


@pytest.fixture
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


def _formset(prefix: str, rows: list[dict], total: int = 4) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0"}
    for number, row in enumerate(rows):
        data.update({f"{prefix}-{number}-{name}": value for name, value in row.items()})
    return data


def test_warehouse_staff_plan_load_and_dispatch_on_the_pages(client, hub, keeper, partner_a, tents, tarps):
    client.force_login(keeper)
    response = client.post(
        reverse("consignments:consignment-create"),
        {"hub": hub.pk, "partner": partner_a[0].pk, "crossing": "oncupinar", "destination": "SHP warehouse, A'zaz",
         "planned_on": timezone.localdate().isoformat(), "project_code": "TUR-ECHO-2026-011"},
    )  # fmt: skip
    consignment = Consignment.objects.get()
    assert response.url == reverse("consignments:consignment-detail", args=[consignment.pk])

    response = client.post(
        reverse("consignments:consignment-truck-add", args=[consignment.pk]),
        {"plate": "27 ab 101", "driver_name": "Halil Demir", "seal_numbers": "TR-GAZ-1; TR-GAZ-2",
         **_formset("line", [{"item": tents.pk, "quantity": "40"}, {"item": tarps.pk, "quantity": "100"}])},
    )  # fmt: skip
    assert response.status_code == 302
    truck = consignment.trucks.get()
    assert (truck.plate, truck.seal_numbers, truck.lines.count()) == ("27 AB 101", "TR-GAZ-1, TR-GAZ-2", 2)

    client.post(reverse("consignments:consignment-loaded", args=[consignment.pk]))
    page = client.get(reverse("consignments:consignment-dispatch", args=[consignment.pk])).content.decode()
    assert "Family tent" in page and "300" in page  # what the hub holds beside what leaves
    client.post(reverse("consignments:consignment-dispatch", args=[consignment.pk]))

    consignment.refresh_from_db()
    assert consignment.state == ConsignmentState.DISPATCHED


def test_a_dispatch_the_hub_cannot_cover_says_so_on_the_page(client, plan, truck, keeper, tents):
    consignment = plan()
    truck(consignment, "27 AB 101", (tents, 301))
    client.force_login(keeper)
    client.post(reverse("consignments:consignment-loaded", args=[consignment.pk]))

    response = client.post(reverse("consignments:consignment-dispatch", args=[consignment.pk]), follow=True)

    assert "Only 300 × Family tent left at Kilis road cross-border hub; 301 asked for." in response.content.decode()
    assert Consignment.objects.get().state == ConsignmentState.LOADED


def test_the_monitor_holds_a_truck_at_the_crossing(client, dispatched, monitor):
    truck = dispatched.trucks.get(number=1)
    client.force_login(monitor)

    client.post(
        reverse("consignments:consignment-truck-check", args=[truck.pk]),
        {"seals_intact": "no", "seals_found": "TR-GAZ-100001", "outcome": "held", "reason": "A seal is missing"},
    )

    page = client.get(reverse("consignments:consignment-detail", args=[dispatched.pk])).content.decode()
    assert 'data-state="held"' in page and 'data-status="held"' in page and "A seal is missing" in page


def test_the_handover_page_records_a_shortfall_as_a_loss(client, cleared, monitor):
    client.force_login(monitor)
    lines = list(TruckLine.objects.filter(truck__consignment=cleared).order_by("pk"))
    data = {"received_by_name": "Hiba Qassem", "place": "A'zaz", "handed_over_at": "2026-05-04T10:00"}
    for line in lines:
        data[f"received_{line.pk}"] = str(line.quantity)
    data[f"received_{lines[0].pk}"] = str(lines[0].quantity - 3)
    data[f"loss_kind_{lines[0].pk}"] = "stolen"
    data[f"loss_reason_{lines[0].pk}"] = "Taken at a checkpoint"

    response = client.post(reverse("consignments:consignment-handover", args=[cleared.pk]), data)

    assert response.status_code == 302
    assert TransitLoss.objects.get().quantity == 3
    page = client.get(reverse("consignments:consignment-detail", args=[cleared.pk])).content.decode()
    assert "Taken at a checkpoint" in page and "Handed over to the partner" in page


def test_the_partner_reports_on_the_page(client, handed_over, partner_a):
    client.force_login(partner_a[1])
    page = client.get(reverse("consignments:consignment-detail", args=[handed_over.pk])).content.decode()
    assert "Report the distribution" in page

    response = client.post(
        reverse("consignments:consignment-report", args=[handed_over.pk]),
        _formset("line", [{"subdistrict_pcode": "sy070301", "subdistrict_name": "Dana", "households": "12",
                           "people": "50", "female_18_59": "30", "male_18_59": "20", "item_TENT": "12"}]),
    )  # fmt: skip

    assert response.status_code == 302
    handed_over.refresh_from_db()
    assert handed_over.state == ConsignmentState.REPORTED and handed_over.report.lines.get().subdistrict_pcode == (
        "SY070301"
    )


def test_a_report_that_does_not_add_up_stays_on_the_form_with_the_rule(client, handed_over, partner_a):
    client.force_login(partner_a[1])

    response = client.post(
        reverse("consignments:consignment-report", args=[handed_over.pk]),
        _formset("line", [{"subdistrict_pcode": "SY070301", "subdistrict_name": "Dana", "households": "12",
                           "people": "51", "female_18_59": "30", "male_18_59": "20", "item_TENT": "12"}]),
    )  # fmt: skip

    assert response.status_code == 200
    assert "Line 1 (Dana): 51 people reached, but the counts by sex and age add up to 50" in response.content.decode()


def test_the_list_filters_by_state_and_partner(client, plan, dispatched, keeper, partner_b):
    planned = plan(partner=partner_b[0])
    client.force_login(keeper)

    by_state = client.get(reverse("consignments:consignment-list"), {"state": "dispatched"}).content.decode()
    by_partner = client.get(reverse("consignments:consignment-list"), {"partner": partner_b[0].pk}).content.decode()

    assert dispatched.reference in by_state and planned.reference not in by_state
    assert planned.reference in by_partner and dispatched.reference not in by_partner


def test_the_export_lists_consignments_truck_lines_and_reports_and_is_audited(client, handed_over, monitor):
    client.force_login(monitor)

    response = client.get(reverse("consignments:consignment-export"))

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Consignments", "Truck lines", "Distribution reports"]
    rows = list(workbook["Truck lines"].values)
    assert rows[0][:3] == ("reference", "truck", "plate") and len(rows) == 4
    lost = [row for row in rows[1:] if row[10]]
    assert [(row[5], row[8], row[9], row[10]) for row in lost] == [("TENT", 100, 95, 5)]
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="consignments.consignment").exists()


def test_the_home_page_counts_consignments_on_the_road(client, dispatched, gaziantep):
    client.force_login(staff(Role.VIEWER, gaziantep))

    figures = {figure["key"]: figure["value"] for figure in client.get("/").context["figures"]}

    assert figures["consignments_on_the_road"] == 1


def test_the_list_page_costs_the_same_few_queries(client, plan, truck, tents, keeper, django_assert_max_num_queries):
    for number in range(8):
        truck(plan(), f"27 AB {number}01", (tents, 1))
    client.force_login(keeper)

    with django_assert_max_num_queries(9):
        response = client.get(reverse("consignments:consignment-list"))

    assert response.status_code == 200 and len(response.context["page"]) == 8
