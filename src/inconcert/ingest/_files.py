"""Finding the input files and reading each one, as is, into an Arrow table.

Nothing here knows about posts or actions: a reader returns every column of the file (CSV: all
as text), the line of every row, and the CSV lines that could not become rows. Whole-file
problems raise :class:`~inconcert.errors.InputError`.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from inconcert.errors import InputError, ParameterError

__all__ = [
    "CSV_NULL_VALUES",
    "SUPPORTED_SUFFIXES",
    "BadRow",
    "InputFile",
    "RawFile",
    "expand_paths",
    "read_raw",
]

#: CSV cells read as missing (null). Besides the empty cell, the markers R (``NA``), pandas
#: (``NaN``/``nan``), SQL (``NULL``/``null``) and Python (``None``) write for a missing value:
#: taken literally they would become an id or object shared by every row that lacks one.
CSV_NULL_VALUES: tuple[str, ...] = ("", "NA", "N/A", "NaN", "nan", "NULL", "null", "None")

_RECORD_LIMIT = 2000
_ICONV_HINT = (
    "re-encode the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 FILE > FILE.utf8`, "
    "naming the file's real encoding after -f"
)
_JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
}


@dataclass(frozen=True)
class _Format:
    name: str  # "csv", "jsonl", "json" (one document, read by the platform readers) or "parquet"
    delimiter: str  # CSV only
    compression: str | None  # None or "gzip"


_FORMATS: tuple[tuple[str, _Format], ...] = (
    (".csv.gz", _Format("csv", ",", "gzip")),
    (".tsv.gz", _Format("csv", "\t", "gzip")),
    (".jsonl.gz", _Format("jsonl", "", "gzip")),
    (".ndjson.gz", _Format("jsonl", "", "gzip")),
    (".csv", _Format("csv", ",", None)),
    (".tsv", _Format("csv", "\t", None)),
    (".jsonl", _Format("jsonl", "", None)),
    (".ndjson", _Format("jsonl", "", None)),
    (".json.gz", _Format("json", "", "gzip")),
    (".json", _Format("json", "", None)),
    (".parquet", _Format("parquet", "", None)),
    (".pq", _Format("parquet", "", None)),
)

#: File name endings the readers understand (case-insensitive).
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(suffix for suffix, _ in _FORMATS)


@dataclass(frozen=True)
class InputFile:
    """One file to read: the name to show the user, where it is, and how to read it."""

    display: str
    path: Path
    fmt: _Format


@dataclass(frozen=True)
class BadRow:
    """A CSV record that could not become a row (wrong number of fields)."""

    line: int
    detail: str
    record: str
    reason: str = "wrong_field_count"


@dataclass
class RawFile:
    """One file read as is.

    Attributes
    ----------
    source
        The file.
    sha256
        Hex digest of the raw (still compressed) bytes.
    table
        Every column of the file; CSV columns are all strings.
    lines
        int64, the line of each table row (see :func:`read_raw`).
    bad_rows
        CSV records with the wrong number of fields, in file order.
    """

    source: InputFile
    sha256: str
    table: pa.Table
    lines: np.ndarray
    bad_rows: list[BadRow] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Every record of the file: table rows plus bad rows."""
        return self.table.num_rows + len(self.bad_rows)


def _format_of(path: Path) -> _Format | None:
    name = path.name.lower()
    for suffix, fmt in _FORMATS:
        if name.endswith(suffix) and len(name) > len(suffix):
            return fmt
    return None


def _supported_hint() -> str:
    return "supported: " + ", ".join(SUPPORTED_SUFFIXES)


