"""visible_to(user): deny by default, office × programme × sensitivity × role."""

import pytest

from liman.core.access import get_visible_or_404
from liman.core.choices import Role
from liman.core.models import AuditEvent, Office, User
from tests.factories import UserFactory, grant, secret, staff
from tests.vault.models import Secret

pytestmark = pytest.mark.django_db


def titles(user):
    return sorted(Secret.objects.visible_to(user).values_list("title", flat=True))


def test_anonymous_and_grantless_users_see_nothing(istanbul):
    from django.contrib.auth.models import AnonymousUser

    secret(istanbul, title="ist")
    assert titles(AnonymousUser()) == []
    assert titles(UserFactory()) == []
    assert not Office.objects.visible_to(UserFactory()).exists()


def test_a_user_sees_records_of_their_office_only(istanbul, izmir):
    secret(istanbul, title="ist")
    secret(izmir, title="izm")
    assert titles(staff(Role.VIEWER, istanbul)) == ["ist"]


def test_an_office_wide_grant_sees_every_programme_and_a_programme_grant_one(istanbul):
    secret(istanbul, title="protection", programme="protection")
    secret(istanbul, title="dtm", programme="dtm")
    secret(istanbul, title="office-wide")
    assert titles(staff(Role.VIEWER, istanbul)) == ["dtm", "office-wide", "protection"]
    assert titles(staff(Role.DTM_OFFICER, istanbul, programme="dtm")) == ["dtm", "office-wide"]


def test_sensitivity_tiers_follow_the_role(istanbul):
    secret(istanbul, title="normal")
    secret(istanbul, title="protection", sensitivity="protection")
    secret(istanbul, title="medical", sensitivity="medical")
    assert titles(staff(Role.VIEWER, istanbul)) == ["normal"]
    assert titles(staff(Role.CASEWORKER, istanbul)) == ["normal", "protection"]
    assert titles(staff(Role.HEALTH, istanbul)) == ["medical", "normal"]
    assert titles(staff(Role.PARTNER, istanbul)) == []


def test_grants_add_up_across_offices_and_roles(istanbul, izmir):
    secret(istanbul, title="ist-medical", sensitivity="medical")
    secret(izmir, title="izm-protection", sensitivity="protection")
    user = staff(Role.HEALTH, istanbul)
    grant(user, Role.CASEWORKER, izmir)
    assert titles(user) == ["ist-medical", "izm-protection"]


def test_a_grant_without_office_covers_every_office(istanbul, izmir):
    secret(istanbul, title="ist")
    secret(izmir, title="izm")
    assert titles(staff(Role.REPORTING_OFFICER, None)) == ["ist", "izm"]


def test_an_expired_grant_gives_nothing(istanbul):
    import datetime

    secret(istanbul, title="ist")
    user = staff(Role.VIEWER, istanbul)
    user.role_grants.update(expires_on=datetime.date(2020, 1, 1))
    user.__dict__.pop("_liman_grants", None)
    assert titles(user) == []


def test_an_inactive_user_sees_nothing(istanbul):
    secret(istanbul, title="ist")
    user = staff(Role.VIEWER, istanbul)
    user.is_active = False
    assert titles(user) == []


def test_role_restricted_models_need_the_role(istanbul):
    from liman.core import audit

    audit.record("update", office=istanbul, object_type="x", object_id="1")
    assert not AuditEvent.objects.visible_to(staff(Role.SUPERVISOR, istanbul)).exists()
    assert AuditEvent.objects.visible_to(staff(Role.ADMINISTRATOR, istanbul)).exists()


def test_staff_are_listed_once_even_with_several_grants(istanbul, izmir):
    member = staff(Role.CASEWORKER, istanbul)
    grant(member, Role.VIEWER, istanbul)
    grant(member, Role.VIEWER, izmir)
    admin = staff(Role.ADMINISTRATOR, istanbul)
    assert list(User.objects.visible_to(admin).filter(pk=member.pk)) == [member]
    assert (
        not User.objects.visible_to(staff(Role.ADMINISTRATOR, izmir, username="adm-izm")).filter(pk=admin.pk).exists()
    )


def test_get_visible_or_404_answers_404_outside_scope(istanbul, izmir):
    from django.http import Http404

    other = secret(izmir, title="izm")
    with pytest.raises(Http404):
        get_visible_or_404(Secret, staff(Role.VIEWER, istanbul), pk=other.pk)
    assert get_visible_or_404(Secret, staff(Role.VIEWER, izmir), pk=other.pk) == other
