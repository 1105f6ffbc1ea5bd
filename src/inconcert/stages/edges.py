"""Stage 2: co-actions → candidate edges → kept edges.

Reads :class:`~inconcert.stages.Relations` ``coactions`` (and ``acts`` for TF-IDF weights);
creates ``edges``, one row per account pair, after dropping the pairs that cannot pass the
thresholds (:func:`prune`). :func:`finish` turns µs into seconds and timestamps, :func:`weigh`
adds the network weight, :func:`keep` applies the thresholds (events, occasions, q-value,
quantile).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import plan
from ..engine import Engine
from ..options import DetectOptions
from ..schema import TIMESTAMP_TYPE
from .relations import Relations

__all__ = ["build", "drop_working", "finish", "keep", "put_first", "quantile_type7", "weigh"]

MICROS = plan.MICROS


def prune(
    eng: Engine, rel: Relations, options: DetectOptions, summary: dict[str, Any]
) -> Relations:
    """The relations with ``coactions``: the co-actions by name, of two participants, of the
    pairs that can pass the edge thresholds. An edge's events and occasions are each at most
    its co-actions, so a pair with fewer co-actions than ``min_weight`` or ``min_occasions``
    can never be kept: a cheap grouped count over the coded co-actions finds them before the
    names come back and the distinct counts, the occasions and the null model run. (With
    ``edge_quantile``, CooRTweet's quantile of *all* edges' weights, nothing is pruned.)"""
    floor = (
        1 if options.edge_quantile is not None else max(options.min_weight, options.min_occasions)
    )
    pairs = eng.create("ic_cand", plan.candidate_pairs_sql(rel.coded, rel.participants, floor))
    count = eng.fetch(plan.participating_count_sql(rel.coded, rel.participants))
    summary["coactions"] = int(count.column("n")[0].as_py())
    n = eng.create("ic_cand_co", plan.candidate_coactions_sql(rel.coded, "ic_cand"))
    eng.drop("ic_cand")
    eng.drop(rel.coded)  # the run's largest relation: gone before the names come back
    eng.create(rel.coactions, plan.pair_coactions_sql("ic_cand_co", rel.actions))
    eng.drop("ic_cand_co")
    if floor > 1:
        summary["pairs_with_enough_coactions"] = pairs
        summary["coactions_of_those_pairs"] = n
    return rel


def drop_working(eng: Engine, rel: Relations) -> None:
    """Drop the candidate edges' relation (``rel.edges``) once the kept edges are known."""
    if rel.edges is not None:
        eng.drop(rel.edges)


def build(
    eng: Engine, rel: Relations, options: DetectOptions, summary: dict[str, Any]
) -> tuple[Relations, pa.Table]:
    """Prune, then aggregate the co-actions per pair into ``edges``; return the relations
    (with ``edges``) and the candidate edges in ``(account_a, account_b)`` order."""
    rel = prune(eng, rel, options, summary)
    name = "ic_edges"
    eng.create(
        name,
        plan.edges_sql(
            rel.coactions,
            options.kinds,
            eng.dialect,
            speeds=speeds_us(options),
            occasion_gap=round(options.occasion_gap * MICROS),
        ),
    )
    return replace(rel, edges=name), eng.fetch(plan.sorted_sql(name, "account_a", "account_b"))


def speeds_us(options: DetectOptions) -> dict[str, int]:
    """Speed column suffix -> µs, for the speeds not above the window."""
    return {_speed_label(s): round(s * MICROS) for s in options.speeds}


def _speed_label(seconds: float) -> str:
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{seconds:g}s".replace(".", "_")


def finish(edges: pa.Table) -> pa.Table:
    """Seconds and timestamps for the µs columns; the per-account symmetry score after
    ``posts_b``."""
    pa_ = edges.column("posts_a").to_numpy().astype(np.float64)
    pb_ = edges.column("posts_b").to_numpy().astype(np.float64)
    sym = np.where(np.maximum(pa_, pb_) > 0, np.minimum(pa_, pb_) / np.maximum(pa_, pb_), 0.0)
    out = {}
    for name in edges.column_names:
        col = edges.column(name)
        if name in ("mean_dt", "min_dt", "max_dt"):
            out[f"{name}_s"] = pc.divide(pc.cast(col, pa.float64()), float(MICROS))
        elif name in ("first_t", "last_t"):
            out[name.replace("_t", "_time")] = pc.cast(col, TIMESTAMP_TYPE)
        else:
            out[name] = col
        if name == "posts_b":
            out["edge_symmetry_score"] = pa.array(sym, pa.float64())
    return pa.table(out)


