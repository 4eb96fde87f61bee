"""Record linkage: which records stand for the same person.

A Fellegi–Sunter model run by Splink on DuckDB (or on Spark, `LIMAN_DEDUP_BACKEND=spark`). The records are
first made comparable (`normalise`): each distinct name is folded, keyed by the spelling-variant table and
reduced to its consonant skeleton once, in Python, and joined back in DuckDB; phones and foreigner IDs are
cleaned in SQL. Candidate pairs come from blocking rules that each need two or three things to agree — two
of the three names in any columns (desks swap and rotate them) with the birth year, a name and another one
typing error away with the year, a name with the full date, the phone, the foreigner ID — so that the same
person written differently is still met by at least one of them. Every candidate is then scored on given,
father's and family names (a name the desk moved to another column compared where it went, the move itself
weighed once), date of birth (knowing year-only and 1 January dates, a date missing on one side, a year
off), sex, nationality, phone, foreigner ID and household. A value missing on either side says nothing.

The trained model (`trained/`, versioned JSON) is where each run starts, not where it ends: the chance
agreement of each level (u) is measured on random pairs of the records being matched, and the
m-probabilities and the prior (how likely two random records are the same person) are estimated on them by
expectation maximisation (`estimate_on_registry`), since name frequencies, desks' habits and the share of
people registered twice differ from one registry to another.

The household works against a match: two records of one household are two people (siblings share family
name, father's name and phone); so, when the file gives it, does a different relationship to the head.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import normalise

if TYPE_CHECKING:  # DuckDB and pyarrow load where linkage runs, never in a web process that only imports this module
    import duckdb

COLUMNS = (
    "record_id",
    "first_name",
    "father_name",
    "family_name",
    "sex",
    "birth_date",
    "nationality",
    "phone",
    "foreigner_id",
    "household_id",
)
#: May follow `COLUMNS`: each record's relationship to the head of its household.
OPTIONAL_COLUMNS = ("relationship",)
RELATIONSHIPS = ("head", "spouse", "child", "parent", "sibling", "other")
OUTPUT_COLUMNS = ("record_id_l", "record_id_r", "match_probability", "band")
NAME_PARTS = ("first_name", "father_name", "family_name")

MODEL_DIR = Path(__file__).parent / "trained"
MODEL_VERSION = "2026.12-5"
MODEL_PATH = MODEL_DIR / f"liman-dedup-{MODEL_VERSION}.json"

#: Share of records that have another record of the same person: the prior a run starts from (and the one
#: `link` uses, with no registry to estimate it on).
EXPECTED_DUPLICATES_PER_RECORD = 0.15


class Band(StrEnum):
    AUTO_LINK = "auto_link"
    REVIEW = "review"
    DISTINCT = "distinct"


@dataclass(frozen=True)
class Thresholds:
    auto_link: float = 0.90
    review: float = 0.02

    def __post_init__(self):
        if not 0 < self.review <= self.auto_link <= 1:
            raise ValueError("Thresholds must satisfy 0 < review ≤ auto-link ≤ 1.")

    def band(self, probability: float) -> Band:
        if probability >= self.auto_link:
            return Band.AUTO_LINK
        if probability >= self.review:
            return Band.REVIEW
        return Band.DISTINCT


@dataclass(frozen=True)
class ScoredPair:
    record_id_l: str
    record_id_r: str
    match_probability: float
    band: Band


class InputError(ValueError):
    """A file the matcher cannot read; `problems` say where (row, column) and what."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else ""))


# --- the model -----------------------------------------------------------------------------------------------


#: Where each name goes when the desk moved them: given and family names swapped (the father's name stays),
#: or the three rotated one column on, either way. Given and father's names swapped is not among them: a son
#: named after his grandfather has his father's given name as father's name, and his own is his grandfather's.
MOVES = (
    (("first_name", "family_name"), ("family_name", "first_name"), ("father_name", "father_name")),
    (("first_name", "father_name"), ("father_name", "family_name"), ("family_name", "first_name")),
    (("first_name", "family_name"), ("family_name", "father_name"), ("father_name", "first_name")),
)
IN_PLACE = tuple((part, part) for part in NAME_PARTS)


def _agreeing(move, column: str) -> str:
    """SQL: how many of the names have the same skeleton once moved by `move` (a name of the table has its
    key's skeleton: spelling variants agree too)."""

    def name(part: str, side: str) -> str:
        return column.format(part=part, feature="skel", side=side)

    return " + ".join(f"(CASE WHEN {name(left, 'l')} = {name(right, 'r')} THEN 1 ELSE 0 END)" for left, right in move)


def move_sql(move, column: str = "{part}_{feature}_{side}") -> str:
    """SQL: the pair's names were moved by `move`: fewer than two of the three names have the same skeleton
    where they stand, at least two once moved back (the third may be missing or mistyped). Skeletons only,
    equality only (the name comparisons' levels test the same, the names in place once for all moves)."""
    return f"(({_agreeing(move, column)}) >= 2 AND ({_agreeing(IN_PLACE, column)}) < 2)"


def moved_sql(column: str = "{part}_{feature}_{side}") -> str:
    """SQL: the pair's names were moved by one of `MOVES`."""
    return "(" + " OR ".join(move_sql(move, column) for move in MOVES) + ")"


#: Appended to the label of a level of a name comparison for the same agreement with the name the desk moved
#: to another column. Such a level is the twin of the level it is named after: the same m and u (a name
#: agreeing says as much in any column); that the names were moved at all is weighed once for the pair
#: (`NAME_STATES`), not once per column.
MOVED = " (names moved between columns)"


def twin_of(label: str) -> str | None:
    """The label of the level whose twin `label` is, or None."""
    return label[: -len(MOVED)] if label.endswith(MOVED) else None


def _one_edit_apart(left: str, right: str, shortest: int = 0) -> str:
    """SQL: `left` and `right` (of `shortest` letters or more) are one letter dropped, added, changed or swapped
    apart, or the same. The edit distance, the costliest test of all, is computed only where the two can be:
    lengths one apart at most, and, from three letters, the same first or last letter (one edit leaves one of
    them in place)."""
    lengths = f"abs(length({left}) - length({right})) <= 1"
    if shortest:
        lengths = f"least(length({left}), length({right})) >= {shortest} AND {lengths}"
    ends = f"(least(length({left}), length({right})) < 3 OR left({left}, 1) = left({right}, 1)" \
           f" OR right({left}, 1) = right({right}, 1))"  # fmt: skip
    return f"CASE WHEN {lengths} AND {ends} THEN {{damerau_levenshtein}}({left}, {right}) <= 1 ELSE false END"


#: The kinds of agreement between two names, strongest first: label, the SQL of the agreement between the
#: name in column {l} of the left record and the one in column {r} of the right record ({jaro_winkler} and
#: {damerau_levenshtein} stand for the SQL dialect's functions), the column of its term-frequency adjustment.
#: An edit distance is computed only for names whose lengths allow it (the costliest of the tests, run on every
#: candidate pair).
NAME_AGREEMENTS = (
    ("same spelling", "{l}_fold_l = {r}_fold_r", "fold"),
    ("spelling variants of one name", "{l}_canon_l = {r}_canon_r", "canon"),
    ("same consonant skeleton", "{l}_skel_l = {r}_skel_r", "skel"),
    ("Jaro-Winkler ≥ 0.88", "{jaro_winkler}({l}_fold_l, {r}_fold_r) >= 0.88", None),
    ("one letter apart", _one_edit_apart("{l}_fold_l", "{r}_fold_r"), None),
    ("long skeletons one edit apart", _one_edit_apart("{l}_skel_l", "{r}_skel_r", shortest=5), None),
    ("skeletons one edit apart", _one_edit_apart("{l}_skel_l", "{r}_skel_r"), None),
)
#: The level between the agreements on spelling and those on sound: both names are names of the variant table,
#: and different ones ("Mohammed" and "Mahmoud" share a skeleton but are two names).
KNOWN_DIFFERENT = "two different names of the table"


@cache
def _name_level_class():
    """Splink's level creator for `NAME_AGREEMENTS`, made on first use (Splink loads only where linkage runs)."""
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

    class NameLevel(ComparisonLevelCreator):
        def __init__(self, part: str, label: str, template: str, moved: bool):
            self.part, self.label, self.template, self.moved = part, label, template, moved

        def create_sql(self, sql_dialect) -> str:
            functions = {
                "jaro_winkler": sql_dialect.jaro_winkler_function_name,
                "damerau_levenshtein": sql_dialect.damerau_levenshtein_function_name,
            }
            if not self.moved:
                return self.template.format(l=self.part, r=self.part, **functions)
            # The move is tested first (equalities only), the agreement of the names so moved only where it
            # holds: a CASE, since SQL engines evaluate both sides of an AND in a projection. Most pairs have
            # two names agreeing where they stand, which no move allows: that is tested once, before any move.
            targets: dict[str, list] = {}
            for move in MOVES:
                if dict(move)[self.part] != self.part:
                    targets.setdefault(dict(move)[self.part], []).append(move)
            column = "{part}_{feature}_{side}"
            moved = " OR ".join(
                f"(CASE WHEN {' OR '.join(f'({_agreeing(move, column)}) >= 2' for move in moves)}"
                f" THEN {self.template.format(l=self.part, r=target, **functions)} ELSE false END)"
                for target, moves in targets.items()
            )
            return f"(CASE WHEN ({_agreeing(IN_PLACE, column)}) < 2 THEN {moved} ELSE false END)"

        def create_label_for_charts(self) -> str:
            return self.label + (MOVED if self.moved else "")

    return NameLevel


