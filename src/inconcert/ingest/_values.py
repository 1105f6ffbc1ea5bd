"""Column conversions, vectorised: text ids, timestamps and lists.

Every function takes one column as read and returns the canonical column plus masks saying
which rows failed. Only the rows that fail every fast path reach a per-row Python fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inconcert.schema import TIMESTAMP_TYPE

from .._arrow import one_array

#: The reader's DuckDB connection, opened by the first call (many reads need none).
Connect = Callable[[], duckdb.DuckDBPyConnection]

__all__ = [
    "EPOCH_MAX",
    "EPOCH_MS_THRESHOLD",
    "NULL_MARKERS",
    "ColumnTypeError",
    "Timestamps",
    "arrow_of",
    "as_text",
    "clean_ids",
    "parse_lists",
    "parse_timestamps",
]

#: An epoch number whose absolute value is at least this is in milliseconds, below it in
#: seconds. 1e11 seconds is the year 5138; 1e11 milliseconds is 1973-03-03, so epoch
#: milliseconds before March 1973 would be misread as seconds.
EPOCH_MS_THRESHOLD = 10**11

#: An epoch number whose absolute value is at least this (1e14 ms, the year 5138) is rejected:
#: microseconds or nanoseconds since the epoch are not guessed.
EPOCH_MAX = 10**14

_INT_PATTERN = r"^-?\d{1,18}$"  # what Arrow casts to int64 exactly ("+5" goes the float way)
_NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_ISO_PREFIX = r"^\d{4}-\d\d-\d\d"
#: Other text forms, tried in order (vectorised): Twitter's, then RFC 2822 variants.
_TEXT_FORMATS: tuple[str, ...] = (
    "%a %b %d %H:%M:%S %z %Y",
    "%a, %d %b %Y %H:%M:%S %z",
    "%d %b %Y %H:%M:%S %z",
    "%a, %d %b %Y %H:%M:%S GMT",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


class ColumnTypeError(Exception):
    """A column has an Arrow type the conversion cannot use; the caller names the file."""


@dataclass(frozen=True)
class Timestamps:
    """Parsed timestamps.

    Attributes
    ----------
    values
        ``timestamp[us, tz=UTC]``, null where ``missing`` or ``bad``.
    missing
        The input was null or blank.
    bad
        The input was present but could not be parsed.
    """

    values: pa.Array
    missing: np.ndarray
    bad: np.ndarray


def arrow_of(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """A DuckDB relation as an Arrow table, whatever the DuckDB version calls the method."""
    for name in ("to_arrow_table", "fetch_arrow_table", "arrow"):
        method = getattr(relation, name, None)
        if method is not None:
            result = method()
            if isinstance(result, pa.RecordBatchReader):
                result = result.read_all()
            return result
    raise RuntimeError("this DuckDB version cannot export Arrow tables")  # pragma: no cover


def _plain(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    array = one_array(column)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _rows(array: pa.Array, rows: np.ndarray) -> pa.Array:
    """``array.take(rows)`` for sorted unique ``rows``, without a copy when it is every row."""
    return array if len(rows) == len(array) else array.take(pa.array(rows))


def _mask(array: pa.Array) -> np.ndarray:
    """A boolean Arrow array as numpy, null counting as False."""
    return np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _is_string_view(kind: pa.DataType) -> bool:
    check = getattr(pa.types, "is_string_view", None)  # pyarrow >= 16
    return bool(check(kind)) if check is not None else False


def as_text(column: pa.Array | pa.ChunkedArray, name: str) -> pa.Array:
    """Any scalar column as ``string``: numbers are written in full (``129235``, ``1.5``).

    Raises
    ------
    ColumnTypeError
        For lists, structs, maps and binary data that is not UTF-8.
    """
    array = _plain(column)
    kind = array.type
    if pa.types.is_string(kind):
        return array
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string())
    if (
        pa.types.is_large_string(kind)
        or _is_string_view(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_temporal(kind)
    ):
        return array.cast(pa.string())
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        try:
            return array.cast(pa.string())
        except pa.ArrowInvalid as exc:
            raise ColumnTypeError(f"column {name!r} holds binary data that is not UTF-8") from exc
    raise ColumnTypeError(f"column {name!r} has type {kind}, expected text or numbers")


#: Values read as missing (null) in every format, as CSV cells and as JSON or Parquet strings
#: alike (after surrounding whitespace is removed): the empty string and the markers R
#: (``NA``), pandas (``NaN``/``nan``, also what a float NaN becomes as text), SQL
#: (``NULL``/``null``) and Python (``None``) write for a missing value. Taken literally they
#: would become an id or object shared by every row that lacks one.
NULL_MARKERS: tuple[str, ...] = ("", "NA", "N/A", "NaN", "nan", "NULL", "null", "None")


def _is_marker(array: pa.Array) -> pa.Array:
    return pc.is_in(array, value_set=pa.array(NULL_MARKERS, pa.string()))


def clean_ids(array: pa.Array) -> pa.Array:
    """Trim surrounding whitespace; blank and the missing-value markers (:data:`NULL_MARKERS`,
    the same in every format) become null."""
    trimmed = pc.utf8_trim_whitespace(array)
    return pc.if_else(_is_marker(trimmed), pa.scalar(None, pa.string()), trimmed)


def id_text(column: pa.Array | pa.ChunkedArray, name: str) -> pa.Array:
    """``clean_ids(as_text(column, name))``; whole numbers, written in full, have no
    whitespace and are no marker, so they skip the cleaning."""
    kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    text = as_text(column, name)
    return text if pa.types.is_integer(kind) else clean_ids(text)


# ---------------------------------------------------------------------------------------------
# Timestamps
# ---------------------------------------------------------------------------------------------


def _from_epoch(values: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Epoch seconds or milliseconds (by magnitude) to microseconds; also the ok mask."""
    if values.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            magnitude = np.abs(values)
            ok = valid & np.isfinite(values) & (magnitude < EPOCH_MAX)
        safe = np.where(ok, values, 0.0)
        factor = np.where(np.abs(safe) >= EPOCH_MS_THRESHOLD, 1e3, 1e6)
        micros = np.rint(safe * factor).astype(np.int64)
    else:
        values = values.astype(np.int64, copy=False)
        magnitude = np.abs(values)  # negative only for the smallest int64, caught below
        ok = valid & (magnitude >= 0) & (magnitude < EPOCH_MAX)
        safe = np.where(ok, values, 0)
        micros = np.where(np.abs(safe) >= EPOCH_MS_THRESHOLD, safe * 1_000, safe * 1_000_000)
    return micros, ok


