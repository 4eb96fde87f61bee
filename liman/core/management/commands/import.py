"""`liman import KIND FILE --office CODE [--dry-run] [--user USERNAME] [--sheet NAME]`: an import through staging.

A people import declares the legal basis of registering the people, for the whole file with
`--consent-purpose PURPOSE --legal-basis BASIS` or row by row in the columns of the same names.

`liman import purge [--older-than DAYS] [--dry-run]`: delete the staged rows of imports neither committed nor
discarded within LIMAN_STAGING_KEEP_DAYS (14) days; run it daily (a cron line or a systemd timer).
"""

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from liman.core.models import ImportBatch, Office, User
from liman.core.progress import ProgressReporter
from liman.core.staging import (
    ImportRefused,
    abandoned_batches,
    import_commit,
    import_purge,
    import_stage,
    importer_kinds,
    problem_report,
    staging_keep_days,
)

PURGE = "purge"


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX file through staging: every row is checked and reported (row, column, problem, "
        "whether it blocks); the records are written in one transaction only when no row blocks. "
        "Exits 1 when the file is rejected. Example: liman import people people.csv --office IST. "
        "`liman import purge [--older-than DAYS] [--dry-run]` deletes the staged rows of imports left uncommitted "
        "for LIMAN_STAGING_KEEP_DAYS days (14 unless set)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="What the file holds, e.g. people; or `purge`.")
        parser.add_argument("file", nargs="?", help="The .csv or .xlsx file.")
        parser.add_argument("--office", help="The office the records belong to, by code (IST).")
        parser.add_argument("--dry-run", action="store_true", help="Check and report only; write nothing.")
        parser.add_argument("--user", help="The user the import (or purge) is made as (their roles are checked).")
        parser.add_argument(
            "--sheet", help="The sheet of an XLSX workbook to import (needed when more than one sheet holds data)."
        )
        parser.add_argument(
            "--consent-purpose",
            help="people: the purpose the people are registered for (e.g. registration), for every row that does "
            "not say.",
        )
        parser.add_argument(
            "--legal-basis",
            help="people: the legal basis of registering them (consent, vital_interest, public_interest, "
            "legitimate_interest), for every row that does not say.",
        )
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            help="purge: imports uploaded more than DAYS days ago (default: LIMAN_STAGING_KEEP_DAYS, 14).",
        )

    def handle(self, *args, kind: str, file: str | None, office: str | None, dry_run: bool, user: str | None, **opts):
        if kind == PURGE:
            return self.purge(older_than=opts.get("older_than"), dry_run=dry_run, user=user)
        if file is None or office is None:
            raise CommandError("Give the file and the office: liman import KIND FILE --office CODE.")
        known = [importer.kind for importer in importer_kinds()]
        if kind not in known:
            raise CommandError(f"There is no import of kind {kind!r}; the kinds are: {', '.join(known)}.")
        target = Office.objects.filter(code=office.upper()).first()
        if target is None:
            raise CommandError(f"There is no office with the code {office!r}.")
        by = None
        if user:
            by = User.objects.filter(username=user, is_active=True).first()
            if by is None:
                raise CommandError(f"There is no active user {user!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        reporter = ProgressReporter(stream=sys.stderr) if sys.stderr.isatty() else None

        try:
            with transaction.atomic(), path.open("rb") as stream:
                batch = import_stage(
                    kind=kind,
                    file=stream,
                    file_name=path.name,
                    office=target,
                    by=by,
                    reporter=reporter,
                    sheet=opts.get("sheet"),
                    declared=_declared(kind, opts),
                )
                self.report(batch)
                rejected = batch.state != ImportBatch.State.VALID
                if rejected or dry_run:
                    transaction.set_rollback(True)  # a rejected file or a dry run leaves nothing behind
        except ImportRefused as exc:
            for message in exc.messages:
                self.stderr.write(f"{path.name}: {message}")
            raise CommandError(f"{path.name} was rejected; nothing was written.", returncode=1) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc), returncode=1) from exc

        if rejected:
            raise CommandError(
                f"{path.name} was rejected: {_count(batch.error_count, 'blocking problem')}. Nothing was written.",
                returncode=1,
            )
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"Dry run: {path.name} can be imported. Nothing was written."))
            return
        try:
            batch = import_commit(batch=batch, by=by, reporter=reporter)
        except ImportRefused as exc:
            for message in exc.messages:
                self.stderr.write(f"{path.name}: {message}")
            raise CommandError(f"{path.name} was rejected; nothing was written.", returncode=1) from exc
        created = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in batch.result["created"].items())
        self.stdout.write(self.style.SUCCESS(f"Imported {path.name}: {created} (batch {batch.pk})."))

    def purge(self, *, older_than: int | None, dry_run: bool, user: str | None) -> None:
        days = staging_keep_days() if older_than is None else older_than
        if days < 0:
            raise CommandError("--older-than takes a number of days, 0 or more.")
        by = None
        if user:
            by = User.objects.filter(username=user, is_active=True).first()
            if by is None:
                raise CommandError(f"There is no active user {user!r}.")
        if dry_run:
            batches = list(abandoned_batches(older_than_days=days))
        else:
            batches = import_purge(older_than_days=days, by=by)
        for batch in batches:
            self.stdout.write(
                f"{batch.pk}  {batch.office.code}  {batch.kind}  {batch.file_name}  "
                f"uploaded {batch.created_at:%Y-%m-%d}  {_count(batch.row_count, 'row')}"
            )
        done = "would be purged (dry run; nothing was deleted)" if dry_run else "purged"
        self.stdout.write(
            self.style.SUCCESS(
                f"{_count(len(batches), 'import')} left uncommitted for more than {_count(days, 'day')} {done}."
            )
        )

    def report(self, batch: ImportBatch) -> None:
        for notice in batch.notices:
            self.stdout.write(f"Notice: {notice}")
        problems = list(problem_report(batch))
        if problems:
            width = max(len(column) for _row, column, _message, _blocking in problems)
            width = max(width, len("column"))
            self.stdout.write(f"{'row':>7}  {'column':<{width}}  {'blocks':<6}  problem")
            for row, column, message, blocking in problems:
                self.stdout.write(f"{row:>7}  {column or '-':<{width}}  {'yes' if blocking else 'no':<6}  {message}")
        self.stdout.write(
            f"{batch.file_name}: {_count(batch.row_count, 'row')}, {_count(batch.error_count, 'blocking problem')}, "
            f"{_count(batch.warning_count, 'warning')}."
        )


def _declared(kind: str, opts: dict) -> dict[str, str]:
    """The batch options given on the command line (`--consent-purpose` for `consent_purpose`) that the kind has."""
    importer = next(importer for importer in importer_kinds() if importer.kind == kind)
    given = {option.name: opts.get(option.name) for option in importer.batch_options if opts.get(option.name)}
    unknown = [
        f"--{name.replace('_', '-')}"
        for name in ("consent_purpose", "legal_basis")
        if opts.get(name) and name not in {option.name for option in importer.batch_options}
    ]
    if unknown:
        raise CommandError(f"An import of {kind} takes no {', '.join(unknown)}.")
    return given


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