def _name_level(part: str, label: str, template: str, tf: str | None, moved: bool):
    level = _name_level_class()(part, label, template, moved)
    if tf:
        level.configure(tf_adjustment_column=f"{part}_{tf}", tf_adjustment_weight=1.0)
    return level


def _name_comparison(part: str):
    """One name column. A name missing on either side says nothing (null level). Each agreement is a level,
    strongest first, and so is the same agreement with the name the desk moved to another column (given and
    family names swapped, the three rotated), its twin; one letter dropped, doubled or swapped in a short
    name, and skeletons one edit apart (weighing more in long names, where chance seldom brings them) are
    levels of their own."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    spelling, sound = NAME_AGREEMENTS[:2], NAME_AGREEMENTS[2:]
    levels = [cll.NullLevel(f"{part}_fold")]
    for label, template, tf in spelling:
        levels += [_name_level(part, label, template, tf, moved) for moved in (False, True)]
    # Names moved to other columns are compared where they went before the names where they stand are
    # found to be two different names of the table.
    levels += [_name_level(part, label, template, tf, moved=True) for label, template, tf in sound]
    levels.append(cll.CustomLevel(f"{part}_known_l AND {part}_known_r", KNOWN_DIFFERENT))
    levels += [_name_level(part, label, template, tf, moved=False) for label, template, tf in sound]
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(
        output_column_name=part, comparison_description=part.replace("_", " "), comparison_levels=levels
    )


def _birth_date_comparison():
    """The levels of `normalise.birth_date_agreement`, in SQL."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    imprecise = "(dob_md_l IS NULL OR dob_md_r IS NULL OR dob_md_l = '01-01' OR dob_md_r = '01-01')"
    swapped = "substr(dob_md_l, 1, 2) = substr(dob_md_r, 4, 2) AND substr(dob_md_l, 4, 2) = substr(dob_md_r, 1, 2)"
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="date of birth",
        comparison_levels=[
            cll.CustomLevel("dob_y_l IS NULL AND dob_y_r IS NULL", "missing on both").configure(is_null_level=True),
            cll.CustomLevel("dob_y_l IS NULL OR dob_y_r IS NULL", "missing on one side"),
            cll.CustomLevel(f"dob_y_l = dob_y_r AND dob_md_l = dob_md_r AND NOT {imprecise}", "exact"),
            cll.CustomLevel(f"dob_y_l = dob_y_r AND NOT {imprecise} AND {swapped}", "day and month swapped"),
            cll.CustomLevel(f"dob_y_l = dob_y_r AND {imprecise}", "same year, one known to the year only"),
            cll.CustomLevel("dob_y_l = dob_y_r", "same year"),
            cll.CustomLevel("abs(dob_y_l - dob_y_r) = 1 AND dob_md_l = dob_md_r", "a year apart, same day"),
            cll.CustomLevel("abs(dob_y_l - dob_y_r) = 1", "a year apart"),
            cll.CustomLevel("dob_md_l = dob_md_r AND dob_md_l <> '01-01'", "same day and month, another year"),
            cll.ElseLevel(),
        ],
    )


def _exact(column: str, description: str):
    import splink.comparison_library as cl

    return cl.ExactMatch(column)


def _contact_comparison():
    """Phone and household together: a shared phone is strong evidence of one person, except between two
    members of one household, who share the phone and are two people."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="contact",
        comparison_description="phone and household",
        comparison_levels=[
            cll.CustomLevel("household_id_l = household_id_r", "same household: two members"),
            cll.CustomLevel("phone_l IS NULL OR phone_r IS NULL", "phone missing").configure(is_null_level=True),
            cll.CustomLevel("phone_l = phone_r", "same phone"),
            cll.ElseLevel(),
        ],
    )


#: Candidate pairs: each rule needs several things to agree; a duplicate need only meet one of them. Names are
#: met as pairs in any column (`name_pairs`: each two of the three names' skeletons, in alphabetical order),
#: so that given and family names typed in each other's column, the three names rotated, a name left empty
#: or mistyped on one side still leave two names to agree on. Each rule of names is a list of keys per record
#: (made by `prepare`) two records meet by sharing one of; some only where one of the two has no date of birth
#: (`UNDATED`).
NAME_PAIR_RULES = (
    # Two names (as skeletons, in any columns) and the year of birth, or years one apart with the same day and
    # month or one date known to the year only: `name_keys` holds each pair of names with the year, and with
    # the year and the year after with the day and month (a date known to the year only: the years either
    # side), so that sharing one means both.
    ("name_keys", False),
    # Two names and sex when the date of birth is missing on one side.
    ("name_pairs", True),
    # One name, in any column, and the full date of birth.
    ("name_dates", False),
    # One name's skeleton and another's one typing error away (in any columns), the sex and the year of birth,
    # or years one apart (as in `name_keys`).
    ("name_typos", False),
    # The same with the sex only, when the date of birth is missing on one side.
    ("undated_typos", True),
)
BLOCKING_RULES = (
    # The three names, in any order, whatever the dates say.
    "l.name_set = r.name_set",
    # A full date of birth with one of the names.
    "l.first_name_skel = r.first_name_skel AND l.dob_y = r.dob_y AND l.dob_md = r.dob_md",
    "l.family_name_skel = r.family_name_skel AND l.dob_y = r.dob_y AND l.dob_md = r.dob_md",
    # The phone with the given name or the year; the foreigner ID alone.
    "l.phone = r.phone AND l.first_name_skel = r.first_name_skel",
    "l.phone = r.phone AND l.dob_y = r.dob_y",
    "l.foreigner_id = r.foreigner_id",
)


#: Records sharing one blocking key beyond this many, in a registry of `LIMIT_REGISTRY` records: the key is
#: made finer (`prepare`).
BLOCK_LIMIT = 40


def _pairs_of(records: int) -> int:
    return records * (records - 1) // 2


#: Pairs a key of two names without the date of birth may bring (`name_pairs`: only pairs where one record
#: has no date): five times a key's at `BLOCK_LIMIT`, since those pairs have nothing else to be found by.
UNDATED_PAIR_LIMIT = 5 * _pairs_of(BLOCK_LIMIT)
#: Records sharing one key of a name and another name one typing error away (`name_typos`) beyond this many:
#: the key is made finer with the nationality, or dropped (a common name and a short typed form meet many).
TYPO_BLOCK_LIMIT = 20
#: The size of registry the limits above are set for. The keys of names (not those of typing errors) may
#: bring pairs in proportion to the registry beyond it: a key of two common names, the sex and a birth year
#: holds ten times the records in ten times the registry, and a limit fixed in pairs drops, at 1,000,000
#: records, the keys that alone met 3 % of the true pairs (most with a date given to the year or missing on
#: one side, whom the finer key of the full date cannot meet). The keys of typing errors keep theirs: they
#: bring most of the candidates, and would meet few more true pairs.
LIMIT_REGISTRY = 100_000


def key_limits(records: int) -> dict[str, int]:
    """The most pairs one key of each blocking key column may bring in a registry of `records` records."""
    scale = max(1.0, records / LIMIT_REGISTRY)
    return {
        "name_keys": int(_pairs_of(BLOCK_LIMIT) * scale),
        "name_pairs": int(UNDATED_PAIR_LIMIT * scale),
        "name_dates": int(_pairs_of(BLOCK_LIMIT) * scale),
        "name_set": int(_pairs_of(BLOCK_LIMIT) * scale),
        "name_typos": _pairs_of(TYPO_BLOCK_LIMIT),
        "undated_typos": _pairs_of(TYPO_BLOCK_LIMIT),
    }


#: The condition of the rules of names that meet two records only where one of them has no date of birth.
UNDATED = "(l.dob_y IS NULL OR r.dob_y IS NULL)"


def blocking_rules() -> list[dict]:
    """The rules as Splink reads them (on Spark, and to estimate on samples); `_blocking_sql` is the same rules
    in DuckDB's SQL."""
    exploding = [
        {"blocking_rule": f"l.{keys} = r.{keys}" + (f" AND {UNDATED}" if undated else ""),
         "sql_dialect": "duckdb", "arrays_to_explode": [keys]}
        for keys, undated in NAME_PAIR_RULES
    ]  # fmt: skip
    return exploding + [{"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in BLOCKING_RULES]


def settings(probability_two_random_records_match: float = 1e-5):
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        probability_two_random_records_match=probability_two_random_records_match,
        comparisons=[
            _name_comparison("first_name"),
            _name_comparison("father_name"),
            _name_comparison("family_name"),
            _birth_date_comparison(),
            _exact("sex", "sex"),
            _exact("nationality", "nationality"),
            _exact("foreigner_id", "foreigner ID"),
            _contact_comparison(),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


@cache
def trained_model() -> dict:
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))


def model_for(record_count: int, link_only: bool = False) -> dict:
    """The trained model with the prior of a run over `record_count` records."""
    model = {
        key: value for key, value in json.loads(json.dumps(trained_model())).items() if not key.startswith("liman_")
    }
    model["blocking_rules_to_generate_predictions"] = blocking_rules()
    pairs = max(record_count * (record_count - 1) / 2, 1)
    model["probability_two_random_records_match"] = min(0.5, EXPECTED_DUPLICATES_PER_RECORD * record_count / pairs)
    if link_only:
        model["link_type"] = "link_only"
    return model


def portable_settings(record_count: int, model: dict | None = None):
    """The model (the trained one, or `model`: the trained one measured on a registry) rebuilt from the
    comparison definitions, for another SQL dialect (Spark): the JSON holds DuckDB SQL, so its m- and
    u-probabilities are carried over onto freshly built comparisons."""
    from splink import SettingsCreator

    model = model or model_for(record_count)
    trained = {c["output_column_name"]: c for c in model["comparisons"]}
    base = settings(model["probability_two_random_records_match"])
    comparisons = []
    for comparison in base.comparisons:
        levels = [level for level in trained[comparison.create_output_column_name()]["comparison_levels"]
                  if not level.get("is_null_level")]  # fmt: skip
        comparisons.append(
            comparison.configure(
                m_probabilities=[level["m_probability"] for level in levels],
                u_probabilities=[level["u_probability"] for level in levels],
            )
        )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        probability_two_random_records_match=base.probability_two_random_records_match,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["household_id"],
    )


