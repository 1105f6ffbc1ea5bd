"""Benchmark: CooRTweet's German vignette workflow, inconcert against baselines in the same run.

The workflow (CooRTweet's ``reproduce_examples`` vignette): the German 2021 election data, four
kinds (urls, domains, hashtags, images), window 30 s, min_participation 2, one combined network.

Variants, each in its own process so peak memory is its own:

* ``inconcert``        : ``inconcert.detect`` on the wide file (read + actions + co-actions +
                          network + groups + evidence), inconcert's defaults but window 30.
* ``compat``           : the same file, ``--compat coortweet`` (CooRTweet's exact semantics,
                          four detect_groups calls + one combined network).
* ``naive`` (baseline) : CooRTweet's algorithm on the same engine: a self-join of every pair of
                          shares of an object, then the window filter (what makes its cost grow
                          with the square of an object's popularity).
* ``cli``              : the whole command a user types, as one process, timed from outside:
                          ``inconcert detect FILE --out DIR --objects ... --window 30`` (Python's
                          start, imports, reading, detection, every output file, the report and
                          its figures, the printed summary); also its CPU time (user+sys).

It prints wall time and peak RSS of each, the ratios against the naive baseline measured in this
run, and against CooRTweet 2.1.3's own time for its four detect_groups calls on this machine kind
(``../shared/reference/coortweet/german_timings.csv``; about 85 s).

With ``--scale K`` the data is replicated K times as CooRTweet's reference timings do
(``sameobjoffset``: copy i gets ``_c<i>`` appended to accounts and posts and i·10^8 s added to
times, objects kept), so the output is exactly K× the base but every object is K× more popular:
the per-object self-join grows K², the bucket join K.

Usage: python benchmarks/german_vignette.py [--repeat 3] [--scale 1] [--only cli]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from warm_bytecode import compile_inconcert

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data" / "german_elections.parquet"
TIMINGS = SHARED / "reference" / "coortweet" / "german_timings.csv"
OBJECTS = {"url_id": "url", "domain_id": "domain", "hashtag_id": "hashtag", "phash_id": "image"}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _replicate(k: int, out: Path) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    base = pq.read_table(DATA)
    parts = []
    for i in range(k):
        sfx = f"_c{i}"
        parts.append(
            base.set_column(
                base.column_names.index("account_id"),
                "account_id",
                pc.binary_join_element_wise(base.column("account_id"), pa.scalar(sfx), ""),
            )
            .set_column(
                base.column_names.index("post_id"),
                "post_id",
                pc.binary_join_element_wise(
                    pc.cast(base.column("post_id"), pa.string()), pa.scalar(sfx), ""
                ),
            )
            .set_column(
                base.column_names.index("timestamp"),
                "timestamp",
                pc.add(base.column("timestamp"), float(i) * 1e8),
            )
        )
    pq.write_table(pa.concat_tables(parts), out)


def run_variant(name: str) -> dict[str, float]:
    import inconcert as ic

    start = time.perf_counter()
    if name == "inconcert":
        result = ic.detect(
            [DATA],
            objects=OBJECTS,
            options=ic.DetectOptions(kinds=tuple(OBJECTS.values()), window=30),
        )
        out = {"edges": result.edges.num_rows, "groups": result.groups.num_rows}
    elif name == "compat":
        result = ic.detect(
            [DATA],
            objects=OBJECTS,
            options=ic.DetectOptions(kinds=tuple(OBJECTS.values()), window=30, compat="coortweet"),
        )
        out = {"edges": result.edges.num_rows, "groups": result.groups.num_rows}
    elif name == "naive":
        out = {"pairs": _naive()}
    elif name == "cli":
        return _cli()
    else:
        raise SystemExit(f"unknown variant {name}")
    out["seconds"] = time.perf_counter() - start
    out["peak_rss_mb"] = _peak_mb()
    return out


def _cli() -> dict[str, float]:
    """The console script as its own process (this one only waits for it)."""
    exe = Path(sys.executable).with_name("inconcert")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "inconcert.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result"
        shutil.rmtree(out, ignore_errors=True)
        command += ["detect", str(DATA), "--out", str(out), "--window", "30"]
        command += ["--objects", ",".join(f"{c}={k}" for c, k in OBJECTS.items())]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = json.loads((out / "manifest.json").read_text())["summary"]
        files = sorted(p.name for p in out.iterdir())
    assert "report.html" in files and "network.svg" in files, files
    return {
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "edges": summary["edges"],
        "groups": summary["groups"],
    }


def _naive() -> int:
    """Every pair of shares of an object (the cartesian self-join), then |Δt| <= 30."""
    import duckdb

    from inconcert.ingest import read_inputs

    actions = read_inputs([DATA], objects=OBJECTS).table
    con = duckdb.connect()
    con.register("a", actions)
    con.sql("CREATE TABLE x AS SELECT *, epoch(timestamp) AS t, ROW_NUMBER() OVER () AS id FROM a")
    rows = con.sql(
        "SELECT COUNT(*) FROM x l JOIN x r ON l.kind = r.kind AND l.object_id = r.object_id "
        "AND l.id < r.id WHERE abs(l.t - r.t) <= 30 AND l.account_id <> r.account_id"
    ).fetchall()
    return int(rows[0][0])


VARIANTS = ("inconcert", "compat", "naive", "cli")


def _coortweet_seconds() -> float | None:
    if not TIMINGS.exists():
        return None
    with open(TIMINGS, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["case"].startswith("de_detect_")]
    return sum(float(r["median_elapsed_s"]) for r in rows) if rows else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=1, help="replicate the data K times")
    parser.add_argument(
        "--only", choices=VARIANTS, action="append", help="run only these variants (repeatable)"
    )
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        global DATA
        DATA = Path(args.data)
        print(json.dumps(run_variant(args.variant)))
        return
    if not DATA.exists():
        raise SystemExit(f"{DATA} not found: the benchmark needs ../shared/data beside the repo")
    print(compile_inconcert(), flush=True)
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = DATA
        if args.scale > 1:
            data = Path(tmp) / "replicated.parquet"
            _replicate(args.scale, data)
        for variant in args.only or VARIANTS:
            for _ in range(args.repeat):
                proc = subprocess.run(
                    [sys.executable, __file__, "--variant", variant, "--data", str(data)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                last = proc.stdout.strip().splitlines()[-1]
                results.setdefault(variant, []).append(json.loads(last))
    base = statistics.median(r["seconds"] for r in results["naive"]) if "naive" in results else 0
    coortweet = _coortweet_seconds()
    print(
        f"German vignette workflow (4 kinds, window 30 s, min_participation 2), "
        f"data x{args.scale}, median of {args.repeat} runs"
    )
    print(f"{'variant':<12}{'wall s':>10}{'peak MB':>10}{'vs naive':>10}{'vs CooRTweet':>14}")
    for variant, runs in results.items():
        secs = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_rss_mb"] for r in runs)
        vs_ct = f"{coortweet / secs:>13.1f}x" if coortweet and args.scale == 1 else f"{'n/a':>14}"
        vs_naive = f"{base / secs:>9.1f}x" if base else f"{'n/a':>10}"
        print(f"{variant:<12}{secs:>10.2f}{peak:>10.0f}{vs_naive}{vs_ct}")
        extra = {k: v for k, v in runs[0].items() if k not in ("seconds", "peak_rss_mb", "cpu_s")}
        if "cpu_s" in runs[0]:
            extra["user+sys s"] = round(statistics.median(r["cpu_s"] for r in runs), 2)
        print(f"{'':<12}{extra}")
    if coortweet:
        print(
            f"CooRTweet 2.1.3, its four detect_groups calls (reference timings): {coortweet:.1f} s"
        )
    if "cli" in results:
        secs = statistics.median(r["seconds"] for r in results["cli"])
        ratio = f"; CooRTweet's time is {coortweet / secs:.0f}x that" if coortweet else ""
        print(
            f"the whole CLI process (report and figures included): {secs:.2f} s, median of "
            f"{args.repeat}{ratio if args.scale == 1 else ''}"
        )


if __name__ == "__main__":
    main()
