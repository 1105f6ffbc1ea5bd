"""Tables in and out of the library: DataFrames and Arrow tables as inputs, results as DataFrames.

:func:`inconcert.detect` takes files and folders, and also in-memory tables: a pandas or polars
DataFrame (or polars LazyFrame), a pyarrow Table or RecordBatch, or any object that exports an
Arrow stream (``__arrow_c_stream__``, e.g. a DuckDB relation). Each table is written to a
temporary Parquet file and read exactly as a Parquet input would be, so a table gets the same
column mapping, platform detection, checks and rejects as a file; error messages, the file
reports and the rejects name it ``<pandas.DataFrame>`` (``<pandas.DataFrame #2>`` for the
second of several), never the temporary file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import InputError, ParameterError
from .schema import OPTIONAL_POST_COLUMNS, REQUIRED_POST_COLUMNS

if TYPE_CHECKING:
    from .ingest import Ingested

__all__ = ["EXPECTED_COLUMNS", "InputTable", "is_table", "missing_extra", "prepared_inputs"]

#: What :func:`inconcert.detect` expects of a table (and of a file), for error messages.
EXPECTED_COLUMNS = (
    f"posts need the columns {', '.join(REQUIRED_POST_COLUMNS)} "
    f"(optional: {', '.join(OPTIONAL_POST_COLUMNS)}); "
    "actions need account_id, object_id, timestamp, post_id (optional: kind)"
)

_ACCEPTED = (
    "a file or folder path, a list of them, or a table: a pandas or polars DataFrame, "
    "a pyarrow Table (or a list mixing these)"
)


@dataclass(frozen=True)
class InputTable:
    """One in-memory input: the name shown to the user and its Arrow table."""

    display: str
    kind: str  # "pandas", "polars", "arrow"
    table: pa.Table


def _library(obj: object) -> str:
    return type(obj).__module__.split(".", 1)[0]


_FRAMES = {"pandas": ("DataFrame",), "polars": ("DataFrame", "LazyFrame")}


def is_table(obj: object) -> bool:
    """Whether ``obj`` is an in-memory table :func:`inconcert.detect` can read."""
    if isinstance(obj, pa.Table | pa.RecordBatch | pa.RecordBatchReader):
        return True
    library = _library(obj)
    if library in _FRAMES:  # a Series exports an Arrow stream too, but is one column
        return type(obj).__name__ in _FRAMES[library]
    return hasattr(obj, "__arrow_c_stream__") and not isinstance(obj, str | bytes)


def _table_kind(obj: object) -> str:
    library = _library(obj)
    if library == "pandas":
        return "pandas.DataFrame"
    if library == "polars":
        return f"polars.{type(obj).__name__}"
    if isinstance(obj, pa.Table | pa.RecordBatch | pa.RecordBatchReader):
        return f"pyarrow.{type(obj).__name__}"
    return type(obj).__name__


def _to_arrow(obj: Any, display: str) -> pa.Table:
    """An Arrow table with plain (not dictionary) columns, from any accepted table."""
    library = _library(obj)
    try:
        if library == "pandas":
            if not all(isinstance(name, str) for name in obj.columns):
                obj = obj.rename(columns=str)
            # A named index (``df.set_index("post_id")``) is a column; an unnamed one is
            # only row numbers.
            named = any(name is not None for name in obj.index.names)
            table = pa.Table.from_pandas(obj, preserve_index=named)
        elif library == "polars":
            if type(obj).__name__ == "LazyFrame":
                obj = obj.collect()
            table = obj.to_arrow()
        elif isinstance(obj, pa.Table):
            table = obj
        elif isinstance(obj, pa.RecordBatch):
            table = pa.Table.from_batches([obj])
        elif isinstance(obj, pa.RecordBatchReader):
            table = obj.read_all()
        else:
            table = pa.table(obj)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        detail = "; ".join(str(arg) for arg in exc.args) or type(exc).__name__
        raise InputError(
            display,
            f"cannot be read as a table: {detail}",
            hint="give each column one type (ids as text, times as datetimes, ISO text or "
            "epoch numbers, urls/hashtags/mentions as lists of text); " + EXPECTED_COLUMNS,
        ) from exc
    table = table.replace_schema_metadata(None)
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column)
    return pa.table(columns, names=[str(name) for name in table.column_names])


@dataclass
class Prepared:
    """Paths to hand to the readers, and how to name the temporary files in what they say."""

    paths: list[str | os.PathLike[str]]
    tables: dict[str, InputTable]  # temporary path -> table

    def display(self, path: str | None) -> str | None:
        found = self.tables.get(path or "")
        return found.display if found else path

    def translate(self, exc: InputError) -> InputError:
        """The same error, naming the table instead of its temporary file."""
        if exc.path not in self.tables:
            return exc
        hint = exc.hint
        if hint is not None:
            hint = _python_hint(hint)
        problem = exc.problem
        if "missing required column" in problem:
            hint = f"{hint}; {EXPECTED_COLUMNS}" if hint else EXPECTED_COLUMNS
        return InputError(self.display(exc.path), problem, line=exc.line, hint=hint)

    def ingested(self, ingested: Ingested) -> Ingested:
        """What the readers returned, with each temporary file named by its table."""
        if not self.tables:
            return ingested
        files = tuple(replace(f, path=self.display(f.path) or f.path) for f in ingested.files)
        rejects = ingested.rejects
        if "file" in rejects.column_names and rejects.num_rows:
            i = rejects.column_names.index("file")
            column = rejects.column(i)
            rejects = rejects.set_column(
                i, rejects.schema.field(i), self.rename(column).cast(column.type)
            )
        return replace(ingested, files=files, rejects=rejects)

    def rename(self, values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        """A column of file names with each temporary file named by its table."""
        if not self.tables or len(values) == 0:
            return values
        keys = pa.array(list(self.tables), pa.string())
        names = pa.array([t.display for t in self.tables.values()], pa.string())
        index = pc.index_in(values, value_set=keys)
        return pc.if_else(pc.is_valid(index), pc.take(names, index), values)


_MAP_RE = re.compile(r"--map (\w+)=(\S+)")


def _python_hint(hint: str) -> str:
    """Command-line wording (``--map a=b``) in the library's terms (``mapping={"a": "b"}``)."""
    pairs = _MAP_RE.findall(hint)
    if not pairs:
        return hint
    mapping = "mapping={" + ", ".join(f"{k!r}: {v!r}" for k, v in pairs) + "}"
    hint = _MAP_RE.sub("\0", hint)
    hint = re.sub("\0(?: \0)*", lambda _: mapping, hint)
    return hint.replace("--objects COLUMN=KIND,...", "objects={COLUMN: KIND, ...}")


