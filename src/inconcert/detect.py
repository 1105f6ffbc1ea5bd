"""The detection run: actions → co-actions → edges → groups → evidence.

:func:`detect_actions` is the core on an actions table; :func:`detect` reads inputs first.
Every relational step is SQL from :mod:`inconcert.plan` run by an engine; the graph step runs in
igraph; the results are Arrow tables ready for :mod:`inconcert.outputs`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import plan
from .actions import ActionStats, posts_to_actions
from .compat import coortweet
from .engine import Engine, open_engine
from .errors import InputError
from .network import edge_groups, partition
from .options import DetectOptions
from .progress import Progress, null_progress
from .schema import ACTION_SCHEMA, ALL_KINDS, TIMESTAMP_TYPE
from .scoring import account_scores, apply_group_ids, group_scores, renumber_groups
from .significance import (
    HABIT_BIN_FLOOR_S,
    LATENCY_BINS,
    bh_qvalues,
    habit_window_share,
    permutation_pvalues,
    poisson_sf,
    source_expectation,
    timing_probability,
)
from .summaries import Similar, accounts_table, evidence_table, groups_table
from .window import WindowEstimate, estimate_window

if TYPE_CHECKING:
    from .ingest import Ingested

__all__ = ["DetectResult", "detect", "detect_actions"]

MICROS = plan.MICROS


@dataclass
class DetectResult:
    """Everything a run produced (see the README for every column).

    ``edges``: kept edges; ``accounts``: one row per account in the network; ``groups``: one
    row per group, ranked; ``evidence``: every co-action behind every kept edge; ``summary``:
    counts for the manifest; ``warnings``: plain-language notes (burst cap applied, ...).
    """

    options: DetectOptions
    edges: pa.Table
    accounts: pa.Table
    groups: pa.Table
    evidence: pa.Table
    summary: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    ingested: Ingested | None = None
    window_estimate: WindowEstimate | None = None


class _Timer:
    def __init__(self, progress: Progress) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    def stage(self, name: str) -> _Stage:
        return _Stage(self, name)


class _Stage:
    def __init__(self, timer: _Timer, name: str) -> None:
        self.timer, self.name = timer, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()
        self.timer.progress(self.name, 0, 1)

    def __exit__(self, *exc: object) -> None:
        self.timer.timings[self.name] = round(time.perf_counter() - self.start, 4)
        self.timer.progress(self.name, 1, 1)


def detect(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    options: DetectOptions | None = None,
    mapping: Mapping[str, str] | None = None,
    objects: Mapping[str, str] | None = None,
    shape: str = "auto",
    progress: Progress = null_progress,
    engine: Engine | None = None,
) -> DetectResult:
    """Read posts or actions from files and find accounts acting in concert.

    Parameters
    ----------
    inputs:
        CSV (plain or .gz), JSON Lines (plain or .gz) or Parquet files, or folders of them.
    options:
        :class:`inconcert.DetectOptions`; the defaults suit a first look.
    mapping, objects, shape:
        Passed to :func:`inconcert.ingest.read_inputs` (rename columns; wide object columns).
    progress:
        Called as ``progress(stage, done, total)``.
    """
    from .ingest import read_inputs

    options = options or DetectOptions()
    timer = _Timer(progress)
    with timer.stage("read"):
        ingested = read_inputs(inputs, mapping=mapping, objects=objects, shape=shape,
                               progress=progress)
    posts = ingested.table if ingested.shape == "posts" else None
    stats = ActionStats()
    with timer.stage("actions"):
        if posts is not None:
            actions, stats = posts_to_actions(
                posts, options.kinds, min_text_chars=options.min_text_chars,
                strip_hashtags=options.strip_hashtags, similarity=options.similarity,
                paraphrase_similarity=options.paraphrase_similarity, seed=options.seed,
            )
        else:
            actions = ingested.table
            present = set(pc.unique(actions.column("kind")).to_pylist())
            unknown = sorted(present - set(ALL_KINDS))
            if unknown:
                raise InputError(
                    ingested.files[0].path if len(ingested.files) == 1 else None,
                    f"unknown kind(s) in the actions table: {', '.join(map(repr, unknown))}",
                    hint=f"kinds are {', '.join(ALL_KINDS)}",
                )
            if not _kinds_chosen(options):
                # A ready-made actions table brings its own kinds: compare all of them.
                options = replace(options, kinds=tuple(sorted(present)) or options.kinds)
            wanted = sorted(set(options.kinds) & present)
            actions = actions.filter(pc.is_in(actions.column("kind"), pa.array(wanted,
                                                                            pa.string())))
            stats.posts = len(pc.unique(actions.column("post_id")))
            stats.posts_with_actions = stats.posts
            counts = actions.group_by("kind").aggregate([("post_id", "count")]).to_pylist()
            stats.actions_by_kind = {r["kind"]: r["post_id_count"] for r in counts}
    result = detect_actions(actions, options=options, posts=posts, progress=progress,
                            engine=engine, similar=stats.clusters, _timer=timer)
    result.ingested = ingested
    result.summary["actions"] = stats.as_dict()
    return result


def _kinds_chosen(options: DetectOptions) -> bool:
    return options.kinds != DetectOptions().kinds


def detect_actions(
    actions: pa.Table,
    *,
    options: DetectOptions | None = None,
    posts: pa.Table | None = None,
    progress: Progress = null_progress,
    engine: Engine | None = None,
    similar: Mapping[str, Similar] | None = None,
    _timer: _Timer | None = None,
) -> DetectResult:
    """Find accounts acting in concert from an actions table (:data:`ACTION_SCHEMA`).

    ``posts``, when given, adds each post's text to the evidence. ``similar`` (for the kinds
    ``neartext`` and ``paraphrase``, the clusters of those posts' texts, by post row) lets their
    co-actions be checked pair by pair: two posts of one cluster co-act only when their own
    texts are at least ``options.similarity`` (``options.paraphrase_similarity``) alike, since
    clusters can chain; the evidence gives that similarity.
    """
    options = options or DetectOptions()
    timer = _timer or _Timer(progress)
    own = engine is None
    eng = engine or open_engine("duckdb", memory_limit=options.memory_limit,
                                threads=options.threads)
    warnings: list[str] = []
    summary: dict[str, Any] = {}
    try:
        actions = actions.select(ACTION_SCHEMA.names).cast(ACTION_SCHEMA)
        pair_source = "ic_acts"
        estimate = None
        if options.window == "auto":
            with timer.stage("window"):
                eng.load("ic_actions", _with_time(actions))
                eng.create("ic_auto", _prefilter_sql("ic_actions", options.min_participation))
                estimate = estimate_window(eng, "ic_auto")
                eng.drop("ic_auto")
                options = replace(options, window=estimate.window)
                summary["window_estimate"] = estimate.as_dict()
                if estimate.fallback:
                    warnings.append(
                        "--window auto found no excess of fast co-actions over independent "
                        f"activity; the window falls back to {estimate.window:g} s."
                    )
        with timer.stage("co-actions"):
            if options.compat == "coortweet":
                compat_rows = _coortweet_coactions(eng, actions, options)
            else:
                pair_source = _coactions(eng, actions, options, warnings, summary,
                           _NearCheck(similar, posts) if similar and posts is not None
                           else None)
        with timer.stage("edges"):
            if options.compat == "coortweet":
                edges = _coortweet_edges(compat_rows, options, eng)
            else:
                _prune(eng, options, summary)
                eng.create("ic_edges", plan.edges_sql(
                    "ic_coactions", options.kinds, eng.dialect, speeds=_speeds_us(options),
                    occasion_gap=round(options.occasion_gap * MICROS)))
                with timer.stage("significance"):
                    edges = eng.fetch("SELECT * FROM ic_edges ORDER BY account_a, account_b")
                    if options.significance:
                        edges = _null_model(eng, edges, posts, options)
                    edges = _finish_edges(edges)
                edges = _weigh(eng, edges, options)
            summary["edges_before_threshold"] = edges.num_rows
            edges_all = edges
            if options.permutations and options.compat is None and edges.num_rows:
                edges = _permutation_test(eng, edges, pair_source, options, progress)
            before = edges.num_rows
            edges = _threshold(edges, options)
            summary["edges"] = edges.num_rows
            if before and not edges.num_rows and options.max_q is not None:
                passing = _threshold(edges_all, replace(options, max_q=None)).num_rows
                if passing:
                    warnings.append(
                        f"{passing:,} pairs met the weight and occasion thresholds, but none "
                        f"is beyond chance at q <= {options.max_q:g}: the null model has "
                        "little power on small inputs. --max-q 0.05 (or 1, no filter) shows "
                        "them."
                    )
        with timer.stage("groups"):
            part = partition(edges, method=options.community, resolution=options.resolution,
                             seed=options.seed)
            group, component = edge_groups(edges, part.accounts)
            edges = _put_first(edges, {"group_id": group, "component_id": component})
        with timer.stage("evidence"):
            evidence = evidence_table(eng, edges, posts, options,
                                 near_checked="text_pairs_below_similarity" in summary)
            accounts = accounts_table(eng, part.accounts, evidence)
            groups = groups_table(eng, edges, accounts, evidence, similar or {})
            edges, accounts, groups, evidence = _rank(edges, accounts, groups, evidence)
        summary["accounts"] = accounts.num_rows
        summary["groups"] = groups.num_rows
        summary["coactions_in_evidence"] = evidence.num_rows
        return DetectResult(options=options, edges=edges, accounts=accounts, groups=groups,
                            evidence=evidence, summary=summary, warnings=warnings,
                            timings=timer.timings, window_estimate=estimate)
    finally:
        if own:
            eng.close()


def _rank(
    edges: pa.Table, accounts: pa.Table, groups: pa.Table, evidence: pa.Table
) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """Score groups and accounts (:mod:`inconcert.scoring`) and renumber groups by score."""
    groups = group_scores(edges, accounts, groups)
    mapping = renumber_groups(groups)
    groups = apply_group_ids(groups, mapping).sort_by("group_id")
    edges = apply_group_ids(edges, mapping)
    accounts = apply_group_ids(accounts, mapping)
    accounts = accounts.append_column("score", account_scores(edges, accounts)).sort_by(
        [("group_id", "ascending"), ("account_id", "ascending")])
    evidence = apply_group_ids(evidence, mapping).sort_by("group_id")  # stable: keeps order
    return edges, accounts, groups, evidence


def _permutation_test(eng: Engine, edges: pa.Table, source: str, options: DetectOptions,
                      progress: Progress) -> pa.Table:
    """``p_permutation`` per candidate edge (see :func:`inconcert.significance.
    permutation_pvalues`): the same pairs of actions, account labels shuffled within kind."""
    pairs = eng.fetch(
        "SELECT x_action, y_action FROM ("
        + plan.pairs_sql(source, eng.dialect, distinct_accounts=False)
        + ") p ORDER BY x_action, y_action"
    )
    acts = eng.fetch(f"SELECT action_id, account_id, kind FROM {source} ORDER BY action_id")
    ids = acts.column("action_id").to_numpy()
    pos = np.full(int(ids.max(initial=-1)) + 1, -1, dtype=np.int64)
    pos[ids] = np.arange(ids.size)
    names = pc.unique(pa.concat_arrays([
        acts.column("account_id").combine_chunks(),
        edges.column("account_a").combine_chunks(),
        edges.column("account_b").combine_chunks(),
    ])).sort()
    code = pc.index_in(acts.column("account_id"), names).to_numpy(zero_copy_only=False)
    kinds = pc.index_in(acts.column("kind"), pc.unique(acts.column("kind"))).to_numpy(
        zero_copy_only=False)
    _, p = permutation_pvalues(
        pos[pairs.column("x_action").to_numpy()], pos[pairs.column("y_action").to_numpy()],
        code.astype(np.int64), kinds.astype(np.int64),
        pc.index_in(edges.column("account_a"), names).to_numpy(zero_copy_only=False)
        .astype(np.int64),
        pc.index_in(edges.column("account_b"), names).to_numpy(zero_copy_only=False)
        .astype(np.int64),
        permutations=options.permutations, seed=options.seed,
        progress=lambda done, total: progress("permutations", done, total),
    )
    return edges.append_column("p_permutation", pa.array(p, pa.float64()))


def _with_time(actions: pa.Table) -> pa.Table:
    t = pc.cast(pc.cast(actions.column("timestamp"), TIMESTAMP_TYPE), pa.int64())
    return pa.table(
        {
            "action_id": pa.array(np.arange(actions.num_rows, dtype=np.int64)),
            "account_id": actions.column("account_id"),
            "kind": actions.column("kind"),
            "object_id": actions.column("object_id"),
            "post_id": actions.column("post_id"),
            "t": t,
        }
    )


@dataclass(frozen=True)
class _NearCheck:
    clusters: Mapping[str, Similar]  # kind -> clusters of that kind
    posts: pa.Table


def _check_similar(eng: Engine, near: _NearCheck, options: DetectOptions,
                   summary: dict[str, Any]) -> None:
    """Keep a ``neartext``/``paraphrase`` co-action only when the two posts' own texts are
    alike (clusters can chain); record every such pair's similarity in ``ic_similarity``."""
    ids = near.posts.column("post_id")
    parts = []
    for kind, clusters in sorted(near.clusters.items()):
        rows = eng.fetch(
            f"SELECT DISTINCT post_a, post_b FROM ic_co WHERE kind = {plan.quote(kind)} "
            "ORDER BY post_a, post_b"
        )
        ia = pc.index_in(rows.column("post_a"), ids).to_numpy(zero_copy_only=False)
        ib = pc.index_in(rows.column("post_b"), ids).to_numpy(zero_copy_only=False)
        sim = clusters.similarity(ia, ib) if rows.num_rows else np.zeros(0)
        threshold = options.similarity if kind == "neartext" else options.paraphrase_similarity
        parts.append(pa.table({
            "kind": pa.array([kind] * rows.num_rows, pa.string()),
            "post_a": rows.column("post_a"), "post_b": rows.column("post_b"),
            "similarity": pa.array(sim, pa.float64()),
            "threshold": pa.array([float(threshold)] * rows.num_rows, pa.float64()),
        }))
    eng.load("ic_similarity", pa.concat_tables(parts))
    dropped = eng.create(
        "ic_sim_low",
        "SELECT kind, post_a, post_b FROM ic_similarity "
        "WHERE NOT (similarity >= threshold - 1e-12)",
    )
    summary["text_pairs_below_similarity"] = dropped
    if dropped:
        eng.create(
            "ic_co_checked",
            """
SELECT c.* FROM ic_co c
WHERE NOT EXISTS (
    SELECT 1 FROM ic_sim_low l
    WHERE l.kind = c.kind AND l.post_a = c.post_a AND l.post_b = c.post_b)
""",
        )
        eng.drop("ic_co")
        eng.create("ic_co", "SELECT * FROM ic_co_checked")
        eng.drop("ic_co_checked")


