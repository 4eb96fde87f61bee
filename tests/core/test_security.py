import datetime
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import get_hasher
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from liman.core.choices import Role
from tests.factories import staff

pytestmark = pytest.mark.django_db


def test_argon2_is_the_production_password_hasher():
    from liman import settings as liman_settings

    assert liman_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert get_hasher("argon2").algorithm == "argon2"


def test_repeated_failed_logins_lock_the_account(client, istanbul):
    user = staff(Role.VIEWER, istanbul)
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        client.post(reverse("core:login"), {"username": user.username, "password": "wrong-password"})
    response = client.post(reverse("core:login"), {"username": user.username, "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_need_a_signed_in_user(client):
    response = client.get(reverse("core:office-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:login"))
    assert client.get("/api/offices/").status_code in (401, 403)


def test_administrators_must_confirm_a_totp_code(client, istanbul):
    admin = staff(Role.ADMINISTRATOR, istanbul)
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    client.post(reverse("core:login"), {"username": admin.username, "password": "correct-horse-battery"})
    response = client.get(reverse("core:audit-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:second-factor"))
    assert client.get("/api/offices/").status_code == 403

    wrong = client.post(reverse("core:second-factor"), {"token": "000000", "next": reverse("core:audit-list")})
    assert "not valid" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down guessing after a wrong code
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post(reverse("core:second-factor"), {"token": code, "next": reverse("core:audit-list")})
    assert response.status_code == 302 and response["Location"] == reverse("core:audit-list")
    assert client.get(reverse("core:audit-list")).status_code == 200


def test_an_administrator_without_a_device_is_shown_a_qr_code_to_set_one_up(client, istanbul):
    admin = staff(Role.ADMINISTRATOR, istanbul)
    client.force_login(admin)
    page = client.get(reverse("core:second-factor")).content.decode()
    assert "<svg" in page and "otpauth" not in page  # the QR holds the URL; the page shows only the key
    assert TOTPDevice.objects.filter(user=admin, confirmed=False).count() == 1


def test_caseworkers_do_not_need_a_second_factor(client, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul))
    assert client.get(reverse("core:office-list")).status_code == 200


def test_security_headers_and_csp(client, istanbul):
    client.force_login(staff(Role.CASEWORKER, istanbul))
    response = client.get(reverse("core:home"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_forms_carry_a_csrf_token_and_posts_without_one_fail(istanbul):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    assert 'name="csrfmiddlewaretoken"' in csrf_client.get(reverse("core:login")).content.decode()
    assert csrf_client.post(reverse("core:login"), {"username": "x", "password": "y"}).status_code == 403


def test_sessions_expire_when_idle_and_when_the_browser_closes(client, django_user_model):
    """The session's expiry moves on with the user's activity, written at most once a minute (not a write per
    page); a session idle for longer than its age is over."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from liman.core.middleware import SessionMiddleware

    assert django_settings.SESSION_COOKIE_AGE <= 60 * 60 and django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    user = django_user_model.objects.create_user("idle.user", password="x" * 12)
    client.force_login(user)
    client.get(reverse("core:home"))

    def writes(url) -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return sum('UPDATE "django_session"' in query["sql"] for query in queries.captured_queries)

    assert writes(reverse("core:home")) == 0  # saved less than a minute ago
    session = Session.objects.get()
    data = session.get_decoded()
    data[SessionMiddleware.REFRESHED_KEY] -= SessionMiddleware.REFRESH_SECONDS
    Session.objects.filter(pk=session.pk).update(
        session_data=Session.objects.encode(data), expire_date=session.expire_date - datetime.timedelta(minutes=5)
    )
    assert writes(reverse("core:home")) == 1
    assert Session.objects.get().expire_date > session.expire_date - datetime.timedelta(minutes=1)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:login"))


def _start_production(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LIMAN_", "DJANGO_SETTINGS"))}
    environment.update({"LIMAN_ENV": "production", "DJANGO_SETTINGS_MODULE": "liman.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=environment, capture_output=True, text=True
    )


GOOD_PRODUCTION = {
    "LIMAN_SECRET_KEY": "x" * 50,
    "LIMAN_ALLOWED_HOSTS": "liman.example.org",
    "LIMAN_FIELD_KEYS": "qQdhGAWPo0e_pt_DhChbBEm8n2UqzRr55C2EW1kVoEw=",
    "LIMAN_BLIND_INDEX_KEY": "y" * 40,
    "LIMAN_AUDIT_KEY": "z" * 40,
    "LIMAN_PAYMENT_SIGNING_KEY": "bGltYW4tdGVzdC1wYXltZW50LXNpZ25pbmcta2V5ISE=",
    # The subprocess never connects: a PostgreSQL address is enough to pass the settings' checks.
    "DATABASE_URL": "postgres://liman:liman@127.0.0.1:1/liman",
}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"LIMAN_SECRET_KEY": ""}, "LIMAN_SECRET_KEY"),
        ({"LIMAN_DEBUG": "1"}, "LIMAN_DEBUG"),
        ({"LIMAN_ALLOWED_HOSTS": ""}, "LIMAN_ALLOWED_HOSTS"),
        ({"LIMAN_FIELD_KEYS": ""}, "LIMAN_FIELD_KEYS"),
        ({"LIMAN_AUDIT_KEY": ""}, "LIMAN_AUDIT_KEY"),
        ({"LIMAN_PAYMENT_SIGNING_KEY": ""}, "LIMAN_PAYMENT_SIGNING_KEY"),
        ({"DATABASE_URL": ""}, "PostgreSQL"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(override, message):
    started = _start_production(**{**GOOD_PRODUCTION, **override})
    assert started.returncode != 0 and message in started.stderr


def test_production_starts_with_safe_settings(tmp_path):
    assert _start_production(**GOOD_PRODUCTION, LIMAN_VAR_DIR=str(tmp_path)).returncode == 0


def test_production_runs_on_sqlite_only_when_told_to(tmp_path):
    sqlite = {**GOOD_PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'one-user.sqlite3'}"}
    refused = _start_production(**sqlite, LIMAN_VAR_DIR=str(tmp_path))
    assert refused.returncode != 0 and "LIMAN_ALLOW_SQLITE" in refused.stderr
    assert _start_production(**sqlite, LIMAN_VAR_DIR=str(tmp_path), LIMAN_ALLOW_SQLITE="1").returncode == 0


def test_a_setting_with_a_bad_value_says_which_and_why():
    started = _start_production(**GOOD_PRODUCTION, LIMAN_DEBUG="perhaps")
    assert "LIMAN_DEBUG='perhaps' is not a boolean" in started.stderr


def test_a_nul_character_in_the_query_string_is_refused_before_any_view(client, istanbul):
    from tests.factories import staff

    client.force_login(staff("caseworker", istanbul))
    response = client.get("/people/", {"q": "Ali\x00"})
    assert response.status_code == 400
    assert b"NUL character" in response.content
