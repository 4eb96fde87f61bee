"""The duplicate pages as a reviewer, a caseworker and a user of another office see them."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from liman.core.choices import AuditAction, Role, TaskState
from liman.core.models import AuditEvent
from liman.dedup import selectors, services
from liman.dedup.choices import MatchStatus
from liman.dedup.models import DedupRun, MatchPair, OfficeThresholds
from liman.dedup.tasks import dedup_run_task
from liman.registry.models import Person
from tests.factories import grant, staff

from .conftest import bystanders, pair_of, register, twice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_second_factor")]


def found_pair(office, other_office=None, **extra) -> MatchPair:
    first, second = twice(office, other_office, **extra)
    services.dedup_run_execute(run=DedupRun.objects.create(office=None if other_office else office))
    return pair_of(first, second)


def page(client, user, url, **kwargs):
    client.force_login(user)
    return client.get(url, **kwargs)


# --- the queue -------------------------------------------------------------------------------------------------


def test_the_queue_lists_the_open_pairs_with_their_counts(client, istanbul, supervisor):
    pair = found_pair(istanbul)
    response = page(client, supervisor, reverse("dedup:dedup-queue"))
    body = response.content.decode()
    assert response.status_code == 200
    assert pair.person_l.reference in body and pair.person_r.reference in body
    assert reverse("dedup:dedup-pair", args=[pair.pk]) in body
    assert "Waiting for a decision" in body


def test_the_queue_filters_by_status(client, istanbul, supervisor):
    pair = found_pair(istanbul)
    services.match_pair_decide(pair=pair, decision=MatchStatus.DIFFERENT_PEOPLE, by=supervisor)
    client.force_login(supervisor)
    assert pair.person_l.reference not in client.get(reverse("dedup:dedup-queue")).content.decode()
    decided = client.get(reverse("dedup:dedup-queue"), {"status": "different_people"}).content.decode()
    assert pair.person_l.reference in decided and supervisor.display_name in decided


def test_the_queue_is_for_reviewers_only(client, istanbul):
    found_pair(istanbul)
    caseworker = staff(Role.CASEWORKER, istanbul)
    assert page(client, caseworker, reverse("dedup:dedup-queue")).status_code == 404
    assert page(client, caseworker, reverse("dedup:dedup-runs")).status_code == 404


def test_the_queue_costs_the_same_queries_for_many_pairs(client, istanbul, supervisor, django_assert_max_num_queries):
    def make_pairs(count):
        for n in range(count):
            a = register(istanbul, f"Name{n}", f"Family{n}", birth_date=datetime.date(1980, 1, 2))
            b = register(istanbul, f"Name{n}", f"Family{n}", birth_date=datetime.date(1980, 1, 2))
            MatchPair.objects.create(person_l=a, person_r=b, match_probability=0.9, band="review", model_version="t")

    client.force_login(supervisor)
    make_pairs(2)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("dedup:dedup-queue"))
    make_pairs(20)
    with django_assert_max_num_queries(len(few)):
        body = client.get(reverse("dedup:dedup-queue")).content.decode()
    assert body.count('class="probability"') == 22


def test_the_navigation_shows_duplicates_to_reviewers_only(client, istanbul, supervisor):
    assert 'data-nav="duplicates"' in page(client, supervisor, reverse("core:home")).content.decode()
    caseworker = staff(Role.CASEWORKER, istanbul)
    assert 'data-nav="duplicates"' not in page(client, caseworker, reverse("core:home")).content.decode()


# --- one pair --------------------------------------------------------------------------------------------------


def test_the_pair_page_shows_both_records_side_by_side_with_agreement_in_words(client, istanbul, supervisor):
    pair = found_pair(istanbul)
    body = page(client, supervisor, reverse("dedup:dedup-pair", args=[pair.pk])).content.decode()
    assert "Mohammed" in body and "Muhammad" in body
    assert "agreement-agree" in body and "Agrees" in body, "each line says how it agrees, not by colour alone"
    assert "agreement-disagree" in body and "Differs" in body, "the new phone differs"
    assert "1985 (year only)" in body
    assert "+905321112233" not in body and "···233" in body, "phones are masked"
    assert "registered first" in body and 'name="decision"' in body


def test_the_pair_page_counts_the_cases_of_each_person_the_reviewer_may_see(client, istanbul, supervisor):
    from liman.cases import services as cases

    pair = found_pair(istanbul)
    cases.case_open(person=pair.person_l, type="protection", by=None)
    administrator = staff(Role.ADMINISTRATOR, istanbul)  # reads the normal tier only: not a protection case

    def cases_row(user):
        rows, _left, _right = selectors.pair_comparison(user, pair)
        return next((row.label, row.left, row.right) for row in rows if row.key == "cases")

    assert cases_row(supervisor) == ("Cases", "1", "0")
    assert cases_row(administrator) == ("Cases", "0", "0")


def test_a_pair_likely_the_same_says_it_is_not_merged_without_a_reviewer(client, istanbul, supervisor):
    pair = found_pair(istanbul, foreigner_id="99123456780")
    body = page(client, supervisor, reverse("dedup:dedup-pair", args=[pair.pk])).content.decode()
    assert "Nothing is merged until a reviewer decides" in body
    assert "99123456780" not in body


def test_a_pair_whose_second_person_is_in_another_office_answers_404(client, istanbul, izmir, supervisor):
    pair = found_pair(istanbul, izmir)
    assert page(client, supervisor, reverse("dedup:dedup-pair", args=[pair.pk])).status_code == 404
    assert pair.person_r.reference not in client.get(reverse("dedup:dedup-queue")).content.decode()
    grant(supervisor, Role.SUPERVISOR, izmir)
    assert client.get(reverse("dedup:dedup-pair", args=[pair.pk])).status_code == 200


def test_a_pair_with_a_protection_sensitive_person_is_hidden_from_who_cannot_see_them(client, istanbul):
    pair = found_pair(istanbul)
    Person.objects.filter(pk=pair.person_r_id).update(sensitivity="protection")
    viewer_admin = staff(Role.ADMINISTRATOR, istanbul)  # administrators read the normal tier only
    assert page(client, viewer_admin, reverse("dedup:dedup-pair", args=[pair.pk])).status_code == 404


def test_viewing_a_sensitive_pair_is_audited(client, istanbul, supervisor):
    pair = found_pair(istanbul)
    Person.objects.filter(pk=pair.person_r_id).update(sensitivity="protection")
    assert page(client, supervisor, reverse("dedup:dedup-pair", args=[pair.pk])).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=supervisor, object_id=str(pair.person_r_id)
    ).exists()


def test_deciding_on_the_page_records_the_decision_and_goes_to_the_next_pair(client, istanbul, supervisor):
    pair = found_pair(istanbul)
    client.force_login(supervisor)
    response = client.post(
        reverse("dedup:dedup-pair-decide", args=[pair.pk]),
        {"decision": "different_people", "reason": "checked the IDs"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("dedup:dedup-queue")
    body = client.get(reverse("dedup:dedup-pair", args=[pair.pk])).content.decode()
    assert "Different people" in body and "checked the IDs" in body and 'name="decision"' not in body


def test_deciding_same_person_merges_into_the_record_chosen(client, istanbul, supervisor):
    pair = found_pair(istanbul)
    client.force_login(supervisor)
    client.post(
        reverse("dedup:dedup-pair-decide", args=[pair.pk]),
        {"decision": "same_person", "survivor": pair.person_r.reference},
    )
    assert Person.objects.get(pk=pair.person_l_id).merged_into_id == pair.person_r_id


def test_a_caseworker_sees_the_pair_but_cannot_decide(client, istanbul):
    pair = found_pair(istanbul)
    caseworker = staff(Role.CASEWORKER, istanbul)
    body = page(client, caseworker, reverse("dedup:dedup-pair", args=[pair.pk])).content.decode()
    assert 'name="decision"' not in body
    response = client.post(reverse("dedup:dedup-pair-decide", args=[pair.pk]), {"decision": "same_person"})
    assert response.status_code == 404
    assert MatchPair.objects.get(pk=pair.pk).status == MatchStatus.OPEN


def test_the_person_page_lists_the_possible_duplicates(client, istanbul):
    pair = found_pair(istanbul)
    caseworker = staff(Role.CASEWORKER, istanbul)
    body = page(client, caseworker, reverse("registry:person-detail", args=[pair.person_l.reference])).content.decode()
    assert "Possible duplicates" in body and pair.person_r.reference in body
    assert "A supervisor reviews possible duplicates." in body


# --- runs and thresholds ---------------------------------------------------------------------------------------


def test_run_now_starts_a_run_and_its_page_shows_the_progress(
    client, istanbul, supervisor, django_capture_on_commit_callbacks
):
    twice(istanbul)
    bystanders(istanbul, 2)
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("dedup:dedup-run-start"), {"office": "IST"})
    run = DedupRun.objects.get()
    assert response["Location"] == reverse("dedup:dedup-run", args=[run.pk])
    fragment = client.get(reverse("dedup:dedup-run", args=[run.pk]), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "<progress" in fragment
    dedup_run_task.call(run.pk)
    run.refresh_from_db()
    assert run.status == TaskState.SUCCEEDED
    done = client.get(reverse("dedup:dedup-run", args=[run.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and 'value="100"' in done and "People compared" in done


def test_the_run_page_offers_every_office_only_to_a_reviewer_of_every_office(
    client, istanbul, supervisor, country_admin
):
    body = page(client, supervisor, reverse("dedup:dedup-runs")).content.decode()
    assert "Every office" not in body and 'value="IST"' in body
    assert "Every office" in page(client, country_admin, reverse("dedup:dedup-runs")).content.decode()


def test_an_administrator_sets_the_office_thresholds(client, istanbul):
    admin = staff(Role.ADMINISTRATOR, istanbul)
    client.force_login(admin)
    response = client.post(reverse("dedup:dedup-thresholds"), {"office": "IST", "review": "0.6", "auto_link": "0.9"})
    assert response.status_code == 302
    thresholds = OfficeThresholds.objects.get(office=istanbul)
    assert (thresholds.review, thresholds.auto_link) == (0.6, 0.9)


def test_thresholds_the_wrong_way_round_are_refused_with_a_message(client, istanbul):
    admin = staff(Role.ADMINISTRATOR, istanbul)
    client.force_login(admin)
    response = client.post(reverse("dedup:dedup-thresholds"), {"office": "IST", "review": "0.9", "auto_link": "0.6"})
    assert response.status_code == 200
    assert "cannot be above the auto-link threshold" in response.content.decode()
    assert not OfficeThresholds.objects.exists()


def test_a_supervisor_reads_the_thresholds_but_does_not_change_them(client, istanbul, supervisor, settings):
    body = page(client, supervisor, reverse("dedup:dedup-thresholds")).content.decode()
    assert f"<dd>{settings.LIMAN_DEDUP_REVIEW:.2f}</dd>" in body and 'name="review"' not in body
    response = client.post(reverse("dedup:dedup-thresholds"), {"office": "IST", "review": "0.6", "auto_link": "0.9"})
    assert response.status_code == 404
