"""Background tasks for the tests of the task mechanism: one that takes its time, one that fails."""

import time

from django_tasks import task

from liman.core.progress import ProgressReporter


@task()
def count_slowly(progress_id: str, steps: int, seconds_per_step: float) -> dict:
    """Counts to `steps`, reporting each step: long enough to kill its worker in the middle."""
    reporter = ProgressReporter.for_task(progress_id)
    with reporter.running():
        for step in range(1, steps + 1):
            time.sleep(seconds_per_step)
            reporter.update(step, steps, f"step {step}")
    result = {"counted": steps}
    reporter.finish(result)
    return result


@task()
def fail_at_once(progress_id: str) -> dict:
    reporter = ProgressReporter.for_task(progress_id)
    with reporter.running():
        raise RuntimeError("this task always fails")
