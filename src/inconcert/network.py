"""The network of kept edges: groups (Leiden communities) inside connected components.

A **group** is a Leiden community: in a sparse result it is the connected component itself,
and where organic noise or a shared viral moment bridges several groups into one large
component, the communities are the tightly knit groups inside it (what a reader should look
at). The connected component stays a column (``component_id``). Leiden communities are
connected by construction; an account that Leiden leaves alone in a community of its own joins
the community of its strongest neighbour, so every group has at least two accounts and an edge.

Vertices are the accounts of the kept edges, in byte order of ``account_id``; edges are sorted
the same way, so the graph, and with a fixed ``seed`` the communities, are identical from run
to run. Group and component ids are 1, 2, 3, ... ranked by total edge weight, then size, then
the smallest account id (the detection renumbers groups by score afterwards).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ParameterError

if TYPE_CHECKING:
    import igraph as ig

__all__ = ["COMMUNITY_METHODS", "Partition", "build_graph", "import_igraph", "partition"]

COMMUNITY_METHODS = ("modularity", "cpm")


def import_igraph(*, plotting: bool = True) -> ModuleType:
    """igraph, imported on first use (importing inconcert does not import it).

    igraph's package imports ``matplotlib.pyplot`` whenever matplotlib is installed, for its
    optional plotting, which costs more than half a second. ``plotting=False`` (the command
    line, a process of its own that never plots with igraph) imports igraph the way it is
    imported where matplotlib is not installed: while igraph's modules load, an entry of
    ``None`` in :data:`sys.modules` makes ``import matplotlib`` raise ModuleNotFoundError (the
    import system's documented behaviour), so igraph keeps its documented stand-in (a
    ``FakeModule`` that raises when igraph is asked to plot with matplotlib), and the entry
    is removed at once: matplotlib itself imports as usual afterwards (the PNG figures). It
    has no effect when igraph or matplotlib is already imported; a library user's igraph
    (``plotting=True``, the default) is the ordinary one.
    """
    if plotting or "igraph" in sys.modules or "matplotlib" in sys.modules:
        import igraph

        return igraph
    sys.modules["matplotlib"] = None  # type: ignore[assignment]
    try:
        import igraph
    finally:
        if "matplotlib" in sys.modules and sys.modules["matplotlib"] is None:
            del sys.modules["matplotlib"]
    return igraph


@dataclass(frozen=True)
class Partition:
    """Each account's group (Leiden community) and component, plus degree and strength."""

    graph: ig.Graph
    accounts: pa.Table  # account_id, group_id, component_id, degree, strength


def build_graph(edges: pa.Table) -> ig.Graph:
    """An undirected igraph graph from ``account_a, account_b, weight`` (vertex attr ``name``)."""
    ig = import_igraph()
    a = edges.column("account_a").to_pylist()
    b = edges.column("account_b").to_pylist()
    names = sorted(set(a) | set(b))
    index = {n: i for i, n in enumerate(names)}
    g = ig.Graph(n=len(names), edges=[(index[x], index[y]) for x, y in zip(a, b, strict=True)])
    g.vs["name"] = names
    g.es["weight"] = [float(w) for w in edges.column("weight").to_pylist()]
    return g


def _rank(labels: np.ndarray, strength: np.ndarray, names: list[str]) -> np.ndarray:
    """Relabel clusters 1..k by total strength (desc), size (desc), smallest name."""
    if labels.size == 0:
        return labels
    # members of each cluster in vertex order (a stable sort), found in one pass: a scan per
    # cluster made this quadratic (thousands of clusters at 10M posts)
    by_label = np.argsort(labels, kind="stable")
    cut = np.flatnonzero(np.diff(labels[by_label])) + 1
    keys = {}
    for members in np.split(by_label, cut):
        keys[int(labels[members[0]])] = (
            -float(strength[members].sum()),
            -members.size,
            min(names[i] for i in members.tolist()),
        )
    order = sorted(keys, key=lambda k: keys[k])
    new = {lab: i + 1 for i, lab in enumerate(order)}
    return np.array([new[int(x)] for x in labels], dtype=np.int64)


