"""The distribution pages: plan, select, send to the site, verify by a scanned card, record, refuse the second
receipt, close; household cards as PDF whose QR code reads back the household reference."""

from __future__ import annotations

import datetime

import pypdfium2
import pytest
import zxingcpp
from django.urls import reverse
from django.utils import timezone

from liman.assistance import services
from liman.assistance.choices import DistributionState, EntitlementState
from liman.assistance.models import DistributionPlan, Entitlement
from liman.core.choices import Role
from liman.core.models import AuditEvent
from tests.assistance.test_distributions import household
from tests.factories import OfficeFactory, staff


def decode_cards(pdf: bytes) -> list[str]:
    """The text of every QR code on every page, as a phone or a scanner reads the printed card."""
    found = []
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        image = page.render(scale=2).to_pil()
        found += [
            result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode
        ]
    return found


@pytest.fixture
def world(istanbul, keeper, warehouse, blankets):
    officer = staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist")
    distributor = staff(Role.DISTRIBUTION, istanbul, username="dist.ist")
    site = services.location_create(office=istanbul, name="Esenyurt point", kind="site", by=keeper)
    services.stock_receive(location=warehouse, item=blankets, quantity=100, project_code="P1", by=keeper)
    homes = [household(istanbul, name, size) for name, size in (("Ayse", 2), ("Fatma", 4), ("Hatice", 1))]
    return {"officer": officer, "distributor": distributor, "site": site, "homes": homes}


