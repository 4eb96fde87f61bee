import signal
import time

from django.core.management.base import BaseCommand

from liman.messaging import sender, services


class Command(BaseCommand):
    help = (
        "Messages to people. `liman messages send` hands queued messages to the gateway (LIMAN_MESSAGE_BACKEND) "
        "and keeps watching the queue; `--once` stops when nothing is due. `liman messages remind` queues the "
        "reminders that are due (flights in two days …): run it from cron, hourly."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help="Hand queued messages over, batch after batch.")
        send.add_argument("--once", action="store_true", help="Stop when no message is due.")
        send.add_argument("--batch", type=int, default=None, help="Messages claimed at once (LIMAN_MESSAGE_BATCH).")
        send.add_argument(
            "--concurrency", type=int, default=None, help="Requests open at once (LIMAN_MESSAGE_CONCURRENCY)."
        )
        send.add_argument("--interval", type=float, default=2.0, help="Seconds between looks at an empty queue.")
        sub.add_parser("remind", help="Queue the reminders that are due.")

    def handle(self, *args, action: str, **options):
        if action == "remind":
            for kind, outcome in services.reminders_queue().items():
                skipped = ", ".join(f"{n} {reason}" for reason, n in outcome.skipped_in_words) or "none"
                self.stdout.write(f"{kind}: {outcome.queued} queued; not queued: {skipped}")
            return
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        total = sender.SendSummary()

        def report(summary: sender.SendSummary) -> None:
            self.stderr.write(f"\r{summary}", ending="")
            self.stderr.flush()

        while True:
            summary = sender.send_pending(
                batch=options["batch"],
                concurrency=options["concurrency"],
                progress=report,
                should_stop=lambda: bool(stopping),
            )
            total.add(summary)
            if options["once"] or stopping:
                break
            slept = 0.0
            while slept < options["interval"] and not stopping:
                time.sleep(0.1)
                slept += 0.1
            if stopping:
                break
        self.stderr.write("")
        self.stdout.write(str(total))
        for error in total.errors[:5]:
            self.stdout.write(f"  {error}")
