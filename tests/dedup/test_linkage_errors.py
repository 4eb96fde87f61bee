"""Record linkage on the errors of registration desks, the optional `relationship` column, the estimation on
the registry itself, and the independent population generator of the benchmark."""

import csv
import importlib.util
import math
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from liman.dedup import engine, normalise
from liman.dedup.synthetic import write_population
from liman.registry import names

ROOT = Path(__file__).resolve().parents[2]
HEADER = ",".join(engine.COLUMNS)


def _independent():
    spec = importlib.util.spec_from_file_location("popgen_independent", ROOT / "benchmarks/popgen_independent.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def read_pairs(path: Path) -> dict[tuple[str, str], float]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        return {(row["record_id_l"], row["record_id_r"]): float(row["match_probability"]) for row in rows}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """3,000 records of the project's synthetic registry (without the relationship column), for the prior."""
    folder = tmp_path_factory.mktemp("registry")
    data, truth = folder / "registry.csv", folder / "truth.csv"
    write_population(data, truth, 3000, seed=12, relationship=False)
    return data


def run_with(registry: Path, tmp_path: Path, *rows: str) -> dict[tuple[str, str], float]:
    data = tmp_path / "in.csv"
    data.write_text(registry.read_text(encoding="utf-8") + "\n".join(rows) + "\n", encoding="utf-8")
    output = tmp_path / "pairs.csv"
    call_command("dedup", "file", str(data), "--output", str(output))
    return read_pairs(output)


def test_names_typed_in_each_others_columns_are_linked(registry, tmp_path):
    found = run_with(
        registry,
        tmp_path,
        "s1,Mahmoud,Khalil,Barzani,M,1979-06-02,IRQ,,,hs1",
        "s2,Barzani,Khalil,Mahmoud,M,1979-06-02,IRQ,,,hs2",
        "r1,Leyla,Hasan,Dunghoron,F,2001-09-14,SYR,,,hr1",
        "r2,Hasan,Dunghoron,Leyla,F,2001-09-14,SYR,,,hr2",
    )
    assert found[("s1", "s2")] >= engine.Thresholds().auto_link
    assert found[("r1", "r2")] >= engine.Thresholds().auto_link


def test_a_birth_date_missing_on_one_side_is_missing_not_a_disagreement(registry, tmp_path):
    found = run_with(
        registry,
        tmp_path,
        "d1,Ghulam,Naqib,Popalzay,M,1988-02-03,AFG,+905411234567,,hd1",
        "d2,Gholam,Naqeeb,Popalzai,M,,AFG,,,hd2",
    )
    assert found.get(("d1", "d2"), 0.0) >= engine.Thresholds().review


def test_a_typing_error_in_a_consonant_with_a_name_missing_and_a_year_only_date_is_still_met(registry, tmp_path):
    """No two names share a skeleton (the family name's consonants differ by a typing error, the father's
    name is missing on one side) and one date is given to the year only: only the key of one name and
    another one typing error away meets them."""
    left, right = normalise.name_features("Dalkorsulani").skel, normalise.name_features("Dalkorsulaki").skel
    assert left != right and set(normalise.typo_keys(left)) & set(normalise.typo_keys(right))
    found = run_with(
        registry,
        tmp_path,
        "t1,Rashid,,Dalkorsulani,M,1990-05-17,SYR,+905411234568,,ht1",
        "t2,Rashid,Omar,Dalkorsulaki,M,1990,SYR,,,ht2",
    )
    assert found.get(("t1", "t2"), 0.0) >= engine.Thresholds().review


def test_typo_keys_are_the_skeleton_and_its_forms_one_letter_shorter():
    assert normalise.typo_keys("hlt") == ["hl", "hlt", "ht", "lt"]
    assert normalise.typo_keys("mhmt") == ["hmt", "mhm", "mhmt", "mht", "mmt"]
    assert normalise.typo_keys("mr") == ["mr"]  # a single letter is no key


def test_a_typing_error_in_a_short_name_with_the_father_missing_and_a_year_only_date_is_still_met(registry, tmp_path):
    """A short name one letter off ("Mahir" and "Marir": "mhr" and "mr"): the skeleton one letter shorter is a
    key, with the family name, the sex and the year."""
    left, right = normalise.name_features("Mahir").skel, normalise.name_features("Marir").skel
    assert set(normalise.typo_keys(left)) & set(normalise.typo_keys(right))
    found = run_with(
        registry,
        tmp_path,
        "k1,Mahir,,Kharwanferoor,M,2022-07-27,SYR,+905368016599,,hk1",
        "k2,Marir,Ahmat,Hervanferur,M,2022,SYR,,,hk2",
    )
    assert found.get(("k1", "k2"), 0.0) >= engine.Thresholds().review


def test_a_crowded_key_is_split_by_nationality_rather_than_dropped():
    """Forty-five men of the same given and father's names born in one year: the key of those two names, the
    sex and the year brings more pairs than its limit. Two records of another nationality among them, one
    dated to the year only, still share a key (the crowded key's part of their nationality); the key's limit
    grows with the registry beyond the size it is set for."""
    family = ("Dalkor", "Mirzani", "Tobrahi", "Senkuli", "Varhoun", "Pelzadi", "Quriani", "Hobsar", "Lutmani")
    crowd = [
        {"record_id": f"c{i}", "first_name": "Muhammad", "father_name": "Ahmad",
         "family_name": family[i % 9] + "o" * (i // 9), "sex": "M", "nationality": "SYR", "household_id": f"h{i}",
         "birth_date": f"1990-{i % 12 + 1:02}-{i % 28 + 1:02}"}
        for i in range(45)
    ]  # fmt: skip
    pair = [
        {"record_id": "a1", "first_name": "Muhammad", "father_name": "Ahmad", "sex": "M",
         "birth_date": "1990-03-04", "nationality": "AFG", "household_id": "ha1"},
        {"record_id": "a2", "first_name": "Muhammad", "father_name": "Ahmad", "family_name": "Zalmay", "sex": "M",
         "birth_date": "1990", "nationality": "AFG", "household_id": "ha2"},
    ]  # fmt: skip
    con = engine._connect(1)
    engine.load_records(con, crowd + pair, "raw")
    engine.prepare(con, "raw", "records")
    keys = {record: set(found) for record, found in con.execute("SELECT record_id, name_keys FROM records").fetchall()}
    assert keys["a1"] & keys["a2"]
    assert not keys["a1"] & keys["c0"]  # the crowded key itself is not kept
    limits, larger = engine.key_limits(engine.LIMIT_REGISTRY), engine.key_limits(10 * engine.LIMIT_REGISTRY)
    assert larger["name_keys"] == 10 * limits["name_keys"] and larger["name_typos"] == limits["name_typos"]


def test_two_names_a_year_apart_meet_with_the_same_day_or_a_year_only_date_and_not_otherwise():
    """The key of two names and the year: a year mistyped keeps the day and month, a date known to the year
    only meets the years either side; two dated records a year apart on other days share no such key (they
    were a third of all candidates at 1,000,000 records, for 0.3 % of the true pairs)."""
    person = {"first_name": "Rashid", "father_name": "Omar", "sex": "M", "nationality": "SYR"}
    records = [
        {**person, "record_id": "d1", "family_name": "Halabi", "birth_date": "1990-05-17"},
        {**person, "record_id": "d2", "family_name": "Dakkak", "birth_date": "1991-05-17"},  # the year mistyped
        {**person, "record_id": "d3", "family_name": "Sabbagh", "birth_date": "1991-08-02"},  # another day
        {**person, "record_id": "y1", "family_name": "Attar", "birth_date": "1989"},  # the year only
        {**person, "record_id": "y2", "family_name": "Kassab", "birth_date": "1991"},
    ]
    con = engine._connect(1)
    engine.load_records(con, records, "raw")
    engine.prepare(con, "raw", "records")
    keys = {record: set(found) for record, found in con.execute("SELECT record_id, name_keys FROM records").fetchall()}
    assert keys["d1"] & keys["d2"]
    assert not keys["d1"] & keys["d3"]
    assert keys["d1"] & keys["y1"] and keys["d1"] & keys["y2"] and keys["d3"] & keys["y2"]


def test_candidates_are_kept_down_to_where_the_household_evidence_could_lift_them_into_review():
    """A re-registered family written with errors in every member: each pair may score below the review
    threshold on its own and be lifted by the others; the floor leaves room for the strongest household
    factor, a same relationship's and the estimation's headroom."""
    thresholds = engine.Thresholds(auto_link=0.9, review=0.02)
    floor = engine.score_floor(thresholds, {"linked_1": 2.0**7, "linked_2": 2.0**6, "same_relationship": 2.0})
    lifted = math.log2(floor / (1 - floor)) + 7 + 1 + engine.ESTIMATION_HEADROOM
    assert lifted == pytest.approx(math.log2(0.02 / 0.98))
    assert engine.score_floor(thresholds, {"not_linked": 0.01}) < thresholds.review
    assert engine.score_floor(thresholds) < engine.score_floor(thresholds, {})  # the trained factors lift


def test_the_other_candidates_of_the_two_records_of_a_pair_weigh_on_it():
    """a-b and b-c are matched: a-c, weak on its own, may be the third registration of one person or a
    namesake matched to both (not weighed either way); d, a namesake of a, would make a two people's record.
    g may be i (p = 0.5), which makes g-h contested; e-f and g-i have no other candidate."""
    con = engine._connect(1)
    con.execute(
        """CREATE TABLE records AS SELECT * FROM (VALUES ('a', 'h1'), ('b', 'h2'), ('c', 'h3'), ('d', 'h4'),
        ('e', 'h5'), ('f', 'h6'), ('g', 'h7'), ('h', 'h8'), ('i', 'h9')) AS r(record_id, household_id)"""
    )
    con.execute(
        """CREATE TABLE pairs AS SELECT l AS record_id_l, r AS record_id_r, w AS match_weight,
            hl AS household_id_l, hr AS household_id_r, NULL::VARCHAR AS family_state,
            NULL::VARCHAR AS relationship_state, NULL::VARCHAR AS name_state
        FROM (VALUES ('a', 'b', 10.0, 'h1', 'h2'), ('b', 'c', 10.0, 'h2', 'h3'), ('a', 'c', -2.0, 'h1', 'h3'),
                     ('a', 'd', -2.0, 'h1', 'h4'), ('e', 'f', -2.0, 'h5', 'h6'), ('g', 'h', -6.0, 'h7', 'h8'),
                     ('g', 'i', 0.0, 'h7', 'h9')) AS p(l, r, w, hl, hr)"""
    )
    factors = {"closes_triangle": 2.0**4, "matched_elsewhere": 2.0**-2, "contested": 2.0**-1, "alone": 2.0}
    engine.household_evidence(con, "pairs", factors)
    found = {
        (left, right): (state, weight - before)
        for left, right, state, weight, before in con.execute(
            """SELECT h.record_id_l, h.record_id_r, h.cluster_state, h.final_weight, p.match_weight
            FROM pairs_with_households h JOIN pairs p USING (record_id_l, record_id_r)"""
        ).fetchall()
    }
    assert found[("a", "c")] == ("closes_triangle", 0.0)
    assert found[("a", "d")] == ("matched_elsewhere", -2.0)
    assert found[("a", "b")] == ("matched_elsewhere", -2.0)  # b is matched to c, which a is not: one is wrong
    assert found[("g", "h")] == ("contested", -1.0)
    assert found[("e", "f")] == found[("g", "i")] == ("alone", 1.0)


def test_one_letter_dropped_doubled_or_swapped_in_short_names_is_close():
    for left, right in (("Omar", "Oar"), ("Aisha", "Aishha"), ("Darwish", "Darwsih")):
        assert engine.compare({"first_name": left}, {"first_name": right})["first_name"] in ("agree", "close")


def test_relationship_is_optional_and_checked(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text(
        HEADER + ",relationship\n"
        "x1,Ali,Omar,Hassan,M,1990,SYR,,,h1,head\n"
        "x2,Aly,Omar,Hassan,M,1990,SYR,,,h2,Head\n"
        "x3,Ali,Omar,Hassan,M,1990,SYR,,,h3,cousin\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("dedup", "file", str(source), "--output", str(tmp_path / "out.csv"))
    assert "row 4, relationship 'cousin': must be one of head, spouse, child, parent, sibling, other" in (
        capsys.readouterr().err
    )
    source.write_text(source.read_text(encoding="utf-8").replace("cousin", "child"), encoding="utf-8")
    call_command("dedup", "file", str(source), "--output", str(tmp_path / "out.csv"))
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(engine.OUTPUT_COLUMNS)


def test_a_father_and_his_son_of_the_same_names_are_kept_apart_by_their_relationships(registry, tmp_path):
    """Two men of one name, one year apart, sharing a phone, in two households: one the parent of its head,
    the other a child of its head. Their relationships weigh against one person."""
    data = tmp_path / "in.csv"
    lines = registry.read_text(encoding="utf-8").splitlines()
    rows = [
        "f1,Ahmad,Mahmoud,Al-Kurdi,M,1960,SYR,+905301234567,,hf1,parent",
        "f2,Ahmad,Mahmoud,Al-Kurdi,M,1961,SYR,+905301234567,,hf2,child",
    ]
    data.write_text("\n".join([lines[0] + ",relationship", *(line + "," for line in lines[1:]), *rows]) + "\n")
    output = tmp_path / "pairs.csv"
    call_command("dedup", "file", str(data), "--output", str(output))
    with_relationship = read_pairs(output).get(("f1", "f2"), 0.0)
    data.write_text("\n".join([lines[0] + ",relationship", *(line + "," for line in lines[1:]),
                               *(row.rsplit(",", 1)[0] + "," for row in rows)]) + "\n")  # fmt: skip
    call_command("dedup", "file", str(data), "--output", str(output))
    without = read_pairs(output).get(("f1", "f2"), 0.0)
    assert with_relationship < without


def candidates(data: Path, table: str, *, where: str = "TRUE"):
    """The registry in `data` scored by the trained model, its candidate pairs (those `where` keeps) in `table`, as
    the estimation reads them; returns the connection, the model and the number of records."""
    con = engine._connect(1)
    count = engine.read_file(con, data)
    engine.prepare(con, "raw", "records")
    model = engine.registry_model(con, "records", count)
    engine._predict(con, model, "records", engine.Thresholds(), "scored_candidates")
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM scored_candidates WHERE {where}")
    return con, model, count


def test_the_prior_and_m_probabilities_are_estimated_on_the_registry(tmp_path):
    """On a registry with twice as many duplicates as the trained prior assumes, the estimated prior follows
    the registry, not the constant."""
    data, truth = tmp_path / "registry.csv", tmp_path / "truth.csv"
    write_population(data, truth, 4000, seed=21)
    with open(truth, newline="") as handle:
        entities = [row["entity_id"] for row in csv.DictReader(handle)]
    true_pairs = sum(n * (n - 1) // 2 for n in __import__("collections").Counter(entities).values())
    con, model, count = candidates(data, "raw_candidates")
    start = model["probability_two_random_records_match"] * count * (count - 1) / 2
    estimated = engine.estimate_on_registry(con, "raw_candidates", "estimated", model, count)
    found = estimated["prior"] * count * (count - 1) / 2
    assert abs(found - true_pairs) < abs(start - true_pairs)
    assert abs(found - true_pairs) / true_pairs < 0.15
    assert estimated["m"]["first_name"] != {g: mu[0] for g, mu in engine._levels(model)[0][1].items()}
    (rows,) = con.execute("SELECT count(*) FROM estimated").fetchone()
    assert rows == con.execute("SELECT count(*) FROM raw_candidates").fetchone()[0]


def test_a_registry_without_a_likely_pair_keeps_the_smallest_prior(tmp_path):
    """Where no candidate is likely enough to count as a match, the estimation's grand total of likely pairs is
    NULL (a sum of nothing): the prior becomes the smallest one and the candidates are weighed, nothing fails."""
    data, truth = tmp_path / "registry.csv", tmp_path / "truth.csv"
    write_population(data, truth, 1000, seed=5)
    con, model, count = candidates(data, "faint", where="match_weight < log2(0.05 / 0.95)")
    (faint,) = con.execute("SELECT count(*) FROM faint").fetchone()
    assert faint > 0

    estimated = engine.estimate_on_registry(con, "faint", "estimated", model, count)

    assert estimated["prior"] == 1e-12
    assert con.execute("SELECT count(*) FROM estimated").fetchone()[0] == faint


def test_the_independent_generator_writes_relationships_and_spellings_the_table_does_not_hold(tmp_path):
    module = _independent()
    data, truth = tmp_path / "independent.csv", tmp_path / "truth.csv"
    assert module.write_population(data, truth, 2000, seed=3) == 2000
    with open(data, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == (*engine.COLUMNS, "relationship")
    assert {row["relationship"] for row in rows} <= set(engine.RELATIONSHIPS)
    with open(truth, newline="") as handle:
        entities = [row["entity_id"] for row in csv.DictReader(handle)]
    assert len(set(entities)) < len(entities)
    known = {names.loose("".join(names.name_tokens(s))) for v in names.VARIANT_SPELLINGS.values() for s in v}
    spellings = {row["first_name"] for row in rows if row["first_name"]}
    held_out = [s for s in spellings if names.loose("".join(names.name_tokens(s))) not in known]
    assert len(held_out) > 0.6 * len(spellings)
    turned_up = module.Noise().scaled("names in other columns", 3.0)
    assert turned_up.swap == pytest.approx(3 * module.Noise().swap)


def test_a_row_with_another_number_of_values_is_refused(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text(HEADER + "\nx1,Ali,,Hassan,M,1990,SYR,,,h1\nx2,Ali,Hassan,M,1990,SYR,,,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("dedup", "file", str(source), "--output", str(tmp_path / "out.csv"))
    assert "cannot be read as CSV" in capsys.readouterr().err
