"""Length benchmark: does a longer collection make the same accounts look more coordinated?

A user who collects a year of posts instead of a month must not get more false positives per
month: what two accounts did on one day should be judged against what everyone did around
then, not against the whole collection. A null model whose expectations divide by all the
actions of a kind in the input breaks this: every month appended makes the same co-actions
rarer under the null, so the same pairs look more significant and organic accounts get flagged
that a month alone would not flag. This benchmark measures it directly, on data where the right
answer is known: ``k`` copies of one simulated world must give ``k`` times the result of one.

For every world (``viral`` and ``hard`` by default) and seed (0 and 1), the world is simulated
once at ``--scale`` times its named size (1 by default: ~0.45M posts, 20,000 organic accounts
over 30 days; :func:`quality.world_config`), and for every ``k`` of ``--copies`` (1, 2 and 4)
``k`` copies of it are written end to end in time:

* copy ``i`` is :func:`scale.copy_of` the world: account and post ids (and references and
  mentions) with the suffix ``-c<i>``, links, hashtags and image hashes made its own, texts
  scrambled by a character bijection of its own (copy 0 keeps its texts), so no object,
  account or pair of accounts is shared between copies;
* copy ``i`` is shifted by ``i`` times the world's span in whole days (the smallest number of
  days longer than first-to-last post: 30 for a 30-day world), so copies never overlap in time
  and each keeps its UTC days and hours;
* the truth table is renamed the same way: account ids with the same ``-c<i>`` suffix, planted
  group ids with ``-c<i>`` too, so that copies of a group stay distinct groups (a detected
  group spanning two copies counts as wrong pairs); organic accounts stay organic.

So the ``k``-copy input is ``k`` independent, identical months back to back: every per-copy
number should be the same for every ``k``. On each input the benchmark runs

* **detect**: ``inconcert detect POSTS --out DIR --quiet`` with default options in a
  subprocess (:func:`quality.run_detect`; it inherits ``PYTHONPATH``, so
  ``PYTHONPATH=/other/src python benchmarks/length.py`` measures another checkout);
* **naive**: the baseline of ``benchmarks/quality.py`` on the concatenated posts (pairs with
  at least 4 distinct co-objects within detect's window, connected components: the steps of
  :func:`quality.run_naive`, kept apart to count the pairs). It has no null model, so it is
  exactly length-independent: a control.

Metrics, per (world, seed, k, method), against the renamed truth (:func:`quality.metrics`):
``organic_flagged`` (organic accounts in any output group; also ``organic_per_copy`` =
flagged / k and ``organic_by_copy``), ``pair_precision``, ``planted_recall`` and ``recall``
per planted behaviour, ``kept_edges`` (detect: rows of ``edges.csv``, or ``edges.parquet``,
in its output; naive: kept pairs) with ``edges_per_copy`` and ``cross_copy_edges`` (edges
between accounts of two copies: 0 unless copies leak into each other), ``seconds`` (wall time;
meaningless on a busy machine).

It prints one table per world (rows: method × k; numbers averaged over the seeds, with min–max
where they vary) and one verdict per world and method: organic flagged per copy at the largest
``k`` against the smallest (ratio), whether that grows (more than 10 %, and more than one account
per copy, above it), and the change of planted recall. ``--json`` writes every raw number.

Which inconcert ran is in the JSON (``source``: its folder, commit and a hash of uncommitted
changes under ``src``; each detect record's ``detect_cli``), and a warning is printed when that
source changed during the run.

Measured with the defaults (2 worlds × 2 seeds × k = 1 2 4, ~10 minutes on 2 busy cores), organic
flagged per copy at k = 1 → 2 → 4, means over seeds 0 and 1 (planted recall unchanged with k
in every case):

* null model dividing by every action of a kind in the input (commit cede07e): viral 5.0 →
  20.0 → 110.0, hard 4.0 → 31.0 → 136.5 (pair precision 0.999 → 0.983 and 1.000 → 0.991); kept
  edges per copy grow too (viral 3,288 → 3,354, hard 7,430 → 7,560);
* null model of the same UTC day (the change on top of cede07e, uncommitted then): viral
  1.0 → 1.0 → 1.0, hard 0 → 0 → 0, and exactly k times the edges;
* naive baseline (no null model): 102.5 and 108.5 per copy at every k, as it must.

``--quick`` is a smoke run of under half a minute: quality's quick worlds (at most 5,000 organic
accounts over 14 days), one seed, k = 1 2.

Usage: python benchmarks/length.py [--quick] [--worlds viral hard] [--seeds 0 1]
       [--copies 1 2 4] [--scale 1] [--json length.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import inconcert
from inconcert.actions import posts_to_actions
from inconcert.options import DetectOptions
from inconcert.simulate import TRUTH_SCHEMA, WORLDS, Simulation, simulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality
from scale import copy_of

DEFAULT_WORLDS = ("viral", "hard")
DEFAULT_SEEDS = (0, 1)
DEFAULT_COPIES = (1, 2, 4)
QUICK_COPIES = (1, 2)
DEFAULT_SCALE = 1.0
METHODS = ("detect", "naive")
DAY_US = 86_400 * 1_000_000
# verdict: per-copy organic flagged "grows" when it rises by more than this share of its
# value at the smallest k and by more than this many accounts per copy
GROWTH_SHARE = 0.10
GROWTH_ACCOUNTS = 1.0

_COPY_RE = re.compile(r"-c(\d+)$")


# ---------------------------------------------------------------------------------------------
# Copies
# ---------------------------------------------------------------------------------------------


def span_days(posts: pa.Table) -> int:
    """The world's span in whole days: the fewest days longer than its first-to-last post, so
    that copies shifted by it never overlap (30 for a 30-day world starting at midnight)."""
    if posts.num_rows == 0:
        return 1
    stamps = posts.column("timestamp").cast(pa.int64())
    first, last = pc.min(stamps).as_py(), pc.max(stamps).as_py()
    return int((last - first) // DAY_US) + 1


def copied_posts(posts: pa.Table, k: int, days: int) -> pa.Table:
    """``k`` copies of ``posts`` end to end: copy ``i`` is :func:`scale.copy_of` shifted by
    ``i * days`` days."""
    return pa.concat_tables([copy_of(posts, i, i * days * DAY_US) for i in range(k)])


def copy_truth(truth: pa.Table, index: int) -> pa.Table:
    """The truth of copy ``index``: account ids with the suffix :func:`scale.copy_of` gives
    them (``-c<index>``) and planted group ids with it too (organic stays null)."""
    suffix = pa.scalar(f"-c{index}")
    return pa.table(
        {
            "account_id": pc.binary_join_element_wise(
                truth.column("account_id").cast(pa.string()), suffix, ""
            ),
            "group_id": pc.binary_join_element_wise(
                truth.column("group_id").cast(pa.string()), suffix, ""
            ),
            "behaviour": truth.column("behaviour"),
        },
        schema=TRUTH_SCHEMA,
    )


def copied_truth(truth: pa.Table, k: int) -> pa.Table:
    """The truth of :func:`copied_posts`: the ``k`` renamed truths one after the other."""
    return pa.concat_tables([copy_truth(truth, i) for i in range(k)])


def copy_index(account_id: str) -> int:
    """Which copy an account belongs to, from its ``-c<i>`` suffix (-1 without one)."""
    found = _COPY_RE.search(account_id)
    return int(found.group(1)) if found else -1


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


def read_edges(out_dir: Path) -> pa.Table | None:
    """``account_a, account_b`` of a detect result's kept edges (``edges.csv``, else
    ``edges.parquet``); None when it wrote neither."""
    columns = ["account_a", "account_b"]
    csv_path, parquet_path = out_dir / "edges.csv", out_dir / "edges.parquet"
    if csv_path.exists():
        return pacsv.read_csv(
            csv_path,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), include_columns=columns
            ),
        )
    if parquet_path.exists():
        return pq.read_table(parquet_path, columns=columns)
    return None


def _cross_copy(a: Sequence[str], b: Sequence[str]) -> int:
    return sum(copy_index(x) != copy_index(y) for x, y in zip(a, b, strict=True))


def _by_copy(truth: pa.Table, groups: pa.Table, k: int) -> list[int]:
    """Organic accounts flagged in each copy."""
    organic = set(truth.filter(pc.is_null(truth["group_id"]))["account_id"].to_pylist())
    counts = [0] * k
    for account in set(groups.filter(pc.is_valid(groups["group_id"]))["account_id"].to_pylist()):
        i = copy_index(account)
        if account in organic and 0 <= i < k:
            counts[i] += 1
    return counts


def run_copies(
    sim: Simulation, k: int, days: int, workdir: Path, base: dict[str, Any]
) -> list[dict[str, Any]]:
    """Both methods on ``k`` copies of a simulated world; one record per method."""
    posts = copied_posts(sim.posts, k, days)
    truth = copied_truth(sim.truth, k)
    posts_path = workdir / f"posts-k{k}.parquet"
    pq.write_table(posts, posts_path)
    base = {**base, "copies": k, "posts": posts.num_rows, "accounts": truth.num_rows}
    records = []
    for method in METHODS:
        extra: dict[str, Any] = {}
        t0 = time.perf_counter()
        if method == "detect":
            out_dir = workdir / f"result-k{k}"
            groups = quality.run_detect(posts_path, out_dir)
            seconds = time.perf_counter() - t0
            edges = read_edges(out_dir)
            kept = None if edges is None else edges.num_rows
            cross = (
                None
                if edges is None
                else _cross_copy(edges["account_a"].to_pylist(), edges["account_b"].to_pylist())
            )
            manifest = json.loads((out_dir / "manifest.json").read_text())
            summary = manifest.get("summary") or {}
            extra = {
                "edges_before_threshold": summary.get("edges_before_threshold"),
                "detect_cli": (manifest.get("command") or [None])[0],
            }
        else:
            actions, _ = posts_to_actions(posts, DetectOptions().kinds)
            pairs = quality.naive_pairs(actions, quality.default_window())
            groups = quality.components(pairs)
            seconds = time.perf_counter() - t0
            kept = pairs.num_rows
            cross = _cross_copy(pairs["x"].to_pylist(), pairs["y"].to_pylist())
        m = quality.metrics(truth, groups)
        records.append(
            {
                **base,
                "method": method,
                "seconds": seconds,
                **m,
                "organic_per_copy": m["organic_flagged"] / k,
                "organic_by_copy": _by_copy(truth, groups, k),
                "kept_edges": kept,
                "edges_per_copy": None if kept is None else kept / k,
                "cross_copy_edges": cross,
                **extra,
            }
        )
    posts_path.unlink()
    return records


def run_world(
    world: str,
    seed: int,
    copies: Sequence[int],
    *,
    quick: bool = False,
    scale: float = DEFAULT_SCALE,
    workdir: Path | None = None,
    progress: bool = False,
    **overrides: Any,
) -> list[dict[str, Any]]:
    """Simulate one world and seed once (:func:`quality.world_config`) and run both methods
    on each number of copies; one record per (k, method)."""
    config = quality.world_config(world, seed, quick=quick, scale=scale, **overrides)
    t0 = time.perf_counter()
    sim = simulate(config)
    simulate_s = time.perf_counter() - t0
    days = span_days(sim.posts)
    base = {
        "world": world,
        "seed": seed,
        "copy_posts": sim.posts.num_rows,
        "span_days": days,
        "simulate_seconds": simulate_s,
    }
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for k in copies:
            done = run_copies(sim, k, days, Path(tmp), base)
            records += done
            if progress:
                print(_progress(done), flush=True)
    return records


def _progress(done: list[dict[str, Any]]) -> str:
    first = done[0]
    parts = []
    for r in done:
        edges = "-" if r["kept_edges"] is None else f"{r['kept_edges']:,}"
        parts.append(
            f"{r['method']} {r['seconds']:.1f} s, {r['organic_flagged']} organic "
            f"({r['organic_per_copy']:.1f} per copy), precision {r['pair_precision']:.4f}, "
            f"planted recall {r['planted_recall']:.3f}, {edges} edges"
        )
    return (
        f"# {first['world']} seed {first['seed']} k {first['copies']}: {first['posts']:,} posts; "
        + "; ".join(parts)
    )


# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------


def summarise(records: list[dict[str, Any]], world: str) -> str:
    """One world's table: a row per (method, k), numbers averaged over seeds (min–max)."""
    rows = [r for r in records if r["world"] == world]
    if not rows:
        return ""
    behaviours = sorted({b for r in rows for b in r["recall"]}, key=quality._behaviour_order)
    seeds = sorted({r["seed"] for r in rows})
    ks = sorted({r["copies"] for r in rows})
    one = [r for r in rows if r["copies"] == ks[0]]
    head = (
        f"world {world}: {len(seeds)} seeds ({', '.join(map(str, seeds))}); one copy "
        f"~{np.mean([r['copy_posts'] for r in one]):,.0f} posts over "
        f"{_mean_days(rows)} days, {one[0]['organic_accounts'] // ks[0]:,} organic and ~"
        f"{np.mean([r['planted_accounts'] / ks[0] for r in one]):,.0f} planted accounts; "
        f"k = {' '.join(map(str, ks))} copies end to end"
    )
    columns = [
        "method",
        "k",
        "organic flagged",
        "per copy",
        "pair precision",
        "planted recall",
        *[quality._short(b) for b in behaviours],
        "kept edges",
        "edges per copy",
        "seconds",
    ]
    table = []
    for method in METHODS:
        for k in ks:
            mine = [r for r in rows if r["method"] == method and r["copies"] == k]
            if not mine:
                continue
            table.append(
                [
                    method,
                    str(k),
                    quality.mean_range([r["organic_flagged"] for r in mine], "{:.0f}"),
                    quality.mean_range([r["organic_per_copy"] for r in mine], "{:.1f}"),
                    quality.mean_range([r["pair_precision"] for r in mine], "{:.4f}"),
                    quality.mean_range([r["planted_recall"] for r in mine], "{:.3f}"),
                    *[
                        quality.mean_range([r["recall"].get(b, math.nan) for r in mine], "{:.2f}")
                        for b in behaviours
                    ],
                    quality.mean_range([_num(r["kept_edges"]) for r in mine], "{:,.0f}"),
                    quality.mean_range([_num(r["edges_per_copy"]) for r in mine], "{:,.0f}"),
                    quality.mean_range([r["seconds"] for r in mine], "{:.1f}"),
                ]
            )
    lines = [head, *quality.aligned(columns, table)]
    lines.append("recall columns: " + ", ".join(f"{quality._short(b)} = {b}" for b in behaviours))
    cross = sum(r["cross_copy_edges"] or 0 for r in rows)
    if cross:
        lines.append(f"WARNING: {cross} kept edges join accounts of two copies")
    lines += [verdict(records, world, method) for method in METHODS]
    return "\n".join(line for line in lines if line)


