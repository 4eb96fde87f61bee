"""The 3RP 4W of one month over a large synthetic registry, against the goal of ≤ 5 s.

    .venv/bin/python benchmarks/report_4w.py [--people 1000000] [--receipts 5000000] [--seed 7] [--postgres URL]
                                             [--reuse [SQLITE_FILE]] [--repeat 3]

Builds, in a throwaway SQLite file (or, with `--postgres URL`, in the empty database the URL names), one office,
`--people` people in households of 1–8 members in 40 districts (Syrians under temporary protection, other
nationalities, some Turkish citizens; a tenth with a disability assessment), and `--receipts` received
distribution entitlements spread over the twelve months of the year (one plan per month, every household at most
once per plan; a twelfth more households arrive each month), written with SQL around the services (a
bulk load). Then it times, for the last month of the year (the one whose "not reached earlier this year" set is
the largest):

1. the figure: `fourw.office_lines` + `fourw.table`, as the page, the export and `liman report 4w` compute it (new
   people of the month only, each once, by district × population group × sex and age, with disability);
2. the baseline, in the same run: one GROUP BY that counts the distinct members of households that received in the
   month by district and sex (no "new only", no population group, no age): the floor of reading the same rows.

Before timing, the stored first reaches of the year are built (reporting.reach; timed and printed): the bulk load
bypasses the audit log from which the 4W keeps them up to date. With `--computed`, the 4W is also computed once from
the records (no stored first reaches), and the two tables compared.

With `--reuse`, the database of an earlier run (the `--postgres` database, or the SQLite file named) is timed as
it is, without loading again (16 minutes at 1,000,000 people on SQLite): migrated, its statistics refreshed, and
its first reaches rebuilt only when they are not stored or are stale.

Prints each (median of `--repeat` runs after a warm one, 3 by default), the ratio of the figure to the baseline, the
load average and whether the goal is met.
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
GOAL_SECONDS = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--receipts", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--computed", action="store_true", help="also time the 4W computed from the records")
    parser.add_argument("--postgres", default="", help="URL of an empty PostgreSQL database (its tables are made)")
    parser.add_argument(
        "--reuse", nargs="?", const="", default=None, metavar="SQLITE_FILE",
        help="time the database an earlier run loaded (the --postgres database, or this SQLite file) without loading",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each, after a warm one (median)")
    args = parser.parse_args()
    if args.reuse is not None and not (args.postgres or args.reuse):
        parser.error("--reuse needs the SQLite file of an earlier run, or --postgres URL")
    if args.reuse:
        sqlite_file = Path(args.reuse).resolve()
        if not sqlite_file.is_file():
            parser.error(f"--reuse: no SQLite file at {sqlite_file}")
        folder = sqlite_file.parent  # the earlier run's folder (its field keys)
    else:
        folder = Path(tempfile.mkdtemp(prefix="liman-bench-4w-"))
        sqlite_file = folder / "bench.sqlite3"
    os.environ["DATABASE_URL"] = args.postgres or f"sqlite:///{sqlite_file}"
    os.environ.setdefault("LIMAN_VAR_DIR", str(folder))
    os.environ["DJANGO_SETTINGS_MODULE"] = "liman.settings"
    os.environ["LIMAN_DEBUG"] = "false"  # no query log kept, as in production
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from liman.core import dbstats

    call_command("migrate", verbosity=0)
    from liman.assistance.models import Entitlement
    from liman.registry.models import Person
    from liman.reporting import fourw, reach
    from liman.reporting.models import FirstReach, ReachState

    started = time.perf_counter()
    if args.reuse is None:
        office, month = load(args.people, args.receipts, random.Random(args.seed))
        loaded = f"loaded in {time.perf_counter() - started:.0f} s"
    else:
        office, month = loaded_earlier()
        loaded = f"loaded by an earlier run, reused ({connection.settings_dict['NAME']})"
    print(f"{connection.vendor}: {Person.objects.count():,} people, {Entitlement.objects.count():,} receipts "
          f"{loaded}")  # fmt: skip

    # The stored first reaches (reporting.reach): built once after the bulk load (which bypasses the audit log the
    # 4W otherwise keeps them up to date from), as `liman report rebuild-reach` does.
    built = ReachState.objects.filter(year=month.year, project=None, stale=False)
    if args.reuse is not None and set(built.values_list("measure_key", flat=True)) >= set(reach.stored_measures()):
        rows = FirstReach.objects.filter(year=month.year).count()
        print(f"first reaches for {month.year}: {rows:,} rows stored by the earlier run")
    else:
        started = time.perf_counter()
        stored = sum(reach.rebuild(key, month.year) for key in reach.stored_measures())
        print(f"first reaches stored for {month.year}: {stored:,} rows in {time.perf_counter() - started:.1f} s")

    def figure():
        geography = fourw.Geography()
        return fourw.table(month, fourw.office_lines(month, [office.pk], geography=geography), geography=geography)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT h.district_id, p.sex, COUNT(DISTINCT p.id) FROM assistance_entitlement e "
                "JOIN registry_household h ON h.id = e.household_id "
                "JOIN registry_householdmember m ON m.household_id = h.id "
                "JOIN registry_person p ON p.id = m.person_id "
                "JOIN assistance_distributionplan d ON d.id = e.plan_id "
                "WHERE e.state = 'received' AND e.received_at >= %s AND e.received_at < %s AND d.office_id = %s "
                "GROUP BY h.district_id, p.sex",
                [midnight(month), midnight(fourw.next_month(month)), office.pk],
            )
            return cursor.fetchall()

    if args.reuse is not None:
        started = time.perf_counter()
        dbstats.refresh_statistics()
        print(f"planner statistics refreshed in {time.perf_counter() - started:.1f} s")
    load_before = os.getloadavg()
    base_time, base_cpu, base_rows = timed(baseline, args.repeat)
    figure_time, figure_cpu, table = timed(figure, args.repeat)
    load_after = os.getloadavg()
    if args.computed:
        # The same 4W computed from the records (no stored first reaches): one run, to compare.
        from liman.reporting.models import ReachState

        ReachState.objects.all().delete()
        started = time.perf_counter()
        computed = figure()
        print(f"4W computed from the records (no stored first reaches, one run): "
              f"{time.perf_counter() - started:.2f} s, same table: {computed == table}")  # fmt: skip
    people = sum(row[16] for row in table[1:])
    print(f"baseline (distinct members by district × sex, one GROUP BY): {base_time:.2f} s "
          f"(CPU {base_cpu:.2f} s), {len(base_rows)} cells")  # fmt: skip
    print(f"4W of {month:%Y-%m}: {figure_time:.2f} s (CPU {figure_cpu:.2f} s), {len(table) - 1} rows, "
          f"{people:,} new people; "
          f"ratio to baseline {figure_time / base_time:.2f}×; goal ≤ {GOAL_SECONDS:.0f} s "
          f"{'met' if figure_time <= GOAL_SECONDS else 'NOT met'}")  # fmt: skip
    print(f"load average (1, 5, 15 min) before the timings {', '.join(f'{n:.1f}' for n in load_before)}, after "
          f"{', '.join(f'{n:.1f}' for n in load_after)}")  # fmt: skip
    return 0


def loaded_earlier():
    """The office and month of a database an earlier run loaded (`--reuse`)."""
    from django.db.models import Max

    from liman.assistance.models import DistributionPlan
    from liman.core.models import Office

    office = Office.objects.filter(code="BEN").first()
    if office is None:
        raise SystemExit("--reuse: this database holds no load of benchmarks/report_4w.py (no office BEN)")
    last = DistributionPlan.objects.filter(office=office).aggregate(last=Max("starts_on"))["last"]
    return office, last.replace(day=1)


def midnight(day):
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def timed(run, repeat: int = 3) -> tuple[float, float, object]:
    """Median wall time of `repeat` runs after a warm one, and the median CPU time of this process beside it (what
    the work costs whatever else the machine runs; the database is in this process for SQLite, not for PostgreSQL)."""
    run()
    timings, cpu, result = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = run()
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(timings), statistics.median(cpu), result


def load(people: int, receipts: int, rng: random.Random):
    """The office, its people, households and receipts of last year, written with SQL around the services (the bulk
    loader of benchmarks/cash_targeting.py: executemany on SQLite, COPY on PostgreSQL, indexes built after)."""
    import cash_targeting as common
    from django.db import transaction
    from django.utils import timezone

    from liman.assistance.models import DistributionPlan, Entitlement, StockLocation
    from liman.core.models import AdminArea, Office
    from liman.registry.models import DisabilityAssessment, Household, HouseholdMember, LegalStatus, Person
    from liman.reporting.demo import MAPPING
    from liman.reporting.models import ThreeRPMapping

    for key, (sector, code, indicator, activity) in MAPPING.items():
        ThreeRPMapping.objects.get_or_create(
            measure_key=key,
            defaults={"sector": sector, "indicator_code": code, "indicator": indicator, "activity": activity},
        )
    districts = list(AdminArea.objects.filter(level=2).order_by("pcode").values_list("pk", flat=True))
    districts = rng.sample(districts, 40)
    office = Office.objects.create(code="BEN", name="Benchmark", type="field",
                                   province=AdminArea.objects.get(pcode="TUR027"))  # fmt: skip
    year = timezone.localdate().year - 1
    with transaction.atomic():
        warehouse = StockLocation.objects.create(office=office, name="Warehouse")
        site = StockLocation.objects.create(office=office, name="Site", kind="site")

        def plan(month_number: int, round_number: int) -> DistributionPlan:
            suffix = "" if round_number == 1 else f"-{round_number}"
            return DistributionPlan.objects.create(
                office=office, reference=f"BEN-{month_number:02d}{suffix}",
                name=f"Month {month_number}" if round_number == 1 else "Round", project_code="BENCH",
                warehouse=warehouse, site=site, starts_on=datetime.date(year, month_number, 1),
                ends_on=datetime.date(year, month_number, 28), state="closed",
            )  # fmt: skip

        plans = [plan(m, 1) for m in range(1, 13)]
    sizes: list[int] = []
    n = 0
    while n < people:
        size = min(rng.randint(1, 8), people - n)
        sizes.append(size)
        n += size
    statuses = {"SYR": "temporary_protection", "TUR": "turkish_citizen"}
    models = [Person, Household, HouseholdMember, LegalStatus, DisabilityAssessment, Entitlement]
    with common.BulkLoader(models) as loader:
        rows = loader.table(Person, ["id", "office", "reference", "first_name", "family_name", "sex", "birth_date",
                                     "nationality"])  # fmt: skip
        homes = loader.table(Household, ["id", "office", "reference", "head", "district"])
        members = loader.table(HouseholdMember, ["id", "household", "person", "relationship", "joined_on"])
        legal = loader.table(LegalStatus, ["id", "person", "status", "started_on"])
        disability = loader.table(DisabilityAssessment, ["id", "person", "seeing", "hearing", "walking",
                                                         "remembering", "self_care", "communicating",
                                                         "has_disability"])  # fmt: skip
        person_id = assessment_id = 0
        for home, size in enumerate(sizes, start=1):
            head = person_id + 1
            for i in range(size):
                person_id += 1
                nationality = rng.choices(["SYR", "AFG", "IRQ", "TUR"], [85, 6, 4, 5])[0]
                born = datetime.date(year - (rng.randint(18, 70) if i < 2 else rng.randint(0, 17)),
                                     rng.randint(1, 12), 1)  # fmt: skip
                rows.add(person_id, office.pk, f"B{person_id:09d}", "X", "Y", rng.choice("FM"), born, nationality)
                members.add(person_id, home, person_id, "head" if i == 0 else "child", datetime.date(year, 1, 1))
                legal.add(person_id, person_id, statuses.get(nationality, "international_protection_applicant"),
                          datetime.date(2018, 1, 1))  # fmt: skip
                if person_id % 10 == 1:
                    assessment_id += 1
                    disability.add(assessment_id, person_id, 3, 1, 1, 1, 1, 1, True)
            homes.add(home, office.pk, f"H{home:09d}", head, rng.choice(districts))
        # Receipts: each plan (month) serves a random share of the households, `receipts` in all. Households arrive
        # through the year (a twelfth more each month), so each month has new people; a month has as many
        # distributions (plans) as it takes to give out its share (one receipt per household per plan).
        entitlements = loader.table(Entitlement, ["id", "plan", "household", "household_size", "state",
                                                  "received_at"])  # fmt: skip
        per_month = max(1, receipts // 12)
        entitlement_id = 0
        for month_number in range(1, 13):
            arrived = max(1, len(sizes) * month_number // 12)
            left, round_number = per_month, 0
            while left > 0:
                round_number += 1
                this = plans[month_number - 1] if round_number == 1 else plan(month_number, round_number)
                served = min(arrived, left)
                left -= served
                opens = midnight(this.starts_on)
                for i in rng.sample(range(arrived), served):
                    entitlement_id += 1
                    received = opens + datetime.timedelta(days=rng.randint(0, 27), hours=10)
                    entitlements.add(entitlement_id, this.pk, i + 1, sizes[i], "received", received)
        for writer in (rows, homes, members, legal, disability, entitlements):
            writer.flush()
    return office, datetime.date(year, 12, 1)


if __name__ == "__main__":
    sys.exit(main())