# --- reading and preparing records ---------------------------------------------------------------------------

_CHECKS = (
    ("record_id", "record_id IS NULL OR trim(record_id) = ''", "is empty: every record needs an id"),
    ("sex", "sex IS NOT NULL AND sex NOT IN ('M', 'F')", "must be M or F"),
    (
        "birth_date",
        "birth_date IS NOT NULL AND NOT regexp_full_match(birth_date, "
        r"'\d{4}(-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))?')",
        "must be YYYY-MM-DD, or YYYY when only the year is known",
    ),
    (
        "nationality",
        "nationality IS NOT NULL AND NOT regexp_full_match(nationality, '[A-Z]{3}')",
        "must be a three-letter ISO 3166 code such as SYR",
    ),  # fmt: skip
    (
        "relationship",
        f"relationship IS NOT NULL AND lower(trim(relationship)) NOT IN {RELATIONSHIPS!r}",
        "must be one of " + ", ".join(RELATIONSHIPS) + " (the relationship to the head of the household), or empty",
    ),
)


#: Memory DuckDB may hold before it writes to its temporary directory: the blocking keys of a million records
#: (their sizes counted to cap them) would otherwise take 5 GiB; with this the whole run stays within 4 GiB.
MEMORY_LIMIT = "3GB"


def _connect(threads: int | None, memory: str | None = MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory:
        con.execute("SET memory_limit = ?", [memory])
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/liman-dedup'")
    return con


def _check_header(header: list[str]) -> None:
    missing = [column for column in COLUMNS if column not in header]
    unknown = [column for column in header if column not in COLUMNS + OPTIONAL_COLUMNS]
    problems = []
    if missing:
        problems.append("row 1: missing columns: " + ", ".join(missing))
    if unknown:
        problems.append("row 1: unknown columns: " + ", ".join(unknown))
    if problems:
        raise InputError(problems)


def read_file(con: duckdb.DuckDBPyConnection, path: Path, table: str = "raw") -> int:
    """Load a CSV of `COLUMNS` into `table`, refusing it with row and column when a value is unusable."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise InputError(["the file is empty"])
    _check_header([column.strip() for column in header])
    import duckdb

    try:
        con.execute(
            f"""CREATE OR REPLACE TABLE {table} AS
            SELECT row_number() OVER () + 1 AS row_number, *
            FROM read_csv(?, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')""",
            [str(path)],
        )
    except duckdb.InvalidInputException as exc:
        found = re.search(r"Line: (\d+).*?Expected Number of Columns: (\d+) Found: (\d+)", str(exc), re.S)
        if not found:
            raise InputError([f"the file cannot be read as CSV: {str(exc).splitlines()[0]}"]) from exc
        line, expected, got = found.groups()
        raise InputError([f"row {line}: {got} values where the header has {expected} columns"]) from exc
    for column in OPTIONAL_COLUMNS:
        if column not in [name.strip() for name in header]:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR")
    return _validate(con, table)


def load_records(con: duckdb.DuckDBPyConnection, records: Iterable[Mapping[str, str]], table: str) -> int:
    import pyarrow as pa

    rows = list(records)
    columns = {
        column: pa.array([(str(row.get(column) or "") or None) for row in rows], pa.string())
        for column in COLUMNS + OPTIONAL_COLUMNS
    }
    columns["row_number"] = pa.array(range(1, len(rows) + 1), pa.int64())
    frame = pa.table(columns)
    con.register(f"{table}_arrow", frame)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table}_arrow")
    con.unregister(f"{table}_arrow")
    return _validate(con, table)


def _validate(con: duckdb.DuckDBPyConnection, table: str) -> int:
    problems = []
    for column, condition, message in _CHECKS:
        for row_number, value in con.execute(
            f"SELECT row_number, {column} FROM {table} WHERE {condition} ORDER BY row_number LIMIT 20"
        ).fetchall():
            problems.append(f"row {row_number}, {column} {value!r}: {message}")
    for record_id, rows in con.execute(
        f"""SELECT record_id, list(row_number ORDER BY row_number) FROM {table}
        GROUP BY record_id HAVING count(*) > 1 ORDER BY min(row_number) LIMIT 20"""
    ).fetchall():
        problems.append(f"rows {', '.join(map(str, rows))}, record_id {record_id!r}: appears more than once")
    if problems:
        raise InputError(problems)
    (count,) = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
    return count


_E164 = re.compile(r"^\+\d{8,15}$")


def turkish_mobile_sql(column: str) -> str:
    """SQL: E.164 of a Turkish mobile number written the usual ways ("0532 123 45 67", "+90 (532) 123-45-67",
    "5321234567"), NULL for anything else. Most of a registry's phones are these, and parsing each with
    `normalise.phone_key` (phonenumbers) took 19 of 55 s of `prepare` at 1,000,000 records; the rest are
    parsed. A test holds this to `phone_key` for the forms it takes."""
    digits = f"regexp_replace({column}, '[ ().-]', '', 'g')"
    return rf"CASE WHEN regexp_full_match({digits}, '(\+90|0)?5\d{{9}}') THEN '+90' || right({digits}, 10) END"


def _key(*parts: str) -> str:
    """SQL: a blocking key of `parts` (none of them NULL) as a 63-bit hash. Keys are held in lists of tens a
    record (each name's forms with a letter less, with each other name, with two years): as numbers they are
    grouped and joined at a fraction of the cost of the strings they stand for; two keys that collide only
    bring one more candidate pair to be scored."""
    return f"(hash({', '.join(parts)}) >> 1)::BIGINT"


