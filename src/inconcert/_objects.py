"""What a co-acted object *is*, in words a reader can check against the source.

An object id is often unreadable: the ``text`` kind's object is a digest of the normalised
text, ``neartext`` and ``paraphrase`` objects are cluster numbers, and a repost, quote or reply
names a post id. :func:`describe_objects` gives every co-action of the evidence

``object_text``
    for the text kinds, the text the object stands for: the variant posted most often among
    the co-acting posts (ties: the smallest text); for a repost, quote or reply, the referenced
    post's text when the input holds that post, else, for a repost, the text the repost carried
    (a leading ``RT @name:`` removed);
``object_author``
    for a repost, quote or reply, the account that wrote the referenced post when the input
    holds it or embeds it (a platform export's original), else, for a retweet that says so in
    its text (``RT @name: ...``), ``@name``;
``object_author_name``
    for a repost, quote or reply, the name (handle) of that account when the input gives one;
``object_link``
    for a repost, quote or reply, the referenced post's permalink when the input gave one.

:func:`object_label` and :func:`top_objects` turn them into the short labels of ``groups.csv``
(``top_objects``) that the report and pseudonymisation share. Everything is Arrow, in a fixed
order, so the same input gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._arrow import encode_texts, one_array, sort_ranks
from .kinds import KINDS

__all__ = [
    "OBJECT_COLUMNS",
    "SOURCE_KINDS",
    "TEXT_KINDS",
    "describe_objects",
    "object_label",
    "short",
    "top_objects",
]

#: Kinds whose object stands for a text.
TEXT_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.text)
#: Kinds whose object is a post with an author (repost, reply, quote).
SOURCE_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.source)
#: The evidence columns :func:`describe_objects` adds, in their order.
OBJECT_COLUMNS = ("object_text", "object_author", "object_author_name", "object_link")

_RETWEET = r"^RT @(?P<name>[A-Za-z0-9_]{1,50}):\s*"
_VERB = {"repost": "reposted", "quote": "quoted", "reply": "replied to"}


def _one(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    arr = one_array(column)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_large_string(arr.type) or pa.types.is_null(arr.type):
        arr = arr.cast(pa.string())
    return arr


def _key(kind: pa.Array, obj: pa.Array) -> pa.Array:
    """``kind NUL object_id``: one string per (kind, object), unambiguous (no kind has NUL)."""
    return pc.binary_join_element_wise(kind, obj, "\x00")


def _in(values: pa.Array, names: Sequence[str]) -> pa.Array:
    return pc.fill_null(pc.is_in(values, value_set=pa.array(list(names), pa.string())), False)


def _representatives(
    kind: pa.Array,
    obj: pa.Array,
    sides: Sequence[tuple[pa.Array, pa.Array | pa.ChunkedArray]],
    mask: pa.Array,
) -> tuple[pa.Array, pa.Array]:
    """Per (kind, object) of the rows in ``mask``: the text its distinct posts (``sides``:
    post and text columns) carry most often, ties to the smallest. Returns (keys, texts).

    The texts are grouped and ordered by their rank among the distinct texts (equal texts,
    equal ranks; byte order), not as strings: an article's 8 KB are hashed once, not in every
    grouping and sort."""
    kinds, objs, post_ids, sides_codes = [], [], [], []
    dictionaries: list[pa.Array] = []
    for post, text in sides:
        keep = one_array(pc.and_(mask, pc.is_valid(text)))
        kinds.append(kind.filter(keep))
        objs.append(obj.filter(keep))
        post_ids.append(post.filter(keep))
        start = 0
        for chunk in text.chunks if isinstance(text, pa.ChunkedArray) else [text]:
            # each chunk's texts, once each (the evidence's texts are encoded already)
            encoded = chunk if pa.types.is_dictionary(chunk.type) else pc.dictionary_encode(chunk)
            part = keep.slice(start, len(chunk))
            start += len(chunk)
            shift = _dictionary_at(dictionaries, encoded.dictionary)
            sides_codes.append(
                shift
                + np.asarray(encoded.indices.filter(part).to_numpy(zero_copy_only=False), np.int64)
            )
    # one code for equal texts of either side, and each code's rank in byte order (the
    # evidence's texts: one dictionary of distinct texts, whose codes are those already)
    if len(dictionaries) == 1 and all(pa.types.is_dictionary(t.type) for _, t in sides):
        distinct = dictionaries[0]
        codes = np.concatenate([np.zeros(0, np.int64), *sides_codes])
    else:
        joined = pc.dictionary_encode(
            one_array(
                pa.chunked_array(
                    [d.cast(pa.large_string()) for d in dictionaries], pa.large_string()
                )
            )
        )
        distinct = joined.dictionary
        remap = np.asarray(joined.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        codes = np.concatenate([np.zeros(0, np.int64)] + [remap[c] for c in sides_codes])
    if codes.size == 0:
        return pa.array([], pa.string()), pa.array([], pa.string())
    by_rank, rank = sort_ranks(distinct)
    posts = pa.table(
        {
            "kind": pa.concat_arrays(kinds),
            "object_id": pa.concat_arrays(objs),
            "post": pa.concat_arrays(post_ids),
            "text": pa.array(rank[codes], pa.int64()),
        }
    )
    posts = posts.group_by(["kind", "object_id", "post", "text"], use_threads=False).aggregate([])
    counts = posts.group_by(["kind", "object_id", "text"], use_threads=False).aggregate(
        [([], "count_all")]
    )
    counts = counts.sort_by(
        [
            ("kind", "ascending"),
            ("object_id", "ascending"),
            ("count_all", "descending"),
            ("text", "ascending"),
        ]
    )
    keys = _one(_key(counts.column("kind"), counts.column("object_id")))
    first = np.ones(len(keys), dtype=bool)
    if len(keys) > 1:
        first[1:] = pc.not_equal(keys.slice(1), keys.slice(0, len(keys) - 1)).to_numpy(
            zero_copy_only=False
        )
    take = pa.array(np.flatnonzero(first))
    chosen = np.asarray(_one(counts.column("text")).take(take).to_numpy(), dtype=np.int64)
    return keys.take(take), distinct.take(pa.array(by_rank[chosen], pa.int64()))


def _dictionary_at(dictionaries: list[pa.Array], dictionary: pa.Array) -> int:
    """Where ``dictionary`` starts among ``dictionaries`` joined, appended unless the very same
    array (its buffers: the two sides of the evidence share one) is there already."""
    start = 0
    for known in dictionaries:
        if (
            len(known) == len(dictionary)
            and known.offset == dictionary.offset
            and [b.address if b is not None else 0 for b in known.buffers()]
            == [b.address if b is not None else 0 for b in dictionary.buffers()]
        ):
            return start
        start += len(known)
    dictionaries.append(dictionary)
    return start


def describe_objects(
    evidence: pa.Table,
    known: pa.Table | None,
    *,
    columns: Sequence[str] = OBJECT_COLUMNS,
) -> dict[str, pa.Array]:
    """The :data:`OBJECT_COLUMNS` asked for (``columns``), one value per evidence row.

    Parameters
    ----------
    evidence:
        ``kind``, ``object_id``, ``post_a``, ``post_b`` and, when the posts have text,
        ``text_a``, ``text_b`` (strings, or :data:`~inconcert._arrow.TEXTS_TYPE` columns of
        distinct texts as :func:`~inconcert._arrow.encode_texts` makes them).
    known:
        Posts whose author, text and link can describe a referenced post: ``post_id``,
        ``account_id`` and optionally ``text``, ``permalink``, ``account_name`` (the input's
        posts, then the referenced posts it embeds; the first row of a post id counts); None
        when there are none. A missing author, text or link leaves what the evidence tells.
    """
    n = evidence.num_rows
    kind = _one(evidence.column("kind"))
    obj = _one(evidence.column("object_id"))
    empty = pa.nulls(n, pa.string())
    out_author, out_name, out_link = empty, empty, empty
    text_rows = _in(kind, TEXT_KINDS)
    repost_rows = pc.equal(kind, "repost")
    source_rows = _in(kind, SOURCE_KINDS)
    has_text = {"text_a", "text_b"} <= set(evidence.column_names)
    carried_author = empty
    # object_text: each row a position in these texts (null: none), encoded once at the end,
    # so that no text is copied for every row that quotes it
    pieces: list[pa.Array] = []
    where: pa.Array = pa.nulls(n, pa.int64())
    if has_text and n:
        sides = [
            (_one(evidence.column(f"post_{s}")), evidence.column(f"text_{s}")) for s in ("a", "b")
        ]
        mask = pc.fill_null(pc.or_(text_rows, repost_rows), False)
        keys, texts = _representatives(kind, obj, sides, mask)  # one text per key
        texts = one_array(texts)
        at_key = pc.cast(pc.index_in(_key(kind, obj), value_set=keys), pa.int64())
        where = pc.if_else(mask, at_key, pa.scalar(None, pa.int64()))
        pieces.append(texts)
        # a retweet's text names the original author: "RT @name: the text"
        retweet = pc.fill_null(pc.match_substring_regex(texts, _RETWEET).take(where), False)
        retweet = pc.and_(retweet, repost_rows)
        if pc.any(retweet).as_py():
            name = pc.struct_field(pc.extract_regex(texts, _RETWEET), [0]).take(where)
            name = name.cast(pa.string())  # a handle: short
            carried_author = pc.if_else(retweet, pc.binary_join_element_wise("@", name, ""), empty)
            stripped = pc.replace_substring_regex(texts, _RETWEET, "")
            where = pc.if_else(retweet, pc.add(where, len(texts)), where)
            pieces.append(stripped)
    out_author = carried_author
    if known is not None and known.num_rows and n and pc.any(source_rows).as_py():
        referenced = pc.unique(obj.filter(source_rows))
        ids = _one(known.column("post_id"))
        found = known.filter(pc.is_in(ids, value_set=referenced))
        at = pc.index_in(obj, value_set=_one(found.column("post_id")))
        at = pc.if_else(source_rows, at, pa.scalar(None, pa.int32()))
        author = _one(found.column("account_id")).take(at)
        out_author = pc.if_else(pc.is_valid(author), author, out_author)
        if "text" in found.column_names:
            text = _one(found.column("text"))  # each referenced post's text, once
            use = pc.fill_null(pc.is_valid(text).take(at), False)
            shift = sum(len(p) for p in pieces)
            where = pc.if_else(use, pc.add(pc.cast(at, pa.int64()), shift), where)
            pieces.append(text)
        if "permalink" in found.column_names:
            out_link = _one(found.column("permalink")).take(at)
        if "account_name" in found.column_names:
            out_name = _one(found.column("account_name")).take(at)
    described = pc.fill_null(pc.or_(text_rows, source_rows), False)
    where = pc.if_else(described, where, pa.scalar(None, pa.int64()))
    (out_text,) = encode_texts(
        pa.chunked_array([p.cast(pa.large_string()) for p in pieces], pa.large_string()), where
    )
    values = {
        "object_text": out_text,
        "object_author": out_author,
        "object_author_name": out_name,
        "object_link": out_link,
    }
    return {
        c: values[c] if c == "object_text" else _one(values[c])
        for c in OBJECT_COLUMNS
        if c in columns
    }


# -- labels ---------------------------------------------------------------------------------


def short(text: str, width: int) -> str:
    """``text`` on one line (runs of whitespace as one space), cut to ``width`` characters
    with an ellipsis."""
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1].rstrip() + "…"


def object_label(
    kind: str,
    object_id: str,
    text: str | None = None,
    author: str | None = None,
    name: str | None = None,
    *,
    width: int = 80,
) -> str:
    """A short label of an object for tables: a text kind's text in quotes (never only its
    digest), a referenced post as its id, author (its ``name`` when known, else its id) and
    text, anything else as its id.

    >>> object_label("text", "9f2c…", "Vote  now!")
    '"Vote now!"'
    >>> object_label("repost", "p17", "Vote now!", "1234", "alice")
    'p17 by alice: "Vote now!"'
    """
    author = name or author
    if kind in TEXT_KINDS and text:
        return f'"{short(text, width)}"'
    if kind in SOURCE_KINDS and (author or text):
        label = object_id + (f" by {author}" if author else "")
        return label + (f': "{short(text, width)}"' if text else "")
    return object_id


def verb(kind: str) -> str:
    """How the report says an account acted on a post of this kind ("reposted")."""
    return _VERB.get(kind, kind)


def top_objects(
    evidence: pa.Table,
    *,
    limit: int,
    kinds: Sequence[str] | None = None,
    label: Callable[[str, str, str | None, str | None, str | None], str] | None = None,
    with_kind: bool = True,
) -> dict[Any, str]:
    """Per group, its ``limit`` most co-acted objects as ``kind:label (co-actions)`` joined by
    `` | `` (ties: kind, then object id). ``label(kind, object_id, text, author, name)``
    names an object (default :func:`object_label`; ``name`` the author's name); ``kinds``
    keeps only those kinds; ``with_kind`` false leaves out the ``kind:``."""
    if evidence.num_rows == 0 or "group_id" not in evidence.column_names:
        return {}
    cols = ["group_id", "kind", "object_id"]
    described = ("object_text", "object_author", "object_author_name")
    extra = [c for c in described if c in evidence.column_names]
    ev = evidence.select(cols + extra)
    ev = ev.filter(pc.is_valid(ev.column("group_id")))  # edges between groups: no group
    if kinds is not None:
        ev = ev.filter(_in(_one(ev.column("kind")), kinds))
    if ev.num_rows == 0:
        return {}
    # texts (a dictionary) as their codes: one value per object, so the least code picks it
    dictionaries = {}
    for c in extra:
        if pa.types.is_dictionary(ev.schema.field(c).type):
            codes = one_array(ev.column(c))
            dictionaries[c] = codes.dictionary
            ev = ev.set_column(ev.column_names.index(c), c, codes.indices)
    aggs: list[tuple[Any, ...]] = [([], "count_all")]
    aggs += [(c, "min") for c in extra]  # one value per object: min picks it
    counts = ev.group_by(cols, use_threads=False).aggregate(aggs)
    counts = counts.sort_by(
        [
            ("group_id", "ascending"),
            ("count_all", "descending"),
            ("kind", "ascending"),
            ("object_id", "ascending"),
        ]
    )
    group = counts.column("group_id").to_numpy()
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    rank = np.arange(len(group)) - np.repeat(starts, np.diff(np.r_[starts, len(group)]))
    counts = counts.take(pa.array(np.flatnonzero(rank < limit)))
    for c, dictionary in dictionaries.items():
        i = counts.column_names.index(f"{c}_min")
        counts = counts.set_column(i, f"{c}_min", dictionary.take(counts.column(i)))
    name = label or (lambda k, o, t, a, m: object_label(k, o, t, a, m))
    rows = zip(
        counts.column("group_id").to_pylist(),
        counts.column("kind").to_pylist(),
        counts.column("object_id").to_pylist(),
        counts.column("count_all").to_pylist(),
        *(
            counts.column(f"{c}_min").to_pylist() if c in extra else [None] * counts.num_rows
            for c in described
        ),
        strict=True,
    )
    out: dict[Any, list[str]] = {}
    for gid, kind, oid, n, text, author, who in rows:
        prefix = f"{kind}:" if with_kind else ""
        out.setdefault(gid, []).append(f"{prefix}{name(kind, oid, text, author, who)} ({n})")
    return {g: " | ".join(v) for g, v in out.items()}
