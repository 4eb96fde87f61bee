"""A list in the browser: sort by a column header (by keyboard), filter, keep both in the address, export the
same rows as a file; on a phone the case table shows its State column."""

from __future__ import annotations

import csv
import datetime
import io

from playwright.sync_api import expect

from liman.core.choices import AuditAction, Role
from liman.core.models import AuditEvent
from tests.e2e.conftest import E2E
from tests.factories import staff

pytestmark = E2E


def _case(office, first_name, family_name, case_type, days_ago):
    from liman.cases import services as cases
    from liman.registry import services as registry

    person = registry.person_register(
        office=office,
        data=registry.PersonInput(first_name=first_name, family_name=family_name, sex="F", nationality="SYR"),
        by=None,
    )
    opened = datetime.date.today() - datetime.timedelta(days=days_ago)
    return cases.case_open(person=person, type=case_type, by=None, opened_on=opened)


def test_sort_filter_and_export_the_case_list(page, url, signed_in, istanbul):
    zeki = _case(istanbul, "Zeki", "Yilmaz", "protection", 5)
    ayse = _case(istanbul, "Ayse", "Demir", "protection", 1)
    avrr = _case(istanbul, "Omar", "Aziz", "avrr", 3)
    signed_in(staff(Role.CASEWORKER, istanbul, username="cw.lists"))
    page.goto(url("/cases/"))
    rows = page.locator("table.case-list tbody tr")
    expect(rows).to_have_count(3)
    # Newest first by default; the Person header sorts, from the keyboard too.
    expect(rows.first).to_contain_text(ayse.reference)
    person_header = page.get_by_role("columnheader", name="Person")
    person_header.get_by_role("link").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(url("/cases/?sort=person"))
    expect(person_header).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_contain_text(avrr.reference)  # Aziz, Demir, Yilmaz
    page.get_by_label("Type").select_option(label="Protection")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    assert "sort=person" in page.url and "type=protection" in page.url
    expect(rows.first).to_contain_text(ayse.reference)
    page.get_by_role("columnheader", name="Person").get_by_role("link").click()
    expect(page.get_by_role("columnheader", name="Person")).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_contain_text(zeki.reference)
    assert "type=protection" in page.url

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    lines = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert [line[0] for line in lines[1:]] == [zeki.reference, ayse.reference]
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.changes["filters"] == {"type": "protection"} and event.changes["sort"] == "-person"


def test_the_case_table_keeps_its_state_column_on_a_phone(page, url, signed_in, istanbul):
    case = _case(istanbul, "Zeki", "Yilmaz", "protection", 5)
    signed_in(staff(Role.CASEWORKER, istanbul, username="cw.phone"))
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(url("/cases/"))
    state = page.locator("table.case-list tbody tr td[data-label='State']")
    expect(state).to_be_visible()
    expect(state).to_contain_text(case.state_label)
    box = state.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    # Nothing makes the page itself scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
