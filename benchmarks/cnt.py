"""Benchmark: inconcert against the Coordination Network Toolkit (CNT) at 1M posts (issue 10).

**Data.** A Twitter-like collection, deterministic from ``--seed``, at constant density
(``--posts`` posts over ``7 days × posts / 1M``, one organic account per 10 posts, lognormal
activity, a daily rhythm):

* half of the organic posts are **retweets** of originals in the collection, the original
  chosen with Zipf popularity (exponent 1) and the retweet a lognormal delay after it (median
  1 h, at most 2 days): a few tweets are retweeted tens of thousands of times within the hour;
* 35% of the background originals carry one **link**, chosen with Zipf popularity (exponent 1)
  over ``posts / 10`` URLs, each URL shared an exponential time (3 h) after its birth;
* texts are 15–30 pseudo-words from a Zipf vocabulary (``neartext.py``'s); 10% of the
  originals are **near-duplicate families** (4–22 variants of a template, 1–3 words changed
  in each, by different accounts, minutes apart), 6% are **exact copies** (2–12 of one
  template); 10% of the originals are replies;
* **planted groups** (4 per 100k posts, 5–15 accounts, 12–24 occasions each over the span,
  members within 40 s of each other on an occasion): repost rings, link rings, exact copypasta
  and near-duplicate copypasta, in turn.

It is written as CNT's CSV (``message_id, user_id, username, repost_id, reply_id, message,
timestamp, urls``: times in epoch seconds, URLs space-separated, a retweet's message
``RT @author: text``) and as inconcert's posts table in Parquet (``post_id, account_id,
timestamp, text, urls, repost_of, reply_to``): the same posts.

**CNT** 1.5.2, installed by ``neartext.py``'s helper in its own environment
(``benchmarks/.venv-cnt``, git-ignored), its Python API in a subprocess:
``preprocess_csv_files`` once into its SQLite database (the *one-time load*, timed apart; its CSV
reader turns an empty ``urls`` cell into the URL ``''`` shared by every post without a link, so
those rows are deleted from ``message_url`` as part of the load, else ``co_link`` pairs every
such post). Then ``compute_co_retweet_parallel``, ``compute_co_link_network``,
``compute_co_tweet_network`` and ``compute_co_similar_tweet`` (Jaccard of word sets >= 0.7),
window 60 s, ``min_edge_weight=1`` (its API default: every pair with one co-action),
``n_threads=2``, each in its own process on a fresh copy of the prepared database (*cold*: the
first ``compute`` a user runs builds its indexes and, for text, normalises or tokenises every
message), then once more on that copy (*warm*: indexes and normalised text already there; not
for ``co_similar_tweet`` unless ``--warm-similar``). Time: the compute call inside the process.

**inconcert**: ``inconcert detect posts.parquet --out DIR --kinds K --window 60`` with its
defaults (events >= 3, occasions >= 2, q <= 1e-6, report and SVG figures written), the whole CLI
process from outside (it reads the Parquet file itself each time); the stage times of its
``manifest.json`` (``timings_s``) are reported too, the rest of the wall time being the Python
import, option handling and writing the outputs. After the repeats, once per kind, an
*all-pairs* run like CNT's (``--min-weight 1 --min-occasions 1 --min-participation 1
--max-burst 0 --no-significance --figures none``; no q-value filter without the null model),
whose edges are compared with CNT's pairs of the first repeat (CNT's table is directed and has
self-loops; its pairs ``user_1 != user_2`` are taken unordered).

**inconcert from its prepared store** (unless ``--no-store``): the counterpart of CNT's
prepared database. Once per kind, after CNT's load, ``inconcert prepare posts.parquet --out
STORE --kinds K`` (inconcert's *one-time load*: the read and the actions, timed apart); in each
repeat, right after the run from the posts, ``inconcert detect STORE --out DIR --kinds K
--window 60``, the whole process again (report included), with the same tables. Its ratio is
prepared against prepared: CNT's cold compute / inconcert's run from its store. Each repeat
runs on a fresh copy of the store, as CNT's compute runs on a fresh copy of its database: the
copy is in the page cache for both, which this machine kind otherwise gives back after some
seconds unread (the store run then reads its files from disk again, up to ~40 major page
faults, while CNT's just-copied database is in memory).

*Whole processes*: CNT's cold compute is timed inside its process (the call alone), and
inconcert's run as a whole process from outside (start-up, imports, the report). The column
*ratio cold, whole processes* also times CNT's process from outside (Python's start, its
import, the compute, the exit: what a user running it waits for), against the same inconcert
runs.

Tools alternate within a repeat (CNT first on even steps, inconcert first on odd); medians over
repeats; peak RSS is the largest single process of the run (``wait4``), CNT's worker pool
included. Ratios are CNT time / inconcert time, taken repeat by repeat (the two ran side by
side, so a machine that slows down for a while slows both) and their median given. The ratio
*from the CSV* adds CNT's one-time load to its cold compute: what a user with a new collection
waits for one network (the load serves every kind after it, so it is counted whole in each).
``--report FILE`` prints the tables again from a ``--json`` file.

inconcert runs from an export of ``--src`` (a git revision, HEAD by default) put first on
``PYTHONPATH``, so that edits to the working tree during a long run do not change what is
measured; ``--src worktree`` runs the working tree.

Usage: python benchmarks/cnt.py [--posts 1000000] [--repeat 3] [--seed 0] [--window 60]
       [--kinds repost url text neartext] [--src HEAD] [--work DIR] [--json FILE] [--no-store]
Quick: python benchmarks/cnt.py --posts 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from neartext import CNT_COLUMNS, _cnt_python, _vocabulary
from warm_bytecode import compile_inconcert

T0 = 1_700_000_000
DAY = 86_400
ID_BASE = 10**15
CNT_FUNCTION = {
    "repost": "co_retweet",
    "url": "co_link",
    "text": "co_tweet",
    "neartext": "co_similar_tweet",
}
PLANTED = {
    "repost": "repost_ring",
    "url": "url_ring",
    "text": "copypasta",
    "neartext": "near_copypasta",
}
# manifest stages timed inside another: significance is part of edges
NESTED = {"significance": "edges"}
STAGES = ("read", "actions", "load", "co-actions", "edges", "significance", "groups", "evidence")
ALL_PAIRS = [
    "--min-weight",
    "1",
    "--min-occasions",
    "1",
    "--min-participation",
    "1",
    "--max-burst",
    "0",
    "--no-significance",
    "--figures",
    "none",
]

# Run by CNT's own interpreter: argv = db, network, window, threads, similarity threshold.
CNT_COMPUTE = """
import json, sys, time
from coordination_network_toolkit import compute_networks as cn
db, network, window, threads, sim = sys.argv[1:6]
window, threads, sim = int(window), int(threads), float(sim)
t0 = time.perf_counter()
if network == "co_retweet":
    cn.compute_co_retweet_parallel(db, window, n_threads=threads, min_edge_weight=1)
