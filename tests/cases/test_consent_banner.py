"""A withdrawn consent for referral or sharing shows on the pages that rely on it: the case page's referral form and
the referral's page (the same banner as the person page)."""

import pytest
from django.urls import reverse

from liman.cases import services
from liman.core.choices import Role
from liman.registry import services as registry
from liman.registry.consent import consent_for
from tests.cases.builders import consent, open_case
from tests.factories import agreement, staff

pytestmark = pytest.mark.django_db

BANNER = "Consent withdrawn"


def test_the_referral_form_shows_a_withdrawn_consent_for_referral(client, person, caseworker):
    case = open_case(person, "protection", caseworker)
    client.force_login(caseworker)
    assert BANNER not in client.get(reverse("cases:case-detail", args=[case.reference])).content.decode()

    consent(person, "referral")
    registry.consent_withdraw(consent=consent_for(person, "referral"), by=caseworker)
    page = client.get(reverse("cases:case-detail", args=[case.reference])).content.decode()

    assert BANNER in page and "this stops referrals to other services of the mission" in page


def test_the_referral_page_shows_the_withdrawal_of_the_consent_it_was_sent_under(client, istanbul, person, caseworker):
    organisation = services.partner_organisation_create(name="Harbour Legal Aid", kind="ngo", by=None)
    agreement(organisation)
    lawyer = staff(Role.PARTNER, istanbul, username="lawyer")
    services.partner_member_add(organisation=organisation, user=lawyer, by=None)
    consent(person, "sharing_partner")
    referral = services.referral_send(case=open_case(person, "protection", caseworker), to_partner=organisation,
                                      by=caseworker)  # fmt: skip
    client.force_login(caseworker)
    assert BANNER not in client.get(reverse("cases:referral-detail", args=[referral.reference])).content.decode()

    registry.consent_withdraw(consent=consent_for(person, "sharing_partner"), by=caseworker)

    page = client.get(reverse("cases:referral-detail", args=[referral.reference])).content.decode()
    assert BANNER in page and "this stops referrals to and sharing with partner organisations" in page
    # Only the purpose the referral relies on: a withdrawn consent for contact is not this page's.
    consent(person, "contact")
    registry.consent_withdraw(consent=consent_for(person, "contact"), by=caseworker)
    page = client.get(reverse("cases:referral-detail", args=[referral.reference])).content.decode()
    assert "messages and calls" not in page
