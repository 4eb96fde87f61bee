"""Progress of long work, reported the same way to a page (TaskProgress rows) and a terminal.

While a task runs, a heartbeat thread writes its progress and the time (`updated_at`) every few seconds on a
database connection of its own. The task's own connection never writes progress mid-work: on SQLite a task
reading through a cursor (the audit chain check) holds a read snapshot, and a write on that connection after
anyone else wrote fails at once with `database is locked`, whatever the busy timeout. A RUNNING task whose
heartbeat stopped (its worker was killed) is marked failed when it is read and when a worker starts a task,
so no progress bar spins forever.
"""

from __future__ import annotations

import datetime
import logging
import sys
import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db.compat import task_started

from .choices import TaskState
from .models import TaskProgress

logger = logging.getLogger(__name__)


def heartbeat_seconds() -> float:
    return settings.LIMAN_TASK_HEARTBEAT_SECONDS


def stale_seconds() -> float:
    return settings.LIMAN_TASK_STALE_SECONDS


class _Heartbeat(threading.Thread):
    """Writes the task's latest progress and the time, every few seconds, until stopped."""

    def __init__(self, pk):
        super().__init__(name=f"liman-heartbeat-{pk}", daemon=True)
        self.pk = pk
        self.latest: dict = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def set(self, **fields) -> None:
        with self.lock:
            self.latest = fields

    def beat(self) -> None:
        with self.lock:
            fields = dict(self.latest)
        try:
            TaskProgress.objects.filter(pk=self.pk, state=TaskState.RUNNING).update(**fields, updated_at=timezone.now())
        except DatabaseError as exc:  # busy: the next beat tries again
            logger.debug("Heartbeat of task %s not written: %s", self.pk, exc)

    def run(self) -> None:
        try:
            while not self.stopped.wait(heartbeat_seconds()):
                self.beat()
        finally:
            connections.close_all()  # this thread's connections only

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=heartbeat_seconds() + 30)


class ProgressReporter:
    """Writes progress to a TaskProgress row (for the page's progress bar), or to a terminal."""

    def __init__(self, record: TaskProgress | None = None, stream=None):
        self.record = record
        self.stream = stream
        self.done = record.done if record is not None else 0
        self.total = record.total if record is not None else 0
        self._heartbeat: _Heartbeat | None = None

    @classmethod
    def for_task(cls, progress_id) -> ProgressReporter:
        return cls(TaskProgress.objects.get(pk=progress_id))

    def update(self, done: int, total: int, message: str = "") -> None:
        self.done, self.total = done, total
        if self.record is not None:
            fields = {"done": done, "total": total, "message": message[:300]}
            if self._heartbeat is not None:
                self._heartbeat.set(**fields)
            else:
                TaskProgress.objects.filter(pk=self.record.pk).update(
                    **fields, state=TaskState.RUNNING, updated_at=timezone.now()
                )
        if self.stream is not None:
            self.stream.write("\r" + terminal_bar(done, total, message))
            self.stream.flush()

    @contextmanager
    def running(self):
        """Marks the task running and beats its heart; a failure is recorded with its message and raised again."""
        if self.record is not None:
            TaskProgress.objects.filter(pk=self.record.pk).update(state=TaskState.RUNNING, updated_at=timezone.now())
            self._heartbeat = _Heartbeat(self.record.pk)
            self._heartbeat.start()
        try:
            yield self
        except Exception as exc:
            self._stop_heartbeat()
            self.fail(str(exc) or exc.__class__.__name__)
            raise
        finally:
            self._stop_heartbeat()
            if self.stream is not None:
                self.stream.write("\n")

    def _stop_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None

    def finish(self, result: dict, message: str = "") -> None:
        self._stop_heartbeat()
        if self.record is not None:
            record = TaskProgress.objects.get(pk=self.record.pk)
            record.state = TaskState.SUCCEEDED
            record.total = max(record.total, self.total)
            record.done = max(record.done, self.done, record.total)
            record.result = result
            record.message = message[:300]
            record.updated_at = timezone.now()
            record.save()

    def fail(self, message: str) -> None:
        """Records the failure; a database that refuses the write does not hide the task's own error."""
        if self.record is not None:
            try:
                TaskProgress.objects.filter(pk=self.record.pk).update(
                    state=TaskState.FAILED, message=message[:300], updated_at=timezone.now()
                )
            except DatabaseError:
                logger.exception("Task %s failed and its failure could not be recorded", self.record.pk)


def orphans(now: datetime.datetime | None = None):
    """RUNNING tasks whose heartbeat stopped: their worker died (killed, out of memory, machine restarted)."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=stale_seconds())
    return TaskProgress.objects.filter(state=TaskState.RUNNING, updated_at__lt=stale)


def fail_orphans(queryset=None) -> int:
    """Marks orphaned tasks failed (of `queryset`, or all); returns how many."""
    queryset = TaskProgress.objects.all() if queryset is None else queryset
    pks = list(orphans().filter(pk__in=queryset.values("pk")).values_list("pk", flat=True))
    if not pks:
        return 0
    return TaskProgress.objects.filter(pk__in=pks, state=TaskState.RUNNING).update(
        state=TaskState.FAILED,
        message=_("The worker running this task stopped before it ended. Start the task again.")[:300],
        updated_at=timezone.now(),
    )


def refresh(progress: TaskProgress) -> TaskProgress:
    """The progress row as a page should show it: failed if its worker died."""
    if progress.state == TaskState.RUNNING and fail_orphans(TaskProgress.objects.filter(pk=progress.pk)):
        progress.refresh_from_db()
    return progress


def terminal_bar(done: int, total: int, message: str = "", width: int = 40) -> str:
    """`[#########...............]  37%  370/1000  message`"""
    fraction = (done / total) if total else 0.0
    filled = int(width * min(1.0, fraction))
    return f"[{'#' * filled}{'.' * (width - filled)}] {int(fraction * 100):3d}%  {done}/{total}  {message}"[:120]


def stderr_reporter() -> ProgressReporter:
    return ProgressReporter(stream=sys.stderr)


@receiver(task_started, dispatch_uid="liman-fail-orphaned-tasks")
def fail_orphans_when_a_task_starts(sender, **kwargs) -> None:
    """A worker starting a task marks the tasks of dead workers failed, whether anyone reads them or not."""
    try:
        fail_orphans()
    except DatabaseError:
        logger.exception("Orphaned tasks could not be marked failed")
