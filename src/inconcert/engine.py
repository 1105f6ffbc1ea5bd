"""Where a plan runs. An engine holds named tables and runs the SQL of :mod:`inconcert.plan`.

Engines differ only in where the plan runs: DuckDB embedded (the default) or, later, Apache
Spark. Library code talks to the small :class:`Engine` interface and never to DuckDB directly.
"""

from __future__ import annotations

import os
import tempfile
from typing import Protocol

import duckdb
import pyarrow as pa

from .errors import ParameterError
from .plan import DUCKDB, Dialect

__all__ = ["DuckDBEngine", "Engine", "open_engine"]


class Engine(Protocol):
    """What the pipeline needs from an engine."""

    dialect: Dialect

    def load(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table available to SQL as ``name``."""

    def create(self, name: str, sql: str) -> int:
        """Materialise ``sql`` as table ``name``; return its row count."""

    def fetch(self, sql: str) -> pa.Table:
        """Run ``sql`` and return the result as an Arrow table."""

    def drop(self, name: str) -> None:
        """Forget table ``name``."""

    def close(self) -> None:
        """Release every resource."""


class DuckDBEngine:
    """DuckDB, embedded, in memory, spilling to a temporary folder past ``memory_limit``.

    Parameters
    ----------
    memory_limit:
        DuckDB's ``memory_limit`` such as ``"8GB"``. Past it DuckDB spills joins and
        aggregations to ``temp_directory`` instead of being killed. Default: 60% of RAM.
    threads:
        Worker threads; default: all cores.
    temp_directory:
        Where to spill; default: a fresh folder under the system temporary folder.
    """

    dialect: Dialect = DUCKDB

    def __init__(
        self,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: str | None = None,
    ) -> None:
        if threads is not None and threads < 1:
            raise ParameterError("threads", "a whole number >= 1", threads)
        self._tmp = None
        if temp_directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="inconcert-duckdb-")
            temp_directory = self._tmp.name
        self.con = duckdb.connect(":memory:")
        self.con.sql(f"SET temp_directory = '{temp_directory}'")
        self.con.sql(f"SET memory_limit = '{memory_limit or _default_memory_limit()}'")
        if threads is not None:
            self.con.sql(f"SET threads = {int(threads)}")

    def load(self, name: str, table: pa.Table) -> None:
        self.con.register(f"__arrow_{name}", table)
        self.con.sql(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM __arrow_{name}")
        self.con.unregister(f"__arrow_{name}")

    def create(self, name: str, sql: str) -> int:
        self.con.sql(f"CREATE OR REPLACE TABLE {name} AS {sql}")
        rows = self.con.sql(f"SELECT COUNT(*) FROM {name}").fetchall()
        return int(rows[0][0])

    def fetch(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def drop(self, name: str) -> None:
        self.con.sql(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        self.con.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _default_memory_limit() -> str:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
        total_mb = pages * size // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{max(512, int(total_mb * 0.6))}MB"


def open_engine(name: str = "duckdb", **options: object) -> DuckDBEngine:
    """Open an engine by name. Only ``"duckdb"`` is available in this version."""
    if name != "duckdb":
        raise ParameterError("engine", "'duckdb'", name)
    return DuckDBEngine(**options)  # type: ignore[arg-type]
