"""The home page says what to do next (issue 20, item 4): per role, counts in the user's scope, each linking to the
list it counts, filtered; the figure tiles link to their lists too."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from liman.cases import services as cases
from liman.cases.models import Case
from liman.core.choices import Role
from liman.core.models import ImportBatch, User
from liman.core.selectors import HOME_FIGURES, figure_url, home_figures, home_next, register_home_figure
from tests.factories import _cases_world, _dedup_world, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_second_factor(settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []


def next_steps(client) -> dict[str, dict]:
    return {item["key"]: item for item in client.get(reverse("core:home")).context["next"]}


def test_a_caseworkers_next_steps_count_in_scope_and_link_to_the_filtered_lists(client, istanbul, izmir):
    _cases_world(istanbul, "Home")
    _cases_world(izmir, "Away")
    caseworker = User.objects.get(username="home-caseworker")
    protection = Case.objects.get(office=istanbul, type="protection")
    cases.follow_up_schedule(
        case=protection,
        due_on=timezone.localdate() - datetime.timedelta(days=2),
        purpose="Home visit overdue",
        assigned_to=caseworker,
        by=None,
    )
    client.force_login(caseworker)
    steps = next_steps(client)
    # The protection case assigned to them and its follow-up due two days ago; Izmir's world counts for nobody here.
    assert steps["cases_waiting"]["value"] == 1
    assert steps["cases_waiting"]["url"] == reverse("cases:case-list") + "?owner=me&open=1"
    assert steps["overdue_follow_ups"]["value"] == 1
    assert steps["overdue_follow_ups"]["url"] == reverse("cases:follow-up-list") + "?overdue=1"
    # The internal referral to Istanbul's AVRR programme waits for an answer.
    assert steps["referrals_to_answer"]["value"] == 1
    assert steps["referrals_to_answer"]["url"] == reverse("cases:referral-list") + "?status=pending"
    assert steps["imports_waiting"]["value"] == 0
    assert "pairs_to_review" not in steps and "submissions_failed" not in steps
    # Each link opens the list it counts, with what was counted on it.
    listed = client.get(steps["overdue_follow_ups"]["url"]).content.decode()
    assert "Home visit overdue" in listed
    assert "Home" in client.get(steps["cases_waiting"]["url"]).content.decode()
    html = client.get(reverse("core:home")).content.decode()
    assert "What to do next" in html
    assert f'href="{reverse("cases:follow-up-list")}?overdue=1"' in html


def test_a_supervisor_is_told_of_the_duplicate_pairs_to_review(client, istanbul, izmir, no_second_factor):
    _dedup_world(istanbul, "Home")
    _dedup_world(izmir, "Away")
    client.force_login(staff(Role.SUPERVISOR, istanbul))
    step = next_steps(client)["pairs_to_review"]
    assert step["value"] >= 1 and step["url"] == reverse("dedup:dedup-queue") + "?status=open"
    queue = client.get(step["url"]).context
    assert queue["open_total"] == step["value"]


def test_a_viewer_has_nothing_waiting_and_no_next_steps_section(client, istanbul):
    client.force_login(staff(Role.VIEWER, istanbul))
    response = client.get(reverse("core:home"))
    assert response.context["next"] == []
    assert "What to do next" not in response.content.decode()


def test_the_figure_tiles_link_to_their_lists(client, istanbul, no_second_factor):
    client.force_login(staff(Role.ADMINISTRATOR, istanbul))
    html = client.get(reverse("core:home")).content.decode()
    assert f'<a class="figure" href="{reverse("core:office-list")}" data-figure="offices">' in html
    assert f'href="{reverse("core:staff-list")}" data-figure="staff"' in html
    assert f'href="{reverse("core:audit-list")}?action=login_failed" data-figure="failed_logins_week"' in html


def test_a_registered_figure_with_a_url_and_to_do_goes_under_what_to_do_next(istanbul):
    user = staff(Role.CASEWORKER, istanbul)
    before = list(HOME_FIGURES)
    try:
        register_home_figure("test_waiting", "Things waiting", lambda u: 3, url="cases:case-list?state=new", to_do=True)
        register_home_figure("test_hidden", "Not mine", lambda u: None, url="cases:case-list", to_do=True)
        assert {"key": "test_waiting", "label": "Things waiting", "value": 3, "url": "/cases/?state=new"} in home_next(
            user
        )
        assert all(item["key"] != "test_hidden" for item in home_next(user))
        assert all(figure["key"] != "test_waiting" for figure in home_figures(user))
    finally:
        HOME_FIGURES[:] = before
    assert figure_url("") == "" and figure_url("registry:person-search") == reverse("registry:person-search")


def test_my_imports_waiting_to_be_committed_are_counted_and_listed(client, istanbul):
    caseworker = staff(Role.CASEWORKER, istanbul)
    other = staff(Role.CASEWORKER, istanbul, username="other.ist")
    for state, by in (
        (ImportBatch.State.VALID, caseworker),
        (ImportBatch.State.INVALID, caseworker),
        (ImportBatch.State.COMMITTED, caseworker),
        (ImportBatch.State.VALID, other),
    ):
        ImportBatch.objects.create(office=istanbul, kind="people", file_name=f"{state}-{by.username}.csv", state=state,
                                   created_by=by)  # fmt: skip
    client.force_login(caseworker)
    step = next_steps(client)["imports_waiting"]
    assert step["value"] == 2 and step["url"] == reverse("core:import-list") + "?waiting=1"
    listed = client.get(step["url"]).content.decode()
    assert "valid-caseworker.ist.csv" in listed and "invalid-caseworker.ist.csv" in listed
    assert "committed-caseworker.ist.csv" not in listed and "other.ist.csv" not in listed
    assert "committed-caseworker.ist.csv" in client.get(reverse("core:import-list")).content.decode()


def test_a_dtm_officer_is_told_of_the_submissions_that_failed(client, istanbul):
    client.force_login(staff(Role.DTM_OFFICER, istanbul))
    step = next_steps(client)["submissions_failed"]
    assert step["value"] == 0 and step["url"] == reverse("dtm:dtm-submissions") + "?state=review"
    assert client.get(step["url"]).status_code == 200


def test_the_home_page_costs_a_bounded_number_of_queries(client, istanbul, django_assert_max_num_queries):
    _cases_world(istanbul, "Home")
    client.force_login(User.objects.get(username="home-caseworker"))
    client.get(reverse("core:home"))
    with django_assert_max_num_queries(40):
        assert client.get(reverse("core:home")).status_code == 200
