"""The province map, and what every page may not do: talk to other hosts, log errors, break the CSP."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E

pytestmark = E2E


def open_map(page, url):
    page.goto(url("/map/"))
    drawn = page.locator('#map[data-loaded="true"]')
    expect(drawn).to_have_attribute("data-provinces", "81", timeout=15_000)
    return drawn


def test_the_map_draws_the_81_provinces(page, url, signed_in, caseworker):
    signed_in(caseworker)
    open_map(page, url)

    expect(page.locator("#map path.leaflet-interactive")).to_have_count(81)
    expect(page.locator("#map path.province")).to_have_count(81)


def test_no_request_leaves_the_site_on_the_map_page(page, url, live_host, signed_in, caseworker):
    signed_in(caseworker)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    open_map(page, url)
    page.wait_for_load_state("networkidle")

    assert requests, "no request was recorded"
    elsewhere = [address for address in requests if urlsplit(address).netloc != live_host]
    assert not elsewhere, f"requests to other hosts than {live_host}: {elsewhere}"


@pytest.mark.parametrize("path", ["/", "/map/"])
def test_no_console_error_or_csp_violation(page, url, signed_in, caseworker, browser_problems, path):
    signed_in(caseworker)
    if path == "/map/":
        open_map(page, url)
    else:
        page.goto(url(path))
    page.wait_for_load_state("networkidle")

    assert browser_problems == []
