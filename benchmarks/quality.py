"""Quality benchmark: default ``inconcert detect`` and a naive baseline on several simulated worlds.

For every world (:data:`inconcert.simulate.WORLDS`: ``default``, ``viral``, ``fans`` and
``hard`` by default) and seed (0-4 by default), the benchmark simulates the posts (each world at
``--scale`` times its named size, 2 by default: ~0.3M to ~0.95M posts, 6,000 to 40,000 organic
accounts; about eight minutes in all on two cores), writes them to a Parquet file and runs

* **detect**: ``inconcert detect POSTS --out DIR --quiet`` in a subprocess, with the default
  options (``--window`` only when given here), reading group membership from ``accounts.csv``
  (``account_id`` → ``group_id``; an empty ``group_id`` means no group), so the benchmark does
  not depend on how the detector forms its groups;
* **naive**: a DuckDB self-join of the actions of the kinds ``detect`` compares by default
  (:func:`inconcert.actions.posts_to_actions`: reposts, quotes, canonical links, hashtags, exact
  normalised text, images) on the same object by two different accounts at most ``window``
  seconds apart (detect's default window unless given); a pair of accounts is kept when it
  co-acted on at least 4 distinct objects; groups are the connected components of the kept
  pairs.

Metrics, for each (world, seed, method), against the truth table of the simulation:

* ``organic_flagged``: organic accounts (null ``group_id`` in the truth) in any output group,
  and ``organic_share``, that count over all organic accounts;
* ``pair_precision``: of the unordered pairs of accounts placed in the same output group, the
  share whose two accounts are in the same planted group (``correct / predicted`` pairs;
  :func:`inconcert.evaluate.evaluate_groups`; 1.0 when no pair is predicted);
* ``recall[b]`` for each truth behaviour ``b`` of planted accounts (``url_ring`` ...,
  ``amplifier_seed`` for the seed accounts of amplifier rings): the share of the accounts with
  that behaviour that are in any output group;
* ``largest_group``: accounts in the largest output group; ``groups``; ``seconds``: wall time
  of the method (detect: the whole subprocess, from the Parquet file to the result files;
  naive: actions, join and components from the posts table in memory).

It prints one table per world (rows: methods; numbers averaged over the seeds, with min–max
where they vary) and writes every raw number to ``--json``.

``--quick`` is a smoke run of well under a minute: one seed, every world shrunk to at most 5,000
organic accounts over 14 days (event counts and crowd sizes shrunk with it).

``--crowds K`` multiplies every world's viral moments, breaking links and trending hashtags by
``K`` (after ``--scale``): more organic crowds, the innocent pairs a null model must discount.

Usage: python benchmarks/quality.py [--quick] [--worlds default viral fans hard]
       [--seeds 0 1 2 3 4] [--scale 2] [--crowds 1] [--window 60] [--json quality.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import igraph as ig
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from inconcert.actions import posts_to_actions
from inconcert.evaluate import evaluate_groups
from inconcert.options import DetectOptions
from inconcert.simulate import PLANTED_ROLES, WORLDS, SimulationConfig, simulate

DEFAULT_WORLDS = ("default", "viral", "fans", "hard")
DEFAULT_SEEDS = (0, 1, 2, 3, 4)
# The default run simulates each world at twice its named size (accounts, groups, celebrities
# and events; crowd sizes and per-account rates unchanged): ~0.9M posts and 40,000 organic
# accounts for viral and hard; the whole run took ~8 minutes on 2 cores (469 s).
DEFAULT_SCALE = 2.0
MIN_OBJECTS = 4  # the naive baseline's threshold: distinct co-objects per pair
METHODS = ("detect", "naive")

# Quick mode: every world shrunk to at most this many organic accounts over this many days; the
# event counts and crowd sizes shrink with it, so that crowds stay as large a share of the
# accounts and as frequent per account and day as in the full world.
_QUICK_ORGANIC = 5000
_QUICK_DAYS = 14
_SCALED_COUNTS = ("viral_moments", "breaking_links", "viral_bursts", "breaking_news")
_SCALED_BY_SIZE = ("n_organic", "n_groups", "celebrities", "viral_giants", *_SCALED_COUNTS)
#: The popularity events ``--crowds`` multiplies (after ``--scale``): issue 10's skewed
#: worlds, where organic crowds make innocent pairs.
CROWD_EVENTS = ("viral_moments", "breaking_links", "trending_tags")
_SCALED_RANGES = (
    "viral_crowd_range",
    "viral_giant_range",
    "breaking_link_range",
    "burst_size_range",
    "breaking_size_range",
)


def world_config(
    world: str,
    seed: int,
    *,
    quick: bool = False,
    scale: float = 1.0,
    crowds: float = 1.0,
    **overrides: Any,
) -> SimulationConfig:
    """The configuration of one run: the named world with its counts of accounts, groups,
    celebrities and events times ``scale``, or a small version of it (``quick``, which ignores
    ``scale``); its viral moments, breaking links and trending tags (:data:`CROWD_EVENTS`)
    times ``crowds`` as well; then ``overrides`` (fields of
    :class:`~inconcert.simulate.SimulationConfig`)."""
    config = _sized_config(world, seed, quick=quick, scale=scale)
    crowded = {name: round(getattr(config, name) * crowds) for name in CROWD_EVENTS}
    return dataclasses.replace(config, **{**crowded, **overrides})


def _sized_config(world: str, seed: int, *, quick: bool, scale: float) -> SimulationConfig:
    """The named world at ``scale``, or its small version (``quick``)."""
    config = SimulationConfig.preset(world, seed=seed)
    if not quick:
        scaled = {name: round(getattr(config, name) * scale) for name in _SCALED_BY_SIZE}
        return dataclasses.replace(config, **scaled)
    n_organic = min(config.n_organic, _QUICK_ORGANIC)
    share = n_organic / max(config.n_organic, 1)
    factor = share * _QUICK_DAYS / config.days
    changes: dict[str, Any] = {
        "n_organic": n_organic,
        "days": _QUICK_DAYS,
        "n_groups": max(len(config.behaviours), round(config.n_groups * share)),
        "celebrities": max(1, round(config.celebrities * share)) if config.celebrities else 0,
    }
    for name in _SCALED_COUNTS:
        value = getattr(config, name)
        changes[name] = max(1, round(value * factor)) if value else 0
    for name in _SCALED_RANGES:
        lo, hi = getattr(config, name)
        changes[name] = (max(2, round(lo * share)), max(2, round(hi * share)))
    return dataclasses.replace(config, **changes)


# ---------------------------------------------------------------------------------------------
# Methods
# ---------------------------------------------------------------------------------------------


def default_window() -> float:
    """The window of ``inconcert detect`` with default options, in seconds."""
    window = DetectOptions().window
    return float(window) if isinstance(window, int | float) else 60.0


def run_detect(posts_path: Path, out_dir: Path, window: float | None = None) -> pa.Table:
    """``inconcert detect`` with default options (and ``--window`` when given), in a
    subprocess; returns ``account_id, group_id`` of the accounts in a group."""
    command = [
        sys.executable,
        "-m",
        "inconcert.cli",
        "detect",
        str(posts_path),
        "--out",
        str(out_dir),
        "--quiet",
    ]
    if window is not None:
        command += ["--window", f"{window:g}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"inconcert detect failed ({done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )
    return read_groups(out_dir / "accounts.csv")


def read_groups(accounts_csv: Path) -> pa.Table:
    """``account_id, group_id`` (strings) of the accounts of a result's ``accounts.csv`` that
    are in a group; every other column is ignored. A missing file means no group."""
    if not accounts_csv.exists():
        return _assignments([], [])
    table = pacsv.read_csv(
        accounts_csv,
        convert_options=pacsv.ConvertOptions(
            column_types={"account_id": pa.string(), "group_id": pa.string()},
            include_columns=["account_id", "group_id"],
            strings_can_be_null=True,
        ),
    )
    table = table.filter(
        pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(table["group_id"]), ""), False)
    )
    return _assignments(table["account_id"].to_pylist(), table["group_id"].to_pylist())


def _assignments(accounts: Sequence[str], groups: Sequence[str]) -> pa.Table:
    return pa.table(
        {"account_id": pa.array(accounts, pa.string()), "group_id": pa.array(groups, pa.string())}
    )


_PAIRS_SQL = """
WITH acts AS (
    SELECT account_id, kind || chr(31) || object_id AS obj,
           epoch_us(timestamp) AS t, epoch_us(timestamp) // {w} AS bucket
    FROM actions
),
near AS (  -- each action once per bucket it can meet: its own and the two next to it
    SELECT account_id, obj, t, bucket + d AS bucket
    FROM acts, (VALUES (-1), (0), (1)) AS shift(d)
)
SELECT a.account_id AS x, b.account_id AS y, count(DISTINCT a.obj) AS objects
FROM acts a JOIN near b
  ON a.obj = b.obj AND a.bucket = b.bucket AND a.account_id < b.account_id
