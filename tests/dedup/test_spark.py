"""The same model on Splink's Spark backend (`LIMAN_DEDUP_BACKEND=spark`), in Spark local mode.

Skips, saying why, only where Java or pyspark is missing; CI installs the `liman[spark]` extra and runs it."""

import csv
import importlib.util
import shutil

import pytest
from django.core.management import call_command

from liman.dedup.synthetic import write_population


def _spark_missing() -> str:
    if shutil.which("java") is None:
        return "Java is not installed: the Spark backend needs a JVM (Java 17)."
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed: pip install 'liman[spark]'."
    return ""


pytestmark = pytest.mark.skipif(bool(_spark_missing()), reason=_spark_missing() or "Spark is available")


def _pairs(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return {(row["record_id_l"], row["record_id_r"]): row for row in csv.DictReader(handle)}


def test_spark_backend_gives_the_pairs_duckdb_gives(tmp_path, monkeypatch):
    data, truth = tmp_path / "registry.csv", tmp_path / "truth.csv"
    write_population(data, truth, 400, seed=5)
    on_duckdb, on_spark = tmp_path / "duckdb.csv", tmp_path / "spark.csv"
    call_command("dedup", "file", str(data), "--output", str(on_duckdb))
    monkeypatch.setenv("LIMAN_DEDUP_BACKEND", "spark")
    monkeypatch.setenv("LIMAN_SPARK_PARTITIONS", "2")
    call_command("dedup", "file", str(data), "--output", str(on_spark))

    duckdb_pairs, spark_pairs = _pairs(on_duckdb), _pairs(on_spark)
    assert duckdb_pairs
    assert spark_pairs.keys() == duckdb_pairs.keys()
    for key, row in duckdb_pairs.items():
        assert float(spark_pairs[key]["match_probability"]) == pytest.approx(float(row["match_probability"]), abs=1e-4)
        assert spark_pairs[key]["band"] == row["band"]
