"""A counter-trafficking case in the browser: opened for a registered person, screened, and referred to the
authority once the person's consent to referral is recorded (a referral without it is refused, saying why); a
caseworker of another office gets 404 on the case and on the person's identifiers."""

import re

from playwright.sync_api import expect

from liman.core.choices import Role
from liman.registry import services as registry
from tests.e2e.conftest import E2E
from tests.factories import staff

pytestmark = E2E

NO_CONSENT = (
    "The person has not consented to be referred: record their consent for “Referral to another service” on the "
    "person page first."
)


def registered_person(office):
    return registry.person_register(
        office=office,
        data=registry.PersonInput(
            first_name="Amina",
            family_name="Haddad",
            sex="F",
            nationality="SYR",
            identifiers=[registry.IdentifierInput(type="passport", value="N1234567", issuing_country="SYR")],
        ),
        by=None,
    )


def step(page, name: str) -> None:
    page.locator("#steps").get_by_role("button", name=name, exact=True).click()


def send_referral(page) -> None:
    referrals = page.locator("#referrals")
    referrals.locator("summary", has_text="Refer or transfer").click()
    referrals.locator("select[name=kind]").select_option("referral")
    referrals.locator("select[name=to_office]").select_option("IST")
    referrals.locator("select[name=to_programme]").select_option("protection")
    referrals.locator("textarea[name=summary]").fill("Needs legal counselling before the PMM interview.")
    referrals.get_by_role("button", name="Send").click()


def test_a_counter_trafficking_case_is_screened_and_referred_with_consent(
    page, url, signed_in, istanbul, izmir, browser_problems
):
    signed_in(staff(Role.CASEWORKER, istanbul, programme="counter_trafficking", username="ct.worker"))
    person = registered_person(istanbul)

    # Open the case from the person's page.
    page.goto(url(f"/people/{person.reference}/"))
    page.get_by_role("link", name="Open a case").click()
    page.locator("select[name=type]").select_option("counter_trafficking")
    page.get_by_role("button", name="Open the case").click()
    expect(page).to_have_url(re.compile(r"/cases/[A-Z0-9-]+/$"))
    case_url = page.url
    expect(page.locator(".case-head .state")).to_have_text("Reported (potential victim)")

    # Reported → screened: the case needs an owner (whoever opens it) and a trafficking screening.
    expect(page.locator("#owner")).to_contain_text("ct.worker")
    assessments = page.locator("#assessments")
    assessments.locator("summary", has_text="Record an assessment").click()
    assessments.locator("select[name=kind]").select_option("screening")
    assessments.get_by_role("button", name="Record").click()
    step(page, "Screened")
    expect(page.locator(".case-head .state")).to_have_text("Screened")

    # Without the person's consent, the referral to the authority is blocked and a referral is refused.
    blocked = page.locator("#steps li", has_text="Referred to the authority (PMM)")
    expect(blocked).to_contain_text(NO_CONSENT)
    expect(blocked.get_by_role("button")).to_be_disabled()
    send_referral(page)
    expect(page.locator(".messages")).to_contain_text(NO_CONSENT)
    expect(page.locator("#referrals tbody")).to_contain_text("No referral yet.")

    # Consent recorded on the person page: the referral goes, and the case moves on.
    page.goto(url(f"/people/{person.reference}/"))
    consents = page.locator("#consents")
    consents.locator("summary", has_text="Record a consent").click()
    consents.locator("select[name=purpose]").select_option("referral")
    consents.get_by_role("button", name="Save").click()
    expect(page.locator("#consents")).to_contain_text("Referral to another service")
    page.goto(case_url)
    send_referral(page)
    expect(page.locator(".messages")).to_contain_text(re.compile(r"Referral IST-R-\S+ sent to"))
    step(page, "Referred to the authority (PMM)")
    expect(page.locator(".case-head .state")).to_have_text("Referred to the authority (PMM)")
    expect(page.locator("#history")).to_contain_text("Screened → Referred to the authority (PMM)")
    assert browser_problems == []

    # A caseworker of another office: 404 on the case, and on the person's identifiers.
    page.context.clear_cookies()
    signed_in(staff(Role.CASEWORKER, izmir, programme="counter_trafficking", username="ct.izmir"))
    assert page.goto(case_url).status == 404
    expect(page.locator("main")).not_to_contain_text("Amina")
    page.goto(url("/"))
    token = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
    identifier = person.identifiers.get()
    for path in (
        f"/people/{person.reference}/identifiers/",
        f"/people/{person.reference}/identifiers/{identifier.pk}/show/",
    ):
        response = page.request.post(
            url(path), headers={"X-CSRFToken": token}, form={"type": "passport", "value": "X1"}
        )
        assert response.status == 404, path
        assert "N1234567" not in response.text()
    assert person.identifiers.count() == 1
