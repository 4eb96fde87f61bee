"""Background tasks of field data (django-tasks, database backend)."""

from django_tasks import task

from liman.core.models import User
from liman.core.progress import ProgressReporter

from .models import FormVersion
from .services import form_versions_check


@task()
def form_versions_check_task(progress_id: str, version_ids: list[int], user_id: int | None) -> dict:
    """Check form versions with JavaRosa (one JVM per batch), reporting progress to the page's progress bar."""
    reporter = ProgressReporter.for_task(progress_id)
    by = User.objects.filter(pk=user_id).first() if user_id else None
    with reporter.running():
        outcome = form_versions_check(versions=FormVersion.objects.filter(pk__in=version_ids), by=by, reporter=reporter)
        result = {
            "passed": len(outcome.passed),
            "refused": len(outcome.refused),
            "not_checked": len(outcome.not_checked),
            "problems": [f"{version.label}: {' '.join(version.messages)}" for version in outcome.refused],
        }
        reporter.finish(result, message=" ".join(filter(None, [outcome.summary(), outcome.note])))
    return result
