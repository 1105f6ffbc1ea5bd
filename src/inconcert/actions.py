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

from ._arrow import fits_one_array, nulled, one_array, take_rows
from .errors import ParameterError
from .kinds import KINDS
from .normalize import (
    MIN_TEXT_CHARS,
    canonical_urls,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    map_unique,
    normalize_tag,
    registrable_domain,
    text_keys,
)
from .schema import ACTION_SCHEMA, ALL_KINDS

if TYPE_CHECKING:
    from .neartext import TextClusters
    from .paraphrase import ParaphraseClusters

__all__ = ["ActionStats", "check_kinds", "posts_to_actions"]

_REFERENCE_KINDS = {"repost": "repost_of", "reply": "reply_to", "quote": "quote_of"}
#: The kinds whose object is the post's own text: a repost's text (its original's) makes none.
_OWN_TEXT = frozenset(k.name for k in KINDS if k.text)


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


#: What a text must hold for each extractor to find anything in it, as an RE2 pattern that
#: matches a superset of those texts: the link, hashtag and mention patterns each start at one of
#: these markers (:func:`inconcert.normalize.extract_urls` and the token patterns).
_MARKERS: dict[Callable[[str], list[str]], str] = {
    extract_urls: r"(?i)(?:https?://|www\.)",
    extract_hashtags: "[#＃]",
    extract_mentions: "[@＠]",
}


def _exploded(
    lists: pa.ChunkedArray | pa.Array,
    text: pa.Array | pa.ChunkedArray,
    extract: Callable[[str], list[str]],
    copied: pa.Array | None,
) -> tuple[pa.Array, pa.Array]:
    """(parent row, value) for every element of a list column. A row whose list is null takes
    the values its text holds (extracted once per distinct text: :func:`map_unique`, and only
    from texts that hold the extractor's marker: :data:`_MARKERS`); a row marked in
    ``copied`` (a repost: its lists are the original's) gives none. Rows come in no particular
    order (:func:`dedupe_actions` sorts)."""
    lists = one_array(lists)
    parents = pc.cast(pc.list_parent_indices(lists), pa.int64())
    flat = pc.list_flatten(lists)
    need = pc.and_(pc.is_null(lists), pc.is_valid(text))
    if copied is not None:
        need = pc.and_(need, pc.invert(copied))
    marker = _MARKERS.get(extract)
    if marker is not None and pc.any(need).as_py():
        need = pc.and_(need, pc.fill_null(pc.match_substring_regex(text, marker), False))
    if pc.any(need).as_py():
        idx = np.flatnonzero(need.to_numpy(zero_copy_only=False))
        filled = map_unique(take_rows(text, idx), extract, pa.list_(pa.string()))
        within = np.asarray(pc.list_parent_indices(filled).to_numpy(), dtype=np.int64)
        parents = pa.concat_arrays([parents, pa.array(idx[within], pa.int64())])
        flat = pa.concat_arrays([flat.cast(pa.string()), pc.list_flatten(filled)])
    return _own(parents, flat, copied)


def _own(parents: pa.Array, values: pa.Array, copied: pa.Array | None) -> tuple[pa.Array, pa.Array]:
    """The (parent row, value) pairs whose post is not marked in ``copied`` (a repost's lists
    are its original's)."""
    if copied is None or not len(parents):
        return parents, values
    keep = pc.invert(copied.take(parents))
    return parents.filter(keep), values.filter(keep)


