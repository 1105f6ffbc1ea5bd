"""Stage 3: the null model on the candidate edges: expected co-actions, p- and q-values.

Reads :class:`~inconcert.stages.Relations` ``acts``, ``near``, ``coactions`` and ``edges``
(and ``actions``, for the referenced posts' objects and the permutation test's account names),
and the posts relation (:mod:`.posts`, for the source term); returns the candidate edges with
``expected_coactions``, ``expected_by_source``, ``expected_by_habit``, ``p_value`` and
``q_value``, and optionally ``p_permutation``. The model, its formulas and its numerics are in
:mod:`inconcert.significance`; this module only fetches what they need, in a fixed order, so
the result does not depend on the engine's parallel summation order.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import plan
from .._arrow import coded_values
from ..engine import Engine
from ..options import DetectOptions
from ..progress import Progress
from ..significance import (
    HABIT_BIN_FLOOR_S,
    LATENCY_BINS,
    POOL_PERIOD_ACTIONS,
    bh_qvalues,
    habit_window_share,
    permutation_pvalues,
    poisson_sf,
    pool_day,
    source_expectation,
    timing_probability,
)
from .posts import Posts
from .relations import Relations

__all__ = ["add_pvalues", "expected", "permutation", "pool_days_us"]

MICROS = plan.MICROS

#: The candidate edges numbered in account order (:func:`inconcert.plan.edge_ids_sql`): made
#: once by :func:`expected` (checked against the edge count), read by each term's joins.
EDGE_IDS = "ic_edge_ids"


def add_pvalues(edges: pa.Table) -> pa.Table:
    """``p_value`` (Poisson, at least the observed co-actions given ``expected_coactions``)
    and ``q_value`` (Benjamini–Hochberg over these edges)."""
    lam = np.nan_to_num(
        edges.column("expected_coactions").to_numpy(zero_copy_only=False).astype(np.float64)
    )
    k = edges.column("coactions").to_numpy().astype(np.float64)
    p = poisson_sf(k, lam)
    edges = edges.set_column(
        edges.column_names.index("expected_coactions"),
        "expected_coactions",
        pa.array(lam, pa.float64()),
    )
    edges = edges.append_column("p_value", pa.array(p, pa.float64()))
    return edges.append_column("q_value", pa.array(bh_qvalues(p), pa.float64()))


def expected(
    eng: Engine, rel: Relations, edges: pa.Table, posts: Posts | None, options: DetectOptions
) -> pa.Table:
    """``edges`` (``rel.edges`` in account order) with the null model's expected co-actions (see
    :mod:`inconcert.significance`): per kind and direction the larger of the pool term and,
    for reposts, quotes and replies of posts in ``posts``, the source term. Every float sum
    runs here in a fixed order, so the result does not depend on the engine's parallel
    summation order."""
    lam = np.zeros(edges.num_rows)
    by_source = np.zeros(edges.num_rows)
    by_habit = np.zeros(edges.num_rows)
    if edges.num_rows:
        # the edges numbered once, in account order, for the three terms' joins
        made = eng.create(EDGE_IDS, plan.edge_ids_sql(str(rel.coactions)))
        if made != edges.num_rows:
            raise RuntimeError(f"{made} account pairs in the co-actions for {edges.num_rows} edges")
        pools = _pool_terms(eng, rel, edges.num_rows, options)
        kinds = [
            c.removesuffix("_coactions") for c in edges.column_names if c.endswith("_coactions")
        ]
        sources = _source_terms(eng, rel, posts, kinds, edges.num_rows)
        habits = _habit_terms(eng, rel, edges.num_rows, options)
        eng.drop(EDGE_IDS)
        for name in sorted(set(pools) | set(sources) | set(habits)):
            zero = (np.zeros(edges.num_rows), np.zeros(edges.num_rows))
            ab, ba = pools.get(name, zero)
            if name in sources:
                src_ab, src_ba = sources[name]
                ab, ba = np.maximum(ab, src_ab), np.maximum(ba, src_ba)
                by_source += (src_ab + src_ba) / 2
            if name in habits:
                hab_ab, hab_ba = habits[name]
                ab, ba = np.maximum(ab, hab_ab), np.maximum(ba, hab_ba)
                by_habit += (hab_ab + hab_ba) / 2
            lam += (ab + ba) / 2
    return (
        edges.append_column("expected_coactions", pa.array(lam, pa.float64()))
        .append_column("expected_by_source", pa.array(by_source, pa.float64()))
        .append_column("expected_by_habit", pa.array(by_habit, pa.float64()))
    )


def pool_days_us(options: DetectOptions) -> tuple[dict[str, int], int]:
    """The pool term's days in µs (:func:`inconcert.significance.pool_day`): of the kinds with
    their own window, and of the others."""
    days = {k: pool_day(w) * MICROS for k, w in sorted(options.windows.items())}
    return days, pool_day(float(options.window)) * MICROS


def _pool_terms(
    eng: Engine, rel: Relations, n_edges: int, options: DetectOptions
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The pool term per kind, A→B and B→A per edge (:mod:`inconcert.significance`):
    ``Σ_p n_B,p · E_A¬B,p / N_p`` over the periods in which both accounts acted."""
    days, default = pool_days_us(options)
    eng.create(
        "ic_pool_days",
        plan.pool_days_sql(rel.acts, eng.dialect, days, default, POOL_PERIOD_ACTIONS),
    )
    eng.create(
        "ic_pool_activity",
        plan.pool_activity_sql(
            rel.acts, rel.near, EDGE_IDS, "ic_pool_days", eng.dialect, days, default
        ),
    )
    eng.create(
        "ic_pool_exposure",
        plan.pool_exposure_sql(
            "ic_pool_activity",
            EDGE_IDS,
            rel.coactions,
            "ic_pool_days",
            eng.dialect,
            days,
            default,
        ),
    )
    # One row per edge, side, kind and period: at millions of edges, tens of millions of rows
    # (1.2 GB at 5.6M posts), so they come a batch at a time while DuckDB keeps the rest.
    # One sum per (kind, side, edge), each over its periods in time order (the rows' order):
    # ``np.add.at`` adds row by row in that order, as one ``np.bincount`` over all rows would.
    sums: dict[str, np.ndarray] = {}
    for rows in eng.fetch_batches(plan.pool_terms_sql("ic_pool_exposure", "ic_pool_activity")):
        term = (
            rows.column("ex").to_numpy().astype(np.float64)
            * rows.column("ny").to_numpy().astype(np.float64)
            / rows.column("nt").to_numpy().astype(np.float64)
        )
        side = rows.column("side").to_numpy().astype(np.int64)
        slot = side * n_edges + rows.column("e").to_numpy().astype(np.int64)
        codes, kinds = coded_values(rows.column("kind"))
        for code, kind in enumerate(kinds.to_pylist()):
            mine = codes == code
            np.add.at(sums.setdefault(kind, np.zeros(2 * n_edges)), slot[mine], term[mine])
    for name in ("ic_pool_exposure", "ic_pool_activity", "ic_pool_days"):
        eng.drop(name)
    return {kind: (s[:n_edges], s[n_edges:]) for kind, s in sorted(sums.items())}


