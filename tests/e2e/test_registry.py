"""The registry in the browser: search-first registration of a family of four, scoping, languages."""

import re
from urllib.parse import quote

from playwright.sync_api import expect

from liman.core.choices import Role
from tests.e2e.conftest import E2E
from tests.factories import staff

pytestmark = E2E

FAMILY = [
    # first name, sex, birth date, place in the household
    ("Mohammed", "M", "1979", "head"),
    ("Fatima", "F", "1983-04", "spouse"),
    ("Omar", "M", "2011-09-02", "child"),
    ("Aisha", "F", "2015", "child"),
]


def register(page, url, first_name, sex, born, place, household=""):
    """Search first, then register from the search page; returns the new person's page address."""
    page.goto(url(f"/people/?name={quote(first_name + ' Haddad')}"))
    page.get_by_role("link", name="Register a new person").first.click()
    page.fill("#id_first_name", first_name)
    page.fill("#id_family_name", "Haddad")
    page.fill("#id_father_name", "Ahmad" if place == "head" else "")
    page.check("#id_sex_0" if sex == "M" else "#id_sex_1")
    page.fill("#id_birth_date", born)
    page.select_option("#id_nationality", "SYR")
    page.select_option("#id_legal_status", "temporary_protection")
    if place == "head":
        page.check("#id_household_0")
    else:
        page.check("#id_household_1")
        # The household is found by its head's name and picked, not typed by reference.
        page.fill("#id_household-query", "Mohammed Haddad")
        page.check(f"input[name=household_reference][value='{household}']")
        page.select_option("#id_relationship", place)
    page.check("#id_consent_given")
    if page.locator("#id_confirmed_new").count():
        page.check("#id_confirmed_new")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/people/[A-Z]+-[A-Z0-9]+/$"))
    return page.url


def test_a_caseworker_registers_a_family_of_four_search_first(page, url, signed_in, caseworker, izmir):
    signed_in(caseworker)
    head_url = register(page, url, *FAMILY[0])
    household = page.locator("a[href^='/households/']").first.inner_text().strip()
    assert household.startswith("IST-H-")
    for member in FAMILY[1:]:
        register(page, url, *member, household=household)

    page.goto(url(f"/households/{household}/"))
    for first_name, *_ in FAMILY:
        expect(page.locator("main")).to_contain_text(f"{first_name}")
    expect(page.locator("main")).to_contain_text("Spouse")

    # A search now shows the family first: the fuzzy search finds "Muhammad" for "Mohammed".
    page.goto(url("/people/?name=Muhammad+Hadad"))
    expect(page.locator("main")).to_contain_text("Mohammed")

    # A caseworker of another office gets 404 on the person and the household.
    page.context.clear_cookies()
    signed_in(staff(Role.CASEWORKER, izmir))
    assert page.goto(head_url).status == 404
    assert page.goto(url(f"/households/{household}/")).status == 404


def test_the_person_page_works_in_turkish_and_arabic(page, url, signed_in, caseworker):
    signed_in(caseworker)
    head_url = register(page, url, *FAMILY[0])
    page.goto(head_url)
    page.locator("#language-select").select_option("tr")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("main")).to_contain_text("Geçici koruma")
    page.locator("#language-select").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("main")).to_contain_text("الحماية المؤقتة")
