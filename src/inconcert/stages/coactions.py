"""Stage 1: actions → co-actions.

Loads the actions table (Arrow, :data:`~inconcert.schema.ACTION_SCHEMA`) into the engine
(:func:`load_actions`), then reads only the engine's relation; creates
:class:`~inconcert.stages.Relations` ``actions``, ``acts``, ``near``, ``paired``,
``coactions`` and, for the text-similarity kinds, ``similarity``. Co-actions are pairs of
actions of two accounts on the same object within the window (:func:`inconcert.plan.pairs_sql`:
an equality join on time buckets); actions in dense bursts (``max_burst``) are left out and
counted; for ``neartext``/``paraphrase`` a co-action also needs the two posts' own texts to be
alike; both accounts of a co-action need ``min_participation`` coordinated posts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import plan
from .._arrow import coded_values, sort_ranks, value_codes
from ..engine import Engine
from ..options import DetectOptions
from ..schema import TIMESTAMP_TYPE, Similar
from .relations import Relations

__all__ = [
    "CODE_COLUMNS",
    "LOADED_COLUMNS",
    "CodedFile",
    "LoadedActions",
    "NearCheck",
    "build",
    "code_actions",
    "drop_working",
    "load_actions",
    "load_coded_actions",
]

MICROS = plan.MICROS


@dataclass(frozen=True)
class NearCheck:
    """What the similarity check needs: the clusters per text kind and the posts' ids by row."""

    clusters: Mapping[str, Similar]  # kind -> clusters of that kind
    post_ids: pa.ChunkedArray | pa.Array


@dataclass(frozen=True)
class LoadedActions:
    """Actions loaded into an engine (:func:`load_actions`): the relation's ``name``, its
    number of ``rows``, and each kind's code in the object codes (``kind_codes``; ``obj =
    object * len(kind_codes) + kind``, :func:`with_time`)."""

    name: str
    rows: int
    kind_codes: Mapping[str, int]

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of the actions, sorted."""
        return tuple(sorted(self.kind_codes))

    @property
    def narrow(self) -> bool:
        """Whether every code (actions, accounts, posts, objects) is below 2**31."""
        return self.rows * max(len(self.kind_codes), 1) < 2**31


#: The columns :func:`with_time` adds to the actions' (ids, times and codes).
CODE_COLUMNS = ("action_id", "t", "acc", "pst", "obj")
#: The columns of the loaded actions relation, in order.
LOADED_COLUMNS = (
    "action_id",
    "account_id",
    "kind",
    "object_id",
    "post_id",
    "t",
    "acc",
    "pst",
    "obj",
)


def with_time(actions: pa.Table) -> pa.Table:
    """The actions with an ``action_id`` (row number), ``t`` (µs since the epoch) and integer
    codes for the joins and counts: ``acc`` (the account's rank in byte order of the names, so
    codes order pairs as names do), ``pst`` (the post) and ``obj`` (the kind and object)."""
    return code_actions(actions)[0]


def code_actions(actions: pa.Table) -> tuple[pa.Table, dict[str, int]]:
    """:func:`with_time` (its columns: :data:`LOADED_COLUMNS`), and each kind's code in
    ``obj`` (``obj = object * kinds + kind``). A prepared store keeps both, so that a run on
    all its kinds loads them as they are (:func:`load_coded_actions`)."""
    t = pc.cast(pc.cast(actions.column("timestamp"), TIMESTAMP_TYPE), pa.int64())
    kind_code, kinds = coded_values(actions.column("kind"))
    object_code, _ = value_codes(actions.column("object_id"))
    table = pa.table(
        {
            "action_id": pa.array(np.arange(actions.num_rows, dtype=np.int64)),
            "account_id": actions.column("account_id"),
            "kind": actions.column("kind"),
            "object_id": actions.column("object_id"),
            "post_id": actions.column("post_id"),
            "t": t,
            "acc": pa.array(_ranks(actions.column("account_id")), pa.int64()),
            "pst": pa.array(value_codes(actions.column("post_id"))[0], pa.int64()),
            "obj": pa.array(object_code * max(len(kinds), 1) + kind_code, pa.int64()),
        }
    )
    return table, {kind: code for code, kind in enumerate(kinds.to_pylist())}


def _ranks(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Each string's rank among the distinct strings in byte order (what SQL engines compare)."""
    codes, distinct = coded_values(values)
    return sort_ranks(distinct)[1][codes]


def load_actions(eng: Engine, actions: pa.Table, name: str = Relations.actions) -> LoadedActions:
    """Load the actions (with ids, µs times and integer codes: :func:`with_time`) as ``name``.
    The caller may let go of ``actions`` then: the later stages read the engine's relation."""
    table, kind_codes = code_actions(actions)
    eng.load(name, table)
    return LoadedActions(name, actions.num_rows, kind_codes)


@dataclass(frozen=True)
class CodedFile:
    """Actions coded as :func:`code_actions` codes them, in a Parquet file with (at least) the
    columns :data:`LOADED_COLUMNS` (a prepared store's ``actions.parquet``), and the kinds'
    codes."""

    path: Path
    kind_codes: Mapping[str, int]


def load_coded_actions(
    eng: Engine, coded: CodedFile, name: str = Relations.actions
) -> LoadedActions:
    """Load actions already coded (:class:`CodedFile`) as ``name``, as :func:`load_actions`
    does: read by the engine itself where it can, never through Python."""
    eng.attach_parquet("ic_coded_file", coded.path)
    rows = eng.create(name, plan.columns_sql("ic_coded_file", LOADED_COLUMNS))
    eng.drop("ic_coded_file")
    return LoadedActions(name, rows, dict(coded.kind_codes))


