"""Roles that open protection or medical records take effect only when a second administrator approves them."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from liman.core.access import forget_grants
from liman.core.choices import Role
from liman.core.models import AuditEvent, RoleGrant
from liman.core.roles import APPROVAL_ROLES
from liman.core.services import role_grant_add, role_grant_approve
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def admin(istanbul):
    return staff(Role.ADMINISTRATOR, istanbul, username="admin.one")


@pytest.fixture
def second_admin(istanbul):
    return staff(Role.ADMINISTRATOR, istanbul, username="admin.two")


def test_the_roles_needing_approval_are_those_that_read_a_tier_beyond_normal():
    assert APPROVAL_ROLES == {Role.CASEWORKER, Role.SUPERVISOR, Role.HEALTH, Role.PSEA_FOCAL_POINT}


def test_an_administrator_who_grants_themself_caseworker_does_not_hold_it(admin, istanbul):
    grant = role_grant_add(user=admin, role=Role.CASEWORKER, office=istanbul, by=admin)

    forget_grants(admin)
    assert grant.is_pending
    assert Role.CASEWORKER not in admin.roles


def test_an_administrator_cannot_approve_their_own_grant(admin, istanbul):
    grant = role_grant_add(user=admin, role=Role.CASEWORKER, office=istanbul, by=admin)

    with pytest.raises(PermissionDenied):
        role_grant_approve(grant=grant, by=admin)

    assert RoleGrant.objects.get(pk=grant.pk).is_pending


def test_the_administrator_who_gave_a_grant_cannot_approve_it(admin, istanbul):
    member = staff(Role.VIEWER, istanbul, username="member.ist")
    grant = role_grant_add(user=member, role=Role.HEALTH, office=istanbul, by=admin)

    with pytest.raises(PermissionDenied):
        role_grant_approve(grant=grant, by=admin)


def test_a_second_administrator_approves_and_the_approval_is_audited(admin, second_admin, istanbul):
    grant = role_grant_add(user=admin, role=Role.CASEWORKER, office=istanbul, by=admin)

    role_grant_approve(grant=grant, by=second_admin)

    forget_grants(admin)
    assert Role.CASEWORKER in admin.roles
    event = AuditEvent.objects.get(action="update", object_type="core.rolegrant", object_id=str(grant.pk))
    assert event.actor == second_admin and "is_pending" in event.changes


def test_an_administrator_of_another_office_cannot_approve(admin, istanbul, izmir):
    other = staff(Role.ADMINISTRATOR, izmir, username="admin.izm")
    grant = role_grant_add(user=admin, role=Role.SUPERVISOR, office=istanbul, by=admin)

    with pytest.raises(PermissionDenied):
        role_grant_approve(grant=grant, by=other)


def test_an_all_offices_grant_needs_an_all_offices_administrator(admin, second_admin, istanbul):
    member = staff(Role.VIEWER, istanbul, username="member.ist")
    grant = role_grant_add(user=member, role=Role.HEALTH, office=None, by=admin)

    with pytest.raises(PermissionDenied):
        role_grant_approve(grant=grant, by=second_admin)
    role_grant_approve(grant=grant, by=staff(Role.ADMINISTRATOR, None, username="admin.all"))
    assert not RoleGrant.objects.get(pk=grant.pk).is_pending


def test_a_normal_tier_role_takes_effect_at_once(admin, istanbul):
    member = staff(Role.VIEWER, istanbul, username="member.ist")

    grant = role_grant_add(user=member, role=Role.PROGRAMME_OFFICER, office=istanbul, by=admin)

    forget_grants(member)
    assert not grant.is_pending and Role.PROGRAMME_OFFICER in member.roles


def test_the_staff_page_shows_the_pending_grant_with_approve_for_another_administrator(
    client, admin, second_admin, istanbul
):
    client.force_login(admin)
    client.post(reverse("core:staff-detail", args=["admin.one"]), {"role": Role.CASEWORKER, "office": istanbul.pk})
    grant = RoleGrant.objects.get(user=admin, role=Role.CASEWORKER)
    approve = reverse("core:role-grant-approve", args=["admin.one", grant.pk])

    own_page = client.get(reverse("core:staff-detail", args=["admin.one"])).content.decode()
    assert "awaiting approval" in own_page and approve not in own_page
    assert client.post(approve).status_code == 404

    client.force_login(second_admin)
    page = client.get(reverse("core:staff-detail", args=["admin.one"])).content.decode()
    assert approve in page
    client.post(approve)

    assert not RoleGrant.objects.get(pk=grant.pk).is_pending


def test_the_demo_seed_puts_its_grants_in_force(db):
    import random

    from liman.core.demo import seed_core

    seed_core(random.Random(1), 1)

    assert not RoleGrant.objects.pending().exists()
    assert RoleGrant.objects.filter(role=Role.CASEWORKER, approved_by__username="administrator.ank").exists()
