"""The background worker as it runs in production: `liman db_worker` processes on a file SQLite database.

A worker killed in the middle of a task leaves a task that another worker marks failed (its progress bar stops);
a failing task fails alone and the worker goes on with the next one.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMAN = [sys.executable, "-m", "liman.cli"]


@pytest.fixture(scope="module")
def worker_env(tmp_path_factory):
    var = tmp_path_factory.mktemp("worker-var")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{var / 'liman.sqlite3'}",
        "LIMAN_VAR_DIR": str(var),
        "LIMAN_TASK_HEARTBEAT_SECONDS": "0.2",
        "LIMAN_TASK_STALE_SECONDS": "2",
    }
    subprocess.run([*LIMAN, "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=600)
    return env, var / "liman.sqlite3"


def enqueue(env, task: str, *args) -> str:
    """Create a TaskProgress and enqueue `tests.vault.tasks.<task>(progress_id, *args)`; returns the progress id."""
    script = (
        "from liman.core.models import TaskProgress\n"
        f"from tests.vault import tasks\n"
        f"progress = TaskProgress.objects.create(name={task!r})\n"
        f"tasks.{task}.enqueue(str(progress.pk), *{args!r})\n"
        "print(progress.pk.hex)\n"
    )
    done = subprocess.run(
        [*LIMAN, "shell", "-c", script], env=env, cwd=ROOT, check=True, timeout=120, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def progress_of(db: Path, pk: str) -> tuple[str, int, str]:
    with sqlite3.connect(db, timeout=20) as connection:
        return connection.execute("SELECT state, done, message FROM core_taskprogress WHERE id = ?", (pk,)).fetchone()


def start_worker(env, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        [*LIMAN, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1", *extra],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_a_task_whose_worker_was_killed_is_marked_failed_by_the_next_worker(worker_env):
    env, db = worker_env
    slow = enqueue(env, "count_slowly", 600, 0.1)
    worker = start_worker(env)
    try:
        wait_for(lambda: progress_of(db, slow)[0] == "running" and progress_of(db, slow)[1] > 0)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert progress_of(db, slow)[0] == "running"

    later = enqueue(env, "count_slowly", 2, 0.01)
    time.sleep(2.5)  # the killed worker's heartbeat is now older than LIMAN_TASK_STALE_SECONDS
    second = start_worker(env, "--batch")
    assert second.wait(timeout=120) == 0, second.stderr.read().decode()

    state, done, message = progress_of(db, slow)
    assert state == "failed" and 0 < done < 600 and "worker" in message
    assert progress_of(db, later)[0] == "succeeded"


def test_a_failing_task_fails_alone_and_the_worker_goes_on(worker_env):
    env, db = worker_env
    failing = enqueue(env, "fail_at_once")
    after = enqueue(env, "count_slowly", 3, 0.01)
    worker = start_worker(env, "--batch")
    assert worker.wait(timeout=120) == 0, worker.stderr.read().decode()
    assert progress_of(db, failing)[:1] == ("failed",) and "always fails" in progress_of(db, failing)[2]
    assert progress_of(db, after)[0] == "succeeded"
