"""Stage 4: kept edges → groups, and the ranking of groups and accounts by score.

Reads the kept edges (Arrow); :func:`assign` gives each account its group (Leiden community)
and component (:mod:`inconcert.network`) and each edge its group and component; :func:`rank`
scores groups and accounts (:mod:`inconcert.scoring`) and numbers groups by score, 1 first.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from .._arrow import take_table
from ..network import edge_groups, partition
from ..options import DetectOptions
from ..scoring import account_scores, apply_group_ids, group_scores, renumber_groups
from .edges import put_first

__all__ = ["assign", "rank"]


def assign(edges: pa.Table, options: DetectOptions) -> tuple[pa.Table, pa.Table]:
    """``(edges with group_id and component_id, one row per account of the network)``."""
    part = partition(
        edges, method=options.community, resolution=options.resolution, seed=options.seed
    )
    group, component = edge_groups(edges, part.accounts)
    return put_first(edges, {"group_id": group, "component_id": component}), part.accounts


def rank(
    edges: pa.Table, accounts: pa.Table, groups: pa.Table, evidence: pa.Table
) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """Score groups and accounts and renumber groups by score in every table."""
    groups = group_scores(edges, accounts, groups)
    mapping = renumber_groups(groups)
    groups = apply_group_ids(groups, mapping).sort_by("group_id")
    edges = apply_group_ids(edges, mapping)
    accounts = apply_group_ids(accounts, mapping)
    accounts = accounts.append_column("score", account_scores(edges, accounts)).sort_by(
        [("group_id", "ascending"), ("account_id", "ascending")]
    )
    evidence = apply_group_ids(evidence, mapping)
    # stable: keeps the order within a group; texts taken in slices (take_table)
    evidence = take_table(evidence, pc.sort_indices(evidence, [("group_id", "ascending")]))
    return edges, accounts, groups, evidence