def _numeric_epoch(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    valid = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    values: np.ndarray | None = None
    if pa.types.is_integer(array.type):
        try:
            values = array.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:  # uint64 beyond int64: far out of range anyway
            values = None
    if values is None:
        values = array.cast(pa.float64(), safe=False).fill_null(0.0).to_numpy(zero_copy_only=False)
    return _from_epoch(values, valid)


_PER_MICRO = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 0}


def _micros(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A timestamp array (any unit or zone) as UTC microseconds and a validity mask; a value
    whose microseconds would not fit in 64 bits is invalid (a cast would wrap it)."""
    if pa.types.is_date(array.type):
        days = (
            array.cast(pa.date32())
            .cast(pa.int32())
            .fill_null(0)
            .to_numpy(zero_copy_only=False)
            .astype(np.int64)
        )
        valid = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        return days * 86_400_000_000, valid
    valid = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    raw = array.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    factor = _PER_MICRO[array.type.unit]
    if factor == 0:  # nanoseconds: always fit
        return raw // 1000, valid
    fits = np.abs(raw) <= np.iinfo(np.int64).max // factor
    return np.where(fits, raw, 0) * factor, valid & fits


def _query_strings(con: duckdb.DuckDBPyConnection, strings: pa.Array, select: str) -> pa.Table:
    """Run ``select`` (which reads ``{table}`` with columns ``i``, the row, and ``s``, the
    string) over ``strings`` in DuckDB; the result comes back in row order."""
    name = "_inconcert_strings"
    table = pa.table({"i": pa.array(np.arange(len(strings), dtype=np.int64)), "s": strings})
    con.register(name, table)
    try:
        return arrow_of(con.sql(f"SELECT * FROM ({select.format(table=name)}) q ORDER BY i"))
    finally:
        con.unregister(name)


def _iso_fast(strings: pa.Array, con: duckdb.DuckDBPyConnection) -> tuple[np.ndarray, np.ndarray]:
    """ISO 8601 strings: Arrow's strict parser first, DuckDB's lenient one if that fails."""
    for target in (TIMESTAMP_TYPE, pa.timestamp("us")):
        try:
            return _micros(strings.cast(target))
        except pa.ArrowInvalid:
            continue
    result = _query_strings(
        con,
        strings,
        "SELECT i, CASE WHEN isfinite(t) THEN t END AS t "
        "FROM (SELECT i, TRY_CAST(s AS TIMESTAMPTZ) AS t FROM {table})",
    )
    return _micros(_plain(result.column("t")))


def _parse_iso_slowly(text: str) -> int | None:
    """The per-row fallback for ISO-looking strings both fast parsers refused."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return (moment - _EPOCH) // _ONE_US
    except OverflowError:
        return None


def _text_timestamps(
    strings: pa.Array, con: duckdb.DuckDBPyConnection
) -> tuple[np.ndarray, np.ndarray]:
    """Non-numeric, non-null strings to microseconds."""
    n = len(strings)
    micros = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    is_iso = _mask(pc.match_substring_regex(strings, _ISO_PREFIX))
    iso = np.flatnonzero(is_iso)
    if len(iso):
        micros[iso], ok[iso] = _iso_fast(_rows(strings, iso), con)
    for text_format in _TEXT_FORMATS:
        rest = np.flatnonzero(~ok & ~is_iso)
        if not len(rest):
            break
        parsed = pc.strptime(
            _rows(strings, rest), format=text_format, unit="us", error_is_null=True
        )
        micros[rest], ok[rest] = _micros(parsed)
    rest = np.flatnonzero(~ok & is_iso)
    for index, text in zip(rest, strings.take(rest).to_pylist(), strict=True):
        value = _parse_iso_slowly(text)
        if value is not None and abs(value) < 2**62:
            micros[index], ok[index] = value, True
    return micros, ok


def parse_timestamps(column: pa.Array | pa.ChunkedArray, name: str, con: Connect) -> Timestamps:
    """Parse a timestamp column of any supported form into ``timestamp[us, tz=UTC]``.

    Accepted, per row:

    * an Arrow timestamp (any unit; with a zone converted to UTC, naive taken as UTC) or date
      (midnight UTC);
    * an epoch number, integer or decimal, as a number or as text (``1629064892``,
      ``"1629064892.5"``): seconds when its absolute value is below 1e11
      (:data:`EPOCH_MS_THRESHOLD`), milliseconds from 1e11 on; 1e14 and above is rejected;
    * an ISO 8601 string, with or without zone (naive means UTC), ``T`` or space, fractional
      seconds (kept to the microsecond), ``Z`` or ``+02:00``/``+0200``, or a date alone;
    * Twitter's ``Wed Oct 10 20:19:24 +0000 2018``; RFC 2822 ``Wed, 10 Oct 2018 20:19:24
      +0000`` (also without the weekday, or with ``GMT`` for the zone).

    Blank text and the markers of :data:`NULL_MARKERS` are missing. Any time whose absolute
    value is 1e14 ms (the year 5138) or more, however given, is bad (an Arrow timestamp that
    far would otherwise wrap around when converted to microseconds).

    Raises
    ------
    ColumnTypeError
        For lists, structs and other types that cannot hold a time.
    """
    array = _plain(column)
    kind = array.type
    n = len(array)
    if pa.types.is_null(kind):
        return Timestamps(pa.nulls(n, TIMESTAMP_TYPE), np.ones(n, bool), np.zeros(n, bool))
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        micros, ok = _micros(array)
        missing = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        micros, ok = _numeric_epoch(array)
        missing = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind) or _is_string_view(kind):
        strings = pc.utf8_trim_whitespace(array.cast(pa.string()))
        missing = _mask(pc.or_kleene(pc.is_null(strings), _is_marker(strings)))
        micros = np.zeros(n, dtype=np.int64)
        ok = np.zeros(n, dtype=bool)
        is_int = _mask(pc.match_substring_regex(strings, _INT_PATTERN))
        if is_int.any():
            ints = pc.if_else(pa.array(is_int), strings, pa.scalar(None, pa.string()))
            got, good = _numeric_epoch(ints.cast(pa.int64()))
            micros[is_int], ok[is_int] = got[is_int], good[is_int]
        is_num = _mask(pc.match_substring_regex(strings, _NUMBER_PATTERN)) & ~is_int
        if is_num.any():
            numbers = pc.if_else(pa.array(is_num), strings, pa.scalar(None, pa.string()))
            got, good = _numeric_epoch(numbers.cast(pa.float64()))
            micros[is_num], ok[is_num] = got[is_num], good[is_num]
        rest = np.flatnonzero(~missing & ~is_int & ~is_num)
        if len(rest):
            micros[rest], ok[rest] = _text_timestamps(_rows(strings, rest), con())
    else:
        raise ColumnTypeError(f"column {name!r} has type {kind}, which cannot hold a time")
    # one range for every form: what an epoch number may say (below 1e14 ms, the year 5138)
    ok &= np.abs(micros) < EPOCH_MAX * 1000
    values = pa.array(micros, type=pa.int64(), mask=~ok).cast(TIMESTAMP_TYPE)
    return Timestamps(values, missing & ~ok, ~ok & ~missing)


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------


