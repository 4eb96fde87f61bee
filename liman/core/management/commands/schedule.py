import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from liman.core import schedule


class Command(BaseCommand):
    help = (
        "Scheduled jobs (declared by the apps, liman/core/schedule.py). `liman schedule run` enqueues each job once "
        "per period for the task workers to run, and marks failed the tasks whose worker died; run one beside each "
        "worker (several never enqueue a job twice). `liman schedule list` prints the jobs, their last run and the "
        "next. `liman schedule now JOB` runs one job here at once."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Enqueue the jobs that are due, every few seconds, until stopped.")
        run.add_argument("--once", action="store_true", help="Look once and stop.")
        run.add_argument("--interval", type=float, default=15.0, help="Seconds between looks (default 15).")
        sub.add_parser("list", help="The jobs, when they run, their last run and the next.")
        now = sub.add_parser("now", help="Run one job in this process at once (outside its schedule).")
        now.add_argument("job")

    def handle(self, *args, action: str, **options):
        if action == "list":
            return self.list()
        if action == "now":
            try:
                job = schedule.job(options["job"])
            except LookupError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"{job.name}: {job.function()}")
            return
        self.run(once=options["once"], interval=options["interval"])

    def list(self):
        now = timezone.now()
        last = schedule.last_runs()
        rows = [("JOB", "WHEN", "LAST RUN", "STATUS", "NEXT RUN")]
        for job in schedule.jobs():
            run = last.get(job.name)
            due = run is None or run.period < job.period_start(now)
            rows.append(
                (
                    job.name,
                    job.when,
                    f"{timezone.localtime(run.period):%Y-%m-%d %H:%M}" if run else "never",
                    schedule.run_status(run) if run else "-",
                    "due now" if due else f"{timezone.localtime(job.next_start(now)):%Y-%m-%d %H:%M}",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())

    def run(self, *, once: bool, interval: float):
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        names = ", ".join(job.name for job in schedule.jobs())
        self.stderr.write(f"Scheduler started: {names}.")
        while not stopping:
            try:
                for run in schedule.tick():
                    self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} enqueued {run}")
            except DatabaseError as exc:  # the database restarting: the next look tries again
                self.stderr.write(f"The scheduler could not reach the database ({exc}); trying again.")
                connections.close_all()
            if once:
                break
            slept = 0.0
            while slept < interval and not stopping:
                time.sleep(0.1)
                slept += 0.1
            close_old_connections()  # as after a request: a connection the database dropped is opened again
