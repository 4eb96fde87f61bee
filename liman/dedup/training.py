"""Training the linkage model on a synthetic registry whose duplicates are known.

m-probabilities (how often each level is seen between two records of one person) come from the known
duplicates; u-probabilities (how often by chance) from random pairs. The result is written as Splink's
model JSON, versioned by `engine.MODEL_VERSION`; each run starts from it and measures u, and estimates m and
the prior, on its own records (`engine.registry_model`, `engine.estimate_on_registry`).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from . import engine
from .synthetic import write_population

#: A level seldom or never seen between two records of one person keeps at least this m.
M_FLOOR = 1e-4
#: Two records of one household are two people, except when one person was entered twice in one sitting:
#: so rare that it must weigh strongly against a match, without being an absolute veto.
M_SAME_HOUSEHOLD = 1e-6
#: Random pairs drawn to measure chance agreement; a level never seen among them gets the u of one sighting.
U_PAIRS = 5_000_000
#: Candidates are scored down to this probability to learn the household factors (`engine.score_floor`, which
#: a run keeps its candidates down to, is derived from those factors).
HOUSEHOLD_FLOOR = 0.001


def train(output: Path, *, size: int = 200_000, seed: int = 7, threads: int | None = None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        data, truth = Path(folder) / "train.csv", Path(folder) / "truth.csv"
        write_population(data, truth, size, seed=seed)
        con = engine._connect(threads)
        count = engine.read_file(con, data)
        engine.prepare(con, "raw", "prepared")
        con.execute(f"CREATE TABLE labels AS SELECT * FROM read_csv('{engine._sql_path(truth)}', all_varchar=true)")
        con.execute("CREATE TABLE records AS SELECT p.*, l.entity_id FROM prepared p JOIN labels l USING (record_id)")
        from splink import DuckDBAPI, Linker

        db_api = DuckDBAPI(connection=con)
        linker = Linker(db_api.register(con.table("records")), engine.settings())
        linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=seed)
        linker.training.estimate_m_from_label_column("entity_id")
        model = linker.misc.save_model_to_json()
        # Random pairs almost never share a phone, but siblings do: the chance agreement that matters is the
        # one among people of one family, so the phone's u is measured among pairs with one family name and
        # one father's name (registered in different households: one household is weighed apart).
        (same_phone,) = con.execute(
            """SELECT avg(CASE WHEN l.phone = r.phone THEN 1.0 ELSE 0.0 END) FROM records l JOIN records r
            ON l.family_name_skel = r.family_name_skel AND l.father_name_skel = r.father_name_skel
               AND l.record_id < r.record_id AND l.entity_id <> r.entity_id
            WHERE l.phone IS NOT NULL AND r.phone IS NOT NULL AND l.household_id <> r.household_id"""
        ).fetchall()[0]
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            if level.get("label_for_charts") == "same household: two members":
                level["m_probability"] = M_SAME_HOUSEHOLD
            elif level.get("label_for_charts") == "same phone":
                level["u_probability"] = max(level["u_probability"], same_phone)
            elif level.get("m_probability") is None or level["m_probability"] < M_FLOOR:
                level["m_probability"] = M_FLOOR
            if level.get("u_probability") is None:
                level["u_probability"] = 1 / U_PAIRS
        engine.tie_twins(comparison)
    model["probability_two_random_records_match"] = engine.EXPECTED_DUPLICATES_PER_RECORD * 2 / count
    model["liman_household_evidence"] = _household_bayes_factors(con, model, count)
    con.close()
    model["liman_model_version"] = engine.MODEL_VERSION
    model["liman_trained_on"] = f"synthetic registry of {count:,} records, seed {seed}"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(model, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return model


def _household_bayes_factors(con, model: dict, count: int) -> dict[str, float]:
    """How much more often a true pair than a false one among the scored candidates has its households
    linked by another match, or not linked though both have other members."""
    from splink import DuckDBAPI, Linker

    run = {key: value for key, value in model.items() if not key.startswith("liman_")}
    run["additional_columns_to_retain"] = ["household_id", "entity_id"]
    linker = Linker(DuckDBAPI(connection=con).register(con.table("records")), run)
    scored = linker.inference.predict(threshold_match_probability=HOUSEHOLD_FLOOR, warning_mode="never")
    con.execute(
        f"""CREATE OR REPLACE TABLE training_pairs AS
        SELECT c.record_id_l, c.record_id_r, c.match_weight, c.household_id_l, c.household_id_r,
               c.entity_id_l = c.entity_id_r AS truth, {engine.PAIR_STATES_SQL}
        FROM {scored.physical_name} c {engine.PAIR_STATES_JOIN}"""
    )
    engine.household_evidence(con, "training_pairs", {}, keep=("truth",))
    factors = {}
    for column, states in (
        ("household_state", engine.HOUSEHOLD_STATES),
        ("family_state", engine.FAMILY_STATES),
        ("relationship_state", engine.RELATIONSHIP_STATES),
        ("name_state", engine.NAME_STATES),
        ("cluster_state", engine.WEIGHED_CLUSTER_STATES),
    ):
        rows = dict(
            con.execute(
                f"""SELECT coalesce({column}, 'none'),
                          [sum(CASE WHEN truth THEN 1 ELSE 0 END), sum(CASE WHEN truth THEN 0 ELSE 1 END)]
                   FROM training_pairs_with_households GROUP BY ALL"""
            ).fetchall()
        )
        true_total = sum(found[0] for found in rows.values()) or 1
        false_total = sum(found[1] for found in rows.values()) or 1
        for state in states:
            true_count, false_count = rows.get(state, [0, 0])
            factors[state] = ((true_count + 1) / true_total) / ((false_count + 1) / false_total)
    return factors
