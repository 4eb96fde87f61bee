"""People reached by activities (type × province × month × sex × age group × population group) over 2,000,000
attendance rows.

    .venv/bin/python benchmarks/activities_counts.py [--attendance 2000000] [--postgres URL | --no-postgres]

Loads generated activities, sessions, participants and their attendance into SQLite and PostgreSQL through Liman's
own migrations (the rows go in with SQL, as a bulk load would; each participant's counted facts, which the
attendance services keep, are computed from the same generated attendance). A sample of activities is then
re-counted by the service (`participants_refresh`) to check the loaded facts are what the services would write; the
rollup of people reached is rebuilt from the loaded participants (`reach.reach_rebuild`, timed), and the same
sample, un-counted and counted again through `participants_refresh`, must give the rollup back cell for cell.
Activities are spread over 24 months and the 16 provinces where the mission works (its offices' and the earthquake
zone's), 8 types; participants over 2 sexes, 7 age groups and 3 population groups. Then, for a reporting officer
who reads every office, it times:

- the counts as the page and the export read them (`selectors.people_reached`: for a reader of every office, the
  cells of the rollup the attendance services keep, `ReachTotal`, read in order; for a reader of some offices, one
  GROUP BY over their offices' cells, `ReachCount`), and the published table (`selectors.counts`: the minimum
  cell rule, then labels as rows are read) as the page shows it (its first 200 rows) and as the export writes it
  (every row);
- the same counts computed from the attendance rows instead (distinct participants present, joined to their
  activity), for comparison;
- the baseline, in the same run: a plain `SELECT COUNT(*)` over the attendance table.

Prints each time, its ratio to the baseline and whether the goal (≤ 500 ms) is met. Without `--postgres`, a
throwaway PostgreSQL cluster is started on port 55461 under /tmp/pg_h1 and stopped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
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
GOAL_SECONDS = 0.5
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SESSIONS, PARTICIPANTS = 10, 20  # per activity
TYPES = ["training", "workshop", "course", "social_cohesion", "mhpss_group", "awareness", "community_centre",
         "authorities_training"]  # fmt: skip
#: Where the mission runs activities: the provinces of its offices and the earthquake zone (docs/domain.md), not all 81.
PROVINCES = ["TUR001", "TUR002", "TUR006", "TUR021", "TUR022", "TUR023", "TUR027", "TUR031", "TUR034", "TUR035",
             "TUR044", "TUR046", "TUR063", "TUR065", "TUR079", "TUR080"]  # fmt: skip
AGES = ["0_4", "5_17", "18_59", "18_59", "18_59", "60", "unknown"]
GROUPS = ["syrian_tp", "syrian_tp", "other_foreigner", "host_community"]


@contextlib.contextmanager
def throwaway_postgres(port: int = 55461, base: Path = Path("/tmp/pg_h1")):  # noqa: S108  (the brief's folder)
    """A PostgreSQL cluster under `base`, for one run; yields its URL and is removed afterwards."""
    shutil.rmtree(base, ignore_errors=True)
    data, sockets = base / "data", base / "sockets"
    data.mkdir(parents=True)
    sockets.mkdir()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        for folder in (base, data, sockets):
            shutil.chown(folder, "postgres")

    def run(*command: str) -> None:
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


def _median(run, times: int) -> tuple[float, object]:
    run()  # warm the caches, as a report opened a second time would be
    timings, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def _rows(attendance: int, seed: int, offices: list[int], districts: list[tuple[int, int]], programme: int):
    """Activities, sessions, participants (with their counted facts) and attendance, as tuples of column values."""
    rng = random.Random(seed)
    activities = attendance // (SESSIONS * PARTICIPANTS)
    first_month = datetime.date(2025, 1, 1)
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    out = {"activity": [], "session": [], "participant": [], "attendance": []}
    session_id = participant_id = attendance_id = 0
    for activity_id in range(1, activities + 1):
        kind = rng.choice(TYPES)
        district, province = rng.choice(districts)
        starts = first_month + datetime.timedelta(days=rng.randrange(700))
        days = [starts + datetime.timedelta(days=2 * n) for n in range(SESSIONS)]
        tier = "protection" if kind == "mhpss_group" else "normal"
        office = offices[activity_id % len(offices)]
        out["activity"].append((
            activity_id, office, programme, f"ACT-B-{activity_id:07d}", kind, f"Activity {activity_id}", tier,
            district, province, "", starts, days[-1], "", "", 80, "closed", now,
        ))  # fmt: skip
        session_ids = []
        for number, day in enumerate(days, 1):
            session_id += 1
            session_ids.append((session_id, day))
            out["session"].append((session_id, activity_id, number, day, "", 2))
        for number in range(1, PARTICIPANTS + 1):
            participant_id += 1
            present = [(sid, day) for sid, day in session_ids if rng.random() < 0.85]
            for sid, _day in session_ids:
                attendance_id += 1
                out["attendance"].append((attendance_id, sid, participant_id, office, tier,
                                          (sid, _day) in present, now, False))  # fmt: skip
            first = present[0][1] if present else None
            out["participant"].append((
                participant_id, activity_id, office, tier, number, f"Participant {participant_id}", rng.choice("FM"),
                rng.choice(AGES), "", rng.choice(GROUPS), "", "", "", kind, province, len(present), first,
                first.year * 100 + first.month if first else None, len(present) * 100 >= 80 * SESSIONS, "", now,
                "consent", "",
            ))  # fmt: skip
    return out


COLUMNS = {
    "activity": "id, office_id, programme_id, reference, type, title, participants_tier, district_id, province_id, "
    "venue, starts_on, ends_on, facilitators, target_group, completion_percent, state, created_at",
    "session": "id, activity_id, number, held_on, topic, hours",
    "participant": "id, activity_id, office_id, sensitivity, number, name, sex, age_group, nationality, "
    "population_group, organisation, position, institution, activity_type, province_id, sessions_attended, "
    "reached_on, reached_month, completed, certificate_number, added_at, legal_basis, basis_note",
    "attendance": "id, session_id, participant_id, office_id, sensitivity, present, recorded_at, via_qr",
}


def child(backend: str, attendance: int, seed: int) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "liman.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count

    from liman.activities import selectors, services
    from liman.activities.models import Activity, Attendance, Participant, ReachCount, ReachTotal
    from liman.activities.reach import CELL_FIELDS, keys_of, reach_rebuild, reach_refresh
    from liman.core.models import AdminArea, Office, Programme, RoleGrant, User

    call_command("migrate", verbosity=0)
    districts = list(AdminArea.objects.filter(level=2, parent__pcode__in=PROVINCES).values_list("pk", "parent_id"))
    offices = [
        Office.objects.create(code=f"B{n}", name=f"Bench {n}", type="field", province_id=districts[n][1]).pk
        for n in range(8)
    ]
    programme = Programme.objects.get(code="livelihoods").pk
    started = time.perf_counter()
    generated = _rows(attendance, seed, offices, districts, programme)
    generate_s = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, rows in generated.items():
            name = f"activities_{table}"
            if backend == "postgres":
                with cursor.cursor.copy(f"COPY {name} ({COLUMNS[table]}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(rows[0]))
                sql = f"INSERT INTO {name} ({COLUMNS[table]}) VALUES ({marks})"  # noqa: S608  (this script's names)
                for start in range(0, len(rows), 50_000):
                    cursor.executemany(sql, rows[start : start + 50_000])
        if backend == "postgres":
            for table in generated:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('activities_{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM activities_{table}))"
                )
    del generated
    load_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if backend == "postgres" else "ANALYZE")

    # The rollup of people reached, built from the loaded participants (a bulk load does not go through the
    # attendance services that keep it).
    started = time.perf_counter()
    built = reach_rebuild()
    rollup_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if backend == "postgres" else "ANALYZE")

    # The loaded facts are what the attendance services would keep: re-count a sample and compare.
    sample = list(Activity.objects.order_by("?")[:20])
    before = list(Participant.objects.filter(activity__in=sample).order_by("pk").values_list(
        "sessions_attended", "reached_on", "reached_month", "completed"))  # fmt: skip
    for activity in sample:
        services.participants_refresh(activity=activity)
    after = list(Participant.objects.filter(activity__in=sample).order_by("pk").values_list(
        "sessions_attended", "reached_on", "reached_month", "completed"))  # fmt: skip
    assert before == after, "the generated counted facts differ from the service's"
    # The rollup kept by the services is the rollup rebuilt: the sample un-counted (as if its attendance had not
    # been taken yet), then counted again by `participants_refresh`, gives the same cells as before.
    rollup = sorted(ReachCount.objects.values_list(*CELL_FIELDS, "people"))
    totals = sorted(ReachTotal.objects.values_list(*CELL_FIELDS[1:], "people"))
    sampled = Participant.objects.filter(activity__in=sample)
    keys = keys_of(sampled.values_list("person_id", "pk", "activity_type", "province_id", "reached_month"))
    sampled.update(sessions_attended=0, reached_on=None, reached_month=None, completed=False)
    reach_refresh(keys)
    assert sorted(ReachCount.objects.values_list(*CELL_FIELDS, "people")) != rollup, "the sample counted nothing"
    started = time.perf_counter()
    for activity in sample:
        services.participants_refresh(activity=activity)
    refresh_s = (time.perf_counter() - started) / len(sample)
    assert sorted(ReachCount.objects.values_list(*CELL_FIELDS, "people")) == rollup, "kept and rebuilt rollups differ"
    assert sorted(ReachTotal.objects.values_list(*CELL_FIELDS[1:], "people")) == totals, (
        "kept and rebuilt totals differ"
    )

    user = User.objects.create(username="reporting.bench")
    RoleGrant.objects.create(user=user, role="reporting_officer", office=None)

    # A reader of three of the eight offices: their cells, added up over their offices.
    some = User.objects.create(username="reporting.bench.some")
    for office in offices[:3]:
        RoleGrant.objects.create(user=some, role="reporting_officer", office_id=office)

    def baseline():
        return Attendance.objects.count()

    def some_offices():
        return selectors.people_reached(some)

    def people_reached():
        return selectors.people_reached(user)

    def published():
        # What the page does: the table (counts, the minimum cell rule) and its first page of 200 rows labelled.
        table = selectors.counts(user)
        table.rows[:200]
        return table

    def published_all():
        # What the export does: every row labelled.
        return [list(row.values()) for row in selectors.counts(user).rows]

    def database_only():
        # The selector's own SQL, fetched with the cursor: what the database takes, without Django around it.
        sql, params = selectors.people_reached_query(user).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def from_attendance():
        # The same cells computed from the attendance rows: distinct people present (every generated participant is
        # a light record: a person of their own), by the same dimensions.
        rows = (
            Attendance.objects.filter(present=True)
            .values_list(
                "participant__reached_month",
                "participant__activity_type",
                "participant__province_id",
                "participant__sex",
                "participant__age_group",
                "participant__population_group",
            )  # fmt: skip
            .annotate(n=Count("participant", distinct=True))
            .order_by()
        )
        return list(rows)

    baseline_s, rows = _median(baseline, 5)
    reached_s, cells = _median(people_reached, 5)
    published_s, table = _median(published, 3)
    published_all_s, labelled = _median(published_all, 3)
    assert len(labelled) == len(table.rows)
    attendance_s, raw = _median(from_attendance, 1)
    database_s, fetched = _median(database_only, 5)
    some_s, _some_cells = _median(some_offices, 5)
    assert len(fetched) == len(cells)
    assert sorted(cells) == sorted(raw), "the counted facts and the attendance rows disagree"
    assert table.total == sum(cell[-1] for cell in cells)
    plan = ""
    with connection.cursor() as cursor:
        sql, params = selectors.people_reached_query(user).query.sql_with_params()
        cursor.execute(("EXPLAIN " if backend == "postgres" else "EXPLAIN QUERY PLAN ") + sql, params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    return {"backend": backend, "attendance": rows, "participants": Participant.objects.count(),
            "reached": table.total, "cells": len(cells), "hidden": table.hidden, "generate_s": generate_s,
            "load_s": load_s, "rollup_s": rollup_s, "rollup_cells": built["cells"], "refresh_s": refresh_s,
            "loadavg": os.getloadavg(), "baseline_s": baseline_s, "reached_s": reached_s, "published_s": published_s,
            "published_all_s": published_all_s, "attendance_s": attendance_s, "database_s": database_s,
            "some_s": some_s, "plan": plan}  # fmt: skip


def run_child(backend: str, database_url: str, attendance: int, seed: int, var: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "LIMAN_DEBUG": "0", "LIMAN_VAR_DIR": str(var)}
    output = subprocess.run(  # noqa: S603  (this script, run again as a child)
        [sys.executable, __file__, "--child", backend, "--attendance", str(attendance), "--seed", str(seed)],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(output.stdout.strip().splitlines()[-1])


def report(result: dict) -> None:
    base = result["baseline_s"]
    print(f"\n{result['backend']}: {result['attendance']:,} attendance rows, {result['participants']:,} participants, "
          f"{result['reached']:,} reached in {result['cells']:,} cells ({result['hidden']:,} hidden below k); "
          f"loaded in {result['load_s']:.1f} s")  # fmt: skip
    print(f"  rollup rebuilt from the participants in {result['rollup_s']:.1f} s ({result['rollup_cells']:,} stored "
          f"cells by office); participants_refresh with its rollup upkeep {result['refresh_s'] * 1000:.1f} ms per "
          f"activity; load average {' '.join(f'{value:.2f}' for value in result['loadavg'])}")  # fmt: skip
    print(f"  baseline COUNT(*) over attendance     {base * 1000:8.1f} ms")
    for label, key in (("counts (selectors.people_reached)", "reached_s"),
                       ("  its SQL alone, through the cursor", "database_s"),
                       ("counts for a reader of 3 offices", "some_s"),
                       ("published table, a page of 200 rows", "published_s"),
                       ("  every row labelled (the export)", "published_all_s"),
                       ("same counts from attendance rows", "attendance_s")):  # fmt: skip
        seconds = result[key]
        goal = "goal met" if seconds <= GOAL_SECONDS else "goal NOT met"
        print(f"  {label:37} {seconds * 1000:8.1f} ms  ×{seconds / base:6.1f} baseline  ({goal}: ≤ 500 ms)")
    print(f"  plan: {result['plan']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attendance", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", help="postgres://… of an empty database (default: a throwaway cluster)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.attendance, args.seed), default=str))
        return
    work = Path(tempfile.mkdtemp(prefix="liman-bench-activities-"))
    try:
        print(f"{args.attendance:,} attendance rows ({SESSIONS} sessions × {PARTICIPANTS} participants per activity)")
        report(run_child("sqlite", f"sqlite:///{work / 'bench.sqlite3'}", args.attendance, args.seed, work))
        if not args.no_postgres:
            with contextlib.ExitStack() as stack:
                url = args.postgres or stack.enter_context(throwaway_postgres())
                report(run_child("postgres", url, args.attendance, args.seed, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
