"""API tokens are kept as digests, expire, and an operator issues one from the command line."""

import datetime
import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from liman.core.choices import Role
from liman.core.models import ApiToken, AuditEvent
from liman.core.services import api_token_issue
from tests.factories import staff

pytestmark = pytest.mark.django_db


def api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_the_database_keeps_a_digest_never_the_key(istanbul):
    user = staff(Role.VIEWER, istanbul)

    key = api_token_issue(user=user, by=user)

    token = ApiToken.objects.get(user=user)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values()))
    assert len(key) >= 40


def test_a_token_expires_after_the_configured_days(istanbul, settings):
    settings.LIMAN_API_TOKEN_DAYS = 30
    user = staff(Role.VIEWER, istanbul)

    api_token_issue(user=user, by=user)

    lifetime = ApiToken.objects.get(user=user).expires_at - timezone.now()
    assert datetime.timedelta(days=29) < lifetime <= datetime.timedelta(days=30)


def test_an_expired_token_answers_401(istanbul):
    user = staff(Role.VIEWER, istanbul)
    key = api_token_issue(user=user, by=user)
    assert api(key).get("/api/offices/").status_code == 200

    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    response = api(key).get("/api/offices/")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_token_of_a_deactivated_user_answers_401(istanbul):
    user = staff(Role.VIEWER, istanbul)
    key = api_token_issue(user=user, by=user)
    user.is_active = False
    user.save()

    assert api(key).get("/api/offices/").status_code == 401


def test_the_page_shows_only_the_start_and_the_expiry(client, istanbul):
    user = staff(Role.VIEWER, istanbul)
    client.force_login(user)
    key = client.post("/account/api-token/").content.decode().split('id="new-token">')[1].split("<")[0]

    page = client.get("/account/api-token/").content.decode()

    assert key not in page and key[:6] in page and "expires on" in page
    assert api(key).get("/api/offices/").status_code == 200


def test_the_command_prints_a_new_token_and_audits_it_without_the_key(istanbul):
    user = staff(Role.VIEWER, istanbul, username="script.ist")
    out = io.StringIO()

    call_command("api-token", "script.ist", "--days", "7", stdout=out, stderr=io.StringIO())

    key = out.getvalue().strip()
    assert api(key).get("/api/offices/").status_code == 200
    token = ApiToken.objects.get(user=user)
    assert token.expires_at - timezone.now() <= datetime.timedelta(days=7)
    event = AuditEvent.objects.filter(object_type="core.user", object_id=str(user.pk)).latest("seq")
    assert event.actor is None and "command line" in event.reason
    assert key not in str(event.changes) and key[:6] not in str(event.changes) and key not in event.reason


def test_the_command_refuses_an_unknown_user_and_a_lifetime_under_a_day(istanbul):
    staff(Role.VIEWER, istanbul, username="script.ist")

    with pytest.raises(CommandError, match="No user"):
        call_command("api-token", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="at least one day"):
        call_command("api-token", "script.ist", "--days", "0", stdout=io.StringIO(), stderr=io.StringIO())
