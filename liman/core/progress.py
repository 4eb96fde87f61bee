"""Progress of long work, reported the same way to a page (TaskProgress rows) and a terminal."""

from __future__ import annotations

import sys
from contextlib import contextmanager

from django.utils import timezone

from .choices import TaskState
from .models import TaskProgress


class ProgressReporter:
    """Writes progress to a TaskProgress row (for the page's progress bar), or to a terminal."""

    def __init__(self, record: TaskProgress | None = None, stream=None):
        self.record = record
        self.stream = stream

    @classmethod
    def for_task(cls, progress_id) -> ProgressReporter:
        return cls(TaskProgress.objects.get(pk=progress_id))

    def update(self, done: int, total: int, message: str = "") -> None:
        if self.record is not None:
            TaskProgress.objects.filter(pk=self.record.pk).update(
                done=done, total=total, message=message[:300], state=TaskState.RUNNING, updated_at=timezone.now()
            )
        if self.stream is not None:
            self.stream.write("\r" + terminal_bar(done, total, message))
            self.stream.flush()

    @contextmanager
    def running(self):
        """Marks the task running; a failure is recorded with its message and raised again."""
        if self.record is not None:
            TaskProgress.objects.filter(pk=self.record.pk).update(state=TaskState.RUNNING, updated_at=timezone.now())
        try:
            yield self
        except Exception as exc:
            self.fail(str(exc) or exc.__class__.__name__)
            raise
        finally:
            if self.stream is not None:
                self.stream.write("\n")

    def finish(self, result: dict, message: str = "") -> None:
        if self.record is not None:
            record = TaskProgress.objects.get(pk=self.record.pk)
            record.state = TaskState.SUCCEEDED
            record.done = max(record.done, record.total)
            record.result = result
            record.message = message[:300]
            record.updated_at = timezone.now()
            record.save()

    def fail(self, message: str) -> None:
        if self.record is not None:
            TaskProgress.objects.filter(pk=self.record.pk).update(
                state=TaskState.FAILED, message=message[:300], updated_at=timezone.now()
            )


def terminal_bar(done: int, total: int, message: str = "", width: int = 40) -> str:
    """`[#########...............]  37%  370/1000  message`"""
    fraction = (done / total) if total else 0.0
    filled = int(width * min(1.0, fraction))
    return f"[{'#' * filled}{'.' * (width - filled)}] {int(fraction * 100):3d}%  {done}/{total}  {message}"[:120]


def stderr_reporter() -> ProgressReporter:
    return ProgressReporter(stream=sys.stderr)
