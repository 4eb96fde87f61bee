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
