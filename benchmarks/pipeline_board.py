"""Benchmark: the resettlement pipeline board over 50,000 cases.

Target: the board answers in at most 300 ms of server time, with a number of queries that does not grow with
the number of cases. Prints the median time and the query count at 1,000 cases and at the full count, and the
ratio of the board's time to the bare login page's, measured in the same run.

Runs on a throwaway SQLite database in a temporary folder; with DATABASE_URL set it runs there instead, and
that database must be one you can throw away (the script migrates it and adds rows):

    .venv/bin/python benchmarks/pipeline_board.py [--cases 50000] [--runs 15] [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 300
FIRST_STEP = 1_000


def timed(client, url: str, runs: int) -> tuple[float, int]:
    """Median milliseconds of `runs` requests (after one warm-up) and the queries one request makes."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    reset_queries()  # the log keeps 9,000 queries at most: the bulk load filled it
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(queries.captured_queries)


def add_cases(office, count: int, start: int, rng: random.Random) -> None:
    """People and their cases in bulk (the board reads only cases; each case still has its principal)."""
    from django.utils import timezone

    from liman.core.models import Programme
    from liman.movements.choices import PIPELINE, RESETTLEMENT_COUNTRIES, CaseState
    from liman.movements.models import ResettlementCase
    from liman.registry.models import Person

    programme = Programme.objects.get(code="resettlement")
    states = [*PIPELINE, CaseState.ON_HOLD, CaseState.WITHDRAWN, CaseState.NO_SHOW, CaseState.CANCELLED]
    countries = RESETTLEMENT_COUNTRIES[:8]
    today = timezone.localdate()
    batch = 5_000
    for offset in range(start, start + count, batch):
        size = min(batch, start + count - offset)
        people = Person.objects.bulk_create(
            Person(
                office=office,
                reference=f"BNC-P{offset + n:08d}",
                first_name="Bench",
                family_name=f"Family{offset + n}",
                sex=rng.choice("MF"),
                nationality="SYR",
            )
            for n in range(size)
        )
        ResettlementCase.objects.bulk_create(
            ResettlementCase(
                reference=f"BNC-RS{offset + n:08d}",
                office=office,
                programme=programme,
                principal=person,
                country=rng.choice(countries),
                state=rng.choice(states),
                referred_on=today - datetime.timedelta(days=rng.randint(0, 900)),
            )
            for n, person in enumerate(people)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="liman-bench-board-"))
    os.environ["LIMAN_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "liman.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from liman.core.choices import OfficeType, Role
    from liman.core.models import AdminArea, Office
    from liman.core.services import role_grant_add, user_create

    setup_test_environment()  # the test client's host, and no real e-mail
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    office, _created = Office.objects.get_or_create(
        code="BNC",
        defaults={
            "name": "Benchmark office",
            "type": OfficeType.SUB,
            "province": AdminArea.objects.get(pcode="TUR034"),
        },
    )
    user = user_create(username="bench.supervisor", password=None, by=None)
    role_grant_add(user=user, role=Role.SUPERVISOR, office=office, by=None)
    rng = random.Random(arguments.seed)

    anonymous, client = Client(), Client()
    client.force_login(user)
    first = min(FIRST_STEP, arguments.cases)
    add_cases(office, first, 0, rng)
    small_ms, small_queries = timed(client, "/resettlement/", arguments.runs)

    started = time.perf_counter()
    add_cases(office, arguments.cases - first, first, rng)
    loaded = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    board_ms, board_queries = timed(client, "/resettlement/", arguments.runs)
    filtered_ms, _ = timed(client, "/resettlement/?country=CAN&hold_reason=", arguments.runs)
    login_ms, _ = timed(anonymous, "/login/", arguments.runs)

    met = board_ms <= TARGET_MS and board_queries <= small_queries
    print(f"database: {connection.vendor}; cases: {arguments.cases:,} (bulk-loaded in {loaded:.1f} s)")
    print(f"board at {first:,} cases:  {small_ms:7.1f} ms, {small_queries} queries")
    print(f"board at {arguments.cases:,} cases: {board_ms:7.1f} ms, {board_queries} queries")
    print(f"board filtered to one country: {filtered_ms:7.1f} ms")
    print(f"bare login page: {login_ms:.1f} ms; board / login page = {board_ms / login_ms:.1f}")
    print(
        f"target <= {TARGET_MS} ms with a query count that does not grow: {'met' if met else 'NOT met'} "
        f"({board_queries} queries at {arguments.cases:,} cases vs {small_queries} at {first:,})"
    )


if __name__ == "__main__":
    main()
