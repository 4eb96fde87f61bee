"""The map counts people by the province of their household's district, within what the reader may see."""

import pytest
from django.urls import reverse

from liman.core.choices import Role, Sensitivity
from liman.core.models import AdminArea
from liman.registry import services as registry
from tests.factories import staff
from tests.registry.test_views import register

pytestmark = pytest.mark.django_db


def housed(office, district_pcode: str | None, *, first="Omar", sensitivity=Sensitivity.NORMAL):
    person = register(office, first=first)
    if sensitivity != Sensitivity.NORMAL:
        registry.person_update(person=person, changes={"sensitivity": sensitivity}, by=None)
    district = AdminArea.objects.get(pcode=district_pcode) if district_pcode else None
    registry.household_create(office=office, head=person, by=None, district=district)
    return person


def people_counts(client, user) -> dict:
    client.force_login(user)
    response = client.get(reverse("core:map-counts"), {"metric": "people"})
    assert response.status_code == 200
    return response.json()["counts"]


@pytest.fixture
def istanbul_people(istanbul):
    housed(istanbul, "TUR034023", first="Omar")
    housed(istanbul, "TUR034013", first="Rania")
    housed(istanbul, "TUR006001", first="Yusuf")  # a district of Ankara
    housed(istanbul, "TUR034023", first="Leyla", sensitivity=Sensitivity.PROTECTION)
    housed(istanbul, None, first="Hasan")
    register(istanbul, first="Fatima")  # in no household


def test_people_are_counted_by_their_households_province(client, istanbul, istanbul_people):
    assert people_counts(client, staff(Role.CASEWORKER, istanbul)) == {"TUR034": 3, "TUR006": 1}


def test_a_viewer_does_not_count_protection_sensitive_people(client, istanbul, istanbul_people):
    assert people_counts(client, staff(Role.VIEWER, istanbul)) == {"TUR034": 2, "TUR006": 1}


def test_a_user_of_another_office_counts_none_of_this_offices_people(client, izmir, istanbul_people):
    housed(izmir, "TUR035001")
    assert people_counts(client, staff(Role.SUPERVISOR, izmir)) == {"TUR035": 1}


def test_the_map_page_says_how_many_people_have_no_district_yet(client, istanbul, istanbul_people):
    client.force_login(staff(Role.VIEWER, istanbul))
    page = client.get(reverse("core:map"), {"metric": "people"}).content.decode()
    assert "2 people have no district yet." in page
    assert "<td>İstanbul</td><td>2</td>" in page


def test_people_are_not_offered_to_roles_that_do_not_see_the_registry(client, istanbul, istanbul_people):
    client.force_login(staff(Role.REPORTING_OFFICER, istanbul))
    assert client.get(reverse("core:map-counts"), {"metric": "people"}).status_code == 404
    page = client.get(reverse("core:map"), {"metric": "people"}).content.decode()
    assert 'value="people"' not in page
