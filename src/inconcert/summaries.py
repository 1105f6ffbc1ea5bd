"""Summaries of a run's kept network: the evidence table, accounts and groups.

Each summary is SQL over the engine relations it is given (the co-actions, the actions, the
text similarities: :class:`inconcert.stages.Relations`) and the kept
edges; the results are Arrow tables in a deterministic order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import plan
from ._arrow import encode_texts, gather, one_array
from ._objects import SOURCE_KINDS, TEXT_KINDS, describe_objects, short, top_objects
from .engine import Engine
from .options import DetectOptions
from .plan import MICROS, quote
from .schema import ACCOUNT_NAME, TIMESTAMP_TYPE, Similar
from .stages.posts import Posts, account_names, posts_with_ids

_TEXT_KINDS_SQL = ", ".join(quote(k) for k in TEXT_KINDS)

__all__ = ["TEXT_KINDS", "accounts_table", "evidence_table", "groups_table"]

TOP_OBJECTS = 5


def utc(table: pa.Table) -> pa.Table:
    """Every timestamp column as timestamp[us, UTC] (engines name the zone differently)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            table = table.set_column(i, f.name, pc.cast(table.column(i), TIMESTAMP_TYPE))
    return table


def _names_of(accounts: pa.Array | pa.ChunkedArray, names: pa.Table) -> pa.Array:
    """The name of each account of ``accounts`` (null when it has none)."""
    at = pc.index_in(accounts, value_set=names.column("account_id").combine_chunks())
    return names.column(ACCOUNT_NAME).combine_chunks().take(at)


def evidence_table(
    eng: Engine,
    coactions: str,
    similarity: str | None,
    edges: pa.Table,
    posts: Posts | None,
    options: DetectOptions,
    references: pa.Table | None = None,
) -> pa.Table:
    """Every co-action behind every kept edge, with both posts' times and texts, and for the
    text kinds the similarity of the two texts (1 for ``text``: identical after
    normalisation).

    With ``posts``, each co-action also says what its object is (``object_text``,
    ``object_author``, ``object_link``; :mod:`inconcert._objects`): a text kind's text, and a
    referenced post's author, text and link when the input holds that post. ``references``
    (``post_id``, ``account_id``, ``text``, ``permalink``) may add referenced posts that are
    not posts of the input (e.g. the originals a platform export embeds), and their
    ``account_name``. When the posts have an ``account_name`` column or the references name
    their authors, ``object_author_name`` gives the referenced post's author's name: its
    account's name (:func:`inconcert.stages.posts.account_names`), else the name the
    reference gives."""
    eng.load("ic_kept", edges.select(["account_a", "account_b", "group_id"]))
    text_join = ""
    text_cols = ""
    if similarity is not None:
        text_join += (
            f" LEFT JOIN {similarity} s ON c.kind = s.kind AND c.post_a = s.post_a"
            " AND c.post_b = s.post_b"
        )
        text_cols += ", CASE WHEN c.kind = 'text' THEN 1.0 ELSE s.similarity END AS similarity"
    elif set(TEXT_KINDS) & set(options.kinds):
        text_cols += (
            ", CASE WHEN c.kind = 'text' THEN 1.0 ELSE CAST(NULL AS DOUBLE) END AS similarity"
        )
    own = [c for c in ("text", "permalink") if posts is not None and c in posts.columns]
    cited = None
    if posts is not None and own:
        # the posts the evidence cites, in one pass over the posts (which may be a file)
        cited = eng.fetch(plan.cited_posts_sql(posts.name, coactions, "ic_kept", own))
    table = eng.fetch(
        f"""
SELECT k.group_id, c.account_a, c.account_b, c.kind, c.object_id,
       c.post_a, c.post_b, c.t_a, c.t_b, c.dt{text_cols}
FROM {coactions} c
JOIN ic_kept k ON c.account_a = k.account_a AND c.account_b = k.account_b
{text_join}
ORDER BY k.group_id NULLS LAST, c.account_a, c.account_b,
         CASE WHEN c.t_a < c.t_b THEN c.t_a ELSE c.t_b END, c.kind, c.object_id, c.post_a, c.post_b
"""
    )
    if cited is not None:
        # each co-action's two posts' texts and links, gathered after the sort: the engine
        # sorts the co-actions without them (a co-action of two articles carries 16 KB)
        table = _with_cited(table, cited, own)
        cited = None  # the texts are in the evidence now, once each
    described = _described(eng, table, posts, options, references)
    out: dict[str, Any] = {}
    for name in table.column_names:
        col = table.column(name)
        if name in ("t_a", "t_b"):
            out[name.replace("t_", "time_")] = pc.cast(col, TIMESTAMP_TYPE)
        elif name == "dt":
            out["dt_s"] = pc.divide(pc.cast(col, pa.float64()), float(MICROS))
        else:
            out[name] = col
        if name == "object_id":
            out.update(described)
    return pa.table(out)