def expand_paths(paths: Sequence[str | os.PathLike[str]]) -> list[InputFile]:
    """Turn the user's files and folders into the list of files to read, in reading order.

    A folder stands for every supported file inside it, recursively, sorted by relative path;
    hidden files and folders (name starting with ".") are skipped, as are unsupported files.
    A file named explicitly must exist and have a supported suffix.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if len(paths) == 0:
        raise ParameterError("paths", "a non-empty list of files or folders", list(paths))
    files: list[InputFile] = []
    for given in paths:
        display = os.fspath(given)
        path = Path(display)
        if path.is_dir():
            found: list[tuple[str, Path, _Format]] = []
            for candidate in path.rglob("*"):
                rel = candidate.relative_to(path)
                if any(part.startswith(".") for part in rel.parts) or not candidate.is_file():
                    continue
                fmt = _format_of(candidate)
                if fmt is not None:
                    found.append((rel.as_posix(), candidate, fmt))
            if not found:
                raise InputError(
                    display, "the folder contains no supported files", hint=_supported_hint()
                )
            for rel_text, candidate, fmt in sorted(found, key=lambda item: item[0]):
                files.append(InputFile(os.path.join(display, *rel_text.split("/")), candidate, fmt))
        elif path.is_file():
            fmt = _format_of(path)
            if fmt is None:
                suffix = "".join(path.suffixes[-2:]) or "(none)"
                raise InputError(
                    display, f"unsupported file type {suffix!r}", hint=_supported_hint()
                )
            files.append(InputFile(display, path, fmt))
        elif path.exists():
            raise InputError(display, "not a regular file or folder")
        else:
            raise InputError(display, "file not found")
    return files


def _sha256(source: InputFile) -> str:
    try:
        with open(source.path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(source.display, f"cannot be opened: {exc.strerror or exc}") from exc
    return digest


def _stream(source: InputFile) -> pa.NativeFile:
    return pa.input_stream(str(source.path), compression=source.fmt.compression)


def _read_all(source: InputFile) -> bytes:
    try:
        with _stream(source) as stream:
            return stream.read()
    except (OSError, pa.ArrowException) as exc:
        raise _open_failure(source, exc) from exc


def _open_failure(source: InputFile, exc: BaseException) -> InputError:
    """An InputError for a file that could not be decompressed or parsed at all."""
    message = str(exc)
    if source.fmt.compression and re.search(r"zlib|gzip|inflate|compress", message, re.I):
        return InputError(
            source.display,
            f"is not a valid gzip file ({message})",
            hint="check the download, or drop the .gz suffix if the file is not compressed",
        )
    return InputError(source.display, f"cannot be read as {source.fmt.name.upper()}: {message}")


def _utf8_problem(source: InputFile) -> InputError | None:
    """Find the first byte that is not UTF-8 and describe it, or None if there is none."""
    decode = codecs.utf_8_decode
    pending = b""
    offset = 0
    line = 1
    try:
        with _stream(source) as stream:
            while True:
                chunk = stream.read(1 << 20)
                final = not chunk
                data = pending + chunk
                try:
                    _, consumed = decode(data, "strict", final)
                except UnicodeDecodeError as exc:
                    line += data.count(b"\n", 0, exc.start)
                    where = "of the decompressed data " if source.fmt.compression else ""
                    return InputError(
                        source.display,
                        f"is not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset "
                        f"{offset + exc.start} {where}cannot be decoded",
                        line=line,
                        hint=_ICONV_HINT,
                    )
                line += data.count(b"\n", 0, consumed)
                offset += consumed
                pending = data[consumed:]
                if final:
                    return None
    except (OSError, pa.ArrowException):
        return None


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def _csv_failure(source: InputFile, exc: BaseException) -> InputError:
    message = str(exc)
    if "Empty CSV file" in message:
        return InputError(source.display, "the file is empty: there is no header line")
    utf8 = isinstance(exc, UnicodeDecodeError) or "utf" in message.lower()
    problem = _utf8_problem(source) if utf8 else None
    return problem or _open_failure(source, exc)


def _csv_parse_options(source: InputFile, handler: object) -> pacsv.ParseOptions:
    return pacsv.ParseOptions(
        delimiter=source.fmt.delimiter,
        ignore_empty_lines=False,
        invalid_row_handler=handler,
    )


def _csv_header(source: InputFile) -> list[str]:
    """The column names, as pyarrow's own parser sees them (quotes, BOM and all)."""
    try:
        with _stream(source) as stream:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 20),
                parse_options=_csv_parse_options(source, lambda row: "skip"),
            )
            names = list(reader.schema.names)
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise _csv_failure(source, exc) from exc
    return names


