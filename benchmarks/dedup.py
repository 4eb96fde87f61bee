"""Record linkage at registry scale: `liman dedup file` against a plain Splink set-up, on two populations.

    .venv/bin/python benchmarks/dedup.py                          # 100,000 and 1,000,000 records, both generators
    .venv/bin/python benchmarks/dedup.py --records 100000 --sensitivity 100000
    .venv/bin/python benchmarks/dedup.py --records 20000 --generator independent --skip-baseline

Two synthetic registries with known duplicates, each written to a CSV and matched:

* the project's own generator (`liman.dedup.synthetic`, the one the model is trained on, with another seed):
  the demo's transliterations, typing errors, year-only and 1 January dates, changed phones, re-registered
  households, siblings and twins;
* an independent one (`benchmarks/popgen_independent.py`), written apart from the first: its own name lists
  rendered by other desks' transliteration habits (spellings the variant table does not hold), its own
  noise model (names in the wrong columns or rotated, a name or the birth date missing on one side, dates a
  year off or different, short names mistyped, Turkish dotted capitals), households with siblings, twins and
  a `relationship` column.

Each is matched, in its own process so that wall time and peak memory are its own, by

* `liman dedup file INPUT.csv --output PAIRS.csv` (the model shipped in liman/dedup/trained/, its u measured
  and its m and prior estimated on the file itself);
* a plain Splink baseline on the same normalised inputs (`engine.prepare`: folded names, their skeletons,
  E.164 phones): blocking on given and family name skeletons, on a name with the full date, on the phone, on
  the foreigner ID; Jaro-Winkler names, date levels, exact everything else; prior, u and m estimated the
  usual way (deterministic rules, random sampling, expectation maximisation); its predictions kept down to
  the review threshold, as liman's are.

For each: wall time, peak memory (resident set), precision and recall at the auto-link threshold, precision
and recall over all flagged pairs (≥ the review threshold), the size of the review band (and per million
records), and the load average of the machine; then the kinds of true pairs liman missed, each kind's share
(a date missing on one side, names in other columns, a pair met among many namesakes, …), to compare one
size with another. `--sensitivity N` adds a table on the independent generator:
each kind of noise turned up (`--factor`, ×2 by default) in turn.
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
sys.path.insert(0, str(ROOT / "benchmarks"))

#: The default thresholds of `liman dedup file` (LIMAN_DEDUP_AUTO_LINK, LIMAN_DEDUP_REVIEW).
AUTO_LINK, REVIEW = 0.90, 0.02
GOAL = {
    "seconds": 150,
    "peak_gib": 4.0,
    "precision_auto": 0.97,
    "recall_auto": 0.92,
    "recall_review": 0.97,
    "review_band_per_million": 40_000,
}


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


#: Records with the same given and father's names (as consonant skeletons), sex and birth year as one record
#: of a pair, from which the pair counts as "crowded": it is met among that many namesakes, whose number grows
#: with the registry.
CROWDED = 40


def _kinds(left: dict, right: dict, crowd: int) -> list[str]:
    """The kinds of disagreement between two records of one person (a pair may be of several kinds)."""
    from liman.dedup import engine, normalise

    found = engine.compare(left, right)
    kinds = []
    try:
        dates = normalise.birth_date_agreement(
            normalise.birth_date(left["birth_date"]), normalise.birth_date(right["birth_date"])
        )
    except ValueError:
        dates = normalise.DateAgreement.MISSING
    kinds.append(
        {
            normalise.DateAgreement.MISSING: "birth date missing on one side",
            normalise.DateAgreement.YEAR_APART: "birth dates a year apart",
            normalise.DateAgreement.DIFFERENT: "birth dates years apart",
            normalise.DateAgreement.SAME_YEAR_IMPRECISE: "same year, one given to the year or 1 January",
            normalise.DateAgreement.SAME_YEAR: "same year, another day",
        }.get(dates, "same birth date")
    )
    parts = ("first_name", "father_name", "family_name")
    if any(found[part] == "missing" for part in parts):
        kinds.append("a name missing on one side")
    skeletons = [[normalise.name_features(row[part] or "").skel for part in parts] for row in (left, right)]
    in_place = sum(a == b and a != "" for a, b in zip(*skeletons, strict=True))
    shared = len({s for s in skeletons[0] if s} & {s for s in skeletons[1] if s})
    if shared > in_place:
        kinds.append("names in other columns")
    if any(found[part] == "close" for part in parts):
        kinds.append("a name spelled otherwise (same skeleton or one edit)")
    if any(found[part] == "disagree" for part in parts):
        kinds.append("a name that disagrees")
    if found["phone"] != "agree" and found["foreigner_id"] != "agree":
        kinds.append("no phone or foreigner ID in common")
    if crowd >= CROWDED:
        kinds.append(f"crowded (≥ {CROWDED} of its given and father's names, sex, year)")
    return kinds


def missed(data: Path, truth: set, pairs_path: Path) -> dict[str, dict[str, float]]:
    """For the true pairs missed at auto-link and over all flagged pairs: each kind's share of them."""
    found: dict[str, set] = {"auto": set(), "review": set()}
    with open(pairs_path, newline="") as handle:
        for row in csv.DictReader(handle):
            pair = tuple(sorted((row["record_id_l"], row["record_id_r"])))
            found["review"].add(pair)
            if float(row["match_probability"]) >= AUTO_LINK:
                found["auto"].add(pair)
    lost = {band: truth - pairs for band, pairs in found.items()}
    wanted = {record for pair in lost["auto"] for record in pair}
    rows, crowds = {}, defaultdict(int)

    from liman.dedup import normalise

    def crowd_key(row: dict) -> tuple:
        given, father = (normalise.name_features(row[part]).skel for part in ("first_name", "father_name"))
        return (given, father, row["sex"], row["birth_date"][:4])

    with open(data, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            crowds[crowd_key(row)] += 1
            if row["record_id"] in wanted:
                rows[row["record_id"]] = row
    shares = {}
    for band, pairs in lost.items():
        counts: dict[str, int] = defaultdict(int)
        for left, right in pairs:
            crowd = max(crowds[crowd_key(rows[left])], crowds[crowd_key(rows[right])])
            for kind in _kinds(rows[left], rows[right], crowd):
                counts[kind] += 1
        shares[band] = {"missed": len(pairs), **{kind: n / max(len(pairs), 1) for kind, n in counts.items()}}
    return shares


def report_missed(title: str, shares: dict[str, dict[str, float]]) -> None:
    auto, review = shares["auto"], shares["review"]
    print(f"\ntrue pairs missed, {title}: {auto['missed']:,} at auto-link, {review['missed']:,} over all flagged")
    print(f"{'kind (a pair may be of several)':58} {'auto-link':>10} {'all flagged':>12}")
    kinds = sorted({*auto, *review} - {"missed"}, key=lambda kind: -auto.get(kind, 0.0))
    for kind in kinds:
        print(f"{kind:58} {auto.get(kind, 0.0):10.0%} {review.get(kind, 0.0):12.0%}")


_MEASURE = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime)"
)


