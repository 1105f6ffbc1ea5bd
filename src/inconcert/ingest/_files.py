"""Finding the input files and reading each one, as is, into an Arrow table.

Nothing here knows about posts or actions: a reader returns every column of the file (CSV: all
as text), the line of every row, and the CSV lines that could not become rows. Whole-file
problems raise :class:`~inconcert.errors.InputError`.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from inconcert._arrow import fits_one_array
from inconcert.errors import InputError, ParameterError
from inconcert.ingest._values import NULL_MARKERS

__all__ = [
    "CSV_NULL_VALUES",
    "MAX_JSON_DEPTH",
    "MEMORY_ENV",
    "SUPPORTED_SUFFIXES",
    "BadRow",
    "Digest",
    "InputFile",
    "RawFile",
    "expand_paths",
    "read_raw",
]

#: CSV cells read as missing (null). Besides the empty cell, the markers R (``NA``), pandas
#: (``NaN``/``nan``), SQL (``NULL``/``null``) and Python (``None``) write for a missing value:
#: taken literally they would become an id or object shared by every row that lacks one. The
#: same values are missing in JSON Lines and Parquet (:data:`~._values.NULL_MARKERS`).
CSV_NULL_VALUES: tuple[str, ...] = NULL_MARKERS

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
    embedded
        A platform export's referenced posts and accounts' names
        (:data:`~inconcert.schema.EMBEDDED_SCHEMA`), in file order; None for other files.
    """

    source: InputFile
    sha256: str
    table: pa.Table
    lines: np.ndarray
    bad_rows: list[BadRow] = field(default_factory=list)
    embedded: pa.Table | None = None

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


#: Zstandard-compressed dumps (Pushshift / Arctic Shift Reddit dumps, ``RC_2023-01.zst``) are
#: not read: they are written with a 2 GB window (``zstd --long=31``) that the bundled
#: decompressor refuses. Named alone or found in a folder, such a file stops the run with
#: what to do, rather than being skipped.
_ZSTD_SUFFIXES = (".zst", ".zstd")


def _zstd_error(display: str) -> InputError:
    return InputError(
        display,
        "a zstandard-compressed file (.zst, as Pushshift and Arctic Shift Reddit dumps are), "
        "which inconcert does not decompress",
        hint="decompress it first (zstd -d --long=31 FILE -o FILE.jsonl; the dumps need "
        "--long=31), or filter it to JSON Lines, then pass the .jsonl file",
    )


#: The start of a server-sent events stream (``curl -N .../api/v1/streaming/public > FILE``):
#: comment lines (Mastodon sends ``:)`` first, then ``:thump``) and ``event:``/``data:`` fields.
_SSE_START = re.compile(rb"^\s*(?::[^\r\n]*|(?:event|data|id|retry):[^\r\n]*)(?:\r\n|\r|\n|$)")


def looks_like_sse(head: bytes) -> bool:
    """Whether a file's first bytes are server-sent events (``event: update`` / ``data: {...}``
    lines), not JSON: the streaming API's text form, read as its events' records."""
    head = head.removeprefix(codecs.BOM_UTF8)
    return bool(_SSE_START.match(head)) and (b"event:" in head or b"data:" in head)


