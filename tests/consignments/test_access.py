"""Who sees a consignment: the hub office's readers, and the partner users of its organisation only."""

import pytest
from django.test import override_settings
from django.urls import reverse

from liman.consignments.models import Consignment, Truck
from liman.core.choices import Role
from tests.factories import OfficeFactory, UserFactory, grant, staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_no_second_factor")]


@pytest.fixture
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def two_consignments(plan, truck, tents, partner_a, partner_b):
    to_a, to_b = plan(partner=partner_a[0]), plan(partner=partner_b[0], destination="NARC warehouse, Afrin")
    truck(to_a, "27 AB 101", (tents, 10))
    truck(to_b, "27 AB 202", (tents, 10))
    return to_a, to_b


def test_a_partner_sees_only_its_organisations_consignments(client, two_consignments, partner_a):
    to_a, to_b = two_consignments
    client.force_login(partner_a[1])

    body = client.get(reverse("consignments:consignment-list")).content.decode()

    assert to_a.reference in body and to_b.reference not in body
    assert "North Aleppo Relief Coalition" not in body  # not even in the partner filter
    assert client.get(reverse("consignments:consignment-detail", args=[to_a.pk])).status_code == 200
    assert client.get(reverse("consignments:consignment-detail", args=[to_b.pk])).status_code == 404
    assert client.get(f"/api/consignments/{to_b.pk}/").status_code == 404
    assert [row["reference"] for row in client.get("/api/consignments/").json()["results"]] == [to_a.reference]


def test_a_partners_users_see_its_consignments_whatever_the_office(client, two_consignments, partner_a):
    """The partner's grant may name another office: what reaches them is what is addressed to their organisation."""
    to_a, _to_b = two_consignments
    elsewhere = UserFactory(username="partner.shp.hty")
    grant(elsewhere, Role.PARTNER, OfficeFactory(code="HTY"))
    partner_a[0].members.add(elsewhere)
    client.force_login(elsewhere)

    assert client.get(reverse("consignments:consignment-detail", args=[to_a.pk])).status_code == 200
    # … but only a user with the partner role in the hub's office reports on it (the office the partner works with).
    assert client.get(reverse("consignments:consignment-report", args=[to_a.pk])).status_code == 404


def test_a_member_who_lost_the_partner_role_sees_nothing(client, two_consignments, partner_a):
    to_a, _to_b = two_consignments
    partner_a[1].role_grants.all().delete()
    partner_a[1].__dict__.pop("_liman_grants", None)
    client.force_login(partner_a[1])

    assert client.get(reverse("consignments:consignment-detail", args=[to_a.pk])).status_code == 404


def test_a_partner_of_the_office_outside_the_organisation_sees_nothing(client, two_consignments, gaziantep):
    outsider = staff(Role.PARTNER, gaziantep, username="partner.gaz")
    client.force_login(outsider)

    assert Consignment.objects.visible_to(outsider).count() == 0
    assert client.get(reverse("consignments:consignment-detail", args=[two_consignments[0].pk])).status_code == 404
    assert client.get("/api/consignments/").json()["count"] == 0


@pytest.mark.parametrize("role", [Role.WAREHOUSE, Role.PROGRAMME_OFFICER, Role.SUPERVISOR, Role.ADMINISTRATOR])
def test_another_office_answers_404(client, two_consignments, role):
    to_a, _to_b = two_consignments
    client.force_login(staff(role, OfficeFactory(code="HTY"), username=f"{role}.hty"))

    assert client.get(reverse("consignments:consignment-detail", args=[to_a.pk])).status_code == 404
    assert client.get(reverse("consignments:consignment-truck-add", args=[to_a.pk])).status_code == 404
    assert (
        client.get(reverse("consignments:consignment-truck-check", args=[Truck.objects.first().pk])).status_code == 404
    )
    assert client.get(f"/api/consignments/{to_a.pk}/").status_code == 404
    assert client.get("/api/consignments/").json()["count"] == 0


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.HEALTH, Role.MOBILE_TEAM])
def test_roles_that_do_not_read_consignments_see_none_in_the_office(client, two_consignments, gaziantep, role):
    client.force_login(staff(role, gaziantep))

    assert client.get(reverse("consignments:consignment-list")).status_code == 404
    assert client.get(reverse("consignments:consignment-detail", args=[two_consignments[0].pk])).status_code == 404


def test_a_reader_does_not_get_the_steps_of_the_keeper_and_the_monitor(client, two_consignments, gaziantep):
    to_a, _to_b = two_consignments
    client.force_login(staff(Role.VIEWER, gaziantep))

    assert client.get(reverse("consignments:consignment-detail", args=[to_a.pk])).status_code == 200
    for name in (
        "consignments:consignment-truck-add",
        "consignments:consignment-dispatch",
        "consignments:consignment-handover",
        "consignments:consignment-report",
    ):
        assert client.get(reverse(name, args=[to_a.pk])).status_code == 404, name


@override_settings(LIMAN_SECOND_FACTOR_ROLES=[])
def test_the_api_list_costs_the_same_few_queries(client, plan, truck, tents, keeper, django_assert_max_num_queries):
    for number in range(6):
        consignment = plan()
        truck(consignment, f"27 AB {number}01", (tents, 1))
        truck(consignment, f"27 AB {number}02", (tents, 2))
    client.force_login(keeper)

    with django_assert_max_num_queries(12):
        response = client.get("/api/consignments/")

    assert response.status_code == 200 and response.json()["count"] == 6
    assert len(response.json()["results"][0]["trucks"]) == 2
