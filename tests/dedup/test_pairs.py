"""Runs, decisions and re-checks: what becomes of a pair of records that may be one person."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from liman.core.choices import Role, TaskState
from liman.core.models import AuditEvent, TaskProgress
from liman.dedup import services
from liman.dedup.choices import FoundBy, MatchBand, MatchStatus
from liman.dedup.models import DedupRun, MatchPair
from liman.dedup.tasks import dedup_run_task
from liman.registry import services as registry
from tests.factories import staff

from .conftest import bystanders, pair_of, twice

pytestmark = pytest.mark.django_db


def run_over(office, by=None) -> DedupRun:
    run = DedupRun.objects.create(office=office, started_by=by)
    return services.dedup_run_execute(run=run)


def test_a_run_finds_a_re_registration_and_queues_it_for_review(istanbul):
    first, second = twice(istanbul)
    bystanders(istanbul)
    run = run_over(istanbul)
    pair = pair_of(first, second)
    assert pair.status == MatchStatus.OPEN and pair.found_by == FoundBy.RUN and pair.run == run
    assert pair.match_probability >= 0.5 and pair.model_version
    assert MatchPair.objects.count() == 1, "bystanders are nobody's duplicate"
    run.refresh_from_db()
    assert run.status == TaskState.SUCCEEDED and run.people == 6 and run.pairs_new == 1


def test_a_run_started_from_the_page_works_in_the_background_with_a_progress_bar(
    istanbul, supervisor, django_capture_on_commit_callbacks
):
    twice(istanbul)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = services.dedup_run_start(by=supervisor, office=istanbul)
    assert len(queued) == 1 and run.status == TaskState.QUEUED
    dedup_run_task.call(run.pk)
    progress = TaskProgress.objects.get(pk=run.progress_id)
    assert progress.state == TaskState.SUCCEEDED and progress.percent == 100
    assert progress.result["pairs_found"] == 1


def test_a_second_run_while_one_is_under_way_is_refused(istanbul, supervisor):
    services.dedup_run_start(by=supervisor, office=istanbul)
    with pytest.raises(ValidationError, match="already under way"):
        services.dedup_run_start(by=supervisor, office=istanbul)


def test_decisions_are_audited_and_never_asked_again_on_a_second_run(istanbul, supervisor):
    first, second = twice(istanbul)
    run_over(istanbul)
    pair = services.match_pair_decide(
        pair=pair_of(first, second), decision=MatchStatus.DIFFERENT_PEOPLE, by=supervisor, reason="twins, ID seen"
    )
    assert pair.status == MatchStatus.DIFFERENT_PEOPLE and pair.decided_by == supervisor and pair.decided_at
    event = AuditEvent.objects.filter(object_type="dedup.matchpair", object_id=str(pair.pk)).latest("seq")
    assert event.actor == supervisor and event.changes["status"] == ["open", "different_people"]
    assert event.reason == "twins, ID seen"

    second_run = run_over(istanbul)
    pair.refresh_from_db()
    assert pair.status == MatchStatus.DIFFERENT_PEOPLE, "the decision stands"
    second_run.refresh_from_db()
    assert second_run.pairs_already_decided == 1 and second_run.pairs_new == 0
    assert not MatchPair.objects.filter(status=MatchStatus.OPEN).exists()


def test_a_decided_pair_cannot_be_decided_again(istanbul, supervisor):
    first, second = twice(istanbul)
    run_over(istanbul)
    pair = pair_of(first, second)
    services.match_pair_decide(pair=pair, decision=MatchStatus.DIFFERENT_PEOPLE, by=supervisor)
    with pytest.raises(ValidationError, match="already decided"):
        services.match_pair_decide(pair=pair, decision=MatchStatus.SAME_PERSON, by=supervisor)


def test_same_person_merges_the_newer_record_into_the_older_by_default(istanbul, supervisor):
    first, second = twice(istanbul)
    run_over(istanbul)
    pair = services.match_pair_decide(pair=pair_of(first, second), decision=MatchStatus.SAME_PERSON, by=supervisor)
    second.refresh_from_db()
    assert pair.survivor == first and second.merged_into == first
    assert pair.person_l == first and pair.person_r == second, "the pair still names the two records"


def test_the_reviewer_may_keep_the_newer_record(istanbul, supervisor):
    first, second = twice(istanbul)
    run_over(istanbul)
    services.match_pair_decide(
        pair=pair_of(first, second), decision=MatchStatus.SAME_PERSON, survivor=second, by=supervisor
    )
    first.refresh_from_db()
    assert first.merged_into == second


def test_pairs_likely_the_same_are_marked_but_not_merged_without_a_reviewer(istanbul):
    first, second = twice(istanbul, foreigner_id="99123456780")
    run_over(istanbul)
    pair = pair_of(first, second)
    assert pair.band == MatchBand.AUTO_LINK and pair.status == MatchStatus.OPEN
    second.refresh_from_db()
    assert second.merged_into is None


def test_an_edit_that_breaks_the_match_closes_the_open_pair(istanbul, supervisor):
    first, second = twice(istanbul)
    run_over(istanbul)
    registry.person_update(
        person=second,
        changes={"first_name": "Zeynep", "family_name": "Kaya", "sex": "F", "birth_date": datetime.date(2001, 9, 9)},
        by=supervisor,
    )
    pair = pair_of(first, second)
    assert pair.status == MatchStatus.CLOSED and pair.reason == "No longer match after an edit."
    assert AuditEvent.objects.filter(object_type="dedup.matchpair", object_id=str(pair.pk), actor=supervisor).exists()


def test_an_edit_that_keeps_the_match_leaves_the_pair_open(istanbul, supervisor):
    first, second = twice(istanbul)
    run_over(istanbul)
    registry.person_update(person=second, changes={"languages": ["ar", "tr"]}, by=supervisor)
    assert pair_of(first, second).status == MatchStatus.OPEN


def test_a_decided_pair_stays_decided_after_an_edit(istanbul, supervisor):
    first, second = twice(istanbul)
    run_over(istanbul)
    services.match_pair_decide(pair=pair_of(first, second), decision=MatchStatus.DIFFERENT_PEOPLE, by=supervisor)
    registry.person_update(person=second, changes={"first_name": "Zeynep", "sex": "F"}, by=supervisor)
    assert pair_of(first, second).status == MatchStatus.DIFFERENT_PEOPLE


def test_office_thresholds_change_the_bands(istanbul):
    first, second = twice(istanbul, foreigner_id="99123456780")
    run_over(istanbul)
    assert pair_of(first, second).band == MatchBand.AUTO_LINK
    admin = staff(Role.ADMINISTRATOR, istanbul)
    services.office_thresholds_set(office=istanbul, auto_link=1.0, review=0.5, by=admin)
    run_over(istanbul)
    assert pair_of(first, second).band == MatchBand.REVIEW


def test_raising_the_review_threshold_above_a_pair_closes_it_at_the_next_run(istanbul):
    first, second = twice(istanbul)
    run_over(istanbul)
    probability = pair_of(first, second).match_probability
    admin = staff(Role.ADMINISTRATOR, istanbul)
    services.office_thresholds_set(office=istanbul, auto_link=1.0, review=min(1.0, probability + 1e-6), by=admin)
    run = run_over(istanbul)
    pair = pair_of(first, second)
    assert pair.status == MatchStatus.CLOSED and str(run.pk) in pair.reason


def test_a_pair_across_two_offices_meets_the_stricter_thresholds(istanbul, izmir, country_admin):
    first, second = twice(istanbul, izmir, foreigner_id="99123456780")
    run_over(None)
    assert pair_of(first, second).band == MatchBand.AUTO_LINK
    services.office_thresholds_set(office=izmir, auto_link=1.0, review=0.5, by=country_admin)
    run_over(None)
    assert pair_of(first, second).band == MatchBand.REVIEW, "Izmir's stricter auto-link bar applies"


def test_thresholds_must_keep_review_below_auto_link(istanbul):
    admin = staff(Role.ADMINISTRATOR, istanbul)
    with pytest.raises(ValidationError, match="cannot be above"):
        services.office_thresholds_set(office=istanbul, auto_link=0.6, review=0.8, by=admin)


def test_a_single_office_run_needs_a_reviewer_of_that_office(istanbul, izmir):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.dedup_run_start(by=staff(Role.SUPERVISOR, izmir), office=istanbul)
    with pytest.raises(PermissionDenied):
        services.dedup_run_start(by=staff(Role.CASEWORKER, istanbul), office=istanbul)


def test_merging_through_a_pair_closes_the_merged_records_other_pairs(istanbul, supervisor):
    first, second = twice(istanbul)
    third = registry.person_register(
        office=istanbul,
        data=registry.PersonInput(
            first_name="Mohamad",
            family_name="Alhassan",
            sex="M",
            nationality="SYR",
            birth_date=datetime.date(1985, 3, 12),
        ),
        by=None,
    )
    run_over(istanbul)
    assert MatchPair.objects.involving(second.pk).count() == 2
    services.match_pair_decide(pair=pair_of(first, second), decision=MatchStatus.SAME_PERSON, by=supervisor)
    other = pair_of(second, third)
    assert other.status == MatchStatus.CLOSED and second.reference in other.reason


def test_a_run_closes_the_open_pairs_of_a_record_merged_elsewhere(istanbul, supervisor):
    from liman.registry.merge import person_merge

    first, second = twice(istanbul)
    run_over(istanbul)
    third = registry.person_register(
        office=istanbul,
        data=registry.PersonInput(first_name="Zeynep", family_name="Kaya", sex="F", nationality="TUR"),
        by=None,
    )
    person_merge(survivor=third, merged=second, by=supervisor, reason="merged on the person page")
    run_over(istanbul)
    pair = pair_of(first, second)
    assert pair.status == MatchStatus.CLOSED and "merged" in pair.reason


def test_undoing_a_merge_sends_the_pair_back_to_review_with_its_history(istanbul, supervisor):
    from liman.core.workflows import history
    from liman.dedup.selectors import queue_counts
    from liman.registry.merge import person_unmerge
    from liman.registry.models import PersonMerge

    first, second = twice(istanbul)
    run_over(istanbul)
    services.match_pair_decide(
        pair=pair_of(first, second), decision=MatchStatus.SAME_PERSON, by=supervisor, reason="same passport"
    )
    assert sum(queue_counts(supervisor).get(MatchStatus.OPEN, {}).values()) == 0
    person_unmerge(merge=PersonMerge.objects.get(survivor=first, merged=second), by=supervisor)
    pair = pair_of(first, second)
    assert (pair.status, pair.decided_by, pair.decided_at, pair.survivor) == (MatchStatus.OPEN, None, None, None)
    assert sum(queue_counts(supervisor).get(MatchStatus.OPEN, {}).values()) == 1
    assert sum(queue_counts(supervisor).get(MatchStatus.SAME_PERSON, {}).values()) == 0
    steps = [(change.from_state, change.to_state, change.by, change.reason) for change in history(pair)]
    assert steps[0] == ("open", "same_person", supervisor, "same passport")
    assert steps[-1][:3] == ("same_person", "open", supervisor)
    services.match_pair_decide(pair=pair, decision=MatchStatus.DIFFERENT_PEOPLE, by=supervisor, reason="twins")
    assert pair_of(first, second).status == MatchStatus.DIFFERENT_PEOPLE


def test_every_change_of_a_pairs_status_leaves_a_history_row(istanbul, supervisor):
    from liman.core.workflows import history

    first, second = twice(istanbul)
    run_over(istanbul)
    registry.person_update(
        person=second,
        changes={"first_name": "Zeynep", "family_name": "Kaya", "sex": "F", "birth_date": datetime.date(2001, 9, 9)},
        by=supervisor,
    )
    pair = pair_of(first, second)
    assert [(change.from_state, change.to_state, change.by) for change in history(pair)] == [
        ("open", "closed", supervisor)
    ]