def _with_cited(table: pa.Table, cited: pa.Table, own: Sequence[str]) -> pa.Table:
    """``table`` with ``text_a, text_b`` and ``link_a, link_b`` (of ``own``: ``text``,
    ``permalink``) of its ``post_a``, ``post_b`` from ``cited`` (``post_id`` and ``own``; null
    for a post it does not hold). The texts are :data:`~inconcert._arrow.TEXTS_TYPE`: each
    cited text once (in ``cited``'s order: by post id), each co-action two indices into them."""
    ids = one_array(cited.column("post_id"))
    at = [pc.index_in(table.column(f"post_{side}"), value_set=ids) for side in ("a", "b")]
    columns = dict(zip(table.column_names, table.columns, strict=True))
    if "text" in own:
        columns["text_a"], columns["text_b"] = encode_texts(cited.column("text"), *at, by_use=False)
    if "permalink" in own:
        links = one_array(cited.column("permalink"))
        for side, name in zip(at, ("link_a", "link_b"), strict=True):
            columns[name] = gather(links, side).cast(cited.schema.field("permalink").type)
    return pa.table(columns)


def _described(
    eng: Engine,
    table: pa.Table,
    posts: Posts | None,
    options: DetectOptions,
    references: pa.Table | None,
) -> dict[str, pa.Array]:
    """The evidence's ``object_text``, ``object_author``, ``object_author_name`` and
    ``object_link`` (what each object is, :func:`inconcert._objects.describe_objects`), as far
    as the input tells."""
    if posts is None:
        return {}
    kinds = set(options.kinds)
    wanted = []
    if "text" in posts.columns and kinds & set(TEXT_KINDS + SOURCE_KINDS):
        wanted.append("object_text")
    named = False
    if kinds & set(SOURCE_KINDS):
        wanted.append("object_author")
        named = ACCOUNT_NAME in posts.columns
        if named or (
            references is not None
            and ACCOUNT_NAME in references.column_names
            and references.column(ACCOUNT_NAME).null_count < references.num_rows
        ):
            wanted.append("object_author_name")
        if "permalink" in posts.columns or (
            references is not None and "permalink" in references.column_names
        ):
            wanted.append("object_link")
    if not wanted:
        return {}
    # the posts the evidence refers to (reposted, quoted, replied to), in the posts' order
    referenced = table.column("object_id").filter(
        pc.is_in(table.column("kind"), pa.array(SOURCE_KINDS, pa.string()))
    )
    known = posts_with_ids(eng, posts, referenced)
    if references is not None and references.num_rows:
        # posts the input only refers to (an export's embedded originals): after the posts
        cols = [*known.column_names]
        cols += ["permalink"] if "object_link" in wanted and "permalink" not in cols else []
        cols += [ACCOUNT_NAME] if "object_author_name" in wanted else []
        known = pa.concat_tables(
            [known, references.select([c for c in cols if c in references.column_names])],
            promote_options="permissive",
        )
    if "object_author_name" in wanted:
        own = (
            known.column(ACCOUNT_NAME).combine_chunks()
            if ACCOUNT_NAME in known.column_names
            else pa.nulls(known.num_rows, pa.string())
        )
        names = account_names(eng, posts, known.column("account_id")) if named else None
        if names is not None:  # the account's name, else the one the reference gives
            own = pc.coalesce(_names_of(known.column("account_id"), names), own)
        known = known.drop_columns([c for c in (ACCOUNT_NAME,) if c in known.column_names])
        known = known.append_column(ACCOUNT_NAME, own)
    return describe_objects(table, known, columns=wanted)