def _habit_terms(
    eng: Engine, rel: Relations, n_edges: int, options: DetectOptions
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The habit term per kind, A→B and B→A per edge (:mod:`inconcert.significance`):
    ``Σ_o Σ_h x_h · (n_Y,o - k_Y,o) · f_o,h · 2w / Δ`` with ``f_o,h`` the object's share of
    its other actions in time bin ``h`` of width ``Δ = max(1 h, 4w)``."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    rows = eng.fetch(
        plan.habit_terms_sql(
            rel.acts, EDGE_IDS, rel.coactions, eng.dialect, HABIT_BIN_FLOOR_S * MICROS
        )
    )
    for kind in sorted(pc.unique(rows.column("kind")).to_pylist()):
        sub = rows.filter(pc.equal(rows.column("kind"), kind))
        w = options.window_for(kind)
        share = habit_window_share(w)
        sides = []
        for side in (0, 1):
            part = sub.filter(pc.equal(sub.column("side"), side))
            term = (
                part.column("num").to_numpy().astype(np.float64)
                / part.column("den").to_numpy().astype(np.float64)
                * share
            )
            sides.append(np.bincount(part.column("e").to_numpy(), term, n_edges))
        out[kind] = (sides[0], sides[1])
    return out


def _source_terms(
    eng: Engine, rel: Relations, posts: Posts | None, kinds: list[str], n_edges: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The source term of the null model per kind with sources, A→B and B→A per edge (in
    account order): ``Σ_S n_A,S · π_B,S¬A · P_t(A, B)`` (:mod:`inconcert.significance`)."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if posts is None or not posts.rows or not set(kinds) & set(plan.SOURCE_KINDS):
        return out
    eng.create("ic_sources", plan.sources_sql(rel.actions, posts.name))
    if eng.create("ic_source_objects", plan.source_objects_sql(rel.acts, "ic_sources")):
        eng.create(
            "ic_pair_sources",
            plan.pair_sources_sql("ic_source_objects", EDGE_IDS, rel.coactions, "ic_sources"),
        )
        pairs = eng.fetch(plan.source_affinity_sql("ic_source_objects", "ic_pair_sources"))
        eng.drop("ic_pair_sources")
        timing = _timing(eng, rel, pairs, n_edges, "ic_sources", EDGE_IDS)
        for kind in sorted(pc.unique(pairs.column("kind")).to_pylist()):
            sub = pairs.filter(pc.equal(pairs.column("kind"), kind))
            edge = sub.column("e").to_numpy()
            order = np.lexsort((sub.column("g_a").to_numpy(), edge))  # a fixed summing order
            c = {k: sub.column(k).to_numpy()[order] for k in ("c", "n_a", "n_b", "n_s")}
            p_t = timing[kind][edge[order]]
            ab = source_expectation(c["n_a"], c["n_b"], c["n_s"], c["c"], p_t)
            ba = source_expectation(c["n_b"], c["n_a"], c["n_s"], c["c"], p_t)
            out[kind] = (
                np.bincount(edge[order], ab, n_edges),
                np.bincount(edge[order], ba, n_edges),
            )
    eng.drop("ic_source_objects")
    eng.drop("ic_sources")
    return out


def _timing(
    eng: Engine, rel: Relations, pairs: pa.Table, n_edges: int, sources: str, edge_ids: str
) -> dict[str, np.ndarray]:
    """Per kind, per edge: ``P_t``, the chance that the two accounts, each acting at its own
    usual latency after the referenced posts (its latency histogram without the objects the
    pair co-acted on, plus :data:`~inconcert.significance.TIMING_PRIOR` pseudo-actions of
    the population's profile), act within one window of each other."""
    bins = LATENCY_BINS
    eng.create("ic_latency", plan.latency_bins_sql(rel.acts, sources, bins))
    hist = eng.fetch(plan.latency_histogram_sql("ic_latency"))
    evidence = eng.fetch(plan.pair_latency_sql("ic_latency", edge_ids, rel.coactions))
    eng.drop("ic_latency")
    out: dict[str, np.ndarray] = {}
    for kind in sorted(pc.unique(pairs.column("kind")).to_pylist()):
        h = hist.filter(pc.equal(hist.column("kind"), kind))
        names = pc.unique(h.column("acc"))
        acc = pc.index_in(h.column("acc"), names).to_numpy(zero_copy_only=False)
        per_account = np.zeros((len(names), bins))
        np.add.at(per_account, (acc, h.column("bin").to_numpy()), h.column("n").to_numpy())
        prior = per_account.sum(axis=0)
        # each side's own histogram, less its actions on the objects co-acted on
        left = np.zeros((n_edges, bins))
        right = np.zeros((n_edges, bins))
        sub = pairs.filter(pc.equal(pairs.column("kind"), kind))
        ea = sub.column("e").to_numpy()
        edges = np.unique(ea)
        ia = pc.index_in(sub.column("acc_a"), names).to_numpy(zero_copy_only=False)
        ib = pc.index_in(sub.column("acc_b"), names).to_numpy(zero_copy_only=False)
        left[ea] = per_account[ia]
        right[ea] = per_account[ib]
        ev = evidence.filter(pc.equal(evidence.column("kind"), kind))
        e_ = ev.column("e").to_numpy()
        side = ev.column("side").to_numpy()
        b_ = ev.column("bin").to_numpy()
        n_ = ev.column("n").to_numpy().astype(np.float64)
        np.subtract.at(left, (e_[side == 0], b_[side == 0]), n_[side == 0])
        np.subtract.at(right, (e_[side == 1], b_[side == 1]), n_[side == 1])
        p = np.zeros(n_edges)
        p[edges] = timing_probability(left[edges], right[edges], prior)
        out[kind] = p
    return out


def permutation(
    eng: Engine, rel: Relations, edges: pa.Table, options: DetectOptions, progress: Progress
) -> pa.Table:
    """``p_permutation`` per candidate edge (see :func:`inconcert.significance.
    permutation_pvalues`): the same pairs of actions, account labels shuffled within kind and
    pool period."""
    pairs = eng.fetch(plan.action_pairs_sql(rel.paired, eng.dialect))
    days, default = pool_days_us(options)
    eng.create(
        "ic_perm_days",
        plan.pool_days_sql(rel.paired, eng.dialect, days, default, POOL_PERIOD_ACTIONS),
    )
    acts = eng.fetch(
        plan.action_periods_sql(
            plan.named_sql(rel.paired, rel.actions, ("account_id",)),
            "ic_perm_days",
            eng.dialect,
            days,
            default,
        )
    )
    eng.drop("ic_perm_days")
    ids = acts.column("action_id").to_numpy()
    pos = np.full(int(ids.max(initial=-1)) + 1, -1, dtype=np.int64)
    pos[ids] = np.arange(ids.size)
    names = pc.unique(
        pa.concat_arrays(
            [
                acts.column("account_id").combine_chunks(),
                edges.column("account_a").combine_chunks(),
                edges.column("account_b").combine_chunks(),
            ]
        )
    ).sort()
    code = pc.index_in(acts.column("account_id"), names).to_numpy(zero_copy_only=False)
    # labels are shuffled within each kind and pool period
    kinds = pc.index_in(acts.column("kind"), pc.unique(acts.column("kind"))).to_numpy(
        zero_copy_only=False
    )
    _, stratum = np.unique(
        np.stack([kinds.astype(np.int64), acts.column("p").to_numpy()]),
        axis=1,
        return_inverse=True,
    )
    _, p = permutation_pvalues(
        pos[pairs.column("x_action").to_numpy()],
        pos[pairs.column("y_action").to_numpy()],
        code.astype(np.int64),
        stratum.reshape(-1).astype(np.int64),
        pc.index_in(edges.column("account_a"), names)
        .to_numpy(zero_copy_only=False)
        .astype(np.int64),
        pc.index_in(edges.column("account_b"), names)
        .to_numpy(zero_copy_only=False)
        .astype(np.int64),
        permutations=options.permutations,
        seed=options.seed,
        progress=lambda done, total: progress("permutations", done, total),
    )
    return edges.append_column("p_permutation", pa.array(p, pa.float64()))