def timed(command: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """Run a command; its wall time in seconds, its peak resident memory in GiB and the CPU time it used
    (measured by a wrapper process of its own, so that one run's figures are not another's). On a shared
    machine the CPU time says what the wall time would be on two idle cores, at most twice over."""
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
    peak, cpu = done.stdout.strip().splitlines()[-1].split()
    return elapsed, int(peak) / 1024 / 1024, float(cpu)


def run_liman(data: Path, out: Path, threads: int | None) -> tuple[float, float, float]:
    command = [str(ROOT / ".venv/bin/liman"), "dedup", "file", str(data), "--output", str(out)]
    if threads:
        command += ["--threads", str(threads)]
    return timed(command, {"DJANGO_SETTINGS_MODULE": "liman.settings"})


BASELINE = r"""
import sys, os
sys.path.insert(0, os.getcwd())
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from liman.dedup import engine

data, out, review = sys.argv[1], sys.argv[2], float(sys.argv[3])
con = engine._connect(None)
engine.read_file(con, engine.Path(data))
engine.prepare(con, "raw", "records")
con.execute("DROP TABLE raw")
con.execute(
    "CREATE OR REPLACE TABLE input AS SELECT record_id, first_name_fold AS first_name, father_name_fold AS father_name,"
    " family_name_fold AS family_name, first_name_skel, family_name_skel,"
    " CASE WHEN dob_md IS NOT NULL THEN dob_y || '-' || dob_md END AS birth_date, dob_y,"
    " sex, nationality, phone, foreigner_id FROM records"
)
db_api = DuckDBAPI(connection=con)
frame = db_api.register(con.table("input"))
settings = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="record_id",
    comparisons=[
        cl.JaroWinklerAtThresholds("first_name", [0.92, 0.8]),
        cl.JaroWinklerAtThresholds("father_name", [0.92, 0.8]),
        cl.JaroWinklerAtThresholds("family_name", [0.92, 0.8]),
        cl.CustomComparison(
            output_column_name="dob",
            comparison_levels=[
                {"sql_condition": "dob_y_l IS NULL OR dob_y_r IS NULL", "is_null_level": True},
                {"sql_condition": "birth_date_l = birth_date_r", "label_for_charts": "same date"},
                {"sql_condition": "dob_y_l = dob_y_r", "label_for_charts": "same year"},
                {"sql_condition": "abs(dob_y_l - dob_y_r) = 1", "label_for_charts": "a year apart"},
                {"sql_condition": "ELSE", "label_for_charts": "else"},
            ],
        ),
        cl.ExactMatch("sex"),
        cl.ExactMatch("nationality"),
        cl.ExactMatch("phone"),
        cl.ExactMatch("foreigner_id"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("first_name_skel", "family_name_skel"),
        block_on("first_name", "birth_date"),
        block_on("family_name", "birth_date"),
        block_on("phone"),
        block_on("foreigner_id"),
    ],
    retain_matching_columns=False,
)
linker = Linker(frame, settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("first_name", "family_name", "birth_date"), block_on("foreigner_id")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=5e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name_skel", "family_name_skel"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
pairs = linker.inference.predict(threshold_match_probability=review)
con.execute(
    f"COPY (SELECT record_id_l, record_id_r, match_probability "
    f"FROM {pairs.physical_name}) TO '{out}' (HEADER, DELIMITER ',')"
)
"""


def run_baseline(data: Path, out: Path) -> tuple[float, float, float]:
    return timed([sys.executable, "-c", BASELINE, str(data), str(out), str(REVIEW)])


def generate_independent(folder: Path, records: int, seed: int, noise=None, tag: str = "") -> tuple[Path, Path]:
    import popgen_independent

    data, truth = folder / f"independent{tag}-{records}.csv", folder / f"independent-truth{tag}-{records}.csv"
    started = time.perf_counter()
    popgen_independent.write_population(data, truth, records, seed=seed, noise=noise)
    log(f"generated {records:,} independent records{tag} in {time.perf_counter() - started:.0f} s")
    return data, truth


def held_out_share(data: Path) -> float:
    """Share of the re-registrations' name spellings that the normaliser's variant table does not hold."""
    from liman.registry import names

    known_spellings = {names.loose("".join(names.name_tokens(s))) for v in names.VARIANT_SPELLINGS.values() for s in v}
    seen, unknown = set(), 0
    with open(data, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for part in ("first_name", "father_name", "family_name"):
                if row[part] and row[part] not in seen:
                    seen.add(row[part])
                    unknown += names.loose("".join(names.name_tokens(row[part]))) not in known_spellings
    return unknown / max(len(seen), 1)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def measure(folder: Path, name: str, data: Path, truth: set, args, baseline: bool) -> dict[str, dict]:
    results = {}
    runs = [("liman", run_liman)] + ([("baseline", run_baseline)] if baseline else [])
    for run, runner in runs:
        out = folder / f"{name}-{run}.csv"
        log(f"running {run} on {name} (load average {load_average()})")
        seconds, peak, cpu = runner(data, out, args.threads) if run == "liman" else runner(data, out)
        results[run] = {"seconds": seconds, "cpu": cpu, "peak_gib": peak, "load": load_average(), **score(out, truth)}
        log(f"{run}: {results[run]}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--generator", choices=["project", "independent", "both"], default="both")
    parser.add_argument("--seed", type=int, default=2026, help="the model is trained on seed 7: keep them apart")
    parser.add_argument("--threads", type=int, help="DuckDB threads for liman dedup file (default: every core)")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--baseline-max", type=int, default=1_000_000, help="run the baseline up to this size")
    parser.add_argument("--sensitivity", type=int, metavar="RECORDS", default=0,
                        help="also print the sensitivity table on the independent generator at this size")  # fmt: skip
    parser.add_argument("--factor", type=float, default=2.0, help="how far each kind of noise is turned up")
    args = parser.parse_args()
    generators = ["project", "independent"] if args.generator == "both" else [args.generator]
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for records in args.records:
            for generator in generators:
                if generator == "project":
                    data, truth_path = generate(folder, records, args.seed)
                else:
                    data, truth_path = generate_independent(folder, records, args.seed)
                    log(f"spellings the variant table does not hold: {held_out_share(data):.0%}")
                truth = true_pairs(truth_path)
                log(f"{len(truth):,} true duplicate pairs")
                baseline = not args.skip_baseline and records <= args.baseline_max
                results = measure(folder, f"{generator}-{records}", data, truth, args, baseline)
                report(f"{generator} generator, {records:,} records", records, results)
                report_missed(
                    f"{generator} generator, {records:,} records",
                    missed(data, truth, folder / f"{generator}-{records}-liman.csv"),
                )
                for path in (data, truth_path):
                    path.unlink()
        if args.sensitivity:
            sensitivity(folder, args)


def sensitivity(folder: Path, args) -> None:
    import popgen_independent

    records, rows = args.sensitivity, []
    for kind in (None, *popgen_independent.NOISE_KINDS):
        noise = popgen_independent.Noise() if kind is None else popgen_independent.Noise().scaled(kind, args.factor)
        data, truth_path = generate_independent(folder, records, args.seed, noise, tag="-sens")
        truth = true_pairs(truth_path)
        result = measure(folder, f"sensitivity-{records}", data, truth, args, False)["liman"]
        rows.append((kind or "as generated", result))
    print(f"\nsensitivity, independent generator, {records:,} records: each kind of noise ×{args.factor:g}")
    print(f"{'noise turned up':34} {'P auto':>7} {'R auto':>7} {'P all':>7} {'R all':>7} {'review band':>12}")
    for kind, r in rows:
        print(
            f"{kind:34} {r['precision_auto']:7.3f} {r['recall_auto']:7.3f} {r['precision_review']:7.3f}"
            f" {r['recall_review']:7.3f} {r['pairs_review'] - r['pairs_auto']:12,}"
        )


def report(title: str, records: int, results: dict[str, dict]) -> None:
    print(f"\n{title} (2 cores), thresholds auto-link {AUTO_LINK} / review {REVIEW}")
    print(
        f"{'':10} {'wall s':>8} {'CPU s':>7} {'peak GiB':>9} {'P auto':>7} {'R auto':>7} {'P all':>7} {'R all':>7}"
        f" {'review band':>12} {'per 1M':>8}  load average"
    )
    for name, r in results.items():
        band = r["pairs_review"] - r["pairs_auto"]
        print(
            f"{name:10} {r['seconds']:8.1f} {r['cpu']:7.1f} {r['peak_gib']:9.2f}"
            f" {r['precision_auto']:7.3f} {r['recall_auto']:7.3f}"
            f" {r['precision_review']:7.3f} {r['recall_review']:7.3f} {band:12,} {band * 1_000_000 / records:8,.0f}"
            f"  {r['load']}"
        )
    if "baseline" in results:
        liman, base = results["liman"], results["baseline"]
        print(
            f"ratio liman/baseline: time {liman['seconds'] / base['seconds']:.2f}, "
            f"recall at auto-link {liman['recall_auto'] / max(base['recall_auto'], 1e-9):.2f}, "
            f"recall over all flagged {liman['recall_review'] / max(base['recall_review'], 1e-9):.2f}, "
            f"precision at auto-link {liman['precision_auto'] / max(base['precision_auto'], 1e-9):.2f}"
        )
    liman = results["liman"]
    band = (liman["pairs_review"] - liman["pairs_auto"]) * 1_000_000 / records
    met = (
        (records < 1_000_000 or (liman["seconds"] <= GOAL["seconds"] and liman["peak_gib"] <= GOAL["peak_gib"]))
        and liman["precision_auto"] >= GOAL["precision_auto"]
        and liman["recall_auto"] >= GOAL["recall_auto"]
        and liman["recall_review"] >= GOAL["recall_review"]
        and band <= GOAL["review_band_per_million"]
    )
    goal = "P≥0.97 R≥0.92 at auto-link, R≥0.97 over all flagged, review band ≤40k per 1M; at 1M ≤150 s, ≤4 GiB"
    print(f"goal ({goal}): {'met' if met else 'not met'}")


if __name__ == "__main__":
    main()
