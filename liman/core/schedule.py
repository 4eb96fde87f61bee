"""Scheduled jobs, declared in one place and run by the task workers.

Each app declares its periodic work in its `AppConfig.ready()`:

    schedule.register_job("messages-remind", reminders_queue, every=datetime.timedelta(hours=1))
    schedule.register_job("import-purge", import_purge_scheduled, at="03:00")  # daily, in TIME_ZONE

A job is a function without arguments that returns a short summary (JSON). The scheduler (`liman schedule run`,
one beside each worker, as many as there are machines) looks every few seconds at which period each job is in: the
current hour for `every=1 hour` (periods are aligned on the clock: 10:00, 11:00 …), today at the time given for
`at=` (in the office's time zone, TIME_ZONE). A period that has no run yet gets one: a `ScheduledRun` row, unique by
(job, period), written in the same transaction as the task it enqueues (`scheduled_job_run`, which a worker runs).
Two schedulers that find the same job due both try to write that row; the database lets one through and refuses the
other (a unique constraint, on PostgreSQL and SQLite alike), so a job runs once per period however many schedulers
run. A scheduler stopped for a while catches up with one run of each job whose current period has none (as a systemd
timer with Persistent=true), never with one run per missed period.

The scheduler also looks after tasks whose worker died: a worker beats a lease (`TaskLease`) for the task it runs,
every LIMAN_TASK_HEARTBEAT_SECONDS; a task still RUNNING whose lease is older than LIMAN_TASK_STALE_SECONDS lost its
worker (kill -9, out of memory, the machine gone) and is marked FAILED, with an audit event, and so are the progress
bars of such tasks (`progress.fail_orphans`). No task stays "running" forever.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, IntegrityError, OperationalError, connections, transaction
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task
from django_tasks_db.compat import task_finished, task_started
from django_tasks_db.utils import is_locked_database_exception

logger = logging.getLogger(__name__)

#: How many days of scheduled runs `liman schedule list` can look back on; older rows are deleted by the scheduler.
KEEP_RUNS_DAYS = 31


@dataclass(frozen=True)
class Job:
    name: str
    function: Callable[[], Any]
    every: datetime.timedelta | None = None
    at: datetime.time | None = None
    description: str = ""

    @property
    def when(self) -> str:
        if self.every is not None:
            return f"every {_duration(self.every)}"
        return f"daily at {self.at:%H:%M}"

    def period_start(self, now: datetime.datetime) -> datetime.datetime:
        """The start of the period `now` is in: the last clock-aligned multiple of `every`, or the last `at`."""
        if self.every is not None:
            step = self.every.total_seconds()
            stamp = now.timestamp()
            return datetime.datetime.fromtimestamp(stamp - stamp % step, tz=datetime.UTC)
        local = timezone.localtime(now)
        day = local.date()
        start = timezone.make_aware(datetime.datetime.combine(day, self.at))
        if start > now:
            start = timezone.make_aware(datetime.datetime.combine(day - datetime.timedelta(days=1), self.at))
        return start.astimezone(datetime.UTC)

    def next_start(self, now: datetime.datetime) -> datetime.datetime:
        """The start of the period after the one `now` is in."""
        if self.every is not None:
            return self.period_start(now) + self.every
        current = timezone.localtime(self.period_start(now))
        return timezone.make_aware(
            datetime.datetime.combine(current.date() + datetime.timedelta(days=1), self.at)
        ).astimezone(datetime.UTC)


def _duration(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}" if count != 1 else unit
    return f"{seconds} seconds"


_JOBS: dict[str, Job] = {}


def register_job(
    name: str,
    function: Callable[[], Any],
    *,
    every: datetime.timedelta | None = None,
    at: str | datetime.time | None = None,
    description: str = "",
) -> Job:
    """Declare a job: `every` (a period aligned on the clock, at least a minute, dividing a day) or `at` ("HH:MM",
    daily, local time), not both."""
    if (every is None) == (at is None):
        raise ValueError(f"Scheduled job {name!r}: give either every= or at=, not both or neither.")
    if every is not None:
        seconds = every.total_seconds()
        if seconds < 60 or seconds % 60 or (seconds < 86400 and 86400 % seconds):
            raise ValueError(
                f"Scheduled job {name!r}: every= must be whole minutes that divide a day (or whole days), not {every}."
            )
    if isinstance(at, str):
        try:
            at = datetime.time.fromisoformat(at)
        except ValueError:
            raise ValueError(f"Scheduled job {name!r}: at={at!r} is not a time of day (HH:MM).") from None
    if len(name) > 100:
        raise ValueError(f"Scheduled job {name!r}: the name is longer than 100 characters.")
    job = Job(name=name, function=function, every=every, at=at, description=description)
    _JOBS[name] = job
    return job


def jobs() -> list[Job]:
    return sorted(_JOBS.values(), key=lambda job: job.name)


def job(name: str) -> Job:
    try:
        return _JOBS[name]
    except KeyError:
        known = ", ".join(sorted(_JOBS)) or "none"
        raise LookupError(f"There is no scheduled job {name!r} (the jobs: {known}).") from None


@task()
def scheduled_job_run(name: str, period: str) -> dict:
    """Run one period of a scheduled job (in a worker); its summary is the task's result."""
    result = job(name).function()
    return {"job": name, "period": period, "result": result}


