from django.core.management.base import BaseCommand, CommandError

from liman.assistance import selectors


class Command(BaseCommand):
    help = (
        "Stock integrity. `liman stock check` recomputes every balance from the ledger (Σ of its entries per "
        "location × item × lot) and checks each transfer's entries against its state; it exits 1 naming every "
        "difference."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("check", help="Recompute balances from the ledger and report any difference.")

    def handle(self, *args, what: str, **options):
        differences = selectors.ledger_differences()
        transfers = selectors.transfer_problems()
        for difference in differences:
            self.stderr.write(str(difference))
        for problem in transfers:
            self.stderr.write(f"transfer {problem}")
        if differences or transfers:
            raise CommandError(
                f"{len(differences)} balance(s) differ from the ledger, {len(transfers)} transfer(s) do not match "
                "their entries."
            )
        lines = len(selectors.ledger_sums())
        self.stdout.write(self.style.SUCCESS(f"Every balance equals the sum of its ledger ({lines} lines checked)."))
