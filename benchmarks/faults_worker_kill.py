"""Fault: a task worker killed with SIGKILL in the middle of a task. The task must end FAILED (never "running"
forever), with an audit event, and the next task must run.

    .venv/bin/python benchmarks/faults_worker_kill.py [--postgres URL_OF_AN_EMPTY_DATABASE]

Runs on a throwaway SQLite file (or the PostgreSQL database given) with the tests' settings (their `tests.vault` app
has a task that counts slowly), a heartbeat every 0.5 s and LIMAN_TASK_STALE_SECONDS=5. Starts `liman db_worker` and
`liman schedule run --interval 1`, enqueues a task counting for a minute, kills the worker once the task has counted
a few steps, then measures the time until the scheduler marks the task FAILED (django-tasks' row, error WorkerLost)
and its progress bar failed, and checks the audit event. A second worker then runs another task. Prints each result
and the kill-to-failed time against its bound (the stale time plus the scheduler's interval plus a start-up).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STALE_SECONDS = 5.0
INTERVAL = 1.0


def wait_until(condition, timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise SystemExit(f"faults: FAILED: {what} within {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="postgres://… of an empty database (default: a throwaway SQLite file)")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="liman-faults-kill."))
    database_url = args.postgres or f"sqlite:///{var / 'liman.sqlite3'}"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
        "LIMAN_VAR_DIR": str(var),
        "LIMAN_TASK_HEARTBEAT_SECONDS": "0.5",
        "LIMAN_TASK_STALE_SECONDS": str(STALE_SECONDS),
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django_tasks_db.models import DBTaskResult

    from liman.core.models import AuditEvent, TaskLease, TaskProgress
    from tests.vault import tasks

    liman = [sys.executable, "-m", "liman.cli"]
    worker_command = [*liman, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]
    quiet = {"cwd": ROOT, "env": environment, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([*liman, "schedule", "run", "--interval", str(INTERVAL)], **quiet)  # noqa: S603
    worker = subprocess.Popen(worker_command, **quiet)  # noqa: S603
    try:
        progress = TaskProgress.objects.create(name="counting")
        result = tasks.count_slowly.enqueue(str(progress.pk), 600, 0.1)

        def counting() -> bool:
            progress.refresh_from_db()
            return progress.state == "running" and progress.done >= 5

        wait_until(counting, 120, "the worker started the task")
        lease = TaskLease.objects.filter(task_id=str(result.id)).first()
        print(f"faults: the running task holds a lease beaten by its worker: {'yes' if lease else 'NO'}")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        killed_at = time.monotonic()
        print(f"faults: worker killed with SIGKILL at step {progress.done} of 600")

        row = DBTaskResult.objects.get(pk=result.id)
        print(f"faults: right after the kill the task reads {row.status}")
        waited = wait_until(
            lambda: DBTaskResult.objects.get(pk=result.id).status == "FAILED", 60, "the task was marked failed"
        )
        row = DBTaskResult.objects.get(pk=result.id)

        def bar_failed() -> bool:
            progress.refresh_from_db()
            return progress.state == "failed"

        bar_waited = waited + wait_until(bar_failed, 60, "the progress bar was marked failed")
        events = AuditEvent.objects.filter(object_type="task", object_id=str(result.id)).count()
        bound = STALE_SECONDS + INTERVAL + 3
        print(
            f"faults: task FAILED {waited:.1f} s after the kill ({row.exception_class_path}); bound "
            f"{bound:.0f} s (stale {STALE_SECONDS:g} s + scheduler interval {INTERVAL:g} s + 3 s): "
            f"{'within' if waited <= bound else 'OVER'}"
        )
        print(f"faults: its progress bar failed {bar_waited:.1f} s after the kill ({progress.message})")
        print(f"faults: audit events about the task: {events}")
        ok = lease is not None and row.status == "FAILED" and events == 1 and max(waited, bar_waited) <= bound

        worker = subprocess.Popen(worker_command, **quiet)  # noqa: S603
        after = TaskProgress.objects.create(name="after")
        tasks.count_slowly.enqueue(str(after.pk), 3, 0.01)

        def after_done() -> bool:
            after.refresh_from_db()
            return after.state == "succeeded"

        took = wait_until(after_done, 120, "a new worker ran the next task")
        print(f"faults: a new worker ran the next task ({took:.1f} s)")
        print(
            f"faults: kill -9 of a worker mid-task: {'passed' if ok else 'FAILED'} "
            f"({time.monotonic() - killed_at:.0f} s after the kill)"
        )
        if not ok:
            sys.exit(1)
    finally:
        for process in (scheduler, worker):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
