"""A border incident in the browser: a member of the Edirne mobile team, on a phone, records a group apprehended
by the gendarmerie near the Meriç: the people met by sex × age group × nationality, first aid and interpretation,
and blankets and hygiene kits handed out from the van. The incident page lists the items issued (the kits first
expiry first out, across two lots), the van's stock page shows the balances gone down by as much, and the ledger
holds the issues, pointing to the incident. A second incident asking for more blankets than the van holds is
refused naming the balance, and saves nothing."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from liman.assistance import selectors, services
from liman.assistance.models import FieldIncident, IncidentGroupCount, Item, LedgerEntry, StockBalance
from liman.core.choices import OfficeType, Role
from liman.core.models import AdminArea
from tests.e2e.conftest import E2E
from tests.factories import OfficeFactory, staff

pytestmark = E2E

MERIC = "TUR022007"  # Meriç, Edirne: the land border on the Evros


def stocked_van(office):
    """Arrange through the services (the stock pages have their own tests): the office's warehouse receives
    blankets and two lots of hygiene kits, and loads 20 blankets and 6 + 10 kits on the van."""
    keeper = staff(Role.WAREHOUSE, office, username="warehouse.edr")
    warehouse = services.location_create(office=office, name="Edirne warehouse", by=keeper)
    van = services.location_create(
        office=office, name="Edirne van 1", kind="vehicle", vehicle_plate="22 LM 101", by=keeper
    )
    blankets, kits = Item.objects.get(code="BLANKET"), Item.objects.get(code="HYG-KIT")
    today = timezone.localdate()
    services.stock_receive(location=warehouse, item=blankets, quantity=50, project_code="TUR-ECHO-1", by=keeper)
    loads = [(blankets, None, 20)]
    for code, days, quantity in (("HK-2611", 60, 6), ("HK-2703", 200, 10)):
        receipt = services.stock_receive(
            location=warehouse, item=kits, quantity=quantity, project_code="TUR-ECHO-1", by=keeper,
            lot_code=code, expires_on=today + datetime.timedelta(days=days),
        )  # fmt: skip
        loads.append((kits, receipt.lot, quantity))
    for item, lot, quantity in loads:
        transfer = services.transfer_dispatch(
            from_location=warehouse, to_location=van, item=item, lot=lot, quantity=quantity, by=keeper
        )
        services.transfer_receive(transfer=transfer, by=keeper)
    return van, blankets, kits


def fill_incident(page, url, *, when: datetime.datetime, groups: dict, items: list[tuple[str, int]]) -> None:
    """Fill the incident form: the facts, then one grid row per nationality, then the items from the van."""
    page.goto(url("/incidents/new/"))
    page.get_by_label("Team's vehicle").select_option(label="Edirne van 1")
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("District").fill("Meriç, Edirne")  # typed, as the list of suggestions offers it
    page.get_by_label("Land or sea").select_option(label="Land")
    page.get_by_label("Authority present").select_option(label="Gendarmerie")
    page.get_by_label("How the group was met").select_option(label="Apprehension")
    # People met: a row per nationality (ISO code), a cell per sex × age group (named f_0_4 … m_60).
    for row, (nationality, cells) in enumerate(groups.items()):
        page.locator(f"[name='group-{row}-nationality']").fill(nationality)
        for cell, count in cells.items():
            page.locator(f"[name='group-{row}-{cell}']").fill(str(count))
    for row, (item, quantity) in enumerate(items):
        page.locator(f"[name='item-{row}-item']").select_option(label=item)
        page.locator(f"[name='item-{row}-quantity']").fill(str(quantity))


def balances(van) -> dict[tuple[str, str | None], int]:
    rows = StockBalance.objects.filter(location=van).values_list("item__code", "lot__code", "quantity")
    return {(item, lot): quantity for item, lot, quantity in rows}


def test_a_mobile_team_records_an_incident_with_items_from_the_van_and_a_short_van_saves_nothing(
    page, url, signed_in, browser_problems
):
    edirne = OfficeFactory(
        code="EDR",
        name="Edirne Mobile Team Base",
        type=OfficeType.MOBILE,
        province=AdminArea.objects.get(pcode="TUR022"),
    )
    van, blankets, kits = stocked_van(edirne)
    crew = signed_in(staff(Role.MOBILE_TEAM, edirne, username="mobile.edr"))
    page.set_viewport_size({"width": 412, "height": 915})  # the team records it on a phone, at the scene
    when = timezone.localtime(timezone.now() - datetime.timedelta(hours=2)).replace(second=0, microsecond=0)

    # Nine Afghan men, three women and two infants; four Syrian boys and two women: 20 people.
    fill_incident(
        page, url, when=when,
        groups={"AFG": {"m_18_59": 9, "f_18_59": 3, "f_0_4": 2}, "SYR": {"m_5_17": 4, "f_18_59": 2}},
        items=[("Blanket", 8), ("Hygiene kit", 8)],
    )  # fmt: skip
    page.get_by_label("Injured").fill("2")
    page.get_by_label("Interpretation").fill("20")
    page.get_by_label(re.compile(r"^First aid")).fill("2")  # not "Psychosocial first aid"
    page.get_by_role("button", name="Save").click()

    incident = FieldIncident.objects.get()
    expect(page).to_have_url(url(f"/incidents/{incident.pk}/"))
    expect(page.locator(".messages")).to_have_text(f"Incident {incident.reference} recorded.")
    expect(page.locator("h1")).to_have_text(f"{incident.reference} · Apprehension")
    facts = page.locator("dl.facts").first
    for text in ("Gendarmerie", "Land", "Edirne van 1", MERIC, "20"):
        expect(facts).to_contain_text(text)
    people = page.locator("table").first
    expect(people.locator("tbody tr").filter(has_text="AFG").locator("td").last).to_have_text("14")
    expect(people.locator("tbody tr").filter(has_text="SYR").locator("td").last).to_have_text("6")
    given = page.locator("h2:has-text('Services given') + ul li")
    expect(given).to_have_text(["First aid: 2", "Interpretation: 20"])
    # The kits went out first expiry first: the 6 of the lot expiring soon, then 2 of the next.
    issued = page.locator("h2:has-text('Items given from the vehicle') + ul li")
    expect(issued).to_have_text(["Blanket: 8", "Hygiene kit (lot HK-2611): 6", "Hygiene kit (lot HK-2703): 2"])

    # The van's stock page, reached from the stock overview: 20 − 8 blankets, the first lot gone, 10 − 2 kits left.
    page.goto(url("/stock/"))
    page.get_by_role("link", name="Edirne van 1").click()
    on_hand = page.locator("h2:has-text('On hand') + .table-wrap tbody tr")
    expect(on_hand).to_have_count(2)
    expect(on_hand.filter(has_text="Blanket").locator("td.num")).to_have_text("12 piece")
    expect(on_hand.filter(has_text="HK-2703").locator("td.num")).to_have_text("8 kit")
    expect(page.locator("body")).not_to_contain_text("HK-2611")

    # The ledger: three issues from the van for the incident, by the crew member, dated when it happened.
    entries = LedgerEntry.objects.filter(location=van, kind="issue")
    assert sorted(entries.values_list("item__code", "lot__code", "quantity")) == [
        ("BLANKET", None, -8), ("HYG-KIT", "HK-2611", -6), ("HYG-KIT", "HK-2703", -2),
    ]  # fmt: skip
    assert all(e.issued_for == incident and e.by == crew and e.at == when for e in entries)
    assert balances(van) == {("BLANKET", None): 12, ("HYG-KIT", "HK-2611"): 0, ("HYG-KIT", "HK-2703"): 8}
    assert incident.people_met == 20 and incident.injured == 2 and incident.occurred_at == when
    assert selectors.ledger_differences() == []

    # A second group: 30 blankets asked of the 12 left. Refused, naming the balance; nothing saved.
    ledger_before = LedgerEntry.objects.count()
    fill_incident(
        page, url, when=when + datetime.timedelta(hours=1),
        groups={"IRQ": {"m_18_59": 25, "f_18_59": 5}}, items=[("Blanket", 30)],
    )  # fmt: skip
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist.nonfield")).to_have_text("Only 12 × Blanket left at Edirne van 1; 30 asked for.")
    expect(page).to_have_url(url("/incidents/new/"))
    expect(page.locator("[name='group-0-nationality']")).to_have_value("IRQ")  # what was typed is kept
    assert FieldIncident.objects.count() == 1
    assert IncidentGroupCount.objects.exclude(incident=incident).count() == 0
    assert LedgerEntry.objects.count() == ledger_before
    assert balances(van) == {("BLANKET", None): 12, ("HYG-KIT", "HK-2611"): 0, ("HYG-KIT", "HK-2703"): 8}
    assert browser_problems == []
