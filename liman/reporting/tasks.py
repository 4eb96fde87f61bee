"""Background tasks of reporting (django-tasks, database backend)."""

from django_tasks import task

from . import reach


@task()
def reach_rebuild_task(measure_keys: list[str]) -> dict:
    """Rebuild the stored first reaches a deletion made stale (queued by the page that found it)."""
    ready = reach.catch_up_all(measure_keys, rebuild_now=True)
    return {key: sorted(map(str, units)) for key, units in ready.items()}
