"""Pages in the browser: languages, office scoping."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import E2E

pytestmark = E2E


def test_the_language_select_switches_to_arabic_right_to_left_and_to_turkish(page, url):
    page.goto(url("/login/"))
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")

    page.get_by_label("Language").select_option("ar")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page).to_have_url(re.compile(r"/login/$"))

    page.locator("#language-select").select_option("tr")
    expect(html).to_have_attribute("lang", "tr")
    expect(html).to_have_attribute("dir", "ltr")


def test_another_offices_page_answers_404_and_the_own_office_200(page, url, signed_in, caseworker, izmir):
    signed_in(caseworker)

    own = page.goto(url("/offices/IST/"))
    assert own.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("Istanbul Sub-Office")

    other = page.goto(url("/offices/IZM/"))
    assert other.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main")).not_to_contain_text("Izmir")
