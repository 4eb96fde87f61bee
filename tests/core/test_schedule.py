"""Scheduled jobs (liman/core/schedule.py): declared by the apps, enqueued once per period however many schedulers
run, and tasks whose worker died marked failed."""

import datetime
import threading
import zoneinfo

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.models.query import QuerySet
from django_tasks_db.models import DBTaskResult

from liman.core import schedule
from liman.core.models import AuditEvent, ScheduledRun, TaskLease, TaskProgress

UTC = datetime.UTC
ISTANBUL = zoneinfo.ZoneInfo("Europe/Istanbul")


def test_every_periodic_job_of_the_apps_is_declared_in_one_place():
    assert {job.name for job in schedule.jobs()} >= {
        "audit-anchor",
        "audit-verify",
        "database-statistics",
        "import-purge",
        "messages-remind",
        "reach-catch-up",
        "retention-run",
    }


def test_the_statistics_job_gives_the_planner_statistics_of_every_table(db):
    from django.db import connection

    schedule.statistics_refresh_scheduled()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(DISTINCT tbl) FROM sqlite_stat1")
            assert cursor.fetchone()[0] > 0
        else:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'core_office'")
            assert cursor.fetchone()[0] >= 0  # -1 until analysed


def test_periods_are_aligned_on_the_clock_and_daily_jobs_on_local_time():
    hourly = schedule.Job("h", dict, every=datetime.timedelta(hours=1))
    now = datetime.datetime(2026, 3, 5, 10, 59, 59, tzinfo=UTC)
    assert hourly.period_start(now) == datetime.datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert hourly.next_start(now) == datetime.datetime(2026, 3, 5, 11, 0, tzinfo=UTC)

    daily = schedule.Job("d", dict, at=datetime.time(3, 0))
    # 02:00 in Istanbul (UTC+3) on the 5th: the last 03:00 was on the 4th.
    before = datetime.datetime(2026, 3, 4, 23, 0, tzinfo=UTC)
    assert daily.period_start(before) == datetime.datetime(2026, 3, 4, 3, 0, tzinfo=ISTANBUL)
    after = datetime.datetime(2026, 3, 5, 0, 0, tzinfo=UTC)  # 03:00 in Istanbul
    assert daily.period_start(after) == datetime.datetime(2026, 3, 5, 3, 0, tzinfo=ISTANBUL)
    assert daily.next_start(after) == datetime.datetime(2026, 3, 6, 3, 0, tzinfo=ISTANBUL)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "either every= or at="),
        ({"every": datetime.timedelta(hours=1), "at": "03:00"}, "either every= or at="),
        ({"every": datetime.timedelta(seconds=30)}, "whole minutes"),
        ({"every": datetime.timedelta(minutes=7)}, "divide a day"),
        ({"at": "25:00"}, "not a time of day"),
    ],
)
def test_a_job_declared_wrongly_is_refused_with_the_rule(kwargs, message):
    with pytest.raises(ValueError, match=message):
        schedule.register_job("wrong", dict, **kwargs)
    assert "wrong" not in {job.name for job in schedule.jobs()}


@pytest.fixture
def one_job(monkeypatch):
    """Only a test job is declared (the apps' jobs are put back afterwards)."""
    calls = []

    def count() -> dict:
        calls.append(1)
        return {"calls": len(calls)}

    monkeypatch.setattr(schedule, "_JOBS", {})
    schedule.register_job("test-count", count, every=datetime.timedelta(hours=1))
    return calls


@pytest.mark.django_db
def test_a_job_is_enqueued_once_per_period_and_runs_in_a_worker(one_job):
    ten = datetime.datetime(2026, 3, 5, 10, 5, tzinfo=UTC)
    assert [run.job for run in schedule.enqueue_due(ten)] == ["test-count"]
    assert schedule.enqueue_due(ten + datetime.timedelta(minutes=50)) == []
    assert len(schedule.enqueue_due(ten + datetime.timedelta(hours=1))) == 1
    runs = list(ScheduledRun.objects.order_by("period"))
    assert [run.period.hour for run in runs] == [10, 11]
    task = DBTaskResult.objects.get(pk=runs[0].task_id)
    assert task.status == "READY" and task.args_kwargs["args"] == ["test-count", "2026-03-05T10:00:00+00:00"]

    assert schedule.scheduled_job_run.call(*task.args_kwargs["args"])["result"] == {"calls": 1}
    assert schedule.run_status(runs[0]) == "READY"