def _coactions(
    eng: Engine, actions: pa.Table, options: DetectOptions, warnings: list[str],
    summary: dict[str, Any], near: _NearCheck | None = None,
) -> str:
    """Build ``ic_coactions`` in the engine (inconcert's semantics); return the name of the
    table of actions that were paired."""
    eng.load("ic_actions", _with_time(actions))
    kinds = sorted(set(pc.unique(actions.column("kind")).to_pylist()))
    windows_us = {k: round(options.window_for(k) * MICROS) for k in kinds}
    default_us = round(float(options.window) * MICROS)
    mp = options.min_participation
    summary["actions"] = actions.num_rows
    n = eng.create(
        "ic_acts",
        _prefilter_sql("ic_actions", mp, plan.window_case_sql(windows_us, default_us, "a.kind")),
    )
    summary["actions_after_min_participation"] = n
    src = "ic_acts"
    # every action's count of actions on its object within ±window (itself included): the
    # burst cap and the null model's exposure both read it
    eng.create("ic_near", plan.burst_counts_sql("ic_acts", list(windows_us.values())))
    if options.max_burst is not None:
        dense = eng.create(
            "ic_dense",
            f"SELECT action_id FROM ic_near WHERE n_near - 1 > {int(options.max_burst)}",
        )
        summary["actions_in_bursts"] = dense
        if dense:
            top = eng.fetch(
                """
SELECT a.kind, a.object_id, COUNT(*) AS n FROM ic_acts a
JOIN ic_dense d ON a.action_id = d.action_id
GROUP BY a.kind, a.object_id ORDER BY n DESC, a.kind, a.object_id LIMIT 3
"""
            ).to_pylist()
            examples = ", ".join(f"{r['kind']} {r['object_id']!r} ({r['n']})" for r in top)
            warnings.append(
                f"{dense:,} actions in dense bursts (more than {options.max_burst:,} other "
                f"actions on the same object within the window) were left out of pairing, "
                f"e.g. {examples}. Raise --max-burst to include them (cost grows with the "
                f"square of a burst's size)."
            )
            eng.create(
                "ic_src",
                "SELECT a.* FROM ic_acts a "
                "WHERE a.action_id NOT IN (SELECT action_id FROM ic_dense)",
            )
            src = "ic_src"
    pairs = eng.create("ic_pairs", plan.pairs_sql(src, eng.dialect, distinct_accounts=True))
    summary["coactions_before_min_participation"] = pairs
    eng.create("ic_co", plan.coactions_sql("ic_pairs"))
    eng.drop("ic_pairs")
    if near is not None and near.clusters:
        _check_similar(eng, near, options, summary)
    eng.create("ic_part", plan.participation_sql("ic_co", mp))
    n_co = eng.create(
        "ic_coactions",
        """
SELECT c.* FROM ic_co c
WHERE c.account_a IN (SELECT account_id FROM ic_part)
  AND c.account_b IN (SELECT account_id FROM ic_part)
""",
    )
    summary["coactions"] = n_co
    eng.drop("ic_co")
    return src


