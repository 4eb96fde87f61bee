import pytest

from liman.core.choices import Role
from liman.core.models import AuditEvent
from tests.factories import _registry_world, staff

pytestmark = pytest.mark.django_db


def test_people_api_lists_only_the_callers_office(client, istanbul, izmir):
    _registry_world(istanbul, "Ist")
    _registry_world(izmir, "Izm")
    client.force_login(staff(Role.CASEWORKER, istanbul))
    names = {person["first_name"] for person in client.get("/api/people/").json()["results"]}
    assert names == {"Isthead", "Istspouse"}


def test_person_detail_carries_statuses_identifiers_and_consents(client, istanbul):
    head = _registry_world(istanbul, "Ist")[0]
    client.force_login(staff(Role.CASEWORKER, istanbul))
    body = client.get(f"/api/people/{head.reference}/").json()
    assert body["legal_statuses"][0]["status"] == "temporary_protection"
    assert body["identifiers"][0]["value"] == "···SS1"
    assert body["consents"][0]["purpose"] == "registration"
    assert body["phone"] == "···233"


def test_identifiers_and_phones_are_masked_as_on_the_page_and_revealing_one_is_audited(client, istanbul):
    head = _registry_world(istanbul, "Ist")[0]
    viewer = staff(Role.VIEWER, istanbul)
    client.force_login(viewer)
    body = client.get(f"/api/people/{head.reference}/").content.decode()
    assert "IstPASS1" not in body and "+905321112233" not in body
    identifier = head.identifiers.get()
    url = f"/api/people/{head.reference}/reveal/"
    shown = client.post(url, {"identifier": identifier.pk}, content_type="application/json")
    assert shown.json()["value"] == "IstPASS1"
    assert client.post(url, {"field": "phone"}, content_type="application/json").json()["value"] == "+905321112233"
    reveals = AuditEvent.objects.filter(action="view", actor=viewer).values_list("object_type", "reason")
    assert set(reveals) == {("registry.identifier", "identifier shown"), ("registry.person", "phone shown")}
    assert client.post(url, {}, content_type="application/json").status_code == 400
    assert client.post(url, {"identifier": 999999}, content_type="application/json").status_code == 404


def test_person_of_another_office_is_404(client, istanbul, izmir):
    head = _registry_world(izmir, "Izm")[0]
    client.force_login(staff(Role.CASEWORKER, istanbul))
    assert client.get(f"/api/people/{head.reference}/").status_code == 404


def test_protection_tier_people_are_hidden_from_viewers_and_their_reads_are_audited(client, istanbul):
    head = _registry_world(istanbul, "Ist")[0]
    head.sensitivity = "protection"
    head.save()
    client.force_login(staff(Role.VIEWER, istanbul))
    assert client.get(f"/api/people/{head.reference}/").status_code == 404
    caseworker = staff(Role.CASEWORKER, istanbul)
    client.force_login(caseworker)
    assert client.get(f"/api/people/{head.reference}/").status_code == 200
    assert AuditEvent.objects.filter(action="view", actor=caseworker, object_id=str(head.pk)).exists()


def test_household_members_the_caller_cannot_see_are_left_out(client, istanbul):
    records = _registry_world(istanbul, "Ist")
    spouse, household = records[1], records[2]
    spouse.sensitivity = "protection"
    spouse.save()
    client.force_login(staff(Role.VIEWER, istanbul))
    members = client.get(f"/api/households/{household.reference}/").json()["members"]
    assert [member["relationship"] for member in members] == ["head"]


def test_people_api_query_count_does_not_grow(client, istanbul, django_assert_max_num_queries):
    for n in range(6):
        _registry_world(istanbul, f"P{n}")
    client.force_login(staff(Role.CASEWORKER, istanbul))
    with django_assert_max_num_queries(10):
        assert client.get("/api/people/?limit=100").json()["count"] == 12
    with django_assert_max_num_queries(10):
        assert client.get("/api/households/?limit=100").json()["count"] == 6