def accounts_table(
    eng: Engine,
    actions: str,
    assignments: pa.Table,
    evidence: pa.Table,
    posts: Posts | None = None,
) -> pa.Table:
    """One row per account of the network, with its posts and coordinated posts; with
    ``posts`` that name accounts (an ``account_name`` column), its ``account_name`` (the name
    on its latest post that has one: :func:`inconcert.stages.posts.account_names`) after its
    id."""
    eng.load("ic_assign", assignments)
    eng.load("ic_evidence", evidence.select(["account_a", "account_b", "post_a", "post_b"]))
    table = eng.fetch(
        f"""
WITH posts AS (
    SELECT a.account_id, COUNT(DISTINCT a.pst) AS posts FROM {actions} a
    WHERE a.account_id IN (SELECT account_id FROM ic_assign) GROUP BY a.account_id
), coord AS (
    SELECT account_id, COUNT(DISTINCT post_id) AS coordinated_posts FROM (
        SELECT account_a AS account_id, post_a AS post_id FROM ic_evidence
        UNION ALL
        SELECT account_b AS account_id, post_b AS post_id FROM ic_evidence
    ) e GROUP BY account_id
)
SELECT s.account_id, s.group_id, s.component_id, s.degree, s.strength,
       COALESCE(p.posts, 0) AS posts, COALESCE(c.coordinated_posts, 0) AS coordinated_posts
FROM ic_assign s
LEFT JOIN posts p ON s.account_id = p.account_id
LEFT JOIN coord c ON s.account_id = c.account_id
ORDER BY s.group_id, s.account_id
"""
    )
    names = account_names(eng, posts, table.column("account_id"))
    if names is None:
        return table
    return table.add_column(1, ACCOUNT_NAME, _names_of(table.column("account_id"), names))


def _top_texts(eng: Engine, actions: str, evidence: pa.Table) -> dict[int, str]:
    """Per group, its three most co-acted texts: the text each stands for (the evidence's
    ``object_text``: for a ``neartext`` cluster, its variant posted most often among the
    co-acting posts) and how many accounts posted it or a variant."""
    if "object_text" not in evidence.column_names:
        return {}
    table = evidence.select(["group_id", "kind", "object_id", "object_text"])
    dictionary = None
    if pa.types.is_dictionary(table.schema.field("object_text").type):
        # the texts' codes (one text per object: the least code is its text), never the texts
        codes = one_array(table.column("object_text"))
        dictionary = codes.dictionary
        table = table.set_column(3, "object_text", codes.indices)
    eng.load("ic_gtext", table)
    rows = eng.fetch(
        f"""
WITH t AS (
    SELECT group_id, kind, object_id, COUNT(*) AS n, MIN(object_text) AS sample
    FROM ic_gtext WHERE kind IN ({_TEXT_KINDS_SQL})
    GROUP BY group_id, kind, object_id
), r AS (
    SELECT t.*, ROW_NUMBER() OVER (PARTITION BY group_id ORDER BY n DESC, kind, object_id)
        AS rk FROM t
), a AS (
    SELECT kind, object_id, COUNT(DISTINCT account_id) AS accounts FROM {actions}
    WHERE kind IN ({_TEXT_KINDS_SQL}) GROUP BY kind, object_id
)
SELECT r.group_id, r.kind, r.object_id, r.sample, a.accounts
FROM r JOIN a ON r.kind = a.kind AND r.object_id = a.object_id
WHERE r.rk <= 3 ORDER BY r.group_id NULLS LAST, r.rk
"""
    ).to_pylist()
    if dictionary is not None:
        samples = dictionary.take(pa.array([r["sample"] for r in rows], pa.int64())).to_pylist()
        for r, sample in zip(rows, samples, strict=True):
            r["sample"] = sample
    out: dict[int, list[str]] = {}
    for r in rows:
        text = short(str(r["sample"] or ""), 120)
        n = r["accounts"]
        out.setdefault(r["group_id"], []).append(f'"{text}" ({n} account{"s" if n != 1 else ""})')
    return {g: " | ".join(v) for g, v in out.items()}


