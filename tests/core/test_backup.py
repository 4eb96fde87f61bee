"""Backup and restore on the database the tests run on (SQLite, or PostgreSQL in CI): back up, destroy, restore,
compare every table row for row and the media folder file for file; a changed file or a missing key is refused,
naming it, before anything is touched."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from liman.core import backup as backups
from liman.core import crypto
from liman.registry import services as registry
from tests.factories import OfficeFactory

# Serialized rollback: the migrations' rows (provinces) are back after this module's flushes.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def every_row() -> dict[str, list[tuple]]:
    """Every row of every table, in key order: what "the same database" means here."""
    rows = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (introspected names)
            rows[table] = sorted(cursor.fetchall(), key=repr)
    return rows


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    folder = tmp_path / "media" / "attachments" / "2026"
    folder.mkdir(parents=True)
    (folder / "passport-scan.bin").write_bytes(bytes(range(256)) * 40)
    return tmp_path / "media"


@pytest.fixture
def registered(media):
    office = OfficeFactory(code="BKP", name="Backup Office")
    people = [
        registry.person_register(
            office=office,
            data=registry.PersonInput(
                first_name=name, family_name="Haddad", sex="F", nationality="SYR", phone=f"+9053210000{number:02d}",
                birth_date=datetime.date(1980 + number, 1, 2),
            ),
            by=None,
        )
        for number, name in enumerate(["Amira", "Layla", "Huda"])
    ]  # fmt: skip
    return people


def test_back_up_destroy_restore_gives_every_row_and_file_back(registered, media, tmp_path):
    before = every_row()
    files_before = {p.relative_to(media): p.read_bytes() for p in media.rglob("*") if p.is_file()}
    call_command("backup", "--output", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["tables"]["registry_person"] == 3 and manifest["keys"]["field"]
    # The backup holds no key and no clear value of an encrypted field.
    raw = b"".join(path.read_bytes() for path in (tmp_path / "backup").iterdir())
    assert crypto.field_keys()[0].encode() not in raw and b"+905321000001" not in raw

    call_command("flush", "--no-input")
    for path in media.rglob("*"):
        if path.is_file():
            path.unlink()
    assert every_row()["registry_person"] == []

    call_command("restore", str(tmp_path / "backup"), "--no-input")
    assert every_row() == before
    assert {p.relative_to(media): p.read_bytes() for p in media.rglob("*") if p.is_file()} == files_before


def test_a_changed_file_is_refused_naming_it(registered, media, tmp_path):
    backups.backup(tmp_path / "backup")
    with (tmp_path / "backup" / "media.tar").open("ab") as archive:
        archive.write(b"\0")
    with pytest.raises(CommandError, match="media.tar does not match its checksum"):
        call_command("restore", str(tmp_path / "backup"), "--no-input")
    assert every_row()["registry_person"]  # nothing was touched


def test_data_encrypted_under_a_key_this_installation_lacks_is_refused(registered, media, tmp_path, settings):
    backups.backup(tmp_path / "backup")
    settings.LIMAN_FIELD_KEYS = [crypto.Fernet.generate_key().decode()]
    crypto.forget_keys()
    with pytest.raises(CommandError, match="field-encryption key"):
        call_command("restore", str(tmp_path / "backup"), "--no-input")


def test_a_backup_goes_into_a_new_folder(registered, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", "--output", str(tmp_path / "used"))
