"""A field user is locked after repeated wrong passwords on the OpenRosa server, over Basic and Digest alike."""

import datetime
import re
from unittest import mock

import pytest
from defusedxml import ElementTree
from django.urls import reverse
from django.utils import timezone

from liman.core.choices import Role
from liman.core.models import AuditEvent
from liman.dtm import services
from liman.dtm.models import FieldUser
from liman.dtm.openrosa import digest_authorization
from tests.dtm.conftest import FIELD_PASSWORD, basic
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_attempts(settings):
    settings.LIMAN_FIELD_LOCKOUT_ATTEMPTS = 3
    settings.LIMAN_FIELD_LOCKOUT_MINUTES = 30


def message(response) -> str:
    return ElementTree.fromstring(response.content).find("{http://openrosa.org/http/response}message").text


def digest(client, password: str, uri: str = "/openrosa/formList") -> dict:
    challenge = client.head("/openrosa/submission", HTTP_X_OPENROSA_VERSION="1.0")["WWW-Authenticate"]
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    header = digest_authorization(
        username="enumerator.hty", password=password, realm="Liman", nonce=nonce, method="GET", uri=uri
    )
    return {"HTTP_AUTHORIZATION": header, "HTTP_X_OPENROSA_VERSION": "1.0"}


def fail_basic(client, times: int) -> list:
    return [client.get("/openrosa/formList", **basic(password="wrong-password")) for _ in range(times)]


def test_the_default_is_ten_attempts_and_thirty_minutes():
    from django.conf import settings as project_settings

    from liman import settings as liman_settings

    assert (liman_settings.LIMAN_FIELD_LOCKOUT_ATTEMPTS, liman_settings.LIMAN_FIELD_LOCKOUT_MINUTES) == (10, 30)
    assert project_settings.LIMAN_FIELD_LOCKOUT_ATTEMPTS == 3  # this module's fixture


def test_wrong_basic_passwords_lock_the_field_user_with_a_clear_message(client, field_user):
    responses = fail_basic(client, 3)

    assert [response.status_code for response in responses] == [401, 401, 403]
    assert "locked after too many wrong passwords" in message(responses[-1])
    assert "administrator" in message(responses[-1])
    assert int(responses[-1]["Retry-After"]) > 29 * 60
    field_user.refresh_from_db()
    assert field_user.is_locked()


def test_a_locked_field_user_is_refused_even_with_the_right_password(client, field_user):
    fail_basic(client, 3)

    response = client.get("/openrosa/formList", **basic())

    assert response.status_code == 403
    assert "enumerator.hty" in message(response)


def test_wrong_digest_responses_lock_the_field_user(client, field_user):
    statuses = [client.get("/openrosa/formList", **digest(client, "wrong-password")).status_code for _ in range(3)]

    assert statuses == [401, 401, 403]
    response = client.get("/openrosa/formList", **digest(client, FIELD_PASSWORD))
    assert response.status_code == 403
    assert "locked" in message(response)


def test_a_locked_field_user_cannot_submit_either(client, site_version, field_user):
    from tests.dtm.builders import collect_xml, site_body
    from tests.dtm.conftest import post_instance

    fail_basic(client, 3)

    response = post_instance(client, collect_xml("site_assessment", site_version.version, site_body()))

    assert response.status_code == 403
    assert not site_version.form.submissions.exists()


def test_the_right_password_starts_the_count_again(client, field_user):
    fail_basic(client, 2)
    assert client.get("/openrosa/formList", **basic()).status_code == 200

    statuses = [response.status_code for response in fail_basic(client, 2)]

    assert statuses == [401, 401]
    field_user.refresh_from_db()
    assert (field_user.failed_logins, field_user.is_locked()) == (2, False)


def test_the_lock_ends_after_the_cool_off(client, field_user):
    fail_basic(client, 3)
    FieldUser.objects.filter(pk=field_user.pk).update(locked_until=timezone.now() - datetime.timedelta(seconds=1))

    response = client.get("/openrosa/formList", **basic())

    assert response.status_code == 200
    field_user.refresh_from_db()
    assert (field_user.failed_logins, field_user.locked_until) == (0, None)


