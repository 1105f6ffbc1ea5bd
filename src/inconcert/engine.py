"""Where a plan runs. An engine holds named tables and runs the SQL of :mod:`inconcert.plan`.

Engines differ only in where the plan runs: DuckDB embedded (the default) or Apache Spark
(:mod:`inconcert.engine_spark`). Library code talks to the small :class:`Engine` interface
and never to DuckDB directly.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ._timer import current_rss_bytes
from .errors import ParameterError, ResourceError, unreadable_store_file
from .plan import DUCKDB, FETCH_BATCH_ROWS, Dialect, identifier

__all__ = [
    "ENGINES",
    "DuckDBEngine",
    "Engine",
    "check_memory_limit",
    "check_size",
    "check_threads",
    "duckdb_budget",
    "fitted_share",
    "memory_bytes",
    "open_engine",
    "query_interrupted",
]

#: The engines :func:`open_engine` knows.
ENGINES = ("duckdb", "spark")
#: Most worker threads accepted (DuckDB starts them all at once: a huge count hangs).
MAX_THREADS = 1024
#: Least memory limit accepted: DuckDB cannot run a query in less.
MIN_MEMORY_BYTES = 64 * 1024**2
#: The least margin :func:`duckdb_budget` leaves under a memory limit for what the run holds
#: outside DuckDB (768 MiB).
MARGIN_FLOOR = 768 * 1024**2
#: Largest Arrow table :meth:`DuckDBEngine.load` reads in place rather than copies (64 MiB).
ARROW_IN_PLACE_BYTES = 64 * 1024**2

_MEMORY = re.compile(
    r"(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)", re.IGNORECASE | re.ASCII
)
_UNITS = {
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
}
_MEMORY_RULE = (
    "a size such as '8GB', '512MiB' or '60%' (of RAM): a number, then B, KB, MB, GB, TB, KiB, "
    "MiB, GiB or TiB; at least 64 MiB"
)


def check_memory_limit(value: object) -> str:
    """``value`` as a memory limit in a strict canonical form such as ``"8GB"``, ``"1.5GiB"``
    or ``"60%"`` (of this machine's RAM).

    Raises :class:`ParameterError` for anything else: the value is given to DuckDB, so no
    other text may pass.
    """
    memory_bytes(value)
    match = _MEMORY.fullmatch(str(value).strip())
    assert match is not None
    unit = match.group(2)
    canonical = "%" if unit == "%" else next(u for u in _UNITS if u.lower() == unit.lower())
    return f"{match.group(1)}{canonical}"


def memory_bytes(value: object) -> int:
    """The memory limit ``value`` in bytes (see :func:`check_memory_limit`)."""
    match = _MEMORY.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ParameterError("memory_limit", _MEMORY_RULE, value)
    number, unit = float(match.group(1)), match.group(2)
    if unit == "%":
        if not 0 < number <= 100:
            raise ParameterError("memory_limit", "a percentage of RAM in (0, 100]", value)
        total = _physical_memory()
        if total is None:
            raise ParameterError(
                "memory_limit", "a size (this system does not report its RAM)", value
            )
        size = total * number / 100
    else:
        size = number * next(f for u, f in _UNITS.items() if u.lower() == unit.lower())
    if not math.isfinite(size) or size < MIN_MEMORY_BYTES or size >= 2**62:
        raise ParameterError("memory_limit", _MEMORY_RULE, value)
    return int(size)


def check_threads(value: object) -> int:
    """``value`` as a number of worker threads: a whole number in [1, :data:`MAX_THREADS`]."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_THREADS:
        raise ParameterError("threads", f"a whole number in [1, {MAX_THREADS}]", value)
    return int(value)


class Engine(Protocol):
    """What the pipeline needs from an engine."""

    dialect: Dialect

    def load(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table available to SQL as ``name``; the caller may let go of it."""

    def attach_parquet(self, name: str, path: str | os.PathLike[str]) -> None:
        """Make a Parquet file available to SQL as ``name``: read by the engine itself where
        it can, each time a query reads ``name`` (the file must stay as it is while the engine
        is open), else loaded."""

    def create(self, name: str, sql: str) -> int:
        """Materialise ``sql`` as table ``name``; return its row count."""

    def fetch(self, sql: str) -> pa.Table:
        """Run ``sql`` and return the result as an Arrow table."""

    def fetch_batches(self, sql: str, rows: int = FETCH_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """Run ``sql`` and yield its result in order, at most ``rows`` rows at a time: for a
        result too large to hold in Python beside the engine's own memory. No other query may
        run on the engine until the iterator is exhausted or closed."""

    def drop(self, name: str) -> None:
        """Forget table ``name``."""

    def hold(self, held_bytes: int) -> None:
        """The caller now holds ``held_bytes`` outside the engine (its memory budget may grow
        or shrink accordingly; an engine without a budget does nothing). Called only on the
        engine a run opens itself, never on one passed to it."""

    def close(self) -> None:
        """Release every resource."""


_UNREADABLE = re.compile(r'Failed to read file "(?P<path>[^"]+)": (?P<why>.*)', re.S)


def _raise_unreadable(err: Exception) -> None:
    """A file attached to the engine (:meth:`Engine.attach_parquet`) that cannot be read as a
    query reads it, as an :class:`InputError` naming it."""
    found = _UNREADABLE.search(str(err))
    if found is not None:
        raise unreadable_store_file(found.group("path"), found.group("why")) from err


#: DuckDB's errors by the name its messages start with (``"Out of Memory Error: ..."``).
_DUCKDB_ERRORS: dict[str, type[duckdb.Error]] = {
    "Out of Memory Error": duckdb.OutOfMemoryException,
    "IO Error": duckdb.IOException,
}


def _streamed_error(err: Exception) -> duckdb.Error:
    """The DuckDB error behind a failure that came through Arrow's stream reader (which
    keeps DuckDB's message but not its exception class)."""
    text = str(err)
    return _DUCKDB_ERRORS.get(text.split(":", 1)[0].strip(), duckdb.Error)(text)


#: DuckDB's message for an interruption raised in Python code of a source it reads
_SOURCE_INTERRUPTED = re.compile(r"registered as '[^']*' failed: KeyboardInterrupt\b")


def query_interrupted(err: BaseException) -> bool:
    """Whether ``err`` is DuckDB's answer to Ctrl-C (or a signal whose handler raises) during
    a query: it ends the query and raises ``RuntimeError('Query interrupted')`` in place of
    the signal's exception. (A query cancelled with the connection's ``interrupt()`` is
    DuckDB's ``InterruptException`` instead: a caller's own cancel, not the user's Ctrl-C.)

    Where the signal's exception is raised in Python code DuckDB runs for an Arrow table it
    reads in place (:meth:`DuckDBEngine.load`: counting its rows, offering it a filter,
    exporting its stream), DuckDB reports it as an ``InvalidInputException`` naming that
    source: "... registered as 'ic_x' failed: KeyboardInterrupt". In a loop of queries on such
    a table interrupted at random, 38 of 300 interruptions came that way."""
    if isinstance(err, RuntimeError):
        return str(err).strip() == "Query interrupted"
    return isinstance(err, duckdb.InvalidInputException) and bool(
        _SOURCE_INTERRUPTED.search(str(err))
    )


def duckdb_budget(limit: int, held: int) -> int:
    """DuckDB's share of a run's memory limit of ``limit`` bytes when ``held`` bytes are
    already in use outside it (the input and actions as Arrow tables): the limit less those
    bytes and a margin for what the run keeps outside DuckDB (the interpreter and its
    libraries, the result tables, the null model's arrays, the pages DuckDB's allocator has
    freed but not yet returned, and how far DuckDB's own aggregations run past its limit), but
    never below a quarter of the limit (DuckDB spills to disk past it).

    The margin is a sixth of the limit, and at least :data:`MARGIN_FLOOR`: what the run keeps
    outside DuckDB does not shrink with the limit. A sixth: with an eighth the 5.6M-post skewed
    world peaked 0.2 GiB above 8GB (7.65 GiB against 7.45) during the null model; with a sixth
    7.20 GiB, in the same 117 s (later 7.43-7.58 GiB, until the null model's pool-term rows,
    1.2 GB, came a batch at a time: 6.65 GiB). The floor: with a sixth alone, the 2.2M-post
    skewed world under 2GB (1,907 MiB) peaked at 2,337 MiB, during DuckDB's candidate-pair
    count; a floor of 512 MiB, 2,073 MiB; of 768 MiB, 1,803 MiB (36 s against 33 s: more of the
    count spills). Before each statement the share may be lowered further, to what the
    process leaves beside what it holds at that moment (:func:`fitted_share`)."""
    margin = max(limit // 6, MARGIN_FLOOR)
    return max(limit - max(held, 0) - margin, limit // 4, MIN_MEMORY_BYTES)


def fitted_share(limit: int, share: int, outside: int) -> int:
    """DuckDB's share of a memory limit of ``limit`` bytes for its next statement, when the
    process holds ``outside`` bytes that DuckDB does not count as its own: the share it was
    given (``share``, :func:`duckdb_budget`), lowered where the limit less those bytes and a
    sixteenth of the limit (what the statement itself may add outside DuckDB, such as its
    result in Arrow) leaves less, but never below a quarter of the limit.

    :func:`duckdb_budget`'s margin is a guess made before the run; this is a measurement. At
    5.57M posts under ``4GB`` (3.73 GiB) the run held ~1 GiB outside DuckDB in its evidence
    stage (the interpreter, the edges, the evidence rows as Arrow, memory DuckDB's allocator
    does not count), more than the 768 MiB margin, and peaked at 4.03 GiB."""
    return max(min(share, limit - max(outside, 0) - limit // 16), limit // 4, MIN_MEMORY_BYTES)


class DuckDBEngine:
    """DuckDB, embedded, in memory, spilling to a temporary folder past ``memory_limit``.

    Parameters
    ----------
    memory_limit:
        DuckDB's ``memory_limit`` such as ``"8GB"`` or ``"60%"`` (see
        :func:`check_memory_limit`). Past it DuckDB spills joins and aggregations to
        ``temp_directory`` instead of being killed. Default: 60% of RAM.
    threads:
        Worker threads, 1 to :data:`MAX_THREADS`; default: all cores.
    temp_directory:
        Where to spill; default: a fresh folder under the system temporary folder.
    held_bytes:
        Memory the caller already holds outside DuckDB (the input as Arrow tables): with a
        ``memory_limit``, DuckDB gets the limit less these bytes and a margin for Python
        (:func:`duckdb_budget`), so that the whole process stays near the limit.

    The settings are handed to DuckDB as configuration values, never pasted into SQL.
    """

    dialect: Dialect = DUCKDB

    def __init__(
        self,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_directory: str | None = None,
        max_temp_size: str | None = None,
        held_bytes: int = 0,
    ) -> None:
        self._limit_bytes = memory_bytes(memory_limit) if memory_limit is not None else None
        self._memory_limit = memory_limit
        self.duckdb_bytes = (
            duckdb_budget(self._limit_bytes, held_bytes) if self._limit_bytes is not None else None
        )
        #: DuckDB's limit as set, in MiB (None: DuckDB's default, no run limit)
        self._share_mib = (
            math.ceil(self.duckdb_bytes / 1024**2) if self.duckdb_bytes is not None else None
        )
        config: dict[str, str | bool | int | float | list[str]] = {
            # whole MiB computed here: no user text reaches DuckDB
            "memory_limit": (
                f"{math.ceil(self.duckdb_bytes / 1024**2)}MiB"
                if self.duckdb_bytes is not None
                else _default_memory_limit()
            ),
        }
        if threads is not None:
            config["threads"] = check_threads(threads)
        if temp_directory is not None and not isinstance(temp_directory, str | os.PathLike):
            raise ParameterError("temp_directory", "a folder path", temp_directory)
        self._tmp = None
        #: views over files (attach_parquet): name -> path
        self._views: dict[str, str] = {}
        #: Arrow tables read in place (load): name -> table
        self._arrows: dict[str, pa.Table] = {}
        if temp_directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="inconcert-duckdb-")
            temp_directory = self._tmp.name
        config["temp_directory"] = os.fspath(temp_directory)
        self.max_temp_bytes = (
            _size_bytes("max_temp_size", max_temp_size)
            if max_temp_size is not None
            else _default_temp_bytes(os.fspath(temp_directory))
        )
        # whole MiB computed here: no user text reaches DuckDB
        config["max_temp_directory_size"] = f"{max(1, self.max_temp_bytes // 1024**2)}MiB"
        self.memory_limit = (
            f"{memory_limit}, of which DuckDB {self.duckdb_bytes / 1024**3:.2f} GiB"
            if memory_limit is not None and self.duckdb_bytes is not None
            else str(config["memory_limit"])
        )
        try:
            self.con = duckdb.connect(":memory:", config=config)
        except duckdb.Error as err:
            self.close_temp()
            if memory_limit is None:
                raise
            raise ParameterError("memory_limit", _MEMORY_RULE, memory_limit) from err
        # a run shows its own progress by stage; DuckDB's bar (printed on stdout for a query
        # over 2 s, terminal or not) would mix with it and with a caller's output
        self.con.execute("SET enable_progress_bar = false")

    def load(self, name: str, table: pa.Table) -> None:
        """A small table (:meth:`in_place`) is read in place by each query, as a view: copying
        it into DuckDB's own storage cost more than every later read of it (the German
        vignette's actions, 20 MB: 29 ms to copy; a whole run 4.5% faster without the copies).
        A larger one is copied, so that DuckDB can spill it past its memory limit and the
        caller can let go of it."""
        identifier(name)
        self.drop(name)  # whatever it was: a table, a view over a file, a table read in place
        if self.in_place(table.nbytes):
            self.con.register(name, table)
            self._arrows[name] = table
            return
        self.con.register(f"__arrow_{name}", table)
        with self._limits():
            self.con.sql(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM __arrow_{name}")
        self.con.unregister(f"__arrow_{name}")

    def in_place(self, nbytes: int) -> bool:
        """Whether :meth:`load` reads an Arrow table of ``nbytes`` in place: while the tables
        read in place come to at most :data:`ARROW_IN_PLACE_BYTES` with it, and under a memory
        limit to at most a 32nd of it (the engine holds them outside DuckDB's share)."""
        cap = ARROW_IN_PLACE_BYTES
        if self._limit_bytes is not None:
            cap = min(cap, self._limit_bytes // 32)
        return self.held_in_place + nbytes <= cap

    @property
    def held_in_place(self) -> int:
        """Bytes of the Arrow tables :meth:`load` reads in place."""
        return sum(t.nbytes for t in self._arrows.values())

    def attach_parquet(self, name: str, path: str | os.PathLike[str]) -> None:
        """A view ``name`` over a Parquet file: each query that reads it reads the columns
        and row groups it needs from the file (in parallel, one row group per thread), so a
        run that needs a few posts' texts never loads the rest. The path is handed over as a
        value, never as SQL."""
        identifier(name)
        self.drop(name)
        with self._limits():
            self.con.read_parquet(os.fspath(path)).create_view(name)
        self._views[name] = os.fspath(path)

    def create(self, name: str, sql: str) -> int:
        identifier(name)
        if name in self._views or name in self._arrows:
            self.drop(name)
        with self._limits():  # DuckDB answers CREATE TABLE AS with the rows it wrote
            rows = self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}").fetchall()
        return int(rows[0][0])

    def fetch(self, sql: str) -> pa.Table:
        with self._limits():
            return self.con.sql(sql).to_arrow_table()

    def fetch_batches(self, sql: str, rows: int = FETCH_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """Streamed: DuckDB keeps the result (spilling past its limit, as for a table) and
        hands it over a batch at a time. A failure while the batches stream reaches Python
        through Arrow's reader, as an ``OSError`` with DuckDB's message: it is raised again as
        the DuckDB error that message names, so that it means what it means for :meth:`fetch`
        (out of memory or of spill disk: :class:`ResourceError`)."""
        with self._limits():
            try:
                for batch in self.con.sql(sql).to_arrow_reader(rows):
                    if batch.num_rows:
                        yield batch
            except (OSError, pa.ArrowException) as err:
                raise _streamed_error(err) from err

    @contextlib.contextmanager
    def _limits(self) -> Iterator[None]:
        """Around each statement: DuckDB's share fitted to what the process holds
        (:meth:`_fit_share`), and DuckDB's out-of-memory and spill-disk failures as
        :class:`ResourceError`."""
        self._fit_share()
        with self._mapped():
            yield

    @contextlib.contextmanager
    def _mapped(self) -> Iterator[None]:
        """DuckDB's out-of-memory and spill-disk failures as :class:`ResourceError`."""
        try:
            yield
        except duckdb.OutOfMemoryException as err:
            text = str(err)
            if "max_temp_directory_size" in text or "temp" in text.lower():
                raise ResourceError(
                    "temporary disk",
                    f"spilling past the memory limit ({self.memory_limit}) needed more than "
                    f"{self.max_temp_bytes / 1024**3:.1f} GiB of temporary files",
                    hint="raise --max-temp-size or --memory-limit, lower --max-burst (dense "
                    "bursts cost the square of their size), or compare fewer kinds",
                ) from err
            raise ResourceError(
                "memory",
                f"the query needed more than the memory limit ({self.memory_limit})",
                hint="raise --memory-limit, lower --max-burst, or compare fewer kinds",
            ) from err
        except RuntimeError as err:
            if query_interrupted(err):  # the caller sees the interruption, not a failure
                raise KeyboardInterrupt from err
            raise
        except duckdb.IOException as err:
            if "No space left" in str(err) or "disk" in str(err).lower():
                raise ResourceError(
                    "temporary disk",
                    f"the disk of the spill folder is full ({err})",
                    hint="free disk space or set --max-temp-size below the free space",
                ) from err
            _raise_unreadable(err)
            self._blame_attached(err)
            raise
        except duckdb.Error as err:
            if query_interrupted(err):  # raised in Python code of a table read in place
                raise KeyboardInterrupt from err
            _raise_unreadable(err)
            self._blame_attached(err)
            raise

    def _blame_attached(self, err: Exception) -> None:
        """After a query failed for no reason DuckDB names (a damaged page: "TProtocolException:
        Invalid data"), each file attached to the engine is read whole: the first that cannot
        be is the cause, an :class:`InputError` naming it; else the error stands."""
        for path in self._views.values():
            try:
                pq.read_table(path)
            except (OSError, pa.ArrowException) as bad:
                raise unreadable_store_file(path, bad) from err

    def drop(self, name: str) -> None:
        identifier(name)
        if name in self._arrows:  # an Arrow table read in place (load)
            del self._arrows[name]
            self.con.unregister(name)
            return
        if name in self._views:  # a view over a file (attach_parquet)
            del self._views[name]
            self.con.sql(f"DROP VIEW IF EXISTS {name}")
        else:
            self.con.sql(f"DROP TABLE IF EXISTS {name}")

    def _fit_share(self) -> None:
        """With a memory limit, DuckDB's limit for the next statement: :func:`fitted_share`
        of the process's resident memory less what DuckDB counts as its own. Where the system
        does not give the resident memory cheaply (not Linux), the share stays as given. The
        resident memory alone rules most statements out: while it is below the limit less the
        share and the statement's allowance, or the share is at its floor already, DuckDB keeps
        its whole share and is not asked.

        Fitting never fails a statement: DuckDB moves what it holds past a lowered limit to its
        spill folder as the limit is set, and where it cannot (the folder's size limit), the
        share stays as it was and the statement runs as it would have."""
        limit = self._limit_bytes
        if limit is None or self.duckdb_bytes is None:
            return
        rss = current_rss_bytes()
        if rss is None:
            return
        share = self.duckdb_bytes
        if share > max(limit // 4, MIN_MEMORY_BYTES) and rss > limit - limit // 16 - share:
            rows = self.con.execute(
                "SELECT COALESCE(SUM(memory_usage_bytes), 0) FROM duckdb_memory()"
            ).fetchall()  # every row: the connection takes no other statement before
            share = fitted_share(limit, share, rss - int(rows[0][0]))
        self._set_share(math.ceil(share / 1024**2), strict=False)

    def _set_share(self, mib: int, *, strict: bool) -> None:
        """DuckDB's limit set to ``mib`` MiB (unless it is already). Where DuckDB cannot move
        what it holds past it to its spill folder, the limit stays as it was: ``strict``
        raises that (as :class:`ResourceError`), else it is let be."""
        if mib == self._share_mib:
            return
        try:
            with self._mapped() if strict else contextlib.nullcontext():
                # whole MiB computed here: no user text reaches DuckDB
                self.con.execute(f"SET memory_limit = '{mib}MiB'")
        except duckdb.OutOfMemoryException:  # not strict (strict: a ResourceError by now)
            return
        self._share_mib = mib
        # what an out-of-memory error names: the share this statement had
        self.memory_limit = f"{self._memory_limit}, of which DuckDB {mib / 1024:.2f} GiB"

    def hold(self, held_bytes: int) -> None:
        """DuckDB's share of the memory limit anew for ``held_bytes`` held outside it (e.g. once
        the input's Arrow tables are loaded and let go): :func:`duckdb_budget`. The tables
        :meth:`load` reads in place are the caller's to count (``pa.total_allocated_bytes()``,
        what a run passes, includes them)."""
        if self._limit_bytes is None:
            return
        budget = duckdb_budget(self._limit_bytes, held_bytes)
        self._set_share(math.ceil(budget / 1024**2), strict=True)
        self.duckdb_bytes = budget

    def close(self) -> None:
        self.con.close()
        self._arrows.clear()
        self.close_temp()

    def close_temp(self) -> None:
        """Remove the spill folder this engine made (if it made one)."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_size(name: str, value: object) -> str:
    """``value`` as a disk size in a strict canonical form such as ``"20GB"`` or ``"512MiB"``
    (no percentages; at least 1 MiB); a :class:`ParameterError` naming ``name`` otherwise."""
    _size_bytes(name, value)
    match = _MEMORY.fullmatch(str(value).strip())
    assert match is not None
    return f"{match.group(1)}{next(u for u in _UNITS if u.lower() == match.group(2).lower())}"


def _size_bytes(name: str, value: object) -> int:
    """A size such as ``"20GB"`` or ``"512MiB"`` in bytes (see :func:`check_size`)."""
    rule = "a size such as 20GB or 512MiB (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB; >= 1 MiB)"
    match = _MEMORY.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or match.group(2) == "%":
        raise ParameterError(name, rule, value)
    size = float(match.group(1)) * next(
        f for u, f in _UNITS.items() if u.lower() == match.group(2).lower()
    )
    if not math.isfinite(size) or size < 1024**2 or size >= 2**62:
        raise ParameterError(name, rule, value)
    return int(size)


def _default_temp_bytes(folder: str) -> int:
    """Half the free space of the disk that holds ``folder`` (at least 1 GiB): a spill never
    fills the disk."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return 8 * 1024**3
    return max(free // 2, 1024**3)


def _physical_memory() -> int | None:
    """This machine's RAM in bytes, or None where the system does not say."""
    try:
        total = int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None
    return total if total > 0 else None


def _default_memory_limit() -> str:
    total = _physical_memory()
    if total is None:
        return "4GB"
    return f"{max(512, int(total // (1024 * 1024) * 0.6))}MB"


def open_engine(name: str = "duckdb", **options: object) -> Engine:
    """Open an engine by name: ``"duckdb"`` (:class:`DuckDBEngine`; options ``memory_limit``,
    ``threads``, ``temp_directory``) or ``"spark"`` (:class:`inconcert.engine_spark.
    SparkEngine`, extra ``inconcert[spark]``; options ``master``, ``session``, ``conf``)."""
    if name == "spark":
        from .engine_spark import SparkEngine

        return SparkEngine(**options)  # type: ignore[arg-type]
    if name != "duckdb":
        raise ParameterError("engine", f"one of {', '.join(ENGINES)}", name)
    return DuckDBEngine(**options)  # type: ignore[arg-type]
