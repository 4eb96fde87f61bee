"""Reports computed from the operations, from the command line:

- `liman report 4w --month YYYY-MM --output FILE.xlsx|FILE.csv`: the mission's 3RP 4W of a month (every office:
  stored rows for the offices that submitted it, live figures with adjustments for the others);
- `liman report donor --project CODE --period YYYY-MM..YYYY-MM --format xlsx|docx|pdf --output FILE --user NAME`:
  a donor report of a project over whole months, as the user may read it (the project must be in their scope): the
  latest issue of the project's report for exactly that period when it has been issued, else the figures now;
- `liman report rebuild-reach [--year YYYY] [--measure KEY]`: compute the stored first reaches the 4W reads "new in
  the month" from (reporting.reach) again from the records (after a bulk load that bypassed the audit log).
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from liman.core import audit
from liman.core.access import has_role
from liman.core.choices import AuditAction
from liman.core.models import Office, User
from liman.core.tabular import csv_bytes, xlsx_bytes
from liman.reporting import fourw


class Command(BaseCommand):
    help = (
        "Reports computed from the operations: `4w` writes the 3RP 4W of a month as CSV or XLSX; `donor` a project's "
        "donor report as XLSX, DOCX or PDF; `rebuild-reach` computes the 4W's stored first reaches again."
    )

    def add_arguments(self, parser):
        parser.add_argument("report", choices=["4w", "donor", "rebuild-reach"])
        parser.add_argument("--month", help="4w: YYYY-MM")
        parser.add_argument("--output", help="4w: FILE.csv or FILE.xlsx; donor: the file written")
        parser.add_argument("--project", help="donor: the project's grant code")
        parser.add_argument("--period", help="donor: YYYY-MM..YYYY-MM (whole months, both included)")
        parser.add_argument("--format", choices=["xlsx", "docx", "pdf"], help="donor: the file's format")
        parser.add_argument("--user", help="donor: the user the report is made as (their scope and roles apply)")
        parser.add_argument("--year", type=int, help="rebuild-reach: one year (default: this year and the last)")
        parser.add_argument("--measure", help="rebuild-reach: one measure (default: every measure stored)")

    def handle(self, *args, **options):
        report = options["report"]
        if report == "4w":
            return self.fourw(options)
        if report == "donor":
            return self.donor(options)
        return self.rebuild_reach(options)

    def _output(self, options, suffixes: tuple[str, ...]) -> Path:
        if not options.get("output"):
            raise CommandError("--output FILE is required.")
        output = Path(options["output"])
        if output.suffix.lower() not in suffixes:
            raise CommandError(f"--output {output}: name a {' or '.join(suffixes)} file.")
        return output

    def _write(self, output: Path, data: bytes) -> None:
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"--output {output}: {exc.strerror or exc}.") from None

    def fourw(self, options) -> None:
        if not options.get("month"):
            raise CommandError("--month YYYY-MM is required.")
        try:
            month = fourw.parse_month(options["month"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        output = self._output(options, (".csv", ".xlsx"))
        geography = fourw.Geography()
        lines = fourw.office_lines(month, list(Office.objects.values_list("pk", flat=True)), geography=geography)
        rows = fourw.table(month, lines, geography=geography)
        self._write(output, csv_bytes(rows) if output.suffix.lower() == ".csv" else xlsx_bytes({"4W": rows}))
        audit.record(AuditAction.EXPORT, actor=None, obj=None, reason=f"3RP 4W {month:%Y-%m} to {output.name} (CLI)")
        self.stdout.write(f"{output}: {len(rows) - 1} rows, {sum(row[16] for row in rows[1:])} people.")

    def donor(self, options) -> None:
        from liman.reporting import donor_reports, selectors
        from liman.reporting.permissions import REPORTING_READ_ROLES

        for name in ("project", "period", "format", "output", "user"):
            if not options.get(name):
                raise CommandError(f"--{name} is required for a donor report.")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user {options['user']!r}.")
        if not has_role(user, REPORTING_READ_ROLES):
            raise CommandError(f"{user.username} reads no donor reports (a reporting or programme role is needed).")
        start, end = self._period(options["period"])
        fmt = options["format"]
        output = self._output(options, (f".{fmt}",))
        # A project outside the user's scope is reported as not found, like one that does not exist.
        project = selectors.projects_for(user).filter(grant_code=options["project"]).first()
        if project is None:
            raise CommandError(f"There is no project {options['project']!r} that {user.username} may read.")
        report = selectors.donor_reports_for(user).filter(project=project, starts_on=start, ends_on=end).first()
        issue = report.issues.order_by("-number").first() if report is not None else None
        if issue is not None:
            content = issue.content
        elif report is not None:
            content = donor_reports.content_of(report)
        else:
            title = f"{project.grant_code} {start:%Y-%m}–{end:%Y-%m}"
            content = donor_reports.content_for(project, start, end, title=title)
        build = {"xlsx": donor_reports.xlsx, "docx": donor_reports.docx, "pdf": donor_reports.pdf}[fmt]
        self._write(output, build(content, issue))
        what = f"issue {issue.number}" if issue is not None else "figures as they stand now"
        audit.record(
            AuditAction.EXPORT, actor=user, obj=report or project,
            reason=f"donor report {project.grant_code} {start:%Y-%m}..{end:%Y-%m}, {what}, {fmt.upper()} to "
                   f"{output.name} (CLI)",
        )  # fmt: skip
        self.stdout.write(
            f"{output}: {project.grant_code}, {start}–{end}, {what}, {len(content['indicators'])} indicators."
        )

    @staticmethod
    def _period(text: str) -> tuple[datetime.date, datetime.date]:
        first, sep, last = (text or "").partition("..")
        try:
            if not sep:
                raise ValueError(text)
            start, until = fourw.parse_month(first), fourw.parse_month(last)
        except ValueError:
            raise CommandError(
                f"--period {text}: give whole months as YYYY-MM..YYYY-MM (e.g. 2026-01..2026-06)."
            ) from None
        if until < start:
            raise CommandError(f"--period {text}: the last month comes after the first.")
        return start, fourw.next_month(until) - datetime.timedelta(days=1)

    def rebuild_reach(self, options) -> None:
        from liman.reporting import reach

        keys = reach.stored_measures()
        if options.get("measure"):
            if options["measure"] not in keys:
                raise CommandError(f"--measure {options['measure']}: stored first reaches exist for {', '.join(keys)}.")
            keys = [options["measure"]]
        this_year = timezone.localdate().year
        years = [options["year"]] if options.get("year") else [this_year - 1, this_year]
        for key in keys:
            for year in years:
                count = reach.rebuild(key, year)
                self.stdout.write(f"{key} {year}: {count} rows.")
        from liman.reporting.models import Project

        for project in Project.objects.order_by("grant_code"):
            for key in reach.project_measures(project):
                if key in keys:
                    count = reach.rebuild_project(key, project)
                    self.stdout.write(f"{key} {project.grant_code}: {count} rows.")
