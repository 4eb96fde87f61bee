"""Staff accounts are edited, deactivated, reactivated and given new passwords on the staff pages, each audited."""

import pytest
from django.test import Client
from django.urls import reverse

from liman.core.choices import Role
from liman.core.models import ApiToken, AuditEvent, User
from liman.core.services import api_token_issue
from tests.factories import grant, staff

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


@pytest.fixture
def admin(istanbul):
    return staff(Role.ADMINISTRATOR, istanbul, username="admin.ist")


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def member(istanbul):
    return staff(Role.VIEWER, istanbul, username="member.ist")


def events(member, action="update"):
    return AuditEvent.objects.filter(action=action, object_type="core.user", object_id=str(member.pk))


def sign_in(username: str, password: str = PASSWORD) -> bool:
    """Sign in through the login page, as a person would; True when it lets them in."""
    response = Client().post(reverse("core:login"), {"username": username, "password": password})
    return response.status_code == 302


def deactivate(client, username, reason="left the mission"):
    return client.post(reverse("core:staff-deactivate", args=[username]), {"reason": reason})


# --- editing --------------------------------------------------------------------------------------------------


def test_an_administrator_edits_name_email_and_language_and_the_change_is_audited(admin_client, admin, member):
    response = admin_client.post(
        reverse("core:staff-edit", args=[member.username]),
        {"first_name": "Ayşe", "last_name": "Yılmaz", "email": "ayse@example.org", "preferred_language": "tr"},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.last_name, member.email, member.preferred_language) == (
        "Ayşe",
        "Yılmaz",
        "ayse@example.org",
        "tr",
    )
    event = events(member).get()
    assert event.actor == admin
    assert event.changes["email"] == ["", "ayse@example.org"] and event.changes["preferred_language"] == ["", "tr"]


def test_an_unknown_language_is_refused(admin_client, member):
    response = admin_client.post(
        reverse("core:staff-edit", args=[member.username]),
        {"first_name": "A", "last_name": "B", "email": "", "preferred_language": "xx"},
    )

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.preferred_language == "" and not events(member).exists()


def test_a_supervisor_cannot_edit_an_account(client, istanbul, member):
    client.force_login(staff(Role.SUPERVISOR, istanbul, username="supervisor.ist"))

    assert client.get(reverse("core:staff-edit", args=[member.username])).status_code == 404
    response = client.post(
        reverse("core:staff-edit", args=[member.username]), {"first_name": "X", "last_name": "Y", "email": ""}
    )

    assert response.status_code == 404
    member.refresh_from_db()
    assert member.first_name == "Test" and not events(member).exists()


def test_an_administrator_of_another_office_gets_404(client, izmir, member):
    client.force_login(staff(Role.ADMINISTRATOR, izmir, username="admin.izm"))

    for name in ("core:staff-detail", "core:staff-edit", "core:staff-password"):
        assert client.get(reverse(name, args=[member.username])).status_code == 404
    assert deactivate(client, member.username).status_code == 404
    member.refresh_from_db()
    assert member.is_active


def test_an_office_administrator_cannot_manage_an_all_offices_account(admin_client, istanbul):
    chief = staff(Role.ADMINISTRATOR, None, username="chief")
    grant(chief, Role.VIEWER, istanbul)  # visible to the Istanbul administrator, but reaches every office

    assert admin_client.get(reverse("core:staff-edit", args=["chief"])).status_code == 404
    assert deactivate(admin_client, "chief").status_code == 404
    chief.refresh_from_db()
    assert chief.is_active


# --- deactivating and reactivating ----------------------------------------------------------------------------


def test_deactivating_is_audited_with_its_reason_and_ends_sessions_and_tokens(admin_client, admin, member):
    member_browser = Client()
    member_browser.force_login(member)
    assert member_browser.get(reverse("core:home")).status_code == 200
    api_token_issue(user=member, by=member)

    response = deactivate(admin_client, member.username, reason="contract ended")

    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.is_active
    assert not ApiToken.objects.filter(user=member).exists()
    event = events(member).filter(changes__has_key="is_active").get()
    assert event.actor == admin and event.reason == "contract ended"
    assert event.changes["sessions_ended"] == [None, "1"] and event.changes["api_tokens_deleted"] == [None, "1"]
    # The browser that was signed in is sent to the sign-in page.
    response = member_browser.get(reverse("core:home"))
    assert response.status_code == 302 and reverse("core:login") in response["Location"]