def growth(records: list[dict[str, Any]], world: str, method: str) -> dict[str, Any] | None:
    """Per-copy organic flagged and planted recall at the smallest and largest k (means over
    seeds), their ratio and difference, and whether per-copy organic flagged grows."""
    mine = [r for r in records if r["world"] == world and r["method"] == method]
    ks = sorted({r["copies"] for r in mine})
    if len(ks) < 2:
        return None

    def mean(k: int, key: str) -> float:
        return float(np.mean([r[key] for r in mine if r["copies"] == k]))

    lo, hi = ks[0], ks[-1]
    first, last = mean(lo, "organic_per_copy"), mean(hi, "organic_per_copy")
    rise = last - first
    if rise > max(GROWTH_SHARE * first, GROWTH_ACCOUNTS):
        trend = "grows"
    elif -rise > max(GROWTH_SHARE * first, GROWTH_ACCOUNTS):
        trend = "shrinks"
    else:
        trend = "flat"
    return {
        "k_first": lo,
        "k_last": hi,
        "organic_per_copy_first": first,
        "organic_per_copy_last": last,
        "ratio": last / first if first > 0 else (1.0 if last == 0 else math.inf),
        "trend": trend,
        "planted_recall_first": mean(lo, "planted_recall"),
        "planted_recall_last": mean(hi, "planted_recall"),
    }


