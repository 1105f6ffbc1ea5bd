"""Node positions for the drawn network: each group laid out on its own, groups packed by rank.

Groups are connected components, so laying each out separately (Fruchterman-Reingold, or DrL
for very large ones) and packing them in rows, strongest first, reads better than one global
force layout and costs far less. Positions are deterministic: the initial positions are fixed
and igraph's random generator is seeded for the duration of the call.
"""

from __future__ import annotations

import math
import random

import numpy as np

__all__ = ["layout_groups"]

_DRL_ABOVE = 3000  # nodes: above this, DrL is faster than Fruchterman-Reingold


def _component(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Positions of one group's ``n`` nodes (edges ``a``-``b`` with weights ``w``), centred,
    with radius about ``sqrt(n)``."""
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        return np.array([[-0.5, 0.0], [0.5, 0.0]])
    pos: np.ndarray
    if n == 3:
        ang = np.array([90.0, 210.0, 330.0]) * math.pi / 180
        pos = np.column_stack([np.cos(ang), np.sin(ang)]) * 0.6
    else:
        import igraph as ig

        g = ig.Graph(n=n, edges=list(zip(a.tolist(), b.tolist(), strict=True)))
        turn = np.arange(n) * (2 * math.pi / n)
        seed = np.column_stack([np.cos(turn), np.sin(turn)]) * math.sqrt(n)
        weights = np.log1p(w).tolist() if len(w) else None
        if n > _DRL_ABOVE:
            lay = g.layout_drl(seed=seed.tolist(), weights=weights)
        else:
            lay = g.layout_fruchterman_reingold(
                seed=seed.tolist(),
                weights=weights,
                niter=500 if n <= 500 else 200,
                grid="auto",
            )
        pos = np.asarray(lay.coords, dtype=np.float64)
    pos = pos - pos.mean(axis=0)
    radius = float(np.max(np.hypot(pos[:, 0], pos[:, 1]))) or 1.0
    return pos * (math.sqrt(n) / radius)


def layout_groups(
    group_of: np.ndarray,
    edge_a: np.ndarray,
    edge_b: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    """Positions of every drawn node.

    Parameters
    ----------
    group_of:
        For each node, the rank of its group (0 = strongest); nodes of one rank are one block.
    edge_a, edge_b:
        Node indices of each edge (edges between two groups are left out of the layout).
    weight:
        Edge weights (heavier edges pull harder).

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` float array of x, y positions; groups do not overlap, the strongest sits
        top-left and the rest follow in reading order.
    """
    n = len(group_of)
    out = np.zeros((n, 2))
    if n == 0:
        return out
    state = random.getstate()
    random.seed(0)
    try:
        # an edge between two groups (of one component) does not pull either layout
        inside = group_of[edge_a] == group_of[edge_b] if len(edge_a) else np.zeros(0, bool)
        edge_a, edge_b, weight = edge_a[inside], edge_b[inside], weight[inside]
        order = np.argsort(group_of, kind="stable")
        ranks, starts = np.unique(group_of[order], return_index=True)
        ends = np.append(starts[1:], n)
        edge_group = group_of[edge_a] if len(edge_a) else np.zeros(0, dtype=np.int64)
        e_order = np.argsort(edge_group, kind="stable")
        e_ranks = edge_group[e_order]
        blocks: list[tuple[np.ndarray, np.ndarray]] = []
        for rank, s, e in zip(ranks, starts, ends, strict=True):
            nodes = order[s:e]
            local = np.full(n, -1, dtype=np.int64)
            local[nodes] = np.arange(len(nodes))
            lo, hi = np.searchsorted(e_ranks, [rank, rank + 1])
            idx = e_order[lo:hi]
            pos = _component(len(nodes), local[edge_a[idx]], local[edge_b[idx]], weight[idx])
            blocks.append((nodes, pos))
        # Shelf packing in rank order: rows of blocks, about as wide as the total is tall x 1.6.
        pad = 1.5
        sizes = [2 * math.sqrt(len(nodes)) + pad for nodes, _ in blocks]
        width = max(max(sizes), math.sqrt(sum(s * s for s in sizes)) * 1.3)
        x = y = row_h = 0.0
        for (nodes, pos), size in zip(blocks, sizes, strict=True):
            if x > 0 and x + size > width:
                x, y, row_h = 0.0, y + row_h, 0.0
            out[nodes, 0] = pos[:, 0] + x + size / 2
            out[nodes, 1] = -(pos[:, 1] + y + size / 2)  # y up in the renderers: row 0 on top
            x += size
            row_h = max(row_h, size)
    finally:
        random.setstate(state)
    return np.round(out, 3)