WHERE abs(a.t - b.t) <= {w}
GROUP BY 1, 2
HAVING count(DISTINCT a.obj) >= {min_objects}
"""


def naive_pairs(actions: pa.Table, window: float, min_objects: int = MIN_OBJECTS) -> pa.Table:
    """Pairs of accounts that acted on at least ``min_objects`` distinct objects (kind and
    object id) at most ``window`` seconds apart: ``x < y, objects``.

    The time axis is cut into buckets of one window; an action meets the actions of its own and
    the two neighbouring buckets, which holds every partner within the window (the join stays
    linear in viral bursts instead of quadratic in all actions on a popular object).
    """
    w = max(round(window * 1_000_000), 1)
    con = duckdb.connect()
    try:
        con.register("actions", actions.select(["account_id", "kind", "object_id", "timestamp"]))
        pairs = con.sql(_PAIRS_SQL.format(w=w, min_objects=int(min_objects))).to_arrow_table()
    finally:
        con.close()
    return pairs.sort_by([("x", "ascending"), ("y", "ascending")])


def components(pairs: pa.Table) -> pa.Table:
    """Connected components of the pairs as ``account_id, group_id`` (group ``1`` the
    largest, ties by smallest account id)."""
    xs, ys = pairs["x"].to_pylist(), pairs["y"].to_pylist()
    names = sorted(set(xs) | set(ys))
    if not names:
        return _assignments([], [])
    index = {name: i for i, name in enumerate(names)}
    graph = ig.Graph(
        n=len(names), edges=[(index[a], index[b]) for a, b in zip(xs, ys, strict=True)]
    )
    membership = np.asarray(graph.connected_components().membership)
    sizes = np.bincount(membership)
    first = np.full(len(sizes), len(names))
    np.minimum.at(first, membership, np.arange(len(names)))
    order = np.lexsort((first, -sizes))
    rank = np.empty(len(sizes), dtype=np.int64)
    rank[order] = np.arange(1, len(sizes) + 1)
    return _assignments(names, [str(r) for r in rank[membership].tolist()])


def run_naive(posts: pa.Table, window: float, min_objects: int = MIN_OBJECTS) -> pa.Table:
    """The naive baseline on posts: actions of detect's default kinds, pairs, components."""
    actions, _ = posts_to_actions(posts, DetectOptions().kinds)
    return components(naive_pairs(actions, window, min_objects))


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


