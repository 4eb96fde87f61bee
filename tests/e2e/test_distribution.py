"""A distribution day in the browser: a member of the site team opens the plan, prints the household cards (a
PDF whose QR codes, decoded here as a phone or a scanner would, hold the household references), scans a card into
the verification box, records the receipt naming the member who came, and sees it recorded. The same card scanned
again shows when and by whom the household received, with no button to record it again; a second receipt forced
past the page is refused and issues nothing; the plan page counts one household received."""

from __future__ import annotations

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from liman.assistance import services
from liman.assistance.choices import EntitlementState, EntryKind
from liman.assistance.models import Entitlement, Item, LedgerEntry, StockBalance
from liman.core.choices import Role
from tests.assistance.test_distribution_views import decode_cards
from tests.assistance.test_distributions import household
from tests.e2e.conftest import E2E
from tests.factories import staff

pytestmark = E2E


def open_distribution(office):
    """Arrange through the services (planning, selection and opening have their own tests): a warehouse with
    blankets and two lots of hygiene kits, a plan giving every household a kit and 2 or 4 blankets by its size,
    three households entitled, the goods sent to the site and received there by the site team."""
    keeper = staff(Role.WAREHOUSE, office, username="warehouse.ist")
    officer = staff(Role.PROGRAMME_OFFICER, office, username="po.ist")
    distributor = staff(Role.DISTRIBUTION, office, username="dist.ist")
    warehouse = services.location_create(office=office, name="Istanbul warehouse", by=keeper)
    site = services.location_create(office=office, name="Esenyurt distribution point", kind="site", by=keeper)
    blankets, kits = Item.objects.get(code="BLANKET"), Item.objects.get(code="HYG-KIT")
    today = timezone.localdate()
    services.stock_receive(location=warehouse, item=blankets, quantity=40, project_code="TUR-ECHO-1", by=keeper)
    for lot, days in (("HK-2611", 60), ("HK-2703", 200)):
        services.stock_receive(
            location=warehouse, item=kits, quantity=2, project_code="TUR-ECHO-1", lot_code=lot,
            expires_on=today + datetime.timedelta(days=days), by=keeper,
        )  # fmt: skip
    plan = services.distribution_plan_create(
        office=office, name="Winter NFI", project_code="TUR-ECHO-1", warehouse=warehouse, site=site,
        starts_on=today, ends_on=today + datetime.timedelta(days=2),
        items=[(kits, 1, None, 1), (blankets, 1, 3, 2), (blankets, 4, None, 4)], by=officer,
    )  # fmt: skip
    homes = [household(office, name, size) for name, size in (("Rukiye", 3), ("Fatma", 4), ("Hatice", 1))]
    services.distribution_select(plan=plan, households=homes, selection="Esenyurt list", by=officer)
    for transfer in services.distribution_open(plan=plan, by=keeper):
        services.transfer_receive(transfer=transfer, by=distributor)
    return plan, homes, distributor


def scan(page, text: str) -> None:
    """What a keyboard-wedge scanner does: types the QR's text into the focused box, then Enter."""
    box = page.get_by_label("Scan the card, or type a household reference, a name or a phone")
    box.fill(text)
    box.press("Enter")


def test_a_scanned_card_is_recorded_once_and_the_second_attempt_is_refused(
    page, url, signed_in, istanbul, browser_problems
):
    plan, homes, distributor = open_distribution(istanbul)
    rukiye = homes[0]
    signed_in(distributor)
    plan_url = url(f"/distributions/{plan.pk}/")
    page.goto(plan_url)
    expect(page.locator("h1")).to_contain_text(plan.reference)

    # The cards, as printed from the plan page's link (an inline PDF: fetched with the browser's own session, as
    # its viewer would): one QR per household, each reading back its reference.
    link = page.get_by_role("link", name="Household cards (PDF)")
    cards = page.request.get(url(link.get_attribute("href")))
    assert cards.ok and cards.headers["content-type"] == "application/pdf"
    scanned = decode_cards(cards.body())
    assert sorted(scanned) == sorted(home.reference for home in homes)
    card = next(text for text in scanned if text == rukiye.reference)

    page.get_by_role("link", name="Verify and record receipts").click()
    scan(page, card)
    found = page.locator(f'section.entitlement[data-household="{rukiye.reference}"]')
    expect(found).to_have_count(1)
    expect(found).to_contain_text("3 people")
    expect(found).to_contain_text("2 × Blanket")
    expect(found).to_contain_text("1 × Hygiene kit")
    # Her son came for the household: a member, chosen from the members the page offers.
    son = rukiye.members.exclude(person=rukiye.head).order_by("id").first().person
    found.get_by_label("Received by").select_option(label=son.full_name)
    found.get_by_role("button", name="Record the receipt").click()
    expect(page.locator(".messages")).to_contain_text(f"{rukiye.reference} received.")
    expect(page.locator("main")).to_contain_text("1 of 3 households served.")

    entitlement = Entitlement.objects.get(plan=plan, household=rukiye)
    assert entitlement.state == EntitlementState.RECEIVED and entitlement.received_by_person == son
    issued = LedgerEntry.objects.filter(kind=EntryKind.ISSUE, location=plan.site)
    # The kit of the lot expiring first; two blankets for three people.
    assert sorted((e.item.code, e.lot.code if e.lot else "", e.quantity) for e in issued) == [
        ("BLANKET", "", -2),
        ("HYG-KIT", "HK-2611", -1),
    ]

    # The same card again: the household is shown as served, with when and by whom, and nothing to press.
    scan(page, card)
    found = page.locator(f'section.entitlement[data-household="{rukiye.reference}"]')
    when = timezone.localtime(entitlement.received_at).strftime("%Y-%m-%d %H:%M")
    expect(found).to_contain_text(
        f"Already received on {when}: collected by {son.full_name}, recorded by {distributor.username}."
    )
    expect(found.get_by_role("button", name="Record the receipt")).to_have_count(0)
    expect(found.locator("form")).to_have_count(0)

    # A second receipt forced past the page (a stale tab, a replayed request) is refused and issues nothing.
    token = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
    prefix = f"e{entitlement.pk}"
    response = page.request.post(
        url(f"/distributions/{plan.pk}/entitlements/{entitlement.pk}/receive/"),
        headers={"X-CSRFToken": token},
        form={f"{prefix}-received_by": "other", f"{prefix}-received_by_name": "Someone else"},
    )
    # Back on the verification page, the household looked up again, with why it was refused.
    assert response.ok and response.url == url(f"/distributions/{plan.pk}/verify/?q={rukiye.reference}")
    first = f"{rukiye.reference} already received on {when}: collected by {son.full_name}, recorded by dist.ist."
    assert first in response.text()
    assert issued.count() == 2
    entitlement.refresh_from_db()
    assert entitlement.received_by_person == son and entitlement.received_by_name == ""
    # What the site holds: what it received (8 blankets; 2 + 1 kits by lot) less the one receipt.
    at_site = StockBalance.objects.filter(location=plan.site).values_list("item__code", "lot__code", "quantity")
    assert sorted(at_site) == [("BLANKET", None, 6), ("HYG-KIT", "HK-2611", 1), ("HYG-KIT", "HK-2703", 1)]

    # The plan page counts one household received, two to come.
    page.goto(plan_url)
    expect(page.locator("section.card").first).to_contain_text(
        "3 households entitled: 1 received, 2 still to come, 0 unclaimed."
    )
    row = page.locator("table").last.locator("tbody tr").filter(has_text=rukiye.reference)
    expect(row).to_contain_text("Received")
    expect(row).to_contain_text(son.full_name)
    assert browser_problems == []
