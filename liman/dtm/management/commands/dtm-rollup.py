"""`liman dtm-rollup check|rebuild`: the monthly flow rollup (FlowMonthly) the DTM dashboards read.

The services keep it in step with the flow counts as they write them; counts loaded around them (a bulk
load in SQL, a restored table) leave it behind: `check` says where it differs, `rebuild` computes it again.
"""

from django.core.management.base import BaseCommand, CommandError

from liman.dtm import services


class Command(BaseCommand):
    help = "The DTM dashboards' monthly flow rollup: `check` it against the flow counts, or `rebuild` it from them."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "rebuild"])
        parser.add_argument("--show", type=int, default=20, help="How many differences `check` lists (default 20).")

    def handle(self, *args, action: str, show: int, **options):
        if action == "rebuild":
            cells = services.flow_monthly_rebuild(by=None)
            self.stdout.write(self.style.SUCCESS(f"Rebuilt the monthly flow rollup: {cells:,} cells."))
            return
        differences = services.flow_monthly_differences()
        if not differences:
            self.stdout.write(self.style.SUCCESS("The monthly flow rollup equals the flow counts."))
            return
        for difference in differences[:show]:
            self.stdout.write(str(difference))
        if len(differences) > show:
            self.stdout.write(f"… and {len(differences) - show:,} more.")
        raise CommandError(
            f"The monthly flow rollup differs from the flow counts in {len(differences):,} cells: "
            "run `liman dtm-rollup rebuild`."
        )