def _read_csv_table(
    source: InputFile, names: list[str], *, threads: bool
) -> tuple[pa.Table, list[tuple[int | None, int, int, str]]]:
    bad: list[tuple[int | None, int, int, str]] = []

    def handler(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=list(CSV_NULL_VALUES),
    )
    try:
        with _stream(source) as stream:
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(use_threads=threads),
                parse_options=_csv_parse_options(source, handler),
                convert_options=convert,
            )
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise _csv_failure(source, exc) from exc
    return table, bad


def _newlines_per_row(table: pa.Table) -> np.ndarray:
    counts = np.zeros(table.num_rows, dtype=np.int64)
    if table.num_rows == 0:
        return counts
    for column in table.columns:
        per_row = pc.count_substring(column, "\n")
        if (pc.max(per_row).as_py() or 0) > 0:
            counts += per_row.fill_null(0).to_numpy().astype(np.int64)
    return counts


def _csv_lines(
    table: pa.Table, names: list[str], bad: list[tuple[int | None, int, int, str]]
) -> tuple[np.ndarray, list[int]]:
    """Physical start line of every valid row and of every bad record (header = line 1).

    pyarrow numbers records, not lines (header = record 1, a blank line is a record), so a
    record's line is: header lines + its record position + the newlines inside the quoted
    fields of every record before it.
    """
    header_lines = 1 + sum(name.count("\n") for name in names)
    n_valid = table.num_rows
    total = n_valid + len(bad)
    positions = [number - 2 if number is not None else -1 for number, *_ in bad]
    if bad and (
        min(positions) < 0 or max(positions) >= total or len(set(positions)) != len(positions)
    ):
        # Should not happen; fall back to record numbers (record number + 1 per row).
        lines = header_lines + 1 + np.arange(n_valid, dtype=np.int64)
        return lines, [p + header_lines + 1 if p >= 0 else 0 for p in positions]
    is_bad = np.zeros(total, dtype=bool)
    is_bad[positions] = True
    newlines = np.zeros(total, dtype=np.int64)
    newlines[~is_bad] = _newlines_per_row(table)
    newlines[positions] = [text.count("\n") for *_, text in bad]
    starts = header_lines + 1 + np.arange(total, dtype=np.int64) + np.cumsum(newlines) - newlines
    return starts[~is_bad], [int(starts[p]) for p in positions]


def _read_csv(source: InputFile) -> tuple[pa.Table, np.ndarray, list[BadRow]]:
    names = _csv_header(source)
    table, bad = _read_csv_table(source, names, threads=True)
    if any(number is None for number, *_ in bad):
        # Multi-threaded parsing does not know record numbers; read again in one thread.
        table, bad = _read_csv_table(source, names, threads=False)
    bad.sort(key=lambda item: item[0] or 0)
    lines, bad_lines = _csv_lines(table, names, bad)
    bad_rows = [
        BadRow(
            line=line,
            detail=f"expected {expected} fields, found {actual}",
            record=json.dumps(text, ensure_ascii=False)[:_RECORD_LIMIT],
        )
        for line, (_, expected, actual, text) in zip(bad_lines, bad, strict=True)
    ]
    return table, lines, bad_rows


# ---------------------------------------------------------------------------------------------
# JSON Lines
# ---------------------------------------------------------------------------------------------

_BLANK_LINE = re.compile(rb"(?:\A|\n)[ \t\r]*\n|\n[ \t\r]+\Z|\A[ \t\r]+\Z")
# A line that does not start with "{": pyarrow.json would take it (a lone "null" even crashes
# pyarrow 26), so such files go to the json module, which names the line.
_NOT_AN_OBJECT = re.compile(
    rb"\A(?!\xef\xbb\xbf)[ \t]*[^{ \t\r\n]|\A\xef\xbb\xbf[ \t]*[^{ \t\r\n]|\n[ \t]*[^{ \t\r\n]"
)