def _sse_file(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return looks_like_sse(handle.read(4096))
    except OSError:
        return False


def expand_paths(paths: Sequence[str | os.PathLike[str]]) -> list[InputFile]:
    """Turn the user's files and folders into the list of files to read, in reading order.

    A folder stands for every supported file inside it, recursively, sorted by relative path;
    hidden files and folders (name starting with ".") are skipped, as are unsupported files,
    except zstandard dumps (``.zst``), which stop with what to do. A file named explicitly
    must exist and have a supported suffix, or hold server-sent events (a streaming API saved
    as text: ``event:``/``data:`` lines), read as JSON records.
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
                elif candidate.name.lower().endswith(_ZSTD_SUFFIXES):
                    raise _zstd_error(os.path.join(display, *rel.parts))
            if not found:
                raise InputError(
                    display, "the folder contains no supported files", hint=_supported_hint()
                )
            for rel_text, candidate, fmt in sorted(found, key=lambda item: item[0]):
                files.append(InputFile(os.path.join(display, *rel_text.split("/")), candidate, fmt))
        elif path.is_file():
            fmt = _format_of(path)
            if fmt is None and path.name.lower().endswith(_ZSTD_SUFFIXES):
                raise _zstd_error(display)
            if fmt is None and _sse_file(path):
                fmt = _Format("jsonl", "", None)
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


#: Files from this size on are hashed in a thread while they are read (:class:`Digest`).
_HASH_IN_THREAD_FROM = 1 << 20


class Digest:
    """The SHA-256 of an input file (for the manifest), computed in a thread while the caller
    reads the file: hashlib lets go of the interpreter lock on large buffers, as Arrow's
    readers do, so hashing and reading share the cores (a reader that parses in Python, such
    as JSON's, still holds the lock while it parses). The file is opened here, so a file that
    cannot be opened is reported at once; :meth:`hexdigest` waits for the hash and raises what
    hashing raised (an ``OSError`` as an :class:`~inconcert.errors.InputError` naming the
    file). A file under :data:`_HASH_IN_THREAD_FROM` bytes is hashed at once: a thread would
    cost more than it hides, in a folder of many small files."""

    def __init__(self, source: InputFile) -> None:
        self._display = source.display
        handle = None
        try:
            handle = open(source.path, "rb")  # noqa: SIM115 - _run closes it
            size = os.fstat(handle.fileno()).st_size
        except OSError as exc:
            if handle is not None:
                handle.close()
            raise InputError(source.display, f"cannot be opened: {exc.strerror or exc}") from exc
        self._value: str | None = None
        self._error: Exception | None = None
        self._thread: threading.Thread | None = None
        if size < _HASH_IN_THREAD_FROM:
            self._run(handle)
            return
        # a daemon: a reader that fails does not wait for the hash of a large file
        self._thread = threading.Thread(target=self._run, args=(handle,), daemon=True)
        self._thread.start()

    def _run(self, handle: io.BufferedReader) -> None:
        try:
            with handle:
                self._value = hashlib.file_digest(handle, "sha256").hexdigest()
        except Exception as exc:  # kept for hexdigest, which raises it in the caller
            self._error = exc

    def hexdigest(self) -> str:
        """The digest, once the whole file is hashed."""
        if self._thread is not None:
            self._thread.join()
        err = self._error
        if isinstance(err, OSError):
            raise InputError(self._display, f"cannot be read: {err.strerror or err}") from err
        if err is not None:
            raise err
        if self._value is None:  # not an assert: it must hold under python -O too
            raise RuntimeError(f"{self._display}: the file's hash was not computed")
        return self._value


def _stream(source: InputFile) -> pa.NativeFile:
    return pa.input_stream(str(source.path), compression=source.fmt.compression)


#: Environment variable: the most bytes one input file may take in memory once read
#: (decompressed text, or its table); default half the memory available when reading starts.
MEMORY_ENV = "INCONCERT_MAX_INPUT_BYTES"
_CHUNK = 64 << 20  # JSON Lines are parsed this many decompressed bytes at a time


def _memory_budget() -> int:
    """The most bytes one file may take in memory (see :data:`MEMORY_ENV`)."""
    given = os.environ.get(MEMORY_ENV, "").strip()
    if given:
        try:
            return max(int(given), 1)
        except ValueError as exc:
            raise ParameterError(MEMORY_ENV, "a number of bytes", given) from exc
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for text in fh:
                if text.startswith("MemAvailable:"):
                    return int(text.split()[1]) * 1024 // 2
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _size_text(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MiB"


def _too_large(source: InputFile, seen: int, budget: int) -> InputError:
    what = "decompresses to" if source.fmt.compression else "takes"
    return InputError(
        source.display,
        f"{what} more than {_size_text(seen)} in memory, over the {_size_text(budget)} one "
        "file may use (half the available memory)",
        hint=f"split it into smaller files (a folder of them is read file by file), convert it "
        f"to Parquet, or raise the limit with {MEMORY_ENV}=BYTES if the machine has the memory",
    )


def _read_all(source: InputFile) -> bytes:
    """The whole (decompressed) file; refused with a message when it would not fit."""
    budget = _memory_budget()
    parts: list[bytes] = []
    total = 0
    try:
        with _stream(source) as stream:
            while block := stream.read(_CHUNK):
                total += len(block)
                if total > budget:
                    raise _too_large(source, total, budget)
                parts.append(block)
    except (OSError, pa.ArrowException) as exc:
        raise _open_failure(source, exc) from exc
    return b"".join(parts)


def _read_chunks(source: InputFile) -> Iterator[tuple[bytes, int]]:
    """The decompressed file in pieces of whole lines (about :data:`_CHUNK` bytes), each with
    the number of its first line."""
    pending = b""
    line = 1
    try:
        with _stream(source) as stream:
            while True:
                block = stream.read(_CHUNK)
                if not block:
                    break
                data = pending + block
                cut = data.rfind(b"\n")
                if cut < 0:
                    pending = data
                    continue
                piece, pending = data[: cut + 1], data[cut + 1 :]
                yield piece, line
                line += piece.count(b"\n")
    except (OSError, pa.ArrowException) as exc:
        raise _open_failure(source, exc) from exc
    if pending:
        yield pending, line


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


class _RowTextErrors:
    """While parsing, catch what pyarrow cannot hand to an invalid-row handler (the text of a
    record that is not UTF-8): pyarrow reports it as an "exception ignored" traceback on
    stderr and then fails the parse. Here it is kept, and the parse failure is explained."""

    def __enter__(self) -> _RowTextErrors:
        self.caught: list[BaseException] = []
        self.previous = sys.unraisablehook

        def hook(unraisable: sys.UnraisableHookArgs) -> None:
            if isinstance(unraisable.exc_value, UnicodeDecodeError):
                self.caught.append(unraisable.exc_value)
            else:
                self.previous(unraisable)

        sys.unraisablehook = hook
        return self

    def __exit__(self, *exc: object) -> None:
        sys.unraisablehook = self.previous


def _csv_failure(source: InputFile, exc: BaseException, *, utf8: bool = False) -> InputError:
    message = str(exc)
    if "Empty CSV file" in message:
        return InputError(source.display, "the file is empty: there is no header line")
    utf8 = utf8 or isinstance(exc, UnicodeDecodeError) or "utf" in message.lower()
    problem = _utf8_problem(source) if utf8 else None
    return problem or _open_failure(source, exc)


def _csv_parse_options(source: InputFile, handler: object) -> pacsv.ParseOptions:
    return pacsv.ParseOptions(
        delimiter=source.fmt.delimiter,
        ignore_empty_lines=False,
        invalid_row_handler=handler,
        # a quoted field may hold line breaks: without this, pyarrow splits the file into
        # blocks at line breaks and a post crossing a block boundary becomes broken records
        newlines_in_values=True,
    )


def _csv_header(source: InputFile) -> list[str]:
    """The column names, as pyarrow's own parser sees them (quotes, BOM and all)."""
    try:
        with _RowTextErrors() as caught, _stream(source) as stream:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 20),
                parse_options=_csv_parse_options(source, lambda row: "skip"),
            )
            names = list(reader.schema.names)
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise _csv_failure(source, exc, utf8=bool(caught.caught)) from exc
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
    budget = _memory_budget()
    caught = _RowTextErrors()
    try:
        with caught, _stream(source) as stream:
            if source.fmt.compression is None:
                size = source.path.stat().st_size
                if size > budget:
                    raise _too_large(source, size, budget)
                table = pacsv.read_csv(
                    stream,
                    read_options=pacsv.ReadOptions(use_threads=threads),
                    parse_options=_csv_parse_options(source, handler),
                    convert_options=convert,
                )
            else:  # the decompressed size is unknown: batch by batch, within the budget
                reader = pacsv.open_csv(
                    stream,
                    read_options=pacsv.ReadOptions(use_threads=threads, block_size=16 << 20),
                    parse_options=_csv_parse_options(source, handler),
                    convert_options=convert,
                )
                batches = []
                held = 0
                for batch in reader:
                    held += batch.nbytes
                    if held > budget:
                        raise _too_large(source, held, budget)
                    batches.append(batch)
                table = pa.Table.from_batches(batches, schema=reader.schema)
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise _csv_failure(source, exc, utf8=bool(caught.caught)) from exc
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


