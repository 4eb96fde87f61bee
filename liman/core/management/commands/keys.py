from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from liman.core import audit, crypto
from liman.core.choices import AuditAction
from liman.core.fields import EncryptedTextField


def encrypted_columns():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def rotate_all(batch: int = 500) -> int:
    """Re-encrypt every encrypted column under the newest key; returns the number of values rewritten."""
    crypto.forget_keys()
    rewritten = 0
    quote = connection.ops.quote_name
    for model, field in encrypted_columns():
        table, column, pk = quote(model._meta.db_table), quote(field.column), quote(model._meta.pk.column)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
                rows = cursor.fetchall()
            with connection.cursor() as cursor:
                for start in range(0, len(rows), batch):
                    updates = [(crypto.rotate_token(token), key) for key, token in rows[start : start + batch]]
                    cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s", updates)  # noqa: S608
            rewritten += len(rows)
    return rewritten


class Command(BaseCommand):
    help = (
        "Field-encryption keys. `liman keys generate` prints a new key; `liman keys rotate` re-encrypts every "
        "encrypted value under the first key of LIMAN_FIELD_KEYS (with --new-key, adds a key to the development "
        "key file first). After a rotation the old key can be removed."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("generate", help="Print a new Fernet key.")
        rotate = sub.add_parser(
            "rotate", help="Re-encrypt every encrypted field, and re-wrap every file's key, under the newest key."
        )
        rotate.add_argument("--new-key", action="store_true", help="Development only: add a new key under var/ first.")

    def handle(self, *args, action: str, **options):
        if action == "generate":
            self.stdout.write(Fernet.generate_key().decode())
            return
        if options.get("new_key"):
            if settings.LIMAN_FIELD_KEYS:
                raise CommandError(
                    "LIMAN_FIELD_KEYS is set: put the new key first in it, then run `liman keys rotate`."
                )
            crypto.add_dev_key()
        count = rotate_all()
        from liman.core.storage import rotate_files, stored_file_names

        unreadable: list[str] = []
        files = rotate_files(names=stored_file_names(), unreadable=unreadable)
        for name in unreadable:
            self.stderr.write(f"Not re-wrapped, sealed under a key no longer held: {name}")
        audit.record(
            AuditAction.KEY_ROTATION,
            object_type="core.fieldkeys",
            object_repr=f"{count} values re-encrypted, {files} files' keys re-wrapped",
        )
        self.stdout.write(self.style.SUCCESS(f"{count} encrypted values and {files} files now use the newest key."))
