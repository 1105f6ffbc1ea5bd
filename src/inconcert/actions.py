"""Posts become actions: one row per (post, kind, object).

=========== ============================================================================
kind        object
=========== ============================================================================
repost      ``repost_of``: the id of the reposted post (retweet, forward, share)
reply       ``reply_to``: the id of the post replied to
quote       ``quote_of``: the id of the quoted post
url         each link, canonical (:func:`inconcert.normalize.canonical_url`)
domain      each link's registrable domain (www.bbc.co.uk → bbc.co.uk), offline
hashtag     each hashtag, case-folded and NFKC (``urls``/``hashtags``/``mentions`` are taken
            from ``text`` for posts where the column is null)
mention     each mentioned account, case-folded and NFKC
text        the normalised text's digest (:func:`inconcert.normalize.text_key`); texts shorter
            than ``min_text_chars`` after normalisation are skipped
neartext    the text's near-duplicate cluster (:func:`inconcert.neartext.cluster_texts`): texts
            whose character shingles have an estimated Jaccard similarity >= ``similarity``
image       each image hash, as given (whitespace stripped)
=========== ============================================================================

A repost is one action. A post with ``repost_of`` (a retweet, boost, share or forward) makes
only its ``repost`` action: the text, links, hashtags, mentions and images it copies belong to
the original post, so they make no url, domain, hashtag, mention, text, neartext, paraphrase
or image action of the reposter (else one co-retweet would count up to three times). A quote
(``quote_of``) keeps its own text, links and tags: readers give it only the quoting account's
own content.

Every step is vectorised with Arrow; the per-value normalisation runs once per *distinct*
value (:func:`inconcert.normalize.map_unique`), which is what makes it fast on real data where
the same links and hashtags repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ParameterError
from .normalize import (
    MIN_TEXT_CHARS,
    canonical_url,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    map_unique,
    normalize_tag,
    registrable_domain,
    text_key,
)
from .schema import ACTION_SCHEMA, ALL_KINDS

if TYPE_CHECKING:
    from .neartext import TextClusters
    from .paraphrase import ParaphraseClusters

__all__ = ["ActionStats", "check_kinds", "posts_to_actions"]

_REFERENCE_KINDS = {"repost": "repost_of", "reply": "reply_to", "quote": "quote_of"}


@dataclass
class ActionStats:
    """What the actions stage made of the posts."""

    posts: int = 0
    posts_with_actions: int = 0
    actions_by_kind: dict[str, int] = field(default_factory=dict)
    texts_too_short: int = 0
    #: Reposts: posts with ``repost_of``, whose copied content makes no action of theirs.
    reposts: int = 0
    values_not_usable: dict[str, int] = field(default_factory=dict)
    #: The clusters of the posts' texts for ``neartext`` and ``paraphrase``, by post row.
    clusters: dict[str, TextClusters | ParaphraseClusters] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, object]:
        extra: dict[str, object] = {}
        near = self.clusters.get("neartext")
        if near is not None:
            extra["neartext"] = {
                "texts_skipped": near.skipped,  # type: ignore[union-attr]
                "candidate_pairs": near.candidate_pairs,  # type: ignore[union-attr]
                "similar_pairs": near.verified_pairs,  # type: ignore[union-attr]
                "clusters_with_several_posts": near.clusters.num_rows,
            }
        para = self.clusters.get("paraphrase")
        if para is not None:
            extra["paraphrase"] = {
                "texts_embedded": para.embedded,  # type: ignore[union-attr]
                "similar_pairs": para.similar_pairs,  # type: ignore[union-attr]
                "clusters_with_several_posts": para.clusters.num_rows,
            }
        return {
            "posts": self.posts,
            "posts_with_actions": self.posts_with_actions,
            "posts_without_actions": self.posts - self.posts_with_actions,
            "actions_by_kind": dict(sorted(self.actions_by_kind.items())),
            "texts_too_short": self.texts_too_short,
            "reposts": self.reposts,
            "values_not_usable": dict(sorted(self.values_not_usable.items())),
            **extra,
        }


def check_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    """Validate and de-duplicate kind names, keeping the canonical order of ``ALL_KINDS``."""
    unknown = [k for k in kinds if k not in ALL_KINDS]
    if unknown or not kinds:
        raise ParameterError("kinds", f"a non-empty list of {', '.join(ALL_KINDS)}", list(kinds))
    return tuple(k for k in ALL_KINDS if k in set(kinds))


def _lists_from_text(
    lists: pa.ChunkedArray, text: pa.ChunkedArray, extract: Callable[[str], list[str]]
) -> pa.Array:
    """The list column, with null entries filled from the text (once per distinct text)."""
    lists = lists.combine_chunks() if isinstance(lists, pa.ChunkedArray) else lists
    text_arr = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    need = pc.and_(pc.is_null(lists), pc.is_valid(text_arr))
    if not pc.any(need).as_py():
        return lists
    idx = np.flatnonzero(need.to_numpy(zero_copy_only=False))
    sub = text_arr.take(pa.array(idx)).dictionary_encode()
    found = [extract(t) for t in sub.dictionary.to_pylist()]
    filled = pa.array(found, pa.list_(pa.string())).take(sub.indices)
    py = lists.to_pylist()
    for i, value in zip(idx.tolist(), filled.to_pylist(), strict=True):
        py[i] = value
    return pa.array(py, pa.list_(pa.string()))


def _explode(posts: pa.Table, values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(parent row index, value) for every element of a list column."""
    parents = pc.list_parent_indices(values)
    flat = pc.list_flatten(values)
    return parents, flat