#: JSON nesting deeper than this makes a record a reject (``bad_record``): no real export nests
#: so deep, and a parser may crash on very deep nesting (pyarrow segfaults near 10,000 levels).
MAX_JSON_DEPTH = 100
_PLAIN_FLOAT = re.compile(r"-?\d+\.0+")


class _FloatText(str):
    """A JSON number with a fraction or exponent, as written (``1.5``, ``1e3``): read as a float
    it would lose digits, and an id must stay exact."""


def _float_text(text: str) -> _FloatText:
    if _PLAIN_FLOAT.fullmatch(text):
        text = text.partition(".")[0]  # 7.0 -> 7, as a float column shows it
    return _FloatText(text)


def _no_constant(text: str) -> None:
    """NaN, Infinity and -Infinity (not JSON, but Python writes them): missing."""
    return None


def _json_scalar_text(value: object) -> str:
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_column(values: list[object]) -> pa.Array:
    """One column of the slow JSONL path: typed like pyarrow would, or as text when mixed.
    Numbers with a fraction or exponent stay text as written (:class:`_FloatText`)."""
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
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        try:
            return pa.array(values, type=pa.int64())
        except (OverflowError, pa.ArrowException):
            pass
    return pa.array([None if v is None else _json_scalar_text(v) for v in values], pa.string())


