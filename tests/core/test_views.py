import json

import pytest
from django.urls import reverse

from liman.core.choices import Role
from tests.factories import OfficeFactory, grant, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


def test_the_login_page_is_public_and_the_home_page_is_not(client):
    assert client.get(reverse("core:login")).status_code == 200
    assert client.get(reverse("core:home")).status_code == 302


def test_home_shows_figures_counted_in_the_users_scope(client, istanbul, izmir, no_second_factor):
    admin = staff(Role.ADMINISTRATOR, istanbul)
    for n in range(3):
        staff(Role.CASEWORKER, istanbul, username=f"cw{n}.ist")
    staff(Role.CASEWORKER, izmir, username="cw.izm")
    client.force_login(admin)
    figures = {figure["key"]: figure["value"] for figure in client.get(reverse("core:home")).context["figures"]}
    assert figures["offices"] == 1 and figures["provinces"] == 1
    assert figures["staff"] == 4  # the administrator and three caseworkers of Istanbul, not Izmir's


def test_navigation_follows_the_role(client, istanbul, no_second_factor):
    client.force_login(staff(Role.CASEWORKER, istanbul))
    keys = [item["key"] for item in client.get(reverse("core:home")).context["nav_items"]]
    assert "audit" not in keys and "staff" not in keys and "map" in keys
    client.force_login(staff(Role.ADMINISTRATOR, istanbul))
    keys = [item["key"] for item in client.get(reverse("core:home")).context["nav_items"]]
    assert "audit" in keys and "staff" in keys


def test_office_list_costs_the_same_queries_for_many_offices(client, django_assert_max_num_queries):
    user = staff(Role.REPORTING_OFFICER, None, username="reporting.all")
    for n in range(30):
        OfficeFactory(code=f"X{n:02d}")
    client.force_login(user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("core:office-list"))
    assert response.content.decode().count("/offices/X") == 30


def test_staff_list_costs_the_same_queries_for_many_people(client, istanbul, django_assert_max_num_queries):
    admin = staff(Role.SUPERVISOR, istanbul)
    for n in range(40):
        grant(staff(Role.CASEWORKER, istanbul, username=f"many{n}.ist"), Role.VIEWER, istanbul)
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("core:staff-list"))
    assert "many39.ist" in response.content.decode()


def test_map_counts_are_scoped_and_keyed_by_pcode(client, istanbul, izmir):
    client.force_login(staff(Role.VIEWER, istanbul))
    staff(Role.CASEWORKER, izmir, username="cw.izm")
    counts = client.get(reverse("core:map-counts"), {"metric": "staff"}).json()["counts"]
    assert counts == {"TUR034": 1}
    districts = client.get(reverse("core:map-counts"), {"metric": "districts"}).json()["counts"]
    assert len(districts) == 81 and districts["TUR035"] == 30 and sum(districts.values()) == 973
    assert client.get(reverse("core:map-counts"), {"metric": "nonsense"}).status_code == 404


def test_map_geojson_holds_the_81_provinces(client, istanbul):
    client.force_login(staff(Role.VIEWER, istanbul))
    data = json.loads(client.get(reverse("core:map-provinces")).content)
    assert len(data["features"]) == 81
    assert {f["properties"]["pcode"] for f in data["features"]} >= {"TUR034", "TUR035", "TUR022"}


def test_map_page_loads_leaflet_from_the_site_itself(client, istanbul):
    client.force_login(staff(Role.VIEWER, istanbul))
    page = client.get(reverse("core:map")).content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in page and "http" not in page.split("<body")[0].replace(
        "http-equiv", ""
    )


def test_office_detail_shows_staff_to_supervisors_only(client, istanbul, no_second_factor):
    staff(Role.CASEWORKER, istanbul, username="ayse.ist")
    client.force_login(staff(Role.VIEWER, istanbul))
    assert "ayse.ist" not in client.get(reverse("core:office-detail", args=["IST"])).content.decode()
    client.force_login(staff(Role.SUPERVISOR, istanbul))
    assert "ayse.ist" in client.get(reverse("core:office-detail", args=["ist"])).content.decode()


def test_health_answers_without_login(client):
    assert client.get(reverse("core:health")).json() == {"status": "ok"}


def test_home_shows_people_cases_and_overdue_follow_ups_to_caseworkers(client, istanbul, izmir):
    from tests.factories import _registry_world

    _registry_world(istanbul, "Home")
    _registry_world(izmir, "Away")
    client.force_login(staff(Role.CASEWORKER, istanbul))
    context = client.get(reverse("core:home")).context
    figures = {figure["key"]: figure["value"] for figure in [*context["figures"], *context["next"]]}
    assert figures["people"] == 2 and figures["open_cases"] == 0 and figures["overdue_follow_ups"] == 0


def test_home_hides_casework_figures_from_a_dtm_officer(client, istanbul):
    client.force_login(staff(Role.DTM_OFFICER, istanbul))
    figures = {figure["key"] for figure in client.get(reverse("core:home")).context["figures"]}
    assert not {"people", "open_cases", "overdue_follow_ups"} & figures
