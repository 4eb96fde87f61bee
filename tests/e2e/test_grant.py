"""A small-business grant in the browser: the application registered (a wrong tax number refused first), scored by
two panel members on their own, scoring closed, approved by a committee member who did not prepare it (the preparer
is offered no approval), the agreement signed with two tranches, the first milestone met and the first tranche
paid."""

from __future__ import annotations

import datetime
from decimal import Decimal

from playwright.sync_api import expect

from liman.core.choices import Role
from liman.livelihoods import services
from liman.livelihoods.models import GrantApplication
from tests.e2e.conftest import E2E
from tests.factories import staff

pytestmark = E2E


def test_a_grant_from_application_through_scoring_and_approval_to_the_first_tranche(page, url, signed_in, istanbul,
                                                                                     context):  # fmt: skip
    officer = staff(Role.PROGRAMME_OFFICER, istanbul, username="po.ist")
    panel = [staff(Role.SUPERVISOR, istanbul, username="sup.ist"), staff(Role.CASEWORKER, istanbul, username="cw.ist")]
    approver = staff(Role.CASH_APPROVER, istanbul, username="ca.ist")
    today = datetime.date.today()
    call = services.call_open(office=istanbul, title="Recovery grants", opens_on=today, closes_on=today,
                              max_amount=Decimal(100000), by=officer)  # fmt: skip
    for name, weight in (("Plan", 60), ("Jobs", 40)):
        services.criterion_add(call=call, name=name, weight=weight, by=officer)
    for member in panel:
        services.panel_add(call=call, member=member, by=officer)

    signed_in(officer)
    page.goto(url(f"/grants/calls/{call.reference}/"))
    page.get_by_role("link", name="Register an application").click()
    page.locator("#id_business_name").fill("Nour Bakery")
    page.get_by_label("Owner's name").fill("Nour Haddad")
    page.get_by_label("Owner's sex").select_option(label="Female")
    page.get_by_label("Owner's nationality (ISO code)").fill("SYR")
    page.get_by_label("Sector").select_option(label="Restaurants and food service")
    page.get_by_label("Registration").select_option(label="Registered (tax office and chamber)")
    page.get_by_label("Tax number kind").select_option(value="vkn")
    page.locator("#id_tax_number").fill("1234567899")
    page.get_by_label("Amount requested").fill("50000")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("check digit does not match")
    page.locator("#id_tax_number").fill("1234567890")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nour Bakery")
    application = GrantApplication.objects.get()
    page.get_by_role("button", name="Send to the panel").click()
    expect(page.locator(".badge")).to_have_text("With the panel")

    for member, scores in zip(panel, ((8, 9), (6, 7)), strict=True):
        context.clear_cookies()
        signed_in(member)
        page.goto(url(f"/grants/applications/{application.reference}/"))
        page.get_by_label("Plan (0–10)").fill(str(scores[0]))
        page.get_by_label("Jobs (0–10)").fill(str(scores[1]))
        page.get_by_role("button", name="Save my scores").click()
        expect(page.locator("main")).to_contain_text(member.display_name)

    context.clear_cookies()
    signed_in(officer)
    page.goto(url(f"/grants/applications/{application.reference}/"))
    page.get_by_role("button", name="Close scoring").click()
    expect(page.locator(".badge")).to_have_text("Scored")
    expect(page.locator("main")).to_contain_text("74.00 / 100")  # 60 × 7/10 + 40 × 8/10
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)  # the preparer does not decide

    context.clear_cookies()
    signed_in(approver)
    page.goto(url(f"/grants/applications/{application.reference}/"))
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".badge")).to_have_text("Approved by the committee")

    context.clear_cookies()
    signed_in(officer)
    page.goto(url(f"/grants/applications/{application.reference}/"))
    page.get_by_label("Tranches").fill("30000; Oven bought and invoiced\n20000; Two workers hired")
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.locator(".badge")).to_have_text("Grant agreement signed")
    first = page.locator("tr").filter(has_text="Oven bought")
    first.locator("input[name=evidence]").fill("Invoice 2026/118")
    first.get_by_role("button", name="Milestone met").click()
    expect(page.locator("tr").filter(has_text="Oven bought")).to_contain_text("Milestone met: due")

    context.clear_cookies()
    signed_in(approver)
    page.goto(url(f"/grants/applications/{application.reference}/"))
    row = page.locator("tr").filter(has_text="Oven bought")
    row.locator("input[name=payment_reference]").fill("EFT-2026-0042")
    row.get_by_role("button", name="Record a payment made outside the cash part").click()
    expect(page.locator("tr").filter(has_text="Oven bought")).to_contain_text("EFT-2026-0042")
    tranche = application.agreement.tranches.get(number=1)
    assert tranche.status == "paid" and tranche.paid_on == today
