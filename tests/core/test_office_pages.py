"""An administrator of all offices opens offices and edits their name, type and active flag; each write is audited."""

import pytest
from django.urls import reverse

from liman.core.choices import OfficeType, Role
from liman.core.models import AdminArea, AuditEvent, Office
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def chief(db):
    return staff(Role.ADMINISTRATOR, None, username="chief")


@pytest.fixture
def chief_client(client, chief):
    client.force_login(chief)
    return client


NEW_OFFICE = {"code": "ank", "name": "Ankara Sub-Office", "province": "TUR006", "type": OfficeType.SUB}


def test_an_all_offices_administrator_opens_an_office_and_it_is_audited(chief_client, chief):
    response = chief_client.post(reverse("core:office-new"), NEW_OFFICE)

    assert response.status_code == 302
    office = Office.objects.get(code="ANK")
    assert (office.name, office.province.pcode, office.type, office.is_active) == (
        "Ankara Sub-Office",
        "TUR006",
        OfficeType.SUB,
        True,
    )
    event = AuditEvent.objects.get(action="create", object_type="core.office", object_id=str(office.pk))
    assert event.actor == chief
    assert chief_client.get(reverse("core:office-detail", args=["ANK"])).status_code == 200


def test_a_taken_code_is_refused(chief_client, istanbul):
    response = chief_client.post(reverse("core:office-new"), {**NEW_OFFICE, "code": "ist"})

    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert Office.objects.filter(code="IST").count() == 1


def test_a_district_is_not_offered_as_the_province(chief_client):
    district = AdminArea.objects.districts().filter(parent__pcode="TUR006").first()
    assert district is not None

    response = chief_client.post(reverse("core:office-new"), {**NEW_OFFICE, "province": district.pcode})

    assert response.status_code == 200 and "province" in response.context["form"].errors
    assert not Office.objects.filter(code="ANK").exists()


def test_an_all_offices_administrator_edits_name_type_and_active_flag(chief_client, chief, istanbul):
    response = chief_client.post(
        reverse("core:office-edit", args=["IST"]),
        {"name": "Istanbul Field Office", "type": OfficeType.FIELD, "is_active": ""},
    )

    assert response.status_code == 302
    istanbul.refresh_from_db()
    assert (istanbul.name, istanbul.type, istanbul.is_active) == ("Istanbul Field Office", OfficeType.FIELD, False)
    event = AuditEvent.objects.get(action="update", object_type="core.office", object_id=str(istanbul.pk))
    assert event.actor == chief
    assert event.changes["is_active"] == ["True", "False"]
    assert event.changes["name"] == ["Istanbul Sub-Office", "Istanbul Field Office"]


def test_an_office_administrator_can_neither_open_nor_edit_offices(client, istanbul):
    client.force_login(staff(Role.ADMINISTRATOR, istanbul, username="admin.ist"))

    assert client.get(reverse("core:office-new")).status_code == 404
    assert client.post(reverse("core:office-new"), NEW_OFFICE).status_code == 404
    assert client.get(reverse("core:office-edit", args=["IST"])).status_code == 404
    response = client.post(reverse("core:office-edit", args=["IST"]), {"name": "Renamed", "type": OfficeType.FIELD})

    assert response.status_code == 404
    assert not Office.objects.filter(code="ANK").exists()
    istanbul.refresh_from_db()
    assert istanbul.name == "Istanbul Sub-Office"
    assert not AuditEvent.objects.filter(object_type="core.office").exists()


def test_other_roles_get_404(client, istanbul):
    client.force_login(staff(Role.SUPERVISOR, None, username="supervisor.all"))

    assert client.get(reverse("core:office-new")).status_code == 404
    assert client.get(reverse("core:office-edit", args=["IST"])).status_code == 404


def test_an_office_outside_the_users_scope_answers_404_on_its_edit_page(client, istanbul, izmir):
    client.force_login(staff(Role.ADMINISTRATOR, izmir, username="admin.izm"))

    assert client.get(reverse("core:office-edit", args=["IST"])).status_code == 404


def test_the_office_list_offers_a_new_office_only_to_an_all_offices_administrator(chief_client, client, istanbul):
    assert reverse("core:office-new") in chief_client.get(reverse("core:office-list")).content.decode()

    client.force_login(staff(Role.ADMINISTRATOR, istanbul, username="admin.ist"))
    assert reverse("core:office-new") not in client.get(reverse("core:office-list")).content.decode()


def test_the_forms_open_for_an_all_offices_administrator(chief_client, istanbul):
    assert chief_client.get(reverse("core:office-new")).status_code == 200
    page = chief_client.get(reverse("core:office-edit", args=["IST"]))
    assert page.status_code == 200 and "Istanbul Sub-Office" in page.content.decode()