# Serialized rollback: the rows of the migrations (provinces, content types) are put back after the flush, and no
# module after this one (tests/core/test_backup.py) finds them re-created by hand.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_schedulers_at_once_enqueue_each_period_once(one_job, monkeypatch):
    """Two schedulers (threads with connections of their own, on the test database: SQLite or PostgreSQL) both find
    the job without a run at the same moment and both try to enqueue it; the unique (job, period) lets one through
    (on the tests' in-memory SQLite the second may instead find the table locked and leave the job to its next look;
    deploy/two_servers.py runs two scheduler processes on PostgreSQL)."""
    now = datetime.datetime(2026, 3, 5, 10, 5, tzinfo=UTC)
    looked = threading.Barrier(2)
    real_exists = QuerySet.exists

    def exists(queryset):
        if queryset.model is ScheduledRun:
            looked.wait(timeout=10)  # both have looked before either writes
            return False
        return real_exists(queryset)

    monkeypatch.setattr(QuerySet, "exists", exists)
    created, errors = [], []

    def scheduler():
        try:
            created.extend(schedule.enqueue_due(now))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(created) == 1
    assert ScheduledRun.objects.filter(job="test-count").count() == 1
    assert DBTaskResult.objects.filter(task_path=schedule.scheduled_job_run.module_path).count() == 1


@pytest.mark.django_db
def test_a_running_task_whose_worker_stopped_beating_is_marked_failed_and_audited(settings):
    settings.LIMAN_TASK_STALE_SECONDS = 60
    now = datetime.datetime.now(UTC)
    old = now - datetime.timedelta(minutes=5)

    def running(**extra):
        return DBTaskResult.objects.create(
            status="RUNNING",
            args_kwargs={"args": [], "kwargs": {}},
            task_path="liman.core.tasks.audit_chain_verify",
            backend_name="default",
            run_after=old,
            started_at=old,
            **extra,
        )

    dead, alive, young = running(), running(), running()
    DBTaskResult.objects.filter(pk=young.pk).update(started_at=now)
    TaskLease.objects.create(task_id=str(alive.pk), worker_id="w2", beat_at=now)
    TaskLease.objects.create(task_id=str(dead.pk), worker_id="w1", beat_at=old)
    orphan = TaskProgress.objects.create(name="import", state="running", updated_at=old)

    assert schedule.recover_lost_tasks(now) == 1
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert (statuses[dead.pk], statuses[alive.pk], statuses[young.pk]) == ("FAILED", "RUNNING", "RUNNING")
    dead.refresh_from_db()
    assert dead.exception_class_path == "liman.core.schedule.WorkerLost" and dead.finished_at is not None
    event = AuditEvent.objects.get(object_type="task", object_id=str(dead.pk))
    assert event.changes == {"status": ["RUNNING", "FAILED"]}
    assert not TaskLease.objects.filter(task_id=str(dead.pk)).exists()
    orphan.refresh_from_db()
    assert orphan.state == "failed"
    assert schedule.recover_lost_tasks(now) == 0  # once


@pytest.mark.django_db
def test_the_audit_jobs_write_an_anchor_and_verify_through_it(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    written = schedule.audit_anchor_write()
    assert (tmp_path / "audit-anchors").is_dir() and written["file"].startswith(str(tmp_path))
    assert schedule.audit_verify_scheduled() == {"intact": True, "anchors": 1}
    (tmp_path / "audit-anchors" / "anchor-broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(schedule.AuditChainBroken, match="anchor-broken.json"):
        schedule.audit_verify_scheduled()


@pytest.mark.django_db
def test_schedule_list_says_when_each_job_ran_and_runs_next(one_job, capsys):
    call_command("schedule", "list")
    assert "test-count" in capsys.readouterr().out
    call_command("schedule", "run", "--once")
    call_command("schedule", "list")
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("test-count"))
    assert "every hour" in line and "READY" in line and "due now" not in line


@pytest.mark.django_db
def test_a_worker_holds_the_lease_of_the_task_it_runs_until_it_ends(settings):
    """The worker sends the backend itself when a task starts, its class when it ends: both count."""
    from django_tasks import task_backends
    from django_tasks_db.compat import task_finished, task_started

    settings.LIMAN_TASK_HEARTBEAT_SECONDS = 60  # no beat during the test: the lease is taken and returned

    result = schedule.scheduled_job_run.enqueue("test-count", "2026-03-05T10:00:00+00:00")
    DBTaskResult.objects.get(pk=result.id).claim("worker-1")
    started = schedule.scheduled_job_run.get_result(result.id)
    backend = task_backends["default"]
    task_started.send(sender=backend, task_result=started)
    lease = TaskLease.objects.get(task_id=str(result.id))
    assert lease.worker_id == "worker-1" and str(result.id) in schedule._BEATS
    task_finished.send(sender=type(backend), task_result=started)
    assert not TaskLease.objects.filter(task_id=str(result.id)).exists()
    assert schedule._BEATS == {}
