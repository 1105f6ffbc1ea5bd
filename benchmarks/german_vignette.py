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
* ``coortweet`` (peer) : CooRTweet 2.1.3 itself running the same workflow as one Rscript process,
                          timed from outside like ``cli`` (R's start, data.table and igraph
                          loaded, the CSV read, four detect_groups calls, the combined network):
                          ``benchmarks/coortweet_german.R``. Needs ``--coortweet DIR``, a checkout
                          of github.com/nicolarighetti/CooRTweet, and ``Rscript`` with data.table
                          and igraph (Debian: ``apt-get install r-base-core r-cran-data.table
                          r-cran-igraph``); without them it is skipped, saying why.

Repeats are interleaved (each repeat runs every variant once), so a machine that slows down or
speeds up during the run moves every variant alike. Each timed run follows ``--warmup`` untimed
runs of the same variant (default 1), as ``hyperfine --warmup`` does: the files a run reads (the
data, Python's or R's libraries) are then in the page cache, as on a machine that keeps them.
This machine kind does not: it gives back page cache that has not been read for some seconds
(``free`` shows ~0.4 GB of cache with 23 GB free), so the first CLI run after a pause, or after
CooRTweet's minute of work, reads its libraries from disk again (~55 major page faults, +0.2 s;
``--warmup 0`` shows it). It prints wall time and peak RSS of each, the
ratios against the naive baseline measured in this run, against CooRTweet measured in this run
(the median of the per-repeat ratios), and against CooRTweet 2.1.3's own time for its four
detect_groups calls on this machine kind (``../shared/reference/coortweet/german_timings.csv``;
about 85 s, on a loaded machine).

With ``--scale K`` the data is replicated K times as CooRTweet's reference timings do
(``sameobjoffset``: copy i gets ``_c<i>`` appended to accounts and posts and i·10^8 s added to
times, objects kept), so the output is exactly K× the base but every object is K× more popular:
the per-object self-join grows K², the bucket join K.

Usage: python benchmarks/german_vignette.py [--repeat 3] [--warmup 1] [--scale 1] [--only cli]
       [--only coortweet --coortweet CHECKOUT]
