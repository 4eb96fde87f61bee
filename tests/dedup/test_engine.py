"""Record linkage on files and records: `liman dedup file`, dedupe, link and the side-by-side comparison."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from liman.dedup import engine
from liman.dedup.synthetic import INPUT_COLUMNS, Population, write_population

HEADER = ",".join(engine.COLUMNS)


def write(path: Path, *rows: str) -> Path:
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return path


def read_pairs(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    folder = tmp_path_factory.mktemp("population")
    data, truth = folder / "registry.csv", folder / "truth.csv"
    write_population(data, truth, 3000, seed=11, relationship=False)
    entities = {}
    with open(truth, newline="") as handle:
        for row in csv.DictReader(handle):
            entities[row["record_id"]] = row["entity_id"]
    return data, entities


def test_dedup_file_writes_the_pairs_with_the_named_columns_and_bands(population, tmp_path):
    data, entities = population
    output = tmp_path / "pairs.csv"
    call_command("dedup", "file", str(data), "--output", str(output), "--threads", "1")
    with open(output, newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["record_id_l", "record_id_r", "match_probability", "band"]
    pairs = read_pairs(output)
    assert pairs
    for pair in pairs:
        probability = float(pair["match_probability"])
        assert probability >= engine.Thresholds().review
        assert pair["band"] == ("auto_link" if probability >= engine.Thresholds().auto_link else "review")
        assert pair["record_id_l"] < pair["record_id_r"]


def test_a_memory_limit_that_is_not_a_size_is_refused(population, tmp_path):
    data, _entities = population
    with pytest.raises(CommandError, match="--memory 'lots': must be a size such as 3GB"):
        call_command("dedup", "file", str(data), "--output", str(tmp_path / "out.csv"), "--memory", "lots")
    assert not (tmp_path / "out.csv").exists()


def test_duckdb_holds_no_more_memory_than_the_limit():
    con = engine._connect(1)
    ((limit,),) = con.execute("SELECT current_setting('memory_limit')").fetchall()
    assert limit == "2.7 GiB"  # MEMORY_LIMIT, 3 GB, as DuckDB writes it
    ((limit,),) = engine._connect(1, "800MB").execute("SELECT current_setting('memory_limit')").fetchall()
    assert limit == "762.9 MiB"


def test_the_candidates_and_their_weights_are_those_splink_gives(population):
    """The candidate pairs are found by the blocking rules in SQL and scored in SQL written out from the model
    (on DuckDB), by Splink on Spark: the same pairs above the floor either way, each once, the lower id on the
    left, with the same level weights and term-frequency adjustments."""
    data, _entities = population
    con = engine._connect(1)
    count = engine.read_file(con, data)
    engine.prepare(con, "raw", "records")
    model = engine.registry_model(con, "records", count)
    model["additional_columns_to_retain"] = ["household_id"]
    model["retain_intermediate_calculation_columns"] = True
    splink = engine._linker(con, ["records"], model)
    blocked = splink.inference.compute_blocked_pairs_for_predict_chunk(left_chunk=(1, 1), right_chunk=(1, 1))
    by_splink = con.execute(f"SELECT join_key_l, join_key_r FROM {blocked.physical_name} ORDER BY ALL").fetchall()
    ours = con.execute(f"SELECT * FROM ({engine._blocking_sql('records')}) ORDER BY ALL").fetchall()
    assert len(by_splink) > 1000
    assert ours == by_splink

    scored = splink.inference.predict(
        threshold_match_probability=engine.score_floor(engine.Thresholds()), warning_mode="never"
    )
    columns = engine._candidate_columns(model)
    by_splink = con.execute(f"SELECT {columns}, match_weight FROM {scored.physical_name} ORDER BY ALL").fetchall()
    engine._predict(con, model, "records", engine.Thresholds(), "ours")
    ours = con.execute("SELECT * FROM ours ORDER BY ALL").fetchall()
    assert len(by_splink) > 200
    assert [row[:4] for row in ours] == [row[:4] for row in by_splink]
    for mine, theirs in zip(ours, by_splink, strict=True):
        assert mine[4:] == pytest.approx(theirs[4:], abs=1e-9)
    assert len({row[:2] for row in ours}) == len(ours) and all(row[0] < row[1] for row in ours)
    assert "records_candidates" not in {name for (name,) in con.execute("SHOW TABLES").fetchall()}
    sql = engine._scoring_sql(model, "records", ["record_id"], "pairs", engine.Thresholds())
    for shared in engine.SHARED_NAME_TESTS.values():  # each test of names alike is computed once
        assert sql.count(shared) == 1


def test_dedup_file_finds_most_true_duplicates_and_few_false_ones(population, tmp_path):
    """On a small noisy population (the benchmark measures the large ones): a floor, not a figure."""
    data, entities = population
    output = tmp_path / "pairs.csv"
    call_command("dedup", "file", str(data), "--output", str(output))
    found = {(p["record_id_l"], p["record_id_r"]) for p in read_pairs(output) if p["band"] == "auto_link"}
    by_entity: dict[str, list[str]] = {}
    for record, entity in entities.items():
        by_entity.setdefault(entity, []).append(record)
    truth = {(a, b) for ids in by_entity.values() for a in ids for b in ids if a < b}
    correct = found & truth
    assert len(correct) / len(found) > 0.9
    assert len(correct) / len(truth) > 0.8


def test_respelled_person_with_a_year_only_birth_date_is_linked_but_siblings_are_not(tmp_path):
    data = write(
        tmp_path / "family.csv",
        "a1,Mohammed,Ahmad,Al-Hassan,M,1990-05-17,SYR,+905321234567,,h1",
        "a2,Khaled,Ahmad,Al-Hassan,M,1992-03-02,SYR,+905321234567,,h1",
        "a3,Fatima,Ahmad,Al-Hassan,F,1995-08-30,SYR,+905321234567,,h1",
        "b1,MUHAMMAD,Ahmed,Hassan,M,1990,SYR,+905321234567,,h2",
        "b2,Khalid,Ahmed,HASSAN,M,1992,SYR,,,h2",
        "c1,Ayşe,Mehmet,Yılmaz,F,1971-02-11,TUR,+905551112233,,h3",
    )
    output = tmp_path / "pairs.csv"
    call_command("dedup", "file", str(data), "--output", str(output))
    pairs = {(p["record_id_l"], p["record_id_r"]) for p in read_pairs(output)}
    assert ("a1", "b1") in pairs
    assert ("a2", "b2") in pairs
    assert not pairs & {("a1", "a2"), ("a1", "a3"), ("a2", "a3"), ("a2", "b1"), ("a1", "b2")}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["x1,Ali,,Hassan,M,17.05.1990,SYR,,,"], "row 2, birth_date '17.05.1990': must be YYYY-MM-DD"),
        (["x1,Ali,,Hassan,male,1990,SYR,,,"], "row 2, sex 'male': must be M or F"),
        (["x1,Ali,,Hassan,M,1990,Syria,,,"], "row 2, nationality 'Syria'"),
        (["x1,Ali,,Hassan,M,1990,SYR,,,", "x1,Omar,,Hassan,M,1990,SYR,,,"], "rows 2, 3, record_id 'x1'"),
        ([",Ali,,Hassan,M,1990,SYR,,,"], "row 2, record_id"),
    ],
)
def test_bad_rows_are_refused_with_row_and_column(tmp_path, capsys, rows, message):
    output = tmp_path / "pairs.csv"
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("dedup", "file", str(write(tmp_path / "in.csv", *rows)), "--output", str(output))
    assert message in capsys.readouterr().err
    assert not output.exists()


def test_missing_and_unknown_columns_are_named(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("record_id,first_name,surname\nx1,Ali,Hassan\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("dedup", "file", str(source), "--output", str(tmp_path / "out.csv"))
    err = capsys.readouterr().err
    assert "missing columns: father_name, family_name, sex" in err
    assert "unknown columns: surname" in err


def test_console_script_exits_non_zero_on_a_refused_file(tmp_path):
    liman = Path(sys.executable).with_name("liman")
    env = {**os.environ, "LIMAN_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    bad = write(tmp_path / "bad.csv", "x1,Ali,,Hassan,M,1990-13-01,SYR,,,")
    done = subprocess.run(
        [str(liman), "dedup", "file", str(bad), "--output", str(tmp_path / "out.csv")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "row 2, birth_date '1990-13-01'" in done.stderr


def test_dedupe_and_link_on_records():
    rows = [dict(zip(INPUT_COLUMNS, values, strict=True)) for values in (
        ("1", "Youssef", "Omar", "Al-Najjar", "M", "1985-04-02", "SYR", "+905301112233", "", "h1"),
        ("2", "Yusuf", "Umar", "Najjar", "M", "1985", "SYR", "+905301112233", "", "h9"),
        ("3", "Amina", "Omar", "Al-Najjar", "F", "1987-10-10", "SYR", "+905301112233", "", "h1"),
    )]  # fmt: skip
    pairs = engine.dedupe(rows)
    assert [(p.record_id_l, p.record_id_r) for p in pairs] == [("1", "2")]
    new = [dict(rows[1], record_id="new")]
    linked = engine.link(new, [rows[0], rows[2]])
    assert [(p.record_id_l, p.record_id_r) for p in linked] == [("new", "1")]
    assert linked[0].band in (engine.Band.AUTO_LINK, engine.Band.REVIEW)


def test_compare_marks_each_field_for_the_review_page():
    left = {"first_name": "Mohammed", "father_name": "Ahmad", "family_name": "Al-Hassan", "sex": "M",
            "birth_date": "1990-05-17", "nationality": "SYR", "phone": "0532 123 45 67",
            "household_id": "h1"}  # fmt: skip
    right = {"first_name": "Muhammad", "father_name": "", "family_name": "Hasan", "sex": "M",
             "birth_date": "1990", "nationality": "IRQ", "phone": "+905321234567", "household_id": "h1"}  # fmt: skip
    found = engine.compare(left, right)
    assert found["first_name"] == "agree"
    assert found["father_name"] == "missing"
    assert found["family_name"] in ("agree", "close")
    assert found["birth_date"] == "close"
    assert found["nationality"] == "disagree"
    assert found["phone"] == "agree"
    assert found["household_id"] == "disagree"


def test_thresholds_are_checked():
    with pytest.raises(ValueError):
        engine.Thresholds(auto_link=0.5, review=0.9)
    assert engine.Thresholds(auto_link=0.9, review=0.3).band(0.95) == engine.Band.AUTO_LINK


def test_the_model_is_versioned_json_with_the_household_evidence():
    model = engine.trained_model()
    assert model["liman_model_version"] == engine.MODEL_VERSION
    evidence = model["liman_household_evidence"]
    assert evidence["linked_1"] > 1 and evidence["linked_2"] > 1
    assert evidence["not_linked"] < 1 and evidence["displaced"] < 1
    assert evidence["alone"] > 1 > evidence["contested"] > evidence["matched_elsewhere"]
    assert "closes_triangle" not in evidence
    assert {c["output_column_name"] for c in model["comparisons"]} >= {
        "first_name", "father_name", "family_name", "birth_date", "sex", "nationality", "foreigner_id", "contact"
    }  # fmt: skip


def test_the_trained_model_compares_as_the_code_defines():
    """The trained JSON carries each level's SQL: a level changed in the code (its SQL made cheaper, say)
    and not in the model would leave runs on the old SQL."""
    built = engine.settings().get_settings("duckdb").as_dict()["comparisons"]
    trained = engine.trained_model()["comparisons"]
    assert [c["output_column_name"] for c in trained] == [c["output_column_name"] for c in built]
    for ours, theirs in zip(trained, built, strict=True):
        assert [(level.get("label_for_charts"), level["sql_condition"]) for level in ours["comparison_levels"]] == [
            (level.get("label_for_charts"), level["sql_condition"]) for level in theirs["comparison_levels"]
        ], ours["output_column_name"]


def test_population_generator_plants_known_duplicates():
    rows = list(Population(500, seed=3).records())
    entities = [entity for _, entity in rows]
    assert len(set(entities)) < len(entities)


def test_twins_of_a_re_registered_family_are_each_linked_to_their_own_record(population, tmp_path):
    """Twins share family, father, birth date, phone; the family registered again shares them too. Each twin
    must be linked to their own new record only, never to the other twin's (among 3,000 other records, so
    that the prior is a registry's). A crossed pair may come to the review queue: it is a human's call."""
    family = write(
        tmp_path / "twins.csv",
        "a1,Ibrahim,Othman,Sarrzadeh,M,2009-12-05,SYR,+905525510957,,h1",
        "a2,Bilal,Othman,Sarrzadeh,M,2009-12-05,SYR,+905525510957,,h1",
        "a3,Huda,Khalil,Al-Ali,F,1984-02-14,SYR,+905525510957,,h1",
        "b1,Ebrahim,OTHMAN,Sarrzadeh,M,2009,SYR,+905525510957,,h2",
        "b2,Bilal,Osman,Sarrzadeh,M,2009,SYR,+905525510957,,h2",
        "b3,Houda,Khalil,Ali,F,1984,SYR,+905525510957,,h2",
    )
    data = tmp_path / "registry.csv"
    data.write_text(population[0].read_text(encoding="utf-8") + family.read_text(encoding="utf-8").split("\n", 1)[1])
    output = tmp_path / "pairs.csv"
    call_command("dedup", "file", str(data), "--output", str(output))
    found = {(p["record_id_l"], p["record_id_r"]): float(p["match_probability"]) for p in read_pairs(output)}
    assert found[("a1", "b1")] >= engine.Thresholds().auto_link
    assert found[("a2", "b2")] >= engine.Thresholds().auto_link
    for crossed in (("a1", "a2"), ("b1", "b2"), ("a1", "b2"), ("a2", "b1")):
        assert found.get(crossed, 0.0) < engine.Thresholds().auto_link


@given(left=st.text("abcdhk", max_size=8), right=st.text("abcdhk", max_size=8))
def test_the_edit_distance_is_skipped_only_where_it_cannot_be_one(left, right):
    """The levels of one edit apart compute the edit distance only where two names' lengths and ends allow it:
    the same answers as computing it for every pair."""
    import duckdb

    guarded = engine._one_edit_apart("$1", "$2").format(damerau_levenshtein="damerau_levenshtein")
    plain = "abs(length($1) - length($2)) <= 1 AND damerau_levenshtein($1, $2) <= 1"
    ((ours, theirs),) = duckdb.connect().execute(f"SELECT {guarded}, {plain}", [left, right]).fetchall()
    assert ours == theirs