def prepare(con: duckdb.DuckDBPyConnection, source: str, table: str) -> None:
    """`table`: one row per record with the comparison columns the model reads."""
    import pyarrow as pa

    distinct = con.execute(
        " UNION ".join(f"SELECT DISTINCT {part} AS name FROM {source} WHERE {part} IS NOT NULL" for part in NAME_PARTS)
    ).fetchall()
    raw = [name for (name,) in distinct]
    rows = normalise.feature_rows(raw)
    fold, canon, skel, known, typed = ([row[i] for row in rows] for i in range(5))
    names = pa.table(
        {"name": raw, "fold": fold, "canon": canon, "skel": skel, "known": known,
         "typed": pa.array(typed, pa.list_(pa.string()))}
    )  # fmt: skip
    con.register("name_features", names)

    phones = con.execute(
        f"SELECT DISTINCT phone FROM {source} WHERE phone IS NOT NULL AND {turkish_mobile_sql('phone')} IS NULL"
    ).fetchall()
    odd = [phone for (phone,) in phones if not _E164.match(phone)]
    con.register("phone_keys", pa.table({"phone": odd, "e164": [normalise.phone_key(p) or None for p in odd]}))

    joins, selects = [], []
    for part in NAME_PARTS:
        alias = f"n_{part}"
        joins.append(f"LEFT JOIN name_features {alias} ON {alias}.name = s.{part}")
        selects.append(
            f"{alias}.fold AS {part}_fold, {alias}.canon AS {part}_canon, {alias}.skel AS {part}_skel, "
            f"coalesce({alias}.known, false) AS {part}_known, {alias}.typed AS {part}_typed"
        )
    con.execute(
        f"""CREATE OR REPLACE TABLE {table} AS
        SELECT s.record_id,
               {", ".join(selects)},
               try_cast(substr(s.birth_date, 1, 4) AS INTEGER) AS dob_y,
               CASE WHEN length(s.birth_date) = 10 THEN substr(s.birth_date, 6, 5) END AS dob_md,
               s.sex, s.nationality,
               coalesce({turkish_mobile_sql("s.phone")}, p.e164,
                        CASE WHEN regexp_full_match(s.phone, '\\+\\d{{8,15}}') THEN s.phone END) AS phone,
               nullif(regexp_replace(s.foreigner_id, '\\D', '', 'g'), '') AS foreigner_id,
               s.household_id, nullif(lower(trim(s.relationship)), '') AS relationship
        FROM {source} s {" ".join(joins)}
        LEFT JOIN phone_keys p ON p.phone = s.phone"""
    )
    pair = "CASE WHEN {a} IS NOT NULL AND {b} IS NOT NULL THEN least({a}, {b}) || '~' || greatest({a}, {b}) END"
    pairs = ", ".join(
        pair.format(a=f"{a}_skel", b=f"{b}_skel")
        for a, b in (("first_name", "family_name"), ("first_name", "father_name"), ("father_name", "family_name"))
    )
    skels = "list_filter([first_name_skel, father_name_skel, family_name_skel], lambda x: x IS NOT NULL)"
    typed = ", ".join(
        f"CASE WHEN {a}_skel IS NOT NULL THEN list_transform({b}_typed, lambda x: {a}_skel || '>' || x) END"
        for a in NAME_PARTS
        for b in NAME_PARTS
        if a != b
    )
    year, next_year, last_year = "dob_y::INTEGER", "(dob_y + 1)::INTEGER", "(dob_y - 1)::INTEGER"
    # The keys of two names: with the year of birth, and, to meet a year apart, with the same day and month
    # when the date is known (the year mistyped: any day a year apart brought twice the same year's pairs,
    # 19 of 56 million candidates at 1,000,000 records, for 0.3 % of the true pairs); a date known to the year
    # only meets the years either side.
    dated = (
        f"CASE WHEN dob_md IS NULL"
        f" THEN [{_key('x', 'sex', last_year)}, {_key('x', 'sex', year)}, {_key('x', 'sex', next_year)}]"
        f" ELSE [{_key('x', 'sex', year)}, {_key('x', 'sex', year, 'dob_md')},"
        f" {_key('x', 'sex', next_year, 'dob_md')}] END"
    )
    # The keys of typing errors: with the year and the year after (with the year only, measured: recall over all
    # flagged pairs 0.972 -> 0.968 at 100,000 records, for 13 % of the time at 1,000,000).
    year_apart = f"[{_key('x', 'sex', year)}, {_key('x', 'sex', next_year)}]"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE blocking_keys AS
        WITH named AS (
            SELECT record_id, dob_y, dob_md, sex, nationality, first_name_skel, father_name_skel, family_name_skel,
                   list_distinct(list_filter([{pairs}], lambda x: x IS NOT NULL)) AS pairs,
                   list_distinct(flatten(list_filter([{typed}], lambda x: x IS NOT NULL))) AS typed,
                   CASE WHEN len({skels}) = 3 THEN array_to_string(list_sort({skels}), '~') END AS name_set
            FROM {table}
        )
        SELECT record_id, dob_md, dob_y, nationality,
            CASE WHEN dob_y IS NULL OR sex IS NULL THEN []::BIGINT[] ELSE flatten(list_transform(pairs,
                 lambda x: {dated})) END AS name_keys,
            CASE WHEN sex IS NULL THEN []::BIGINT[] ELSE list_transform(pairs, lambda x: {_key("x", "sex")})
                 END AS name_pairs,
            CASE WHEN dob_y IS NULL OR sex IS NULL THEN []::BIGINT[] ELSE flatten(list_transform(typed,
                 lambda x: {year_apart})) END AS name_typos,
            CASE WHEN sex IS NULL THEN []::BIGINT[] ELSE list_transform(typed, lambda x: {_key("x", "sex")})
                 END AS undated_typos,
            CASE WHEN dob_md IS NULL THEN []::BIGINT[] ELSE list_distinct(list_transform({skels},
                 lambda x: {_key("x", year, "dob_md")})) END AS name_dates,
            name_set || '|' || sex AS name_set
        FROM named"""
    )
    # A key that would bring more pairs than its limit (common names, the same year) is made finer: split by
    # nationality (kept where a part is within the limit), and, for the keys of two names and a year, with
    # the day and month of birth too; the rest is dropped, so that no group of candidates grows with the
    # square of the registry.
    (count,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    limits = key_limits(count)
    capped = {}
    for column, finer in (
        ("name_keys", f"CASE WHEN dob_md IS NOT NULL THEN {_key('k', 'dob_md')} END"),
        ("name_pairs", "NULL"),
        ("name_dates", "NULL"),
        ("name_typos", "NULL"),
        ("undated_typos", "NULL"),
    ):
        # name_pairs and undated_typos meet two records only when one of them has no date of birth: those are the
        # pairs they bring, and a key no undated record shares brings none (it is dropped before its dated
        # records are joined).
        undated = column in ("name_pairs", "undated_typos")
        pairs = "undated * (n - undated) + undated * (undated - 1) / 2" if undated else "n * (n - 1) / 2"
        over = f"{pairs} > {limits[column]}"
        useless = "undated = 0" if undated else "false"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE capped_{column} AS
            WITH keys AS (SELECT record_id, dob_y, dob_md, nationality, unnest({column}) AS k
                          FROM blocking_keys),
                 sizes AS (SELECT k, count(*) AS n, count(*) FILTER (WHERE dob_y IS NULL) AS undated
                           FROM keys GROUP BY k),
                 kept AS (SELECT k, {over} AS over, {useless} AS useless FROM sizes),
                 over AS (SELECT keys.* FROM keys JOIN kept s USING (k) WHERE s.over AND NOT s.useless),
                 parts AS (SELECT k, nationality, count(*) AS n, count(*) FILTER (WHERE dob_y IS NULL) AS undated
                           FROM over WHERE nationality IS NOT NULL GROUP BY ALL),
                 finer AS (
                    SELECT record_id, unnest([CASE WHEN NOT ({over} OR {useless}) THEN {_key("k", "nationality")}
                                              END, {finer}]) AS key
                    FROM over LEFT JOIN parts USING (k, nationality)
                 ),
                 found AS (
                    SELECT record_id, k AS key FROM keys JOIN kept s USING (k) WHERE NOT (s.over OR s.useless)
                    UNION ALL SELECT record_id, key FROM finer
                 )
            SELECT record_id, list(key) AS {column} FROM found WHERE key IS NOT NULL GROUP BY record_id"""
        )
        capped[column] = f"coalesce(c_{column}.{column}, []::BIGINT[]) AS {column}"
    con.execute(
        """CREATE OR REPLACE TEMP TABLE set_sizes AS
        SELECT name_set, count(*) AS n FROM blocking_keys WHERE name_set IS NOT NULL GROUP BY name_set"""
    )
    joins = " ".join(f"LEFT JOIN capped_{column} c_{column} USING (record_id)" for column in capped)
    con.execute(
        f"""CREATE OR REPLACE TABLE {table} AS
        SELECT t.* EXCLUDE ({", ".join(f"{part}_typed" for part in NAME_PARTS)}), {", ".join(capped.values())},
               CASE WHEN z.n * (z.n - 1) / 2 > {limits["name_set"]} THEN b.name_set || '|' || b.dob_y
                    ELSE b.name_set END AS name_set
        FROM {table} t JOIN blocking_keys b USING (record_id) {joins}
        LEFT JOIN set_sizes z ON z.name_set = b.name_set"""
    )
    for column in capped:
        con.execute(f"DROP TABLE capped_{column}")
    con.execute("DROP TABLE blocking_keys; DROP TABLE set_sizes")
    con.unregister("name_features")
    con.unregister("phone_keys")


# --- running -------------------------------------------------------------------------------------------------


def backend() -> str:
    return os.environ.get("LIMAN_DEDUP_BACKEND", "duckdb")


def _linker(con: duckdb.DuckDBPyConnection, tables: list[str], model: dict):
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.WARNING)
    db_api = DuckDBAPI(connection=con)
    frames = [db_api.register(table) for table in tables]  # by name: each linker reads its own table
    # log_level=None: Splink leaves logging to the project (otherwise it prints its timings on every run).
    return Linker(frames if len(frames) > 1 else frames[0], model, log_level=None)


#: How many bits the estimation on the registry (`estimate_on_registry`: its m-probabilities and prior) may
#: add to a pair's weight under the trained model's, for `score_floor`.
ESTIMATION_HEADROOM = 3.0
#: A pair at or above this probability links its two households (for the household evidence).
HOUSEHOLD_LINK = 0.9
#: A pair at or above this probability, below `HOUSEHOLD_LINK`, says its two households may be linked.
HOUSEHOLD_HINT = 0.1


def score_floor(thresholds: Thresholds, bayes_factors: Mapping[str, float] | None = None) -> float:
    """The probability down to which the trained model's pairs are kept for the later steps: the review
    threshold lowered by the most the household evidence can add (its strongest factor, with a same
    relationship's, `bayes_factors` or the trained ones) and by `ESTIMATION_HEADROOM`. A floor any higher drops
    the pairs the later steps would have lifted into the review band: a family re-registered with errors in
    every member, whose pairs each score low on their own but vouch for one another."""
    if bayes_factors is None:
        bayes_factors = trained_model().get("liman_household_evidence", {})
    lift = max([0.0, *(math.log2(bayes_factors.get(state, 1.0)) for state in HOUSEHOLD_STATES)])
    lift += min(math.log2(RELATIONSHIP_LIMIT), max(0.0, math.log2(bayes_factors.get("same_relationship", 1.0))))
    weight = _logit2(thresholds.review) - lift - ESTIMATION_HEADROOM
    return min(thresholds.review, 2**weight / (1 + 2**weight))