def verdict(records: list[dict[str, Any]], world: str, method: str) -> str:
    """One line: does organic flagged per copy grow with the number of copies?"""
    g = growth(records, world, method)
    if g is None:
        return ""
    ratio = "×inf (none at k=1)" if math.isinf(g["ratio"]) else f"×{g['ratio']:.2f}"
    words = {
        "grows": "GROWS with the length of the collection",
        "flat": "does not grow with the length of the collection",
        "shrinks": "shrinks with the length of the collection",
    }[g["trend"]]
    change = g["planted_recall_last"] - g["planted_recall_first"]
    return (
        f"verdict {world} {method}: organic flagged per copy {g['organic_per_copy_first']:.1f} "
        f"(k={g['k_first']}) -> {g['organic_per_copy_last']:.1f} (k={g['k_last']}), {ratio}: "
        f"{words}; planted recall {g['planted_recall_first']:.3f} -> "
        f"{g['planted_recall_last']:.3f} ({change:+.3f})"
    )


def _mean_days(rows: list[dict[str, Any]]) -> str:
    days = sorted({r["span_days"] for r in rows})
    return str(days[0]) if len(days) == 1 else f"{days[0]}–{days[-1]}"


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _source_state() -> dict[str, Any]:
    """Which inconcert ran (``PYTHONPATH`` may point elsewhere) and, for a git checkout, its
    commit and a hash of its uncommitted changes under ``src``."""
    package = Path(inconcert.__file__).resolve().parent
    root = package.parents[1]

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, check=True
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            return ""

    diff = git("diff", "HEAD", "--", "src")
    return {
        "inconcert": str(package),
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "src_changed": git("status", "--porcelain", "--", "src").splitlines(),
        "src_diff_sha256": hashlib.sha256(diff.encode()).hexdigest() if diff else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--worlds",
        nargs="+",
        default=list(DEFAULT_WORLDS),
        choices=list(WORLDS),
        help="Named worlds to simulate (default: viral hard).",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=None,
        help="Seeds of each world (default: 0 1; 0 with --quick).",
    )
    parser.add_argument(
        "--copies",
        nargs="+",
        type=int,
        default=None,
        help="Numbers of copies end to end (default: 1 2 4; 1 2 with --quick).",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=DEFAULT_SCALE,
        help=f"Size of each world relative to its named preset (default {DEFAULT_SCALE:g}; "
        "ignored with --quick).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="Quality's quick worlds, one seed, k = 1 2: a smoke run of under half a minute.",
    )
    parser.add_argument("--json", type=Path, default=None, help="Write all raw numbers here.")
    args = parser.parse_args(argv)
    if not args.scale > 0:
        parser.error("--scale must be > 0")
    if args.copies is not None and min(args.copies) < 1:
        parser.error("--copies must be >= 1")
    seeds = args.seeds or list(DEFAULT_SEEDS[:1] if args.quick else DEFAULT_SEEDS)
    copies = sorted(set(args.copies or (QUICK_COPIES if args.quick else DEFAULT_COPIES)))
    source = _source_state()
    print(f"# inconcert from {source['inconcert']}", flush=True)

    started = time.perf_counter()
    records: list[dict[str, Any]] = []
    for world in args.worlds:
        for seed in seeds:
            records += run_world(
                world, seed, copies, quick=args.quick, scale=args.scale, progress=True
            )
        print()
        print(summarise(records, world), flush=True)
        print()
    total = time.perf_counter() - started
    if _source_state() != source:
        print("WARNING: inconcert's source changed during the run; the runs may differ in it")
    print(
        f"total {total:.0f} s; window {quality.default_window():g} s; naive: >= "
        f"{quality.MIN_OBJECTS} distinct co-objects per pair, connected components"
    )
    if args.json:
        payload = {
            "worlds": args.worlds,
            "seeds": seeds,
            "copies": copies,
            "quick": args.quick,
            "scale": None if args.quick else args.scale,
            "window": quality.default_window(),
            "min_objects": quality.MIN_OBJECTS,
            "total_seconds": total,
            "source": source,
            "configs": {
                w: quality._jsonable(
                    dataclasses.asdict(
                        quality.world_config(w, 0, quick=args.quick, scale=args.scale)
                    )
                )
                for w in args.worlds
            },
            "verdicts": {w: {m: growth(records, w, m) for m in METHODS} for w in args.worlds},
            "runs": records,
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1, default=str) + "\n")
        print(f"raw numbers: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