"""

from __future__ import annotations

import argparse
import csv
import gzip
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
DATA_CSV = SHARED / "data" / "german_elections.csv.gz"
R_SCRIPT = Path(__file__).resolve().with_name("coortweet_german.R")
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
    elif name == "coortweet":
        return _coortweet()
    else:
        raise SystemExit(f"unknown variant {name}")
    out["seconds"] = time.perf_counter() - start
    out["peak_rss_mb"] = _peak_mb()
    return out


def _timed(command: list[str]) -> tuple[str, dict[str, float]]:
    """Run ``command`` as this process's only child: its output, and its wall time, CPU time
    (user+sys) and peak RSS."""
    start = time.perf_counter()
    proc = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc.stdout, {
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def _cli() -> dict[str, float]:
    """The console script as its own process (this one only waits for it)."""
    exe = Path(sys.executable).with_name("inconcert")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "inconcert.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result"
        shutil.rmtree(out, ignore_errors=True)
        command += ["detect", str(DATA), "--out", str(out), "--window", "30"]
        command += ["--objects", ",".join(f"{c}={k}" for c, k in OBJECTS.items())]
        _, timing = _timed(command)
        summary = json.loads((out / "manifest.json").read_text())["summary"]
        files = sorted(p.name for p in out.iterdir())
    assert "report.html" in files and "network.svg" in files, files
    return {**timing, "edges": summary["edges"], "groups": summary["groups"]}


def _coortweet() -> dict[str, float]:
    """CooRTweet's workflow (``coortweet_german.R``) as one Rscript process, timed from outside.
    ``DATA`` is the plain CSV and ``COORTWEET`` the checkout (both set by :func:`main`)."""
    stdout, timing = _timed(["Rscript", str(R_SCRIPT), str(COORTWEET), str(DATA)])
    out = json.loads(stdout.strip().splitlines()[-1])
    return {
        **timing,
        "detect_groups s": out["detect_s"],
        "network edges": out["edges"],
        "network vertices": out["vertices"],
    }


def _coortweet_missing(checkout: str | None, scale: int) -> str | None:
    """Why the ``coortweet`` variant cannot run here, or None."""
    if scale != 1:
        return "CooRTweet runs on the data as it is (--scale 1) only"
    if checkout is None:
        return "no --coortweet CHECKOUT (a checkout of github.com/nicolarighetti/CooRTweet)"
    if not (Path(checkout) / "R" / "detect_groups.R").is_file():
        return f"{checkout} is not a CooRTweet checkout (no R/detect_groups.R)"
    if shutil.which("Rscript") is None:
        return "no Rscript (Debian: apt-get install r-base-core r-cran-data.table r-cran-igraph)"
    probe = subprocess.run(
        ["Rscript", "-e", "library(data.table); library(igraph)"], capture_output=True, text=True
    )
    if probe.returncode:
        return "R lacks data.table or igraph (Debian: r-cran-data.table r-cran-igraph)"
    if not DATA_CSV.exists():
        return f"{DATA_CSV} not found"
    return None


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


VARIANTS = ("inconcert", "compat", "naive", "cli", "coortweet")
COORTWEET: Path | None = None


def _per_repeat(peer: list[dict[str, float]], runs: list[dict[str, float]]) -> list[float]:
    """CooRTweet's time over a variant's, repeat by repeat (the two ran minutes apart at
    most)."""
    return [p["seconds"] / r["seconds"] for p, r in zip(peer, runs, strict=True)]


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
        "--warmup",
        type=int,
        default=1,
        help="untimed runs of a variant just before each of its timed runs (default 1)",
    )
    parser.add_argument(
        "--only", choices=VARIANTS, action="append", help="run only these variants (repeatable)"
    )
    parser.add_argument(
        "--coortweet",
        metavar="CHECKOUT",
        help="a checkout of github.com/nicolarighetti/CooRTweet: also run CooRTweet itself",
    )
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warmup < 0:
        parser.error(f"--warmup: 0 or more runs, not {args.warmup}")
    if args.variant:
        global DATA, COORTWEET
        DATA = Path(args.data)
        COORTWEET = Path(args.coortweet) if args.coortweet else None
        print(json.dumps(run_variant(args.variant)))
        return
    if not DATA.exists():
        raise SystemExit(f"{DATA} not found: the benchmark needs ../shared/data beside the repo")
    variants = list(args.only or VARIANTS)
    if "coortweet" in variants:
        why = _coortweet_missing(args.coortweet, args.scale)
        if why is not None:
            print(f"CooRTweet itself not run: {why}")
            variants.remove("coortweet")
    print(compile_inconcert(), flush=True)
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = DATA
        if args.scale > 1:
            data = Path(tmp) / "replicated.parquet"
            _replicate(args.scale, data)
        plain = Path(tmp) / "german_elections.csv"
        if "coortweet" in variants:  # R reads the plain CSV (data.table reads no .gz alone)
            with gzip.open(DATA_CSV, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
        for _ in range(args.repeat):  # interleaved: every variant once per repeat
            for variant in variants:
                command = [sys.executable, __file__, "--variant", variant]
                command += ["--data", str(plain if variant == "coortweet" else data)]
                if variant == "coortweet":
                    command += ["--coortweet", str(args.coortweet)]
                for _ in range(args.warmup + 1):  # the last one is timed
                    proc = subprocess.run(command, check=True, capture_output=True, text=True)
                last = proc.stdout.strip().splitlines()[-1]
                results.setdefault(variant, []).append(json.loads(last))
    base = statistics.median(r["seconds"] for r in results["naive"]) if "naive" in results else 0
    coortweet = _coortweet_seconds()
    peer = results.get("coortweet")
    print(
        f"German vignette workflow (4 kinds, window 30 s, min_participation 2), "
        f"data x{args.scale}, median of {args.repeat} runs, interleaved, "
        f"{args.warmup} warm-up run(s) before each"
    )
    print(
        f"{'variant':<12}{'wall s':>10}{'peak MB':>10}{'vs naive':>10}"
        f"{'vs CooRTweet run':>18}{'vs CooRTweet ref':>18}"
    )
    for variant, runs in results.items():
        secs = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_rss_mb"] for r in runs)
        vs_ct = f"{coortweet / secs:>17.1f}x" if coortweet and args.scale == 1 else f"{'n/a':>18}"
        vs_naive = f"{base / secs:>9.1f}x" if base else f"{'n/a':>10}"
        vs_run = f"{'n/a':>18}"
        if peer is not None:
            vs_run = f"{statistics.median(_per_repeat(peer, runs)):>17.1f}x"
        print(f"{variant:<12}{secs:>10.2f}{peak:>10.0f}{vs_naive}{vs_run}{vs_ct}")
        extra = {k: v for k, v in runs[0].items() if k not in ("seconds", "peak_rss_mb", "cpu_s")}
        if "cpu_s" in runs[0]:
            extra["user+sys s"] = round(statistics.median(r["cpu_s"] for r in runs), 2)
        print(f"{'':<12}{extra}")
    if coortweet:
        print(
            f"CooRTweet 2.1.3, its four detect_groups calls (reference timings): {coortweet:.1f} s"
        )
    if peer is not None:
        secs = statistics.median(r["seconds"] for r in peer)
        print(f"CooRTweet 2.1.3 itself, whole Rscript process, this run: {secs:.1f} s")
    if "cli" in results:
        secs = statistics.median(r["seconds"] for r in results["cli"])
        ratio = f"; CooRTweet's reference time is {coortweet / secs:.0f}x that" if coortweet else ""
        if peer is not None:
            per = _per_repeat(peer, results["cli"])
            ratio = (
                f"; CooRTweet's whole process in this run is {statistics.median(per):.1f}x that "
                f"({min(per):.1f}-{max(per):.1f} over the repeats)"
            )
        print(
            f"the whole CLI process (report and figures included): {secs:.2f} s, median of "
            f"{args.repeat}{ratio if args.scale == 1 else ''}"
        )


if __name__ == "__main__":
    main()