def metrics(truth: pa.Table, groups: pa.Table) -> dict[str, Any]:
    """Scores of output groups (``account_id, group_id``; rows without a group ignored)
    against a truth table (``account_id, group_id, behaviour``); see the module docstring."""
    groups = groups.filter(pc.is_valid(groups["group_id"]))
    ev = evaluate_groups(truth.select(["account_id", "group_id"]), groups)
    flagged = set(groups["account_id"].to_pylist())
    recall: dict[str, float] = {}
    per_behaviour: dict[str, list[str]] = {}
    for row in truth.filter(pc.is_valid(truth["group_id"])).to_pylist():
        per_behaviour.setdefault(row["behaviour"], []).append(row["account_id"])
    for behaviour in sorted(per_behaviour, key=_behaviour_order):
        members = per_behaviour[behaviour]
        recall[behaviour] = sum(a in flagged for a in members) / len(members)
    sizes = (
        np.asarray(pc.value_counts(groups["group_id"]).field("counts"))
        if groups.num_rows
        else np.zeros(0, np.int64)
    )
    return {
        "organic_accounts": ev.organic_accounts,
        "organic_flagged": ev.organic_flagged,
        "organic_share": ev.organic_flagged_share,
        "planted_accounts": ev.planted_accounts,
        "planted_recall": ev.planted_recall,
        "pair_precision": ev.pair_precision,
        "pair_recall": ev.pair_recall,
        "predicted_pairs": ev.predicted_pairs,
        "correct_pairs": int(ev.correct_pairs),
        "recall": recall,
        "groups": len(sizes),
        "flagged_accounts": len(flagged),
        "largest_group": int(sizes.max()) if len(sizes) else 0,
    }


