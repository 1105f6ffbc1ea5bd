"""Large columns of the page data as JSON text, built with Arrow instead of value by value.

The report embeds tens of thousands of co-actions; turning each value into a Python object and
then into JSON costs far more than the rest of the report. :func:`json_array` writes a whole
column as one JSON array with Arrow's string kernels, already escaped for the page (``<``,
``>``, ``&``, U+2028 and U+2029 as ``\\uXXXX``, see :func:`inconcert.report._html.script_json`);
:class:`Raw` marks such text so that ``script_json`` splices it in as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from .._arrow import one_array

__all__ = ["PAGE_ESCAPES", "Raw", "json_array", "json_text"]

#: Characters written as ``\\uXXXX`` in the page's JSON (they could end the script element or
#: break JavaScript string literals).
PAGE_ESCAPES = {
    "&": "\\u0026",
    "<": "\\u003c",
    ">": "\\u003e",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_ESCAPES = (
    ("\\", "\\\\"),
    ('"', '\\"'),
    ("\n", "\\n"),
    ("\r", "\\r"),
    ("\t", "\\t"),
    *PAGE_ESCAPES.items(),
)
_CONTROL_RE2 = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]"
# every character JSON or the page escapes
_SPECIAL_RE2 = '[\\x00-\\x1f\\\\"<>&\\x{2028}\\x{2029}]'
MICROS = 1_000_000


@dataclass(frozen=True)
class Raw:
    """JSON text ready for the page (escaped as :data:`PAGE_ESCAPES` says)."""

    text: str


def _one(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    arr = one_array(column)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr


def _join(items: pa.Array) -> str:
    """``[a,b,...]`` from an array of JSON texts without nulls (one pass: the items as one list
    joined by Arrow)."""
    if len(items) == 0:
        return "[]"
    items = one_array(items)
    one = pa.ListArray.from_arrays(pa.array([0, len(items)], pa.int32()), items)
    return "[" + pc.binary_join(one, ",")[0].as_py() + "]"


def json_text(values: pa.Array | pa.ChunkedArray, limit: int | None = None) -> pa.Array:
    """Each string as a JSON string literal for the page (nulls stay null), cut to ``limit``
    characters with an ellipsis."""
    arr = _one(values)
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    if limit is not None and len(arr):
        long = pc.fill_null(pc.greater(pc.utf8_length(arr), limit), False)
        if pc.any(long).as_py():
            cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(arr, 0, limit - 1), "…", "")
            arr = pc.if_else(long, cut, arr)
    special = pc.fill_null(pc.match_substring_regex(arr, _SPECIAL_RE2), False)
    if len(arr) and pc.any(special).as_py():
        # only the values with a character to escape go through the replacements
        some = arr.filter(special)
        control = pc.match_substring_regex(some, _CONTROL_RE2)
        if pc.any(control).as_py():
            # rare: let Python's JSON escape every control character
            fixed = [json.dumps(v, ensure_ascii=False)[1:-1] for v in some.to_pylist()]
            some = pa.array(fixed, pa.string())
            escapes: tuple[tuple[str, str], ...] = tuple(PAGE_ESCAPES.items())
        else:
            escapes = _JSON_ESCAPES
        for raw, esc in escapes:
            some = pc.replace_substring(some, raw, esc)
        arr = pc.replace_with_mask(arr, special, some)
    return pc.binary_join_element_wise('"', arr, '"', "")


def _numbers(arr: pa.Array) -> pa.Array:
    """Numbers as JSON: integers as they are, floats in their shortest form (whole ones without
    a fraction), NaN and infinities as null."""
    typ = arr.type
    if pa.types.is_integer(typ):
        return arr.cast(pa.string())
    arr = arr.cast(pa.float64())
    text = arr.cast(pa.string())
    finite = pc.is_finite(arr)
    if pc.all(finite).as_py() is False:
        text = pc.if_else(finite, text, pa.scalar(None, pa.string()))
    return text


def _epochs(arr: pa.Array) -> pa.Array:
    """Timestamps (any unit; no zone means UTC) as epoch seconds: whole when whole."""
    if pa.types.is_date(arr.type):
        arr = pc.cast(arr, pa.timestamp("s"))
    tz = getattr(arr.type, "tz", None)
    us = pc.cast(pc.cast(arr, pa.timestamp("us", tz=tz)), pa.int64())
    seconds = pc.divide(us, MICROS)  # integer division
    whole = pc.equal(pc.multiply(seconds, MICROS), us)
    text = seconds.cast(pa.string())
    if pc.all(whole).as_py() is False:
        fraction = pc.divide(us.cast(pa.float64()), float(MICROS)).cast(pa.string())
        text = pc.if_else(whole, text, fraction)
    return text


def json_array(values: pa.Array | pa.ChunkedArray, kind: str, limit: int | None = None) -> Raw:
    """A column as one JSON array. ``kind`` is the page's column type: ``int``, ``float``,
    ``bool``, ``time`` (epoch seconds) or ``str`` (cut to ``limit``)."""
    arr = _one(values)
    if kind == "time":
        items = _epochs(arr)
    elif kind in ("int", "float"):
        items = _numbers(arr)
    elif kind == "bool":
        items = pc.if_else(arr, "true", "false")
    elif pa.types.is_null(arr.type):
        items = pa.nulls(len(arr), pa.string())
    else:
        items = json_text(arr, limit)
    return Raw(_join(pc.fill_null(items, "null")))
