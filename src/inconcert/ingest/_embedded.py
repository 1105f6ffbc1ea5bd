"""Beside the posts: the accounts' names and the referenced posts an export embeds.

Both are gathered file by file while reading (a name column of each file; a platform export's
embedded originals, :data:`~inconcert.schema.EMBEDDED_SCHEMA`) and settled once the posts are
known, with rules that depend only on the input, so the same input gives the same tables:

* a post's ``account_name`` is the name its row gives (the first row of its ``post_id``, as for
  the post itself); a post whose row gives none takes the name the embedded posts give its
  account most often (ties: the smallest); a name equal to the account id is no name;
* a referenced post is one row per ``post_id`` that is not a post of the input, each field the
  first value given for it in reading order (file order, then row order), sorted by
  ``post_id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inconcert.ingest._values import id_text
from inconcert.schema import ACCOUNT_NAME, EMBEDDED_SCHEMA

from .._arrow import coded_values, one_array, smallest_rows

__all__ = ["NAMES_SCHEMA", "account_names", "file_names", "referenced_posts"]

#: A post's account name (:attr:`inconcert.ingest.Ingested.account_names`).
NAMES_SCHEMA = pa.schema([pa.field("post_id", pa.string()), pa.field(ACCOUNT_NAME, pa.string())])


def _one(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    arr = one_array(column)
    return arr.cast(pa.string()) if not pa.types.is_string(arr.type) else arr


def _pick(values: pa.Array, at: np.ndarray) -> pa.Array:
    """``values[at]``, null where ``at`` is -1."""
    picked = values.take(pa.array(np.maximum(at, 0), pa.int64()))
    return pc.if_else(pa.array(at >= 0), picked, pa.scalar(None, values.type))


def file_names(
    table: pa.Table, sources: Mapping[str, str], mapping: Mapping[str, str]
) -> pa.Table | None:
    """(post_id, account_name) of one file's rows: the ``account_name`` column, or the column
    the mapping names; None when the file names no account."""
    column = mapping.get(ACCOUNT_NAME) or (
        ACCOUNT_NAME if ACCOUNT_NAME in table.column_names else None
    )
    if column is None or "post_id" not in sources:
        return None
    names = id_text(table.column(column), column)
    if names.null_count == len(names):
        return None
    ids = id_text(table.column(sources["post_id"]), sources["post_id"])
    return pa.Table.from_arrays([_one(ids), _one(names)], schema=NAMES_SCHEMA)


def _embedded_names(embedded: Sequence[pa.Table]) -> pa.Table | None:
    """Per account the embedded posts name, its most frequent name (ties: the smallest)."""
    if not embedded:
        return None
    rows = pa.concat_tables(embedded).select(["account_id", ACCOUNT_NAME])
    rows = rows.filter(
        pc.and_(pc.is_valid(rows.column("account_id")), pc.is_valid(rows.column(ACCOUNT_NAME)))
    )
    if rows.num_rows == 0:
        return None
    counts = rows.group_by(["account_id", ACCOUNT_NAME], use_threads=False).aggregate(
        [([], "count_all")]
    )
    counts = counts.sort_by(
        [("account_id", "ascending"), ("count_all", "descending"), (ACCOUNT_NAME, "ascending")]
    )
    codes, accounts = coded_values(_one(counts.column("account_id")))
    first = smallest_rows(codes, len(accounts))
    return pa.table(
        {"account_id": accounts, ACCOUNT_NAME: _pick(_one(counts.column(ACCOUNT_NAME)), first)}
    )


def account_names(
    parts: Sequence[pa.Table], embedded: Sequence[pa.Table], posts: pa.Table
) -> pa.Table | None:
    """(post_id, account_name) of every post of ``posts`` whose account has a name (see the
    module's rules), in the posts' order; None when no post has one."""
    n = posts.num_rows
    post_ids = _one(posts.column("post_id"))
    accounts = _one(posts.column("account_id"))
    names = pa.nulls(n, pa.string())
    if parts:
        rows = pa.concat_tables(parts)
        rows = rows.filter(
            pc.and_(pc.is_valid(rows.column("post_id")), pc.is_valid(rows.column(ACCOUNT_NAME)))
        )
        if rows.num_rows:
            codes, ids = coded_values(_one(rows.column("post_id")))
            first = smallest_rows(codes, len(ids))
            own = _pick(_one(rows.column(ACCOUNT_NAME)), first)
            names = own.take(pc.index_in(post_ids, value_set=ids))
    named = _embedded_names(embedded)
    if named is not None and names.null_count:
        by_account = _one(named.column(ACCOUNT_NAME)).take(
            pc.index_in(accounts, value_set=_one(named.column("account_id")))
        )
        names = pc.coalesce(names, by_account)
    names = pc.if_else(pc.equal(names, accounts), pa.scalar(None, pa.string()), names)
    keep = pc.is_valid(names)
    if not pc.any(keep).as_py():
        return None
    return pa.Table.from_arrays(
        [post_ids.filter(keep), _one(names).filter(keep)], schema=NAMES_SCHEMA
    )


def referenced_posts(embedded: Sequence[pa.Table], posts: pa.Table) -> pa.Table | None:
    """The referenced posts that are not posts of ``posts`` (:data:`EMBEDDED_SCHEMA`), one row
    per ``post_id`` (see the module's rules); None when there are none."""
    if not embedded:
        return None
    rows = pa.concat_tables(embedded)
    ids = _one(rows.column("post_id"))
    inside = pc.fill_null(pc.is_in(ids, value_set=_one(posts.column("post_id"))), False)
    rows = rows.filter(pc.and_(pc.is_valid(ids), pc.invert(inside)))
    if rows.num_rows == 0:
        return None
    codes, distinct = coded_values(_one(rows.column("post_id")))
    columns: list[pa.Array] = [distinct]
    for name in EMBEDDED_SCHEMA.names[1:]:
        values = _one(rows.column(name))
        if name == ACCOUNT_NAME:  # a name equal to the account id is no name
            same = pc.fill_null(pc.equal(values, _one(rows.column("account_id"))), False)
            values = pc.if_else(same, pa.scalar(None, pa.string()), values)
        valid = np.flatnonzero(values.is_valid().to_numpy(zero_copy_only=False))
        columns.append(_pick(values, smallest_rows(codes, len(distinct), valid)))
    table = pa.Table.from_arrays(columns, schema=EMBEDDED_SCHEMA)
    return table.take(pc.sort_indices(table.column("post_id")))
