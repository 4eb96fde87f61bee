"""Correcting an import in the browser: a CSV of people with one impossible date of birth is uploaded, the bad
cell is fixed on the report page, and the import is committed."""

import re

from playwright.sync_api import expect

from liman.registry.models import Person
from tests.e2e.conftest import E2E

pytestmark = E2E

PEOPLE_CSV = (
    "first_name,father_name,family_name,sex,birth_date,nationality,phone,foreigner_id,household_ref,relationship,"
    "legal_status\r\n"
    "Mohammed,Ahmad,Haddad,M,1979-05-12,SYR,0532 123 45 67,,H1,head,temporary_protection\r\n"
    "Fatima,,Haddad,F,1983-02-30,SYR,,,H1,spouse,temporary_protection\r\n"
    "Omar,Mohammed,Haddad,M,2011,SYR,,,H1,child,temporary_protection\r\n"
)


def test_a_bad_date_is_corrected_on_the_report_page_and_the_import_committed(
    page, url, signed_in, caseworker, browser_problems
):
    signed_in(caseworker)
    page.goto(url("/imports/new/?kind=people"))
    page.set_input_files(
        "#id_file", files=[{"name": "family.csv", "mimeType": "text/csv", "buffer": PEOPLE_CSV.encode()}]
    )
    # The legal basis is declared once for the file (the people were told and agreed at the desk).
    page.get_by_label("Legal basis for registering").select_option("consent")
    page.get_by_role("button", name="Check the file").click()

    # The report names the row, the column and the problem; the import cannot be committed yet.
    expect(page.locator(".import-state")).to_contain_text("Has blocking problems")
    expect(page.locator("table.problems")).to_contain_text("1983-02-30 is not a real date.")
    expect(page.get_by_role("button", name=re.compile("Commit"))).to_have_count(0)

    page.get_by_role("link", name="Correct row 3").click()
    expect(page.locator("[data-column='birth_date']")).to_contain_text("1983-02-30 is not a real date.")
    page.get_by_label("birth_date").fill("1983-02-28")
    page.get_by_role("button", name="Save the row").click()

    expect(page.locator(".messages")).to_contain_text("Row 3 was corrected.")
    expect(page.locator(".import-state")).to_contain_text("Ready to commit")
    expect(page.locator("table.problems")).to_contain_text("No problems.")
    page.get_by_role("button", name="Commit 3 rows").click()

    expect(page.locator(".messages")).to_contain_text("The records were written.")
    expect(page.locator("table.created")).to_contain_text("People")
    fatima = Person.objects.get(first_name="Fatima")
    assert fatima.birth_date.isoformat() == "1983-02-28"
    assert browser_problems == []
