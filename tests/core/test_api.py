import pytest
from django.core.management import call_command

from liman.core.choices import Role
from tests.factories import OfficeFactory, staff

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_clean(tmp_path):
    """drf-spectacular fails on any warning, so every endpoint documents what it returns."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = target.read_text()
    assert "/api/offices/{code}/" in schema and "/api/areas/resolve/" in schema


def test_offices_api_lists_only_the_callers_offices(client, istanbul, izmir):
    client.force_login(staff(Role.VIEWER, istanbul))
    body = client.get("/api/offices/").json()
    assert [office["code"] for office in body["results"]] == ["IST"]
    assert body["results"][0]["province"] == "TUR034"


def test_offices_api_query_count_does_not_grow(client, django_assert_max_num_queries):
    client.force_login(staff(Role.REPORTING_OFFICER, None, username="reporting.all"))
    for n in range(40):
        OfficeFactory(code=f"Y{n:02d}")
    with django_assert_max_num_queries(10):
        assert client.get("/api/offices/?limit=100").json()["count"] == 40


def test_staff_api_query_count_does_not_grow(client, istanbul, django_assert_max_num_queries, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    client.force_login(staff(Role.SUPERVISOR, istanbul))
    for n in range(30):
        staff(Role.CASEWORKER, istanbul, username=f"api{n}.ist")
    with django_assert_max_num_queries(10):
        body = client.get("/api/staff/?limit=100").json()
    assert body["count"] == 31 and body["results"][0]["grants"]


@pytest.mark.parametrize(("text", "pcode"), [("Izmir", "TUR035"), ("TR-22", "TUR022"), ("34", "TUR034")])
def test_areas_resolve_any_spelling(client, istanbul, text, pcode):
    client.force_login(staff(Role.VIEWER, istanbul))
    assert client.get("/api/areas/resolve/", {"q": text}).json()["pcode"] == pcode


def test_areas_resolve_says_what_is_wrong(client, istanbul):
    client.force_login(staff(Role.VIEWER, istanbul))
    assert "Atlantis" in client.get("/api/areas/resolve/", {"q": "Atlantis"}).json()["detail"]
    assert "give the province" in client.get("/api/areas/resolve/", {"q": "Gölbaşı"}).json()["q"]


def test_districts_of_a_province(client, istanbul):
    client.force_login(staff(Role.VIEWER, istanbul))
    body = client.get("/api/areas/", {"level": 2, "parent": "TUR035", "limit": 100}).json()
    assert body["count"] == 30
    assert client.get("/api/areas/", {"level": 7}).status_code == 400


def test_me_lists_the_callers_grants(client, istanbul):
    client.force_login(staff(Role.HEALTH, istanbul, programme="health"))
    assert client.get("/api/me/").json()["grants"] == [
        {"role": "health", "office": "IST", "programme": "health", "expires_on": None}
    ]


def test_a_token_reads_the_api_with_the_owners_scope(client, istanbul, izmir):
    from django.test import Client

    user = staff(Role.VIEWER, istanbul)
    client.force_login(user)
    page = client.post("/account/api-token/").content.decode()
    key = page.split('id="new-token">')[1].split("<")[0]
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert [office["code"] for office in api.get("/api/offices/").json()["results"]] == ["IST"]
    assert api.get("/api/offices/IZM/").status_code == 404
    assert Client(HTTP_AUTHORIZATION="Token wrong").get("/api/offices/").status_code == 401


def test_replacing_a_token_retires_the_old_one(client, istanbul):
    from django.test import Client

    client.force_login(staff(Role.VIEWER, istanbul))
    first = client.post("/account/api-token/").content.decode().split('id="new-token">')[1].split("<")[0]
    client.post("/account/api-token/")
    assert Client(HTTP_AUTHORIZATION=f"Token {first}").get("/api/offices/").status_code == 401
