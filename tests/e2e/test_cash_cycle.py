"""A payment cycle in the browser, with two people: the programme officer signs in, prepares the list and verifies
it, and is not offered the approval; the cash approver signs in and approves it (the list is frozen); the officer
downloads the signed payment file, uploads the provider's report, commits it on the staging page, and the cycle
shows reconciled, paid + failed + uncollected making the list total. Then a payment file with one amount edited
after it left Liman is refused by the "check a payment file" page."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile

from playwright.sync_api import expect

from liman.cash import services
from liman.cash.choices import CycleState
from liman.cash.models import PaymentCycle
from liman.core.choices import Role
from tests.cash.conftest import ELIGIBILITY, VALUE, family
from tests.e2e.conftest import E2E, sign_in_with_form
from tests.factories import staff

pytestmark = E2E


def enrolled_programme(office):
    """Arranged through the services (targeting and enrolment have their own tests): three households enrolled."""
    officer = staff(Role.PROGRAMME_OFFICER, office, username="programme-officer.ist")
    approver = staff(Role.CASH_APPROVER, office, username="cash-approver.ist")
    homes = [
        family(
            office,
            "Amira",
            "Haddad",
            5,
            foreigner_id="99123456780",
            phone="+905321110001",
            born=datetime.date(1979, 6, 2),
        ),
        family(office, "Layla", "Nouri", 2, nationality="AFG", phone="+905321110002", born=datetime.date(1988, 1, 23)),
        family(office, "Huda", "Barakat", 3, phone="+905321110003", born=datetime.date(1993, 10, 7)),
    ]
    programme = services.programme_create(
        code="MPC-2026", name="Multipurpose cash", offices=[office], eligibility=ELIGIBILITY, transfer_value=VALUE,
        by=officer,
    )  # fmt: skip
    run = services.targeting_run(programme=programme, office=office, by=officer)
    services.enrol(run=run, by=officer)
    return programme, officer, approver, homes


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def download_payment_file(page) -> tuple[str, bytes, bytes]:
    """Click the download on the cycle page: the zip's file name, the payment file and its signature."""
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the payment file and its signature (zip)").click()
    download = info.value
    with zipfile.ZipFile(download.path()) as archive:
        names = sorted(archive.namelist())
        return download.suggested_filename, archive.read(names[0]), archive.read(names[1])