def test_a_distribution_from_plan_to_close_through_the_pages(client, world, istanbul, keeper, warehouse, blankets):
    client.force_login(world["officer"])
    today = timezone.localdate()
    response = client.post(
        reverse("assistance:distribution-create"),
        {
            "name": "Winter blankets", "project_code": "TUR-X-1", "warehouse": warehouse.pk, "site": world["site"].pk,
            "starts_on": today.isoformat(), "ends_on": (today + datetime.timedelta(days=1)).isoformat(),
            "band-TOTAL_FORMS": "4", "band-INITIAL_FORMS": "0",
            "band-0-item": blankets.pk, "band-0-min_size": "1", "band-0-max_size": "3", "band-0-quantity": "2",
            "band-1-item": blankets.pk, "band-1-min_size": "4", "band-1-quantity": "4",
        },
    )  # fmt: skip
    plan = DistributionPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assistance:distribution-select", args=[plan.pk]
    )
    references = "\n".join(h.reference for h in world["homes"])
    response = client.post(reverse("assistance:distribution-select", args=[plan.pk]), {"references": references})
    assert response.status_code == 302 and plan.entitlements.count() == 3
    response = client.post(reverse("assistance:distribution-select", args=[plan.pk]), {"references": "IST-H-NOPE"})
    assert "Not found in this office: IST-H-NOPE" in response.content.decode()

    # The cards print every household; their QR codes read back the references.
    pdf = client.get(reverse("assistance:distribution-cards", args=[plan.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    scanned = decode_cards(pdf.content)
    assert sorted(scanned) == sorted(h.reference for h in world["homes"])

    client.force_login(keeper)
    client.post(reverse("assistance:distribution-open", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.state == DistributionState.OPEN
    for transfer in world["site"].transfers_in.all():
        services.transfer_receive(transfer=transfer, by=world["distributor"])

    client.force_login(world["distributor"])
    ayse = world["homes"][0]
    code = next(text for text in scanned if text == ayse.reference)
    page = client.get(reverse("assistance:distribution-verify", args=[plan.pk]), {"q": code})
    entitlement = Entitlement.objects.get(household=ayse)
    body = page.content.decode()
    assert ayse.reference in body and "Record the receipt" in body and "2 × " in body
    url = reverse("assistance:distribution-receive", args=[plan.pk, entitlement.pk])
    response = client.post(url, {f"e{entitlement.pk}-received_by": str(ayse.head_id)})
    assert response.status_code == 302
    entitlement.refresh_from_db()
    assert entitlement.state == EntitlementState.RECEIVED and entitlement.received_by_person_id == ayse.head_id
    # The second attempt (the same card scanned again) is refused and shows the first.
    response = client.post(
        url, {f"e{entitlement.pk}-received_by": "other", f"e{entitlement.pk}-received_by_name": "X"}, follow=True
    )
    body = response.content.decode()
    assert "already received" in body and "dist.ist" in body
    again = client.get(reverse("assistance:distribution-verify", args=[plan.pk]), {"q": code}).content.decode()
    assert "Already received on" in again and "Record the receipt" not in again

    # The household's person page shows what it received.
    client.force_login(world["distributor"])
    person_page = client.get(reverse("registry:person-detail", args=[ayse.head.reference])).content.decode()
    assert plan.reference in person_page and "Assistance received" in person_page

    client.post(reverse("assistance:distribution-close", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.state == DistributionState.CLOSED
    assert plan.entitlements.filter(state=EntitlementState.UNCLAIMED).count() == 2
    assert AuditEvent.objects.filter(object_type="assistance.entitlement", action="update").count() >= 3


def test_verification_is_for_distribution_staff_of_the_office(client, world, izmir, istanbul, warehouse, blankets):
    today = timezone.localdate()
    plan = services.distribution_plan_create(
        office=istanbul, name="x", project_code="P", warehouse=warehouse, site=world["site"], starts_on=today,
        ends_on=today, items=[(blankets, 1, None, 1)], by=world["officer"],
    )  # fmt: skip
    client.force_login(staff(Role.DISTRIBUTION, izmir, username="dist.izm"))
    assert client.get(reverse("assistance:distribution-verify", args=[plan.pk])).status_code == 404
    assert client.get(reverse("assistance:distribution-detail", args=[plan.pk])).status_code == 404
    assert client.get(reverse("assistance:distribution-cards", args=[plan.pk])).status_code == 404
    client.force_login(world["officer"])
    assert client.get(reverse("assistance:distribution-verify", args=[plan.pk])).status_code == 404


def test_distributions_in_the_api_cost_the_same_few_queries(client, world, istanbul, keeper, warehouse, blankets,
                                                            django_assert_max_num_queries):  # fmt: skip
    today = timezone.localdate()
    for number in range(3):
        plan = services.distribution_plan_create(
            office=istanbul, name=f"Round {number}", project_code="P", warehouse=warehouse, site=world["site"],
            starts_on=today, ends_on=today, items=[(blankets, 1, 2, 1), (blankets, 3, None, 2)], by=world["officer"],
        )  # fmt: skip
        services.distribution_select(plan=plan, households=world["homes"], selection="", by=world["officer"])
    client.force_login(world["distributor"])
    for route in ("/api/distributions/", "/api/distributions/entitlements/"):
        with django_assert_max_num_queries(12):
            response = client.get(route)
        assert response.status_code == 200 and response.json()["count"] in (3, 9)
    rows = client.get(f"/api/distributions/entitlements/?plan={plan.reference}").json()["results"]
    assert sorted(row["lines"][0]["quantity"] for row in rows) == [1, 1, 2]  # households of 2, 1 and 4 people
    plans = client.get("/api/distributions/").json()["results"]
    assert {row["households"] for row in plans} == {3} and plans[0]["plan_items"][0]["item"] == "BLANKET"
    client.force_login(staff(Role.DISTRIBUTION, OfficeFactory(code="EDR")))
    assert client.get("/api/distributions/").json()["count"] == 0
    assert client.get(f"/api/distributions/{plan.pk}/").status_code == 404


def test_a_card_scanned_again_after_someone_else_collected_shows_who(
    client, world, istanbul, keeper, warehouse, blankets
):
    today = timezone.localdate()
    plan = services.distribution_plan_create(
        office=istanbul, name="x", project_code="P", warehouse=warehouse, site=world["site"], starts_on=today,
        ends_on=today, items=[(blankets, 1, None, 1)], by=world["officer"],
    )  # fmt: skip
    home = world["homes"][2]
    services.distribution_select(plan=plan, households=[home], selection="", by=world["officer"])
    for transfer in services.distribution_open(plan=plan, by=keeper):
        services.transfer_receive(transfer=transfer, by=world["distributor"])
    services.distribution_receive(
        entitlement=plan.entitlements.get(), received_by_name="Neighbour Mehmet", by=world["distributor"]
    )
    client.force_login(world["distributor"])
    page = client.get(reverse("assistance:distribution-verify", args=[plan.pk]), {"q": home.reference})
    body = page.content.decode()
    assert "collected by Neighbour Mehmet, recorded by dist.ist." in body and "Record the receipt" not in body
