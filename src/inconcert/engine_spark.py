"""Apache Spark as the engine of the plan (``--engine spark``, extra ``inconcert[spark]``).

The same SQL of :mod:`inconcert.plan` runs on Spark SQL: every relation the pipeline creates
is a temporary view over a checkpointed DataFrame (memory, spilling to disk), and what the
pipeline fetches comes back as Arrow. The input is read and turned into actions on the driver
(as with DuckDB), then handed to Spark; the steps after the thresholds (communities, scores,
writers) run locally on the kept network, which must fit in the driver's memory.

Tables come back with the types DuckDB gives (strings, 64-bit integers, doubles, UTC
timestamps), so that every result table is byte-identical between the engines.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import ParameterError, unreadable_store_file
from .plan import FETCH_BATCH_ROWS, SPARK, Dialect, identifier

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkEngine", "java_missing", "spark_missing"]

INSTALL_HINT = "pip install 'inconcert[spark]'"

#: Settings for every session this engine starts.
DEFAULT_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.adaptive.enabled": "true",
}
#: And for a local one (``local[...]``, or no master and not under ``spark-submit``): Spark's
#: 200 shuffle partitions and its web UI suit clusters, not laptops and CI runners.
LOCAL_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}

# pyspark warns of pandas 3 on import of its Arrow helpers; this engine never uses pandas
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)


def spark_missing() -> str | None:
    """Why the Spark engine cannot start here (pyspark missing), or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return f"the Spark engine needs pyspark: {INSTALL_HINT}"
    return None


def java_missing() -> str | None:
    """Why Spark cannot start here (no Java runtime 17 or later found), or None."""
    import re
    import shutil
    import subprocess

    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    hint = (
        "the Spark engine needs a Java runtime 17 or later, e.g. Debian's "
        "openjdk-17-jre-headless; set JAVA_HOME or put java on the PATH"
    )
    if not java or not os.path.exists(java):
        return hint
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return hint
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if found is None:
        return hint
    major = int(found.group(2) or 0) if found.group(1) == "1" else int(found.group(1))
    return None if major >= 17 else f"{hint} (found Java {major})"


class SparkEngine:
    """Spark SQL, on ``master`` (``local[2]``, ``spark://host:7077``, ``yarn``...).

    Parameters
    ----------
    master:
        The Spark master URL. ``None``: the master of a running session (``spark-submit
        --master ...``), else ``local[*]``.
    session:
        A running :class:`pyspark.sql.SparkSession` to use (not stopped by :meth:`close`);
        default: the active session, if any. Its ``spark.sql.session.timeZone`` is set to UTC.
    conf:
        Extra Spark settings for a session this engine starts (e.g.
        ``{"spark.sql.shuffle.partitions": "64"}``).
    """

    dialect: Dialect = SPARK

    def __init__(
        self,
        *,
        master: str | None = None,
        session: SparkSession | None = None,
        conf: Mapping[str, str] | None = None,
    ) -> None:
        missing = spark_missing()
        if missing:
            raise ParameterError("engine", f"'duckdb' here ({missing})", "spark")
        if master is not None and (not isinstance(master, str) or not master.strip()):
            raise ParameterError(
                "spark_master",
                "a Spark master URL such as 'local[2]' or 'spark://host:7077'",
                master,
            )
        from pyspark.sql import SparkSession

        self._own = False
        if session is None:
            active = SparkSession.getActiveSession()
            if active is not None:  # (pyspark shell, notebooks) used, never stopped
                if master is not None and master != active.sparkContext.master:
                    raise ParameterError(
                        "spark_master",
                        f"the running session's master ({active.sparkContext.master}) or unset",
                        master,
                    )
                session = active
            else:
                java = java_missing()
                if java:
                    raise ParameterError("engine", f"'duckdb' here ({java})", "spark")
                builder: Any = SparkSession.builder.appName("inconcert")
                settings = dict(DEFAULT_CONF)
                if master is not None:
                    builder = builder.master(master)
                submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit's own JVM
                if (master or "").startswith("local") or (master is None and not submitted):
                    settings.update(LOCAL_CONF)
                settings.update(conf or {})
                for key, value in settings.items():
                    builder = builder.config(key, value)
                session = builder.getOrCreate()
                session.sparkContext.setLogLevel("ERROR")
                self._own = True
        self.spark: SparkSession = session
        # Spark's results and times are read as UTC whatever the session says
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        self._frames: dict[str, DataFrame] = {}

    def load(self, name: str, table: pa.Table) -> None:
        identifier(name)
        df = self.spark.createDataFrame(_to_spark(table))
        self._keep(name, df)

    def attach_parquet(self, name: str, path: str | os.PathLike[str]) -> None:
        """Through Arrow on the driver, as :meth:`load`: the file may lie where only the driver
        reads it (a store on the driver's disk)."""
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as err:
            raise unreadable_store_file(os.fspath(path), err) from err
        self.load(name, table)

    def create(self, name: str, sql: str) -> int:
        identifier(name)
        df = self.spark.sql(sql)
        return self._keep(name, df)

    def fetch(self, sql: str) -> pa.Table:
        return _from_spark(self.spark.sql(sql).toArrow())

    def fetch_batches(self, sql: str, rows: int = FETCH_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """The whole result collected on the driver first (Spark's ``toArrow``), then handed
        over a batch at a time: the driver holds it once, as for :meth:`fetch`."""
        yield from self.fetch(sql).to_batches(max_chunksize=rows)

    def drop(self, name: str) -> None:
        identifier(name)
        df = self._frames.pop(name, None)
        self.spark.catalog.dropTempView(name)
        if df is not None:
            df.unpersist()

    def hold(self, held_bytes: int) -> None:
        """Spark's memory is its executors' (``spark.executor.memory``): nothing to change."""

    def close(self) -> None:
        for name in list(self._frames):
            self.drop(name)
        if self._own:
            self.spark.stop()
            self._own = False

    def _keep(self, name: str, df: DataFrame) -> int:
        # checkpointed, not cached: the lineage (an Arrow table shipped in every task, the
        # queries before) is cut, and a relation equal to another is its own copy; reliable
        # (on shared storage) when the session has a checkpoint folder, else on the executors
        if self.spark.sparkContext.getCheckpointDir():
            df = df.checkpoint(eager=True)
        else:
            df = df.localCheckpoint(eager=True)
        rows = df.count()
        old = self._frames.pop(name, None)
        df.createOrReplaceTempView(name)
        self._frames[name] = df
        if old is not None:
            old.unpersist()
        return int(rows)

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _to_spark(table: pa.Table) -> pa.Table:
    """``table`` with types Spark reads: plain strings, plain (not dictionary) columns."""
    cols = []
    for col in table.columns:
        t = col.type
        if pa.types.is_dictionary(t):
            col = pc.cast(col, t.value_type)
            t = col.type
        if pa.types.is_large_string(t):
            col = pc.cast(col, pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _from_spark(table: pa.Table) -> pa.Table:
    """``table`` with the types DuckDB gives: strings (not large), 64-bit integers,
    timestamps in UTC, every column nullable."""
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_large_string(t):
            t = pa.string()
        elif pa.types.is_integer(t) and t != pa.int64():
            t = pa.int64()
        elif pa.types.is_timestamp(t):
            t = pa.timestamp("us", tz="UTC")
        fields.append(pa.field(f.name, t, True))  # DuckDB marks every column nullable
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)