def test_a_cycle_from_draft_to_reconciled_with_two_people(page, url, istanbul, tmp_path, browser_problems):
    _programme, officer, approver, homes = enrolled_programme(istanbul)

    # The programme officer prepares the list and verifies it.
    sign_in_with_form(page, url, officer.username)
    page.goto(url("/cash/cycles/"))
    page.get_by_role("link", name="Prepare a payment list").click()
    page.get_by_label("Payment provider").select_option("generic_csv")
    page.get_by_role("button", name="Prepare the draft list").click()
    expect(page.locator(".messages")).to_contain_text("3 households enrolled are on it")
    cycle = PaymentCycle.objects.get()
    expect(page.locator("h1")).to_contain_text(cycle.reference)
    expect(page.locator("#payments tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Verify the list").click()
    expect(page.locator(".messages")).to_contain_text("3 households checked, 0 held")
    expect(page.locator("#cycle-state")).to_have_text("Verified")

    # The preparer is not offered the approval: the page says why.
    expect(page.get_by_role("button", name="Approve and freeze the list")).to_have_count(0)
    expect(page.locator("#next-steps")).to_contain_text("You prepared this list: a second person approves it.")
    cycle_url = page.url
    sign_out(page)

    # The cash approver approves it: the list is frozen.
    sign_in_with_form(page, url, approver.username)
    page.goto(cycle_url)
    page.get_by_role("button", name="Approve and freeze the list").click()
    expect(page.locator("#cycle-state")).to_have_text("Approved (list frozen)")
    expect(page.locator("#summary")).to_contain_text("Hash of the approved list")
    expect(page.get_by_role("button", name="Download the payment file and its signature (zip)")).to_have_count(0)
    sign_out(page)

    # The officer downloads the signed payment file (the list is then sent) ...
    sign_in_with_form(page, url, officer.username)
    page.goto(cycle_url)
    name, data, signature = download_payment_file(page)
    assert name == f"{cycle.reference}-payment-file.zip" and signature.strip()
    lines = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert sorted(line["reference"] for line in lines) == sorted(home.reference for home in homes)
    page.reload()
    expect(page.locator("#cycle-state")).to_have_text("Sent to the provider")

    # ... and uploads the provider's report: two paid, one uncollected, and the total row.
    report = tmp_path / "provider-report.csv"
    rows = ["reference,amount,status,date,transaction_id"]
    for number, line in enumerate(sorted(lines, key=lambda line: line["reference"])):
        paid = number < 2
        rows.append(f"{line['reference']},{line['amount']},{'paid' if paid else 'uncollected'},"
                    f"{'2026-12-01' if paid else ''},{f'TX{number}' if paid else ''}")  # fmt: skip
    rows.append(f"TOTAL,{sum(float(line['amount']) for line in lines):.2f},,,")
    report.write_text("\n".join(rows) + "\n", encoding="utf-8")
    page.get_by_role("link", name="Upload the provider's report").click()
    page.get_by_label("Provider's report (CSV or XLSX)").set_input_files(str(report))
    page.get_by_role("button", name="Check the report").click()
    expect(page.locator(".import-state")).to_contain_text("Ready to commit")
    page.get_by_role("button", name=re.compile(r"Commit 4 rows")).click()
    expect(page.locator(".messages")).to_contain_text("The records were written.")

    page.goto(cycle_url)
    expect(page.locator("#cycle-state")).to_have_text("Reconciled")
    expect(page.locator("#reconciliation")).to_have_attribute("data-adds-up", "yes")
    expect(page.locator("#reconciliation")).to_contain_text("the list total")
    expect(page.locator('#payments tr[data-status="paid"]')).to_have_count(2)
    expect(page.locator('#payments tr[data-status="uncollected"]')).to_have_count(1)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.RECONCILED and cycle.approved_by == approver and cycle.prepared_by == officer
    assert browser_problems == []


def test_a_payment_file_edited_after_it_left_is_refused(page, url, istanbul, tmp_path, browser_problems):
    programme, officer, approver, _homes = enrolled_programme(istanbul)
    cycle = services.cycle_create(programme=programme, office=istanbul, provider="ptt_csv", by=officer)
    services.cycle_verify(cycle=cycle, by=officer)
    services.cycle_approve(cycle=cycle, by=approver)

    sign_in_with_form(page, url, officer.username)
    page.goto(url(f"/cash/cycles/{cycle.pk}/"))
    _name, data, signature = download_payment_file(page)
    (tmp_path / "payments.csv").write_bytes(data)
    (tmp_path / "payments.csv.sig").write_bytes(signature)

    page.get_by_role("link", name="Check a payment file").first.click()
    page.get_by_label("Payment file").set_input_files(str(tmp_path / "payments.csv"))
    page.get_by_label("Its signature (.sig)").set_input_files(str(tmp_path / "payments.csv.sig"))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#check-outcome")).to_contain_text("signature valid")

    # One amount edited on its way to the provider (PTT's decimal comma: 19000,00 becomes 91000,00).
    text = data.decode("utf-8")
    assert "19000,00" in text
    (tmp_path / "edited.csv").write_text(text.replace("19000,00", "91000,00", 1), encoding="utf-8", newline="")
    page.get_by_label("Payment file").set_input_files(str(tmp_path / "edited.csv"))
    page.get_by_label("Its signature (.sig)").set_input_files(str(tmp_path / "payments.csv.sig"))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#check-outcome")).to_have_attribute("data-valid", "no")
    expect(page.locator("#check-outcome")).to_contain_text("edited.csv is NOT as Liman signed it: do not pay from it.")
    assert browser_problems == []
