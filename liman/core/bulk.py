"""Writing many rows fast: one prepared statement per chunk on SQLite, one COPY on PostgreSQL, instead of
`bulk_create`'s per-object, per-field work (three to five times slower at a hundred thousand rows). Used by the
imports, the search keys, the audit log and the state history when a service writes records by the thousand."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction

from .fields import BlindIndexField, EncryptedTextField

#: Rows written per statement by `insert_many` on SQLite.
CHUNK_ROWS = 2000
#: Rows written per statement by `insert_values` (small rows of a few plain values).
VALUES_CHUNK_ROWS = 20000

_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
)


def _preparer(field: models.Field, real_connection) -> Callable[[Mapping[str, Any]], Any]:
    """How to get the database value of `field` from a row (a mapping of attnames to values)."""
    attname = field.attname
    if isinstance(field, BlindIndexField):
        source = field.source
        return lambda row: field.get_prep_value(row.get(source))  # the keyed hash of its source field
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        # One moment for the whole insert, as one statement would have it.
        now = field.get_db_prep_save(field.pre_save(SimpleNamespace(), True), real_connection)
        return lambda row: now
    if type(field).pre_save not in (models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save):
        raise ValueError(f"insert_many cannot fill {field} (its pre_save does more than read the value).")

    if callable(field.default):  # a new value each time (a UUID, a list, the time)

        def value(row: Mapping[str, Any]) -> Any:
            return row[attname] if attname in row else field.get_default()

    else:
        default = field.get_default()

        def value(row: Mapping[str, Any]) -> Any:
            return row.get(attname, default)

    if isinstance(field, models.ForeignKey):
        plain = isinstance(field.target_field, models.AutoField)
    else:
        plain = type(field) in _PLAIN_FIELDS
    if plain:
        return value  # the value goes to the driver as it is
    if isinstance(field, EncryptedTextField):
        # Most encrypted cells of an import are blank (no phone, no address): one token of "" serves them all.
        # Its sameness tells only that the cell is blank, which the blank blind index tells anyway.
        blank = field.get_db_prep_save("", real_connection)
        return lambda row: blank if (found := value(row)) == "" else field.get_db_prep_save(found, real_connection)
    # Dates, times, JSON: the same value prepares the same way, and imports repeat values a lot (dates of birth).
    prepared: dict[Any, Any] = {}

    def prepare(row: Mapping[str, Any]) -> Any:
        found = value(row)
        try:
            return prepared[found]
        except KeyError:
            result = prepared[found] = field.get_db_prep_save(found, real_connection)
            return result
        except TypeError:  # not hashable (a list, a dict): the empty ones (no problems, no languages) are most
            if not found:
                key = (type(found), "empty")
                if key not in prepared:
                    prepared[key] = field.get_db_prep_save(found, real_connection)
                return prepared[key]
            return field.get_db_prep_save(found, real_connection)

    return prepare


def insert_many(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert new records with one prepared statement per chunk, much faster than `bulk_create` for imports.

    Each row maps field attnames (`person_id`, not `person`) to values; a field left out takes its default.
    Values are prepared as `save()` prepares them: encrypted fields are encrypted, blind indexes computed from
    their source field, `auto_now` set. But no signals run and nothing is validated: the importer has checked
    every value. Auto-increment keys are not read back (give the rows a unique reference to find them by).
    """
    if not rows:
        return
    fields = [field for field in model._meta.concrete_fields if not isinstance(field, models.AutoField)]
    unknown = set(rows[0]) - {field.attname for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}.")
    real_connection = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is read for every value
    preparers = [_preparer(field, real_connection) for field in fields]
    quote = connection.ops.quote_name
    head = "INSERT INTO {table} ({columns}) VALUES ".format(  # noqa: S608 (names from the model)
        table=quote(model._meta.db_table), columns=", ".join(quote(field.column) for field in fields)
    )
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    copy_sql = "COPY {table} ({columns}) FROM STDIN".format(
        table=quote(model._meta.db_table), columns=", ".join(quote(field.column) for field in fields)
    )
    # In a transaction: in autocommit mode SQLite would otherwise commit every row. Inside the caller's
    # transaction no savepoint is needed: a failure undoes the caller's whole work anyway.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One COPY streams every row, several times faster than INSERTs; the server writes while rows are
            # still being prepared here.
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row([prepare(row) for prepare in preparers])
            return
        for start in range(0, len(rows), CHUNK_ROWS):
            params = [[prepare(row) for prepare in preparers] for row in rows[start : start + CHUNK_ROWS]]
            cursor.executemany(head + placeholders, params)


def insert_values(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows of values that are ready for the database, in chunks; returns how many were inserted.

    The fastest way in: for derived rows written by the hundred thousand (search keys), where even
    `insert_many`'s per-value preparation shows. `columns` are attnames of plain fields (text, numbers,
    booleans, foreign key ids) and each row gives their values in that order, as the driver takes them; nothing
    is encrypted, hashed, defaulted or validated. `rows` may be a generator: it is read one chunk at a time.
    """
    fields = [model._meta.get_field(name) for name in columns]
    for field in fields:
        plain = type(field) in _PLAIN_FIELDS or (
            isinstance(field, models.ForeignKey) and isinstance(field.target_field, models.AutoField)
        )
        if not plain or field.attname not in columns:
            raise ValueError(f"insert_values takes plain columns by attname; {model.__name__}.{field.name} is not.")
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields)
    insert_sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    copy_sql = f"COPY {table} ({names}) FROM STDIN"
    written = 0
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(copy_sql) as copy:  # one COPY: the server writes while rows are made here
                for values in rows:
                    copy.write_row(values)
                    written += 1
            return written
        iterator = iter(rows)
        while chunk := list(itertools.islice(iterator, VALUES_CHUNK_ROWS)):
            cursor.executemany(insert_sql, chunk)
            written += len(chunk)
    return written


@contextlib.contextmanager
def large_writes() -> Iterator[None]:
    """Let SQLite keep more of the database in memory while an import writes many rows.

    Each new row also goes into every index of its table; with SQLite's default page cache (2 MB) the pages of
    a large index are read from disk again and again, and a million search keys take minutes instead of
    seconds. The cache grows only as pages are read, and is put back to what it was at the end. PostgreSQL has
    its own shared buffers: nothing to do.
    """
    if connection.vendor != "sqlite":
        yield
        return
    megabytes = settings.LIMAN_IMPORT_SQLITE_CACHE_MB
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-megabytes * 1024}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


def insert_objects(objects: Sequence[models.Model]) -> None:
    """`insert_many` for unsaved model instances of one model, built as for `bulk_create` (their keys are not read
    back): for derived rows written by the thousand, such as audit events and state history."""
    if not objects:
        return
    model = type(objects[0])
    names = [field.attname for field in model._meta.concrete_fields if not isinstance(field, models.AutoField)]
    insert_many(model, [{name: getattr(obj, name) for name in names} for obj in objects])
