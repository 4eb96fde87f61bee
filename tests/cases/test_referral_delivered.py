"""No dead ends (issue 20, item 3): a partner reports a referral's service as delivered, not only accept or decline;
the change is a status with its history, and the referring caseworker reads it on the referral."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from liman.cases import services
from liman.core.choices import Role
from liman.core.models import StateChange
from tests.cases.builders import consent, open_case
from tests.factories import agreement, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner_referral(istanbul, person, caseworker):
    organisation = services.partner_organisation_create(name="Harbour Legal Aid", kind="ngo", by=None)
    agreement(organisation)
    lawyer = staff(Role.PARTNER, istanbul, username="lawyer")
    services.partner_member_add(organisation=organisation, user=lawyer, by=None)
    case = open_case(person, "counter_trafficking", caseworker)
    consent(person, "sharing_partner")
    referral = services.referral_send(
        case=case, to_partner=organisation, shared_fields=["sex"], summary="Needs a lawyer", by=caseworker
    )
    return referral, lawyer


def test_a_partner_reports_the_service_delivered_and_the_caseworker_reads_it(client, partner_referral, caseworker):
    referral, lawyer = partner_referral
    client.force_login(lawyer)
    detail = reverse("cases:referral-detail", args=[referral.reference])
    assert 'value="delivered"' not in client.get(detail).content.decode()  # pending: accept or decline first
    services.referral_accept(referral=referral, by=lawyer)
    assert 'value="delivered"' in client.get(detail).content.decode()
    data = {"decision": "delivered", "reason": "Court hearing attended on 2 December"}
    response = client.post(reverse("cases:referral-answer", args=[referral.reference]), data, follow=True)
    assert "The service is reported delivered" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "delivered"
    change = StateChange.objects.get(object_id=str(referral.pk), to_state="delivered")
    assert (change.from_state, change.by, change.reason) == ("accepted", lawyer, "Court hearing attended on 2 December")
    client.force_login(caseworker)
    body = client.get(detail).content.decode()
    assert "Service delivered" in body and "Court hearing attended on 2 December" in body
    assert 'value="delivered"' not in body  # only the receiver reports it


def test_a_pending_referral_cannot_be_reported_delivered(partner_referral):
    referral, lawyer = partner_referral
    with pytest.raises(ValidationError, match="once the referral is accepted"):
        services.referral_deliver(referral=referral, by=lawyer)
    referral.refresh_from_db()
    assert referral.status == "pending"


def test_the_sender_cannot_report_the_receivers_service_delivered(client, partner_referral, caseworker):
    referral, lawyer = partner_referral
    services.referral_accept(referral=referral, by=lawyer)
    client.force_login(caseworker)
    client.post(reverse("cases:referral-answer", args=[referral.reference]), {"decision": "delivered"})
    referral.refresh_from_db()
    assert referral.status == "accepted"
