"""The case API: scoped lists and details, the partner view of referrals, query counts that do not grow."""

import pytest

from liman.cases import services
from liman.core.choices import Role
from liman.core.models import AuditEvent
from tests.cases.builders import consent, days_ago, open_case, register
from tests.factories import agreement, staff

pytestmark = pytest.mark.django_db


def test_cases_api_lists_only_what_the_caller_sees(client, istanbul, izmir, person, caseworker):
    avrr = open_case(person, "avrr", caseworker)
    open_case(person, "counter_trafficking", caseworker)
    open_case(register(izmir), "avrr", staff(Role.CASEWORKER, izmir))
    client.force_login(staff(Role.VIEWER, istanbul))
    body = client.get("/api/cases/").json()
    assert [case["reference"] for case in body["results"]] == [avrr.reference]


def test_case_detail_carries_the_state_and_the_reflection_period(client, person, caseworker):
    from tests.cases.builders import trafficking_identified

    case = trafficking_identified(person, by=caseworker, identified_on=days_ago(5))
    client.force_login(caseworker)
    body = client.get(f"/api/cases/{case.reference}/").json()
    assert (body["state"], body["state_label"]) == ("identified", "Identified as a victim")
    assert body["person"] == person.reference
    assert body["reflection_period_ends_on"] == case.reflection_period_ends_on.isoformat()
    assert AuditEvent.objects.filter(action="view", object_id=str(case.pk)).exists()


def test_a_case_of_another_office_is_404_in_the_api(client, izmir, person, caseworker):
    case = open_case(person, "protection", caseworker)
    client.force_login(staff(Role.CASEWORKER, izmir))
    assert client.get(f"/api/cases/{case.reference}/").status_code == 404


def test_cases_api_filters_say_what_is_wrong(client, caseworker):
    client.force_login(caseworker)
    assert "type" in client.get("/api/cases/", {"type": "burglary"}).json()
    assert client.get("/api/cases/", {"state": "flying"}).status_code == 400


def test_cases_api_query_count_does_not_grow(client, person, caseworker, django_assert_max_num_queries):
    client.force_login(caseworker)
    open_case(person, "protection", caseworker)
    # 10 to read, 4 to write the one audit event that lists the protection-tier cases returned.
    with django_assert_max_num_queries(14) as few:
        client.get("/api/cases/")
    for _ in range(15):
        open_case(person, "avrr", caseworker)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/cases/").json()["count"] == 16


@pytest.fixture
def partner_referral(istanbul, person, caseworker):
    organisation = services.partner_organisation_create(name="Harbour Legal Aid", kind="ngo", by=None)
    agreement(organisation)
    lawyer = staff(Role.PARTNER, istanbul, username="lawyer")
    services.partner_member_add(organisation=organisation, user=lawyer, by=None)
    case = open_case(person, "protection", caseworker)
    consent(person, "sharing_partner")
    referral = services.referral_send(
        case=case, to_partner=organisation, shared_fields=["age", "languages"], summary="Legal aid", by=caseworker
    )
    return referral, lawyer


def test_a_partner_gets_the_partner_view_of_a_referral(client, partner_referral):
    referral, lawyer = partner_referral
    client.force_login(lawyer)
    [item] = client.get("/api/referrals/").json()["results"]
    assert set(item) == {
        "reference", "from_office", "to_partner", "service_type", "summary", "shared_fields", "person", "status",
        "sent_at", "responded_at", "response_reason",
    }  # fmt: skip
    assert set(item["person"]) == {"age", "languages"}
    assert client.get(f"/api/referrals/{referral.reference}/").json()["summary"] == "Legal aid"


def test_staff_get_the_whole_referral(client, partner_referral, caseworker):
    referral, _ = partner_referral
    client.force_login(caseworker)
    body = client.get(f"/api/referrals/{referral.reference}/").json()
    assert (body["case"], body["to_partner"]) == (referral.case.reference, "Harbour Legal Aid")


def test_another_partner_gets_nothing(client, istanbul, partner_referral):
    referral, _ = partner_referral
    client.force_login(staff(Role.PARTNER, istanbul, username="stranger"))
    assert client.get("/api/referrals/").json()["count"] == 0
    assert client.get(f"/api/referrals/{referral.reference}/").status_code == 404


def test_referrals_api_query_count_does_not_grow(client, partner_referral, caseworker, django_assert_max_num_queries):
    referral, lawyer = partner_referral
    client.force_login(lawyer)
    # 10 to read, 4 to write the one audit event that lists the protection-tier referrals returned.
    with django_assert_max_num_queries(14) as few:
        client.get("/api/referrals/")
    for _ in range(12):
        services.referral_send(case=referral.case, to_partner=referral.to_partner, by=caseworker)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/referrals/").json()["count"] == 13