def _dt_stats(evidence: pa.Table, group_ids: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Per group of ``group_ids``, the mean and the median of its evidence's ``dt_s``. Summed
    here in evidence order, one value after the other, so that the mean does not depend on
    how an engine splits the sum (the median of an even count: the mean of the middle two).
    Evidence outside these groups (edges between groups) is left out."""
    n = len(group_ids)
    idx = (
        pc.fill_null(pc.index_in(evidence.column("group_id"), group_ids), n)
        .to_numpy(zero_copy_only=False)
        .astype(np.int64)
    )
    dt = evidence.column("dt_s").to_numpy().astype(np.float64)
    count = np.bincount(idx, minlength=n + 1)[:n]
    mean = np.bincount(idx, dt, minlength=n + 1)[:n] / np.maximum(count, 1)
    ordered = dt[np.lexsort((dt, idx))]
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)[:n]
    last = max(len(ordered) - 1, 0)
    lo = ordered[np.minimum(start + (count - 1) // 2, last)] if len(ordered) else np.zeros(n)
    hi = ordered[np.minimum(start + count // 2, last)] if len(ordered) else np.zeros(n)
    median = (lo + hi) / 2
    return np.where(count > 0, mean, np.nan), np.where(count > 0, median, np.nan)


def groups_table(
    eng: Engine,
    actions: str,
    edges: pa.Table,
    accounts: pa.Table,
    evidence: pa.Table,
    similar: Mapping[str, Similar],
) -> pa.Table:
    """One row per group (a Leiden community; :mod:`inconcert.network`), with its component.
    Only the edges and co-actions inside a group count towards it. Its top objects and texts
    are named by the evidence's ``object_text``/``object_author`` (a text, never only its
    digest); ``similar`` is no longer needed for that and is ignored."""
    eng.load(
        "ic_gedges",
        edges.select(
            ["group_id", "events" if "events" in edges.column_names else "weight"]
        ).rename_columns(["group_id", "weight"]),
    )
    eng.load(
        "ic_gev",
        evidence.select(
            [
                "group_id",
                "account_a",
                "account_b",
                "kind",
                "object_id",
                "post_a",
                "post_b",
                "time_a",
                "time_b",
                "dt_s",
            ]
        ),
    )
    top_texts = _top_texts(eng, actions, evidence)
    table = eng.fetch(
        """
WITH members AS (
    SELECT group_id, COUNT(*) AS size, MIN(component_id) AS component_id
    FROM ic_assign GROUP BY group_id
), e AS (
    SELECT group_id, COUNT(*) AS edges, CAST(SUM(weight) AS BIGINT) AS weight
    FROM ic_gedges GROUP BY group_id
), ev AS (
    SELECT group_id, COUNT(*) AS coactions,
           COUNT(DISTINCT kind || chr(31) || object_id) AS objects,
           MIN(CASE WHEN time_a < time_b THEN time_a ELSE time_b END) AS first_time,
           MAX(CASE WHEN time_a > time_b THEN time_a ELSE time_b END) AS last_time
    FROM ic_gev GROUP BY group_id
), posts AS (
    SELECT group_id, COUNT(DISTINCT post_id) AS coordinated_posts FROM (
        SELECT group_id, post_a AS post_id FROM ic_gev
        UNION ALL SELECT group_id, post_b AS post_id FROM ic_gev
    ) p GROUP BY group_id
)
SELECT m.group_id, m.size, e.edges,
       CASE WHEN m.size > 1 THEN CAST(2 * e.edges AS DOUBLE) / (m.size * (m.size - 1))
            ELSE 0 END AS density,
       e.weight, m.component_id, ev.coactions, ev.objects, p.coordinated_posts,
       ev.first_time, ev.last_time
FROM members m JOIN e ON m.group_id = e.group_id
JOIN ev ON m.group_id = ev.group_id
JOIN posts p ON m.group_id = p.group_id
ORDER BY m.group_id
"""
    )
    kinds = eng.fetch(
        """