@contextmanager
def prepared_inputs(inputs: object) -> Iterator[Prepared]:
    """The inputs of :func:`inconcert.detect` as paths, tables written to temporary Parquet.

    Raises :class:`~inconcert.errors.ParameterError` for anything that is neither a path nor a
    table, and :class:`~inconcert.errors.InputError` for a table that Arrow cannot convert.
    """
    if isinstance(inputs, str | os.PathLike) or is_table(inputs):
        items: list[object] = [inputs]
    elif isinstance(inputs, Sequence) and not isinstance(inputs, bytes | bytearray):
        items = list(inputs)
    else:
        raise ParameterError("inputs", _ACCEPTED, _short_repr(inputs))
    if not items:
        raise ParameterError("inputs", _ACCEPTED + ", not empty", _short_repr(inputs))
    for item in items:
        if not (isinstance(item, str | os.PathLike) or is_table(item)):
            raise ParameterError("inputs", _ACCEPTED, _short_repr(item))
    tables = [item for item in items if not isinstance(item, str | os.PathLike)]
    if not tables:
        yield Prepared(list(items), {})  # type: ignore[arg-type]
        return
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="inconcert-tables-") as folder:
        paths: list[str | os.PathLike[str]] = []
        written: dict[str, InputTable] = {}
        for item in items:
            if isinstance(item, str | os.PathLike):
                paths.append(item)
                continue
            kind = _table_kind(item)
            counts[kind] = counts.get(kind, 0) + 1
            same = sum(1 for t in tables if _table_kind(t) == kind)
            display = f"<{kind}>" if same == 1 else f"<{kind} #{counts[kind]}>"
            table = _to_arrow(item, display)
            if table.num_columns == 0:
                raise InputError(display, "has no columns", hint=EXPECTED_COLUMNS)
            path = str(Path(folder) / f"table-{len(written) + 1}.parquet")
            try:
                pq.write_table(table, path)
            except (pa.ArrowException, OSError) as exc:
                raise InputError(
                    display, f"cannot be read as a table: {exc}", hint=EXPECTED_COLUMNS
                ) from exc
            written[path] = InputTable(
                display, kind.split(".")[0].replace("pyarrow", "arrow"), table
            )
            paths.append(path)
        yield Prepared(paths, written)


class _Shown:
    """A value as error messages show it: its repr, cut to 80 characters."""

    def __init__(self, value: object, text: str | None = None) -> None:
        text = repr(value) if text is None else text
        self.text = text if len(text) <= 80 else text[:77] + "..."

    def __repr__(self) -> str:
        return self.text


def _short_repr(value: object) -> object:
    if type(value).__name__ == "Series" and _library(value) in _FRAMES:
        return _Shown(value, f"a {_library(value)} Series (one column; pass a DataFrame)")
    return _Shown(value)


def missing_extra(library: str, extra: str | None) -> Callable[[], Any]:
    """An importer of ``library`` whose error says how to install it (naming the pip extra)."""

    def load() -> Any:
        import importlib

        try:
            return importlib.import_module(library)
        except ImportError as exc:
            how = f"pip install 'inconcert[{extra}]'" if extra else f"pip install {library}"
            raise ImportError(f"{library} is not installed; install it with `{how}`") from exc

    return load
