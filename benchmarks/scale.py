"""Scale benchmark: ``inconcert detect`` against a naive baseline as the posts grow.

Does the cost grow at most linearly with the posts? Only a world of *constant density* can
say: one where every post brings the same work, so that a superlinear cost is the tool's and
not the data's. That is the default, ``--density constant``.

Constant density (default)
--------------------------
The world at ``N`` posts is ``K = round(N / B)`` copies of the ``hard`` world
(:func:`inconcert.simulate.SimulationConfig.preset`: 20,000 organic accounts over 30 days,
~0.46M posts, ``B``; viral moments and giants, breaking links, trending tags with trend
followers, heavy-tailed fans, seven planted behaviours), one after the other in time:

* copy ``i`` is simulated with its own seed (``--seed + i``: a different world each, so
  no cache or dedup gains from repeated structure; ``--max-seeds S`` cycles through ``S``
  seeds to save simulation time, making renamed duplicates) and shifted by ``i`` times 30
  days, so the period grows with the posts;
* everything in copy ``i`` is its own: account and post ids (and ``repost_of``, ``reply_to``,
  ``quote_of``, mentions) get the suffix ``-c<i>``; every link a last path segment ``/c<i>``
  (it survives canonicalisation: a distinct canonical URL per copy); hashtags and image
  hashes the suffix ``c<i>``; the letters and digits of every text outside its links go
  through a permutation of the alphabet and one of the digits drawn for the copy (copy 0
  keeps its texts). A bijection of characters keeps every text's length and, within a copy,
  which texts are equal or near-duplicates (shingles map one to one; MinHash estimates near
  the threshold differ by their noise), while between copies texts share almost no shingle:
  exact and near-duplicate text objects differ between copies too (checked: no ``neartext``
  cluster and almost no LSH candidate pair spans two copies). Links in texts stay as
  written (detect strips them from texts; the ``url`` kind reads the ``urls`` column);
  hashtags and mentions in texts keep their markers.

So no object, account or pair of accounts is shared between copies, and no co-action
crosses from one copy to another: what grows with the posts is the span of time and
the number of accounts and objects, in proportion. Posts per account per day, objects per day,
the size distribution of crowds, viral moments, bursts and planted occasions per day, and so
the co-actions per post, are those of one copy. The table shows the co-actions per post
(``coactions_before_min_participation`` of detect's manifest over the posts) to prove it.

Why not the simulator's own fields: its accounts all post over the whole period, so growing
``days`` and the accounts together multiplies the posts by ``K**2``; growing ``days`` alone
keeps 20,000 accounts that meet again and again over a longer time (repeated co-actions per
pair, and so candidate edges, grow faster than the posts); growing the accounts and the event
counts within 30 days (``--density growing``, below) piles ``K`` times the posts onto the same
objects, because the popular and trending hashtags and the 200 meme images are fixed lists
(crowd sizes do not grow: ``viral_crowd_range`` is fixed). Measured at 120 s: 1× → 3× the
``hard`` world (0.46M → 1.44M posts), hashtag co-actions per post 0.52 → 1.71, image 0.004 →
0.011, text 0.013 → 0.020, repost 6.15 → 6.43, url 0.68 → 0.70.

Growing (``--density growing``)
-------------------------------
The former benchmark: the ``hard`` world at ``--scales`` times its named size (accounts,
groups, celebrities and event counts times the scale, within the same 30 days; crowd sizes
unchanged). Co-actions grow faster than the posts here (0.46M posts: 7.2 per post at 120 s;
5.2M: 13.5, mostly on hashtags), so its cost is no test of linearity; it is the skewed world
of issue 10 at scale. ``--crowds K`` also multiplies its viral moments, breaking links and
trending hashtags by ``K``: ``--scales 1 --crowds 3`` is issue 10's first target, ~0.55M
posts with 8.1M-8.7M co-actions at 120 s (seeds 7 and 1; 14.5-16 a post, against 7.2).

Runs
----
Each scale's posts are written to one Parquet file under the work directory (``--work DIR``
keeps it and the simulated copies; by default a temporary directory, deleted at the end). All
scales' files are built first; then each repeat runs every scale in turn, and for each scale
each method in its own process (the same file, alternated): a busy phase of a shared machine
slows the scales and the methods alike instead of the one it falls on. The benchmark records
wall time and peak RSS (``wait4``, in a small launcher: a child's peak would otherwise start
at this script's, which holds the simulated worlds) and the load average (1 minute, as
``uptime`` shows it) before and after each run:

* **detect**: ``inconcert detect POSTS --out DIR --window W --memory-limit M --quiet``: the
  whole command line, reading the file, the null model, groups, evidence, report and figures.
  ``--memory-limit none`` runs it without a limit (DuckDB's default share, 60% of the RAM):
  growth as the work grows, apart from what a tight limit adds (under ``8GB`` the 10.4M-post
  run spills ~2 GB to disk from its co-actions stage on; 3.3M posts do not);
* **naive**: ``python benchmarks/scale.py --naive POSTS W``: read the file, the actions of
  detect's default kinds (:func:`inconcert.actions.posts_to_actions`), a DuckDB self-join on
  time buckets (pairs with at least 4 distinct co-objects) and connected components
  (``benchmarks/quality.py``'s baseline); ``--no-naive`` skips it, ``--naive-max-posts``
  above a size.

It prints, per scale, the posts, co-actions and co-actions per post, detect's seconds and peak
MB, seconds and MB per million posts (constant when cost grows linearly), the growth exponent
from the scale before, ``log(t2 / t1) / log(n2 / n1)`` for time and for peak memory (``<= 1``:
at most linear; a few hundredths above 1 is noise on a shared machine), the naive baseline and
the ratio detect/naive, and detect's stage timings (manifest ``timings_s``). With ``--spark``,
detect also runs on Apache Spark (``--engine spark``, a local master with every core; peak MB
is the Python driver's, the JVM's is apart).

Usage: python benchmarks/scale.py [--posts 1e6 3e6 1e7] [--window 120] [--memory-limit 8GB]
       [--repeat 1] [--naive-max-posts 4e6] [--work DIR] [--json scale.json]
       python benchmarks/scale.py --density growing [--scales 1 2.2 6.6 22] [--crowds 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from warm_bytecode import compile_inconcert  # noqa: E402

BASE_WORLD = "hard"
_DAY_US = 86_400 * 1_000_000


# The measured command runs under this small launcher, a fresh interpreter that times it and
# reports its wait4 figures on stdout. Linux starts a child's peak RSS at its parent's (the
# high-water mark of the memory it was forked or vforked from is kept through exec), and this
# script holds the simulated worlds, gigabytes at the large scales: measured from here, every
# run would be at least that large.
_LAUNCHER = """
import json, os, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"s": time.perf_counter() - t0, "rc": os.waitstatus_to_exitcode(status),
                  "mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}))
