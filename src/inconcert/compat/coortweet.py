"""CooRTweet 2.1.3's ``detect_groups``, ``flag_speed_share`` and ``generate_coordinated_network``,
reproduced row for row on the relational plan of :mod:`inconcert.plan`.

Use these to get exactly what CooRTweet gives (the tests check identical rows, edges and weights
on the German 2021 election data). inconcert's own defaults differ where we judge CooRTweet's
behaviour wrong; every difference is listed in ``docs/coortweet.md`` and in the README:

* ``min_participation``'s second pass keeps a pair when *either* account qualifies (here:
  :func:`detect_groups`); inconcert's default keeps a co-action only when *both* accounts have at
  least ``min_participation`` coordinated posts.
* ``n_content_id``/``n_content_id_y`` count the distinct older/newer posts of an edge, not each
  account's posts, so the "edge symmetry score" is not per account; inconcert's ``posts_a`` and
  ``posts_b`` are per account.
* Pair generation probes every pair of rows of an object (memory grows with the square of an
  object's popularity); the results here are identical but computed with the bucket join.

Input is CooRTweet's ``object_id, account_id, content_id, timestamp_share`` (``timestamp_share``
in POSIX seconds, or an Arrow timestamp). Row order matters to CooRTweet for ties (two shares in
the same second) and for the order of ``object_ids``; it is honoured here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..engine import DuckDBEngine, Engine
from ..errors import InputError, ParameterError
from ..plan import MICROS, pairs_sql
from ..stages.edges import quantile_type7

__all__ = [
    "COORTWEET_COLUMNS",
    "CompatNetwork",
    "account_stats",
    "detect_groups",
    "flag_speed_share",
    "generate_coordinated_network",
    "group_stats",
    "quantile_type7",
]

COORTWEET_COLUMNS = ("object_id", "account_id", "content_id", "timestamp_share")
RESULT_COLUMNS = (
    "object_id",
    "content_id",
    "content_id_y",
    "time_delta",
    "account_id",
    "account_id_y",
)
Subgraph = Literal["none", "threshold", "fast", "fast_context"]
_SUBGRAPHS = {"none": 0, "threshold": 1, "fast": 2, "fast_context": 3}


@dataclass(frozen=True)
class CompatNetwork:
    """A CooRTweet-style network: one row per edge and one per vertex.

    ``edges`` has ``account_id`` < ``account_id_y`` (byte order, as CooRTweet's ``pmin``/``pmax``
    under ``LC_COLLATE=C``) and CooRTweet's edge attributes; ``vertices`` has ``name`` (and
    ``color_v`` for ``subgraph="fast_context"``).
    """

    edges: pa.Table
    vertices: pa.Table


def _seconds_to_micros(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    if pa.types.is_timestamp(col.type):
        return pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.int64())
    values = pc.cast(col, pa.float64())
    return pc.cast(pc.round(pc.multiply(values, float(MICROS))), pa.int64())


def _prepare(x: pa.Table, name: str) -> pa.Table:
    """CooRTweet's four columns (or inconcert's action names) with ``t`` and the row order."""
    renames = {"content_id": "post_id", "timestamp_share": "timestamp"}
    cols = {}
    for col in COORTWEET_COLUMNS:
        alt = renames.get(col, col)
        if col in x.column_names:
            cols[col] = x.column(col)
        elif alt in x.column_names:
            cols[col] = x.column(alt)
        else:
            raise InputError(
                name,
                f"missing column {col!r} (found: {', '.join(x.column_names)})",
                hint="CooRTweet input needs object_id, account_id, content_id, timestamp_share",
            )
    for col in ("object_id", "account_id", "content_id"):
        cols[col] = pc.cast(cols[col], pa.string())
    t = _seconds_to_micros(cols.pop("timestamp_share"))
    return pa.table(
        {
            "_row": pa.array(np.arange(x.num_rows, dtype=np.int64)),
            **cols,
            "t": t,
        }
    )


def _filter_min_participation_sql(x: str, result: str, mp: int) -> str:
    """CooRTweet's second pass: keep a pair row when either side's post belongs to an account
    with at least ``mp`` input rows among the posts present in the result (an OR)."""
    return f"""
