"""Background tasks of data protection (django-tasks, database backend): the scheduled retention run."""

from django_tasks import task

from liman.core.progress import ProgressReporter


@task()
def retention_run(progress_id: str, dry_run: bool = False) -> dict:
    """Run every active retention schedule; report by kind what was (or would be) purged and held."""
    from . import services

    reporter = ProgressReporter.for_task(progress_id)
    with reporter.running():
        outcomes = services.run(dry_run=dry_run, by=reporter.record.owner if reporter.record is not None else None)
        result = {
            "dry_run": dry_run,
            "kinds": [
                {"kind": o.kind.key, "due": o.due, "held": o.held, "purged": o.purged, "action": o.action}
                for o in outcomes
            ],
        }
        reporter.finish(result)
    return result