def _blocking_sql(table: str) -> str:
    """SQL: the candidate pairs of `table` (record_id_l < record_id_r), each once, by the rules of
    `blocking_rules`, each list of keys unnested once. The pairs of a rule that needs one of the two records
    undated are found from the undated records' keys (a key shared by thousands of dated records and one
    undated one brings thousands of pairs, not millions to drop). Splink's blocking (as on Spark) brings the
    same pairs (a test holds them to it), at 1,000,000 records in 46 s, here in 29 s: it unnests each list of
    keys once per chunk of the records, with every column an earlier rule reads, and excludes each earlier
    rule's pairs from the next."""
    found = []
    for keys, undated in NAME_PAIR_RULES:
        unnested = f"(SELECT rowid AS seq, dob_y, unnest({keys}) AS k FROM {table}{{where}})"
        if undated:
            found.append(
                f"""SELECT least(u.seq, a.seq), greatest(u.seq, a.seq)
                FROM {unnested.format(where=" WHERE dob_y IS NULL")} u JOIN {unnested.format(where="")} a
                ON u.k = a.k AND (a.dob_y IS NOT NULL OR u.seq < a.seq)"""
            )
        else:
            found.append(f"SELECT l.seq, r.seq FROM {unnested.format(where='')} l JOIN {unnested.format(where='')} r "
                         "ON l.k = r.k AND l.seq < r.seq")  # fmt: skip
    for rule in BLOCKING_RULES:
        found.append(f"SELECT l.rowid, r.rowid FROM {table} l JOIN {table} r ON {rule} AND l.rowid < r.rowid")
    ids = f"(SELECT rowid AS seq, record_id FROM {table})"
    return f"""SELECT least(l.record_id, r.record_id) AS record_id_l, greatest(l.record_id, r.record_id) AS record_id_r
        FROM (SELECT DISTINCT * FROM ({" UNION ALL ".join(found)}) AS found(seq_l, seq_r)) p
        JOIN {ids} l ON l.seq = p.seq_l JOIN {ids} r ON r.seq = p.seq_r"""


def _predict(con, model: dict, table: str, thresholds: Thresholds, target: str) -> None:
    """Table `target`: the candidate pairs of `table` (`_blocking_sql`) at or above `score_floor`, with the
    columns the estimation reads (`_candidate_columns`), scored by `_scoring_sql`."""
    compared = [  # the blocking keys' lists are not compared
        name for name, kind in con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall()
        if not kind.endswith("[]")
    ]  # fmt: skip
    candidates = f"{table}_candidates"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {candidates} AS {_blocking_sql(table)}")
    con.execute(f"CREATE OR REPLACE TABLE {target} AS {_scoring_sql(model, table, compared, candidates, thresholds)}")
    con.execute(f"DROP TABLE {candidates}")


#: Parts of the name comparisons' levels that many levels of a pair test alike: how many names agree where
#: they stand, and once moved by each of `MOVES` (`NameLevel`). `_scoring_sql` computes each once per pair.
SHARED_NAME_TESTS = {
    "names_in_place": _agreeing(IN_PLACE, "{part}_{feature}_{side}"),
    **{f"names_move_{i}": _agreeing(move, "{part}_{feature}_{side}") for i, move in enumerate(MOVES)},
}


def _double(value: float) -> str:
    """SQL: a DOUBLE literal (DuckDB reads a literal with a decimal point as a DECIMAL)."""
    return f"{float(value)!r}::DOUBLE"


def _scoring_sql(model: dict, table: str, columns: list[str], candidates: str, thresholds: Thresholds) -> str:
    """SQL: the pairs of `candidates` (record_id_l, record_id_r) whose weight by `model` reaches `score_floor`,
    with the columns of `_candidate_columns` (each comparison's level weight, the term-frequency adjustments'
    sum) and the match weight. Splink's scoring, written out from the model: the levels' SQL (`sql_condition`,
    as Splink runs them) in order, the term-frequency adjustment as Splink makes it (the u of the level of
    exact agreement on the column, against the more common of the two values' frequencies among the records).
    One thing is not as in Splink: what many levels test alike (`SHARED_NAME_TESTS`) is computed once per
    pair, not once per level. At 1,000,000 records: Splink 121 s, this 65 s. A test holds the two to the same
    pairs and weights."""
    tf_columns = sorted(
        {level["tf_adjustment_column"] for comparison in model["comparisons"]
         for level in comparison["comparison_levels"] if level.get("tf_adjustment_column")}
    )  # fmt: skip
    frequencies = " ".join(
        f"""LEFT JOIN (SELECT {column}, count(*)::DOUBLE / (SELECT count({column}) FROM {table}) AS f
                       FROM {table} WHERE {column} IS NOT NULL GROUP BY {column}) tf_{column} USING ({column})"""
        for column in tf_columns
    )
    with_tf = f"(SELECT t.*, {', '.join(f'tf_{c}.f AS tf_{c}' for c in tf_columns)} FROM {table} t {frequencies})"
    read = [*columns, *(f"tf_{column}" for column in tf_columns)]
    sides = ", ".join(f"{side}.{column} AS {column}_{side}" for column in read for side in "lr")
    shared = ", ".join(f"{sql} AS {name}" for name, sql in SHARED_NAME_TESTS.items())
    gammas, weights, adjustments = [], [], []
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        counted = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        whens = []
        for level in comparison["comparison_levels"]:
            condition = level["sql_condition"]
            for shared_name, sql in SHARED_NAME_TESTS.items():
                condition = condition.replace(f"({sql})", shared_name)
            gamma = -1 if level.get("is_null_level") else len(counted) - 1 - counted.index(level)
            whens.append(f"ELSE {gamma}" if condition.strip().upper() == "ELSE" else f"WHEN {condition} THEN {gamma}")
        gammas.append(f"CASE {' '.join(whens)} END AS gamma_{name}")
        weight, adjustment = [], []
        for gamma, level in zip(range(len(counted) - 1, -1, -1), counted, strict=True):
            m, u = level.get("m_probability") or M_FLOOR, level.get("u_probability") or M_FLOOR
            weight.append(f"WHEN {gamma} THEN {_double(math.log2(m / u))}")
            column = level.get("tf_adjustment_column")
            if column and level.get("tf_adjustment_weight") and level["sql_condition"].strip().upper() != "ELSE":
                exact = next(lv for lv in counted if lv["sql_condition"] == f"{column}_l = {column}_r")
                either = f"coalesce(tf_{column}_l, tf_{column}_r)"
                frequency = f"greatest({either}, coalesce(tf_{column}_r, tf_{column}_l), {_double(0)})"
                adjusted = (
                    f"{_double(level['tf_adjustment_weight'])} * ({_double(math.log2(exact['u_probability']))}"
                    f" - log2({frequency}))"
                )
                adjustment.append(f"WHEN {gamma} THEN CASE WHEN {either} IS NOT NULL THEN {adjusted} ELSE 0 END")
        weights.append(f"CASE gamma_{name} {' '.join(weight)} ELSE {_double(0)} END AS mw_{name}")
        if adjustment:
            adjustments.append(f"CASE gamma_{name} {' '.join(adjustment)} ELSE {_double(0)} END")
    weight = " + ".join(
        [_double(_logit2(model["probability_two_random_records_match"])), "tf_weight"]
        + [f"mw_{comparison['output_column_name']}" for comparison in model["comparisons"]]
    )
    return f"""
        WITH records_tf AS {with_tf},
        pairs AS (
            SELECT {sides} FROM {candidates} p
            JOIN records_tf l ON l.record_id = p.record_id_l JOIN records_tf r ON r.record_id = p.record_id_r
        ),
        tested AS (SELECT *, {shared} FROM pairs),
        levels AS (SELECT *, {", ".join(gammas)} FROM tested),
        weighed AS (
            SELECT record_id_l, record_id_r, household_id_l, household_id_r, {", ".join(weights)},
                   ({" + ".join(adjustments) or _double(0)})::DOUBLE AS tf_weight
            FROM levels
        )
        SELECT * FROM (SELECT *, {weight} AS match_weight FROM weighed)
        WHERE match_weight >= {_double(_logit2(score_floor(thresholds)))}"""


def _band_sql(thresholds: Thresholds) -> str:
    return (
        f"CASE WHEN match_probability >= {thresholds.auto_link!r} THEN 'auto_link' "
        f"WHEN match_probability >= {thresholds.review!r} THEN 'review' ELSE 'distinct' END"
    )


