"""The main bar and the home page in the browser (issue 20, items 4 and 5): a supervisor's bar is one line on a
1366-px laptop in English, Turkish and Arabic, grouped into menus that work with the keyboard, with a search box;
the home page's counts link to their lists."""

import re

import pytest
from playwright.sync_api import expect

from liman.core.choices import Role
from tests.e2e.conftest import E2E
from tests.factories import staff

pytestmark = E2E

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def supervisor(istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    return staff(Role.SUPERVISOR, istanbul)


def bar_boxes(page) -> list[dict]:
    """Where the bar's brand, entries, search box and end are drawn."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
            '.topbar > .brand, .mainnav > a, .mainnav > details > summary, .barsearch input, .topbar-end')]
            .map((element) => {
                const box = element.getBoundingClientRect();
                return {text: element.textContent.trim().slice(0, 30), top: box.top, bottom: box.bottom};
            })"""
    )


def on_one_line(boxes: list[dict]) -> bool:
    """One horizontal line crosses every box: the bar did not wrap."""
    return max(box["top"] for box in boxes) < min(box["bottom"] for box in boxes)


@pytest.mark.parametrize("language", ["en", "tr", "ar"])
def test_a_supervisors_bar_fits_one_line_of_a_laptop(page, url, signed_in, supervisor, language):
    page.set_viewport_size(LAPTOP)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": url()}])
    signed_in(supervisor)
    page.goto(url("/"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert page.locator(".mainnav details.navgroup").count() >= 3
    boxes = bar_boxes(page)
    assert on_one_line(boxes), f"the bar wraps in {language}: {boxes}"
    height = page.locator(".topbar").bounding_box()["height"]
    assert height < 60
    # Nothing spills out of the window sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]


def test_a_group_opens_with_the_keyboard_and_leads_to_its_page(page, url, signed_in, supervisor, browser_problems):
    page.set_viewport_size(LAPTOP)
    signed_in(supervisor)
    page.goto(url("/"))
    group = page.locator("details.navgroup[data-group=people]")
    cases = group.locator("a[data-nav=cases]")
    expect(cases).to_be_hidden()
    group.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(cases).to_be_visible()
    # One menu open at a time; Escape closes it.
    page.locator("details.navgroup[data-group=admin] summary").click()
    expect(cases).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.locator("details.navgroup[open]")).to_have_count(0)
    group.locator("summary").click()
    cases.click()
    expect(page).to_have_url(re.compile(r"/cases/$"))
    # The group of the page one is on is marked.
    expect(page.locator("details.navgroup[data-group=people]")).to_have_class(re.compile(r"\bactive\b"))
    assert browser_problems == []


def test_the_search_box_in_the_bar_finds_people(page, url, signed_in, caseworker):
    signed_in(caseworker)
    page.goto(url("/"))
    page.get_by_role("searchbox", name="Find a person…").fill("Karim Haddad")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/people/\?name=Karim\+Haddad$"))
    expect(page.get_by_label("Name", exact=True)).to_have_value("Karim Haddad")


def test_a_count_on_the_home_page_leads_to_its_filtered_list(page, url, signed_in, supervisor):
    signed_in(supervisor)
    page.goto(url("/"))
    expect(page.get_by_role("heading", name="What to do next")).to_be_visible()
    page.locator("[data-next=pairs_to_review] a").click()
    expect(page).to_have_url(re.compile(r"/duplicates/\?status=open$"))
    page.goto(url("/"))
    page.locator("a.figure[data-figure=offices]").click()
    expect(page).to_have_url(re.compile(r"/offices/$"))


def test_the_cases_table_shows_every_column_on_a_phone(page, url, signed_in, istanbul):
    from liman.core.models import User
    from tests.factories import _cases_world

    _cases_world(istanbul, "Phone")
    signed_in(User.objects.get(username="phone-caseworker"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url("/cases/"))
    state = page.locator("table.case-list td[data-label=State]").first
    expect(state).to_be_visible()
    box = state.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
