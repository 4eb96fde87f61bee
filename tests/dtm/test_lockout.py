"""Wrong passwords on the OpenRosa server hold back one (field user name, address) pair with growing delays,
over Basic and Digest alike; the enumerator's own phone, at another address, goes on signing in."""

import datetime
import re
from unittest import mock

import pytest
from defusedxml import ElementTree
from django.contrib.auth.hashers import check_password
from django.urls import reverse
from django.utils import timezone

from liman.core.choices import Role
from liman.core.models import AuditEvent
from liman.dtm import services
from liman.dtm.models import FieldLoginThrottle
from liman.dtm.openrosa import digest_authorization
from tests.dtm.conftest import FIELD_PASSWORD, basic
from tests.factories import staff

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.9"
PHONE = "198.51.100.20"


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


def get(client, address: str = ATTACKER, **auth):
    return client.get("/openrosa/formList", REMOTE_ADDR=address, **(auth or basic()))


def fail_basic(client, times: int, address: str = ATTACKER) -> list:
    return [get(client, address, **basic(password="wrong-password")) for _ in range(times)]


def release(address: str = ATTACKER) -> None:
    """The current delay has run out (as if the attacker waited)."""
    FieldLoginThrottle.objects.filter(ip_address=address).update(
        held_until=timezone.now() - datetime.timedelta(seconds=1)
    )


def test_the_default_is_ten_attempts_and_a_thirty_minute_cap():
    from django.conf import settings as project_settings

    from liman import settings as liman_settings

    assert (liman_settings.LIMAN_FIELD_LOCKOUT_ATTEMPTS, liman_settings.LIMAN_FIELD_LOCKOUT_MINUTES) == (10, 30)
    assert project_settings.LIMAN_FIELD_LOCKOUT_ATTEMPTS == 3  # this module's fixture


def test_wrong_passwords_from_one_address_hold_it_back_with_a_clear_message(client, field_user):
    responses = fail_basic(client, 4)

    assert [response.status_code for response in responses] == [401, 401, 429, 429]
    assert "Too many wrong passwords" in message(responses[-1])
    assert int(responses[-1]["Retry-After"]) == 2


def test_while_held_back_even_the_right_password_is_refused_from_that_address(client, field_user):
    fail_basic(client, 3)

    response = get(client)

    assert response.status_code == 429


def test_the_enumerators_phone_at_another_address_still_signs_in(client, site_version, field_user):
    from tests.dtm.builders import collect_xml, site_body
    from tests.dtm.conftest import post_instance

    for _ in range(20):
        fail_basic(client, 1)
        release()

    assert get(client, PHONE).status_code == 200
    response = post_instance(
        client,
        collect_xml("site_assessment", site_version.version, site_body()),
        auth={**basic(), "REMOTE_ADDR": PHONE},
    )
    assert response.status_code == 201


def test_the_delay_doubles_with_each_further_wrong_password_up_to_the_cap(client, field_user):
    delays = []
    for _ in range(16):
        response = fail_basic(client, 1)[0]
        if response.status_code == 429:
            delays.append(int(response["Retry-After"]))
        release()

    assert delays[:5] == [2, 4, 8, 16, 32]
    assert max(delays) == delays[-1] == 30 * 60


def test_wrong_digest_responses_hold_the_address_back(client, field_user):
    statuses = [get(client, **digest(client, "wrong-password")).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    assert get(client, **digest(client, FIELD_PASSWORD)).status_code == 429
    assert get(client, PHONE, **digest(client, FIELD_PASSWORD)).status_code == 200


def test_an_unknown_user_name_is_held_back_the_same_way(client, field_user):
    statuses = [get(client, **basic(username="nobody.here")).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    assert AuditEvent.objects.filter(action="login_failed", actor_username="field:nobody.here").count() == 3
    assert get(client).status_code == 200


def test_the_right_password_starts_the_count_again(client, field_user):
    fail_basic(client, 2)
    assert get(client).status_code == 200

    statuses = [response.status_code for response in fail_basic(client, 2)]

    assert statuses == [401, 401]
    assert FieldLoginThrottle.objects.get(ip_address=ATTACKER).failures == 2


def test_failures_and_the_start_of_the_delay_are_audited(client, field_user):
    fail_basic(client, 3)
    get(client)

    failed = AuditEvent.objects.filter(action="login_failed", actor_username="field:enumerator.hty")
    assert failed.count() == 4
    assert failed.filter(reason="OpenRosa: held back", ip_address=ATTACKER).count() == 1
    hold = AuditEvent.objects.get(action="update", object_type="dtm.fielduser", object_id=str(field_user.pk))
    assert hold.changes["held_back"] == [None, ATTACKER]
    assert "3 wrong passwords" in hold.reason


def test_the_field_user_page_shows_the_held_address_and_an_administrator_clears_it(client, hatay, field_user, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    fail_basic(client, 3)
    client.force_login(staff(Role.ADMINISTRATOR, hatay, username="admin.hty"))
    url = reverse("dtm:dtm-field-user", args=[field_user.pk])

    page = client.get(url).content.decode()
    assert ATTACKER in page and "Clear the counts now" in page

    response = client.post(url, {"action": "unlock"}, follow=True)

    assert "The wrong-password counts are cleared" in response.content.decode()
    client.logout()
    assert get(client).status_code == 200
    cleared = AuditEvent.objects.get(action="update", actor__username="admin.hty", object_id=str(field_user.pk))
    assert cleared.changes["held_back"] == [[ATTACKER], []]


def test_a_dtm_officer_sees_the_held_address_but_cannot_clear_it(client, hatay, dtm_officer, field_user):
    fail_basic(client, 3)
    client.force_login(dtm_officer)
    url = reverse("dtm:dtm-field-user", args=[field_user.pk])

    page = client.get(url).content.decode()

    assert ATTACKER in page and "Clear the counts now" not in page
    assert client.post(url, {"action": "unlock"}).status_code == 404
    assert FieldLoginThrottle.objects.get(ip_address=ATTACKER).is_held()


def test_an_administrator_of_another_office_cannot_clear_it(client, edirne, field_user, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    fail_basic(client, 3)
    client.force_login(staff(Role.ADMINISTRATOR, edirne, username="admin.edr"))

    assert client.post(reverse("dtm:dtm-field-user", args=[field_user.pk]), {"action": "unlock"}).status_code == 404


def test_a_checked_basic_password_is_not_hashed_again_on_the_next_request(client, field_user):
    with mock.patch("liman.dtm.services.field_users.check_password", wraps=check_password) as hashing:
        statuses = [get(client).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert hashing.call_count == 1


def test_after_a_new_password_the_old_one_no_longer_signs_in(client, field_user):
    assert get(client).status_code == 200

    new_password = services.field_user_set_password(field_user=field_user, by=None)

    assert get(client).status_code == 401
    assert get(client, **basic(password=new_password)).status_code == 200


def test_the_command_line_clears_the_counts(client, field_user, capsys):
    from django.core.management import call_command

    fail_basic(client, 3)
    call_command("field-user", "list")
    assert f"held back from {ATTACKER}" in capsys.readouterr().out

    call_command("field-user", "unlock", "enumerator.hty")

    assert get(client).status_code == 200
