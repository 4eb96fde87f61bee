"""A cross-border consignment in the browser, from dispatch to the partner's report: the Gaziantep warehouse plans it,
loads a truck and dispatches it from the Kilis road hub; the monitor clears the truck at Öncüpınar – Bab al-Salam and
records the handover with five tents lost on the way; the partner signs in, sees only its own consignment, and
reports the distribution by sub-district, which then shows on the consignment."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import expect

from liman.assistance import services as stock
from liman.assistance.models import Item, StockBalance
from liman.cases import services as cases
from liman.consignments import services as consignments
from liman.consignments.models import Consignment, TransitLoss
from liman.core.choices import OfficeType, Role
from liman.core.models import AdminArea
from tests.e2e.conftest import E2E, nav_click, sign_in_with_form
from tests.factories import OfficeFactory, staff

pytestmark = E2E


def test_a_consignment_from_dispatch_to_the_partners_report(page, url, signed_in, browser_problems):
    gaziantep = OfficeFactory(
        code="GAZ", name="Gaziantep Sub-Office", type=OfficeType.SUB, province=AdminArea.objects.get(pcode="TUR027")
    )
    keeper = staff(Role.WAREHOUSE, gaziantep, username="warehouse.gaz")
    monitor = staff(Role.PROGRAMME_OFFICER, gaziantep, username="programme-officer.gaz")
    tents, tarps = Item.objects.get(code="TENT"), Item.objects.get(code="TARP")
    hub = stock.location_create(office=gaziantep, name="Kilis road cross-border hub", by=keeper)
    stock.stock_receive(location=hub, item=tents, quantity=300, project_code="TUR-ECHO-2026-011", by=keeper)
    stock.stock_receive(location=hub, item=tarps, quantity=1000, project_code="TUR-ECHO-2026-011", by=keeper)
    partners = {}
    for name, acronym in (("Sham Humanitarian Partners", "SHP"), ("North Aleppo Relief Coalition", "NARC")):
        organisation = cases.partner_organisation_create(name=name, acronym=acronym, kind="ngo", by=None)
        user = staff(Role.PARTNER, gaziantep, username=f"partner.{acronym.lower()}")
        cases.partner_member_add(organisation=organisation, user=user, by=None)
        partners[acronym] = (organisation, user)
    # Another partner's consignment of the same hub, which the first partner must never see.
    other = consignments.consignment_plan(
        hub=hub, partner=partners["NARC"][0], crossing="cobanbey", destination="NARC warehouse, Al Bab",
        planned_on=timezone.localdate(), project_code="TUR-BPRM-2025-047", by=keeper,
    )  # fmt: skip

    # The warehouse plans the consignment, loads a truck and dispatches it.
    signed_in(keeper)
    page.goto(url("/"))
    nav_click(page, "consignments")
    page.get_by_role("link", name="Plan a consignment").click()
    page.get_by_label("Partner organisation").select_option(label="Sham Humanitarian Partners (SHP)")
    page.get_by_label("Border crossing").select_option(label="Öncüpınar – Bab al-Salam (Kilis)")
    page.get_by_label("Destination").fill("SHP warehouse, A'zaz")
    page.get_by_label("Planned for").fill(timezone.localdate().isoformat())
    page.get_by_label("Project code").fill("TUR-ECHO-2026-011")
    page.get_by_role("button", name="Save").click()
    consignment = Consignment.objects.exclude(pk=other.pk).get()
    expect(page).to_have_url(url(f"/consignments/{consignment.pk}/"))
    expect(page.locator("h1")).to_contain_text(consignment.reference)

    page.get_by_role("link", name="Add a truck").click()
    page.get_by_label("Plate").fill("27 AB 101")
    page.get_by_label("Driver").fill("Halil Demir")
    page.get_by_label("Seal numbers").fill("TR-GAZ-200001, TR-GAZ-200002")
    page.get_by_label("Item 1", exact=True).select_option(label="Family tent")
    page.get_by_label("Quantity 1", exact=True).fill("100")
    page.get_by_label("Item 2", exact=True).select_option(label="Tarpaulin 4 × 6 m")
    page.get_by_label("Quantity 2", exact=True).fill("200")
    page.get_by_role("button", name="Add the truck").click()
    expect(page.locator(".messages")).to_have_text("Truck 27 AB 101 added.")
    page.get_by_role("button", name="Loading done").click()
    page.get_by_role("link", name="Dispatch", exact=True).click()
    page.get_by_role("button", name="Dispatch the trucks").click()
    expect(page.locator(".messages")).to_contain_text("dispatched: the goods left the hub")
    expect(page.locator("h1 .state")).to_have_text("Dispatched")
    held = dict(StockBalance.objects.filter(location=hub).values_list("item__code", "quantity"))
    assert held == {"TENT": 200, "TARP": 800}

    # The monitor clears the truck at the crossing and records the handover: 95 tents of 100 arrived.
    page.context.clear_cookies()
    signed_in(monitor)
    page.goto(url(f"/consignments/{consignment.pk}/"))
    page.get_by_role("link", name="Check at the crossing").click()
    page.get_by_label("Yes: the seal numbers match").check()
    page.get_by_label("Cleared", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1 .state")).to_have_text("Cleared at the crossing")
    page.get_by_role("link", name="Record the handover").click()
    page.get_by_label("Received by").fill("Hiba Qassem")
    page.get_by_label("Received on 27 AB 101 of Family tent").fill("95")
    page.get_by_label("What happened on 27 AB 101 to Family tent").select_option(label="Damaged")
    page.get_by_label("Details on 27 AB 101 of Family tent").fill("Crushed when the load shifted after the crossing")
    page.get_by_role("button", name="Save the handover").click()
    expect(page.locator("h1 .state")).to_have_text("Handed over to the partner")
    losses = page.locator("table.losses tbody tr")
    expect(losses).to_have_count(1)
    expect(losses).to_contain_text("Crushed when the load shifted after the crossing")
    assert TransitLoss.objects.get().quantity == 5

    # The partner signs in, sees only its own consignment, and reports the distribution.
    page.context.clear_cookies()
    sign_in_with_form(page, url, "partner.shp")
    nav_click(page, "consignments")
    listed = page.locator("table.consignments tbody tr")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(consignment.reference)
    expect(page.locator("body")).not_to_contain_text(other.reference)
    page.get_by_role("link", name=consignment.reference).click()
    page.get_by_role("link", name="Report the distribution").click()
    for label, value in (
        ("P-code 1", "SY070301"), ("Sub-district 1", "Dana"), ("Households 1", "18"), ("People 1", "90"),
        ("Female 5–17 1", "20"), ("Female 18–59 1", "25"), ("Male 5–17 1", "20"), ("Male 18–59 1", "25"),
        ("Family tent 1", "18"), ("Tarpaulin 4 × 6 m 1", "36"),
        ("P-code 2", "SY070303"), ("Sub-district 2", "Salqin"), ("Households 2", "30"), ("People 2", "150"),
        ("Female 18–59 2", "80"), ("Male 18–59 2", "70"), ("Family tent 2", "30"), ("Tarpaulin 4 × 6 m 2", "60"),
    ):  # fmt: skip
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Submit the report").click()

    expect(page.locator(".messages")).to_have_text("Distribution report submitted.")
    expect(page.locator("h1 .state")).to_have_text("Distribution reported")
    report = page.locator("section.report")
    expect(report).to_contain_text("48 households, 240 people reached.")
    expect(report.locator("tbody tr")).to_have_count(2)
    expect(report.locator("tbody tr").filter(has_text="SY070303")).to_contain_text("Salqin")
    assert browser_problems == []