elif network == "co_link":
    cn.compute_co_link_network(db, window, n_threads=threads, min_edge_weight=1)
elif network == "co_tweet":
    cn.compute_co_tweet_network(db, window, n_threads=threads, min_edge_weight=1)
elif network == "co_similar_tweet":
    cn.compute_co_similar_tweet(
        db, window, n_threads=threads, similarity_threshold=sim, min_edge_weight=1
    )
else:
    raise SystemExit("unknown network " + network)
print(json.dumps({"compute_s": time.perf_counter() - t0}))
"""

CNT_LOAD = """
import json, sqlite3, sys, time
from coordination_network_toolkit.preprocess import preprocess_csv_files
t0 = time.perf_counter()
preprocess_csv_files(sys.argv[1], [sys.argv[2]])
con = sqlite3.connect(sys.argv[1])
empty = con.execute("delete from message_url where url = ''").rowcount
con.execute("delete from resolved_url where url = ''")
con.commit()
con.execute("pragma wal_checkpoint(truncate)")
con.close()
print(json.dumps({"load_s": time.perf_counter() - t0, "empty_urls_deleted": empty}))
"""


# --------------------------------------------------------------------------- data


def _diurnal_times(rng: np.random.Generator, n: int, span: int) -> np.ndarray:
    """n times in [0, span) with a daily rhythm (busiest evening, quietest before dawn)."""
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        t = rng.integers(0, span, size=int((n - out.size) * 1.7) + 16)
        phase = 2 * np.pi * ((t % DAY) / DAY - 0.45)
        keep = rng.random(t.size) < (1 + 0.7 * np.sin(phase)) / 1.7
        out = np.concatenate([out, t[keep]])
    return out[:n]


def _zipf_choice(rng: np.random.Generator, n_items: int, size: int, a: float = 1.0) -> np.ndarray:
    """Indices in [0, n_items) drawn with P(rank r) ∝ 1/r^a (index i has rank i + 1)."""
    p = 1.0 / np.arange(1, n_items + 1) ** a
    cdf = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(size)), n_items - 1)


class Texts:
    """Tweet-like pseudo-word texts over neartext.py's Zipf vocabulary."""

    def __init__(self, rng: np.random.Generator) -> None:
        vocab, p = _vocabulary(rng)
        self.vocab = np.asarray(vocab, dtype=object)
        self.cdf = np.cumsum(p)
        self.rng = rng

    def words(self, size: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cdf, self.rng.random(size)), len(self.vocab) - 1)

    def background(self, n: int) -> list[str]:
        lengths = self.rng.integers(15, 31, size=n)
        flat = self.vocab[self.words(int(lengths.sum()))]
        ends = np.cumsum(lengths)
        return [
            " ".join(flat[e - k : e]) for e, k in zip(ends.tolist(), lengths.tolist(), strict=True)
        ]

    def template(self) -> np.ndarray:
        return self.words(int(self.rng.integers(15, 31)))

    def variant(self, template: np.ndarray) -> str:
        w = template.copy()
        k = int(self.rng.integers(1, 4))
        w[self.rng.integers(len(w), size=k)] = self.words(k)
        return " ".join(self.vocab[w])

    def join(self, words: np.ndarray) -> str:
        return " ".join(self.vocab[words])


