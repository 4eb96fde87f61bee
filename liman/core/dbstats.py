"""The query planner's statistics. PostgreSQL's autovacuum keeps them; SQLite keeps none until ANALYZE runs, and
without them it can pick a plan that probes an index once per pair of rows (the duplicate queue of a 650-person
office took 100 ms a query instead of 0.2 ms). They are refreshed after the demo is seeded, after a large import is
committed and by the nightly job."""

from __future__ import annotations

from django.db import connection

#: An import committing at least this many rows refreshes the statistics of the tables it touched.
LARGE_WRITE = 1000


def refresh_statistics(*, everything: bool = False) -> None:
    """ANALYZE (every table) when `everything`, else SQLite's `PRAGMA optimize`: it analyses only the tables this
    connection queried whose statistics are missing or out of date, and is cheap when none are."""
    with connection.cursor() as cursor:
        if everything or connection.vendor != "sqlite":
            cursor.execute("ANALYZE")
        else:
            cursor.execute("PRAGMA optimize")


def analyse_written(model, rows: int) -> None:
    """After `rows` were written to `model`'s table at once (a rebuild), analyse that table when they are many: the
    next query must not be planned with the statistics of the table as it was (PostgreSQL's autovacuum catches up
    minutes later; a query planned for an empty first-reach table ran sixteen minutes instead of seconds)."""
    if rows < LARGE_WRITE:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
