import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from liman.core import audit
from liman.core.progress import terminal_bar


class Command(BaseCommand):
    help = (
        "Audit log tools. `liman audit verify [--anchor FILE ...]` recomputes the keyed hash chain (and checks it "
        "still passes through heads exported earlier); it exits 1 at the first broken event. `liman audit anchor` "
        "prints the signed chain head, to keep outside the server."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Recompute the hash chain and name the first broken event.")
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="FILE",
            help="a chain head printed earlier by `liman audit anchor`: the chain must still pass through it",
        )
        anchor = sub.add_parser("anchor", help="Print the signed chain head (JSON) to keep outside the server.")
        anchor.add_argument("--output", metavar="FILE", help="write it to FILE instead of standard output")

    def handle(self, *args, action: str, **options):
        if action == "verify":
            self.verify(anchors=options["anchor"])
        elif action == "anchor":
            self.anchor(options.get("output"))

    def anchor(self, output: str | None):
        text = json.dumps(audit.anchor(), indent=2) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Chain head written to {output}.")
        else:
            self.stdout.write(text, ending="")

    def _anchor_problems(self, files: list[str]) -> list:
        problems = []
        for name in files:
            try:
                anchor = json.loads(Path(name).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"{name}: not a chain head exported by `liman audit anchor` ({exc}).") from exc
            problems += audit.check_anchor(anchor if isinstance(anchor, dict) else {})
        return problems

    def verify(self, anchors: list[str] = ()):
        interactive = sys.stderr.isatty()

        def show(done: int, total: int) -> None:
            if interactive:
                sys.stderr.write("\r" + terminal_bar(done, total, "events checked"))
                sys.stderr.flush()

        problems = audit.verify(progress=show)
        if interactive:
            sys.stderr.write("\n")
        problems += self._anchor_problems(list(anchors))
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN: {problem.message}")
            where = f"at event #{problems[0].seq}" if problems[0].seq is not None else "against the anchor"
            raise CommandError(f"The audit chain is broken {where}.", returncode=1)
        from liman.core.models import AuditEvent

        through = f", through {len(anchors)} anchored head(s)" if anchors else ""
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"The audit chain is intact: {count} events{through}."))
