"""Benchmark: a 100,000-row people CSV staged (read, every row checked, staged rows stored) and committed.

Target: at least 5,000 rows/s for staging and commit together. Prints that figure and its ratio to a plain
`csv.reader` pass over the same file, measured in the same run (the floor no import can go below).

Runs on a throwaway SQLite database in a temporary folder; with DATABASE_URL set it runs there instead, and
that database must be one you can throw away (the script migrates it and adds rows):

    .venv/bin/python benchmarks/import_people.py [--rows 100000] [--seed 7] [--profile FILE]

It also prints the share of the person search's keys and of the registry's possible-duplicate checks (other
modules' work the import calls), and this process's CPU time (the wall clock on a shared machine counts other
processes' turns). `--profile FILE` writes a cProfile of the import (`python -m pstats FILE`).

The people go into a new office of an empty registry: the duplicate checks look every row up (names, phones,
foreigner IDs) but find no one to score.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_NAMES_M = ["Ahmad", "Mohammed", "Muhammad", "Abdulrahman", "Omar", "Khaled", "Hassan", "Ali", "Yusuf", "Mahmoud"]
FIRST_NAMES_F = ["Fatima", "Aisha", "Maryam", "Zainab", "Huda", "Rania", "Layla", "Nour", "Amina", "Sara"]
FAMILY_NAMES = [
    "Al-Hassan",
    "Al-Ahmad",
    "Haddad",
    "Khalil",
    "Darwish",
    "O'Brien",
    "Rahimi",
    "Ahmadi",
    "Karimi",
    "Nasser",
]
ORIGINAL = ["محمد", "أحمد", "فاطمة", "محمد\u200cرضا", "زهرا", ""]
NATIONALITIES = ["SYR"] * 6 + ["AFG", "IRQ", "IRN", "PAK", "SOM", "PSE"]
STATUSES = ["temporary_protection"] * 5 + ["international_protection_applicant", "residence_permit_humanitarian"]
RELATIONSHIPS = ["spouse", "child", "child", "child", "parent", "sibling", "grandchild", "other_relative"]
COLUMNS = [
    "first_name",
    "father_name",
    "family_name",
    "sex",
    "birth_date",
    "nationality",
    "phone",
    "foreigner_id",
    "household_ref",
    "relationship",
    "legal_status",
    "original_name",
]


def write_people_csv(path: Path, rows: int, seed: int) -> None:
    from liman.registry.identifiers import ykn_with_checksum

    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        written, household = 0, 0
        while written < rows:
            household += 1
            size = min(rng.randint(1, 7), rows - written)
            family = rng.choice(FAMILY_NAMES)
            nationality = rng.choice(NATIONALITIES)
            # No two members share a first name, so no row is taken for another member twice over.
            names = rng.sample([("M", name) for name in FIRST_NAMES_M] + [("F", name) for name in FIRST_NAMES_F], size)
            for member, (sex, first) in enumerate(names):
                year = rng.randint(1950, 2024)
                born = str(year) if rng.random() < 0.2 else f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                phone = f"05{rng.randint(30, 59)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
                ykn = ykn_with_checksum(f"99{written:07d}") if rng.random() < 0.5 else ""
                writer.writerow(
                    [
                        first,
                        rng.choice(FIRST_NAMES_M),
                        family,
                        sex,
                        born,
                        nationality,
                        phone if rng.random() < 0.7 else "",
                        ykn,
                        f"HH-{household:06d}",
                        "head" if member == 0 else rng.choice(RELATIONSHIPS),
                        rng.choice(STATUSES),
                        rng.choice(ORIGINAL),
                    ]
                )
                written += 1


def plain_read(path: Path) -> float:
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as stream:
        count = sum(1 for _row in csv.reader(stream))
    elapsed = time.perf_counter() - started
    assert count > 1
    return elapsed


def _time_calls(module, names: tuple[str, ...]) -> list[float]:
    """Time the calls of other modules' functions during the import, to show their share: the person search's
    indexing of the new people, the duplicate checks the registry runs on an import's rows."""
    spent: list[float] = []
    for name in names:
        original = getattr(module, name, None)
        if original is None:
            continue

        def timed(*args, _original=original, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[:] = [(spent[0] if spent else 0.0) + time.perf_counter() - started]

        setattr(module, name, timed)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--profile", metavar="FILE", help="Write a cProfile of the import (stage and commit) to FILE (pstats format)."
    )
    arguments = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="liman-bench-import-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)  # the database and the file are throwaway
    os.environ["LIMAN_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liman.settings")
    # As production runs: with DEBUG on, Django also formats and keeps every query, a few seconds more here.
    os.environ.setdefault("LIMAN_DEBUG", "false")
    # Keys as production has them (from the environment), not read from the development key file.
    from cryptography.fernet import Fernet

    os.environ.setdefault("LIMAN_FIELD_KEYS", Fernet.generate_key().decode())
    os.environ.setdefault("LIMAN_BLIND_INDEX_KEY", Fernet.generate_key().decode())
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from liman.core.choices import OfficeType
    from liman.core.models import AdminArea, Office
    from liman.core.staging import import_commit, import_stage
    from liman.registry.models import Person

    call_command("migrate", verbosity=0)
    office, _created = Office.objects.get_or_create(
        code="BNC",
        defaults={
            "name": "Benchmark office",
            "type": OfficeType.FIELD,
            "province": AdminArea.objects.get(pcode="TUR034"),
        },
    )
    path = workdir / "people.csv"
    write_people_csv(path, arguments.rows, arguments.seed)
    before = Person.objects.filter(office=office).count()

    from liman.registry import search

    spent_on_search_keys = _time_calls(search, ("write_search_keys", "add_search_keys", "refresh_search_keys"))
    try:
        from liman.registry import checks
    except ImportError:  # no duplicate checks in this version
        spent_on_duplicate_checks = []
    else:
        spent_on_duplicate_checks = _time_calls(checks, ("possible_duplicates_of_rows",))
    baseline = plain_read(path)
    profiler = None
    if arguments.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    with path.open("rb") as stream:
        batch = import_stage(
            kind="people",
            file=stream,
            file_name=path.name,
            office=office,
            by=None,
            declared={"legal_basis": "consent"},
        )
    staged = time.perf_counter()
    if batch.state != "valid":
        from liman.core.staging import problem_report

        raise SystemExit(f"the generated file has blocking problems: {list(problem_report(batch))[:5]}")
    import_commit(batch=batch, by=None)
    finished, cpu_finished = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(arguments.profile)

    assert Person.objects.filter(office=office).count() - before == arguments.rows
    stage_s, commit_s, total_s = staged - started, finished - staged, finished - started
    rate = arguments.rows / total_s
    baseline_rate = arguments.rows / baseline
    print(f"database: {connection.vendor}; rows: {arguments.rows:,}; file: {path.stat().st_size / 1e6:.1f} MB")
    print(f"stage:  {stage_s:6.2f} s  ({arguments.rows / stage_s:,.0f} rows/s)")
    print(f"commit: {commit_s:6.2f} s  ({arguments.rows / commit_s:,.0f} rows/s)")
    print(f"import (stage + commit): {rate:,.0f} rows/s  (target >= 5,000: {'met' if rate >= 5000 else 'NOT met'})")
    if spent_on_search_keys:
        keys_s = spent_on_search_keys[0]
        print(
            f"  of the commit, the search's keys: {keys_s:.2f} s; "
            f"import without them: {arguments.rows / (total_s - keys_s):,.0f} rows/s"
        )
    if spent_on_duplicate_checks:
        checks_s = spent_on_duplicate_checks[0]
        print(
            f"  of stage and commit, the possible-duplicate checks (at staging; at commit only if the registry "
            f"changed since): "
            f"{checks_s:.2f} s; import without them: {arguments.rows / (total_s - checks_s):,.0f} rows/s"
        )
    # On a shared machine the wall clock counts other processes' turns; this process's CPU time does not
    # (but on PostgreSQL it leaves out the server's share).
    cpu_s = cpu_finished - cpu_started
    print(f"CPU time of this process: {cpu_s:.2f} s ({arguments.rows / cpu_s:,.0f} rows per CPU-second)")
    print(f"baseline csv.reader pass: {baseline_rate:,.0f} rows/s; import / baseline = {rate / baseline_rate:.4f}")


if __name__ == "__main__":
    main()