def _prune(eng: Engine, options: DetectOptions, summary: dict[str, Any]) -> None:
    """Keep in ``ic_coactions`` only the pairs that can pass the edge thresholds: an edge's
    events and occasions are each at most its co-actions, so a pair with fewer co-actions than
    ``min_weight`` or ``min_occasions`` can never be kept. A cheap grouped count finds them
    before the distinct counts, the occasions and the null model run. (With ``edge_quantile``,
    CooRTweet's quantile of *all* edges' weights, nothing is pruned.)"""
    floor = 1 if options.edge_quantile is not None else max(options.min_weight,
                                                             options.min_occasions)
    if floor <= 1:
        return
    kept = eng.create("ic_cand", plan.candidate_pairs_sql("ic_coactions", floor))
    summary["pairs_with_enough_coactions"] = kept
    n = eng.create("ic_co_cand", plan.pair_coactions_sql("ic_coactions", "ic_cand"))
    summary["coactions_of_those_pairs"] = n
    eng.drop("ic_coactions")
    eng.drop("ic_cand")
    eng.create("ic_coactions", "SELECT * FROM ic_co_cand")
    eng.drop("ic_co_cand")


def _weigh(eng: Engine, edges: pa.Table, options: DetectOptions) -> pa.Table:
    """Add ``tfidf_cosine`` (when asked for) and ``weight``, the network weight chosen by
    ``options.weight_by``, right after the account columns."""
    if options.weight_by == "tfidf" and edges.num_rows:
        terms = eng.fetch(plan.tfidf_terms_sql("ic_acts", "ic_edges"))
        norms = eng.fetch(plan.tfidf_norms_sql("ic_acts"))
        names = pc.unique(norms.column("account_id"))
        sq = np.zeros(len(names))
        np.add.at(sq, pc.index_in(norms.column("account_id"), names).to_numpy(
            zero_copy_only=False), norms.column("sq").to_numpy())
        keys = pc.binary_join_element_wise(edges.column("account_a"), edges.column("account_b"),
                                           "\x1f")
        tkeys = pc.binary_join_element_wise(terms.column("account_a"),
                                            terms.column("account_b"), "\x1f")
        dot = np.zeros(edges.num_rows)
        np.add.at(dot, pc.index_in(tkeys, keys).to_numpy(zero_copy_only=False),
                  terms.column("term").to_numpy())
        na = np.sqrt(sq[pc.index_in(edges.column("account_a"), names).to_numpy(
            zero_copy_only=False)])
        nb = np.sqrt(sq[pc.index_in(edges.column("account_b"), names).to_numpy(
            zero_copy_only=False)])
        cos = np.where(na * nb > 0, dot / np.maximum(na * nb, 1e-300), 0.0)
        edges = edges.append_column("tfidf_cosine", pa.array(np.round(cos, 12), pa.float64()))
    source = {"events": "events", "coactions": "coactions", "objects": "objects",
              "tfidf": "tfidf_cosine"}[options.weight_by]
    weight = pc.cast(edges.column(source), pa.float64()) if source == "tfidf_cosine" \
        else edges.column(source)
    return _put_first(edges, {"weight": weight})


