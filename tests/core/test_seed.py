import pytest
from django.core.management import call_command

from liman.core import demo
from liman.core.choices import Role
from liman.core.models import Office, User

pytestmark = pytest.mark.django_db


def test_seed_creates_the_offices_and_one_user_per_role_per_office(capsys):
    call_command("seed", "--seed", "7")
    codes = set(Office.objects.values_list("code", flat=True))
    assert {"ANK", "IST", "IZM", "EDR", "GAZ", "HTY"} <= codes
    for code in codes:
        for role in Role.values:
            user = User.objects.get(username=demo.demo_username(role, code))
            assert role in user.roles
            assert user.check_password(demo.DEMO_PASSWORD)
    out = capsys.readouterr().out
    assert demo.DEMO_PASSWORD in out and "caseworker.ist" in out


def test_seed_is_reproducible_and_can_run_twice():
    call_command("seed", "--seed", "7", "--quiet")
    first = list(User.objects.order_by("username").values_list("username", "first_name", "last_name"))
    call_command("seed", "--seed", "7", "--quiet")
    assert list(User.objects.order_by("username").values_list("username", "first_name", "last_name")) == first


def test_country_office_administrator_covers_every_office():
    call_command("seed", "--quiet")
    admin = User.objects.get(username="administrator.ank")
    assert Office.objects.visible_to(admin).count() == len(demo.DEMO_OFFICES)
    assert Office.objects.visible_to(User.objects.get(username="caseworker.izm")).get().code == "IZM"