SELECT group_id, kind, COUNT(*) AS n FROM ic_gev GROUP BY group_id, kind
ORDER BY group_id NULLS LAST, n DESC, kind
"""
    ).to_pylist()
    by_group_kinds: dict[int, list[str]] = {}
    for r in kinds:
        by_group_kinds.setdefault(r["group_id"], []).append(f"{r['kind']}:{r['n']}")
    by_group_tops = top_objects(evidence, limit=TOP_OBJECTS)
    members: dict[int, list[str]] = {}
    for acc, gid in zip(
        accounts.sort_by(
            [("group_id", "ascending"), ("strength", "descending"), ("account_id", "ascending")]
        )
        .column("account_id")
        .to_pylist(),
        accounts.sort_by(
            [("group_id", "ascending"), ("strength", "descending"), ("account_id", "ascending")]
        )
        .column("group_id")
        .to_pylist(),
        strict=True,
    ):
        members.setdefault(gid, []).append(acc)
    mean_dt, median_dt = _dt_stats(evidence, table.column("group_id"))
    table = (
        utc(table)
        .append_column("mean_dt_s", pa.array(mean_dt, pa.float64()))
        .append_column("median_dt_s", pa.array(median_dt, pa.float64()))
    )
    gids = table.column("group_id").to_pylist()
    span = pc.divide(
        pc.cast(
            pc.subtract(
                pc.cast(table.column("last_time"), pa.int64()),
                pc.cast(table.column("first_time"), pa.int64()),
            ),
            pa.float64(),
        ),
        3600.0 * MICROS,
    )
    table = table.append_column("span_hours", span)
    table = table.append_column(
        "kinds", pa.array([", ".join(by_group_kinds.get(g, [])) for g in gids], pa.string())
    )
    table = table.append_column(
        "top_objects", pa.array([by_group_tops.get(g, "") for g in gids], pa.string())
    )
    table = table.append_column(
        "top_texts", pa.array([top_texts.get(g, "") for g in gids], pa.string())
    )
    table = table.append_column(
        "members", pa.array([" ".join(members.get(g, [])[:20]) for g in gids], pa.string())
    )
    table = table.append_column("days", pa.array(_days(evidence, table.column("group_id"))))
    return table.append_column("summary", pa.array(_summaries(table, by_group_kinds), pa.string()))


def _days(evidence: pa.Table, group_ids: pa.ChunkedArray) -> np.ndarray:
    """Per group of ``group_ids``, the distinct UTC days of its co-actions (the earlier post's
    day), as edges count them."""
    n = len(group_ids)
    out = np.zeros(n, dtype=np.int64)
    if evidence.num_rows == 0 or n == 0:
        return out
    index = pc.index_in(evidence.column("group_id"), group_ids)
    inside = index.is_valid().to_numpy(zero_copy_only=False)  # edges between groups: none
    idx = index.fill_null(0).to_numpy().astype(np.int64)[inside]
    ta = pc.cast(pc.cast(evidence.column("time_a"), TIMESTAMP_TYPE), pa.int64()).to_numpy()
    tb = pc.cast(pc.cast(evidence.column("time_b"), TIMESTAMP_TYPE), pa.int64()).to_numpy()
    day = np.minimum(ta, tb)[inside] // (86_400 * MICROS)
    pairs = np.unique(np.stack([idx, day]), axis=1)
    np.add.at(out, pairs[0], 1)
    return out


def _summaries(table: pa.Table, kinds: Mapping[int, list[str]]) -> list[str]:
    """One line per group a reader can quote: how many, how much, when, what kind, how fast.
    It names no account, post or object (``members`` and ``top_objects`` do), so it needs
    nothing from pseudonymisation."""
    out = []
    for row in table.select(
        ["group_id", "size", "coactions", "days", "first_time", "last_time", "median_dt_s"]
    ).to_pylist():
        what = ", ".join(k.replace(":", " ") for k in kinds.get(row["group_id"], [])[:3])
        when = f"{row['first_time']:%Y-%m-%d}" if row["first_time"] is not None else ""
        if row["last_time"] is not None and f"{row['last_time']:%Y-%m-%d}" != when:
            when = f"{when} to {row['last_time']:%Y-%m-%d}"
        days = row["days"]
        out.append(
            f"{row['size']} accounts, {row['coactions']} co-actions on {days} "
            f"day{'s' if days != 1 else ''} ({when}): {what}; median "
            f"{row['median_dt_s']:g} s apart"
        )
    return out
