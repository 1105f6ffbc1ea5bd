"""The Spark engine (``--engine spark``): the same plan gives byte-identical tables to DuckDB.

Skipped, saying why, where pyspark (``pip install 'inconcert[spark]'``) or a Java runtime
(Debian's ``openjdk-17-jre-headless``; ``make test`` installs it where apt exists) is missing.
One local Spark session (``local[2]``, 2 shuffle partitions, no UI) serves the whole module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inconcert import DetectOptions, plan
from inconcert.detect import DetectResult, detect
from inconcert.engine import DuckDBEngine, open_engine
from inconcert.engine_spark import java_missing, spark_missing
from inconcert.errors import ParameterError
from inconcert.outputs import write_csv
from inconcert.plan import Dialect, whole_seconds_sql

_MISSING = spark_missing() or java_missing()
pytestmark = [
    pytest.mark.spark,
    # pyspark warns of pandas 3 on import of its Arrow helpers; the engine never uses pandas
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

GERMAN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "german_elections.csv.gz"
TABLES = ("edges.csv", "accounts.csv", "groups.csv", "evidence.parquet")


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    """One local Spark session for the module; the tests that use it skip without Spark."""
    if _MISSING is not None:
        pytest.skip(f"Spark engine tests: {_MISSING}")
    from inconcert.engine_spark import SparkEngine

    eng = SparkEngine(
        master="local[2]",
        conf={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.driver.memory": "2g",
        },
    )
    eng.spark.sparkContext.setLogLevel("ERROR")
    yield eng
    eng.close()


def _write(result: DetectResult, folder: Path) -> Path:
    """The four tables, written as ``inconcert detect`` writes them."""
    folder.mkdir(parents=True)
    write_csv(result.edges, folder / "edges.csv")
    write_csv(result.accounts, folder / "accounts.csv")
    write_csv(result.groups, folder / "groups.csv")
    pq.write_table(result.evidence, folder / "evidence.parquet", compression="zstd")
    return folder


def _same_tables(
    inputs: list[Path], options: DetectOptions, spark: object, tmp: Path, **kw: object
) -> DetectResult:
    duck = detect(inputs, options=options, **kw)  # type: ignore[arg-type]
    on_spark = detect(inputs, options=options, engine=spark, **kw)  # type: ignore[arg-type]
    a, b = _write(duck, tmp / "duckdb"), _write(on_spark, tmp / "spark")
    for name in TABLES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert duck.summary == on_spark.summary
    return duck


@pytest.mark.slow
@pytest.mark.skipif(not GERMAN.exists(), reason="../shared/data is not beside the repo")
def test_german_tables_are_byte_identical(spark: object, tmp_path: Path) -> None:
    duck = _same_tables(
        [GERMAN],
        DetectOptions(window=30),
        spark,
        tmp_path,
        objects={
            "url_id": "url",
            "domain_id": "domain",
            "hashtag_id": "hashtag",
            "phash_id": "image",
        },
    )
    assert duck.edges.num_rows > 100 and duck.groups.num_rows > 10


@pytest.mark.slow
def test_simulated_world_tables_are_byte_identical(spark: object, tmp_path: Path) -> None:
    from inconcert.simulate import SimulationConfig, simulate, write_simulation

    paths = write_simulation(
        simulate(SimulationConfig.preset("default", seed=7)), tmp_path / "world"
    )
    posts = next(Path(p) for p in paths.values() if str(p).endswith("posts.csv.gz"))
    duck = _same_tables([posts], DetectOptions(), spark, tmp_path)
    assert duck.edges.num_rows > 100 and duck.evidence.num_rows > 1000


@pytest.mark.slow
def test_platform_export_names_and_embedded_originals_are_byte_identical(
    spark: object, tmp_path: Path
) -> None:
    """Account names and the originals an export embeds take the same path on both engines:
    accounts.csv's account_name and the evidence's object_author(_name), object_text and
    object_link come out the same."""
    from tests import platform_samples as ps

    src = ps.write_twitter_v2(ps.outside(ps.world()), tmp_path / "in")
    options = DetectOptions(max_q=1.0, kinds=("repost",))
    duck = _same_tables([src], options, spark, tmp_path)
    assert "account_name" in duck.accounts.column_names
    assert set(duck.evidence.column("object_author_name").to_pylist()) == {"newsdesk"}


# -- unit-level: the spellings that differ between the engines --------------------------------


def _both(
    spark: object, tables: dict[str, pa.Table], sql: str | Callable[[Dialect], str]
) -> tuple[pa.Table, pa.Table]:
    """``sql`` (or ``sql(dialect)``) on DuckDB and on Spark over the same ``tables``."""
    out = []
    duck = DuckDBEngine()
    try:
        for eng in (duck, spark):
            for name, table in tables.items():
                eng.load(name, table)  # type: ignore[attr-defined]
            text = sql if isinstance(sql, str) else sql(eng.dialect)  # type: ignore[attr-defined]
            out.append(eng.fetch(text))  # type: ignore[attr-defined]
    finally:
        duck.close()
    return out[0], out[1]


def test_integer_division_and_types(spark: object) -> None:
    t = pa.table({"a": pa.array([7, -7, 3_000_000], pa.int64()), "s": ["b", "a", "c"]})
    duck, on_spark = _both(
        spark, {"t": t}, lambda d: f"SELECT s, {d.div('a', '2')} AS q FROM t ORDER BY s"
    )
    assert duck.equals(on_spark)
    assert on_spark.schema == pa.schema([("s", pa.string()), ("q", pa.int64())])
    assert on_spark.column("q").to_pylist() == [-3, 3, 1_500_000]


def test_nulls_sort_last_when_asked(spark: object) -> None:
    t = pa.table({"g": pa.array([2, None, 1], pa.int64()), "x": [1, 2, 3]})
    duck, on_spark = _both(spark, {"t": t}, "SELECT g, x FROM t ORDER BY g NULLS LAST, x")
    assert duck.equals(on_spark)
    assert on_spark.column("g").to_pylist() == [1, 2, None]


def test_timestamps_come_back_in_utc(spark: object) -> None:
    ts = pa.array([1_600_000_000_000_000], pa.timestamp("us", tz="UTC"))
    duck, on_spark = _both(spark, {"t": pa.table({"ts": ts})}, "SELECT MIN(ts) AS ts FROM t")
    assert on_spark.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert duck.column("ts").cast(pa.int64()).equals(on_spark.column("ts").cast(pa.int64()))


def test_whole_seconds_round_half_to_even_on_both(spark: object) -> None:
    us = pa.array([0, 499_999, 500_000, 1_500_000, 2_500_000, 2_500_001, 3_499_999], pa.int64())
    duck, on_spark = _both(
        spark,
        {"t": pa.table({"us": us})},
        lambda d: f"SELECT {whole_seconds_sql('us', d)} AS s FROM t ORDER BY us",
    )
    assert on_spark.column("s").to_pylist() == [0, 0, 0, 2, 2, 3, 3]
    assert duck.equals(on_spark)
    # what DuckDB's cast gives, which the window estimate used before
    with DuckDBEngine() as eng:
        eng.load("t", pa.table({"us": us}))
        cast = eng.fetch("SELECT CAST(us / 1000000 AS BIGINT) AS s FROM t ORDER BY us")
    assert cast.column("s").to_pylist() == on_spark.column("s").to_pylist()


def test_burst_counts_and_pairs_agree(spark: object) -> None:
    t = pa.table(
        {
            "action_id": pa.array(range(6), pa.int64()),
            "account_id": ["a", "b", "c", "a", "b", "c"],
            "kind": ["url"] * 6,
            "object_id": ["x", "x", "x", "y", "y", "x"],
            "post_id": ["p0", "p1", "p2", "p3", "p4", "p5"],
            "t": pa.array([0, 10, 20, 0, 5, 200], pa.int64()),
            "w": pa.array([10] * 6, pa.int64()),
        }
    )
    duck, on_spark = _both(
        spark,
        {"t": t},
        lambda d: "SELECT * FROM (" + plan.burst_counts_sql("t", [10]) + ") n ORDER BY action_id",
    )
    assert duck.equals(on_spark)
    duck, on_spark = _both(
        spark,
        {"t": t},
        lambda d: (
            "SELECT * FROM ("
            + plan.coactions_sql(f"({plan.pairs_sql('t', d)})")
            + ") c ORDER BY kind, object_id, account_a, post_a, post_b"
        ),
    )
    assert duck.equals(on_spark) and duck.num_rows == 3


def test_engine_options_are_checked() -> None:
    # these need neither pyspark nor Java
    with pytest.raises(ParameterError, match="engine"):
        DetectOptions(engine="sparkle")
    with pytest.raises(ParameterError, match="spark_master"):
        DetectOptions(spark_master="local[2]")  # needs engine="spark"
    with pytest.raises(ParameterError, match="compat"):
        DetectOptions(engine="spark", compat="coortweet")
    with pytest.raises(ParameterError, match="memory_limit"):
        DetectOptions(engine="spark", memory_limit="2GB")
    with pytest.raises(ParameterError, match="max_temp_size"):
        DetectOptions(engine="spark", max_temp_size="2GB")
    with pytest.raises(ParameterError, match="engine"):
        open_engine("sqlite")


def test_cli_rejects_a_spark_master_without_the_spark_engine(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from inconcert.cli import app

    posts = tmp_path / "posts.csv"
    posts.write_text("post_id,account_id,timestamp\np1,a,2021-01-01T00:00:00Z\n")
    out = CliRunner().invoke(
        app, ["detect", str(posts), "--out", str(tmp_path / "r"), "--spark-master", "local[2]"]
    )
    assert out.exit_code != 0
    assert "spark_master" in out.output


def test_without_pyspark_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from inconcert import engine_spark

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    assert "pip install 'inconcert[spark]'" in (engine_spark.spark_missing() or "")
    with pytest.raises(ParameterError, match=r"inconcert\[spark\]"):
        open_engine("spark", master="local[1]")


@pytest.mark.slow
def test_a_prepared_store_gives_the_same_tables_on_spark(spark: object, tmp_path: Path) -> None:
    """A store's posts relation is a Parquet file DuckDB reads itself; Spark reads it through
    Arrow: the same tables on both, and as from the posts."""
    from inconcert.simulate import simulate
    from inconcert.store import prepare, save_store

    sim = simulate(n_organic=200, n_groups=3, days=5, seed=11)
    posts = tmp_path / "posts.parquet"
    pq.write_table(sim.posts, posts)
    options = DetectOptions(kinds=("url", "hashtag", "neartext", "repost"), max_q=1.0)
    store = save_store(prepare([posts], options=options), tmp_path / "store")
    runs = tmp_path / "store-runs"
    duck = _same_tables([store], options, spark, runs)
    direct = _write(detect([posts], options=options), tmp_path / "direct")
    for name in TABLES:
        assert (direct / name).read_bytes() == (runs / "duckdb" / name).read_bytes(), name
    assert duck.edges.num_rows > 0
