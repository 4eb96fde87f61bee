"""Partner organisations are kept on their own pages: administrators and supervisors keep the directory,
administrators add and remove partner users; each write is audited."""

import pytest
from django.urls import reverse

from liman.cases.models import PartnerOrganisation
from liman.core.choices import Role
from liman.core.models import AuditEvent
from tests.factories import agreement, grant, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(istanbul):
    return staff(Role.ADMINISTRATOR, istanbul, username="admin.ist")


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def organisation(db):
    from liman.cases.services import partner_organisation_create

    organisation = partner_organisation_create(name="Refugee Rights Association", acronym="RRA", kind="ngo", by=None)
    agreement(organisation)
    return organisation


@pytest.fixture
def partner_user(istanbul):
    return staff(Role.PARTNER, istanbul, username="partner.ist")


def org_events(organisation, action="update"):
    return AuditEvent.objects.filter(
        action=action, object_type="cases.partnerorganisation", object_id=str(organisation.pk)
    )


def test_a_supervisor_adds_an_organisation_and_it_is_audited(client, supervisor):
    client.force_login(supervisor)

    response = client.post(
        reverse("cases:partner-new"), {"name": "Bar of Istanbul", "acronym": "", "kind": "bar_association"}
    )

    assert response.status_code == 302
    organisation = PartnerOrganisation.objects.get(name="Bar of Istanbul")
    assert organisation.is_active
    assert org_events(organisation, "create").get().actor == supervisor
    assert "Bar of Istanbul" in client.get(reverse("cases:partner-list")).content.decode()


def test_a_duplicate_name_is_refused_on_the_form(admin_client, organisation):
    response = admin_client.post(reverse("cases:partner-new"), {"name": organisation.name, "kind": "ngo"})

    assert response.status_code == 200 and response.context["form"].errors["name"]
    assert PartnerOrganisation.objects.filter(name=organisation.name).count() == 1


def test_an_administrator_edits_an_organisation_and_the_change_is_audited(admin_client, admin, organisation):
    response = admin_client.post(
        reverse("cases:partner-edit", args=[organisation.pk]),
        {"name": "Refugee Rights Association", "acronym": "RRA-TR", "kind": "ngo", "is_active": ""},
    )

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.acronym == "RRA-TR" and not organisation.is_active
    event = org_events(organisation).get()
    assert event.actor == admin and event.changes["acronym"] == ["RRA", "RRA-TR"]


def test_an_administrator_adds_and_removes_a_partner_user(admin_client, admin, organisation, partner_user):
    response = admin_client.post(reverse("cases:partner-member-add", args=[organisation.pk]), {"user": partner_user.pk})

    assert response.status_code == 302
    assert list(organisation.members.all()) == [partner_user]
    assert org_events(organisation).get().changes == {"members": [None, "partner.ist"]}
    assert "partner.ist" in admin_client.get(reverse("cases:partner-detail", args=[organisation.pk])).content.decode()

    response = admin_client.post(reverse("cases:partner-member-remove", args=[organisation.pk, "partner.ist"]))

    assert response.status_code == 302
    assert not organisation.members.exists()
    removal = org_events(organisation).order_by("-seq").first()
    assert removal.actor == admin and removal.changes == {"members": ["partner.ist", None]}


def test_only_a_user_holding_the_partner_role_can_be_added(admin_client, organisation, istanbul):
    viewer = staff(Role.VIEWER, istanbul, username="viewer.ist")

    admin_client.post(reverse("cases:partner-member-add", args=[organisation.pk]), {"user": viewer.pk})

    assert not organisation.members.exists() and not org_events(organisation).exists()


def test_a_partner_user_of_another_office_is_not_offered_nor_accepted(admin_client, organisation, izmir):
    stranger = staff(Role.PARTNER, izmir, username="partner.izm")

    page = admin_client.get(reverse("cases:partner-detail", args=[organisation.pk]))
    assert "partner.izm" not in page.content.decode()
    admin_client.post(reverse("cases:partner-member-add", args=[organisation.pk]), {"user": stranger.pk})

    assert not organisation.members.exists()


def test_members_of_other_offices_are_not_listed_nor_removable(admin_client, organisation, izmir):
    stranger = staff(Role.PARTNER, izmir, username="partner.izm")
    organisation.members.add(stranger)

    page = admin_client.get(reverse("cases:partner-detail", args=[organisation.pk]))
    response = admin_client.post(reverse("cases:partner-member-remove", args=[organisation.pk, "partner.izm"]))

    assert "partner.izm" not in page.content.decode()
    assert response.status_code == 404
    assert list(organisation.members.all()) == [stranger]


def test_a_supervisor_keeps_the_directory_but_does_not_change_members(client, supervisor, organisation, partner_user):
    client.force_login(supervisor)

    page = client.get(reverse("cases:partner-detail", args=[organisation.pk]))
    response = client.post(reverse("cases:partner-member-add", args=[organisation.pk]), {"user": partner_user.pk})

    assert page.status_code == 200
    assert reverse("cases:partner-member-add", args=[organisation.pk]) not in page.content.decode()
    assert response.status_code == 404
    assert not organisation.members.exists()


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.VIEWER, Role.PARTNER, Role.HEALTH])
def test_other_roles_get_404_on_every_partner_page(client, istanbul, organisation, role):
    user = staff(role, istanbul, username=f"{role}.ist")
    client.force_login(user)

    for url in (
        reverse("cases:partner-list"),
        reverse("cases:partner-new"),
        reverse("cases:partner-detail", args=[organisation.pk]),
        reverse("cases:partner-edit", args=[organisation.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("cases:partner-edit", args=[organisation.pk]), {"name": "Taken over", "kind": "ngo"})

    assert response.status_code == 404
    organisation.refresh_from_db()
    assert organisation.name == "Refugee Rights Association" and not org_events(organisation).exists()


def test_the_navigation_shows_partners_to_administrators_and_supervisors_only(client, istanbul, admin):
    caseworker = staff(Role.CASEWORKER, istanbul, username="cw.ist")
    grant(caseworker, Role.PARTNER, istanbul)
    client.force_login(admin)
    assert 'data-nav="partners"' in client.get(reverse("core:home")).content.decode()

    client.force_login(caseworker)
    assert 'data-nav="partners"' not in client.get(reverse("core:home")).content.decode()


def test_the_directory_pages_open_for_an_administrator(admin_client, organisation, partner_user):
    for url in (
        reverse("cases:partner-list"),
        reverse("cases:partner-new"),
        reverse("cases:partner-detail", args=[organisation.pk]),
        reverse("cases:partner-edit", args=[organisation.pk]),
    ):
        assert admin_client.get(url).status_code == 200, url
    assert "partner.ist" in admin_client.get(reverse("cases:partner-detail", args=[organisation.pk])).content.decode()