def _prefilter_sql(actions: str, min_participation: int, window_expr: str | None = None) -> str:
    """Actions of accounts with at least ``min_participation`` actions (and their window)."""
    w = f", {window_expr} AS w" if window_expr else ""
    return f"""
SELECT a.*{w}
FROM {actions} a
JOIN (SELECT account_id FROM {actions} GROUP BY account_id
      HAVING COUNT(*) >= {int(min_participation)}) k
  ON a.account_id = k.account_id
"""


def _speeds_us(options: DetectOptions) -> dict[str, int]:
    """Speed column suffix -> µs, for the speeds not above the window."""
    return {_speed_label(s): round(s * MICROS) for s in options.speeds}


def _speed_label(seconds: float) -> str:
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{seconds:g}s".replace(".", "_")


def _null_model(eng: Engine, edges: pa.Table, posts: pa.Table | None,
                options: DetectOptions) -> pa.Table:
    """``edges`` (``ic_edges`` in account order) with the null model's expected co-actions (see
    :mod:`inconcert.significance`): per kind and direction the larger of the pool term and,
    for reposts, quotes and replies of posts in ``posts``, the source term. Every float sum
    runs here in a fixed order, so the result does not depend on the engine's parallel
    summation order."""
    lam = np.zeros(edges.num_rows)
    by_source = np.zeros(edges.num_rows)
    by_habit = np.zeros(edges.num_rows)
    exposure = eng.fetch(plan.exposure_sql("ic_acts", "ic_near"))
    if exposure.num_rows and edges.num_rows:
        accounts = pc.unique(exposure.column("account_id"))
        kinds = pc.unique(exposure.column("kind")).sort()
        acc = pc.index_in(exposure.column("account_id"), accounts).to_numpy(zero_copy_only=False)
        kind = pc.index_in(exposure.column("kind"), kinds).to_numpy(zero_copy_only=False)
        n = np.zeros((len(kinds), len(accounts)))
        e = np.zeros((len(kinds), len(accounts)))
        n[kind, acc] = exposure.column("n").to_numpy()
        e[kind, acc] = exposure.column("e").to_numpy()
        total = n.sum(axis=1)  # integers: exact
        ia = pc.index_in(edges.column("account_a"), accounts).to_numpy(zero_copy_only=False)
        ib = pc.index_in(edges.column("account_b"), accounts).to_numpy(zero_copy_only=False)
        sources = _source_terms(eng, posts, kinds.to_pylist(), edges.num_rows)
        habits = _habit_terms(eng, edges.num_rows, options)
        for k, name in enumerate(kinds.to_pylist()):
            # leave the pair's own co-actions out of each side's exposure: the evidence under
            # test does not explain itself
            col = f"{name}_coactions"
            own = edges.column(col).to_numpy().astype(np.float64) \
                if col in edges.column_names else np.zeros(edges.num_rows)
            ab = n[k, ib] * np.maximum(e[k, ia] - own, 0.0) / total[k]
            ba = n[k, ia] * np.maximum(e[k, ib] - own, 0.0) / total[k]
            if name in sources:
                src_ab, src_ba = sources[name]
                ab, ba = np.maximum(ab, src_ab), np.maximum(ba, src_ba)
                by_source += (src_ab + src_ba) / 2
            if name in habits:
                hab_ab, hab_ba = habits[name]
                ab, ba = np.maximum(ab, hab_ab), np.maximum(ba, hab_ba)
                by_habit += (hab_ab + hab_ba) / 2
            lam += (ab + ba) / 2
    return edges.append_column("expected_coactions", pa.array(lam, pa.float64())) \
        .append_column("expected_by_source", pa.array(by_source, pa.float64())) \
        .append_column("expected_by_habit", pa.array(by_habit, pa.float64()))


