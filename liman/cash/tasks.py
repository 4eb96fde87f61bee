"""Background tasks of the cash app (django-tasks, database backend)."""

from django.utils.translation import gettext as _
from django_tasks import task

from liman.core.progress import ProgressReporter

from . import services
from .models import TargetingRun


@task()
def targeting_run_task(run_id: int) -> dict:
    """Run the programme's rules over the office's households, reporting progress to the run's progress bar."""
    run = TargetingRun.objects.select_related("programme", "office", "rules", "started_by", "progress").get(pk=run_id)
    reporter = ProgressReporter(run.progress) if run.progress_id else ProgressReporter()
    with reporter.running():

        def checked(done: int, total: int) -> None:
            reporter.update(done, total, _("Households checked against the rules"))

        run = services.targeting_run(
            programme=run.programme, office=run.office, by=run.started_by, progress=checked, run=run
        )
        result = {"run": run.pk, "households": run.households, "eligible": run.eligible}
        reporter.finish(
            result,
            message=_("%(eligible)d of %(households)d households eligible.")
            % {"eligible": run.eligible, "households": run.households},
        )
    return result
