"""The DTM dashboards over 1,000,000 flow and presence records: the main aggregate (province × month ×
nationality) and one operation's whole dashboard.

    .venv/bin/python benchmarks/dtm_aggregate.py [--rows 1000000] [--postgres URL]

Loads the same generated records into SQLite and PostgreSQL (through Liman's own models and migrations, every
flow-monitoring point and presence figure in one operation) and into DuckDB. The counts go in with SQL, around
the services, as a bulk load would; the monthly flow rollup (FlowMonthly) is then rebuilt, as
`liman dtm-rollup rebuild` does after such a load. Then it times, for a reporting officer who sees every office:

- the main aggregate as the selectors compute it (`flow_by_province_month_nationality`, read from the rollup,
  and `presence_by_province_month_nationality`), and the same from the raw flow counts (their covering index);
- the operation's dashboard (`selectors.dashboard`: every chart, the map, the totals), and its flow parts read
  from the raw flow counts instead of the rollup (how the dashboard read them before the rollup);
- the same GROUP BYs in DuckDB, the baseline measured in the same run.

Prints each time, its ratio to DuckDB's, and whether the goal (≤ 1 s) is met. Without `--postgres`, a
throwaway PostgreSQL cluster is started on port 55442 (Debian's postgresql-15, as `.ci/run`
starts its own) and stopped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 1.0
PG_BIN = Path("/usr/lib/postgresql/15/bin")
NATIONALITIES = ["SYR", "AFG", "IRQ", "IRN", "PAK", "SOM", "PSE", "ERI", "BGD", "TKM", "UZB", "MAR", "DZA", "EGY",
                 "YEM", "SDN", "NGA", "GIN", "CMR", "COD", "LBY", "TUN", "JOR", "LBN", "GEO"]  # fmt: skip
FLOW_SHARE = 0.8  # of the records: flow counts; the rest are presence figures


# --- a throwaway PostgreSQL ---------------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_postgres(port: int = 55442):
    """A PostgreSQL cluster in a temporary folder, for one run; yields its URL and is removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="liman-bench-pg-"))
    data, sockets = base / "data", base / "sockets"
    data.mkdir()
    sockets.mkdir()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
        shutil.chown(sockets, "postgres")

    def run(*command: str) -> None:
        # Fixed programs and arguments of this script: nothing comes from outside.
        subprocess.run([*as_postgres, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603

    initdb, pg_ctl, psql = (str(PG_BIN / name) for name in ("initdb", "pg_ctl", "psql"))
    run(initdb, "-D", str(data), "-U", "postgres", "--auth-local=trust", "--auth-host=trust", "-E", "UTF8",
        "--locale=C.UTF-8")  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=256MB"
    run(pg_ctl, "-D", str(data), "-w", "-l", str(base / "log"), "-o", options, "start")
    try:
        role, database = "CREATE ROLE liman LOGIN CREATEDB PASSWORD 'liman'", "CREATE DATABASE liman OWNER liman"
        run(psql, "-h", str(sockets), "-p", str(port), "-U", "postgres", "-c", role, "-c", database)
        yield f"postgres://liman:liman@127.0.0.1:{port}/liman"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            run(pg_ctl, "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(base, ignore_errors=True)


# --- the records --------------------------------------------------------------------------------------------


def generate(rows: int, seed: int, points: list[tuple[str, str]], provinces: list[str], path: Path) -> None:
    """Flow counts and presence figures as CSV (by codes, not ids): the same data for every database."""
    rng = random.Random(seed)
    months = [datetime.date(year, month, 1) for year in (2022, 2023, 2024) for month in range(1, 13)]
    flows = int(rows * FLOW_SHARE)
    with (path / "flows.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        for _ in range(flows):
            point, province = rng.choice(points)
            month = rng.choice(months)
            day = month + datetime.timedelta(days=rng.randrange(28))
            age = rng.choice(("0_4", "5_17", "18_59", "60"))
            nationality, sex, individuals = rng.choice(NATIONALITIES), rng.choice("FM"), rng.randint(1, 60)
            writer.writerow([point, province, day.isoformat(), month.isoformat(), nationality, sex, age, individuals])
    groups = ["temporary_protection", "international_protection", "residence_permit", "irregular"]
    cells = [(m, p, g, n) for m in months for p in provinces for g in groups for n in NATIONALITIES]
    rng.shuffle(cells)
    with (path / "presence.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        for month, province, group, nationality in cells[: rows - flows]:
            writer.writerow([month.isoformat(), province, group, nationality, "pmm", rng.randint(10, 50_000)])


# --- one database (a child process: one Django settings per process) --------------------------------------


def _median(run, times: int) -> tuple[float, object]:
    run()  # warm the caches, as a dashboard opened a second time would be
    timings, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def child(backend: str, data_dir: Path) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "liman.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Sum

    from liman.core.models import AdminArea, Office, RoleGrant, User
    from liman.dtm import selectors, services
    from liman.dtm.models import FlowCount, FlowMonitoringPoint, Operation

    call_command("migrate", verbosity=0)
    spec = json.loads((data_dir / "spec.json").read_text())
    areas = dict(AdminArea.objects.values_list("pcode", "id"))
    office = Office.objects.create(code="BEN", name="Benchmark office", type="field", province_id=areas["TUR006"])
    operation = Operation.objects.create(
        office=office, code="BENCH-FM", name="Benchmark flow monitoring", kind="flow",
        started_on=datetime.date(2022, 1, 1),
    )  # fmt: skip
    point_ids = {}
    for code, district in spec["points"]:
        point = FlowMonitoringPoint.objects.create(
            office=office, operation=operation, code=code, name=code, type="transit_point",
            district_id=areas[district], province_id=areas[district[:6]],
        )  # fmt: skip
        point_ids[code] = point.pk

    started = time.perf_counter()
    flow_rows = (
        (office.pk, point_ids[p], day, month, areas[p_province[:6]], "outgoing", nat, sex, age, n)
        for p, p_province, day, month, nat, sex, age, n in csv.reader((data_dir / "flows.csv").open())
    )
    presence_rows = (
        (office.pk, operation.pk, month, areas[province], group, nat, source, n)
        for month, province, group, nat, source, n in csv.reader((data_dir / "presence.csv").open())
    )
    flow_sql = (
        "INSERT INTO dtm_flowcount (office_id, point_id, counted_on, month, province_id, direction, "
        "nationality, sex, age_group, individuals) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    presence_sql = (
        "INSERT INTO dtm_presencefigure (office_id, operation_id, period, province_id, population_group, "
        "nationality, source, individuals) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if backend == "postgres":
            with cursor.cursor.copy(
                "COPY dtm_flowcount (office_id, point_id, counted_on, month, province_id, direction, nationality, "
                "sex, age_group, individuals) FROM STDIN"
            ) as copy:
                for row in flow_rows:
                    copy.write_row(row)
            with cursor.cursor.copy(
                "COPY dtm_presencefigure (office_id, operation_id, period, province_id, population_group, "
                "nationality, source, individuals) FROM STDIN"
            ) as copy:
                for row in presence_rows:
                    copy.write_row(row)
        else:
            batch = []
            for row in flow_rows:
                batch.append(row)
                if len(batch) == 50_000:
                    cursor.executemany(flow_sql, batch)
                    batch.clear()
            cursor.executemany(flow_sql, batch)
            cursor.executemany(presence_sql, list(presence_rows))
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    cells = services.flow_monthly_rebuild()
    rollup_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        # What autovacuum does on a live PostgreSQL after a bulk load: statistics, and the visibility map
        # an index-only scan needs.
        cursor.execute("VACUUM ANALYZE" if backend == "postgres" else "ANALYZE")

    user = User.objects.create(username="reporting.bench")
    RoleGrant.objects.create(user=user, role="reporting_officer", office=None)
    everything = selectors.DashboardFilters()

    def main_aggregate():
        flows = selectors.flow_by_province_month_nationality(user)
        presence = selectors.presence_by_province_month_nationality(user)
        return len(flows), len(presence), sum(row[3] for row in flows) + sum(row[3] for row in presence), flows

    def main_aggregate_raw():
        # The flow half as it was read before the rollup: the raw counts, through their covering index.
        rows = list(
            selectors.flows_for(user, operation=None, filters=everything)
            .order_by()
            .values_list("province__pcode", "month", "nationality")
            .annotate(n=Sum("individuals"))
        )
        presence = selectors.presence_by_province_month_nationality(user)
        return len(rows), len(presence), sum(row[3] for row in rows) + sum(row[3] for row in presence), rows

    def dashboard():
        data = selectors.dashboard(user, operation, everything)
        return data["totals"]["flows"], data["totals"]["present"]

    def dashboard_flows_raw():
        # The dashboard's four flow reads as they were made before the rollup: over every count of the operation.
        flows = FlowCount.objects.filter(point__operation=operation).order_by()
        list(flows.values_list("province_id", "point__district_id").annotate(n=Sum("individuals")))
        by_month = dict(flows.values_list("month").annotate(n=Sum("individuals")))
        dict(flows.values_list("nationality").annotate(n=Sum("individuals")))
        list(flows.values_list("sex", "age_group").annotate(n=Sum("individuals")))
        return sum(by_month.values())

    main_s, main = _median(main_aggregate, 5)
    raw_s, raw = _median(main_aggregate_raw, 3)
    assert sorted(main[3]) == sorted(raw[3]), "the rollup and the flow counts disagree"
    dashboard_s, totals = _median(dashboard, 5)
    flows_raw_s, flows_total = _median(dashboard_flows_raw, 1)
    assert totals[0] == flows_total, "the dashboard's flows and the flow counts disagree"
    return {"backend": backend, "load_s": load_seconds, "rollup_s": rollup_seconds, "rollup_cells": cells,
            "median_s": main_s, "raw_s": raw_s, "dashboard_s": dashboard_s, "dashboard_flows_raw_s": flows_raw_s,
            "cells": main[:2], "individuals": main[2], "totals": list(totals)}  # fmt: skip


def duckdb_run(data_dir: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE flows AS SELECT * FROM read_csv(?, header=false, columns={'point': 'VARCHAR', "
        "'district': 'VARCHAR', 'day': 'DATE', 'month': 'DATE', 'nationality': 'VARCHAR', 'sex': 'VARCHAR', "
        "'age_group': 'VARCHAR', 'individuals': 'INTEGER'})",
        [str(data_dir / "flows.csv")],
    )
    con.execute("ALTER TABLE flows ADD COLUMN province VARCHAR")
    con.execute("UPDATE flows SET province = substr(district, 1, 6)")
    con.execute(
        "CREATE TABLE presence AS SELECT * FROM read_csv(?, header=false, columns={'period': 'DATE', "
        "'province': 'VARCHAR', 'population_group': 'VARCHAR', 'nationality': 'VARCHAR', 'source': 'VARCHAR', "
        "'individuals': 'INTEGER'})",
        [str(data_dir / "presence.csv")],
    )

    def aggregate():
        flows = con.execute("SELECT province, month, nationality, SUM(individuals) FROM flows GROUP BY ALL").fetchall()
        presence = con.execute(
            "SELECT province, period, nationality, SUM(individuals) FROM presence GROUP BY ALL"
        ).fetchall()
        return len(flows), len(presence), sum(row[3] for row in flows) + sum(row[3] for row in presence)

    def dashboard():
        # The dashboard's reads: flows by district, month, nationality, sex and age; presence by month, and the
        # latest month by nationality and by province.
        for sql in (
            "SELECT province, district, SUM(individuals) FROM flows GROUP BY ALL",
            "SELECT month, SUM(individuals) FROM flows GROUP BY ALL",
            "SELECT nationality, SUM(individuals) FROM flows GROUP BY ALL",
            "SELECT sex, age_group, SUM(individuals) FROM flows GROUP BY ALL",
            "SELECT period, SUM(individuals) FROM presence GROUP BY ALL",
            "SELECT nationality, SUM(individuals) FROM presence WHERE period = (SELECT max(period) FROM presence) "
            "GROUP BY ALL",
            "SELECT province, SUM(individuals) FROM presence WHERE period = (SELECT max(period) FROM presence) "
            "GROUP BY ALL",
        ):
            con.execute(sql).fetchall()

    main_s, result = _median(aggregate, 5)
    dashboard_s, _ = _median(dashboard, 5)
    return {"backend": "duckdb", "median_s": main_s, "dashboard_s": dashboard_s, "cells": result[:2],
            "individuals": result[2]}  # fmt: skip


def run_child(backend: str, data_dir: Path, database_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "LIMAN_DEBUG": "0", "LIMAN_VAR_DIR": str(data_dir / "var")}
    output = subprocess.run(  # noqa: S603  (this script, run again as a child)
        [sys.executable, __file__, "--child", backend, "--data", str(data_dir)],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", help="postgres://… of a database to use (default: a throwaway cluster)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.data))))
        return

    sys.path.insert(0, str(ROOT))
    data_dir = Path(tempfile.mkdtemp(prefix="liman-bench-dtm-"))
    try:
        gazetteer = ROOT / "liman" / "core" / "data" / "geo" / "tur_adm2_gazetteer.csv"
        districts = [row["adm2_pcode"] for row in csv.DictReader(gazetteer.open(encoding="utf-8"))]
        rng = random.Random(args.seed)
        points = [(f"P{n:03d}", district) for n, district in enumerate(rng.sample(districts, 300))]
        provinces = sorted({district[:6] for district in districts})
        (data_dir / "spec.json").write_text(json.dumps({"points": points}))
        print(f"Generating {args.rows:,} records ({FLOW_SHARE:.0%} flow counts, the rest presence figures)…")
        generate(args.rows, args.seed, points, provinces, data_dir)

        results = [run_child("sqlite", data_dir, f"sqlite:///{data_dir / 'bench.sqlite3'}")]
        print(f"  sqlite loaded in {results[-1]['load_s']:.1f} s, rollup rebuilt in {results[-1]['rollup_s']:.1f} s "
              f"({results[-1]['rollup_cells']:,} cells)")  # fmt: skip
        with contextlib.ExitStack() as stack:
            url = args.postgres or stack.enter_context(throwaway_postgres())
            results.append(run_child("postgres", data_dir, url))
            print(f"  postgres loaded in {results[-1]['load_s']:.1f} s, rollup rebuilt in "
                  f"{results[-1]['rollup_s']:.1f} s")  # fmt: skip
        duck = duckdb_run(data_dir)
        cells = {result["cells"][0] + result["cells"][1] for result in [*results, duck]}
        totals = {result["individuals"] for result in [*results, duck]}
        assert len(cells) == 1 and len(totals) == 1, f"the databases disagree: {results} {duck}"

        def verdict(seconds: float) -> str:
            return f"{'meets' if seconds <= GOAL_SECONDS else 'MISSES'} the goal of ≤ {GOAL_SECONDS:.0f} s"

        print(f"\nMain aggregate, province × month × nationality over {args.rows:,} records "
              f"({next(iter(cells)):,} cells), median of 5 runs:")  # fmt: skip
        for result in results:
            ratio = result["median_s"] / duck["median_s"]
            print(f"  {result['backend']:<9} {result['median_s'] * 1000:8.0f} ms   {ratio:6.1f} × DuckDB   "
                  f"{verdict(result['median_s'])}   (flows from the raw counts: "
                  f"{result['raw_s'] * 1000:.0f} ms)")  # fmt: skip
        print(f"  {'duckdb':<9} {duck['median_s'] * 1000:8.0f} ms      1.0 × DuckDB   (baseline, same data, same run)")
        print("\nOne operation's dashboard (every chart, map and total over all its records), median of 5 runs:")
        for result in results:
            ratio = result["dashboard_s"] / duck["dashboard_s"]
            print(f"  {result['backend']:<9} {result['dashboard_s'] * 1000:8.0f} ms   {ratio:6.1f} × DuckDB   "
                  f"{verdict(result['dashboard_s'])}   (its flow reads from the raw counts instead: "
                  f"{result['dashboard_flows_raw_s'] * 1000:,.0f} ms)")  # fmt: skip
        baseline = "1.0 × DuckDB   (baseline, same data, same run)"
        print(f"  {'duckdb':<9} {duck['dashboard_s'] * 1000:8.0f} ms      {baseline}")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