def _depth(line: bytes) -> int:
    """How deep a line's JSON nests (brackets inside strings do not count)."""
    b = np.frombuffer(line, dtype=np.uint8)
    index = np.arange(len(b))
    last_plain = np.maximum.accumulate(np.where(b == 0x5C, -1, index))  # not a backslash
    escaped = np.zeros(len(b), dtype=bool)
    escaped[1:] = ((index - last_plain)[:-1] % 2) == 1  # after an odd run of backslashes
    quote = (b == 0x22) & ~escaped
    outside = ((np.cumsum(quote) - quote) % 2) == 0
    step = (((b == 0x5B) | (b == 0x7B)) & outside).astype(np.int64)
    step -= ((b == 0x5D) | (b == 0x7D)) & outside
    return int(np.cumsum(step).max(initial=0))


def _too_deep(data: bytes) -> dict[int, int]:
    """Lines (0-based within ``data``) nesting deeper than :data:`MAX_JSON_DEPTH`, and how
    deep. Only lines with more opening brackets than that are looked at closely."""
    b = np.frombuffer(data, dtype=np.uint8)
    openers = np.flatnonzero((b == 0x5B) | (b == 0x7B))
    if len(openers) <= MAX_JSON_DEPTH:
        return {}
    newlines = np.flatnonzero(b == 0x0A)
    starts = np.concatenate([[0], newlines + 1])
    ends = np.concatenate([newlines, [len(b)]])
    counts = np.searchsorted(openers, ends) - np.searchsorted(openers, starts)
    found = {}
    for k in np.flatnonzero(counts > MAX_JSON_DEPTH).tolist():
        depth = _depth(data[starts[k] : ends[k]])
        if depth > MAX_JSON_DEPTH:
            found[k] = depth
    return found


def _deep_row(line: int, depth: int | None, text: bytes) -> BadRow:
    how = f"{depth} levels" if depth is not None else "too deeply"
    return BadRow(
        line=line,
        detail=f"JSON nested {how} deep; at most {MAX_JSON_DEPTH} levels are read",
        record=json.dumps(text[:_RECORD_LIMIT].decode("utf-8", "replace"), ensure_ascii=False)[
            :_RECORD_LIMIT
        ],
        reason="bad_record",
    )


