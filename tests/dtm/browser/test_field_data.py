"""In a real browser: upload an XLSForm and see it listed; post an instance as ODK Collect would; see the new
site on the dashboard map and in the HXL download (with the browser set-up of tests/e2e: see conftest.py)."""

from __future__ import annotations

import base64
import urllib.request

import hxl
import pytest
from playwright.sync_api import expect

from liman.core.choices import Role
from liman.dtm import services
from liman.dtm.targets import suggest_mapping
from tests.dtm.builders import collect_xml, site_body, site_form
from tests.e2e.conftest import E2E
from tests.factories import staff

pytestmark = E2E


@pytest.fixture
def hatay_office(live_server):
    from liman.core.models import AdminArea
    from tests.factories import OfficeFactory

    return OfficeFactory(code="HTY", name="Hatay Field Office", province=AdminArea.objects.get(pcode="TUR031"))


@pytest.fixture
def officer(hatay_office):
    return staff(Role.DTM_OFFICER, hatay_office, username="dtm.hty")


@pytest.fixture
def bound_form(hatay_office):
    """A published site-assessment form bound to an operation with a round, and a field user for the phone."""
    import datetime

    operation = services.operation_create(
        office=hatay_office, code="TUR-EQ-2023", name="Earthquake response", kind="emergency",
        started_on=datetime.date(2023, 2, 6), by=None,
    )  # fmt: skip
    services.round_create(
        operation=operation, number=2, assessment_type="site_assessment", started_on=datetime.date(2023, 4, 3),
        by=None,
    )  # fmt: skip
    version = services.form_upload(office=hatay_office, content=site_form(), file_name="site.xlsx", by=None)
    services.form_bind(
        form=version.form, target="site_assessment", mapping=suggest_mapping("site_assessment", version.fields),
        operation=operation, by=None,
    )  # fmt: skip
    services.field_user_create(office=hatay_office, username="enumerator.hty", password="phone-pass-2023", by=None)
    return version, operation


def test_an_uploaded_xlsform_appears_in_the_form_list(page, url, signed_in, officer, tmp_path):
    signed_in(officer)
    xlsx = tmp_path / "Rapid needs.xlsx"
    xlsx.write_bytes(site_form(form_id="rapid_needs", title="Rapid needs check"))

    page.goto(url("/dtm/forms/"))
    page.get_by_label("Office").select_option("HTY")
    page.get_by_label("XLSForm (.xlsx)").set_input_files(str(xlsx))
    page.get_by_role("button", name="Publish").click()

    expect(page.locator(".messages")).to_contain_text("Form rapid_needs version 2023040301 published.")
    page.goto(url("/dtm/forms/"))
    expect(page.locator("#form-table")).to_contain_text("Rapid needs check")


def test_a_site_posted_as_collect_would_shows_on_the_map_and_in_the_hxl_download(
    page,
    url,
    signed_in,
    officer,
    bound_form,
    tmp_path,
    browser_problems,
):
    version, operation = bound_form
    xml = collect_xml("site_assessment", version.version, site_body(site_name="Narlıca Orchard Site"))
    boundary = "----collect7MA4YWxkTrZu0gW"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; filename="instance.xml"\r\n'
            f"Content-Type: text/xml\r\n\r\n"
        ).encode()
        + xml
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(  # noqa: S310  (the test's own live server)
        url("/openrosa/submission"),
        data=body,
        method="POST",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-OpenRosa-Version": "1.0",
            "Authorization": "Basic " + base64.b64encode(b"enumerator.hty:phone-pass-2023").decode(),
        },
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert response.status == 201

    signed_in(officer)
    page.goto(url(f"/dtm/operations/{operation.pk}/"))
    expect(page.locator('#dtm-map[data-loaded="true"]')).to_have_attribute("data-sites", "1", timeout=15_000)
    expect(page.locator("#dtm-map path.site")).to_have_count(1)
    expect(page.locator("#site-table")).to_contain_text("Narlıca Orchard Site")
    expect(page.locator('#chart-sex-age[data-drawn="true"]')).to_have_count(1)

    with page.expect_download() as download_info:
        page.locator('[data-download="sites-csv"]').click()
    path = tmp_path / "sites.csv"
    download_info.value.save_as(path)
    rows = list(hxl.data(str(path), hxl.input.InputOptions(allow_local=True)))
    assert [(row.get("#loc+name"), row.get("#adm2+code")) for row in rows] == [("Narlıca Orchard Site", "TUR031001")]
    assert browser_problems == []


def test_the_district_map_draws_the_districts_of_the_operation(page, url, signed_in, officer, bound_form):
    version, operation = bound_form
    services.submission_receive(
        office=version.form.office, xml=collect_xml("site_assessment", version.version, site_body())
    )
    signed_in(officer)
    page.goto(url(f"/dtm/operations/{operation.pk}/"))
    expect(page.locator('#dtm-map[data-loaded="true"]')).to_have_count(1, timeout=15_000)

    page.get_by_role("button", name="Districts").click()

    expect(page.locator("#dtm-map")).to_have_attribute("data-level", "district")
    expect(page.locator("#dtm-map path.district")).to_have_count(15)  # Hatay's 15 districts
