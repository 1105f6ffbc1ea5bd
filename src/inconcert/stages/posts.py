"""The input's posts as one engine relation, made once before the co-actions.

The stages after it read the posts from the engine, not from an Arrow table held in Python for
the whole run: the null model's source term (who posted a referenced post, and when), the
evidence (each co-acting post's text and link, what a referenced post is) and the accounts
table (each account's name). Once the engine holds them, the run lets go of the Arrow posts, so
the engine's memory limit covers them and its tables can spill to disk past it.

================  ============================================================================
column            what
================  ============================================================================
``post_row``      the post's row in the posts table (one row per post id: its first)
``post_id``       as read
``account_id``    as read
``t``             the post's time, µs since the epoch
``text``          when the posts have a ``text`` column
``permalink``     when the posts have links back to their sources
``account_name``  when some post names its account
================  ============================================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import plan
from .._arrow import first_rows
from ..engine import Engine
from ..schema import ACCOUNT_NAME, TIMESTAMP_TYPE

__all__ = [
    "OPTIONAL_COLUMNS",
    "Posts",
    "account_names",
    "attach_posts_file",
    "load_posts",
    "posts_relation",
    "posts_with_ids",
]

#: The columns a posts relation has when the posts have them (``account_name`` only when at
#: least one post names its account).
OPTIONAL_COLUMNS = ("text", "permalink", ACCOUNT_NAME)


@dataclass(frozen=True)
class Posts:
    """A posts relation in an engine: its ``name``, its optional ``columns`` (of
    :data:`OPTIONAL_COLUMNS`) and its number of ``rows``."""

    name: str
    columns: tuple[str, ...]
    rows: int


def load_posts(
    eng: Engine, posts: pa.Table, name: str = "ic_posts", *, unique: bool = False
) -> Posts:
    """Load ``posts`` (``post_id``, ``account_id``, ``timestamp`` and any of
    :data:`OPTIONAL_COLUMNS`) into ``eng`` as ``name``: one row per post id, its first
    (``unique``: the caller knows the ids are distinct, as the readers make them)."""
    table = posts_relation(posts, unique=unique)
    eng.load(name, table)
    return Posts(name, _optional(table.schema.names), posts.num_rows)


def attach_posts_file(eng: Engine, path: str | os.PathLike[str], name: str = "ic_posts") -> Posts:
    """A posts relation written as Parquet (:func:`posts_relation`, a prepared store's
    ``posts.parquet``) as ``name`` in ``eng``: read from the file by each query that needs it
    where the engine can (DuckDB: the stages that read posts read a few of them, so the run
    never loads the rest), else loaded through Arrow
    (:meth:`inconcert.engine.Engine.attach_parquet`)."""
    eng.attach_parquet(name, path)
    meta = pq.read_metadata(path)
    return Posts(name, _optional(meta.schema.to_arrow_schema().names), meta.num_rows)


def _optional(names: list[str]) -> tuple[str, ...]:
    return tuple(c for c in OPTIONAL_COLUMNS if c in names)


def posts_relation(posts: pa.Table, *, unique: bool = False) -> pa.Table:
    """The posts relation of ``posts`` as :func:`load_posts` loads it (see the module's
    table): one row per post id, its first (``unique``: the ids are known to be distinct)."""
    rows = np.arange(posts.num_rows, dtype=np.int64)
    if not unique:  # each id's first row; rows without an id match nothing and stay
        ids = posts.column("post_id")
        keep = (first_rows([ids], posts.num_rows) == rows) | ids.is_null().to_numpy(
            zero_copy_only=False
        )
        if not keep.all():
            rows = rows[keep]
            posts = posts.take(pa.array(rows))
    t = pc.cast(pc.cast(posts.column("timestamp"), TIMESTAMP_TYPE), pa.int64())
    table = {
        "post_row": pa.array(rows),
        "post_id": posts.column("post_id"),
        "account_id": posts.column("account_id"),
        "t": t,
    }
    for column in OPTIONAL_COLUMNS:
        if column not in posts.column_names:
            continue
        values = posts.column(column)
        if column == ACCOUNT_NAME and values.null_count == len(values):
            continue  # no post names its account: as without the column
        table[column] = values
    return pa.table(table)


def account_names(eng: Engine, posts: Posts | None, accounts: pa.Array) -> pa.Table | None:
    """Per account of ``accounts`` that has one, its name (``account_id``, ``account_name``,
    by account): the name on its latest post that has one (ties: the smallest name). None when
    no post names its account."""
    if posts is None or ACCOUNT_NAME not in posts.columns:
        return None
    eng.load("ic_named", pa.table({"account_id": pc.unique(accounts)}))
    names = eng.fetch(plan.account_names_sql(posts.name, "ic_named"))
    eng.drop("ic_named")
    return names


def posts_with_ids(eng: Engine, posts: Posts, ids: pa.Array) -> pa.Table:
    """The posts whose id is one of ``ids`` (``post_id``, ``account_id`` and the optional
    columns ``text``, ``permalink``), in the posts' order."""
    columns: list[str] = [c for c in ("text", "permalink") if c in posts.columns]
    if len(ids) == 0:
        return pa.table({c: pa.array([], pa.string()) for c in ("post_id", "account_id", *columns)})
    eng.load("ic_wanted", pa.table({"post_id": pc.unique(ids)}))
    known = eng.fetch(plan.posts_of_sql(posts.name, "ic_wanted", columns))
    eng.drop("ic_wanted")
    return known
