"""Where a household lives: set on the household page through an audited service; the address is stored encrypted
and never appears in the audit log."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from liman.core.choices import AuditAction, Role
from liman.core.models import AdminArea, AuditEvent
from liman.registry import services as registry
from tests.factories import staff
from tests.registry.test_views import register

pytestmark = pytest.mark.django_db

ADDRESS = "Caferağa Mah. Moda Cad. No:17 D:4"


@pytest.fixture
def household(istanbul):
    return registry.household_create(office=istanbul, head=register(istanbul), by=None)


def raw_address(household) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM registry_household WHERE id = %s", [household.pk])
        return cursor.fetchone()[0]


def test_placing_a_household_is_audited_with_the_address_encrypted(istanbul, household):
    caseworker = staff(Role.CASEWORKER, istanbul)
    kadikoy = AdminArea.objects.get(pcode="TUR034023")

    registry.household_place(household=household, district=kadikoy, address=ADDRESS, by=caseworker)

    household.refresh_from_db()
    assert (household.district, household.address) == (kadikoy, ADDRESS)
    assert "Moda" not in raw_address(household)
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(household.pk)).latest("seq")
    assert event.actor == caseworker
    assert event.changes == {"address": ["[encrypted]", "[encrypted]"], "district": [None, str(kadikoy.pk)]}
    assert "Moda" not in str(AuditEvent.objects.values_list("changes", "object_repr", "reason"))


def test_placing_a_household_again_where_it_is_writes_no_event(istanbul, household):
    kadikoy = AdminArea.objects.get(pcode="TUR034023")
    registry.household_place(household=household, district=kadikoy, address=ADDRESS, by=None)
    events = AuditEvent.objects.count()
    registry.household_place(household=household, district=kadikoy, address=f" {ADDRESS} ", by=None)
    assert AuditEvent.objects.count() == events


def test_a_household_is_not_placed_in_a_whole_province(household):
    with pytest.raises(ValidationError):
        registry.household_place(
            household=household, district=AdminArea.objects.get(pcode="TUR034"), address="", by=None
        )


def test_a_caseworker_sets_the_district_and_address_on_the_household_page(client, istanbul, household):
    client.force_login(staff(Role.CASEWORKER, istanbul))
    url = reverse("registry:household-location-change", args=[household.reference])

    response = client.post(url, {"district": "Beyoğlu, İstanbul", "address": ADDRESS})

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.district.pcode == "TUR034013"
    page = client.get(reverse("registry:household-detail", args=[household.reference])).content.decode()
    assert "Beyoğlu, İstanbul" in page and "TUR034013" in page


def test_an_unknown_district_on_the_household_page_is_shown_and_nothing_changes(client, istanbul, household):
    client.force_login(staff(Role.CASEWORKER, istanbul))
    url = reverse("registry:household-location-change", args=[household.reference])

    response = client.post(url, {"district": "Atlantis", "address": ADDRESS})

    assert response.status_code == 200
    assert "No district is called “Atlantis”" in response.content.decode()
    household.refresh_from_db()
    assert (household.district, household.address) == (None, "")


def test_a_viewer_sees_the_district_but_neither_the_address_nor_the_form(client, istanbul, household):
    registry.household_place(
        household=household, district=AdminArea.objects.get(pcode="TUR034023"), address=ADDRESS, by=None
    )
    client.force_login(staff(Role.VIEWER, istanbul))
    page = client.get(reverse("registry:household-detail", args=[household.reference])).content.decode()
    assert "Kadıköy" in page and "Moda" not in page
    url = reverse("registry:household-location-change", args=[household.reference])
    assert client.post(url, {"district": "Beyoğlu", "address": ""}).status_code == 404


def test_another_office_cannot_place_the_household(client, izmir, household):
    client.force_login(staff(Role.CASEWORKER, izmir))
    url = reverse("registry:household-location-change", args=[household.reference])
    assert client.post(url, {"district": "Beyoğlu", "address": ""}).status_code == 404
