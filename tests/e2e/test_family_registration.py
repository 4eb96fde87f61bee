"""A family of four registered in one flow in the browser (issue 20, item 1): one search, one page, one save."""

import re

from playwright.sync_api import expect

from liman.registry.models import Household, Person
from tests.e2e.conftest import E2E

pytestmark = E2E


def test_a_caseworker_registers_a_family_of_four_on_one_page(page, url, signed_in, caseworker, browser_problems):
    signed_in(caseworker)
    page.goto(url("/people/"))
    page.get_by_label("Name", exact=True).fill("Karim Nouri Haddad")
    page.get_by_label("Name", exact=True).press("Enter")
    page.get_by_role("link", name="Register a family").first.click()
    expect(page).to_have_url(re.compile(r"/people/new/family/\?"))

    # The search filled the head's three names.
    expect(page.locator("#id_head-first_name")).to_have_value("Karim")
    expect(page.locator("#id_head-father_name")).to_have_value("Nouri")
    expect(page.locator("#id_head-family_name")).to_have_value("Haddad")
    page.check("#id_head-sex_0")
    page.fill("#id_head-birth_date", "1984-03-12")
    page.select_option("#id_head-nationality", "SYR")

    loads = []
    page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
    # Members are added on the page, with the keyboard as well: Enter on "Add a member" adds a row and puts the
    # cursor in its relationship.
    page.get_by_role("button", name="Add a member").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_member-0-relationship")).to_be_focused()
    expect(page.locator("#id_member-0-family_name")).to_have_value("Haddad")
    page.locator("#id_member-0-relationship").select_option("spouse")
    expect(page.locator("#id_member-0-family_name")).to_have_value("")
    page.fill("#id_member-0-first_name", "Amina")
    page.fill("#id_member-0-father_name", "Yusuf")
    page.fill("#id_member-0-family_name", "Darwish")
    page.check("#id_member-0-sex_1")
    page.fill("#id_member-0-birth_date", "1988-07-02")

    for number, (first, sex, born) in enumerate([("Omar", 0, "2012-05-20"), ("Sara", 1, "2016")], start=1):
        page.get_by_role("button", name="Add a member").click()
        page.select_option(f"#id_member-{number}-relationship", "child")
        # A child of a male head: his first name as father's name, his family name.
        expect(page.locator(f"#id_member-{number}-father_name")).to_have_value("Karim")
        expect(page.locator(f"#id_member-{number}-family_name")).to_have_value("Haddad")
        page.fill(f"#id_member-{number}-first_name", first)
        page.check(f"#id_member-{number}-sex_{sex}")
        page.fill(f"#id_member-{number}-birth_date", born)
    # A row added by mistake is removed on the page.
    page.get_by_role("button", name="Add a member").click()
    page.fill("#id_member-3-first_name", "Mistake")
    page.locator("#member-3").get_by_role("button", name="Remove this member").click()
    expect(page.locator("#member-3")).to_be_hidden()
    assert loads == [], "adding and removing members loads no page"

    page.fill("#id_district", "Esenyurt")
    page.fill("#id_address", "Namık Kemal Mah. 1203 Sk. No 7")
    page.check("#id_consent_given")
    if page.locator("#id_confirmed_new").count():
        page.check("#id_confirmed_new")
    page.get_by_role("button", name="Register the family").click()

    household = Household.objects.get()
    expect(page).to_have_url(re.compile(rf"/households/{household.reference}/$"))
    expect(page.locator(".messages")).to_contain_text(f"4 people are registered in household {household.reference}")
    main = page.locator("main")
    for name in ("Karim Nouri Haddad", "Amina Yusuf Darwish", "Omar Karim Haddad", "Sara Karim Haddad"):
        expect(main).to_contain_text(name)
    expect(main).to_contain_text("Esenyurt")
    assert len(loads) == 1
    assert Person.objects.count() == 4 and household.district.pcode == "TUR034018"
    assert browser_problems == []
