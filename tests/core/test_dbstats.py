import pytest
from django.db import connection

from liman.core import dbstats
from liman.core.models import AdminArea

pytestmark = pytest.mark.django_db


def planner_rows(table: str) -> float | None:
    """The row count the planner believes (None: never analysed)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return None
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
            found = cursor.fetchone()
            return float(found[0].split()[0]) if found else None
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        reltuples = cursor.fetchone()[0]
        return None if reltuples < 0 else float(reltuples)


def test_a_large_write_is_analysed_at_once_and_a_small_one_is_not(monkeypatch):
    table = AdminArea._meta.db_table
    rows = AdminArea.objects.count()
    assert rows > 10  # the gazetteer the migrations load
    monkeypatch.setattr(dbstats, "LARGE_WRITE", rows + 1)
    before = planner_rows(table)
    dbstats.analyse_written(AdminArea, rows)
    assert planner_rows(table) == before
    monkeypatch.setattr(dbstats, "LARGE_WRITE", rows)
    dbstats.analyse_written(AdminArea, rows)
    assert planner_rows(table) == rows