def weigh(eng: Engine, rel: Relations, edges: pa.Table, options: DetectOptions) -> pa.Table:
    """Add ``tfidf_cosine`` (when asked for) and ``weight``, the network weight chosen by
    ``options.weight_by``, right after the account columns."""
    if options.weight_by == "tfidf" and edges.num_rows and rel.edges is not None:
        named = plan.named_sql(rel.acts, rel.actions, ("account_id", "object_id"))
        terms = eng.fetch(plan.tfidf_terms_sql(named, rel.edges))
        norms = eng.fetch(plan.tfidf_norms_sql(named))
        names = pc.unique(norms.column("account_id"))
        sq = np.zeros(len(names))
        np.add.at(
            sq,
            pc.index_in(norms.column("account_id"), names).to_numpy(zero_copy_only=False),
            norms.column("sq").to_numpy(),
        )
        keys = pc.binary_join_element_wise(
            edges.column("account_a"), edges.column("account_b"), "\x1f"
        )
        tkeys = pc.binary_join_element_wise(
            terms.column("account_a"), terms.column("account_b"), "\x1f"
        )
        dot = np.zeros(edges.num_rows)
        np.add.at(
            dot,
            pc.index_in(tkeys, keys).to_numpy(zero_copy_only=False),
            terms.column("term").to_numpy(),
        )
        na = np.sqrt(
            sq[pc.index_in(edges.column("account_a"), names).to_numpy(zero_copy_only=False)]
        )
        nb = np.sqrt(
            sq[pc.index_in(edges.column("account_b"), names).to_numpy(zero_copy_only=False)]
        )
        cos = np.where(na * nb > 0, dot / np.maximum(na * nb, 1e-300), 0.0)
        edges = edges.append_column("tfidf_cosine", pa.array(np.round(cos, 12), pa.float64()))
    source = {
        "events": "events",
        "coactions": "coactions",
        "objects": "objects",
        "tfidf": "tfidf_cosine",
    }[options.weight_by]
    weight = (
        pc.cast(edges.column(source), pa.float64())
        if source == "tfidf_cosine"
        else edges.column(source)
    )
    return put_first(edges, {"weight": weight})


def keep(edges: pa.Table, options: DetectOptions) -> pa.Table:
    """The edges that pass the thresholds: events ≥ ``min_weight``, occasions ≥
    ``min_occasions``, q-value ≤ ``max_q`` (when set) and weight above the ``edge_quantile``
    (when set)."""
    if edges.num_rows == 0:
        return edges
    mask = pc.and_(
        pc.greater_equal(edges.column("events"), options.min_weight),
        pc.greater_equal(edges.column("occasions"), options.min_occasions),
    )
    if options.max_q is not None:
        mask = pc.and_(mask, pc.less_equal(edges.column("q_value"), options.max_q))
    if options.edge_quantile is not None:
        cut = quantile_type7(
            edges.column("weight").to_numpy(zero_copy_only=False), options.edge_quantile
        )
        mask = pc.and_(mask, pc.greater(edges.column("weight"), cut))
    return edges.filter(mask)


def quantile_type7(values: Sequence[float] | np.ndarray, q: float) -> float:
    """R's default (type 7) quantile: linear interpolation between order statistics."""
    arr = np.sort(np.asarray(values, dtype=np.float64))
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return float("nan")
    h = (arr.size - 1) * q
    lo = int(np.floor(h))
    hi = min(lo + 1, arr.size - 1)
    return float(arr[lo] + (h - lo) * (arr[hi] - arr[lo]))


def put_first(table: pa.Table, columns: Mapping[str, pa.Array | pa.ChunkedArray]) -> pa.Table:
    """``table`` with ``columns`` right after ``account_a, account_b``."""
    names = ["account_a", "account_b"]
    data: dict[str, Any] = {n: table.column(n) for n in names}
    data.update(columns)
    for n in table.column_names:
        if n not in data:
            data[n] = table.column(n)
    return pa.table(data)
