"""Scores: which groups and accounts are worth an analyst's time first.

Account score
-------------
``score`` = ``-log10`` of the smallest null-model p-value among the account's kept edges
(capped at 300): how far its strongest link is beyond chance. Accounts outside the network
score 0. Without p-values (``--compat coortweet``) it is the account's strength.

Group score (0–100)
-------------------
The geometric combination of four parts, each in [0, 1]::

    score = 100 · S^0.4 · D^0.2 · C^0.2 · F^0.2

``S`` significance
    ``min(1, median over the group's edges of -log10(q) / 10)``: 1 when the typical edge has a
    q-value of 1e-10 or less (1 without q-values).
``D`` density
    Edges present among members / possible edges: a clique of accounts all linked to each
    other is more telling than a chain.
``C`` coordinated share
    Members' posts in co-actions / members' posts: accounts that do little else.
``F`` speed
    ``1 / (1 + median Δt / 10 s)``: 1 for simultaneous posting, 0.5 at ten seconds.

Significance weighs most because it already accounts for popularity and activity. Groups are
ranked by score in every output: ``group_id`` 1 is the highest score (ties: more weight, then
larger, then the smallest account id).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["account_scores", "group_scores", "renumber_groups"]


def account_scores(edges: pa.Table, accounts: pa.Table) -> pa.Array:
    """Per account (in ``accounts`` order): the score defined in the module docstring."""
    ids = accounts.column("account_id")
    if "p_value" not in edges.column_names:
        return pc.cast(accounts.column("strength"), pa.float64())
    p = np.clip(
        np.nan_to_num(edges.column("p_value").to_numpy(zero_copy_only=False), nan=1.0), 1e-300, 1.0
    )
    s = np.minimum(-np.log10(p), 300.0)
    out = np.zeros(accounts.num_rows)
    for col in ("account_a", "account_b"):
        idx = pc.index_in(edges.column(col), ids).to_numpy(zero_copy_only=False)
        ok = idx >= 0
        np.maximum.at(out, idx[ok].astype(np.int64), s[ok])
    return pa.array(np.round(out, 6), pa.float64())


def group_scores(edges: pa.Table, accounts: pa.Table, groups: pa.Table) -> pa.Table:
    """``groups`` with ``score``, ``significance``, ``coordinated_share`` and ``speed``."""
    gids = groups.column("group_id").to_numpy()
    n = gids.size
    index = {int(g): i for i, g in enumerate(gids.tolist())}
    sig = np.ones(n)
    if "q_value" in edges.column_names and edges.num_rows:
        q = np.clip(
            np.nan_to_num(edges.column("q_value").to_numpy(zero_copy_only=False), nan=1.0),
            1e-300,
            1.0,
        )
        inside = edges.column("group_id").is_valid().to_numpy(zero_copy_only=False)
        eg = edges.column("group_id").fill_null(0).to_numpy().astype(np.int64)[inside]
        q = q[inside]  # edges between two groups count for neither
        order = np.argsort(eg, kind="stable")
        eg_sorted, lq = eg[order], -np.log10(q[order])
        bounds = np.flatnonzero(np.diff(eg_sorted)) + 1
        for chunk_g, chunk_q in zip(np.split(eg_sorted, bounds), np.split(lq, bounds), strict=True):
            if chunk_g.size:
                sig[index[int(chunk_g[0])]] = min(1.0, float(np.median(chunk_q)) / 10.0)
    posts = np.zeros(n)
    coord = np.zeros(n)
    ag = accounts.column("group_id").to_numpy()
    ai = np.array([index[int(g)] for g in ag.tolist()], dtype=np.int64)
    np.add.at(posts, ai, accounts.column("posts").to_numpy().astype(np.float64))
    np.add.at(coord, ai, accounts.column("coordinated_posts").to_numpy().astype(np.float64))
    share = np.where(posts > 0, np.minimum(coord / np.maximum(posts, 1), 1.0), 0.0)
    density = np.nan_to_num(
        groups.column("density").to_numpy(zero_copy_only=False).astype(np.float64)
    )
    median_dt = np.nan_to_num(
        groups.column("median_dt_s").to_numpy(zero_copy_only=False).astype(np.float64)
    )
    speed = 1.0 / (1.0 + median_dt / 10.0)
    score = 100.0 * sig**0.4 * density**0.2 * share**0.2 * speed**0.2
    out = groups
    for name, values in (
        ("score", score),
        ("significance", sig),
        ("coordinated_share", share),
        ("speed", speed),
    ):
        out = out.append_column(name, pa.array(np.round(values, 6), pa.float64()))
    return out


def renumber_groups(groups: pa.Table) -> dict[int, int]:
    """Old group id -> new id, ranking by score (desc), weight (desc), size (desc), old id."""
    rows = groups.select(["group_id", "score", "weight", "size"]).to_pylist()
    rows.sort(key=lambda r: (-r["score"], -r["weight"], -r["size"], r["group_id"]))
    return {r["group_id"]: i + 1 for i, r in enumerate(rows)}


def apply_group_ids(table: pa.Table, mapping: dict[int, int]) -> pa.Table:
    """Replace ``group_id`` through ``mapping``."""
    if "group_id" not in table.column_names or table.num_rows == 0:
        return table
    old = table.column("group_id").to_pylist()
    new = pa.array([mapping.get(g, g) if g is not None else None for g in old], pa.int64())
    return table.set_column(table.column_names.index("group_id"), "group_id", new)