def make_posts(n: int, seed: int = 0) -> tuple[dict[str, Any], list[tuple[str, int, str]]]:
    """The posts as columns (time-ordered, ids increasing with time) and the planted accounts
    (account, group, behaviour)."""
    rng = np.random.default_rng(seed)
    texts = Texts(rng)
    scale = n / 1_000_000
    span = max(int(7 * DAY * scale), 3_600)
    n_accounts = max(1_000, n // 10)
    activity = rng.lognormal(0.0, 1.4, size=n_accounts)
    activity_cdf = np.cumsum(activity / activity.sum())

    def accounts(size: int) -> np.ndarray:
        return np.minimum(np.searchsorted(activity_cdf, rng.random(size)), n_accounts - 1)

    # columns, filled per part: time, account label, text, url, repost target (index into the
    # originals list, -1 none), reply target (-1 none)
    times: list[np.ndarray] = []
    authors: list[np.ndarray] = []  # object arrays of account labels
    msgs: list[list[str]] = []
    urls: list[list[str]] = []
    repost: list[np.ndarray] = []

    def add(t: Any, acc: Any, txt: list[str], url: list[str], rp: Any = None) -> None:
        times.append(np.asarray(t, dtype=np.int64))
        authors.append(np.asarray(acc, dtype=object))
        msgs.append(list(txt))
        urls.append(list(url))
        repost.append(np.full(len(txt), -1) if rp is None else np.asarray(rp, dtype=np.int64))

    def organic(idx: np.ndarray) -> np.ndarray:
        return np.array([f"u{i}" for i in idx.tolist()], dtype=object)

    # planted groups (their posts are counted in n)
    behaviours = ("repost_ring", "url_ring", "copypasta", "near_copypasta")
    n_groups = max(4, round(40 * scale))
    planted: list[tuple[str, int, str]] = []
    plans = []
    for g in range(n_groups):
        members = [f"p{g}_{j}" for j in range(int(rng.integers(5, 16)))]
        behaviour = behaviours[g % len(behaviours)]
        planted += [(m, g, behaviour) for m in members]
        events = np.sort(rng.integers(0, span - 60, size=int(rng.integers(12, 25))))
        plans.append((g, members, behaviour, events))
    planted_posts = sum(len(m) * len(e) for _, m, _, e in plans)  # upper bound (80% take part)

    organic_n = n - int(0.8 * planted_posts)
    n_orig = organic_n // 2
    n_rt = organic_n - n_orig

    # originals: near-duplicate families (10%), exact copies (6%), background (the rest)
    fam_budget, copy_budget = n_orig // 10, n_orig * 6 // 100
    fam_t: list[int] = []
    fam_txt: list[str] = []
    while len(fam_txt) < fam_budget:
        base, template = int(rng.integers(0, span)), texts.template()
        k = int(rng.integers(4, 23))
        fam_t += (base + rng.exponential(120, size=k)).astype(np.int64).tolist()
        fam_txt += [texts.variant(template) for _ in range(k)]
    copy_t: list[int] = []
    copy_txt: list[str] = []
    while len(copy_txt) < copy_budget:
        base, copied = int(rng.integers(0, span)), texts.join(texts.template())
        k = int(rng.integers(2, 13))
        copy_t += (base + rng.exponential(120, size=k)).astype(np.int64).tolist()
        copy_txt += [copied] * k
    add(fam_t, organic(accounts(len(fam_t))), fam_txt, [""] * len(fam_t))
    add(copy_t, organic(accounts(len(copy_t))), copy_txt, [""] * len(copy_t))

    n_bg = n_orig - len(fam_t) - len(copy_t)
    bg_txt = texts.background(n_bg)
    has_url = rng.random(n_bg) < 0.35
    n_urls = max(1_000, n // 10)
    url_idx = _zipf_choice(rng, n_urls, int(has_url.sum()))
    births = rng.integers(0, span, size=n_urls)
    bg_t = _diurnal_times(rng, n_bg, span)
    bg_t[has_url] = births[url_idx] + rng.exponential(3 * 3_600, size=url_idx.size).astype(np.int64)
    bg_url = [""] * n_bg
    for i, u in zip(np.flatnonzero(has_url).tolist(), url_idx.tolist(), strict=True):
        bg_url[i] = f"https://news{u % 997}.org/story/{u}"
    add(bg_t, organic(accounts(n_bg)), bg_txt, bg_url)
    n_originals = sum(len(m) for m in msgs)

    # retweets of the organic originals: Zipf popularity over a random ranking, lognormal delay
    rank = rng.permutation(n_originals)
    target = rank[_zipf_choice(rng, n_originals, n_rt)]
    orig_t = np.concatenate(times)
    delay = np.minimum(rng.lognormal(np.log(3_600), 1.5, size=n_rt), 2 * DAY)
    rt_t = orig_t[target] + np.ceil(delay).astype(np.int64)
    add(rt_t, organic(accounts(n_rt)), [""] * n_rt, [""] * n_rt, target)

    # planted behaviour
    for g, members, behaviour, events in plans:
        for e, t in enumerate(events.tolist()):
            who = [m for m in members if rng.random() < 0.8]
            if len(who) < 2:
                who = members[:2]
            k = len(who)
            ts = t + rng.integers(0, 41, size=k)
            if behaviour == "repost_ring":
                tgt = int(rng.integers(n_originals))
                ts = np.maximum(ts, orig_t[tgt] + 1 + rng.integers(0, 41, size=k))
                add(ts, who, [""] * k, [""] * k, np.full(k, tgt))
            elif behaviour == "url_ring":
                url = f"https://ring{g}.net/p/{e}"
                add(ts, who, texts.background(k), [url] * k)
            elif behaviour == "copypasta":
                add(ts, who, [texts.join(texts.template())] * k, [""] * k)
            else:
                tpl = texts.template()
                add(ts, who, [texts.variant(tpl) for _ in range(k)], [""] * k)

    t_all = np.concatenate(times) + T0
    acc_all = np.concatenate(authors)
    msg_all = [m for part in msgs for m in part]
    url_all = [u for part in urls for u in part]
    rp_all = np.concatenate(repost)
    order = np.argsort(t_all, kind="stable")
    new_id = np.empty_like(order)
    new_id[order] = np.arange(order.size)

    # replies: 10% of the non-retweets answer an earlier post
    is_rt = rp_all >= 0
    reply = np.full(order.size, -1)
    cand = np.flatnonzero(~is_rt & (rng.random(order.size) < 0.10))
    reply[cand] = np.floor(rng.random(cand.size) * new_id[cand]).astype(np.int64)
    reply[cand[new_id[cand] == 0]] = -1

    post_id = np.array([str(ID_BASE + i) for i in range(order.size)], dtype=object)
    rp_sorted = rp_all[order]
    author_of = acc_all  # by original index
    cols: dict[str, Any] = {
        "post_id": post_id,
        "account_id": acc_all[order],
        "timestamp": t_all[order],
        "text": [],
        "urls": [url_all[i] for i in order.tolist()],
        "repost_of": [""] * order.size,
        "reply_to": [""] * order.size,
    }
    text_col: list[str] = []
    for pos, i in enumerate(order.tolist()):
        r = int(rp_sorted[pos])
        if r >= 0:
            text_col.append(f"RT @{author_of[r]}: {msg_all[r]}")
            cols["repost_of"][pos] = post_id[new_id[r]]
        else:
            text_col.append(msg_all[i])
            if reply[i] >= 0:
                cols["reply_to"][pos] = str(ID_BASE + int(reply[i]))
    cols["text"] = text_col
    return cols, planted


def write_inputs(cols: dict[str, Any], cnt_csv: Path, parquet: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open(cnt_csv, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CNT_COLUMNS)
        w.writerows(
            zip(
                cols["post_id"].tolist(),
                cols["account_id"].tolist(),
                cols["account_id"].tolist(),
                cols["repost_of"],
                cols["reply_to"],
                cols["text"],
                cols["timestamp"].tolist(),
                cols["urls"],
                strict=True,
            )
        )

    def nullable(values: list[str]) -> pa.Array:
        return pa.array([v or None for v in values], type=pa.string())

    table = pa.table(
        {
            "post_id": pa.array(cols["post_id"].tolist(), type=pa.string()),
            "account_id": pa.array(cols["account_id"].tolist(), type=pa.string()),
            "timestamp": pa.array(cols["timestamp"], type=pa.timestamp("s", tz="UTC")),
            "text": pa.array(cols["text"], type=pa.string()),
            "urls": pa.array([[u] if u else [] for u in cols["urls"]], type=pa.list_(pa.string())),
            "repost_of": nullable(cols["repost_of"]),
            "reply_to": nullable(cols["reply_to"]),
        }
    )
    pq.write_table(table, parquet)


# --------------------------------------------------------------------------- running

REPO = Path(__file__).resolve().parents[1]
ENV = dict(os.environ)


def use_source(rev: str, work: Path) -> str:
    """Run inconcert from ``rev``'s ``src/`` (exported under ``work``) or the working tree."""
    if rev == "worktree":
        ENV.pop("PYTHONPATH", None)
        where = "working tree"
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        where = f"working tree at {commit}"
    else:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", rev],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dest = work / f"src-{commit}"
        if not (dest / "src" / "inconcert").exists():
            dest.mkdir(parents=True, exist_ok=True)
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", commit, "src"], capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        ENV["PYTHONPATH"] = str(dest / "src")
        where = f"commit {commit}"
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import inconcert, inconcert._version as v; print(v.VERSION, inconcert.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    ).stdout.split()
    return f"{probe[0]} ({where}: {Path(probe[1]).parent})"


def run_timed(cmd: list[str], log: Path, timeout: float | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB of the largest process of the tree, exit code (negative:
    killed, e.g. at the timeout)."""
    with open(log, "ab") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=ENV)
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if timer:
            timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def _last_json(log: Path) -> dict[str, Any]:
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no result in {log}:\n{log.read_text(errors='replace')[-2000:]}")


def cnt_load(py: Path, db: Path, cnt_csv: Path, log: Path) -> dict[str, Any]:
    wall, rss, rc = run_timed([str(py), "-c", CNT_LOAD, str(db), str(cnt_csv)], log)
    if rc:
        raise RuntimeError(f"CNT load failed, see {log}")
    out = _last_json(log)
    out.update(wall_s=wall, peak_rss_mb=rss, db_mb=db.stat().st_size / 2**20)
    return out


def cnt_compute(
    py: Path, db: Path, network: str, window: int, similarity: float, log: Path
) -> dict[str, Any]:
    cmd = [str(py), "-c", CNT_COMPUTE, str(db), network, str(window), "2", str(similarity)]
    log.write_text("")
    wall, rss, rc = run_timed(cmd, log)
    if rc:
        raise RuntimeError(f"CNT {network} failed, see {log}")
    out = _last_json(log)
    table = f"{network}_network"
    with sqlite3.connect(db) as con:
        rows = con.execute(f"SELECT COUNT(*) FROM {table} WHERE user_1 < user_2").fetchone()
    out.update(wall_s=wall, peak_rss_mb=rss, pairs=int(rows[0]))
    return out


def inconcert_run(
    posts: Path,
    out: Path,
    kind: str,
    window: int,
    extra: list[str],
    log: Path,
    timeout: float | None = None,
) -> dict[str, Any]:
    exe = shutil.which("inconcert") or str(Path(sys.executable).parent / "inconcert")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [exe, "detect", str(posts), "--out", str(out), "--kinds", kind]
    cmd += ["--window", str(window), "-q", *extra]
    log.write_text("")
    wall, rss, rc = run_timed(cmd, log, timeout)
    if rc:
        how = "stopped at the timeout" if rc < 0 and timeout and wall >= timeout else f"exit {rc}"
        raise RuntimeError(f"{how} after {wall:.0f} s\nsee {log}:\n{log.read_text()[-2000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    stages = {k: float(v) for k, v in manifest.get("timings_s", {}).items()}
    summary = manifest.get("summary", {})
    return {
        "wall_s": wall,
        "peak_rss_mb": rss,
        "stages": stages,
        "rest_s": wall - sum(v for k, v in stages.items() if k not in NESTED),
        "edges": summary.get("edges"),
        "accounts": summary.get("accounts"),
        "coactions": summary.get("coactions"),
        "actions_in_bursts": summary.get("actions_in_bursts"),
    }


def recall(accounts_csv: Path, planted: list[Any], behaviour: str) -> float | None:
    """Share of the planted accounts with this behaviour that are in inconcert's network."""
    import pyarrow.csv as pcsv

    members = {a for a, _, b in planted if b == behaviour}
    if not members or not accounts_csv.exists():
        return None
    t = pcsv.read_csv(
        accounts_csv,
        convert_options=pcsv.ConvertOptions(column_types={"account_id": "string"}),
    )
    found = set(t["account_id"].to_pylist())
    return len(members & found) / len(members)


def step_cnt(
    py: Path, prepared: Path, work: Path, kind: str, rep: int, args: Any, r: dict[str, Any]
) -> None:
    """One CNT compute on a fresh copy of the prepared database (cold), then again (warm)."""
    network = CNT_FUNCTION[kind]
    log = work / f"{kind}.log"
    db = work / f"cnt-{kind}.db"
    for p in work.glob(f"cnt-{kind}.db*"):
        p.unlink()
    shutil.copyfile(prepared, db)
    cold = cnt_compute(py, db, network, args.window, args.similarity, log)
    r["cnt_cold"].append(cold)
    msg = f"  CNT {network} cold {cold['compute_s']:.1f} s"
    if rep == 0 and not args.no_all_pairs:  # its pairs, compared after the timed runs
        first = work / f"cnt-{kind}-first.db"
        for p in work.glob(f"cnt-{kind}-first.db*"):
            p.unlink()
        shutil.copyfile(db, first)
    if kind != "neartext" or args.warm_similar:
        warm = cnt_compute(py, db, network, args.window, args.similarity, log)
        r["cnt_warm"].append(warm)
        msg += f", warm {warm['compute_s']:.1f} s"
    for p in work.glob(f"cnt-{kind}.db*"):
        p.unlink()
    print(msg + f" ({cold['pairs']:,} pairs)", flush=True)


def inconcert_prepare(posts: Path, store: Path, kind: str, log: Path) -> dict[str, Any]:
    """inconcert's one-time load: ``inconcert prepare`` of one kind into a store."""
    exe = shutil.which("inconcert") or str(Path(sys.executable).parent / "inconcert")
    shutil.rmtree(store, ignore_errors=True)
    log.write_text("")
    cmd = [exe, "prepare", str(posts), "--out", str(store), "--kinds", kind, "-q"]
    wall, rss, rc = run_timed(cmd, log)
    if rc:
        raise RuntimeError(f"inconcert prepare: exit {rc}\nsee {log}:\n{log.read_text()[-2000:]}")
    return {"prepare_s": wall, "peak_rss_mb": rss}


def step_inconcert(
    posts: Path,
    work: Path,
    kind: str,
    rep: int,
    args: Any,
    r: dict[str, Any],
) -> None:
    """One default ``inconcert detect`` of one kind from the posts, then one from the
    kind's prepared store (when there is one)."""
    out = work / f"ic-{kind}"
    sources = [("inconcert", posts)]
    if (work / f"store-{kind}").is_dir():
        sources.append(("inconcert_store", work / f"store-{kind}"))
    for key, source in sources:
        if key == "inconcert_store":  # a fresh copy, as CNT's database is (step_cnt)
            copy = work / f"store-{kind}-run"
            shutil.rmtree(copy, ignore_errors=True)
            source = Path(shutil.copytree(source, copy))
        x = inconcert_run(source, out, kind, args.window, [], work / f"{kind}.log")
        if key == "inconcert_store":
            shutil.rmtree(source)
        r.setdefault(key, []).append(x)
        if rep == 0 and key == "inconcert":
            shutil.copyfile(out / "accounts.csv", work / f"ic-{kind}-accounts.csv")
        st = " ".join(f"{k} {v:.1f}" for k, v in x["stages"].items())
        print(
            f"  {key} {kind} {x['wall_s']:.1f} s ({st}; rest {x['rest_s']:.1f}), "
            f"{x['edges']:,} edges, peak {x['peak_rss_mb']:.0f} MB",
            flush=True,
        )


# --------------------------------------------------------------------------- report


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _span(values: list[float]) -> str:
    """Median, and min–max when there are several runs."""
    if len(values) < 2:
        return f"{_med(values):.1f}"
    return f"{_med(values):.1f} ({min(values):.0f}–{max(values):.0f})"


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GB RAM, Python {platform.python_version()}"


def _ratios(
    cnt: list[dict[str, Any]],
    ic: list[dict[str, Any]],
    added_s: float = 0.0,
    key: str = "compute_s",
) -> list[float]:
    """(CNT time + ``added_s``) / inconcert time, repeat by repeat (the two ran side by side);
    CNT's time: its compute call (``key="compute_s"``) or its whole process (``"wall_s"``)."""
    return [(added_s + c[key]) / i["wall_s"] for c, i in zip(cnt, ic, strict=False)]


def _ratio(cnt: list[dict[str, Any]], ic: list[dict[str, Any]], key: str = "compute_s") -> str:
    """CNT time / inconcert time, repeat by repeat: median (range)."""
    r = _ratios(cnt, ic, key=key)
    if len(r) < 2:
        return f"{r[0]:.2f}×"
    return f"{statistics.median(r):.2f}× ({min(r):.2f}–{max(r):.2f})"


def _ratio_from_csv(load_s: float, cnt: list[dict[str, Any]], ic: list[dict[str, Any]]) -> str:
    """(CNT's one-time load + its cold compute) / inconcert's time, repeat by repeat: the
    network from a new collection's file, the load counted whole for each kind."""
    return f"{statistics.median(_ratios(cnt, ic, load_s)):.1f}×"


def _own(stages: dict[str, float], name: str) -> float:
    """A stage's time without the stages timed inside it."""
    inner = sum(v for k, v in stages.items() if NESTED.get(k) == name)
    return stages.get(name, 0.0) - inner


def _accounted(stages: dict[str, float]) -> float:
    return sum(v for k, v in stages.items() if k not in NESTED)


def report(res: dict[str, Any]) -> str:
    lines = []
    a = res["args"]
    lines.append(
        f"CNT 1.5.2 vs inconcert {res['inconcert_version']}, {res['posts']:,} posts "
        f"({res['accounts']:,} accounts, {res['span_days']:.1f} days), window {a['window']} s, "
        f"median of {a['repeat']}; {res['machine']}"
    )
    load = res["cnt_load"]
    lines.append(
        f"data written in {res['generate_s']:.0f} s; CNT one-time load (preprocess_csv_files): "
        f"{load['load_s']:.1f} s, peak {load['peak_rss_mb']:.0f} MB, database "
        f"{load['db_mb']:.0f} MB ({load['empty_urls_deleted']:,} empty-URL rows deleted); "
        f"peak RSS is the largest process of a run (floor: this script's "
        f"{res.get('rss_floor_mb', 0):.0f} MB)"
    )
    lines.append("")
    lines.append(
        "| kind | CNT function | CNT cold s (min–max), peak | CNT warm s | inconcert s, peak "
        "| ratio cold (per repeat) | ratio cold, whole processes | ratio warm "
        "| ratio from the CSV (load + cold) | inconcert stages s: read / actions / load / "
        "co-actions / edges / significance / groups / evidence / rest (import, outputs) |"
    )
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind, r in res["kinds"].items():
        cold_rss = max(x["peak_rss_mb"] for x in r["cnt_cold"])
        ic_rss = max(x["peak_rss_mb"] for x in r["inconcert"])
        st = [_med([_own(x["stages"], s) for x in r["inconcert"]]) for s in STAGES]
        rest = _med([x["wall_s"] - _accounted(x["stages"]) for x in r["inconcert"]])
        warm_s = _span([x["compute_s"] for x in r["cnt_warm"]]) if r["cnt_warm"] else "—"
        ratio_c = _ratio(r["cnt_cold"], r["inconcert"])
        whole_c = _ratio(r["cnt_cold"], r["inconcert"], key="wall_s")
        ratio_w = _ratio(r["cnt_warm"], r["inconcert"]) if r["cnt_warm"] else "—"
        ratio_csv = _ratio_from_csv(load["load_s"], r["cnt_cold"], r["inconcert"])
        cold_s = _span([x["compute_s"] for x in r["cnt_cold"]])
        ic_s = _span([x["wall_s"] for x in r["inconcert"]])
        lines.append(
            f"| {kind} | {CNT_FUNCTION[kind]} | {cold_s}, {cold_rss:.0f} MB | {warm_s} "
            f"| {ic_s}, {ic_rss:.0f} MB | **{ratio_c}** | {whole_c} | {ratio_w} | {ratio_csv} "
            f"| {' / '.join(f'{x:.1f}' for x in st)} / {rest:.1f} |"
        )
    stored = [k for k, r in res["kinds"].items() if r.get("inconcert_store")]
    if stored:
        lines.append("")
        lines.append(
            "Prepared against prepared: CNT's compute on its database against `inconcert "
            "detect STORE` on a store `inconcert prepare` made once (each tool's one-time load "
            "apart; the whole inconcert process, its report included)."
        )
        lines.append("")
        lines.append(
            "| kind | CNT one-time load s | inconcert one-time load s (prepare) | CNT cold s "
            "| inconcert from its store s, peak | ratio cold (per repeat) "
            "| ratio cold, whole processes | ratio warm "
            "| inconcert stages s: read / actions / load / co-actions / edges / significance "
            "/ groups / evidence / rest (import, outputs) |"
        )
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind in stored:
        r = res["kinds"][kind]
        runs = r["inconcert_store"]
        prep = res.get("ic_prepare", {}).get(kind, {})
        st = [_med([_own(x["stages"], s) for x in runs]) for s in STAGES]
        rest = _med([x["wall_s"] - _accounted(x["stages"]) for x in runs])
        lines.append(
            f"| {kind} | {load['load_s']:.1f} | {prep.get('prepare_s', float('nan')):.1f} "
            f"| {_span([x['compute_s'] for x in r['cnt_cold']])} "
            f"| {_span([x['wall_s'] for x in runs])}, "
            f"{max(x['peak_rss_mb'] for x in runs):.0f} MB "
            f"| **{_ratio(r['cnt_cold'], runs)}** "
            f"| {_ratio(r['cnt_cold'], runs, key='wall_s')} "
            f"| {_ratio(r['cnt_warm'], runs) if r['cnt_warm'] else '—'} "
            f"| {' / '.join(f'{x:.1f}' for x in st)} / {rest:.1f} |"
        )
    lines.append("")
    lines.append(
        "| kind | CNT pairs (≥1 co-action) | inconcert all-pairs run: s, pairs | overlap: "
        "both / CNT only / inconcert only | inconcert default: edges, planted recall |"
    )
    lines.append("| --- | --- | --- | --- | --- |")
    for kind, r in res["kinds"].items():
        ov = r.get("overlap")
        ap = r.get("all_pairs", {})
        d = r["inconcert"][0]
        rc = r.get("planted_recall")
        if ov:
            run = f"{ap['wall_s']:.1f} s, {ov['inconcert']:,}"
            both = f"{ov['both']:,} / {ov['cnt_only']:,} / {ov['inconcert_only']:,}"
        else:
            run, both = ap.get("error", "not run"), "—"
        lines.append(
            f"| {kind} | {r['cnt_cold'][0]['pairs']:,} | {run} | {both} | {d['edges']:,}, "
            f"{'—' if rc is None else f'{rc:.2f}'} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def generate(args: Any, work: Path) -> None:
    """Child mode: write the posts (CNT CSV, Parquet), the planted accounts and the counts."""
    t0 = time.perf_counter()
    cols, planted = make_posts(args.posts, args.seed)
    write_inputs(cols, work / "cnt.csv", work / "posts.parquet")
    ts = cols["timestamp"]
    stats = {
        "generate_s": time.perf_counter() - t0,
        "posts": len(cols["post_id"]),
        "accounts": len(set(cols["account_id"].tolist())),
        "span_days": float(ts.max() - ts.min()) / DAY,
        "retweets": sum(1 for r in cols["repost_of"] if r),
        "with_url": sum(1 for u in cols["urls"] if u),
        "planted_accounts": len(planted),
    }
    (work / "planted.json").write_text(json.dumps(planted))
    (work / "data.json").write_text(json.dumps(stats))


def compare_pairs(db: Path, network: str, edges_csv: Path) -> dict[str, int]:
    """CNT's pairs (user_1 != user_2, unordered) against inconcert's edges."""
    import duckdb
    import pyarrow as pa

    batches = []
    with sqlite3.connect(db) as con:
        cur = con.execute(f"SELECT user_1, user_2 FROM {network}_network WHERE user_1 != user_2")
        while rows := cur.fetchmany(1_000_000):
            a, b = zip(*rows, strict=True)
            batches.append(pa.table({"a": pa.array(a, pa.string()), "b": pa.array(b, pa.string())}))
    theirs = pa.concat_tables(batches) if batches else pa.table({"a": [], "b": []})
    dk = duckdb.connect()
    dk.register("cnt_raw", theirs)
    dk.execute(
        "CREATE TABLE c AS SELECT DISTINCT least(a, b) AS a, greatest(a, b) AS b FROM cnt_raw"
    )
    dk.execute(
        "CREATE TABLE i AS SELECT DISTINCT least(account_a, account_b) AS a, "
        "greatest(account_a, account_b) AS b "
        f"FROM read_csv('{edges_csv}', all_varchar = true)"
    )
    both = dk.execute("SELECT COUNT(*) FROM c JOIN i USING (a, b)").fetchone()
    n_c = dk.execute("SELECT COUNT(*) FROM c").fetchone()
    n_i = dk.execute("SELECT COUNT(*) FROM i").fetchone()
    assert both and n_c and n_i
    return {
        "cnt": int(n_c[0]),
        "inconcert": int(n_i[0]),
        "both": int(both[0]),
        "cnt_only": int(n_c[0]) - int(both[0]),
        "inconcert_only": int(n_i[0]) - int(both[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=int, default=60)
    parser.add_argument("--similarity", type=float, default=0.7)
    parser.add_argument("--kinds", nargs="+", default=list(CNT_FUNCTION), choices=CNT_FUNCTION)
    parser.add_argument("--warm-similar", action="store_true", help="also a warm co_similar_tweet")
    parser.add_argument("--no-all-pairs", action="store_true", help="skip the overlap runs")
    parser.add_argument(
        "--no-store", action="store_true", help="skip inconcert's runs from a prepared store"
    )
    parser.add_argument(
        "--all-pairs-timeout",
        type=float,
        default=900,
        help="seconds after which an all-pairs run is stopped (its overlap then not given)",
    )
    parser.add_argument(
        "--src",
        default="HEAD",
        help="inconcert to run: a git revision, exported to the work folder so edits to the "
        "working tree during the run do not change it (default HEAD), or 'worktree'",
    )
    parser.add_argument("--work", type=Path, help="keep data, databases and logs here")
    parser.add_argument("--json", type=Path, help="write every raw number here")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help="print the tables of an earlier --json")
    args = parser.parse_args()
    if args.report:
        print(report(json.loads(args.report.read_text())))
        return
    if args.generate_only:
        generate(args, args.work)
        return

    py = _cnt_python()
    tmp = None
    if args.work is None:
        tmp = tempfile.TemporaryDirectory(prefix="cnt-bench-")
        work = Path(tmp.name)
    else:
        work = args.work
        work.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": _machine(),
    }
    try:
        res["inconcert_version"] = use_source(args.src, work)
        print(f"inconcert {res['inconcert_version']}", flush=True)
        print(compile_inconcert(ENV), flush=True)
        # the data are made in a child process: a child's peak RSS as wait4 reports it starts
        # from this process's own (Python spawns with vfork), which therefore stays small
        gen = [sys.executable, __file__, "--generate-only", "--work", str(work)]
        subprocess.run([*gen, "--posts", str(args.posts), "--seed", str(args.seed)], check=True)
        res.update(json.loads((work / "data.json").read_text()))
        planted = [tuple(x) for x in json.loads((work / "planted.json").read_text())]
        cnt_csv, posts = work / "cnt.csv", work / "posts.parquet"
        print(
            f"{res['posts']:,} posts ({res['retweets']:,} retweets, {res['with_url']:,} with a "
            f"link), {res['accounts']:,} accounts, {res['planted_accounts']} planted, "
            f"{res['span_days']:.1f} days; written in {res['generate_s']:.0f} s",
            flush=True,
        )

        prepared = work / "cnt-prepared.db"
        for p in work.glob("cnt-prepared.db*"):
            p.unlink()
        res["cnt_load"] = cnt_load(py, prepared, cnt_csv, work / "cnt-load.log")
        print(f"CNT one-time load: {res['cnt_load']['load_s']:.1f} s", flush=True)
        res["rss_floor_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if not args.no_store:
            res["ic_prepare"] = {}
            for kind in args.kinds:
                store = work / f"store-{kind}"
                x = inconcert_prepare(posts, store, kind, work / "prepare.log")
                res["ic_prepare"][kind] = x
                print(f"inconcert one-time load ({kind}): {x['prepare_s']:.1f} s", flush=True)

        res["kinds"] = {k: {"cnt_cold": [], "cnt_warm": [], "inconcert": []} for k in args.kinds}
        step = 0
        for rep in range(args.repeat):
            for kind in args.kinds:
                print(f"repeat {rep + 1}, {kind}:", flush=True)
                for tool in ("cnt", "ic") if step % 2 == 0 else ("ic", "cnt"):
                    if tool == "cnt":
                        step_cnt(py, prepared, work, kind, rep, args, res["kinds"][kind])
                    else:
                        step_inconcert(posts, work, kind, rep, args, res["kinds"][kind])
                step += 1
                save(res, args.json)

        for kind in args.kinds:
            r = res["kinds"][kind]
            r["planted_recall"] = recall(work / f"ic-{kind}-accounts.csv", planted, PLANTED[kind])
            if args.no_all_pairs:
                continue
            out = work / f"ic-{kind}-all"
            first = work / f"cnt-{kind}-first.db"
            log = work / "all.log"
            try:
                x = inconcert_run(
                    posts, out, kind, args.window, ALL_PAIRS, log, args.all_pairs_timeout
                )
                r["all_pairs"] = x
                r["overlap"] = compare_pairs(first, CNT_FUNCTION[kind], out / "edges.csv")
                print(f"all pairs {kind}: {x['wall_s']:.1f} s, {r['overlap']}", flush=True)
            except RuntimeError as exc:  # e.g. the timeout: the overlap is a check, not a timing
                lines = str(exc).splitlines()
                said = [x for x in lines[2:] if x.strip()]  # what inconcert printed, if any
                r["all_pairs"] = {"error": lines[0], "output": said[-3:]}
                print(f"all pairs {kind}: {lines[0]}; {' '.join(said[-3:])}", flush=True)
            shutil.rmtree(out, ignore_errors=True)
            for p in work.glob(f"cnt-{kind}-first.db*"):
                p.unlink()
            save(res, args.json)
    finally:
        if tmp is not None:
            tmp.cleanup()

    save(res, args.json)
    print()
    print(report(res))


def save(res: dict[str, Any], path: Path | None) -> None:
    """Every raw number so far (written after each step, so a broken run keeps them)."""
    if path is not None:
        path.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