def _behaviour_order(behaviour: str) -> tuple[int, str]:
    known = list(PLANTED_ROLES)
    return (known.index(behaviour) if behaviour in known else len(known), behaviour)


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


def run_one(
    world: str,
    seed: int,
    *,
    quick: bool = False,
    scale: float = 1.0,
    crowds: float = 1.0,
    window: float | None = None,
    workdir: Path | None = None,
    **overrides: Any,
) -> list[dict[str, Any]]:
    """Simulate one world and seed (see :func:`world_config`), run both methods; one record
    per method."""
    config = world_config(world, seed, quick=quick, scale=scale, crowds=crowds, **overrides)
    t0 = time.perf_counter()
    sim = simulate(config)
    simulate_s = time.perf_counter() - t0
    base = {
        "world": world,
        "seed": seed,
        "posts": sim.posts.num_rows,
        "accounts": sim.truth.num_rows,
        "simulate_seconds": simulate_s,
    }
    records = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        posts_path = Path(tmp) / "posts.parquet"
        pq.write_table(sim.posts, posts_path)
        for method in METHODS:
            t0 = time.perf_counter()
            if method == "detect":
                groups = run_detect(posts_path, Path(tmp) / "result", window)
            else:
                groups = run_naive(sim.posts, default_window() if window is None else window)
            seconds = time.perf_counter() - t0
            records.append(
                {**base, "method": method, "seconds": seconds, **metrics(sim.truth, groups)}
            )
    return records


def summarise(records: list[dict[str, Any]], world: str) -> str:
    """One world's table: a row per method, numbers averaged over seeds (min–max)."""
    rows = [r for r in records if r["world"] == world]
    if not rows:
        return ""
    behaviours = sorted({b for r in rows for b in r["recall"]}, key=_behaviour_order)
    seeds = sorted({r["seed"] for r in rows})
    first = rows[0]
    head = (
        f"world {world}: {len(seeds)} seeds ({', '.join(map(str, seeds))}), "
        f"~{np.mean([r['posts'] for r in rows]):,.0f} posts, "
        f"{first['organic_accounts']:,} organic and ~"
        f"{np.mean([r['planted_accounts'] for r in rows]):,.0f} planted accounts"
    )
    columns = [
        "method",
        "organic flagged",
        "% organic",
        "pair precision",
        *[_short(b) for b in behaviours],
        "largest group",
        "seconds",
    ]
    table = []
    for method in METHODS:
        mine = [r for r in rows if r["method"] == method]
        if not mine:
            continue
        cells = [
            method,
            mean_range([r["organic_flagged"] for r in mine], "{:.0f}"),
            mean_range([100 * r["organic_share"] for r in mine], "{:.2f}"),
            mean_range([r["pair_precision"] for r in mine], "{:.3f}"),
            *[
                mean_range([r["recall"].get(b, math.nan) for r in mine], "{:.2f}")
                for b in behaviours
            ],
            mean_range([r["largest_group"] for r in mine], "{:.0f}"),
            mean_range([r["seconds"] for r in mine], "{:.1f}"),
        ]
        table.append(cells)
    lines = [head, *aligned(columns, table)]
    lines.append("recall columns: " + ", ".join(f"{_short(b)} = {b}" for b in behaviours))
    return "\n".join(lines)


_SHORT = {
    "url_ring": "url",
    "repost_ring": "repost",
    "hashtag_push": "hashtag",
    "copypasta": "copy",
    "mixed": "mixed",
    "amplifier_ring": "ampl",
    "slow_copypasta": "slowcopy",
    "amplifier_seed": "seed",
}


