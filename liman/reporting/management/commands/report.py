"""`liman report 4w --month YYYY-MM --output FILE.xlsx|FILE.csv`: the mission's 3RP 4W of a month (every office:
stored rows for the offices that submitted it, live figures with adjustments for the others)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.models import Office
from liman.core.tabular import csv_bytes, xlsx_bytes
from liman.reporting import fourw


class Command(BaseCommand):
    help = "Reports computed from the operations: `4w` writes the 3RP 4W of a month as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("report", choices=["4w"])
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--output", required=True, help="FILE.csv or FILE.xlsx")

    def handle(self, *args, **options):
        try:
            month = fourw.parse_month(options["month"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        output = Path(options["output"])
        if output.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError(f"--output {output}: name a .csv or .xlsx file.")
        geography = fourw.Geography()
        lines = fourw.office_lines(month, list(Office.objects.values_list("pk", flat=True)), geography=geography)
        rows = fourw.table(month, lines, geography=geography)
        data = csv_bytes(rows) if output.suffix.lower() == ".csv" else xlsx_bytes({"4W": rows})
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"--output {output}: {exc.strerror or exc}.") from None
        audit.record(AuditAction.EXPORT, actor=None, obj=None, reason=f"3RP 4W {month:%Y-%m} to {output.name} (CLI)")
        self.stdout.write(f"{output}: {len(rows) - 1} rows, {sum(row[16] for row in rows[1:])} people.")
