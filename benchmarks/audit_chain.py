"""How many audited writes a second the audit chain takes: every audited write and audited page view appends to one
hash chain under one lock (the chain's head row), so its rate is the ceiling of audited writes for every web server.

    .venv/bin/python benchmarks/audit_chain.py [--threads 1,4,16] [--seconds 10] [--postgres URL]

Runs on the empty PostgreSQL database `--postgres` names (its tables are made), or a throwaway SQLite file. For each
number of threads (each its own connection, as a web thread has): every thread appends events for `--seconds`
seconds, each in its own transaction, as `audit.record` does for a page view (a person's record, sealed and chained).

Baseline, measured in the same run with the same threads: the same rows written without the chain (an INSERT of a
row of the same size into a table of the same shape, and a commit): what the database takes without the lock.
Prints events per second, the ratio to the baseline, and checks the chain is intact afterwards (`audit.verify`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_threads(threads: int, seconds: float, work) -> int:
    """`work(stop_at)` in each thread, each with its own connection; the total count of what they did."""
    from django.db import connection

    counts: list[int] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(work(time.perf_counter() + seconds))
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(counts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,4,16", help="comma-separated thread counts")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", default="", help="URL of an empty PostgreSQL database (its tables are made)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="liman-bench-audit-"))
    os.environ["DATABASE_URL"] = args.postgres or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("LIMAN_VAR_DIR", str(folder))
    os.environ["DJANGO_SETTINGS_MODULE"] = "liman.settings"
    os.environ["LIMAN_DEBUG"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from liman.core import audit
    from liman.core.choices import AuditAction
    from liman.core.models import AuditEvent

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_plain AS SELECT * FROM core_auditevent WHERE 1 = 0")
    columns = [field.column for field in AuditEvent._meta.concrete_fields if field.column != "id"]
    sample = audit.record(AuditAction.VIEW, object_type="registry.person", object_id="1", object_repr="IST-SAMPLE")
    row = [getattr(sample, field.attname) for field in AuditEvent._meta.concrete_fields if field.column != "id"]
    plain_sql = f"INSERT INTO bench_plain ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 (column names from the model)
    print(f"{connection.vendor}: an event is {len(str(row))} characters of columns; {args.seconds:.0f} s per run")

    def chained(stop_at: float) -> int:
        done = 0
        while time.perf_counter() < stop_at:
            audit.record(
                AuditAction.VIEW, object_type="registry.person", object_id=str(done), object_repr="IST-K82UHPSN",
                reason="person page", ip_address="127.0.0.1",
            )  # fmt: skip
            done += 1
        return done

    def plain(stop_at: float) -> int:
        done = 0
        while time.perf_counter() < stop_at:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(plain_sql, [value if not isinstance(value, dict) else "{}" for value in row])
            done += 1
        return done

    print(f"{'threads':>7}  {'chained events/s':>16}  {'plain inserts/s':>15}  ratio")
    for threads in [int(value) for value in args.threads.split(",")]:
        base = run_threads(threads, args.seconds, plain) / args.seconds
        figure = run_threads(threads, args.seconds, chained) / args.seconds
        print(f"{threads:>7}  {figure:>16,.0f}  {base:>15,.0f}  {figure / base:.2f}")
    problems = audit.verify()
    print(f"chain: {AuditEvent.objects.count():,} events, {'intact' if not problems else problems[0].message}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
