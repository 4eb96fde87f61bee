"""Background tasks of core (django-tasks, database backend)."""

from django_tasks import task

from . import audit
from .progress import ProgressReporter


@task()
def audit_chain_verify(progress_id: str) -> dict:
    """Recompute the audit hash chain and report the first broken event, if any."""
    reporter = ProgressReporter.for_task(progress_id)
    with reporter.running():
        problems = audit.verify(progress=reporter.update)
        result = {"intact": not problems, "problems": [p.message for p in problems]}
        reporter.finish(result, message=problems[0].message if problems else "")
    return result
