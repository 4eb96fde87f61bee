from django.core.management.base import BaseCommand, CommandError

from liman.privacy import services


class Command(BaseCommand):
    help = (
        "Retention. `liman retention run [--dry-run] [--kind KIND ...]` anonymises or deletes, under each active "
        "schedule, the records whose period ran out (except those under a legal hold), and prints by kind how many; "
        "with --dry-run it prints what would go and changes nothing."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Purge what the schedules say (or only count it with --dry-run).")
        run.add_argument("--dry-run", action="store_true", help="print what would go, change nothing")
        run.add_argument("--kind", action="append", default=[], help="only this kind (even if its schedule is off)")

    def handle(self, *args, action: str, **options):
        from liman.core import retention

        known = {kind.key for kind in retention.kinds()}
        unknown = [kind for kind in options["kind"] if kind not in known]
        if unknown:
            raise CommandError(f"Unknown kind(s): {', '.join(unknown)}. Kinds: {', '.join(sorted(known))}.")
        outcomes = services.run(dry_run=options["dry_run"], kinds=options["kind"] or None)
        if not outcomes:
            self.stdout.write("No retention schedule is active: nothing to do.")
            return
        verb = "would go" if options["dry_run"] else "purged"
        for outcome in outcomes:
            count = outcome.due - outcome.held if options["dry_run"] else outcome.purged
            self.stdout.write(
                f"{outcome.kind.key}: {count} {verb} ({outcome.action}, clock started before "
                f"{outcome.cutoff.isoformat()}), {outcome.held} held"
            )