def _json_scalar_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_column(values: list[object]) -> pa.Array:
    """One column of the slow JSONL path: typed like pyarrow would, or as text when mixed."""
    present = [v for v in values if v is not None]
    if not present:
        return pa.nulls(len(values), pa.string())
    if all(isinstance(v, list) for v in present):
        items = [
            None
            if not isinstance(v, list)
            else [None if x is None else _json_scalar_text(x) for x in v]
            for v in values
        ]
        return pa.array(items, type=pa.list_(pa.string()))
    if all(isinstance(v, str) for v in present):
        return pa.array(values, type=pa.string())
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
    if numbers and all(isinstance(v, int) for v in present):
        try:
            return pa.array(values, type=pa.int64())
        except (OverflowError, pa.ArrowException):
            pass
    elif numbers:
        return pa.array(values, type=pa.float64())
    return pa.array([None if v is None else _json_scalar_text(v) for v in values], pa.string())


def _read_jsonl_slowly(source: InputFile, data: bytes) -> tuple[pa.Table, np.ndarray]:
    """Line by line with the json module: exact line numbers and precise errors."""
    records: list[dict[str, object]] = []
    lines: list[int] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                source.display,
                f"is not valid UTF-8: byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of "
                "the line cannot be decoded",
                line=number,
                hint=_ICONV_HINT,
            ) from exc
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                source.display,
                f"invalid JSON: {exc.msg} at column {exc.colno}",
                line=number,
                hint="each line must be one complete JSON object",
            ) from exc
        if not isinstance(record, dict):
            raise InputError(
                source.display,
                f"expected a JSON object, found a JSON {_JSON_TYPES.get(type(record), 'value')}",
                line=number,
                hint='each line must be one JSON object such as {"post_id": "1", ...}',
            )
        records.append(record)
        lines.append(number)
    names = list(dict.fromkeys(key for record in records for key in record))
    table = pa.table({name: _json_column([r.get(name) for r in records]) for name in names})
    return table, np.asarray(lines, dtype=np.int64)


def _read_jsonl(source: InputFile) -> tuple[pa.Table, np.ndarray]:
    data = _read_all(source)
    if not data.strip() or data.strip() == codecs.BOM_UTF8:
        raise InputError(source.display, "the file has no JSON records (only blank lines)")
    if _BLANK_LINE.search(data) is None and _NOT_AN_OBJECT.search(data) is None:
        try:
            table = pajson.read_json(pa.BufferReader(data))
            table.validate(full=True)  # pyarrow.json lets invalid UTF-8 through
        except pa.ArrowException:
            table = None
        n_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        if table is not None and table.num_rows == n_lines:
            return table, np.arange(1, n_lines + 1, dtype=np.int64)
    return _read_jsonl_slowly(source, data)


# ---------------------------------------------------------------------------------------------
# Parquet and dispatch
# ---------------------------------------------------------------------------------------------


def _read_parquet(source: InputFile) -> pa.Table:
    try:
        table = pq.ParquetFile(str(source.path)).read()
    except (OSError, pa.ArrowException) as exc:
        raise InputError(
            source.display,
            f"cannot be read as Parquet: {exc}",
            hint="is it really a Parquet file? A .parquet or .pq suffix must mean Parquet",
        ) from exc
    return table.replace_schema_metadata(None)


def read_raw(source: InputFile) -> RawFile:
    """Read one file as is.

    Line numbers: CSV, the physical line where the record starts (header = line 1; quoted
    fields spanning lines and blank lines are accounted for); JSON Lines, the line; Parquet,
    the 1-based row number.
    """
    try:
        size = source.path.stat().st_size
    except OSError as exc:
        raise InputError(source.display, f"cannot be opened: {exc.strerror or exc}") from exc
    if size == 0:
        raise InputError(source.display, "the file is empty (0 bytes)")
    digest = _sha256(source)
    bad_rows: list[BadRow] = []
    if source.fmt.name == "csv":
        table, lines, bad_rows = _read_csv(source)
    elif source.fmt.name == "jsonl":
        table, lines = _read_jsonl(source)
    else:
        table = _read_parquet(source)
        lines = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return RawFile(source, digest, table, lines, bad_rows)
