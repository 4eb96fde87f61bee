"""Background tasks of messaging (django-tasks): the sender, and a message to a whole list with a progress bar."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django_tasks import task

from liman.core.progress import ProgressReporter

logger = logging.getLogger(__name__)


@task()
def messages_send_task() -> dict:
    """Hand over every message due now; when retries wait for later, come back then."""
    from . import sender

    summary = sender.send_pending()
    due = sender.next_due_at()
    if due is not None:
        enqueue_sender(run_after=due)
    return {
        "sent": summary.sent,
        "failed": summary.failed,
        "retrying": summary.retrying,
        "cancelled": summary.cancelled,
    }


def enqueue_sender(run_after=None) -> None:
    """Queue the sender task, unless one is already waiting to run by then (a burst of queueing starts one)."""
    try:
        from django.db.models import Q
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult, get_date_max

        by = run_after or timezone.now()
        waiting = DBTaskResult.objects.filter(status="READY", task_path=messages_send_task.module_path).filter(
            Q(run_after=get_date_max()) | Q(run_after__lte=by)
        )
        if waiting.exists():
            return
    except Exception:  # noqa: BLE001  (another task backend: queue it anyway)
        logger.debug("Could not look for a waiting sender task", exc_info=True)
    try:
        if run_after is not None:
            messages_send_task.using(run_after=run_after).enqueue()
        else:
            messages_send_task.enqueue()
    except Exception:  # noqa: BLE001  (messages stay queued: `liman messages send` hands them over)
        logger.exception("The sender task could not be queued")


@task()
def audience_queue_task(progress_id: str, kind_key: str, object_id: int, user_id: int) -> dict:
    """Queue a kind of message to the list an app offers for one record (a distribution's households), as the
    user who asked, with a progress bar."""
    from liman.core.messages import message_kind
    from liman.core.models import User

    from .services import messages_queue

    reporter = ProgressReporter.for_task(progress_id)
    with reporter.running():
        user = User.objects.get(pk=user_id)
        kind = message_kind(kind_key)
        if kind is None or kind.audience is None:
            raise ValueError(_("No app offers a list for the message “%(kind)s”.") % {"kind": kind_key})
        listed = kind.audience.recipients(user, object_id)
        total = len(listed.recipients)
        reporter.update(0, total, _("Queueing"))
        outcome = messages_queue(
            kind=kind.key,
            recipients=listed.recipients,
            by=user,
            source=listed.title[:80],
            chunk=100,
            progress=lambda done: reporter.update(done, total, _("Queueing")),
        )
        result = {
            "queued": outcome.queued,
            "skipped": {str(reason): n for reason, n in outcome.skipped_in_words},
            "back_url": listed.back_url,
        }
        skipped = ", ".join(f"{n} {reason}" for reason, n in outcome.skipped_in_words)
        message = _("%(queued)d messages queued.") % {"queued": outcome.queued}
        if skipped:
            message += " " + _("Not queued: %(skipped)s.") % {"skipped": skipped}
        reporter.finish(result, message=message)
    return result