"""


def _run(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd``; its wall seconds (``s``), peak RSS in MB (``mb``) and CPU seconds, user and
    system (``cpu_s``), from Linux ``wait4`` in a small launcher (:data:`_LAUNCHER`: the peak
    is the command's own, not this script's), and the 1-minute load average before and after
    (``load``)."""
    load_before = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the launcher of {' '.join(cmd)} failed:\n{done.stderr.decode()}")
    run = json.loads(done.stdout.decode().strip().splitlines()[-1])
    rc = run.pop("rc")
    if rc != 0:  # negative: killed by that signal (e.g. -9, out of memory)
        raise SystemExit(f"{' '.join(cmd)} failed ({rc}):\n{done.stderr.decode()[-3000:]}")
    return {**run, "load": [load_before, os.getloadavg()[0]]}


def naive(posts: str, window: float) -> None:
    """The naive baseline as its own process (``--naive``)."""
    import pyarrow.parquet as pq
    import quality

    groups = quality.run_naive(pq.read_table(posts), window)
    print(groups.num_rows)


# ---------------------------------------------------------------------------------------------
# Worlds
# ---------------------------------------------------------------------------------------------


def simulate_world(scale: float, seed: int, path: Path, crowds: float = 1.0) -> tuple[int, float]:
    """Write the ``hard`` world at ``scale`` (``--density growing``) to ``path``, its viral
    moments, breaking links and trending tags times ``crowds`` as well; its posts and the
    seconds it took."""
    import pyarrow.parquet as pq
    import quality

    from inconcert.simulate import simulate

    t0 = time.perf_counter()
    sim = simulate(quality.world_config(BASE_WORLD, seed, scale=scale, crowds=crowds))
    pq.write_table(sim.posts, path)
    return sim.posts.num_rows, time.perf_counter() - t0