def aligned(columns: list[str], rows: list[list[str]]) -> list[str]:
    """A text table's lines: the header, then the rows, each column right-aligned to its
    widest cell."""
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]
    return [
        "  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True))
        for line in [columns, *rows]
    ]


def _short(behaviour: str) -> str:
    return _SHORT.get(behaviour, behaviour)


def mean_range(values: list[float], fmt: str) -> str:
    """The mean of ``values`` (NaN left out) formatted with ``fmt``, with ``(min–max)`` after it
    where the two differ as printed; ``-`` when nothing is left."""
    ok = [v for v in values if not math.isnan(v)]
    if not ok:
        return "-"
    mean, lo, hi = float(np.mean(ok)), min(ok), max(ok)
    if fmt.format(lo) == fmt.format(hi):
        return fmt.format(mean)
    return f"{fmt.format(mean)} ({fmt.format(lo)}–{fmt.format(hi)})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--worlds",
        nargs="+",
        default=list(DEFAULT_WORLDS),
        choices=list(WORLDS),
        help="Named worlds to simulate.",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=None,
        help="Seeds of each world (default: 0 1 2 3 4; 0 with --quick).",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=None,
        help="Window in seconds for both methods (default: detect's default, "
        "and no --window passed to detect).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"Small worlds ({_QUICK_ORGANIC} organic accounts, {_QUICK_DAYS} "
        "days) and one seed: a smoke run of about a minute.",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=DEFAULT_SCALE,
        help=f"Size of each world relative to its named preset (default {DEFAULT_SCALE:g}).",
    )
    parser.add_argument(
        "--crowds",
        type=float,
        default=1.0,
        help="Also multiply each world's viral moments, breaking links and trending tags by "
        "this (default 1; the skewed worlds of issue 10: 3).",
    )
    parser.add_argument("--json", type=Path, default=None, help="Write all raw numbers here.")
    args = parser.parse_args(argv)
    if not args.scale > 0:
        parser.error("--scale must be > 0")
    if not args.crowds >= 0:
        parser.error("--crowds must be >= 0")
    seeds = args.seeds or list(DEFAULT_SEEDS[:1] if args.quick else DEFAULT_SEEDS)

    started = time.perf_counter()
    records: list[dict[str, Any]] = []
    for world in args.worlds:
        for seed in seeds:
            done = run_one(
                world,
                seed,
                quick=args.quick,
                scale=args.scale,
                crowds=args.crowds,
                window=args.window,
            )
            records += done
            d = {r["method"]: r for r in done}
            print(
                f"# {world} seed {seed}: {done[0]['posts']:,} posts simulated in "
                f"{done[0]['simulate_seconds']:.1f} s; "
                + "; ".join(
                    f"{m} {d[m]['seconds']:.1f} s, {d[m]['organic_flagged']} organic, "
                    f"precision {d[m]['pair_precision']:.3f}"
                    for m in METHODS
                ),
                flush=True,
            )
        print()
        print(summarise(records, world), flush=True)
        print()
    total = time.perf_counter() - started
    window = default_window() if args.window is None else args.window
    print(
        f"total {total:.0f} s; window {window:g} s; naive: >= {MIN_OBJECTS} distinct "
        f"co-objects per pair, connected components"
    )
    if args.json:
        payload = {
            "worlds": args.worlds,
            "seeds": seeds,
            "quick": args.quick,
            "scale": None if args.quick else args.scale,
            "crowds": args.crowds,
            "window": window,
            "window_given": args.window is not None,
            "min_objects": MIN_OBJECTS,
            "total_seconds": total,
            "configs": {
                w: _jsonable(
                    dataclasses.asdict(
                        world_config(w, 0, quick=args.quick, scale=args.scale, crowds=args.crowds)
                    )
                )
                for w in args.worlds
            },
            "runs": records,
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1, default=str) + "\n")
        print(f"raw numbers: {args.json}")
    return 0


def _jsonable(config: dict[str, Any]) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in config.items() if k != "seed"}


if __name__ == "__main__":
    raise SystemExit(main())
