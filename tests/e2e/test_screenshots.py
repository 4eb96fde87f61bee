"""README screenshots from the demo data: `LIMAN_SCREENSHOTS=1 .venv/bin/pytest tests/e2e/test_screenshots.py`
writes them to docs/screenshots/ (1280x800 PNG). Skipped otherwise."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from liman.core.demo import DEMO_PASSWORD, demo_username, run_seeders
from liman.core.models import User
from tests.e2e.conftest import E2E, sign_in_with_form

pytestmark = [
    *E2E,
    pytest.mark.skipif(not os.environ.get("LIMAN_SCREENSHOTS"), reason="set LIMAN_SCREENSHOTS=1 to refresh them"),
]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_readme_screenshots(page, url, signed_in):
    run_seeders(2026)
    OUT.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(url("/login/"))
    page.screenshot(path=OUT / "login.png")

    sign_in_with_form(page, url, demo_username("caseworker", "IST"), password=DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.screenshot(path=OUT / "home.png")

    page.get_by_label("Language").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.screenshot(path=OUT / "home-ar.png")
    page.locator("#language-select").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # let that answer set its cookies first

    # The country office's reporting officer sees every office, so the map shows them all.
    page.context.clear_cookies()
    signed_in(User.objects.get(username=demo_username("reporting_officer", "ANK")))
    page.goto(url("/map/"))
    expect(page.locator(".whoami")).to_have_attribute("title", "reporting-officer.ank")
    expect(page.locator('#map[data-loaded="true"]')).to_have_attribute("data-provinces", "81", timeout=15_000)
    page.wait_for_timeout(400)  # let fitBounds finish its zoom
    page.screenshot(path=OUT / "map.png")

    # The duplicates queue and one pair side by side, as a supervisor of Istanbul sees them.
    page.context.clear_cookies()
    signed_in(User.objects.get(username=demo_username("supervisor", "IST")))
    page.goto(url("/duplicates/"))
    page.screenshot(path=OUT / "duplicates.png")
    page.locator("a[href*='/duplicates/pairs/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.screenshot(path=OUT / "duplicate-pair.png", full_page=True)
    page.get_by_label("Language").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.screenshot(path=OUT / "duplicate-pair-ar.png")
