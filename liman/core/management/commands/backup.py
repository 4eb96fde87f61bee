"""`liman backup --output DIR`: the database, the media folder and a manifest (checksums, row counts, key
fingerprints, never the keys) in a new folder. See `liman.core.backup`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from liman.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a backup into a new folder: the database (PostgreSQL through pg_dump, SQLite through its online "
        "backup), the media folder, and a manifest with checksums and the fingerprints of the keys in use. Keep the "
        "keys elsewhere: the backup cannot be restored without them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, metavar="DIR", help="a new (or empty) folder")

    def handle(self, *args, output: str, **options):
        try:
            manifest = backup(Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Backup written to {output}: {manifest['engine']} database, {len(manifest['tables'])} tables, "
            f"{rows:,} rows; media archived; manifest.json holds the checksums."
        )