def enqueue_due(now: datetime.datetime | None = None) -> list:
    """Enqueue every job whose current period has no run yet; returns the runs this call created. Safe to call from
    any number of processes at once: each (job, period) is enqueued by one of them."""
    from .models import ScheduledRun

    now = now or timezone.now()
    created = []
    for each in jobs():
        period = each.period_start(now)
        if ScheduledRun.objects.filter(job=each.name, period=period).exists():
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=each.name, period=period, enqueued_at=now)
                result = scheduled_job_run.enqueue(each.name, period.isoformat())
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # another scheduler enqueued it first
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            logger.info("Scheduled job %s not enqueued: the database is busy; the next look tries again", each.name)
            continue
        created.append(run)
        logger.info("Scheduled job %s enqueued for %s", each.name, period.isoformat())
    return created


def last_runs() -> dict[str, Any]:
    """Each job's latest run (a ScheduledRun), by job name."""
    from .models import ScheduledRun

    latest: dict[str, Any] = {}
    for run in ScheduledRun.objects.filter(job__in=list(_JOBS)).order_by("job", "-period"):
        latest.setdefault(run.job, run)
    return latest


def run_status(run) -> str:
    """What became of a run's task: READY, RUNNING, SUCCESSFUL, FAILED (or `gone` once its result was pruned)."""
    from django_tasks_db.models import DBTaskResult

    if not run.task_id:
        return "gone"
    status = DBTaskResult.objects.filter(pk=run.task_id).values_list("status", flat=True).first()
    return status or "gone"


def prune_runs(now: datetime.datetime | None = None) -> int:
    from .models import ScheduledRun

    cutoff = (now or timezone.now()) - datetime.timedelta(days=KEEP_RUNS_DAYS)
    deleted, _ = ScheduledRun.objects.filter(period__lt=cutoff).delete()
    return deleted


# --- tasks whose worker died ------------------------------------------------------------------------------------


class WorkerLost(Exception):
    """The worker running a task stopped before the task ended (the class named in the task's failure)."""


def recover_lost_tasks(now: datetime.datetime | None = None) -> int:
    """Mark failed the tasks still RUNNING whose worker stopped beating their lease (and their progress bars);
    returns how many tasks. Each is one audit event."""
    from django_tasks_db.models import DBTaskResult

    from . import audit, progress
    from .choices import AuditAction
    from .models import TaskLease

    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=progress.stale_seconds())
    alive = {str(pk) for pk in TaskLease.objects.filter(beat_at__gte=stale).values_list("task_id", flat=True)}
    candidates = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=stale).values_list("pk", "task_path")
    lost = 0
    for pk, task_path in candidates:
        if str(pk) in alive:
            continue
        with transaction.atomic():
            changed = DBTaskResult.objects.filter(pk=pk, status="RUNNING").update(
                status="FAILED",
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=(
                    f"WorkerLost: the worker running this task sent no sign of life for {progress.stale_seconds():g} "
                    "seconds (killed, out of memory, or its machine stopped); marked failed by the scheduler.\n"
                ),
            )
            if changed:
                lost += 1
                TaskLease.objects.filter(task_id=str(pk)).delete()
                audit.record(
                    AuditAction.UPDATE,
                    object_type="task",
                    object_id=str(pk),
                    object_repr=task_path[:200],
                    changes={"status": ["RUNNING", "FAILED"]},
                    reason="Its worker stopped before the task ended (no lease beat).",
                )
    TaskLease.objects.filter(beat_at__lt=stale).delete()
    progress.fail_orphans()
    return lost


class _LeaseBeat(threading.Thread):
    """Beats a running task's lease every LIMAN_TASK_HEARTBEAT_SECONDS on a connection of its own."""

    def __init__(self, task_id: str):
        super().__init__(name=f"liman-lease-{task_id}", daemon=True)
        self.task_id = task_id
        self.stopped = threading.Event()

    def run(self) -> None:
        from . import progress
        from .models import TaskLease

        try:
            while not self.stopped.wait(progress.heartbeat_seconds()):
                try:
                    TaskLease.objects.filter(task_id=self.task_id).update(beat_at=timezone.now())
                except DatabaseError as exc:  # busy, or the database restarting: the next beat tries again
                    logger.debug("Lease of task %s not beaten: %s", self.task_id, exc)
        finally:
            connections.close_all()  # this thread's connections only

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=30)