def test_a_deactivated_user_cannot_sign_in(admin_client, member):
    assert sign_in(member.username)
    deactivate(admin_client, member.username)

    assert not sign_in(member.username)


def test_a_deactivated_users_api_token_answers_401(admin_client, member):
    key = api_token_issue(user=member, by=member)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/offices/").status_code == 200

    deactivate(admin_client, member.username)

    assert api.get("/api/offices/").status_code == 401


def test_an_administrator_cannot_deactivate_themself(admin_client, admin):
    response = deactivate(admin_client, admin.username)

    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.is_active
    assert not events(admin).exists()
    page = admin_client.get(reverse("core:staff-detail", args=[admin.username]))
    assert "cannot deactivate your own account" in page.content.decode()


def test_deactivating_needs_a_reason(admin_client, member):
    deactivate(admin_client, member.username, reason="  ")

    member.refresh_from_db()
    assert member.is_active and not events(member).exists()


def test_a_deactivated_account_is_shown_and_reactivated_with_its_grants_back(admin_client, admin, member):
    deactivate(admin_client, member.username)
    page = admin_client.get(reverse("core:staff-detail", args=[member.username]))
    assert page.status_code == 200 and 'id="account-inactive"' in page.content.decode()

    response = admin_client.post(reverse("core:staff-reactivate", args=[member.username]), {"reason": "rehired"})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_active and member.roles == {Role.VIEWER}
    assert events(member).filter(reason="rehired", changes__is_active=["False", "True"]).exists()
    assert sign_in(member.username)


def test_deactivating_answers_405_to_a_get(admin_client, member):
    assert admin_client.get(reverse("core:staff-deactivate", args=[member.username])).status_code == 405
    member.refresh_from_db()
    assert member.is_active


# --- passwords ------------------------------------------------------------------------------------------------


def test_a_generated_password_is_shown_once_and_works(admin_client, admin, member):
    response = admin_client.post(reverse("core:staff-password", args=[member.username]), {"generate": "1"})

    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = response.context["new_password"]
    assert password and password in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(password) and not member.check_password(PASSWORD)
    event = events(member).get()
    assert event.actor == admin and password not in str(event.changes) and password not in event.reason
    # Shown once: opening the page again does not show it.
    assert password not in admin_client.get(reverse("core:staff-password", args=[member.username])).content.decode()


def test_a_typed_password_goes_through_the_password_validators(admin_client, member):
    url = reverse("core:staff-password", args=[member.username])

    weak = admin_client.post(url, {"password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 200 and weak.context["form"].errors
    member.refresh_from_db()
    assert member.check_password(PASSWORD) and not events(member).exists()

    strong = admin_client.post(url, {"password1": "quiet-harbour-lantern-7", "password2": "quiet-harbour-lantern-7"})
    assert strong.status_code == 302
    member.refresh_from_db()
    assert member.check_password("quiet-harbour-lantern-7")
    assert events(member).get().changes["password"][1] == "set"


def test_a_new_password_ends_the_members_open_sessions(admin_client, member):
    member_browser = Client()
    member_browser.force_login(member)

    admin_client.post(reverse("core:staff-password", args=[member.username]), {"generate": "1"})

    assert member_browser.get(reverse("core:home")).status_code == 302


def test_only_an_administrator_of_every_office_of_the_member_sets_their_password(admin_client, member, izmir):
    grant(member, Role.VIEWER, izmir)  # the Istanbul administrator does not manage Izmir
    url = reverse("core:staff-password", args=[member.username])

    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, {"generate": "1"}).status_code == 404
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
    # Editing and deactivating need only one of the member's offices.
    assert admin_client.get(reverse("core:staff-edit", args=[member.username])).status_code == 200


def test_an_all_offices_administrator_manages_any_account(client, member):
    client.force_login(staff(Role.ADMINISTRATOR, None, username="chief"))

    response = deactivate(client, member.username)

    assert response.status_code == 302
    assert not User.objects.get(pk=member.pk).is_active


def test_the_account_pages_open_for_an_administrator(admin_client, member):
    detail = admin_client.get(reverse("core:staff-detail", args=[member.username])).content.decode()
    assert reverse("core:staff-edit", args=[member.username]) in detail
    assert reverse("core:staff-deactivate", args=[member.username]) in detail
    assert admin_client.get(reverse("core:staff-edit", args=[member.username])).status_code == 200
    assert admin_client.get(reverse("core:staff-password", args=[member.username])).status_code == 200