def dedupe_file(
    input_path: Path,
    output_path: Path,
    *,
    thresholds: Thresholds = Thresholds(),
    threads: int | None = None,
    memory: str | None = MEMORY_LIMIT,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """`liman dedup file`: read INPUT, write every pair at or above the review threshold; return the count."""
    if backend() == "spark":
        from .spark import dedupe_file_on_spark

        return dedupe_file_on_spark(input_path, output_path, thresholds=thresholds)
    con = _connect(threads, memory)
    count = read_file(con, input_path)
    prepare(con, "raw", "records")
    con.execute("DROP TABLE raw")
    _score(con, count, thresholds, progress)
    con.execute(
        f"""COPY (SELECT record_id_l, record_id_r,
                  round(match_probability, 6) AS match_probability, {_band_sql(thresholds)} AS band
              FROM scored ORDER BY match_probability DESC, record_id_l, record_id_r)
        TO '{_sql_path(output_path)}' (HEADER, DELIMITER ',')"""
    )
    (written,) = con.execute("SELECT count(*) FROM scored").fetchall()[0]
    con.close()
    return written


#: Random pairs of records drawn to measure chance agreement (u) on the registry itself.
U_PAIRS = 300_000
#: A level seen fewer times than this among the random pairs keeps its trained u.
U_MIN_COUNT = 30
#: Comparisons whose u stay the trained ones: the phone's chance agreement is measured among relatives, not
#: random pairs (`training`).
U_FIXED = frozenset({"contact"})


def registry_model(con, table: str, count: int) -> dict:
    """The trained model with the u-probabilities (how often each level is seen by chance) measured on random
    pairs of this registry's records: how common names and birth years are differs from one population to
    another."""
    model = model_for(count)
    if count < 1000:
        return model
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.WARNING)
    frame = DuckDBAPI(connection=con).register(con.table(table))
    linker = Linker(frame, {**model, "comparisons": json.loads(json.dumps(model["comparisons"]))}, log_level=None)
    pairs = min(U_PAIRS, count * (count - 1) / 2)
    linker.training.estimate_u_using_random_sampling(max_pairs=pairs, seed=1, min_count_per_level=None, num_chunks=1)
    measured = linker.misc.save_model_to_json()
    for comparison, found in zip(model["comparisons"], measured["comparisons"], strict=True):
        if comparison["output_column_name"] in U_FIXED:
            continue
        for level, new in zip(comparison["comparison_levels"], found["comparison_levels"], strict=True):
            if level.get("is_null_level") or not new.get("u_probability"):
                continue
            if new["u_probability"] * pairs >= U_MIN_COUNT:
                level["u_probability"] = new["u_probability"]
        tie_twins(comparison, ("u_probability",))
    return model


def tie_twins(comparison: dict, keys: tuple[str, ...] = ("m_probability", "u_probability")) -> None:
    """Give each twin level of `comparison` (the same agreement with names moved between columns) the
    probabilities `keys` of the level it is the twin of."""
    by_label = {level.get("label_for_charts"): level for level in comparison["comparison_levels"]}
    for level in comparison["comparison_levels"]:
        twin = twin_of(level.get("label_for_charts") or "")
        if twin is not None:
            for key in keys:
                if by_label[twin].get(key) is None:
                    raise ValueError(f"{comparison['output_column_name']}: level {twin!r} has no {key}")
                level[key] = by_label[twin][key]


def _score(con, count: int, thresholds: Thresholds, progress: Callable[[int, int], None] | None) -> None:
    """Table `scored`: the pairs of `records` at or above the review threshold, household evidence included."""
    model = registry_model(con, "records", count)
    if progress:
        progress(0, 1)
    _predict(con, model, "records", thresholds, "candidates_raw")
    if progress:
        progress(1, 1)
    estimate_on_registry(con, "candidates_raw", "candidates", model, count)
    household_evidence(con, "candidates", trained_model().get("liman_household_evidence", {}))
    con.execute(
        f"""CREATE OR REPLACE TABLE scored AS
        SELECT record_id_l, record_id_r, match_probability FROM candidates_with_households
        WHERE match_probability >= {thresholds.review!r}"""
    )


# --- estimation on the registry itself -------------------------------------------------------------------------

#: Expectation maximisation rounds over the scored candidates.
EM_ROUNDS = 3
#: How many pairs' worth of weight the trained m-probabilities keep against what the registry shows: a level
#: seen in few pairs moves little, one seen in thousands follows the registry.
EM_PRIOR_PAIRS = 200.0
M_FLOOR = 1e-4
#: Only pairs at least this likely count as matches in the estimation: the many candidates that are only
#: faintly possible (siblings, namesakes) would otherwise add up to more matches than there are, and the
#: estimate would run away with itself.
EM_LIKELY = 0.5
#: Comparisons whose m-probabilities stay the trained ones: one household is a rule (two members are two
#: people), not a habit of a registry.
EM_FIXED = frozenset({"contact"})
#: Levels whose m-probabilities stay the trained ones, for the same reason: two different names of the
#: variant table are two names (twins and siblings, whom a registry has many of, would otherwise teach the
#: estimation that they are often one person).
EM_FIXED_LEVELS = frozenset({KNOWN_DIFFERENT})


def _levels(model: dict) -> list[tuple[str, dict[int, tuple[float, float]], bool]]:
    """(comparison, {gamma: (m, u)}, has a term-frequency adjustment) for each comparison of `model`; Splink
    numbers the levels other than the null level from the strongest (highest gamma) down to 0."""
    found = []
    for comparison in model["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        values = {
            len(levels) - 1 - i: (level.get("m_probability") or M_FLOOR, level.get("u_probability") or M_FLOOR)
            for i, level in enumerate(levels)
        }
        adjusted = any(level.get("tf_adjustment_column") for level in levels)
        found.append((comparison["output_column_name"], values, adjusted))
    return found


def _candidate_columns(model: dict) -> str:
    """The columns of a scored pair the estimation reads: Splink gives each comparison's weight (`mw_…`) and
    its term-frequency adjustment (`mw_tf_adj_…`), from which the level seen is known."""
    columns = ["record_id_l", "record_id_r", "household_id_l", "household_id_r"]
    tf = []
    for name, _values, adjusted in _levels(model):
        columns.append(f"mw_{name}")
        if adjusted:
            tf.append(f"coalesce(mw_tf_adj_{name}, 0.0)")
    columns.append(f"({' + '.join(tf) or '0.0'})::DOUBLE AS tf_weight")
    return ", ".join(columns)


def _logit2(probability: float) -> float:
    return math.log2(probability / (1 - probability))


def _gamma_sql(name: str, values: dict[int, tuple[float, float]]) -> str:
    """The level of each pair (-1: the null level), read back from the comparison's weight Splink gave it."""
    whens = " ".join(
        f"WHEN abs(mw_{name} - {math.log2(m / u)!r}) < 1e-9 THEN {value}" for value, (m, u) in values.items()
    )
    return f"(CASE {whens} ELSE -1 END)::TINYINT AS gamma_{name}"


def _weight_sql(levels, m: dict, u: dict, prior: float) -> str:
    cases = []
    for name, _values, _adjusted in levels:
        whens = " ".join(f"WHEN {value} THEN {math.log2(m[name][value] / u[name][value])!r}" for value in m[name])
        cases.append(f"CASE gamma_{name} {whens} ELSE 0.0 END")
    return f"({_logit2(prior)!r} + tf_weight + {' + '.join(cases)})"


