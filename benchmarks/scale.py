"""Scale benchmark: ``inconcert detect`` against a naive baseline as the posts grow.

The world is ``hard`` (:func:`inconcert.simulate.SimulationConfig.preset`: viral moments and
giants, breaking links, trending tags with trend followers, heavy-tailed fans, seven planted
behaviours), at ``--scales`` times its named size: accounts, groups, celebrities and events
grow together, so the *density* (posts per account per day, crowd per viral moment) stays
constant and a linear tool's cost grows linearly. One unit is ~0.45M posts.

For each scale, each method runs in its own process (the same Parquet file, alternated, so a
busy machine slows both alike), and the benchmark records wall time and peak RSS (``wait4``):

* **detect**: ``inconcert detect POSTS --out DIR --window W --memory-limit M --quiet``: the
  whole command line, reading the file, the null model, groups, evidence, report and figures;
* **naive**: ``python benchmarks/scale.py --naive POSTS W``: read the file, the actions of
  detect's default kinds (:func:`inconcert.actions.posts_to_actions`), a DuckDB self-join on
  time buckets (pairs with at least 4 distinct co-objects) and connected components
  (``benchmarks/quality.py``'s baseline).

It prints, per scale, both methods' seconds and peak MB, the ratio detect/naive, seconds and MB
per million posts (constant when cost grows linearly), and detect's co-actions (manifest).
With ``--spark``, detect also runs on Apache Spark (``--engine spark``, a local master with
every core; peak MB is the Python driver's, the JVM's is apart) and the line says how many
times DuckDB's time it took.

Usage: python benchmarks/scale.py [--scales 1 2.2 6.6 22] [--window 120]
       [--memory-limit 8GB] [--repeat 1] [--json scale.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _run(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; its wall seconds and peak RSS in MB (Linux ``wait4``)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def naive(posts: str, window: float) -> None:
    """The naive baseline as its own process (``--naive``)."""
    import pyarrow.parquet as pq
    import quality

    groups = quality.run_naive(pq.read_table(posts), window)
    print(groups.num_rows)


def simulate_world(scale: float, seed: int, path: Path) -> tuple[int, float]:
    """Write the ``hard`` world at ``scale`` to ``path``; its posts and the seconds it took."""
    import pyarrow.parquet as pq
    import quality

    from inconcert.simulate import simulate

    t0 = time.perf_counter()
    sim = simulate(quality.world_config("hard", seed, scale=scale))
    pq.write_table(sim.posts, path)
    return sim.posts.num_rows, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.2, 6.6, 22.0])
    parser.add_argument("--window", type=float, default=120.0)
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-naive", action="store_true", help="detect only (large scales)")
    parser.add_argument(
        "--spark",
        action="store_true",
        help="also detect with --engine spark --spark-master local[N] (N = cores)",
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--naive", nargs=2, metavar=("POSTS", "WINDOW"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        naive(args.naive[0], float(args.naive[1]))
        return
    inconcert = str(Path(sys.executable).with_name("inconcert"))
    records: list[dict[str, Any]] = []
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as tmp:
            posts_path = Path(tmp) / "posts.parquet"
            posts, sim_s = simulate_world(scale, args.seed, posts_path)
            print(f"scale {scale:g}: {posts:,} posts (simulated in {sim_s:.0f} s)", flush=True)
            runs: dict[str, list[tuple[float, float]]] = {"detect": [], "naive": []}
            manifest: dict[str, Any] = {}
            for _ in range(args.repeat):
                out = Path(tmp) / "result"
                shutil.rmtree(out, ignore_errors=True)
                runs["detect"].append(
                    _run(
                        [
                            inconcert,
                            "detect",
                            str(posts_path),
                            "--out",
                            str(out),
                            "--window",
                            f"{args.window:g}",
                            "--memory-limit",
                            args.memory_limit,
                            "--quiet",
                        ]
                    )
                )
                manifest = json.loads((out / "manifest.json").read_text())
                if args.spark:
                    shutil.rmtree(out, ignore_errors=True)
                    runs.setdefault("spark", []).append(
                        _run(
                            [
                                inconcert,
                                "detect",
                                str(posts_path),
                                "--out",
                                str(out),
                                "--window",
                                f"{args.window:g}",
                                "--engine",
                                "spark",
                                "--spark-master",
                                f"local[{os.cpu_count() or 1}]",
                                "--quiet",
                            ]
                        )
                    )
                if not args.no_naive:
                    runs["naive"].append(
                        _run(
                            [
                                sys.executable,
                                __file__,
                                "--naive",
                                str(posts_path),
                                f"{args.window:g}",
                            ]
                        )
                    )
            record: dict[str, Any] = {
                "scale": scale,
                "posts": posts,
                "coactions": manifest.get("summary", {}).get("coactions_before_min_participation"),
                "edges": manifest.get("summary", {}).get("edges"),
                "timings_s": manifest.get("timings_s"),
            }
            record["actions"] = sum(
                (
                    manifest.get("summary", {}).get("actions", {}).get("actions_by_kind") or {}
                ).values()
            )
            for method, values in runs.items():
                if values:
                    record[f"{method}_s"] = statistics.median(v[0] for v in values)
                    record[f"{method}_mb"] = max(v[1] for v in values)
            records.append(record)
            print(_row(record), flush=True)
    print()
    print(_table(records, args))
    if args.json:
        args.json.write_text(json.dumps(records, indent=2))


def _row(r: dict[str, Any]) -> str:
    if "naive_s" not in r:
        return f"  detect {r['detect_s']:.1f} s {r['detect_mb']:.0f} MB; naive not run"
    ratio = r["detect_s"] / r["naive_s"]
    naive = f"naive {r['naive_s']:.1f} s {r['naive_mb']:.0f} MB, ratio {ratio:.2f}"
    spark = (
        f"; spark {r['spark_s']:.1f} s {r['spark_mb']:.0f} MB (driver), "
        f"{r['spark_s'] / r['detect_s']:.1f}x DuckDB's time"
        if "spark_s" in r
        else ""
    )
    return f"  detect {r['detect_s']:.1f} s {r['detect_mb']:.0f} MB; {naive}{spark}"


def _table(records: list[dict[str, Any]], args: argparse.Namespace) -> str:
    head = (
        f"hard world, window {args.window:g} s, detect --memory-limit {args.memory_limit}, "
        f"seed {args.seed}, median of {args.repeat}\n"
        "| posts | co-actions | detect s | detect peak MB | naive s | naive peak MB "
        "| detect / naive | detect s per 1M posts | detect MB per 1M posts |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    lines = [head]
    for r in records:
        per = 1e6 / r["posts"]
        naive_s = f"{r['naive_s']:.1f}" if "naive_s" in r else "—"
        naive_mb = f"{r['naive_mb']:.0f}" if "naive_mb" in r else "—"
        ratio = f"{r['detect_s'] / r['naive_s']:.2f}×" if "naive_s" in r else "—"
        co = f"{r['coactions']:,}" if r.get("coactions") is not None else "—"
        lines.append(
            f"| {r['posts']:,} | {co} | {r['detect_s']:.1f} | {r['detect_mb']:.0f} | {naive_s} "
            f"| {naive_mb} | {ratio} | {r['detect_s'] * per:.1f} | {r['detect_mb'] * per:.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