WITH ids AS (
    SELECT content_id FROM {result} UNION SELECT content_id_y FROM {result}
),
rows_in AS (
    SELECT x.account_id, x.content_id FROM {x} x JOIN ids ON x.content_id = ids.content_id
),
ok_accounts AS (
    SELECT account_id FROM rows_in GROUP BY account_id HAVING COUNT(*) >= {int(mp)}
),
ok_content AS (
    SELECT DISTINCT r.content_id FROM rows_in r JOIN ok_accounts a ON r.account_id = a.account_id
)
SELECT * FROM {result} r
WHERE r.content_id IN (SELECT content_id FROM ok_content)
   OR r.content_id_y IN (SELECT content_id FROM ok_content)
"""


def _check_common(time_window: float, min_participation: int) -> None:
    if not isinstance(time_window, int | float) or time_window < 0:
        raise ParameterError("time_window", "a number of seconds >= 0", time_window)
    if not isinstance(min_participation, int) or min_participation < 0:
        raise ParameterError("min_participation", "a whole number >= 0", min_participation)


def detect_groups(
    x: pa.Table,
    *,
    time_window: float = 10,
    min_participation: int = 2,
    remove_loops: bool = True,
    engine: Engine | None = None,
) -> pa.Table:
    """CooRTweet's ``detect_groups``: every pair of shares of one object within the window.

    Parameters
    ----------
    x:
        ``object_id, account_id, content_id, timestamp_share`` (or inconcert's ``post_id`` and
        ``timestamp``), one row per share, in the order CooRTweet would see it.
    time_window:
        Seconds, inclusive: a pair with ``|Δt| == time_window`` is kept.
    min_participation:
        Accounts with fewer input rows are dropped first; then a pair row is kept when either
        side belongs to an account with at least this many rows among the result's posts.
    remove_loops:
        Drop pairs of an account with itself, of a post with itself, and where a post is its own
        object. With ``False`` they stay, as in CooRTweet.

    Returns
    -------
    pyarrow.Table
        ``object_id, content_id, content_id_y, time_delta, account_id, account_id_y`` in
        CooRTweet's row order; ``content_id``/``account_id`` is the older share (on ties, the
        first in CooRTweet's order) and ``time_delta`` is ``|Δt|`` in seconds.
    """
    _check_common(time_window, min_participation)
    prepared = _prepare(x, "detect_groups input")
    own = engine is None
    eng: Engine = engine if engine is not None else DuckDBEngine()
    try:
        eng.load("ct_x0", prepared)
        w = round(time_window * MICROS)
        # The pre-filter regroups rows by account in order of first appearance (data.table `by`),
        # which fixes the order CooRTweet pairs rows in: that order is `pos`.
        eng.create(
            "ct_x",
            f"""
SELECT x.object_id, x.account_id, x.content_id, x.t, x._row,
       ROW_NUMBER() OVER (ORDER BY a.first_row, x._row) AS pos
FROM ct_x0 x
JOIN (SELECT account_id, MIN(_row) AS first_row FROM ct_x0 GROUP BY account_id
      HAVING COUNT(*) >= {int(min_participation)}) a
  ON x.account_id = a.account_id
""",
        )
        eng.create(
            "ct_src",
            f"""
SELECT pos AS action_id, account_id, 'share' AS kind, object_id, content_id AS post_id, t,
       CAST({w} AS BIGINT) AS w
FROM ct_x
""",
        )
        loops = (
            """
WHERE object_id <> x_post AND object_id <> y_post
  AND x_post <> y_post AND x_account <> y_account"""
            if remove_loops
            else ""
        )
        eng.create(
            "ct_pairs",
            f"""
