"""Background tasks of duplicate detection (django-tasks, database backend)."""

from django_tasks import task

from liman.core.progress import ProgressReporter

from .models import DedupRun
from .services import dedup_run_execute


@task()
def dedup_run_task(run_id: int) -> dict:
    """Run the matcher over the run's people, reporting progress to the run's progress bar."""
    run = DedupRun.objects.select_related("progress").get(pk=run_id)
    reporter = ProgressReporter(run.progress) if run.progress_id else ProgressReporter()
    with reporter.running():
        run = dedup_run_execute(run=run, reporter=reporter)
    run.refresh_from_db()
    return {"run": run.pk, "pairs_found": run.pairs_found, "pairs_new": run.pairs_new}