def _rows(posts: pa.Table, parents: pa.Array | None, kind: str, objects: pa.Array) -> pa.Table:
    """Actions of ``kind``: ``objects[i]`` acted on by post ``parents[i]`` (by post row when
    ``parents`` is None); null objects are left out."""
    keep = pc.is_valid(objects)
    objects = objects.filter(keep)
    columns = [posts.column(c) for c in ("account_id", "timestamp", "post_id")]
    if parents is None:
        columns = [c.filter(keep) for c in columns]
    else:
        parents = parents.filter(keep)
        columns = [c.take(parents) for c in columns]
    account, timestamp, post = columns
    return pa.table(
        {
            "account_id": account,
            "kind": pa.repeat(pa.scalar(kind, pa.string()), len(objects)),
            "object_id": objects.cast(pa.string()),
            "timestamp": timestamp,
            "post_id": post,
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
    helpers: int = 0,
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
    helpers:
        Helper processes that share the ``text`` kind's normalising and hashing of many
        distinct texts (:func:`inconcert.normalize.text_keys`) and the canonical forms of
        many distinct links (:func:`inconcert.normalize.canonical_urls`); the actions are the
        same.

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
    copied = _reposts(posts)
    stats.reposts = int(pc.sum(copied).as_py() or 0) if copied is not None else 0
    # one array for every kind that reads the texts (joined once where the posts are in
    # chunks), unless the chunks hold more than one array of strings can: then each stage
    # reads them chunk by chunk
    column = posts.column("text")
    text = one_array(column) if fits_one_array(column.nbytes) else column
    if copied is not None and _OWN_TEXT.intersection(kinds):
        # a repost's text is the original's, not the reposter's (the lists' kinds leave
        # reposts out themselves: _exploded)
        text = nulled(text, copied)

    for kind in kinds:
        if kind in _REFERENCE_KINDS:
            col = one_array(posts.column(_REFERENCE_KINDS[kind]))
            col = pc.if_else(pc.equal(pc.utf8_trim_whitespace(col), ""), None, col)
            parts.append(_rows(posts, None, kind, col))

    if "url" in kinds or "domain" in kinds:
        parents, flat = _exploded(posts.column("urls"), text, extract_urls, copied)
        canonical = canonical_urls(flat, helpers=helpers)
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
            parents, flat = _exploded(posts.column(column), text, extract, copied)
            parts.append(_rows(posts, parents, kind, map_unique(flat, normalize_tag)))

    if "text" in kinds:
        keys = text_keys(
            text, min_chars=min_text_chars, strip_hashtags=strip_hashtags, helpers=helpers
        )
        short = pc.sum(pc.and_(pc.is_valid(text), pc.is_null(keys))).as_py() or 0
        stats.texts_too_short = int(short)
        parts.append(_rows(posts, None, "text", keys))

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
        if "neartext" in kinds:
            stats.clusters["neartext"] = near
            parts.append(_rows(posts, None, "neartext", near.labels))
        if "paraphrase" in kinds:
            from .paraphrase import ParaphraseOptions, cluster_paraphrases

            para = cluster_paraphrases(
                text, ParaphraseOptions(threshold=paraphrase_similarity, near=near_opts), near=near
            )
            stats.clusters["paraphrase"] = para
            parts.append(_rows(posts, None, "paraphrase", para.labels))

    if "image" in kinds:
        hashes = one_array(posts.column("image_hashes"))
        parents, flat = _own(
            pc.cast(pc.list_parent_indices(hashes), pa.int64()), pc.list_flatten(hashes), copied
        )
        flat = pc.utf8_trim_whitespace(flat)
        flat = pc.if_else(pc.equal(flat, ""), None, flat)
        parts.append(_rows(posts, parents, "image", flat))

    actions = pa.concat_tables(parts) if parts else ACTION_SCHEMA.empty_table()
    parts.clear()  # so that the unsorted actions are let go as soon as the sorted ones exist
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


def _reposts(posts: pa.Table) -> pa.Array | None:
    """Which posts are reposts (their text, links, tags, mentions and images are the
    original's, not the reposter's own); None when there are none."""
    reference = one_array(posts.column("repost_of"))
    is_repost = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(reference), ""), False)
    return is_repost if pc.any(is_repost).as_py() else None


def dedupe_actions(actions: pa.Table) -> pa.Table:
    """One row per (post, kind, object), sorted by time, post, kind and object (deterministic).

    The same hashtag twice in one post is one action. Rows that differ only in account or time
    for the same post are impossible after the readers' duplicate-post check.
    """
    if actions.num_rows == 0:
        return actions.cast(ACTION_SCHEMA)
    order = pc.sort_indices(
        actions,
        sort_keys=[
            ("timestamp", "ascending"),
            ("post_id", "ascending"),
            ("kind", "ascending"),
            ("object_id", "ascending"),
            ("account_id", "ascending"),
        ],
    )
    if actions.num_rows > 1:
        # neighbours in that order with the same (post, kind, object): the keys alone are
        # put in order for this, and the table is taken once, with its duplicates left out
        # (sorting the whole table and then filtering it held three copies of the actions)
        eq = None
        for column in ("post_id", "kind", "object_id"):
            col = actions.column(column).take(order)
            e = pc.fill_null(pc.equal(col.slice(1), col.slice(0, len(col) - 1)), False)
            eq = e if eq is None else pc.and_(eq, e)
            del col
        assert eq is not None
        same = pa.concat_arrays([pa.array([False]), eq.combine_chunks()])
        del eq
        order = order.filter(pc.invert(same))
    return actions.take(order).cast(ACTION_SCHEMA)
