"""A household registered with its district is counted on the map, in its province."""

import re
from urllib.parse import quote

from playwright.sync_api import expect

from tests.e2e.conftest import E2E

pytestmark = E2E


def test_a_household_registered_in_kadikoy_is_counted_in_istanbul_on_the_map(page, url, signed_in, caseworker):
    signed_in(caseworker)
    page.goto(url(f"/people/?name={quote('Rania Haddad')}"))
    page.get_by_role("link", name="Register a new person").first.click()
    page.fill("#id_first_name", "Rania")
    page.fill("#id_family_name", "Haddad")
    page.check("#id_sex_1")
    page.fill("#id_birth_date", "1990")
    page.select_option("#id_nationality", "SYR")
    page.check("#id_household_0")
    # The districts of the office's province are offered as one types; the text is resolved on the server.
    expect(page.locator("#id_district-options option[value='Kadıköy, İstanbul']")).to_have_count(1)
    page.fill("#id_district", "Kadıköy, İstanbul")
    page.fill("#id_address", "Caferağa Mah. Moda Cad. No:17")
    page.check("#id_consent_given")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/people/[A-Z]+-[A-Z0-9]+/$"))

    page.locator("a[href^='/households/']").first.click()
    expect(page.locator("#location")).to_contain_text("Kadıköy, İstanbul")

    page.goto(url("/map/?metric=people"))
    drawn = page.locator('#map[data-loaded="true"]')
    expect(drawn).to_have_attribute("data-provinces", "81", timeout=15_000)
    expect(page.locator('#map path[data-pcode="TUR034"]')).to_have_attribute("data-count", "1")
    expect(page.locator('#map path[data-pcode="TUR035"]')).to_have_attribute("data-count", "0")
    page.locator("#map-table summary").click()
    expect(page.locator("#map-table tbody tr")).to_have_text(re.compile(r"İstanbul\s*1"))
