"""The map counts open cases by the province of the person's household's district, within the cases a reader sees."""

import pytest
from django.urls import reverse

from liman.core.choices import Role
from liman.core.models import AdminArea
from liman.registry import services as registry
from tests.cases.builders import open_case, register, step
from tests.factories import staff

pytestmark = pytest.mark.django_db


def housed(office, district_pcode, first_name):
    person = register(office, first_name=first_name)
    district = AdminArea.objects.get(pcode=district_pcode) if district_pcode else None
    registry.household_create(office=office, head=person, by=None, district=district)
    return person


def open_case_counts(client, user) -> dict:
    client.force_login(user)
    response = client.get(reverse("core:map-counts"), {"metric": "open_cases"})
    assert response.status_code == 200
    return response.json()["counts"]


@pytest.fixture
def istanbul_cases(istanbul, caseworker):
    open_case(housed(istanbul, "TUR034023", "Amina"), "counter_trafficking", caseworker)  # protection tier
    open_case(housed(istanbul, "TUR034013", "Rania"), "avrr", caseworker)
    open_case(housed(istanbul, "TUR006001", "Leyla"), "avrr", caseworker)
    open_case(housed(istanbul, None, "Hiba"), "avrr", caseworker)
    closed = open_case(housed(istanbul, "TUR034013", "Nour"), "avrr", caseworker)
    step(closed, "closed", caseworker, reason="moved away", closure_reason="left_area")


def test_open_cases_are_counted_by_the_province_of_the_persons_household(client, caseworker, istanbul_cases):
    assert open_case_counts(client, caseworker) == {"TUR034": 2, "TUR006": 1}


def test_a_viewer_does_not_count_protection_cases(client, istanbul, istanbul_cases):
    assert open_case_counts(client, staff(Role.VIEWER, istanbul)) == {"TUR034": 1, "TUR006": 1}


def test_a_caseworker_of_another_office_counts_none_of_this_offices_cases(client, izmir, istanbul_cases):
    assert open_case_counts(client, staff(Role.CASEWORKER, izmir)) == {}


def test_the_map_page_says_how_many_open_cases_have_no_district_yet(client, caseworker, istanbul_cases):
    client.force_login(caseworker)
    page = client.get(reverse("core:map"), {"metric": "open_cases"}).content.decode()
    assert "1 open case has no district yet." in page