def _rows(posts: pa.Table, parents: pa.Array, kind: str, objects: pa.Array) -> pa.Table:
    keep = pc.is_valid(objects)
    parents = parents.filter(keep)
    objects = objects.filter(keep)
    return pa.table(
        {
            "account_id": posts.column("account_id").take(parents),
            "kind": pa.array([kind] * len(objects), pa.string()),
            "object_id": objects.cast(pa.string()),
            "timestamp": posts.column("timestamp").take(parents),
            "post_id": posts.column("post_id").take(parents),
        },
        schema=ACTION_SCHEMA,
    )


def posts_to_actions(
    posts: pa.Table,
    kinds: Sequence[str],
    *,
    min_text_chars: int = MIN_TEXT_CHARS,
    strip_hashtags: bool = False,
    similarity: float = 0.7,
    paraphrase_similarity: float = 0.85,
    seed: int = 0,
) -> tuple[pa.Table, ActionStats]:
    """Turn a table of posts (:data:`inconcert.schema.POST_SCHEMA`) into actions.

    Parameters
    ----------
    posts:
        Posts in the canonical schema; not modified.
    kinds:
        Which kinds of action to make (see the module docstring).
    min_text_chars:
        Texts shorter than this, in characters after normalisation, make no ``text`` action.
    strip_hashtags:
        Remove hashtags from texts before comparing them (``text`` and ``neartext`` kinds).
    similarity, paraphrase_similarity, seed:
        Thresholds of the ``neartext`` and ``paraphrase`` kinds, and the hash seed.

    Returns
    -------
    (actions, stats)
        ``actions`` follows :data:`inconcert.schema.ACTION_SCHEMA`, one row per
        (post, kind, object), sorted by time, post, kind and object.
    """
    kinds = check_kinds(kinds)
    if min_text_chars < 1:
        raise ParameterError("min_text_chars", "a whole number >= 1", min_text_chars)
    stats = ActionStats(posts=posts.num_rows)
    parts: list[pa.Table] = []
    reference_columns = posts
    posts, stats.reposts = _without_copied_content(posts)
    text = posts.column("text")

    for kind in kinds:
        if kind in _REFERENCE_KINDS:
            col = reference_columns.column(_REFERENCE_KINDS[kind]).combine_chunks()
            col = pc.if_else(pc.equal(pc.utf8_trim_whitespace(col), ""), None, col)
            parents = pa.array(np.arange(posts.num_rows, dtype=np.int64))
            parts.append(_rows(posts, parents, kind, col))

    if "url" in kinds or "domain" in kinds:
        urls = _lists_from_text(posts.column("urls"), text, extract_urls)
        parents, flat = _explode(posts, urls)
        canonical = map_unique(flat, canonical_url)
        unusable = pc.sum(pc.and_(pc.is_valid(flat), pc.is_null(canonical))).as_py() or 0
        if unusable:
            stats.values_not_usable["url"] = int(unusable)
        if "url" in kinds:
            parts.append(_rows(posts, parents, "url", canonical))
        if "domain" in kinds:
            parts.append(_rows(posts, parents, "domain", map_unique(canonical, registrable_domain)))

    for kind, column, extract in (
        ("hashtag", "hashtags", extract_hashtags),
        ("mention", "mentions", extract_mentions),
    ):
        if kind in kinds:
            values = _lists_from_text(posts.column(column), text, extract)
            parents, flat = _explode(posts, values)
            parts.append(_rows(posts, parents, kind, map_unique(flat, normalize_tag)))

    if "text" in kinds:
        keys = map_unique(
            text, lambda t: text_key(t, min_chars=min_text_chars, strip_hashtags=strip_hashtags)
        )
        short = pc.sum(pc.and_(pc.is_valid(text), pc.is_null(keys))).as_py() or 0
        stats.texts_too_short = int(short)
        parents = pa.array(np.arange(posts.num_rows, dtype=np.int64))
        parts.append(_rows(posts, parents, "text", keys))

    if "neartext" in kinds or "paraphrase" in kinds:
        from .neartext import NearTextOptions, cluster_texts

        near_opts = NearTextOptions(
            threshold=similarity,
            min_chars=min_text_chars,
            strip_hashtags=strip_hashtags,
            seed=seed,
        )
        if "paraphrase" in kinds:  # fail early, before any long work, when the extra is absent
            from .paraphrase import require_embed

            require_embed()
        near = cluster_texts(text, near_opts)
        parents = pa.array(np.arange(posts.num_rows, dtype=np.int64))
        if "neartext" in kinds:
            stats.clusters["neartext"] = near
            parts.append(_rows(posts, parents, "neartext", near.labels))
        if "paraphrase" in kinds:
            from .paraphrase import ParaphraseOptions, cluster_paraphrases

            para = cluster_paraphrases(
                text, ParaphraseOptions(threshold=paraphrase_similarity, near=near_opts), near=near
            )
            stats.clusters["paraphrase"] = para
            parts.append(_rows(posts, parents, "paraphrase", para.labels))

    if "image" in kinds:
        parents, flat = _explode(posts, posts.column("image_hashes").combine_chunks())
        flat = pc.utf8_trim_whitespace(flat)
        flat = pc.if_else(pc.equal(flat, ""), None, flat)
        parts.append(_rows(posts, parents, "image", flat))

    actions = pa.concat_tables(parts) if parts else ACTION_SCHEMA.empty_table()
    actions = dedupe_actions(actions)
    for kind in kinds:
        stats.actions_by_kind[kind] = 0
    if actions.num_rows:
        counts = actions.group_by("kind").aggregate([("post_id", "count")])
        for k, n in zip(
            counts.column("kind").to_pylist(),
            counts.column("post_id_count").to_pylist(),
            strict=True,
        ):
            stats.actions_by_kind[k] = int(n)
        stats.posts_with_actions = len(pc.unique(actions.column("post_id")))
    return actions, stats


