"""Result folders for the report tests, written directly (no detection run): n groups of
``size`` accounts, each group a clique whose every edge has ``per_edge`` co-actions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from inconcert.outputs import write_csv

T0 = 1_709_294_400  # 2024-03-01T12:00:00Z


def _ts(seconds: np.ndarray) -> pa.Array:
    return pa.array((seconds * 1_000_000).astype(np.int64), pa.timestamp("us", tz="UTC"))


def synthetic_result(
    out: Path, n_groups: int, *, size: int = 2, per_edge: int = 3, with_text: bool = True
) -> Path:
    """Write groups.csv, accounts.csv, edges.csv, evidence.parquet and manifest.json."""
    out.mkdir(parents=True, exist_ok=True)
    pairs = [(i, j) for i in range(size) for j in range(i + 1, size)]
    n_e = len(pairs)
    g = np.repeat(np.arange(n_groups), size)
    member = np.tile(np.arange(size), n_groups)
    acc_ids = np.char.add(np.char.add(np.char.add("g", g.astype(str)), "m"), member.astype(str))
    accounts = pa.table(
        {
            "account_id": pa.array(acc_ids.tolist(), pa.string()),
            "group_id": pa.array(g + 1),
            "component_id": pa.array(g + 1),
            "degree": pa.array(np.full(len(g), size - 1)),
            "strength": pa.array(np.full(len(g), (size - 1) * per_edge)),
            "posts": pa.array(np.full(len(g), per_edge * (size - 1))),
            "coordinated_posts": pa.array(np.full(len(g), per_edge * (size - 1))),
        }
    )
    eg = np.repeat(np.arange(n_groups), n_e)
    ea = np.tile(np.array([p[0] for p in pairs]), n_groups)
    eb = np.tile(np.array([p[1] for p in pairs]), n_groups)
    a_ids = [f"g{x}m{y}" for x, y in zip(eg.tolist(), ea.tolist(), strict=True)]
    b_ids = [f"g{x}m{y}" for x, y in zip(eg.tolist(), eb.tolist(), strict=True)]
    first = T0 + eg * 600
    edges = pa.table(
        {
            "account_a": pa.array(a_ids, pa.string()),
            "account_b": pa.array(b_ids, pa.string()),
            "group_id": pa.array(eg + 1),
            "component_id": pa.array(eg + 1),
            "weight": pa.array(np.full(len(eg), per_edge)),
            "coactions": pa.array(np.full(len(eg), per_edge)),
            "objects": pa.array(np.full(len(eg), 1)),
            "url_coactions": pa.array(np.full(len(eg), per_edge)),
            "posts_a": pa.array(np.full(len(eg), per_edge)),
            "posts_b": pa.array(np.full(len(eg), per_edge)),
            "edge_symmetry_score": pa.array(np.ones(len(eg))),
            "mean_dt_s": pa.array(np.full(len(eg), 5.0)),
            "first_time": _ts(first),
            "last_time": _ts(first + 86_400 * (per_edge - 1)),
            "days": pa.array(np.full(len(eg), per_edge)),
        }
    )
    k = np.arange(per_edge)
    vg = np.repeat(eg, per_edge)
    va = np.repeat(ea, per_edge)
    vb = np.repeat(eb, per_edge)
    vk = np.tile(k, len(eg))
    t_a = T0 + vg * 600 + vk * 86_400
    row = np.arange(len(vg))
    evidence = {
        "group_id": pa.array(vg + 1),
        "account_a": pa.array(
            [f"g{x}m{y}" for x, y in zip(vg.tolist(), va.tolist(), strict=True)], pa.string()
        ),
        "account_b": pa.array(
            [f"g{x}m{y}" for x, y in zip(vg.tolist(), vb.tolist(), strict=True)], pa.string()
        ),
        "kind": pa.array(["url"] * len(vg), pa.string()),
        "object_id": pa.array(
            [f"https://example.org/{x}/{y}" for x, y in zip(vg.tolist(), vk.tolist(), strict=True)],
            pa.string(),
        ),
        "post_a": pa.array([f"p{r}a" for r in row.tolist()], pa.string()),
        "post_b": pa.array([f"p{r}b" for r in row.tolist()], pa.string()),
        "time_a": _ts(t_a),
        "time_b": _ts(t_a + 5),
        "dt_s": pa.array(np.full(len(vg), 5.0)),
    }
    if with_text:
        evidence["text_a"] = pa.array([f"shared text {x}" for x in vk.tolist()], pa.string())
        evidence["text_b"] = pa.array([f"shared text {x}" for x in vk.tolist()], pa.string())
    ev = pa.table(evidence)
    n_pairs = n_e * per_edge
    groups = pa.table(
        {
            "group_id": pa.array(np.arange(n_groups) + 1),
            "size": pa.array(np.full(n_groups, size)),
            "edges": pa.array(np.full(n_groups, n_e)),
            "density": pa.array(np.ones(n_groups)),
            "weight": pa.array(np.full(n_groups, n_e * per_edge)),
            "communities": pa.array(np.ones(n_groups, dtype=np.int64)),
            "coactions": pa.array(np.full(n_groups, n_pairs)),
            "objects": pa.array(np.full(n_groups, per_edge)),
            "coordinated_posts": pa.array(np.full(n_groups, 2 * n_pairs)),
            "first_time": _ts(T0 + np.arange(n_groups) * 600),
            "last_time": _ts(T0 + np.arange(n_groups) * 600 + 86_400 * (per_edge - 1) + 5),
            "mean_dt_s": pa.array(np.full(n_groups, 5.0)),
            "median_dt_s": pa.array(np.full(n_groups, 5.0)),
            "span_hours": pa.array(np.full(n_groups, 24.0 * (per_edge - 1))),
            "kinds": pa.array([f"url:{n_pairs}"] * n_groups, pa.string()),
            "top_objects": pa.array(
                [f"url:https://example.org/{x}/0 ({n_e})" for x in range(n_groups)], pa.string()
            ),
            "members": pa.array(
                [" ".join(f"g{x}m{y}" for y in range(size)) for x in range(n_groups)], pa.string()
            ),
        }
    )
    write_csv(groups, out / "groups.csv")
    write_csv(accounts, out / "accounts.csv")
    write_csv(edges, out / "edges.csv")
    pq.write_table(ev, out / "evidence.parquet")
    manifest = {
        "inconcert_version": "test",
        "created_at": "2024-04-01T00:00:00Z",
        "parameters": {"window": 60.0, "kinds": ["url"], "compat": None},
        "rows": {"read": len(vg) * 2, "used": len(vg) * 2, "rejected": {}},
        "summary": {"actions": {"posts": len(vg) * 2}},
        "inputs": [],
        "warnings": [],
    }
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out