def _habit_terms(eng: Engine, n_edges: int,
                 options: DetectOptions) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The habit term per kind, A→B and B→A per edge (:mod:`inconcert.significance`):
    ``Σ_o Σ_h x_h · (n_Y,o - k_Y,o) · f_o,h · 2w / Δ`` with ``f_o,h`` the object's share of
    its other actions in time bin ``h`` of width ``Δ = max(1 h, 4w)``."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if not n_edges:
        return out
    eng.create("ic_edge_ids_h", plan.edge_ids_sql("ic_edges"))
    rows = eng.fetch(plan.habit_terms_sql("ic_acts", "ic_edge_ids_h", "ic_coactions",
                                          eng.dialect, HABIT_BIN_FLOOR_S * MICROS))
    eng.drop("ic_edge_ids_h")
    for kind in sorted(pc.unique(rows.column("kind")).to_pylist()):
        sub = rows.filter(pc.equal(rows.column("kind"), kind))
        w = options.window_for(kind)
        share = habit_window_share(w)
        sides = []
        for side in (0, 1):
            part = sub.filter(pc.equal(sub.column("side"), side))
            term = part.column("num").to_numpy().astype(np.float64) \
                / part.column("den").to_numpy().astype(np.float64) * share
            sides.append(np.bincount(part.column("e").to_numpy(), term, n_edges))
        out[kind] = (sides[0], sides[1])
    return out