def _drop_empty_items(lists: pa.Array) -> pa.Array:
    """Remove null and empty-string items from every list (null lists stay null)."""
    items = pc.list_flatten(lists)
    if items.null_count == 0 and not pc.any(pc.equal(items, "")).as_py():
        return lists
    keep = _mask(pc.and_kleene(pc.is_valid(items), pc.not_equal(items, "")))
    parents = pc.list_parent_indices(lists).to_numpy()
    counts = np.bincount(parents[keep], minlength=len(lists)).astype(np.int32)
    offsets = np.zeros(len(lists) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(
        pa.array(offsets), items.filter(pa.array(keep)), mask=lists.is_null()
    )


def _json_lists(strings: pa.Array, con: duckdb.DuckDBPyConnection) -> tuple[pa.Array, np.ndarray]:
    """Strings starting with '[' parsed as JSON arrays; also the mask of those that are not."""
    result = _query_strings(
        con,
        strings,
        "SELECT i, CASE WHEN ok THEN from_json(s, '[\"VARCHAR\"]') END AS l, NOT ok AS bad "
        "FROM (SELECT i, s, CASE WHEN json_valid(s) THEN json_type(s) = 'ARRAY' "
        "ELSE false END AS ok FROM {table})",
    )
    lists = _plain(result.column("l")).cast(pa.list_(pa.string()))
    return lists, _mask(_plain(result.column("bad")))


def parse_lists(
    column: pa.Array | pa.ChunkedArray, name: str, con: Connect
) -> tuple[pa.Array, np.ndarray]:
    """A list column as ``list<string>``, and the mask of rows whose value is a broken list.

    A real Arrow list is used as is (items written as text). Text is read as a JSON array
    when it starts with ``[`` (``["a", "b"]``; a broken one is a bad list), otherwise as
    whitespace-separated items (``"a b"``). A blank cell is a null list. Null and empty items
    are dropped.

    Raises
    ------
    ColumnTypeError
        For structs, maps and lists of lists.
    """
    array = _plain(column)
    kind = array.type
    n = len(array)
    bad = np.zeros(n, dtype=bool)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        item = kind.value_type
        if pa.types.is_nested(item):
            raise ColumnTypeError(f"column {name!r} has type {kind}, expected a list of text")
        lists = array.cast(pa.list_(pa.string()))
        return _drop_empty_items(lists), bad
    strings = clean_ids(as_text(array, name))
    is_json = _mask(pc.starts_with(strings, "["))
    plain = pc.if_else(pa.array(is_json), pa.scalar(None, pa.string()), strings)
    lists = pc.utf8_split_whitespace(plain)
    if is_json.any():
        where = np.flatnonzero(is_json)
        parsed, broken = _json_lists(_rows(strings, where), con())
        bad[where] = broken
        index = np.arange(n, dtype=np.int64)
        index[where] = n + np.arange(len(where))
        lists = pa.concat_arrays([lists, parsed]).take(pa.array(index))
    return _drop_empty_items(lists), bad