def _without_copied_content(posts: pa.Table) -> tuple[pa.Table, int]:
    """The posts with the text and lists of every repost emptied (they are the original's),
    and the number of reposts."""
    reference = posts.column("repost_of").combine_chunks()
    is_repost = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(reference), ""), False)
    count = int(pc.sum(is_repost).as_py() or 0)
    if count == 0:
        return posts, 0
    columns = {}
    for name in ("text", "urls", "hashtags", "mentions", "image_hashes"):
        column = posts.column(name).combine_chunks()
        empty = pa.scalar(None if name == "text" else [], column.type)
        columns[name] = pc.if_else(is_repost, empty, column)
    for name, column in columns.items():
        posts = posts.set_column(posts.schema.get_field_index(name), name, column)
    return posts, count


def dedupe_actions(actions: pa.Table) -> pa.Table:
    """One row per (post, kind, object), sorted by time, post, kind and object (deterministic).

    The same hashtag twice in one post is one action. Rows that differ only in account or time
    for the same post are impossible after the readers' duplicate-post check.
    """
    if actions.num_rows == 0:
        return actions.cast(ACTION_SCHEMA)
    ordered = actions.sort_by(
        [
            ("timestamp", "ascending"),
            ("post_id", "ascending"),
            ("kind", "ascending"),
            ("object_id", "ascending"),
            ("account_id", "ascending"),
        ]
    )
    keys = [ordered.column(c) for c in ("post_id", "kind", "object_id")]
    same = pa.array(np.zeros(ordered.num_rows, dtype=bool))
    if ordered.num_rows > 1:
        eq = None
        for col in keys:
            a = col.slice(1)
            b = col.slice(0, ordered.num_rows - 1)
            e = pc.fill_null(pc.equal(a, b), False)
            eq = e if eq is None else pc.and_(eq, e)
        assert eq is not None
        same = pa.concat_arrays([pa.array([False]), eq.combine_chunks()])
    return ordered.filter(pc.invert(same)).cast(ACTION_SCHEMA)