class Copies:
    """The simulated copies of the base world, one Parquet file per seed in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.simulated_s = 0.0  # seconds spent simulating in this run
        self.simulated_n = 0  # copies simulated in this run (the others were in the folder)

    def path(self, seed: int) -> Path:
        return self.folder / f"{BASE_WORLD}-seed{seed}.parquet"

    def get(self, seed: int) -> Any:
        import pyarrow.parquet as pq

        from inconcert.simulate import SimulationConfig, simulate

        path = self.path(seed)
        if not path.exists():
            t0 = time.perf_counter()
            posts = simulate(SimulationConfig.preset(BASE_WORLD, seed=seed)).posts
            tmp = path.with_suffix(".tmp")
            pq.write_table(posts, tmp)
            tmp.replace(path)
            self.simulated_s += time.perf_counter() - t0
            self.simulated_n += 1
        return pq.read_table(path)

    def rows(self, seed: int) -> int:
        import pyarrow.parquet as pq

        self.get(seed)
        return int(pq.read_metadata(self.path(seed)).num_rows)


_LINK_RE = re.compile(r"(https?://\S+|www\.\S+)", re.IGNORECASE)


def _scramble(text: Any, index: int) -> Any:
    """The texts with letters and digits outside links permuted for copy ``index``."""
    import numpy as np
    import pyarrow as pa

    if index == 0:
        return text
    rng = np.random.default_rng([index, 20_241_130])
    lower, digits = string.ascii_lowercase, string.digits
    to_lower = "".join(rng.permutation(list(lower)))
    to_digits = "".join(rng.permutation(list(digits)))
    table = str.maketrans(lower + lower.upper() + digits, to_lower + to_lower.upper() + to_digits)

    def scramble(t: str) -> str:
        parts = _LINK_RE.split(t)
        parts[::2] = [part.translate(table) for part in parts[::2]]
        return "".join(parts)

    encoded = (
        text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    ).dictionary_encode()
    values = pa.array([scramble(t) for t in encoded.dictionary.to_pylist()], pa.string())
    return values.take(encoded.indices)


def _suffix(column: Any, suffix: str) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(column, pa.scalar(suffix), "")


def _map_lists(column: Any, func: Any) -> Any:
    """A list<string> column with ``func`` applied to its flattened values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    offsets = pc.subtract(arr.offsets, arr.offsets[0])
    values = func(pc.list_flatten(arr))
    mask = pc.is_null(arr) if arr.null_count else None
    return pa.ListArray.from_arrays(offsets, values, type=arr.type, mask=mask)


