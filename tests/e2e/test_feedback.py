"""Feedback in the browser: a hotline call written down at the desk, triaged, assigned, resolved, answered and
closed; and a complaint of abuse recorded by a caseworker that no one of the office but the PSEA focal point sees
again — not the caseworker who wrote it, not the supervisor, not the staff member it names."""

from __future__ import annotations

from playwright.sync_api import expect

from liman.core.choices import Role
from liman.feedback.models import Feedback
from tests.e2e.conftest import E2E
from tests.factories import staff

pytestmark = E2E


def record(page, url, *, channel: str, category: str, summary: str, about_staff: str = "") -> None:
    page.goto(url("/feedback/new/"))
    page.get_by_label("Channel").select_option(label=channel)
    page.get_by_label("Category").select_option(label=category)
    page.get_by_label("What the person said").fill(summary)
    if about_staff:
        page.get_by_label("Staff member it names (user name)").fill(about_staff)
    page.get_by_role("button", name="Save").click()


def test_a_hotline_call_from_the_desk_to_the_answer(page, url, signed_in, istanbul, context):
    signed_in(staff(Role.CASEWORKER, istanbul, username="cw.ist"))
    record(page, url, channel="Hotline call", category="Payment problem",
           summary="The card was blocked; the payment did not come out.")  # fmt: skip
    reference = Feedback.objects.get().reference
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    context.clear_cookies()
    supervisor = signed_in(staff(Role.SUPERVISOR, istanbul, username="sup.ist"))
    page.goto(url(f"/feedback/{reference}/"))
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_role("button", name="Triage").click()
    page.get_by_label("Assign to").select_option(label=supervisor.username)
    page.get_by_role("button", name="Assign").click()
    page.get_by_label("What was done").fill("Card unblocked with the bank.")
    page.get_by_role("button", name="Resolved or referred").click()
    page.get_by_label("The answer given to the person").fill("Called back: the card works again.")
    page.get_by_role("button", name="Record the answer").click()
    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.locator(".badge")).to_have_text("Closed")
    expect(page.locator("main")).to_contain_text("Called back: the card works again.")


def test_a_complaint_of_abuse_is_seen_by_the_focal_point_alone(page, url, signed_in, istanbul, context):
    named = staff(Role.DISTRIBUTION, istanbul, username="dist.ist")
    signed_in(staff(Role.CASEWORKER, istanbul, username="cw.ist"))
    record(page, url, channel="Help desk", category="Sexual exploitation and abuse",
           summary="He asked her to meet him in exchange for the card.", about_staff=named.username)  # fmt: skip
    expect(page.locator("body")).to_contain_text("sent to the PSEA focal points only")
    reference = Feedback.objects.get().reference
    expect(page.locator("table")).not_to_contain_text(reference)
    for user in (
        staff(Role.SUPERVISOR, istanbul, username="sup.ist"),
        named,
    ):
        context.clear_cookies()
        signed_in(user)
        for path in ("/feedback/", f"/feedback/{reference}/", "/feedback/trends/"):
            page.goto(url(path))
            expect(page.locator("body")).not_to_contain_text("exchange for the card")
            expect(page.locator("body")).not_to_contain_text(reference)
    context.clear_cookies()
    signed_in(staff(Role.PSEA_FOCAL_POINT, istanbul, username="psea.ist"))
    page.goto(url("/feedback/"))
    page.get_by_role("link", name=reference).click()
    expect(page.locator("main")).to_contain_text("exchange for the card")
    expect(page.locator("main")).to_contain_text("Protected channel")