def _source_terms(eng: Engine, posts: pa.Table | None, kinds: list[str],
                  n_edges: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The source term of the null model per kind with sources, A→B and B→A per edge (in
    account order): ``Σ_S n_A,S · π_B,S¬A · P_t(A, B)`` (:mod:`inconcert.significance`)."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if posts is None or not posts.num_rows or not set(kinds) & set(plan.SOURCE_KINDS):
        return out
    t = pc.cast(pc.cast(posts.column("timestamp"), TIMESTAMP_TYPE), pa.int64())
    eng.load("ic_post_accounts", pa.table({"post_id": posts.column("post_id"),
                                           "account_id": posts.column("account_id"), "t": t}))
    eng.create("ic_sources", plan.sources_sql("ic_acts", "ic_post_accounts"))
    eng.drop("ic_post_accounts")
    if eng.create("ic_source_objects", plan.source_objects_sql("ic_acts", "ic_sources")):
        eng.create("ic_edge_ids", plan.edge_ids_sql("ic_edges"))
        eng.create("ic_pair_sources", plan.pair_sources_sql(
            "ic_source_objects", "ic_edge_ids", "ic_coactions", "ic_sources"))
        pairs = eng.fetch(plan.source_affinity_sql("ic_source_objects", "ic_pair_sources"))
        eng.drop("ic_pair_sources")
        timing = _timing(eng, pairs, n_edges)
        eng.drop("ic_edge_ids")
        for kind in sorted(pc.unique(pairs.column("kind")).to_pylist()):
            sub = pairs.filter(pc.equal(pairs.column("kind"), kind))
            edge = sub.column("e").to_numpy()
            order = np.lexsort((sub.column("g_a").to_numpy(), edge))  # a fixed summing order
            c = {k: sub.column(k).to_numpy()[order] for k in ("c", "n_a", "n_b", "n_s")}
            p_t = timing[kind][edge[order]]
            ab = source_expectation(c["n_a"], c["n_b"], c["n_s"], c["c"], p_t)
            ba = source_expectation(c["n_b"], c["n_a"], c["n_s"], c["c"], p_t)
            out[kind] = (np.bincount(edge[order], ab, n_edges),
                         np.bincount(edge[order], ba, n_edges))
    eng.drop("ic_source_objects")
    eng.drop("ic_sources")
    return out


def _timing(eng: Engine, pairs: pa.Table, n_edges: int) -> dict[str, np.ndarray]:
    """Per kind, per edge: ``P_t``, the chance that the two accounts, each acting at its own
    usual latency after the referenced posts (its latency histogram without the objects the
    pair co-acted on, plus :data:`~inconcert.significance.TIMING_PRIOR` pseudo-actions of
    the population's profile), act within one window of each other."""
    bins = LATENCY_BINS
    eng.create("ic_latency", plan.latency_bins_sql("ic_acts", "ic_sources", bins))
    hist = eng.fetch(plan.latency_histogram_sql("ic_latency"))
    evidence = eng.fetch(plan.pair_latency_sql("ic_latency", "ic_edge_ids", "ic_coactions"))
    eng.drop("ic_latency")
    out: dict[str, np.ndarray] = {}
    pair_ids = pairs.column("e").to_numpy()
    for kind in sorted(pc.unique(pairs.column("kind")).to_pylist()):
        h = hist.filter(pc.equal(hist.column("kind"), kind))
        names = pc.unique(h.column("account_id"))
        acc = pc.index_in(h.column("account_id"), names).to_numpy(zero_copy_only=False)
        per_account = np.zeros((len(names), bins))
        np.add.at(per_account, (acc, h.column("bin").to_numpy()), h.column("n").to_numpy())
        prior = per_account.sum(axis=0)
        edges = np.unique(pair_ids[pc.equal(pairs.column("kind"), kind).to_numpy(
            zero_copy_only=False)])
        # each side's own histogram, less its actions on the objects co-acted on
        left = np.zeros((n_edges, bins))
        right = np.zeros((n_edges, bins))
        sub = pairs.filter(pc.equal(pairs.column("kind"), kind))
        ea = sub.column("e").to_numpy()
        ia = pc.index_in(sub.column("account_a"), names).to_numpy(zero_copy_only=False)
        ib = pc.index_in(sub.column("account_b"), names).to_numpy(zero_copy_only=False)
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


def _finish_edges(edges: pa.Table) -> pa.Table:
    """Seconds and timestamps for the µs columns; the per-account symmetry score; p- and
    q-values of the null model."""
    if "expected_coactions" in edges.column_names:
        lam = np.nan_to_num(edges.column("expected_coactions").to_numpy(zero_copy_only=False)
                            .astype(np.float64))
        k = edges.column("coactions").to_numpy().astype(np.float64)
        p = poisson_sf(k, lam)
        edges = edges.set_column(edges.column_names.index("expected_coactions"),
                                 "expected_coactions", pa.array(lam, pa.float64()))
        edges = edges.append_column("p_value", pa.array(p, pa.float64()))
        edges = edges.append_column("q_value", pa.array(bh_qvalues(p), pa.float64()))
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


def _threshold(edges: pa.Table, options: DetectOptions) -> pa.Table:
    if edges.num_rows == 0:
        return edges
    if options.compat == "coortweet":
        if options.edge_quantile is None:
            return edges
        return edges.filter(pc.equal(edges.column("weight_threshold"), 1))
    keep = pc.and_(pc.greater_equal(edges.column("events"), options.min_weight),
                   pc.greater_equal(edges.column("occasions"), options.min_occasions))
    if options.max_q is not None:
        keep = pc.and_(keep, pc.less_equal(edges.column("q_value"), options.max_q))
    if options.edge_quantile is not None:
        cut = coortweet.quantile_type7(
            edges.column("weight").to_numpy(zero_copy_only=False), options.edge_quantile)
        keep = pc.and_(keep, pc.greater(edges.column("weight"), cut))
    return edges.filter(keep)


def _put_first(table: pa.Table, columns: Mapping[str, pa.Array]) -> pa.Table:
    names = ["account_a", "account_b"]
    data: dict[str, Any] = {n: table.column(n) for n in names}
    data.update(columns)
    for n in table.column_names:
        if n not in data:
            data[n] = table.column(n)
    return pa.table(data)


# -- CooRTweet compatibility --------------------------------------------------------------


def _coortweet_coactions(eng: Engine, actions: pa.Table, options: DetectOptions) -> pa.Table:
    """CooRTweet's detect_groups per kind (as its vignette runs one call per modality)."""
    eng.load("ic_actions", _with_time(actions))
    parts = []
    kinds = [k for k in options.kinds if k in set(pc.unique(actions.column("kind")).to_pylist())]
    for kind in kinds:
        sub = actions.filter(pc.equal(actions.column("kind"), kind))
        x = pa.table({
            "object_id": sub.column("object_id"),
            "account_id": sub.column("account_id"),
            "content_id": sub.column("post_id"),
            "timestamp_share": sub.column("timestamp"),
        })
        res = coortweet.detect_groups(
            x, time_window=options.window_for(kind),
            min_participation=options.min_participation, engine=eng,
        )
        parts.append(res.append_column("kind", pa.array([kind] * res.num_rows, pa.string())))
    if parts:
        result = pa.concat_tables(parts)
    else:
        result = pa.table({c: pa.array([], pa.float64() if c == "time_delta" else pa.string())
                           for c in (*coortweet.RESULT_COLUMNS, "kind")})
    eng.load("ct_result_all", result)
    # The evidence side keeps CooRTweet's orientation of posts but puts accounts in byte order,
    # like every edge.
    eng.create(
        "ic_coactions",
        """
SELECT r.kind, r.object_id,
    CASE WHEN r.account_id < r.account_id_y THEN r.account_id ELSE r.account_id_y END AS account_a,
    CASE WHEN r.account_id < r.account_id_y THEN r.content_id ELSE r.content_id_y END AS post_a,
    CASE WHEN r.account_id < r.account_id_y THEN ta.t ELSE tb.t END AS t_a,
    CASE WHEN r.account_id < r.account_id_y THEN r.account_id_y ELSE r.account_id END AS account_b,
    CASE WHEN r.account_id < r.account_id_y THEN r.content_id_y ELSE r.content_id END AS post_b,
    CASE WHEN r.account_id < r.account_id_y THEN tb.t ELSE ta.t END AS t_b,
    CAST(ROUND(r.time_delta * 1000000) AS BIGINT) AS dt
FROM ct_result_all r
JOIN (SELECT DISTINCT post_id, t FROM ic_actions) ta ON r.content_id = ta.post_id
JOIN (SELECT DISTINCT post_id, t FROM ic_actions) tb ON r.content_id_y = tb.post_id
""",
    )
    return result


def _coortweet_edges(result: pa.Table, options: DetectOptions, eng: Engine) -> pa.Table:
    # Object ids are prefixed with their kind, as CooRTweet's vignette does by hand, so that
    # object_ids stay unambiguous across kinds.
    labelled = result.set_column(
        result.column_names.index("object_id"), "object_id",
        pc.binary_join_element_wise(result.column("kind"), result.column("object_id"), "_"),
    ).drop_columns(["kind"])
    net = coortweet.generate_coordinated_network(
        labelled,
        edge_weight=0.5 if options.edge_quantile is None else options.edge_quantile,
        objects=True,
        engine=eng,
    )
    edges = net.edges.rename_columns(
        ["account_a", "account_b", *net.edges.column_names[2:]]
    )
    return edges.sort_by([("account_a", "ascending"), ("account_b", "ascending")])
