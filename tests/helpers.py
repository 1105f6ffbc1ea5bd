"""Small builders shared by the tests."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pyarrow as pa

from inconcert.schema import ACTION_SCHEMA

T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)


def actions(rows: Iterable[tuple[str, str, str, float, str]]) -> pa.Table:
    """(account, kind, object, seconds after T0, post) rows as an actions table."""
    data = [
        {
            "account_id": a,
            "kind": k,
            "object_id": o,
            "timestamp": T0 + timedelta(seconds=s),
            "post_id": p,
        }
        for a, k, o, s, p in rows
    ]
    return pa.Table.from_pylist(data, schema=ACTION_SCHEMA)


def brute_force_coactions(
    table: pa.Table, window: float
) -> set[tuple[str, str, str, str, str, str]]:
    """The obviously right definition: every pair of actions of different accounts, same kind
    and object, |Δt| <= window. Returned as (kind, object, account_a, post_a, account_b, post_b)
    with account_a < account_b."""
    rows = table.to_pylist()
    out = set()
    for i, x in enumerate(rows):
        for y in rows[i + 1 :]:
            if x["kind"] != y["kind"] or x["object_id"] != y["object_id"]:
                continue
            if x["account_id"] == y["account_id"]:
                continue
            if abs((x["timestamp"] - y["timestamp"]).total_seconds()) > window:
                continue
            a, b = (x, y) if x["account_id"] < y["account_id"] else (y, x)
            out.add(
                (
                    x["kind"],
                    x["object_id"],
                    a["account_id"],
                    a["post_id"],
                    b["account_id"],
                    b["post_id"],
                )
            )
    return out


def load_benchmark(name: str) -> ModuleType:
    """The script ``benchmarks/<name>.py`` imported as module ``<name>_benchmark`` (benchmarks
    are scripts, not a package)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_benchmark", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
