"""Record linkage at registry scale: `liman dedup file` against a plain Splink set-up, on the same noisy data.

    .venv/bin/python benchmarks/dedup.py                      # 100,000 and 1,000,000 records
    .venv/bin/python benchmarks/dedup.py --records 20000      # a quick look
    .venv/bin/python benchmarks/dedup.py --skip-baseline

A synthetic registry with known duplicates (`liman.dedup.synthetic`: the demo's transliterations, typing
errors, year-only and 1 January dates, changed phones, re-registered households, siblings and twins) is
written to a CSV, then matched twice, each in its own process so that wall time and peak memory are its own:

* `liman dedup file INPUT.csv --output PAIRS.csv` (the model shipped in liman/dedup/trained/);
* a plain Splink baseline: exact blocking on names and on birth date, Jaro-Winkler names, exact
  everything else, no normalisation, trained the usual way (u by random sampling, m by expectation
  maximisation), as a first Splink set-up would be.

For each: wall time, peak memory (resident set of the process), and pair precision and recall against the
truth at the auto-link threshold and at the review threshold.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The default thresholds of `liman dedup file` (LIMAN_DEDUP_AUTO_LINK, LIMAN_DEDUP_REVIEW).
AUTO_LINK, REVIEW = 0.90, 0.02
GOAL = {"seconds": 150, "peak_gib": 4.0, "precision_auto": 0.97, "recall_auto": 0.90, "recall_review": 0.97}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def generate(folder: Path, records: int, seed: int) -> tuple[Path, Path]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liman.settings")
    import django

    django.setup()
    from liman.dedup.synthetic import write_population

    data, truth = folder / f"registry-{records}.csv", folder / f"truth-{records}.csv"
    started = time.perf_counter()
    write_population(data, truth, records, seed=seed)
    log(f"generated {records:,} records in {time.perf_counter() - started:.0f} s")
    return data, truth


def true_pairs(truth: Path) -> set[tuple[str, str]]:
    by_entity: dict[str, list[str]] = defaultdict(list)
    with open(truth, newline="") as handle:
        for row in csv.DictReader(handle):
            by_entity[row["entity_id"]].append(row["record_id"])
    pairs = set()
    for ids in by_entity.values():
        for left, right in combinations(sorted(ids), 2):
            pairs.add((left, right))
    return pairs


def score(pairs_path: Path, truth: set[tuple[str, str]]) -> dict[str, float]:
    found: dict[str, set[tuple[str, str]]] = {"auto": set(), "review": set()}
    with open(pairs_path, newline="") as handle:
        for row in csv.DictReader(handle):
            probability = float(row["match_probability"])
            pair = tuple(sorted((row["record_id_l"], row["record_id_r"])))
            if probability >= REVIEW:
                found["review"].add(pair)
            if probability >= AUTO_LINK:
                found["auto"].add(pair)
    figures = {}
    for band, pairs in found.items():
        correct = len(pairs & truth)
        figures[f"precision_{band}"] = correct / len(pairs) if pairs else 0.0
        figures[f"recall_{band}"] = correct / len(truth) if truth else 0.0
        figures[f"pairs_{band}"] = len(pairs)
    return figures


_MEASURE = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run a command; its wall time in seconds and its peak resident memory in GiB (measured by a wrapper
    process of its own, so that one run's peak is not another's)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        check=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - started
    return elapsed, int(done.stdout.strip().splitlines()[-1]) / 1024 / 1024


def run_liman(data: Path, out: Path, threads: int | None) -> tuple[float, float]:
    command = [str(ROOT / ".venv/bin/liman"), "dedup", "file", str(data), "--output", str(out)]
    if threads:
        command += ["--threads", str(threads)]
    return timed(command, {"DJANGO_SETTINGS_MODULE": "liman.settings"})


BASELINE = r"""
import sys, duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

data, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
con.execute(f"CREATE TABLE input AS SELECT * FROM read_csv('{data}', all_varchar=true)")
db_api = DuckDBAPI(connection=con)
frame = db_api.register(con.table("input"))
settings = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="record_id",
    comparisons=[
        cl.JaroWinklerAtThresholds("first_name", [0.92, 0.8]),
        cl.JaroWinklerAtThresholds("father_name", [0.92, 0.8]),
        cl.JaroWinklerAtThresholds("family_name", [0.92, 0.8]),
        cl.ExactMatch("birth_date"),
        cl.ExactMatch("sex"),
        cl.ExactMatch("nationality"),
        cl.ExactMatch("phone"),
        cl.ExactMatch("foreigner_id"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("first_name", "family_name"),
        block_on("first_name", "birth_date"),
        block_on("family_name", "birth_date"),
    ],
)
linker = Linker(frame, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("first_name", "family_name", "birth_date")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=5e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "family_name"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date", "father_name"))
pairs = linker.inference.predict(threshold_match_probability=0.5)
con.execute(
    f"COPY (SELECT record_id_l, record_id_r, match_probability "
    f"FROM {pairs.physical_name}) TO '{out}' (HEADER, DELIMITER ',')"
)
"""


def run_baseline(data: Path, out: Path) -> tuple[float, float]:
    return timed([sys.executable, "-c", BASELINE, str(data), str(out)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=2026, help="the model is trained on seed 7: keep them apart")
    parser.add_argument("--threads", type=int, help="DuckDB threads for liman dedup file (default: every core)")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for records in args.records:
            data, truth_path = generate(Path(folder), records, args.seed)
            truth = true_pairs(truth_path)
            log(f"{len(truth):,} true duplicate pairs")
            results = {}
            runs = [("liman", run_liman)] + ([] if args.skip_baseline else [("baseline", run_baseline)])
            for name, runner in runs:
                out = Path(folder) / f"{name}-{records}.csv"
                log(f"running {name} on {records:,} records")
                if name == "liman":
                    seconds, peak = runner(data, out, args.threads)
                else:
                    seconds, peak = runner(data, out)
                results[name] = {"seconds": seconds, "peak_gib": peak, **score(out, truth)}
                log(f"{name}: {results[name]}")
            report(records, results)


def report(records: int, results: dict[str, dict]) -> None:
    print(f"\n{records:,} records (2 cores), thresholds auto-link {AUTO_LINK} / review {REVIEW}")
    print(f"{'':10} {'wall s':>8} {'peak GiB':>9} {'P auto':>7} {'R auto':>7} {'P review':>9} {'R review':>9}")
    for name, r in results.items():
        print(
            f"{name:10} {r['seconds']:8.1f} {r['peak_gib']:9.2f} {r['precision_auto']:7.3f} {r['recall_auto']:7.3f}"
            f" {r['precision_review']:9.3f} {r['recall_review']:9.3f}"
        )
    if "baseline" in results:
        liman, base = results["liman"], results["baseline"]
        print(
            f"ratio liman/baseline: time {liman['seconds'] / base['seconds']:.2f}, "
            f"recall at auto-link {liman['recall_auto'] / max(base['recall_auto'], 1e-9):.2f}, "
            f"precision at auto-link {liman['precision_auto'] / max(base['precision_auto'], 1e-9):.2f}"
        )
    liman = results["liman"]
    met = (
        liman["seconds"] <= GOAL["seconds"]
        and liman["peak_gib"] <= GOAL["peak_gib"]
        and liman["precision_auto"] >= GOAL["precision_auto"]
        and liman["recall_auto"] >= GOAL["recall_auto"]
        and liman["recall_review"] >= GOAL["recall_review"]
    )
    goal = "≤150 s, ≤4 GiB, P≥0.97 R≥0.90 at auto-link, R≥0.97 at review"
    print(f"goal at this size ({goal}): {'met' if met else 'not met'}")


if __name__ == "__main__":
    main()