def build(
    eng: Engine,
    actions: LoadedActions,
    options: DetectOptions,
    warnings: list[str],
    summary: dict[str, Any],
    near: NearCheck | None = None,
) -> Relations:
    """Create the co-actions of the loaded ``actions`` (inconcert's semantics) and the
    relations they come from; notes go to ``warnings`` and counts to ``summary``."""
    rel = Relations(actions=actions.name)
    kinds = actions.kinds
    windows_us = {k: round(options.window_for(k) * MICROS) for k in kinds}
    default_us = round(float(options.window) * MICROS)
    mp = options.min_participation
    summary["actions"] = actions.rows
    n = eng.create(
        rel.acts,
        plan.prefilter_sql(
            rel.actions,
            mp,
            plan.window_case_sql(windows_us, default_us, "a.kind"),
            columns=plan.ACTS_COLUMNS,  # codes only: the names stay in rel.actions
        ),
    )
    summary["actions_after_min_participation"] = n
    paired = rel.acts
    # every action's count of actions on its object within ±window (itself included): the
    # burst cap and the null model's exposure both read it
    eng.create(rel.near, plan.burst_counts_sql(rel.acts, list(windows_us.values()), key=("obj",)))
    if options.max_burst is not None:
        dense = eng.create("ic_dense", plan.dense_actions_sql(rel.near, options.max_burst))
        summary["actions_in_bursts"] = dense
        if dense:
            top = eng.fetch(plan.top_dense_objects_sql(rel.actions, "ic_dense")).to_pylist()
            examples = ", ".join(f"{r['kind']} {r['object_id']!r} ({r['n']})" for r in top)
            warnings.append(
                f"{dense:,} actions in dense bursts (more than {options.max_burst:,} other "
                f"actions on the same object within the window) were left out of pairing, "
                f"e.g. {examples}. Raise --max-burst to include them (cost grows with the "
                f"square of a burst's size)."
            )
            paired = "ic_src"
            eng.create(paired, plan.without_actions_sql(rel.acts, "ic_dense"))
    co = "ic_co"
    summary["coactions_before_min_participation"] = eng.create(
        co, plan.coded_coactions_sql(paired, eng.dialect, narrow=actions.narrow)
    )
    similarity = None
    if near is not None and near.clusters:
        co, similarity = _check_similar(eng, co, actions, near, options, summary)
    eng.create(rel.participants, plan.participation_sql(co, mp))
    return Relations(
        actions=rel.actions,
        acts=rel.acts,
        near=rel.near,
        paired=paired,
        coded=co,
        participants=rel.participants,
        similarity=similarity,
    )


def drop_working(eng: Engine, rel: Relations) -> None:
    """Drop the relations only the co-actions, edges and null-model stages read (``acts``,
    ``near``, the paired and dense actions, the participants): the evidence and summaries read
    none of them, and a large run's later stages get their memory."""
    for name in dict.fromkeys((rel.acts, rel.near, rel.paired, rel.participants, "ic_dense")):
        eng.drop(name)


def _check_similar(
    eng: Engine,
    coactions: str,
    actions: LoadedActions,
    near: NearCheck,
    options: DetectOptions,
    summary: dict[str, Any],
) -> tuple[str, str]:
    """Keep a ``neartext``/``paraphrase`` co-action only when the two posts' own texts are
    alike (clusters can chain); record every such pair's similarity. Returns the checked
    co-actions' relation and the similarities'."""
    ids = near.post_ids
    parts = []
    for kind, clusters in sorted(near.clusters.items()):
        n_kinds = len(actions.kind_codes)
        rows = eng.fetch(
            plan.text_pairs_sql(coactions, actions.name, actions.kind_codes.get(kind, -1), n_kinds)
        )
        ia = pc.index_in(rows.column("post_a"), ids).to_numpy(zero_copy_only=False)
        ib = pc.index_in(rows.column("post_b"), ids).to_numpy(zero_copy_only=False)
        sim = clusters.similarity(ia, ib) if rows.num_rows else np.zeros(0)
        threshold = options.similarity if kind == "neartext" else options.paraphrase_similarity
        parts.append(
            pa.table(
                {
                    "kind": pa.array([kind] * rows.num_rows, pa.string()),
                    "post_a": rows.column("post_a"),
                    "post_b": rows.column("post_b"),
                    "similarity": pa.array(sim, pa.float64()),
                    "threshold": pa.array([float(threshold)] * rows.num_rows, pa.float64()),
                    "pst_a": pc.cast(rows.column("pst_a"), pa.int64()),
                    "pst_b": pc.cast(rows.column("pst_b"), pa.int64()),
                }
            )
        )
    similarity = "ic_similarity"
    eng.load(similarity, pa.concat_tables(parts))
    dropped = eng.create("ic_sim_low", plan.dissimilar_pairs_sql(similarity, actions.kind_codes))
    summary["text_pairs_below_similarity"] = dropped
    if dropped:
        eng.create(
            "ic_co_checked",
            plan.without_pairs_sql(coactions, "ic_sim_low", len(actions.kind_codes)),
        )
        eng.drop(coactions)
        coactions = "ic_co_checked"
    return coactions, similarity