def partition(
    edges: pa.Table,
    *,
    method: str = "modularity",
    resolution: float = 1.0,
    seed: int = 0,
) -> Partition:
    """Groups (connected components) and Leiden communities of the kept network.

    Parameters
    ----------
    edges:
        Kept edges with ``account_a, account_b, weight``, sorted.
    method:
        ``"modularity"`` (Leiden maximising weighted modularity, with ``resolution`` as the
        resolution parameter γ, the usual choice) or ``"cpm"`` (the Constant Potts Model:
        communities whose internal edge weight per pair of members exceeds ``resolution``;
        it does not merge small dense groups the way modularity can on very large graphs;
        Traag, Waltman & van Eck 2019, "From Louvain to Leiden").
    resolution:
        γ > 0. Higher gives smaller communities.
    seed:
        Leiden's random seed; the same seed gives the same communities.
    """
    if method not in COMMUNITY_METHODS:
        raise ParameterError("community", f"one of {', '.join(COMMUNITY_METHODS)}", method)
    if not resolution > 0:
        raise ParameterError("resolution", "a number > 0", resolution)
    g = build_graph(edges)
    names: list[str] = g.vs["name"] if g.vcount() else []
    strength = np.array(g.strength(weights="weight"), dtype=np.float64)
    degree = np.array(g.degree(), dtype=np.int64)
    if g.vcount():
        import leidenalg

        comps = np.array(g.connected_components().membership, dtype=np.int64)
        if method == "modularity":
            part = leidenalg.find_partition(
                g,
                leidenalg.RBConfigurationVertexPartition,
                weights="weight",
                resolution_parameter=resolution,
                n_iterations=-1,
                seed=seed,
            )
        else:
            part = leidenalg.find_partition(
                g,
                leidenalg.CPMVertexPartition,
                weights="weight",
                resolution_parameter=resolution,
                n_iterations=-1,
                seed=seed,
            )
        comms = _no_singletons(g, np.array(part.membership, dtype=np.int64))
    else:
        comps = comms = np.zeros(0, dtype=np.int64)
    accounts = pa.table(
        {
            "account_id": pa.array(names, pa.string()),
            "group_id": pa.array(_rank(comms, strength, names), pa.int64()),
            "component_id": pa.array(_rank(comps, strength, names), pa.int64()),
            "degree": pa.array(degree, pa.int64()),
            "strength": pa.array(strength, pa.float64()),
        }
    )
    accounts = accounts.sort_by([("group_id", "ascending"), ("account_id", "ascending")])
    return Partition(graph=g, accounts=accounts)


def _no_singletons(g: ig.Graph, membership: np.ndarray) -> np.ndarray:
    """Move every account alone in its community to its strongest neighbour's community
    (ties: the neighbour first in vertex order), in vertex order. A move never leaves another
    account alone, so one pass over the accounts alone at the start is enough; it only skips
    those a move has joined."""
    membership = membership.copy()
    weights = np.array(g.es["weight"], dtype=np.float64) if g.ecount() else np.zeros(0)
    sizes = np.bincount(membership) if membership.size else np.zeros(0, dtype=np.int64)
    for v in np.flatnonzero(sizes[membership] == 1).tolist():
        if sizes[membership[v]] != 1:
            continue  # an earlier account joined this one
        best, best_w = -1, -1.0
        for e in g.incident(v):
            u = g.es[e].target if g.es[e].source == v else g.es[e].source
            if weights[e] > best_w or (weights[e] == best_w and u < best):
                best, best_w = u, float(weights[e])
        if best < 0:  # an isolated vertex cannot happen in a network built from edges
            continue
        sizes[membership[v]] -= 1
        membership[v] = membership[best]
        sizes[membership[v]] += 1
    return membership


def edge_groups(edges: pa.Table, accounts: pa.Table) -> tuple[pa.Array, pa.Array]:
    """Per edge: its group when both ends share one (else null: an edge between two groups
    of one component), and its component."""
    ids = accounts.column("account_id")
    ga = pc.take(accounts.column("group_id"), pc.index_in(edges.column("account_a"), ids))
    gb = pc.take(accounts.column("group_id"), pc.index_in(edges.column("account_b"), ids))
    component = pc.take(
        accounts.column("component_id"), pc.index_in(edges.column("account_a"), ids)
    )
    group = pc.if_else(pc.equal(ga, gb), ga, pa.scalar(None, pa.int64()))
    return group, component
