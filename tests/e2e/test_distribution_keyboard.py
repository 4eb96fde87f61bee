"""A distribution day without the mouse (issue 20, item 6): the site team serves three households by keyboard only.

The verification page opens with the focus in the scan box; a card's reference typed there (as a keyboard-wedge
scanner types it) and Enter find the household; one Tab reaches its "Received by"; the arrow keys choose who
came; Enter records the receipt and the page comes back with the focus in the scan box for the next card. A
household whose collector is "someone else" goes from the select to the name box, whose Enter records it.
Nothing here clicks: every step is `page.keyboard`.
"""

from __future__ import annotations

from playwright.sync_api import expect

from liman.assistance.choices import EntitlementState
from liman.assistance.models import Entitlement
from tests.e2e.conftest import E2E
from tests.e2e.test_distribution import open_distribution

pytestmark = E2E

SCAN_BOX = "#verify-q"


def find(page, reference: str) -> None:
    """Type the card's reference into the focused scan box and press Enter, as a scanner does."""
    expect(page.locator(SCAN_BOX)).to_be_focused()
    page.keyboard.type(reference)
    page.keyboard.press("Enter")
    expect(page.locator(f'section.entitlement[data-household="{reference}"]')).to_have_count(1)
    # The focus stays in the scan box (a wrong card is scanned again at once).
    expect(page.locator(SCAN_BOX)).to_be_focused()
    expect(page.locator(SCAN_BOX)).to_have_value(reference)


def test_three_households_served_by_keyboard_only(page, url, signed_in, istanbul, browser_problems):
    plan, homes, distributor = open_distribution(istanbul)
    rukiye, fatma, hatice = homes
    signed_in(distributor)
    page.goto(url(f"/distributions/{plan.pk}/verify/"))
    expect(page.locator(SCAN_BOX)).to_be_focused()

    served = []
    for number, (home, arrows) in enumerate(((rukiye, 0), (fatma, 2), (hatice, 1)), start=1):
        entitlement = Entitlement.objects.get(plan=plan, household=home)
        find(page, home.reference)
        select = page.locator(f"#id_e{entitlement.pk}-received_by")
        page.keyboard.press("Tab")
        expect(select).to_be_focused()
        for _ in range(arrows):
            page.keyboard.press("ArrowDown")
        chosen = select.input_value()
        if chosen == "other":
            # Hatice (alone in her household) sent a neighbour: Enter on "Someone else" moves to the name box.
            page.keyboard.press("Enter")
            name = page.locator(f"#id_e{entitlement.pk}-received_by_name")
            expect(name).to_be_focused()
            page.keyboard.type("Neighbour Emine Kaya")
        page.keyboard.press("Enter")
        expect(page.locator(".messages")).to_contain_text(f"{home.reference} received.")
        expect(page.locator("main")).to_contain_text(f"{number} of 3 households served.")
        # Back on the page with the focus in the empty scan box, ready for the next card.
        expect(page.locator(SCAN_BOX)).to_be_focused()
        expect(page.locator(SCAN_BOX)).to_have_value("")
        served.append((entitlement.pk, chosen))

    for pk, chosen in served:
        entitlement = Entitlement.objects.get(pk=pk)
        assert entitlement.state == EntitlementState.RECEIVED
        assert entitlement.recorded_by == distributor
        if chosen == "other":
            assert entitlement.received_by_person is None
            assert entitlement.received_by_name == "Neighbour Emine Kaya"
        else:
            assert str(entitlement.received_by_person_id) == chosen
    # The arrows chose who came: the head for Rukiye, the third member of Fatma's household (not her head).
    rukiye_entitlement, fatma_entitlement, _hatice = (Entitlement.objects.get(pk=pk) for pk, _chosen in served)
    assert rukiye_entitlement.received_by_person == rukiye.head
    assert fatma_entitlement.received_by_person not in (None, fatma.head)
    assert browser_problems == []


def test_the_distribution_list_and_verification_fit_a_phone(page, url, signed_in, istanbul):
    """At the site the team often has a phone: the plans table stacks its cells (State included) within the
    screen, and the verification page does not scroll sideways."""
    plan, homes, distributor = open_distribution(istanbul)
    signed_in(distributor)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(url("/distributions/"))
    state = page.locator("table tbody tr td[data-label='State']")
    expect(state).to_have_count(1)
    expect(state).to_be_visible()
    expect(state).to_contain_text("Open")
    box = state.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto(url(f"/distributions/{plan.pk}/verify/?q={homes[1].reference}"))
    expect(
        page.locator(f"#id_e{Entitlement.objects.get(plan=plan, household=homes[1]).pk}-received_by")
    ).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