def copy_of(posts: Any, index: int, shift_us: int) -> Any:
    """Copy ``index`` of a base world: its own ids and objects, shifted by ``shift_us``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from inconcert.schema import POST_SCHEMA

    ids = f"-c{index}"
    token = f"c{index}"
    columns: dict[str, Any] = {}
    for name in ("post_id", "account_id", "repost_of", "reply_to", "quote_of"):
        columns[name] = _suffix(posts.column(name), ids)
    stamp = posts.column("timestamp").cast(pa.int64())
    columns["timestamp"] = pc.add(stamp, shift_us).cast(POST_SCHEMA.field("timestamp").type)
    columns["platform"] = posts.column("platform")
    columns["text"] = _scramble(posts.column("text"), index)
    columns["urls"] = _map_lists(
        posts.column("urls"),
        lambda v: pc.replace_substring_regex(v, r"^([^?#]*)", rf"\1/{token}", max_replacements=1),
    )
    columns["hashtags"] = _map_lists(posts.column("hashtags"), lambda v: _suffix(v, token))
    columns["mentions"] = _map_lists(posts.column("mentions"), lambda v: _suffix(v, ids))
    columns["image_hashes"] = _map_lists(posts.column("image_hashes"), lambda v: _suffix(v, token))
    return pa.Table.from_arrays([columns[f.name] for f in POST_SCHEMA], schema=POST_SCHEMA)


def constant_world(
    copies: Copies, k: int, seed: int, max_seeds: int, path: Path
) -> tuple[int, list[int]]:
    """Write ``k`` copies of the base world to ``path`` (see the module docstring); its posts
    and the seed of each copy."""
    import pyarrow.parquet as pq

    from inconcert.schema import POST_SCHEMA
    from inconcert.simulate import SimulationConfig

    span_us = SimulationConfig.preset(BASE_WORLD).days * _DAY_US
    seeds = [seed + (i % max_seeds if max_seeds > 0 else i) for i in range(k)]
    rows = 0
    with pq.ParquetWriter(path, POST_SCHEMA) as writer:
        for i, s in enumerate(seeds):
            part = copy_of(copies.get(s), i, i * span_us)
            writer.write_table(part, row_group_size=1 << 20)
            rows += part.num_rows
    return rows, seeds


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


def _git_state() -> dict[str, Any]:
    """The commit measured and whether ``src/`` had uncommitted changes (others edit it)."""
    root = HERE.parent

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    dirty = git("status", "--porcelain", "--", "src")
    return {"commit": git("rev-parse", "--short", "HEAD"), "src_changed": dirty.splitlines()}


def run_once(
    posts_path: Path, work: Path, args: argparse.Namespace, posts: int, runs: dict[str, Any]
) -> dict[str, Any]:
    """detect (and spark, naive) once on one file, each in its own process, appended to
    ``runs`` (method -> list of runs); returns detect's manifest."""
    inconcert = str(Path(sys.executable).with_name("inconcert"))
    limit = args.naive_max_posts
    run_naive = not args.no_naive and (limit is None or posts <= limit)
    out = work / "result"
    window = f"{args.window:g}"
    shutil.rmtree(out, ignore_errors=True)
    detect = [inconcert, "detect", str(posts_path), "--out", str(out), "--window", window]
    limit = [] if _unlimited(args) else ["--memory-limit", args.memory_limit]
    run = _run([*detect, *limit, "--quiet"])
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    run["timings_s"] = timings = manifest.get("timings_s") or {}
    # significance is timed inside edges
    run["rest_s"] = run["s"] - sum(v for k, v in timings.items() if k != "significance")
    runs.setdefault("detect", []).append(run)
    if args.spark:
        shutil.rmtree(out, ignore_errors=True)
        master = f"local[{os.cpu_count() or 1}]"
        spark = [*detect, "--engine", "spark", "--spark-master", master, "--quiet"]
        runs.setdefault("spark", []).append(_run(spark))
    if run_naive:
        naive_cmd = [sys.executable, __file__, "--naive", str(posts_path), window]
        runs.setdefault("naive", []).append(_run(naive_cmd))
    shutil.rmtree(out, ignore_errors=True)
    return manifest


def _unlimited(args: argparse.Namespace) -> bool:
    """``--memory-limit none``: detect runs without ``--memory-limit``."""
    return str(args.memory_limit).lower() == "none"