def test_a_wrong_password_after_the_cool_off_counts_from_one(client, field_user):
    fail_basic(client, 3)
    FieldUser.objects.filter(pk=field_user.pk).update(locked_until=timezone.now() - datetime.timedelta(seconds=1))

    assert [response.status_code for response in fail_basic(client, 1)] == [401]
    field_user.refresh_from_db()
    assert (field_user.failed_logins, field_user.locked_until) == (1, None)


def test_failures_and_the_lock_are_audited(client, field_user):
    fail_basic(client, 3)
    client.get("/openrosa/formList", **basic())

    failed = AuditEvent.objects.filter(action="login_failed", actor_username="field:enumerator.hty")
    assert failed.count() == 4
    assert failed.filter(reason="OpenRosa: locked").count() == 1
    lock = AuditEvent.objects.get(action="update", object_type="dtm.fielduser", object_id=str(field_user.pk))
    assert "locked_until" in lock.changes
    assert "3 wrong passwords" in lock.reason


def test_an_unknown_user_name_is_audited_without_a_lock(client, field_user):
    for _ in range(4):
        client.get("/openrosa/formList", **basic(username="nobody.here"))

    assert AuditEvent.objects.filter(action="login_failed", actor_username="field:nobody.here").count() == 4
    assert client.get("/openrosa/formList", **basic()).status_code == 200


def test_the_field_user_page_shows_the_lock_and_an_administrator_unlocks_it(client, hatay, field_user, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    fail_basic(client, 3)
    client.force_login(staff(Role.ADMINISTRATOR, hatay, username="admin.hty"))
    url = reverse("dtm-field-user", args=[field_user.pk])

    page = client.get(url).content.decode()
    assert "cannot sign in from a phone until" in page and "Unlock now" in page

    response = client.post(url, {"action": "unlock"}, follow=True)

    assert "The field user is unlocked" in response.content.decode()
    client.logout()
    assert client.get("/openrosa/formList", **basic()).status_code == 200
    unlocked = AuditEvent.objects.filter(action="update", actor__username="admin.hty", object_id=str(field_user.pk))
    assert unlocked.exists()


def test_a_dtm_officer_sees_the_lock_but_cannot_unlock(client, hatay, dtm_officer, field_user):
    fail_basic(client, 3)
    client.force_login(dtm_officer)
    url = reverse("dtm-field-user", args=[field_user.pk])

    page = client.get(url).content.decode()

    assert "cannot sign in from a phone until" in page and "Unlock now" not in page
    assert client.post(url, {"action": "unlock"}).status_code == 404
    field_user.refresh_from_db()
    assert field_user.is_locked()


def test_an_administrator_of_another_office_cannot_unlock(client, edirne, field_user, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    fail_basic(client, 3)
    client.force_login(staff(Role.ADMINISTRATOR, edirne, username="admin.edr"))

    assert client.post(reverse("dtm-field-user", args=[field_user.pk]), {"action": "unlock"}).status_code == 404


def test_a_checked_basic_password_is_not_hashed_again_on_the_next_request(client, field_user):
    with mock.patch("liman.dtm.services.check_password", wraps=services.check_password) as hashing:
        statuses = [client.get("/openrosa/formList", **basic()).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert hashing.call_count == 1


def test_after_a_new_password_the_old_one_no_longer_signs_in(client, field_user):
    assert client.get("/openrosa/formList", **basic()).status_code == 200

    new_password = services.field_user_set_password(field_user=field_user, by=None)

    assert client.get("/openrosa/formList", **basic()).status_code == 401
    assert client.get("/openrosa/formList", **basic(password=new_password)).status_code == 200


def test_the_command_line_unlocks_a_field_user(client, field_user, capsys):
    from django.core.management import call_command

    fail_basic(client, 3)
    call_command("field-user", "list")
    assert "locked until" in capsys.readouterr().out

    call_command("field-user", "unlock", "enumerator.hty")

    assert client.get("/openrosa/formList", **basic()).status_code == 200