def estimate_on_registry(con, source: str, target: str, model: dict, count: int) -> dict:
    """`target`: the candidates of `source` weighed with m-probabilities and a prior estimated on this registry.

    The trained model is the starting point. Expectation maximisation over the scored candidates: each pair
    the model, household evidence included, finds likely (p ≥ `EM_LIKELY`) counts as a match by its
    probability; each m-probability moves towards how often its level is seen among them, as far as the
    number of such pairs outweighs `EM_PRIOR_PAIRS` pairs of the trained model; the prior becomes the
    number of matches found among all pairs of records. The u-probabilities (chance agreement) stay the
    trained ones, measured on random pairs, and so do the levels that are rules rather than habits of a
    registry (one household). Returns the estimated m-probabilities ({comparison: {level: m}}) and prior."""
    levels = _levels(model)
    names = [name for name, _values, _adjusted in levels]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {target}_levels AS
        SELECT c.record_id_l, c.record_id_r, c.household_id_l, c.household_id_r, c.tf_weight, {PAIR_STATES_SQL},
               {", ".join(_gamma_sql(name, values) for name, values, _adjusted in levels)}
        FROM {source} c {PAIR_STATES_JOIN}"""
    )
    pairs = max(count * (count - 1) / 2, 1.0)
    prior = model["probability_two_random_records_match"]
    m = {name: {gamma: mu[0] for gamma, mu in values.items()} for name, values, _adjusted in levels}
    u = {name: {gamma: mu[1] for gamma, mu in values.items()} for name, values, _adjusted in levels}
    trained_m = {name: dict(values) for name, values in m.items()}
    fixed = {name for name in names if name in EM_FIXED}
    twins, kept = {}, set()
    for comparison in model["comparisons"]:
        levels_of = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        gamma_of = {level.get("label_for_charts"): len(levels_of) - 1 - i for i, level in enumerate(levels_of)}
        for label, gamma in gamma_of.items():
            if twin_of(label or "") is not None:
                twins[(comparison["output_column_name"], gamma)] = gamma_of[twin_of(label)]
            if label in EM_FIXED_LEVELS:
                kept.add((comparison["output_column_name"], gamma))
    factors = trained_model().get("liman_household_evidence", {})
    (candidates,) = con.execute(f"SELECT count(*) FROM {target}_levels").fetchone()
    gamma_columns = ", ".join(f"g.gamma_{name}" for name in names)

    def weigh() -> None:
        con.execute(
            f"""CREATE OR REPLACE TABLE {target} AS
            SELECT record_id_l, record_id_r, household_id_l, household_id_r, {", ".join(PAIR_STATES)},
                   {_weight_sql(levels, m, u, prior)} AS match_weight
            FROM {target}_levels"""
        )

    for _round in range(EM_ROUNDS if candidates else 0):
        weigh()
        household_evidence(con, target, factors)
        rows = con.execute(
            f"""SELECT {gamma_columns}, sum(h.match_probability)
            FROM {target}_levels g JOIN {target}_with_households h USING (record_id_l, record_id_r)
            WHERE h.match_probability >= {EM_LIKELY!r}
            GROUP BY GROUPING SETS ({", ".join(f"(g.gamma_{name})" for name in names)}, ())"""
        ).fetchall()
        seen: dict[str, dict[int, float]] = {name: {} for name in names}
        matches = 0.0
        for *values, total in rows:
            present = [(name, value) for name, value in zip(names, values, strict=True) if value is not None]
            if present:
                seen[present[0][0]][present[0][1]] = float(total)
            else:
                matches = float(total or 0)  # no pair likely enough: the grand total of nothing is NULL
        for (name, twin), original in twins.items():  # a twin and its level weigh the same: read back as either
            seen[name][original] = seen[name].get(original, 0.0) + seen[name].pop(twin, 0.0)
        for name in names:
            if name in fixed:
                continue
            known = sum(total for value, total in seen[name].items() if value >= 0) + EM_PRIOR_PAIRS
            for value in m[name]:
                observed = seen[name].get(value, 0.0) + EM_PRIOR_PAIRS * trained_m[name][value]
                m[name][value] = max(observed / known, M_FLOOR)
            for value in m[name]:
                if (name, value) in kept:
                    m[name][value] = trained_m[name][value]
            for value in m[name]:
                if (name, value) in twins:
                    m[name][value] = m[name][twins[(name, value)]]
        prior = min(0.5, max(matches / pairs, 1e-12))
    weigh()
    con.execute(f"DROP TABLE {target}_levels")
    return {"m": m, "prior": prior}


#: What the two households of a pair say: other members matched (one, or two and more), other members only
#: possibly matched (p ≥ `HOUSEHOLD_HINT`: a family whose every member was written with errors), none matched
#: though both households have other members, a better match in the other household, one household for both
#: (two members are two people: siblings, twins), or nothing (a household of one, or none given).
HOUSEHOLD_STATES = ("linked_1", "linked_2", "weakly_linked", "not_linked", "displaced", "same_household")
#: Two records with one family name and one father's name but different given names are most often
#: siblings: the names, phone and household they share say less than the model, which weighs each on its
#: own, believes ("sibling_like").
FAMILY_STATES = ("sibling_like",)
#: When the file gives each record's relationship to the head of its household: the same relationship in
#: both registrations, or another (a head and a child of the same names are father and son; a child and a
#: sibling of the head are two people). Learnt with the model, and never allowed to weigh more than
#: `RELATIONSHIP_LIMIT` either way: people do become heads of their households.
RELATIONSHIP_STATES = ("same_relationship", "other_relationship")
RELATIONSHIP_LIMIT = 64.0
#: The desk moved the names between columns (`MOVES`): each name is weighed where it was moved to as if it
#: stood in its place (the twin levels); that the names were moved at all, which one registration in a few
#: dozen shows, is weighed here, once for the pair.
NAME_STATES = ("names_moved",)
#: What the other candidates of the pair's two records say: a record matched (p ≥ `HOUSEHOLD_LINK`) to both
#: (the third registration of one person, or a namesake matched to both); a record of the pair matched to
#: another that the pair's other record is not (most people are registered once or twice: the pair is then
#: most often of namesakes); else another candidate that may match one of them (p ≥ `HOUSEHOLD_HINT`: a
#: common name, whose holders meet many), or none.
CLUSTER_STATES = ("closes_triangle", "matched_elsewhere", "contested", "alone")
#: A triangle is weighed neither way: whether its third record is the same person's third registration or a
#: namesake matched to both depends on the registry. Learnt at 200,000 records (a factor of 40), it made
#: false auto-links at 1,000,000 (project generator: 30 % of the triangles' pairs at 0.9 <= p < 0.99 true).
WEIGHED_CLUSTER_STATES = CLUSTER_STATES[1:]


#: What the two records of a pair say of each other beside the comparisons (`FAMILY_STATES`,
#: `RELATIONSHIP_STATES`, `NAME_STATES`): columns of the candidates, computed once from the records
#: (`PAIR_STATES_JOIN`) for the household evidence's every pass.
PAIR_STATES = ("family_state", "relationship_state", "name_state")
PAIR_STATES_JOIN = "JOIN records pl ON pl.record_id = c.record_id_l JOIN records pr ON pr.record_id = c.record_id_r"
PAIR_STATES_SQL = f"""
    CASE WHEN pl.family_name_skel = pr.family_name_skel AND pl.father_name_skel = pr.father_name_skel
          AND pl.first_name_canon <> pr.first_name_canon AND pl.first_name_skel <> pr.first_name_skel
          AND jaro_winkler_similarity(pl.first_name_fold, pr.first_name_fold) < 0.88
         THEN 'sibling_like' END AS family_state,
    CASE WHEN pl.relationship IS NULL OR pr.relationship IS NULL
           OR c.household_id_l IS NOT DISTINCT FROM c.household_id_r THEN NULL
         WHEN pl.relationship = pr.relationship THEN 'same_relationship'
         ELSE 'other_relationship' END AS relationship_state,
    CASE WHEN {moved_sql("p{side}.{part}_{feature}")} THEN 'names_moved' END AS name_state"""


def household_evidence(con, table: str, bayes_factors: Mapping[str, float], *, keep: tuple[str, ...] = ()) -> None:
    """`{table}_with_households`: each pair's weight with what the two households say.

    A family registered again comes with its members: when other members of the two households are
    matched (p ≥ `HOUSEHOLD_LINK`), the pair is more likely the same person, the more so the more members
    match; when both households have other members and none of them match, less. The Bayes factors are
    learnt with the model (`training`). One person has one record in each household: a pair that is not
    the best match of both its records in the other's household is "displaced" (the twin or sibling of
    the one who matches), whatever else agrees. `table` holds the pairs' `PAIR_STATES`, weighed here too.

    The same goes for people: the pair's two records are weighed with their other candidates
    (`CLUSTER_STATES`). A person is registered once or twice, seldom three times: a record already matched
    to another that the pair's other record is not matched to makes the pair most often of namesakes; a
    record matched to both is told apart (`WEIGHED_CLUSTER_STATES`)."""
    states = HOUSEHOLD_STATES + FAMILY_STATES + RELATIONSHIP_STATES + NAME_STATES + WEIGHED_CLUSTER_STATES
    weights = {state: math.log2(bayes_factors.get(state, 1.0)) for state in states}
    for state in RELATIONSHIP_STATES:
        weights[state] = max(-math.log2(RELATIONSHIP_LIMIT), min(math.log2(RELATIONSHIP_LIMIT), weights[state]))
    threshold_weight = math.log2(HOUSEHOLD_LINK / (1 - HOUSEHOLD_LINK))
    hint_weight = math.log2(HOUSEHOLD_HINT / (1 - HOUSEHOLD_HINT))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE household_sizes AS
        SELECT household_id, count(*) AS size FROM records WHERE household_id IS NOT NULL GROUP BY ALL"""
    )
    _household_pass(con, table, f"{table}_with_households", (threshold_weight, hint_weight), weights, keep)