def _read_jsonl_slowly(
    source: InputFile, data: bytes, numbers: np.ndarray
) -> tuple[pa.Table, np.ndarray, list[BadRow]]:
    """Line by line with the json module: exact line numbers and precise errors.
    ``numbers``: the file's line number of each line of ``data``."""
    records: list[dict[str, object]] = []
    lines: list[int] = []
    bad: list[BadRow] = []
    for i, raw in enumerate(data.split(b"\n")):
        if not raw.strip():
            continue
        number = int(numbers[i])
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
            record = json.loads(text, parse_float=_float_text, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise InputError(
                source.display,
                f"invalid JSON: {exc.msg} at column {exc.colno}",
                line=number,
                hint="each line must be one complete JSON object",
            ) from exc
        except RecursionError:
            bad.append(_deep_row(number, None, raw))
            continue
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
    return table, np.asarray(lines, dtype=np.int64), bad


def _has_float(kind: pa.DataType) -> bool:
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return True
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _has_float(kind.value_type)
    if pa.types.is_struct(kind):
        return any(_has_float(kind.field(i).type) for i in range(kind.num_fields))
    return False


def _read_jsonl_chunk(
    source: InputFile, data: bytes, first: int
) -> tuple[pa.Table, np.ndarray, list[BadRow]]:
    """One piece of whole lines, starting at line ``first``."""
    numbers = np.arange(first, first + data.count(b"\n") + 1, dtype=np.int64)  # per piece
    n_lines = len(numbers) - (1 if data.endswith(b"\n") else 0)
    bad: list[BadRow] = []
    deep = _too_deep(data)
    if deep:  # taken out before any parser sees them
        pieces = data.split(b"\n")
        for k, depth in deep.items():
            bad.append(_deep_row(int(numbers[k]), depth, pieces[k]))
        keep = [k for k in range(len(pieces)) if k not in deep]
        data = b"\n".join(pieces[k] for k in keep)
        numbers = numbers[keep]
        n_lines = len(keep) - (1 if data.endswith(b"\n") else 0)
    if data.strip() and _BLANK_LINE.search(data) is None and _NOT_AN_OBJECT.search(data) is None:
        try:
            table = pajson.read_json(pa.BufferReader(data))
            table.validate(full=True)  # pyarrow.json lets invalid UTF-8 through
        except pa.ArrowException:
            table = None
        # a float column would round ids (ints above 2**53 and 2**63 become floats): slowly
        if (
            table is not None
            and table.num_rows == n_lines
            and not any(_has_float(f.type) for f in table.schema)
        ):
            return table, numbers[:n_lines], bad
    table, lines, more = _read_jsonl_slowly(source, data, numbers)
    return table, lines, sorted(bad + more, key=lambda row: row.line)


def _as_json_text(column: pa.ChunkedArray) -> pa.Array:
    """Any column as text: scalars as pyarrow writes them, nested values as compact JSON."""
    kind = column.type
    if pa.types.is_nested(kind):
        return pa.array(
            [None if v is None else _json_scalar_text(v) for v in column.to_pylist()], pa.string()
        )
    if pa.types.is_boolean(kind):
        return pa.array(
            [None if v is None else _json_scalar_text(v) for v in column.to_pylist()], pa.string()
        )
    return column.cast(pa.string()).combine_chunks()


def _unify(tables: list[pa.Table]) -> pa.Table:
    """The pieces' tables as one: a column typed differently in two pieces becomes text
    (lists: lists of text); a column a piece lacks is null there."""
    if len(tables) == 1:
        return tables[0]
    names = list(dict.fromkeys(name for t in tables for name in t.column_names))
    columns: dict[str, pa.ChunkedArray] = {}
    for name in names:
        parts = [t.column(name) if name in t.column_names else None for t in tables]
        kinds = {p.type for p in parts if p is not None and not pa.types.is_null(p.type)}
        if len(kinds) == 1:
            kind = kinds.pop()
        elif (
            kinds
            and all(pa.types.is_list(k) for k in kinds)
            and not any(pa.types.is_nested(k.value_type) for k in kinds)
        ):
            kind = pa.list_(pa.string())
        else:
            kind = pa.string()
        pieces = []
        for t, part in zip(tables, parts, strict=True):
            if part is None or pa.types.is_null(part.type):
                pieces.append(pa.nulls(t.num_rows, kind))
            elif part.type == kind:
                pieces.extend(part.chunks)
            elif pa.types.is_list(kind):
                pieces.append(part.cast(kind).combine_chunks())
            else:
                pieces.append(_as_json_text(part))
        columns[name] = pa.chunked_array(pieces, type=kind)
    return pa.table(columns)


def _read_jsonl(source: InputFile) -> tuple[pa.Table, np.ndarray, list[BadRow]]:
    """Piece by piece (:data:`_CHUNK` decompressed bytes), so a compressed file never sits in
    memory whole; refused with a message past the memory budget."""
    budget = _memory_budget()
    tables: list[pa.Table] = []
    lines: list[np.ndarray] = []
    bad: list[BadRow] = []
    held = 0
    for data, first in _read_chunks(source):
        if held + len(data) > budget:
            raise _too_large(source, held + len(data), budget)
        if first == 1 and data.startswith(codecs.BOM_UTF8) and not data[3:].strip():
            continue
        if not data.strip():
            continue
        table, numbers, more = _read_jsonl_chunk(source, data, first)
        held += table.nbytes
        tables.append(table)
        lines.append(numbers)
        bad.extend(more)
    if not tables or (sum(t.num_rows for t in tables) == 0 and not bad):
        raise InputError(source.display, "the file has no JSON records (only blank lines)")
    if sum(t.num_rows for t in tables) == 0:
        raise InputError(
            source.display,
            f"no record can be read: {bad[0].detail}",
            line=bad[0].line,
            hint="each line must be one JSON object",
        )
    return _unify(tables), np.concatenate(lines), bad


# ---------------------------------------------------------------------------------------------
# Parquet and dispatch
# ---------------------------------------------------------------------------------------------


#: Uncompressed bytes of row groups read at once from a Parquet file too large to be read whole
#: (:func:`_read_parquet`); a larger row group is read alone.
PARQUET_READ_BYTES = 512 * 1024**2


def _read_parquet(source: InputFile) -> pa.Table:
    """The file's rows. A file whose row groups hold more than 2 GiB uncompressed (one column
    of strings could not hold them as one array anyway) is read a few row groups at a time
    (:data:`PARQUET_READ_BYTES`): read whole, its pages and its columns were held together.
    300,000 articles in six row groups of 413 MB: read in 7.8-8.0 s with a 3.2 GB peak against
    9.0-9.7 s and 4.8 GB. A smaller file is read whole, its columns each one array, as the
    later stages want them (10.4M posts in 22 row groups of 50 MB: read in groups, 0.3 GB more
    at the peak)."""
    try:
        file = pq.ParquetFile(str(source.path))
        meta = file.metadata
        sizes = [meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)]
        if fits_one_array(sum(sizes)):
            table = file.read()
        else:
            groups: list[list[int]] = [[]]
            total = 0
            for i, size in enumerate(sizes):
                if groups[-1] and total + size > PARQUET_READ_BYTES:
                    groups.append([])
                    total = 0
                groups[-1].append(i)
                total += size
            table = pa.concat_tables([file.read_row_groups(g) for g in groups])
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
    digest = Digest(source)
    bad_rows: list[BadRow] = []
    if source.fmt.name == "csv":
        table, lines, bad_rows = _read_csv(source)
    elif source.fmt.name == "jsonl":
        table, lines, bad_rows = _read_jsonl(source)
    else:
        table = _read_parquet(source)
        lines = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return RawFile(source, digest.hexdigest(), table, lines, bad_rows)
