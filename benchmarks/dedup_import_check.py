"""Benchmark: what the duplicate check adds to staging a 10,000-row people import.

A synthetic registry (`liman.dedup.synthetic`: the demo's transliterations, year-only and 1 January dates, changed
phones, siblings and twins) is imported into one office (20,000 people by default). Then a 10,000-row file, of
which 5 % are people of that registry registered again (spelled otherwise), is staged twice in the same run:
without the duplicate checker, then with it. Prints both times, their ratio (the figure: staging with the check
over staging without it), the check's own time, and how many of the re-registrations it flagged.

Runs on a throwaway SQLite database in a temporary folder; with DATABASE_URL set it runs there instead, and
that database must be one you can throw away (the script migrates it and adds rows):

    .venv/bin/python benchmarks/dedup_import_check.py [--existing 20000] [--rows 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import atexit
import csv
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMPORT_COLUMNS = [
    "first_name", "father_name", "family_name", "sex", "birth_date", "nationality", "phone", "foreigner_id",
    "household_ref", "relationship", "legal_status", "original_name",
]  # fmt: skip


def split_population(existing: int, rows: int, seed: int, share: float = 0.05):
    """(registry rows, import rows, import row numbers that are re-registrations)."""
    from liman.dedup.synthetic import Population

    registry, fresh, again = [], [], []
    in_registry, in_file = set(), set()
    wanted_again = int(rows * share)
    for row, entity in Population((existing + rows) * 3, seed=seed, duplicate_share=0.3).records():
        if entity not in in_registry and entity not in in_file and len(registry) < existing:
            registry.append(row)
            in_registry.add(entity)
        elif entity in in_registry and len(again) < wanted_again:
            again.append({**row, "foreigner_id": ""})  # a known ID would block the row outright
        elif entity not in in_registry and entity not in in_file and len(fresh) < rows - wanted_again:
            fresh.append(row)
            in_file.add(entity)
        if len(registry) >= existing and len(again) >= wanted_again and len(fresh) >= rows - wanted_again:
            break
    used: set[str] = set()
    for row in registry + fresh:  # the generator may draw one number twice: a second use would block the row
        if row["foreigner_id"] in used:
            row["foreigner_id"] = ""
        used.add(row["foreigner_id"])
    mixed = fresh + again
    import random

    random.Random(seed).shuffle(mixed)
    again_ids = {id(row) for row in again}
    planted = {number for number, row in enumerate(mixed, start=2) if id(row) in again_ids}
    return registry, mixed, planted


def write_import(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(IMPORT_COLUMNS)
        for n, row in enumerate(rows):
            writer.writerow(
                [row["first_name"], row["father_name"], row["family_name"], row["sex"], row["birth_date"],
                 row["nationality"], row["phone"], row["foreigner_id"], f"H{n}", "head", "temporary_protection", ""]
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="liman-bench-dedup-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    os.environ["LIMAN_VAR_DIR"] = str(workdir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liman.settings")
    from cryptography.fernet import Fernet

    os.environ.setdefault("LIMAN_FIELD_KEYS", Fernet.generate_key().decode())
    os.environ.setdefault("LIMAN_BLIND_INDEX_KEY", Fernet.generate_key().decode())
    import logging

    import django

    django.setup()
    logging.getLogger("splink").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    from liman.core.choices import OfficeType
    from liman.core.models import AdminArea, Office
    from liman.core.staging import import_commit, import_discard, import_stage, problem_report
    from liman.dedup import checks as dedup_checks
    from liman.registry import checks

    call_command("migrate", verbosity=0)
    office, _ = Office.objects.get_or_create(
        code="BNC",
        defaults={
            "name": "Benchmark office",
            "type": OfficeType.FIELD,
            "province": AdminArea.objects.get(pcode="TUR034"),
        },
    )
    registry_rows, import_rows, planted = split_population(arguments.existing, arguments.rows, arguments.seed)
    registry_path, import_path = workdir / "registry.csv", workdir / "import.csv"
    write_import(registry_path, registry_rows)
    write_import(import_path, import_rows)

    checkers = list(checks.CHECKERS)
    checks.CHECKERS.clear()  # the registry is loaded without the check: it is the baseline's job to be fast
    started = time.perf_counter()
    with registry_path.open("rb") as stream:
        batch = import_stage(kind="people", file=stream, file_name="registry.csv", office=office, by=None)
    if batch.state != "valid":
        raise SystemExit(f"the registry file has blocking problems: {list(problem_report(batch))[:5]}")
    import_commit(batch=batch, by=None)
    print(f"database: {connection.vendor}; registry of {len(registry_rows):,} people loaded in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    # How fast people become matcher records (a run over the registry reads every person this way).
    from liman.dedup.records import person_records
    from liman.registry.models import Person

    people = Person.objects.filter(office=office)
    began = time.perf_counter()
    plain = sum(1 for _row in people.order_by("pk").values_list("pk", "first_name", "family_name").iterator(2000))
    plain_s = time.perf_counter() - began
    began = time.perf_counter()
    read = sum(1 for _record in person_records(people))
    records_s = time.perf_counter() - began
    assert read == plain
    print(
        f"matcher records: {read / records_s:,.0f} people/s (a plain values_list pass: {plain / plain_s:,.0f}/s; "
        f"ratio {records_s / plain_s:.1f}); 1,000,000 people in about {1_000_000 * records_s / read:.0f} s"
    )

    def stage() -> tuple[float, object]:
        began = time.perf_counter()
        with import_path.open("rb") as stream:
            staged = import_stage(kind="people", file=stream, file_name="import.csv", office=office, by=None)
        return time.perf_counter() - began, staged

    baseline_s, baseline_batch = stage()
    import_discard(batch=baseline_batch, by=None)

    spent = [0.0]
    original = dedup_checks.import_duplicates

    def timed(office, drafts):
        began = time.perf_counter()
        try:
            return original(office, drafts)
        finally:
            spent[0] += time.perf_counter() - began

    checks.CHECKERS[:] = [
        checks.DuplicateChecker(
            key=checker.key,
            check_person=checker.check_person,
            check_rows=timed if checker.key == "dedup" else checker.check_rows,
            registered=checker.registered,
            imported=checker.imported,
        )
        for checker in checkers
    ]
    checked_s, checked_batch = stage()
    flagged = {
        row for row, _column, message, _blocks in problem_report(checked_batch) if "Possible duplicate" in message
    }

    rows = len(import_rows)
    print(f"import of {rows:,} rows ({len(planted):,} re-registrations of registered people):")
    print(f"  staging without the duplicate check: {baseline_s:6.2f} s ({rows / baseline_s:,.0f} rows/s)")
    print(f"  staging with the duplicate check:    {checked_s:6.2f} s ({rows / checked_s:,.0f} rows/s)")
    print(f"  of which the check itself:           {spent[0]:6.2f} s ({1000 * spent[0] / rows:.2f} ms a row)")
    print(f"  with / without = {checked_s / baseline_s:.2f}")
    print(
        f"  re-registrations flagged: {len(flagged & planted):,} of {len(planted):,}; "
        f"other rows flagged: {len(flagged - planted):,} of {rows - len(planted):,}"
    )


if __name__ == "__main__":
    main()
