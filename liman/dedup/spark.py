"""The same linkage model on Splink's Spark backend, for registries past one machine (`LIMAN_DEDUP_BACKEND=spark`).

The records are read, checked and made comparable as on DuckDB (`engine.read_file`, `engine.prepare`: one
pass, light); the heavy part — blocking and scoring every candidate pair with the trained model — runs on
Spark; the scored pairs come back for the household evidence and the bands, exactly as on DuckDB.
pyspark is the optional extra `liman[spark]`; Spark runs in local mode unless `LIMAN_SPARK_MASTER` says
otherwise (e.g. `spark://host:7077`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from . import engine


class SparkUnavailable(RuntimeError):
    pass


def spark_session():
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:
        raise SparkUnavailable("LIMAN_DEDUP_BACKEND=spark needs pyspark: pip install 'liman[spark]'.") from exc
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    checkpoints = Path(tempfile.gettempdir()) / "liman-spark-checkpoints"
    session = (
        SparkSession.builder.master(os.environ.get("LIMAN_SPARK_MASTER", "local[2]"))
        .appName("liman-dedup")
        .config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("LIMAN_SPARK_PARTITIONS", "8"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(checkpoints))
    return session


def dedupe_file_on_spark(input_path: Path, output_path: Path, *, thresholds: engine.Thresholds) -> int:
    from splink import Linker
    from splink.backends.spark import SparkAPI

    con = engine._connect(None)
    count = engine.read_file(con, input_path)
    engine.prepare(con, "raw", "records")
    with tempfile.TemporaryDirectory() as folder:
        prepared, scored = Path(folder) / "records.parquet", Path(folder) / "scored.parquet"
        con.execute(f"COPY records TO '{engine._sql_path(prepared)}' (FORMAT parquet)")
        measured = engine.registry_model(con, "records", count)  # u measured on the registry, in DuckDB
        spark = spark_session()
        model = engine.portable_settings(count, measured)
        db_api = SparkAPI(spark_session=spark)
        linker = Linker(db_api.register(spark.read.parquet(str(prepared))), model, log_level=None)
        pairs = linker.inference.predict(
            threshold_match_probability=engine.score_floor(thresholds), warning_mode="never"
        )
        pairs.as_spark_dataframe().write.parquet(str(scored))
        con.execute(
            f"""CREATE TABLE candidates_raw AS SELECT {engine._candidate_columns(measured)}
            FROM read_parquet('{engine._sql_path(scored)}/*.parquet')"""
        )
    engine.estimate_on_registry(con, "candidates_raw", "candidates", measured, count)
    engine.household_evidence(con, "candidates", engine.trained_model().get("liman_household_evidence", {}))
    con.execute(
        f"""COPY (SELECT record_id_l, record_id_r, round(match_probability, 6) AS match_probability,
                  {engine._band_sql(thresholds)} AS band
              FROM candidates_with_households WHERE match_probability >= {thresholds.review!r}
              ORDER BY match_probability DESC, record_id_l, record_id_r)
        TO '{engine._sql_path(output_path)}' (HEADER, DELIMITER ',')"""
    )
    (written,) = con.execute(
        f"SELECT count(*) FROM candidates_with_households WHERE match_probability >= {thresholds.review!r}"
    ).fetchall()[0]
    con.close()
    return written
