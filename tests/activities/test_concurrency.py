"""Two refreshes of people reached at once, in two transactions on two connections, creating the same new rows: the
same person reached by two activities (one person reach), and a participant of each in the same new cell. Both
succeed and the counts are what a rebuild from the participants gives.

PostgreSQL only: there, each refresh locks the rows it changes before it reads, and one that finds its new row
created first by the other runs again in a savepoint. SQLite takes the write lock at BEGIN (IMMEDIATE), so two
writers never overlap there and there is nothing to race.

Attendance services take the audit log's lock before they refresh the rollup, which already serialises them; the
threads therefore refresh attendance loaded without them (as a bulk load would), meeting at the refresh itself.
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, transaction

from liman.activities import services
from liman.activities.models import Attendance, PersonReach, ReachCount, ReachTotal
from liman.activities.reach import CELL_FIELDS, reach_rebuild

pytestmark = [
    # Serialized rollback: the migrations' rows (provinces, programmes) are back even after the flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers at BEGIN"),
]


def _rollup() -> tuple[list, list]:
    return (
        sorted(ReachCount.objects.values_list(*CELL_FIELDS, "people")),
        sorted(ReachTotal.objects.values_list(*CELL_FIELDS[1:], "people")),
    )


@pytest.mark.parametrize("same_person", [True, False], ids=["same person and cell", "same cell"])
def test_two_refreshes_creating_the_same_rows_both_succeed_and_count_right(
    monkeypatch, istanbul, officer, person, same_person
):
    first_day = datetime.date(2026, 9, 7)
    activities = []
    for offset, title in ((0, "Tailoring"), (3, "Sewing machines")):
        day = first_day + datetime.timedelta(days=offset)
        activity = services.activity_create(office=istanbul, type="training", title=title, starts_on=day,
                                            ends_on=day, by=officer)  # fmt: skip
        session = services.session_add(activity=activity, held_on=day, by=officer)
        participants = [
            services.participant_add_light(
                activity=activity, name=f"Walk-in {title}", sex="F", age_group="18_59",
                population_group="host_community", by=officer,
            )
        ]  # fmt: skip
        if same_person:
            participants.append(services.participant_add_person(activity=activity, person=person, by=officer))
        Attendance.objects.bulk_create(
            [Attendance(session=session, participant=participant, office=istanbul, present=True)
             for participant in participants]
        )  # fmt: skip
        activities.append(activity)
    assert not PersonReach.objects.exists()

    barrier = threading.Barrier(len(activities), timeout=60)
    refresh = services.reach_refresh

    def together(keys):
        barrier.wait()  # both inside their transactions, neither committed: the same new rows to create
        refresh(keys)

    monkeypatch.setattr(services, "reach_refresh", together)
    errors = []

    def take(activity) -> None:
        try:
            with transaction.atomic():
                services.participants_refresh(activity=activity)
        except Exception as exc:  # noqa: BLE001  (reported below: the test fails on any error)
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(activity,)) for activity in activities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    # Each walk-in once, both in one cell; the person once, reached first at the first training.
    counts, totals = _rollup()
    if same_person:
        assert PersonReach.objects.get(person_key=person.pk).participant.activity == activities[0]
        assert PersonReach.objects.count() == 3
        assert sorted(row[-1] for row in counts) == [1, 2] and sorted(row[-1] for row in totals) == [1, 2]
    else:
        assert PersonReach.objects.count() == 2
        assert [row[-1] for row in counts] == [2] and [row[-1] for row in totals] == [2]
    reach_rebuild()
    assert _rollup() == (counts, totals)
