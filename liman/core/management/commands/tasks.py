import sys
import time

from django.core.management.base import BaseCommand, CommandError

from liman.core.models import TaskProgress
from liman.core.progress import refresh, terminal_bar


class Command(BaseCommand):
    help = "Background tasks. `liman tasks list` shows recent ones; `liman tasks watch ID` draws a progress bar."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="The 20 most recent tasks.")
        watch = sub.add_parser("watch", help="Follow one task until it ends.")
        watch.add_argument("id")
        watch.add_argument("--interval", type=float, default=0.5)

    def handle(self, *args, action: str, **options):
        if action == "list":
            for progress in TaskProgress.objects.all()[:20]:
                self.stdout.write(f"{progress.pk}  {progress.state:<9} {progress.percent:3d}%  {progress.name}")
            return
        try:
            progress = TaskProgress.objects.get(pk=options["id"])
        except (TaskProgress.DoesNotExist, ValueError) as exc:
            raise CommandError(f"No task {options['id']}.") from exc
        while True:
            progress.refresh_from_db()
            refresh(progress)
            sys.stderr.write("\r" + terminal_bar(progress.done, progress.total, progress.get_state_display()))
            sys.stderr.flush()
            if progress.is_finished:
                sys.stderr.write("\n")
                break
            time.sleep(options["interval"])
        if progress.message:
            self.stdout.write(progress.message)
        if progress.state == "failed":
            raise CommandError(f"Task {progress.pk} failed.", returncode=1)