def _household_pass(
    con, source: str, target: str, thresholds: tuple[float, float], weights: dict, keep: tuple[str, ...]
) -> None:
    threshold, hint = thresholds
    weight_column = "match_weight"
    columns = ", ".join(("record_id_l", "record_id_r", "match_weight", "household_id_l", "household_id_r", *keep))
    con.execute(
        f"""CREATE OR REPLACE TABLE {target} AS
        WITH ranked AS (
            SELECT *,
                row_number() OVER (PARTITION BY record_id_l, household_id_r ORDER BY {weight_column} DESC, record_id_r)
                    AS rank_l,
                row_number() OVER (PARTITION BY record_id_r, household_id_l ORDER BY {weight_column} DESC, record_id_l)
                    AS rank_r
            FROM {source}
        ),
        -- The pairs that tell of their records' other candidates: not two members of one household (two
        -- people), each record's best match in the other's household (the others are its relatives).
        counted AS (
            SELECT *, household_id_l IS NULL OR household_id_r IS NULL
                      OR (household_id_l <> household_id_r AND rank_l = 1 AND rank_r = 1) AS counts
            FROM ranked
        ),
        told AS (
            SELECT * EXCLUDE (counts), counts AND {weight_column} >= {hint!r} AS hinted,
                   counts AND {weight_column} >= {threshold!r} AS matched
            FROM counted
        ),
        hinted_pairs AS (
            SELECT record_id_l AS x, record_id_r AS y, matched FROM told WHERE hinted
            UNION ALL
            SELECT record_id_r, record_id_l, matched FROM told WHERE hinted
        ),
        degrees AS (
            SELECT x, count(*) FILTER (WHERE matched) AS matched, count(*) AS hinted FROM hinted_pairs GROUP BY ALL
        ),
        triangles AS (
            SELECT DISTINCT least(s1.x, s2.y) AS a, greatest(s1.x, s2.y) AS b
            FROM hinted_pairs s1 JOIN hinted_pairs s2 ON s2.x = s1.y
            WHERE s1.matched AND s2.matched AND s2.y <> s1.x
        ),
        links AS (
            SELECT least(household_id_l, household_id_r) AS a, greatest(household_id_l, household_id_r) AS b,
                   count(*) FILTER (WHERE {weight_column} >= {threshold!r}) AS n, count(*) AS hinted
            FROM {source}
            WHERE {weight_column} >= {hint!r} AND household_id_l <> household_id_r
            GROUP BY ALL
        ),
        evidence AS (
            SELECT c.{columns.replace(", ", ", c.")},
                coalesce(k.n, 0) - CASE WHEN c.{weight_column} >= {threshold!r} THEN 1 ELSE 0 END AS others,
                coalesce(k.hinted, 0) - CASE WHEN c.{weight_column} >= {hint!r} THEN 1 ELSE 0 END AS hinted,
                sl.size AS size_l, sr.size AS size_r, c.rank_l, c.rank_r,
                c.family_state, c.relationship_state, c.name_state,
                CASE WHEN t.a IS NOT NULL THEN 'closes_triangle'
                     WHEN coalesce(dl.matched, 0) + coalesce(dr.matched, 0) > 2 * c.matched::INTEGER
                         THEN 'matched_elsewhere'
                     WHEN coalesce(dl.hinted, 0) + coalesce(dr.hinted, 0) > 2 * c.hinted::INTEGER THEN 'contested'
                     ELSE 'alone'
                END AS cluster_state
            FROM told c
            LEFT JOIN triangles t ON t.a = least(c.record_id_l, c.record_id_r)
                                 AND t.b = greatest(c.record_id_l, c.record_id_r)
            LEFT JOIN degrees dl ON dl.x = c.record_id_l
            LEFT JOIN degrees dr ON dr.x = c.record_id_r
            LEFT JOIN links k ON k.a = least(c.household_id_l, c.household_id_r)
                             AND k.b = greatest(c.household_id_l, c.household_id_r)
            LEFT JOIN household_sizes sl ON sl.household_id = c.household_id_l
            LEFT JOIN household_sizes sr ON sr.household_id = c.household_id_r
        ),
        states AS (
            SELECT *,
                CASE
                    WHEN household_id_l IS NULL OR household_id_r IS NULL THEN NULL
                    WHEN household_id_l = household_id_r THEN 'same_household'
                    WHEN rank_l > 1 OR rank_r > 1 THEN 'displaced'
                    WHEN others >= 2 THEN 'linked_2'
                    WHEN others = 1 THEN 'linked_1'
                    WHEN hinted >= 1 THEN 'weakly_linked'
                    WHEN size_l > 1 AND size_r > 1 THEN 'not_linked'
                END AS household_state
            FROM evidence
        )
        SELECT {columns}, household_state, family_state, relationship_state, name_state, cluster_state,
               match_weight + CASE family_state WHEN 'sibling_like' THEN {weights["sibling_like"]!r} ELSE 0.0 END
               + CASE cluster_state WHEN 'matched_elsewhere' THEN {weights["matched_elsewhere"]!r}
                   WHEN 'contested' THEN {weights["contested"]!r} WHEN 'alone' THEN {weights["alone"]!r} ELSE 0.0 END
               + CASE name_state WHEN 'names_moved' THEN {weights["names_moved"]!r} ELSE 0.0 END
               + CASE relationship_state WHEN 'same_relationship' THEN {weights["same_relationship"]!r}
                   WHEN 'other_relationship' THEN {weights["other_relationship"]!r} ELSE 0.0 END
               + CASE household_state
                   WHEN 'linked_2' THEN {weights["linked_2"]!r} WHEN 'linked_1' THEN {weights["linked_1"]!r}
                   WHEN 'weakly_linked' THEN {weights["weakly_linked"]!r}
                   WHEN 'not_linked' THEN {weights["not_linked"]!r} WHEN 'displaced' THEN {weights["displaced"]!r}
                   WHEN 'same_household' THEN {weights["same_household"]!r} ELSE 0.0 END AS final_weight
        FROM states"""
    )
    con.execute(
        f"""ALTER TABLE {target} ADD COLUMN match_probability DOUBLE;
        UPDATE {target} SET match_probability = pow(2, final_weight) / (1 + pow(2, final_weight))"""
    )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def dedupe(
    records: Iterable[Mapping[str, str]],
    *,
    thresholds: Thresholds = Thresholds(),
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ScoredPair]:
    """Every pair of `records` at or above the review threshold (record_id_l < record_id_r)."""
    con = _connect(threads)
    count = load_records(con, records, "raw")
    if count < 2:
        return []
    prepare(con, "raw", "records")
    _score(con, count, thresholds, progress)
    rows = con.execute(
        "SELECT record_id_l, record_id_r, match_probability FROM scored ORDER BY match_probability DESC"
    ).fetchall()
    con.close()
    return [
        ScoredPair(str(left), str(right), float(probability), thresholds.band(probability))
        for left, right, probability in rows
    ]


def link(
    new: Iterable[Mapping[str, str]],
    existing: Iterable[Mapping[str, str]],
    *,
    thresholds: Thresholds = Thresholds(),
    population: int | None = None,
) -> list[ScoredPair]:
    """Pairs of a new record and an existing one at or above the review threshold (left: new, right: existing).

    `existing` are usually a few candidates found by search; `population` is the size of the registry they
    were found in, which sets the prior (one person among that many), so that a pair scores as it would in
    a full run."""
    con = _connect(None)
    new_count = load_records(con, new, "raw_new")
    existing_count = load_records(con, existing, "raw_existing")
    if not new_count or not existing_count:
        return []
    prepare(con, "raw_new", "new_records")
    prepare(con, "raw_existing", "existing_records")
    # Ids are marked by side, so that each pair comes back the right way round.
    con.execute("UPDATE new_records SET record_id = 'n|' || record_id")
    con.execute("UPDATE existing_records SET record_id = 'e|' || record_id")
    model = model_for(2, link_only=True)
    among = max(population or existing_count, existing_count, 1)
    model["probability_two_random_records_match"] = min(0.5, 2 * EXPECTED_DUPLICATES_PER_RECORD / among)
    linker = _linker(con, ["new_records", "existing_records"], model)
    result = linker.inference.predict(threshold_match_probability=thresholds.review, warning_mode="never")
    rows = con.execute(
        f"SELECT record_id_l, record_id_r, match_probability FROM {result.physical_name} "
        "ORDER BY match_probability DESC"
    ).fetchall()
    con.close()
    pairs = []
    for left, right, probability in rows:
        if left.startswith("e|"):
            left, right = right, left
        pairs.append(ScoredPair(left[2:], right[2:], float(probability), thresholds.band(probability)))
    return pairs


# --- side by side --------------------------------------------------------------------------------------------


class Agreement(StrEnum):
    AGREE = "agree"
    CLOSE = "close"
    DISAGREE = "disagree"
    MISSING = "missing"


def _name_agreement(left: str, right: str) -> Agreement:
    if not (left or "").strip() or not (right or "").strip():
        return Agreement.MISSING
    a, b = normalise.name_features(left), normalise.name_features(right)
    if a.fold == b.fold or a.canon == b.canon:
        return Agreement.AGREE
    from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

    if (
        a.skel == b.skel
        or JaroWinkler.similarity(a.fold, b.fold) >= 0.88
        or DamerauLevenshtein.distance(a.skel, b.skel) <= 1
    ):
        return Agreement.CLOSE
    return Agreement.DISAGREE


_DATE_AGREEMENT = {
    normalise.DateAgreement.MISSING: Agreement.MISSING,
    normalise.DateAgreement.EXACT: Agreement.AGREE,
    normalise.DateAgreement.SWAPPED: Agreement.CLOSE,
    normalise.DateAgreement.SAME_YEAR_IMPRECISE: Agreement.CLOSE,
    normalise.DateAgreement.SAME_YEAR: Agreement.CLOSE,
    normalise.DateAgreement.YEAR_APART: Agreement.DISAGREE,
    normalise.DateAgreement.DIFFERENT: Agreement.DISAGREE,
}


def _exact_agreement(left: str, right: str) -> Agreement:
    if not left or not right:
        return Agreement.MISSING
    return Agreement.AGREE if left == right else Agreement.DISAGREE


def compare(left: Mapping[str, str], right: Mapping[str, str]) -> dict[str, str]:
    """Field by field, how two records agree: "agree", "close", "disagree" or "missing" (for the review page).

    A shared household is reported as "disagree" (two members of one household are two people); separate
    households say nothing ("missing"): a family registered again gets a new household."""
    found = {part: _name_agreement(left.get(part, ""), right.get(part, "")) for part in NAME_PARTS}
    try:
        dates = normalise.birth_date_agreement(
            normalise.birth_date(left.get("birth_date", "")), normalise.birth_date(right.get("birth_date", ""))
        )
        found["birth_date"] = _DATE_AGREEMENT[dates]
    except ValueError:
        found["birth_date"] = Agreement.MISSING
    for column in ("sex", "nationality"):
        found[column] = _exact_agreement(left.get(column, ""), right.get(column, ""))
    found["phone"] = _exact_agreement(
        normalise.phone_key(left.get("phone", "")), normalise.phone_key(right.get("phone", ""))
    )
    found["foreigner_id"] = _exact_agreement(left.get("foreigner_id", ""), right.get("foreigner_id", ""))
    household_l, household_r = left.get("household_id", ""), right.get("household_id", "")
    same_household = household_l and household_l == household_r
    found["household_id"] = Agreement.DISAGREE if same_household else Agreement.MISSING
    return {field: str(value) for field, value in found.items()}