_BEATS: dict[str, _LeaseBeat] = {}
_BEATS_LOCK = threading.Lock()


def _is_database_backend(sender) -> bool:
    """The worker sends the backend itself when a task starts, its class when it ends."""
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(sender, DatabaseBackend) or (isinstance(sender, type) and issubclass(sender, DatabaseBackend))


@receiver(task_started, dispatch_uid="liman-task-lease-start")
def lease_taken(sender, task_result, **kwargs) -> None:
    """A worker starts a task: it takes the task's lease and beats it while the task runs."""
    if not _is_database_backend(sender):
        return
    from .models import TaskLease

    task_id = str(task_result.id)
    worker = (task_result.worker_ids or [""])[-1][:64]
    try:
        TaskLease.objects.update_or_create(task_id=task_id, defaults={"worker_id": worker, "beat_at": timezone.now()})
    except DatabaseError:
        logger.exception("The lease of task %s could not be taken", task_id)
        return
    beat = _LeaseBeat(task_id)
    with _BEATS_LOCK:
        _BEATS[task_id] = beat
    beat.start()


@receiver(task_finished, dispatch_uid="liman-task-lease-end")
def lease_returned(sender, task_result, **kwargs) -> None:
    """The task ended (succeeded or failed): its lease goes."""
    if not _is_database_backend(sender):
        return
    from .models import TaskLease

    task_id = str(task_result.id)
    with _BEATS_LOCK:
        beat = _BEATS.pop(task_id, None)
    if beat is not None:
        beat.stop()
    try:
        TaskLease.objects.filter(task_id=task_id).delete()
    except DatabaseError:
        logger.exception("The lease of task %s could not be returned", task_id)


def tick(now: datetime.datetime | None = None) -> list:
    """One look of the scheduler: lost tasks failed, due jobs enqueued, old runs pruned."""
    now = now or timezone.now()
    recover_lost_tasks(now)
    created = enqueue_due(now)
    prune_runs(now)
    return created


# --- core's own jobs ----------------------------------------------------------------------------------------------


def anchor_folder():
    from django.conf import settings

    return settings.VAR_DIR / "audit-anchors"


def audit_anchor_write() -> dict:
    """Write the signed chain head to LIMAN_VAR_DIR/audit-anchors/ (copy that folder off the server: a later
    verify checks the chain still passes through each head kept)."""
    import json

    from . import audit

    head = audit.anchor()
    folder = anchor_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"anchor-{head['at'].replace(':', '')}.json"
    path.write_text(json.dumps(head, indent=2) + "\n", encoding="utf-8")
    return {"seq": head["seq"], "file": str(path)}


class AuditChainBroken(Exception):
    pass


def audit_verify_scheduled() -> dict:
    """Recompute the audit chain, through the heads kept in the anchor folder; a broken chain fails the task."""
    import json

    from . import audit

    problems = audit.verify()
    anchors = sorted(anchor_folder().glob("anchor-*.json")) if anchor_folder().is_dir() else []
    for path in anchors:
        try:
            head = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AuditChainBroken(f"{path}: not a chain head written by the anchor job ({exc}).") from exc
        problems += audit.check_anchor(head if isinstance(head, dict) else {})
    if problems:
        logger.error("The audit chain is broken: %s", problems[0].message)
        raise AuditChainBroken("; ".join(problem.message for problem in problems[:5]))
    return {"intact": True, "anchors": len(anchors)}


def statistics_refresh_scheduled() -> dict:
    """The query planner's statistics of every table (SQLite keeps none of its own; see core.dbstats)."""
    from . import dbstats

    dbstats.refresh_statistics(everything=True)
    return {"analysed": True}


def import_purge_scheduled() -> dict:
    """Delete the staged rows of imports left uncommitted for LIMAN_STAGING_KEEP_DAYS days."""
    from .staging import import_purge

    return {"purged": len(import_purge())}


def register_core_jobs() -> None:
    from . import retention

    retention.declare_no_personal_data(
        "bookkeeping of the scheduler and the task workers", "core.scheduledrun", "core.tasklease"
    )
    register_job(
        "audit-anchor", audit_anchor_write, at="02:30", description="The signed head of the audit chain, kept aside."
    )
    register_job(
        "audit-verify",
        audit_verify_scheduled,
        at="02:45",
        description="Recompute the audit chain (through the heads kept); fails when it is broken.",
    )
    register_job(
        "database-statistics",
        statistics_refresh_scheduled,
        at="03:30",
        description="The query planner's statistics of every table, for the pages' query plans.",
    )
    register_job(
        "import-purge",
        import_purge_scheduled,
        at="03:00",
        description="Staged rows of imports left uncommitted for LIMAN_STAGING_KEEP_DAYS days are deleted.",
    )
