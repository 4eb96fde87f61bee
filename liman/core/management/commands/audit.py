import sys

from django.core.management.base import BaseCommand, CommandError

from liman.core import audit
from liman.core.progress import terminal_bar


class Command(BaseCommand):
    help = "Audit log tools. `liman audit verify` recomputes the hash chain; it exits 1 at the first broken event."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Recompute the hash chain and name the first broken event.")

    def handle(self, *args, action: str, **options):
        if action == "verify":
            self.verify()

    def verify(self):
        interactive = sys.stderr.isatty()

        def show(done: int, total: int) -> None:
            if interactive:
                sys.stderr.write("\r" + terminal_bar(done, total, "events checked"))
                sys.stderr.flush()

        problems = audit.verify(progress=show)
        if interactive:
            sys.stderr.write("\n")
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN: {problem.message}")
            raise CommandError(f"The audit chain is broken at event #{problems[0].seq}.", returncode=1)
        from liman.core.models import AuditEvent

        self.stdout.write(self.style.SUCCESS(f"The audit chain is intact: {AuditEvent.objects.count()} events."))
