"""Backup and restore of an installation: the database, the media folder and a manifest that proves both.

A backup is a folder:

    manifest.json   when, which database engine, the applied migrations, every table's row count, the checksum
                    (SHA-256) of each file, and the fingerprints of the keys the data needs (never the keys)
    database.dump   PostgreSQL: `pg_dump --format=custom` (restored with `pg_restore`)
    database.sqlite3  SQLite: a copy taken with SQLite's online backup (consistent while Liman runs)
    media.tar       the media folder (attachments, uploaded forms, staged files)

The keys stay outside it, as they stay outside the database: a backup alone reveals no encrypted value, and it can
be restored only where the same keys are configured. `restore` refuses a folder whose files do not match their
checksums, and one whose data needs a key the installation does not hold (a field-encryption key, the blind-index
key, an audit key), naming which; it then replaces the database and the media folder, checks the audit chain and
compares every table's row count with the manifest.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media.tar"
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """A backup that cannot be taken or restored, with the reason in words."""


@dataclass
class RestoreReport:
    tables: int = 0
    rows: int = 0
    #: Tables whose row count differs from the manifest's (name, in the manifest, now).
    differences: list[tuple[str, int, int]] = field(default_factory=list)
    audit_problems: list[str] = field(default_factory=list)


# --- what the manifest holds ---------------------------------------------------------------------------------


def key_fingerprints() -> dict[str, list[str]]:
    """The fingerprints of the keys in use, by kind: what a restore checks (a key cannot be found from them)."""
    from liman.core import crypto

    payment = hashlib.sha256(crypto.payment_public_key_pem().encode()).hexdigest()[:16]
    return {
        "field": [crypto.key_fingerprint(key.encode()) for key in crypto.field_keys()],
        "blind_index": [crypto.key_fingerprint(crypto._blind_key())],
        "audit": list(crypto.audit_keys()),
        "payment_signing": [payment],
    }


def table_counts() -> dict[str, int]:
    """Rows in every table of the database (Django's and Liman's), by table name."""
    tables = sorted(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (introspected)
            counts[table] = cursor.fetchone()[0]
    return counts


def applied_migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).migration_qs.order_by("app", "name").values_list("app", "name"):
        latest[app] = name
    return latest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in DUMPS:
        raise BackupError(f"Backups know PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump / pg_restore (the password through the environment, never the command)."""
    config = connection.settings_dict
    arguments = ["--dbname", config["NAME"]]
    if config.get("HOST"):
        arguments += ["--host", str(config["HOST"])]
    if config.get("PORT"):
        arguments += ["--port", str(config["PORT"])]
    if config.get("USER"):
        arguments += ["--username", str(config["USER"])]
    environment = dict(os.environ)
    if config.get("PASSWORD"):
        environment["PGPASSWORD"] = str(config["PASSWORD"])
    return arguments, environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client programs are needed).") from exc
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-800:]}")


# --- backup ----------------------------------------------------------------------------------------------------


def backup(output: Path) -> dict:
    """Write a backup into the folder `output` (created; it must be empty) and return its manifest."""
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        raise BackupError(f"{output} is not empty: a backup goes into a new folder.")
    output.mkdir(parents=True, exist_ok=True)
    engine = _engine()
    dump = output / DUMPS[engine]
    if engine == "postgresql":
        arguments, environment = _pg_environment()
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump), *arguments],
             environment)  # fmt: skip
    else:
        connection.ensure_connection()
        target = sqlite3.connect(dump)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(output / MEDIA, "w") as archive:
        if media_root.exists():
            for path in sorted(media_root.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=str(path.relative_to(media_root)), recursive=False)
    manifest = {
        "format": FORMAT,
        "taken_at": datetime.datetime.now(tz=datetime.UTC).isoformat(),
        "engine": engine,
        "migrations": applied_migrations(),
        "tables": table_counts(),
        "keys": key_fingerprints(),
        "files": {path.name: _sha256(path) for path in (dump, output / MEDIA)},
    }
    (output / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


# --- restore ---------------------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{folder} holds no {MANIFEST}: not a Liman backup.") from exc
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.get('format')!r}, this Liman reads {FORMAT}.")
    return manifest


def problems(folder: Path, manifest: dict) -> list[str]:
    """Why this backup must not be restored here (empty: it may): files changed or missing, keys not held."""
    found = []
    folder = Path(folder)
    engine = _engine()
    if manifest.get("engine") != engine:
        found.append(f"the backup is of a {manifest.get('engine')} database; this installation runs on {engine}")
    for name, checksum in sorted(manifest.get("files", {}).items()):
        path = folder / name
        if not path.is_file():
            found.append(f"{name} is missing")
        elif _sha256(path) != checksum:
            found.append(f"{name} does not match its checksum: changed or damaged since the backup")
    held = key_fingerprints()
    names = {
        "field": "field-encryption key (LIMAN_FIELD_KEYS)",
        "blind_index": "blind-index key (LIMAN_BLIND_INDEX_KEY)",
        "audit": "audit key (LIMAN_AUDIT_KEY)",
    }
    for kind, label in names.items():
        for fingerprint in manifest.get("keys", {}).get(kind, []):
            if fingerprint not in held[kind]:
                found.append(
                    f"the data needs the {label} with fingerprint {fingerprint}, which this installation does not hold"
                )
    return found


def restore(folder: Path) -> RestoreReport:
    """Replace the database and the media folder with the backup in `folder`, after checking it may be restored;
    then check the audit chain and compare every table's rows with the manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    refused = problems(folder, manifest)
    if refused:
        raise BackupError("Not restored: " + "; ".join(refused) + ".")
    engine = _engine()
    dump = folder / DUMPS[engine]
    if engine == "postgresql":
        arguments, environment = _pg_environment()
        connections.close_all()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", *arguments, str(dump)], environment)  # fmt: skip
    else:
        connection.ensure_connection()
        source = sqlite3.connect(dump)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    _restore_media(folder / MEDIA)
    from liman.core import audit, crypto

    crypto.forget_keys()
    report = RestoreReport(audit_problems=[problem.message for problem in audit.verify()])
    now = table_counts()
    for table, expected in sorted(manifest["tables"].items()):
        report.tables += 1
        report.rows += now.get(table, 0)
        if now.get(table, 0) != expected:
            report.differences.append((table, expected, now.get(table, 0)))
    return report


def _restore_media(archive_path: Path) -> None:
    """The media folder becomes the archive's: unpacked beside it, then swapped in (the old one removed)."""
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    unpacked = Path(tempfile.mkdtemp(prefix=".restoring-", dir=media_root.parent))
    with tarfile.open(archive_path) as archive:
        archive.extractall(unpacked, filter="data")
    if media_root.exists():
        old = media_root.with_name(media_root.name + ".before-restore")
        shutil.rmtree(old, ignore_errors=True)
        media_root.rename(old)
        unpacked.rename(media_root)
        shutil.rmtree(old, ignore_errors=True)
    else:
        unpacked.rename(media_root)