WITH p AS ({pairs_sql("ct_src", eng.dialect, distinct_accounts=False)}),
o AS (
    SELECT object_id,
        CASE WHEN x_action < y_action THEN x_post ELSE y_post END AS lo_post,
        CASE WHEN x_action < y_action THEN x_account ELSE y_account END AS lo_account,
        CASE WHEN x_action < y_action THEN x_t ELSE y_t END AS lo_t,
        CASE WHEN x_action < y_action THEN x_action ELSE y_action END AS lo_pos,
        CASE WHEN x_action < y_action THEN y_post ELSE x_post END AS hi_post,
        CASE WHEN x_action < y_action THEN y_account ELSE x_account END AS hi_account,
        CASE WHEN x_action < y_action THEN y_t ELSE x_t END AS hi_t,
        CASE WHEN x_action < y_action THEN y_action ELSE x_action END AS hi_pos,
        x_post, y_post, x_account, y_account
    FROM p {loops}
),
r AS (
    SELECT o.*, f.first_pos FROM o
    JOIN (SELECT object_id, MIN(pos) AS first_pos FROM ct_x GROUP BY object_id) f
      ON o.object_id = f.object_id
)
SELECT
    object_id,
    CASE WHEN lo_t > hi_t THEN hi_post ELSE lo_post END AS content_id,
    CASE WHEN lo_t > hi_t THEN lo_post ELSE hi_post END AS content_id_y,
    CAST(ABS(lo_t - hi_t) AS DOUBLE) / {MICROS} AS time_delta,
    CASE WHEN lo_t > hi_t THEN hi_account ELSE lo_account END AS account_id,
    CASE WHEN lo_t > hi_t THEN lo_account ELSE hi_account END AS account_id_y,
    first_pos AS _o1, hi_pos AS _o2, lo_pos AS _o3
FROM r
""",
        )
        if min_participation >= 1:
            eng.create(
                "ct_result", _filter_min_participation_sql("ct_x", "ct_pairs", min_participation)
            )
        else:
            eng.create("ct_result", "SELECT * FROM ct_pairs")
        cols = ", ".join(RESULT_COLUMNS)
        return eng.fetch(f"SELECT {cols} FROM ct_result ORDER BY _o1, _o2, _o3")
    finally:
        for name in ("ct_x0", "ct_x", "ct_src", "ct_pairs", "ct_result"):
            eng.drop(name)
        if own:
            eng.close()


def _window_label(time_window: float) -> str:
    return str(int(time_window)) if float(time_window).is_integer() else repr(float(time_window))


def flag_speed_share(
    x: pa.Table,
    result: pa.Table,
    *,
    time_window: float,
    min_participation: int,
    engine: Engine | None = None,
) -> pa.Table:
    """CooRTweet's ``flag_speed_share``: mark the pairs that are also within a narrower window.

    Returns a new table (CooRTweet changes ``result`` in place) sorted by
    ``(content_id, content_id_y)`` as CooRTweet's ``setkey`` leaves it, with a column
    ``time_window_<N>`` that is 1 when ``time_delta <= time_window`` and the pair survives the
    ``min_participation`` second pass counted on ``x``, else 0.
    """
    _check_common(time_window, min_participation)
    missing = [c for c in RESULT_COLUMNS if c not in result.column_names]
    if missing:
        raise InputError("flag_speed_share result", f"missing columns {missing}")
    prepared = _prepare(x, "flag_speed_share input")
    own = engine is None
    eng: Engine = engine if engine is not None else DuckDBEngine()
    column = f"time_window_{_window_label(time_window)}"
    try:
        eng.load("fs_x", prepared)
        res = result.select(list(RESULT_COLUMNS)).append_column(
            "_o", pa.array(np.arange(result.num_rows, dtype=np.int64))
        )
        eng.load("fs_result", res)
        eng.create(
            "fs_update",
            f"SELECT * FROM fs_result WHERE time_delta <= {float(time_window)!r}",
        )
        eng.create("fs_kept", _filter_min_participation_sql("fs_x", "fs_update", min_participation))
        cols = ", ".join(f"r.{c}" for c in RESULT_COLUMNS)
        return eng.fetch(
            f"""
