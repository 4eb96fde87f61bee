"""`liman restore DIR`: replace the database and the media folder with a backup written by `liman backup`, after
checking its checksums and that this installation holds the keys its data needs; then check the audit chain and
print the row counts against the manifest. See `liman.core.backup`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from liman.core.backup import BackupError, problems, read_manifest, restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder written by `liman backup`: refused when a file does not match its checksum or the "
        "data needs a key this installation does not hold. Replaces the database and the media folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", metavar="DIR")
        parser.add_argument("--no-input", action="store_true", help="do not ask before replacing the data")

    def handle(self, *args, folder: str, no_input: bool, **options):
        try:
            manifest = read_manifest(Path(folder))
            refused = problems(Path(folder), manifest)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if refused:
            raise CommandError("Not restored:\n  " + "\n  ".join(refused))
        if not no_input:
            answer = input(f"Replace this installation's database and media with the backup of {manifest['taken_at']}? "
                           "Type yes: ")  # fmt: skip
            if answer.strip().lower() != "yes":
                raise CommandError("Not restored.")
        try:
            report = restore(Path(folder))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored {report.tables} tables, {report.rows:,} rows, and the media folder.")
        for table, expected, now in report.differences:
            self.stdout.write(f"  {table}: {expected:,} rows in the backup, {now:,} now")
        if report.audit_problems:
            self.stdout.write("Audit chain: BROKEN: " + report.audit_problems[0])
        else:
            self.stdout.write("Audit chain: intact.")
        if report.differences or report.audit_problems:
            raise CommandError("The restored data differs from the backup's manifest (see above).")
