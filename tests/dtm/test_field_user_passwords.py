"""Field-user passwords follow the staff password rules (AUTH_PASSWORD_VALIDATORS), on every path."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from liman.dtm import services
from liman.dtm.models import FieldUser

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("password", ["password", "password123", "12345678901", "short-1"])
def test_a_weak_password_is_refused_on_create(hatay, password):
    with pytest.raises(ValidationError) as refused:
        services.field_user_create(office=hatay, username="enum.weak", password=password, by=None)

    assert "password" in refused.value.message_dict
    assert not FieldUser.objects.filter(username="enum.weak").exists()


def test_a_password_like_the_user_name_is_refused(hatay):
    with pytest.raises(ValidationError):
        services.field_user_create(office=hatay, username="enumerator.hatay", password="enumerator.hatay", by=None)


def test_a_weak_new_password_is_refused_and_the_old_one_kept(field_user):
    old_hash = field_user.password_hash

    with pytest.raises(ValidationError):
        services.field_user_set_password(field_user=field_user, password="password", by=None)

    field_user.refresh_from_db()
    assert field_user.password_hash == old_hash


def test_the_generated_password_passes_the_rules(hatay):
    _field_user, password = services.field_user_create(office=hatay, username="enum.generated", by=None)

    assert len(password) == 19


def test_the_command_refuses_a_weak_password(hatay):
    with pytest.raises(CommandError, match="too common"):
        call_command("field-user", "create", "enum.cli", "--office", "HTY", "--password", "password")

    assert not FieldUser.objects.filter(username="enum.cli").exists()
