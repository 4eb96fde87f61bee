"""One consent check (`registry.consent.consent_for`): a withdrawal stops the referral it covered and shows on the
person page, saying what it stops."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from liman.cases import services as cases
from liman.core.choices import Role
from liman.registry import services as registry
from liman.registry.consent import consent_for
from tests.cases.builders import consent, days_ago, open_case, register
from tests.factories import agreement, staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


def test_a_withdrawn_consent_stops_sharing_and_shows_on_the_person_page(client, istanbul):
    caseworker = staff(Role.CASEWORKER, istanbul, programme="protection")
    person = register(istanbul)
    partner = cases.partner_organisation_create(name="Harbour Legal Aid", kind="ngo", by=None)
    agreement(partner)
    given = consent(person, "sharing_partner")
    assert consent_for(person, "sharing_partner") == given
    case = open_case(person, "protection", caseworker)
    registry.consent_withdraw(consent=given, by=caseworker, on=days_ago(0))
    assert consent_for(person, "sharing_partner") is None
    with pytest.raises(ValidationError, match="has not consented to their details being shared"):
        cases.referral_send(case=case, to_partner=partner, shared_fields=["age"], by=caseworker)
    client.force_login(caseworker)
    page = client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    assert "Consent withdrawn" in page and "this stops referrals to and sharing with partner organisations" in page
    consent(person, "sharing_partner")  # given again: the banner goes, sharing resumes
    assert (
        "Consent withdrawn"
        not in client.get(reverse("registry:person-detail", args=[person.reference])).content.decode()
    )
    assert cases.referral_send(case=case, to_partner=partner, shared_fields=["age"], by=caseworker).pk