def summarise(posts: int, runs: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    """One scale's record: counts from detect's (last) manifest, medians of the runs."""
    summary = manifest.get("summary", {})
    coactions = summary.get("coactions_before_min_participation")
    record: dict[str, Any] = {
        "posts": posts,
        "coactions": coactions,
        "coactions_per_post": coactions / posts if coactions is not None and posts else None,
        "edges": summary.get("edges"),
        "accounts": summary.get("accounts"),
        "groups": summary.get("groups"),
        "actions": sum((summary.get("actions", {}).get("actions_by_kind") or {}).values()),
        "warnings": manifest.get("warnings"),
    }
    stages = [run["timings_s"] for run in runs.get("detect", [])]
    if stages and stages[-1]:
        # each stage's median over the repeats; rest: wall time outside the stages
        record["timings_s"] = {
            k: statistics.median(t.get(k, 0.0) for t in stages) for k in stages[-1]
        }
        record["rest_s"] = statistics.median(run["rest_s"] for run in runs["detect"])
    for method, values in runs.items():
        if values:
            record[f"{method}_s"] = statistics.median(v["s"] for v in values)
            record[f"{method}_cpu_s"] = statistics.median(v["cpu_s"] for v in values)
            record[f"{method}_mb"] = max(v["mb"] for v in values)
            record[f"{method}_load"] = [v["load"] for v in values]
            record[f"{method}_runs"] = values
    return record


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--density",
        choices=("constant", "growing"),
        default="constant",
        help="constant: copies of the hard world in time (default); growing: the hard world "
        "at --scales times its size within 30 days",
    )
    parser.add_argument(
        "--posts",
        type=float,
        nargs="+",
        default=[1e6, 3e6, 1e7],
        help="constant density: target posts per scale (rounded to whole copies)",
    )
    parser.add_argument(
        "--copies", type=int, nargs="+", help="constant density: copies per scale (not --posts)"
    )
    parser.add_argument(
        "--max-seeds",
        type=int,
        default=0,
        help="constant density: cycle through this many seeds (0: one per copy)",
    )
    parser.add_argument(
        "--scales",
        type=float,
        nargs="+",
        default=[1.0, 2.2, 6.6, 22.0],
        help="growing density: sizes of the hard world",
    )
    parser.add_argument(
        "--crowds",
        type=float,
        default=1.0,
        help="growing density: also multiply the hard world's viral moments, breaking links "
        "and trending tags by this (3 at scale 1: ~0.55M posts and 8.1M-8.7M co-actions at "
        "120 s, issue 10's skewed world)",
    )
    parser.add_argument("--window", type=float, default=120.0)
    parser.add_argument(
        "--memory-limit",
        default="8GB",
        help="detect's --memory-limit; none: without one (DuckDB's default, 60%% of the RAM)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-naive", action="store_true", help="detect only (large scales)")
    parser.add_argument(
        "--naive-max-posts", type=float, help="run the naive baseline only up to this many posts"
    )
    parser.add_argument(
        "--spark",
        action="store_true",
        help="also detect with --engine spark --spark-master local[N] (N = cores)",
    )
    parser.add_argument(
        "--work", type=Path, help="keep the Parquet inputs (and simulated copies) here"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--naive", nargs=2, metavar=("POSTS", "WINDOW"), help=argparse.SUPPRESS)
    return parser


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    if args.crowds != 1 and args.density != "growing":
        parser.error("--crowds applies to --density growing")
    if args.naive:
        naive(args.naive[0], float(args.naive[1]))
        return
    if args.work is not None:
        work = args.work
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="inconcert-scale-"))
    print(compile_inconcert(), flush=True)
    try:
        records = _scales(args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(_table(records, args))
    if args.json:
        meta = {"density": args.density, "window": args.window, "memory_limit": args.memory_limit}
        meta.update(seed=args.seed, repeat=args.repeat, cores=os.cpu_count(), **_git_state())
        args.json.write_text(json.dumps({"run": meta, "scales": records}, indent=2))


def _scales(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    copies = Copies(work / "copies")
    if args.density == "constant":
        if args.copies:
            plan = list(args.copies)
        else:
            base = copies.rows(args.seed)
            plan = [max(1, round(n / base)) for n in args.posts]
            print(
                f"copy 0 (seed {args.seed}): {base:,} posts, simulated in "
                f"{copies.simulated_s:.0f} s; copies per scale: {plan}",
                flush=True,
            )
        sizes: list[Any] = plan
    else:
        sizes = list(args.scales)
    built = []  # every scale's file first: the runs then alternate between them
    for size in sizes:
        crowded = f"-crowds{args.crowds:g}" if args.crowds != 1 else ""
        name = f"{size}copies" if args.density == "constant" else f"x{size:g}{crowded}"
        posts_path = work / f"posts-{name}.parquet"
        t0 = time.perf_counter()
        if args.density == "constant":
            simulated = copies.simulated_s
            posts, seeds = constant_world(copies, size, args.seed, args.max_seeds, posts_path)
            built_s = time.perf_counter() - t0
            sim_s = copies.simulated_s - simulated
            what = (
                f"{size} copies of {BASE_WORLD} (seeds {seeds[0]}..{max(seeds)}), "
                f"{size * 30} days: {posts:,} posts, built in {built_s:.0f} s "
                f"({sim_s:.0f} s of it simulating new copies)"
            )
            extra: dict[str, Any] = {"copies": size, "seeds": seeds, "days": size * 30}
        else:
            posts, sim_s = simulate_world(size, args.seed, posts_path, args.crowds)
            built_s = time.perf_counter() - t0
            what = f"scale {size:g}: {posts:,} posts (simulated in {sim_s:.0f} s)"
            extra = {"scale": size, "crowds": args.crowds}
        print(what, flush=True)
        extra.update(build_s=built_s, simulate_s=sim_s, file_mb=posts_path.stat().st_size / 2**20)
        built.append((extra, posts_path, posts))
    # repeat by repeat, every scale in turn: a slow phase of a shared machine then slows all
    # scales alike instead of the one measured during it, which would bend the exponents
    runs: list[dict[str, Any]] = [{} for _ in built]
    manifests: list[dict[str, Any]] = [{} for _ in built]
    for rep in range(args.repeat):
        for i, (_, posts_path, posts) in enumerate(built):
            print(f"  repeat {rep + 1} of {args.repeat}, {posts:,} posts: {_uptime()}", flush=True)
            manifests[i] = run_once(posts_path, work, args, posts, runs[i])
    for (extra, posts_path, posts), scale_runs, manifest in zip(
        built, runs, manifests, strict=True
    ):
        record = {**extra, **summarise(posts, scale_runs, manifest)}
        if args.work is None:
            posts_path.unlink()
        records.append(record)
        print(f"{posts:,} posts:", flush=True)
        print(_row(record, records[-2] if len(records) > 1 else None), flush=True)
    if args.density == "constant" and records:
        records[-1]["generation"] = {
            "copies": len({s for r in records for s in r["seeds"]}),
            "copies_simulated": copies.simulated_n,
            "simulate_s": copies.simulated_s,
        }
    return records


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        one, five, fifteen = os.getloadavg()
        return f"load average: {one:.2f}, {five:.2f}, {fifteen:.2f}"


def _exponent(r: dict[str, Any], prev: dict[str, Any] | None, key: str) -> float | None:
    """``log(y2 / y1) / log(n2 / n1)`` from the scale before (posts ``n``)."""
    if prev is None or key not in r or key not in prev or r["posts"] == prev["posts"]:
        return None
    return math.log(r[key] / prev[key]) / math.log(r["posts"] / prev["posts"])


def _load(r: dict[str, Any], method: str) -> str:
    loads = r.get(f"{method}_load") or []
    return ", ".join(f"{a:.1f}→{b:.1f}" for a, b in loads) or "—"


def _stages(r: dict[str, Any]) -> dict[str, float]:
    """detect's stage seconds (manifest ``timings_s``, median over the repeats), with
    ``edges`` less ``significance`` (timed inside it) and ``rest``: the wall time outside the
    stages (start-up, outputs, report and figures)."""
    timings = dict(r.get("timings_s") or {})
    if "edges" in timings and "significance" in timings:
        timings["edges"] -= timings["significance"]
        names = list(timings)  # significance after edges, as it runs
        names.remove("significance")
        names.insert(names.index("edges") + 1, "significance")
        timings = {n: timings[n] for n in names}
    if timings and "rest_s" in r:
        timings["rest"] = r["rest_s"]
    return timings


def _exp(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _row(r: dict[str, Any], prev: dict[str, Any] | None) -> str:
    per = 1e6 / r["posts"]
    co = r.get("coactions_per_post")
    line = (
        f"  detect {r['detect_s']:.1f} s (CPU {r['detect_cpu_s']:.1f} s) {r['detect_mb']:.0f} MB "
        f"({r['detect_s'] * per:.1f} s and {r['detect_mb'] * per:.0f} MB per 1M posts"
    )
    if prev is not None:
        line += (
            f"; exponents time {_exp(_exponent(r, prev, 'detect_s'))}, "
            f"CPU {_exp(_exponent(r, prev, 'detect_cpu_s'))}, "
            f"memory {_exp(_exponent(r, prev, 'detect_mb'))}"
        )
    line += ")"
    if co is not None:
        line += f", {r['coactions']:,} co-actions ({co:.2f} per post)"
    line += f"; load {_load(r, 'detect')}"
    if "naive_s" in r:
        ratio = r["detect_s"] / r["naive_s"]
        line += (
            f"\n  naive {r['naive_s']:.1f} s {r['naive_mb']:.0f} MB, detect / naive {ratio:.2f}; "
            f"load {_load(r, 'naive')}"
        )
    else:
        line += "\n  naive not run"
    if "spark_s" in r:
        line += (
            f"\n  spark {r['spark_s']:.1f} s {r['spark_mb']:.0f} MB (driver), "
            f"{r['spark_s'] / r['detect_s']:.1f}x DuckDB's time"
        )
    stages = _stages(r)
    if stages:
        line += "\n  detect stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items())
    for warning in r.get("warnings") or []:
        line += f"\n  detect warned: {warning}"
    return line


def _table(records: list[dict[str, Any]], args: argparse.Namespace) -> str:
    if args.density == "constant":
        world = (
            f"constant density: copies of the {BASE_WORLD} world (one seed each from "
            f"{args.seed}{f', cycling {args.max_seeds}' if args.max_seeds else ''}), 30 days each"
        )
    else:
        world = f"growing density: the {BASE_WORLD} world at growing scales, seed {args.seed}"
        if args.crowds != 1:
            world += f", viral moments, breaking links and trending tags ×{args.crowds:g}"
    head = (
        f"{world}; window {args.window:g} s, "
        + (
            "detect without --memory-limit (DuckDB's default, 60% of the RAM), "
            if _unlimited(args)
            else f"detect --memory-limit {args.memory_limit}, "
        )
        + f"median of {args.repeat}; exponents: log(y2/y1)/log(n2/n1) from the row above "
        "(<= 1: at most linear)\n"
        "| posts | co-actions | co-actions per post | detect s | detect CPU s | detect peak MB "
        "| s per 1M posts | MB per 1M posts | exponent time | exponent CPU | exponent memory "
        "| naive s | naive peak MB | detect / naive | load before→after detect |\n"
        "|" + " --- |" * 15
    )
    lines = [head]
    prev = None
    for r in records:
        per = 1e6 / r["posts"]
        naive_s = f"{r['naive_s']:.1f}" if "naive_s" in r else "—"
        naive_mb = f"{r['naive_mb']:.0f}" if "naive_mb" in r else "—"
        ratio = f"{r['detect_s'] / r['naive_s']:.2f}×" if "naive_s" in r else "—"
        co = f"{r['coactions']:,}" if r.get("coactions") is not None else "—"
        co_per = f"{r['coactions_per_post']:.2f}" if r.get("coactions_per_post") else "—"
        exps = " | ".join(
            _exp(_exponent(r, prev, key)) for key in ("detect_s", "detect_cpu_s", "detect_mb")
        )
        lines.append(
            f"| {r['posts']:,} | {co} | {co_per} | {r['detect_s']:.1f} | {r['detect_cpu_s']:.1f} "
            f"| {r['detect_mb']:.0f} | {r['detect_s'] * per:.1f} | {r['detect_mb'] * per:.0f} "
            f"| {exps} | {naive_s} | {naive_mb} | {ratio} | {_load(r, 'detect')} |"
        )
        prev = r
    if len(records) > 1:
        first, last = records[0], records[-1]
        exps = ", ".join(
            f"{name} {_exp(_exponent(last, first, key))}"
            for name, key in (
                ("time", "detect_s"),
                ("CPU", "detect_cpu_s"),
                ("memory", "detect_mb"),
            )
        )
        lines.append(f"\nfirst to last ({first['posts']:,} → {last['posts']:,} posts): {exps}")
        # detect's stages, seconds per scale and the exponent from first to last
        stages = [_stages(r) for r in records]
        names = [n for n in stages[-1] if all(n in st for st in stages)]
        if names:
            lines.append(
                "\ndetect's stages (s; edges without significance, rest = start-up and outputs)\n"
                "| stage | "
                + " | ".join(f"{r['posts'] / 1e6:.2f}M posts" for r in records)
                + " | exponent first→last |\n|"
                + " --- |" * (len(records) + 2)
            )
            ratio = math.log(last["posts"] / first["posts"])
            for n in names:
                values = [st[n] for st in stages]
                exp = (
                    _exp(math.log(values[-1] / values[0]) / ratio)
                    if values[0] > 0 and values[-1] > 0
                    else "—"
                )
                cells = " | ".join(f"{v:.1f}" for v in values)
                lines.append(f"| {n} | {cells} | {exp} |")
    gen = records[-1].get("generation") if records else None
    if gen:
        last = records[-1]
        simulated = (
            f"{gen['copies_simulated']} of the {gen['copies']} copies simulated in this run in "
            f"{gen['simulate_s']:.0f} s ({gen['simulate_s'] / gen['copies_simulated']:.1f} s each)"
            if gen["copies_simulated"]
            else f"the {gen['copies']} copies were in the work directory already"
        )
        lines.append(
            f"\ngeneration: {simulated}; the largest file ({last['posts']:,} posts, "
            f"{last['file_mb']:.0f} MB) built in {last['build_s']:.0f} s, "
            f"{last['simulate_s']:.0f} s of it simulating copies the smaller scales had not made"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
