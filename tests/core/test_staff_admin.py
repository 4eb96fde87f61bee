import pytest
from django.urls import reverse

from liman.core.choices import Role
from liman.core.models import AuditEvent, RoleGrant, User
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    client.force_login(staff(Role.ADMINISTRATOR, istanbul))
    return client


def test_an_administrator_opens_an_account_with_its_first_role(admin_client, istanbul):
    response = admin_client.post(
        reverse("core:staff-create"),
        {
            "account-username": "zeynep.ist",
            "account-first_name": "Zeynep",
            "account-last_name": "Kaya",
            "account-email": "",
            "account-password": "long-enough-passphrase-42",
            "grant-role": Role.CASEWORKER,
            "grant-office": istanbul.pk,
        },
    )
    assert response.status_code == 302
    member = User.objects.get(username="zeynep.ist")
    assert member.check_password("long-enough-passphrase-42")
    # Caseworker opens protection records: the grant waits for a second administrator.
    assert member.roles == set() and member.role_grants.get().role == Role.CASEWORKER
    assert RoleGrant.objects.pending().filter(user=member).exists()
    assert AuditEvent.objects.filter(action="create", object_type="core.rolegrant").exists()


def test_a_weak_initial_password_is_refused_and_nothing_is_created(admin_client, istanbul):
    response = admin_client.post(
        reverse("core:staff-create"),
        {
            "account-username": "weak.ist",
            "account-first_name": "W",
            "account-last_name": "K",
            "account-password": "12345678",
            "grant-role": Role.VIEWER,
            "grant-office": istanbul.pk,
        },
    )
    assert response.status_code == 200 and "password" in response.content.decode().lower()
    assert not User.objects.filter(username="weak.ist").exists()


def test_roles_can_be_granted_only_in_offices_the_administrator_manages(admin_client, istanbul, izmir):
    member = staff(Role.VIEWER, istanbul, username="member.ist")
    admin_client.post(reverse("core:staff-detail", args=["member.ist"]), {"role": Role.SUPERVISOR, "office": izmir.pk})
    assert not RoleGrant.objects.filter(user=member, office=izmir).exists()
    admin_client.post(
        reverse("core:staff-detail", args=["member.ist"]), {"role": Role.SUPERVISOR, "office": istanbul.pk}
    )
    assert RoleGrant.objects.filter(user=member, office=istanbul, role=Role.SUPERVISOR).exists()


def test_revoking_a_role_needs_a_reason_and_is_audited(admin_client, istanbul):
    member = staff(Role.VIEWER, istanbul, username="member.ist")
    grant = member.role_grants.get()
    admin_client.post(reverse("core:role-grant-revoke", args=["member.ist", grant.pk]), {"reason": "left the mission"})
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert AuditEvent.objects.get(action="delete", object_type="core.rolegrant").reason == "left the mission"


def test_supervisors_see_staff_but_cannot_grant_roles(client, istanbul):
    staff(Role.VIEWER, istanbul, username="member.ist")
    client.force_login(staff(Role.SUPERVISOR, istanbul))
    page = client.get(reverse("core:staff-detail", args=["member.ist"]))
    assert page.status_code == 200 and page.context["form"] is None
    assert client.get(reverse("core:staff-create")).status_code == 404