SELECT {cols},
    CASE WHEN EXISTS (SELECT 1 FROM fs_kept k WHERE k.content_id = r.content_id
                      AND k.content_id_y = r.content_id_y) THEN 1 ELSE 0 END AS "{column}"
FROM fs_result r
ORDER BY r.content_id, r.content_id_y, r._o
"""
        )
    finally:
        for name in ("fs_x", "fs_result", "fs_update", "fs_kept"):
            eng.drop(name)
        if own:
            eng.close()


def _aggregate(rows: pa.Table, objects: bool, engine: Engine | None = None) -> pa.Table:
    """CooRTweet's per-pair aggregation, edges in order of first appearance.

    ``object_ids`` lists each edge's distinct objects in order of first appearance, which needs
    an ordered string aggregate (DuckDB's ``string_agg ... ORDER BY``): the compatibility layer
    runs on DuckDB.
    """
    own = engine is None
    eng: Engine = engine if engine is not None else DuckDBEngine()
    table = rows.select(list(RESULT_COLUMNS)).append_column(
        "_o", pa.array(np.arange(rows.num_rows, dtype=np.int64))
    )
    try:
        eng.load("cg_rows", table)
        eng.create(
            "cg_pairs",
            """
SELECT CASE WHEN account_id <= account_id_y THEN account_id ELSE account_id_y END AS a,
       CASE WHEN account_id <= account_id_y THEN account_id_y ELSE account_id END AS b,
       object_id, content_id, content_id_y, CAST(time_delta AS DOUBLE) AS time_delta, _o
FROM cg_rows
""",
        )
        obj_cte = (
            """,
o AS (
    SELECT a, b, string_agg(object_id, ',' ORDER BY first_o) AS object_ids FROM (
        SELECT a, b, object_id, MIN(_o) AS first_o FROM cg_pairs GROUP BY a, b, object_id
    ) f GROUP BY a, b
)"""
            if objects
            else ""
        )
        obj_col = ", o.object_ids" if objects else ""
        obj_join = "JOIN o ON e.a = o.a AND e.b = o.b" if objects else ""
        return eng.fetch(
            f"""
WITH e AS (
    SELECT a, b, COUNT(*) AS weight, AVG(time_delta) AS avg_time_delta,
           COUNT(DISTINCT content_id) AS n_content_id,
           COUNT(DISTINCT content_id_y) AS n_content_id_y, MIN(_o) AS first_o
    FROM cg_pairs GROUP BY a, b
){obj_cte}
SELECT e.a AS account_id, e.b AS account_id_y, e.weight, e.avg_time_delta, e.n_content_id,
       e.n_content_id_y,
       CAST(LEAST(e.n_content_id, e.n_content_id_y) AS DOUBLE)
           / GREATEST(e.n_content_id, e.n_content_id_y) AS edge_symmetry_score{obj_col}
FROM e {obj_join} ORDER BY e.first_o
"""
        )
    finally:
        eng.drop("cg_rows")
        eng.drop("cg_pairs")
        if own:
            eng.close()


def _threshold(weights: pa.ChunkedArray | pa.Array, q: float) -> tuple[pa.Array, float]:
    values = np.asarray(weights.to_numpy(zero_copy_only=False), dtype=np.float64)
    cut = quantile_type7(values, q)
    flags = [None if np.isnan(v) else int(v > cut) for v in values]
    return pa.array(flags, pa.int64()), cut


def generate_coordinated_network(
    x: pa.Table,
    *,
    fast_net: bool = False,
    edge_weight: float = 0.5,
    subgraph: Subgraph | int = "none",
    objects: bool = False,
    engine: Engine | None = None,
) -> CompatNetwork:
    """CooRTweet's ``generate_coordinated_network`` as edge and vertex tables.

    Parameters
    ----------
    x:
        A :func:`detect_groups` result (with a ``time_window_<N>`` column from
        :func:`flag_speed_share` when ``fast_net`` or a fast subgraph is asked for).
    fast_net:
        Also aggregate the rows flagged fast and join them as ``*_fast`` attributes (the full
        ones become ``*_full``); edges with no fast row get nulls, as CooRTweet's NA.
    edge_weight:
        Quantile (R type 7) of the edge weights: ``weight_threshold`` is 1 when the weight is
        *strictly* above it. In [0, 1].
    subgraph:
        ``"none"`` (CooRTweet's 0), ``"threshold"`` (1: edges over the threshold, isolated
        vertices dropped; not with ``fast_net``), ``"fast"`` (2: edges over the fast threshold),
        ``"fast_context"`` (3: the fast edges' endpoints and all their neighbours, induced;
        ``color_v`` marks the fast endpoints). CooRTweet's numbers are accepted too.
    objects:
        Add ``object_ids``: the distinct objects of each edge in order of first appearance.
    engine:
        A DuckDB engine to run on; a private one is opened when not given.
    """
    if not isinstance(edge_weight, int | float) or not 0 <= edge_weight <= 1:
        raise ParameterError("edge_weight", "a number in [0, 1]", edge_weight)
    mode = _SUBGRAPHS.get(subgraph) if isinstance(subgraph, str) else subgraph
    if mode not in (0, 1, 2, 3):
        raise ParameterError("subgraph", f"one of {sorted(_SUBGRAPHS)}", subgraph)
    fast_cols = [c for c in x.column_names if c.startswith("time_window_")]
    if (fast_net or mode in (2, 3)) and not fast_cols:
        raise ParameterError(
            "fast_net", "used with a result from flag_speed_share (no time_window_ column)", True
        )
    if mode == 1 and fast_net:
        raise ParameterError("subgraph", "'threshold' only without fast_net", subgraph)
    full = _aggregate(x, objects, engine)
    full_order = _vertices(full)
    if not fast_net:
        flags, _ = _threshold(full.column("weight"), edge_weight)
        edges = full.append_column("weight_threshold", flags)
        if mode == 1:
            edges = edges.filter(pc.equal(edges.column("weight_threshold"), 1))
    else:
        fast_rows = x.filter(pc.equal(x.column(fast_cols[0]), 1))
        fast = _aggregate(fast_rows, objects, engine)
        fast_index = {
            (p, q): i
            for i, (p, q) in enumerate(
                zip(
                    fast.column("account_id").to_pylist(),
                    fast.column("account_id_y").to_pylist(),
                    strict=True,
                )
            )
        }
        rows = [
            fast_index.get((p, q))
            for p, q in zip(
                full.column("account_id").to_pylist(),
                full.column("account_id_y").to_pylist(),
                strict=True,
            )
        ]
        take = pa.array(rows, pa.int64())
        attrs = [
            "weight",
            "avg_time_delta",
            "n_content_id",
            "n_content_id_y",
            "edge_symmetry_score",
        ] + (["object_ids"] if objects else [])
        order = [
            "weight",
            "avg_time_delta",
            "n_content_id",
            "n_content_id_y",
            "edge_symmetry_score",
        ]
        data: dict[str, pa.Array | pa.ChunkedArray] = {
            "account_id": full.column("account_id"),
            "account_id_y": full.column("account_id_y"),
        }
        fast_taken = fast.take(take)
        for attr in order:
            if attr in ("n_content_id", "n_content_id_y"):
                continue
            data[f"{attr}_full"] = full.column(attr)
            data[f"{attr}_fast"] = fast_taken.column(attr)
            if attr == "avg_time_delta":
                for nc in ("n_content_id", "n_content_id_y"):
                    data[f"{nc}_full"] = full.column(nc)
                for nc in ("n_content_id", "n_content_id_y"):
                    data[f"{nc}_fast"] = fast_taken.column(nc)
        if "object_ids" in attrs:
            data["object_ids_full"] = full.column("object_ids")
            data["object_ids_fast"] = fast_taken.column("object_ids")
        edges = pa.table(data)
        flags_full, _ = _threshold(edges.column("weight_full"), edge_weight)
        flags_fast, _ = _threshold(edges.column("weight_fast"), edge_weight)
        edges = edges.append_column("weight_threshold_full", flags_full)
        edges = edges.append_column("weight_threshold_fast", flags_fast)
        if mode == 2:
            edges = edges.filter(pc.equal(edges.column("weight_threshold_fast"), 1))
    if mode == 3:
        return _fast_context(edges, full_order)
    return CompatNetwork(edges=edges, vertices=_vertices(edges, full_order))


def _vertices(edges: pa.Table, order: pa.Table | None = None) -> pa.Table:
    """Vertex names in igraph's order: ``graph_from_data_frame`` numbers the first column's
    names, then the second's, in order of appearance; a subgraph keeps its parent's order."""
    a = edges.column("account_id").to_pylist()
    b = edges.column("account_id_y").to_pylist()
    present = dict.fromkeys(a + b)
    if order is not None:
        names = [n for n in order.column("name").to_pylist() if n in present]
    else:
        names = list(present)
    return pa.table({"name": pa.array(names, pa.string())})


def _fast_context(edges: pa.Table, order: pa.Table) -> CompatNetwork:
    a = edges.column("account_id").to_pylist()
    b = edges.column("account_id_y").to_pylist()
    fast = edges.column("weight_threshold_fast").to_pylist()
    core = {v for p, q, f in zip(a, b, fast, strict=True) if f == 1 for v in (p, q)}
    keep = {q for p, q in zip(a, b, strict=True) if p in core} | {
        p for p, q in zip(a, b, strict=True) if q in core
    }
    mask = pa.array([p in keep and q in keep for p, q in zip(a, b, strict=True)])
    kept = edges.filter(mask)
    vertices = _vertices(kept, order)
    names = vertices.column("name").to_pylist()
    color = pa.array([1 if v in core else 0 for v in names], pa.int64())
    return CompatNetwork(edges=kept, vertices=vertices.append_column("color_v", color))


def _threshold_column(edges: pa.Table, weight_threshold: str) -> str | None:
    if weight_threshold not in ("none", "full", "fast"):
        raise ParameterError("weight_threshold", "one of 'none', 'full', 'fast'", weight_threshold)
    fast = "weight_threshold_fast" in edges.column_names
    if weight_threshold == "full":
        return "weight_threshold_full" if fast else "weight_threshold"
    if weight_threshold == "fast":
        if not fast:
            raise ParameterError(
                "weight_threshold",
                "'none' or 'full' for a network built without flag_speed_share (no fast edges)",
                weight_threshold,
            )
        return "weight_threshold_fast"
    return None


def account_stats(net: CompatNetwork, result: pa.Table, *, weight_threshold: str) -> pa.Table:
    """CooRTweet's ``account_stats``: per account, the mean edge time delta and symmetry score
    over its edges, and its distinct posts in the ``detect_groups`` result.

    As CooRTweet does, the means run over the *distinct* (account, time delta, symmetry) rows,
    so two edges of an account with equal values count once; ``unique_shares_count`` counts
    the result's posts of the account on either side (only the flagged rows for ``"fast"``),
    whatever the threshold; only accounts of the network are reported, sorted by id.
    """
    edges = net.edges
    column = _threshold_column(edges, weight_threshold)
    if column is not None:
        edges = edges.filter(pc.equal(edges.column(column), 1))
    fast = "weight_threshold_fast" in net.edges.column_names
    values = (
        [
            "avg_time_delta_full",
            "avg_time_delta_fast",
            "edge_symmetry_score_full",
            "edge_symmetry_score_fast",
        ]
        if fast
        else ["avg_time_delta", "edge_symmetry_score"]
    )
    rows: dict[tuple[str, tuple[float | None, ...]], None] = {}
    for end in ("account_id", "account_id_y"):
        for r in edges.select([end, *values]).to_pylist():
            rows[(r[end], tuple(r[v] for v in values))] = None
    sums: dict[str, list[list[float]]] = {}
    for name, vals in rows:
        acc = sums.setdefault(name, [[] for _ in values])
        for i, v in enumerate(vals):
            if v is not None and not np.isnan(v):
                acc[i].append(v)
    res = result
    if weight_threshold == "fast":
        flag = next(c for c in result.column_names if c.startswith("time_window_"))
        res = result.filter(pc.equal(result.column(flag), 1))
    shares: dict[str, set[str]] = {}
    for a, c in (
        (res.column("account_id").to_pylist(), res.column("content_id").to_pylist()),
        (res.column("account_id_y").to_pylist(), res.column("content_id_y").to_pylist()),
    ):
        for acc, post in zip(a, c, strict=True):
            shares.setdefault(acc, set()).add(post)
    names = sorted(n for n in sums if n in shares)
    out_names = (
        [
            "avg_time_delta_full",
            "avg_time_delta_fast",
            "avg_edge_symmetry_score_full",
            "avg_edge_symmetry_score_fast",
        ]
        if fast
        else ["avg_time_delta", "avg_edge_symmetry_score"]
    )
    data: dict[str, pa.Array] = {"account_id": pa.array(names, pa.string())}
    for i, col in enumerate(out_names):
        data[col] = pa.array(
            [float(np.mean(sums[n][i])) if sums[n][i] else None for n in names], pa.float64()
        )
    data["unique_shares_count"] = pa.array([len(shares[n]) for n in names], pa.int64())
    return pa.table(data)


def group_stats(net: CompatNetwork, *, weight_threshold: str) -> pa.Table:
    """CooRTweet's ``group_stats``: per object, ``num_accounts`` = the number of distinct
    ``from`` endpoints of the edges carrying it (igraph's ``from``: the endpoint numbered first,
    so not all accounts that shared it), sorted by it, descending. Needs ``objects=True``."""
    edges = net.edges
    ids_cols = [c for c in edges.column_names if c.startswith("object_ids")]
    if not ids_cols:
        raise ParameterError("net", "a network generated with objects=True", "no object_ids")
    column = _threshold_column(edges, weight_threshold)
    if column is not None:
        edges = edges.filter(pc.equal(edges.column(column), 1))
    ids_col = (
        ids_cols[0]
        if len(ids_cols) == 1
        else ("object_ids_fast" if weight_threshold == "fast" else "object_ids_full")
    )
    index = {n: i for i, n in enumerate(net.vertices.column("name").to_pylist())}
    froms: dict[str, set[str]] = {}
    for a, b, ids in zip(
        edges.column("account_id").to_pylist(),
        edges.column("account_id_y").to_pylist(),
        edges.column(ids_col).to_pylist(),
        strict=True,
    ):
        if ids is None:
            continue
        first = a if index[a] < index[b] else b
        for obj in ids.split(","):
            froms.setdefault(obj, set()).add(first)
    objs = list(froms)
    counts = [len(froms[o]) for o in objs]
    order = sorted(range(len(objs)), key=lambda i: -counts[i])  # stable, as setorder
    return pa.table(
        {
            "object_id": pa.array([objs[i] for i in order], pa.string()),
            "num_accounts": pa.array([counts[i] for i in order], pa.int64()),
        }
    )
