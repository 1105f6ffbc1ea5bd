"""Benchmark: near-duplicate text at scale, and against the Coordination Network Toolkit.

1. **1M tweet-like texts** (15–30 pseudo-words drawn from a Zipf vocabulary) with planted
   families: a template and 2–20 variants, each with 1–3 words changed. Timed: normalisation,
   MinHash signatures, LSH and verification (``inconcert.neartext.cluster_texts``), peak RSS of
   the process. Quality: a *true pair* is two texts of one family whose exact Jaccard similarity
   of character 5-grams is >= 0.7; recall = true pairs put in one cluster / true pairs;
   precision = pairs put in one cluster that are of one family / pairs put in one cluster.
   Targets: < 60 s, < 3 GB, recall >= 0.95, precision >= 0.99.
2. **10k articles** (300–1,500 words) of which 1,000 are republished 1–3 times under another
   byline, header and footer, with a few words edited: recall and precision as above (every
   republication is a true pair with its original).
3. **Against the Coordination Network Toolkit** (CNT 1.5.2, installed by this script in its own
   virtual environment under ``benchmarks/.venv-cnt``): 100k of the texts as posts by 20k
   accounts over one day, family members posted by different accounts within seconds; CNT's
   ``preprocess`` + ``compute co_similar_tweet`` (Jaccard of word sets >= 0.7, window 60 s)
   against ``inconcert detect --kinds neartext`` (window 60 s), wall time of each and the ratio.

Usage: python benchmarks/neartext.py [--texts 1000000] [--cnt-texts 100000] [--skip-cnt]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
CNT_VENV = ROOT / ".venv-cnt"
#: the columns of CNT's CSV input (``preprocess_csv_files``)
CNT_COLUMNS = [
    "message_id",
    "user_id",
    "username",
    "repost_id",
    "reply_id",
    "message",
    "timestamp",
    "urls",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ra",
    "tu",
    "shi",
    "pe",
    "do",
    "gra",
    "ven",
    "sta",
    "ri",
    "on",
    "el",
    "ab",
    "qu",
    "zi",
    "mor",
    "tal",
    "ex",
    "und",
    "ber",
    "fa",
]


def _vocabulary(rng: np.random.Generator, n: int = 30_000) -> tuple[list[str], np.ndarray]:
    words: set[str] = set()
    while len(words) < n:
        k = int(rng.integers(1, 5))
        words.add("".join(SYLLABLES[i] for i in rng.integers(len(SYLLABLES), size=k)))
    vocab = sorted(words)
    p = 1.0 / np.arange(1, n + 1) ** 1.05
    return vocab, p / p.sum()


def make_texts(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Tweet-like texts; family id per text (-1 - i for background texts)."""
    rng = np.random.default_rng(seed)
    vocab, p = _vocabulary(rng)
    texts: list[str] = []
    family: list[int] = []
    fam = 0
    in_families = n // 10
    while len(texts) < in_families:
        length = int(rng.integers(15, 31))
        template = list(rng.choice(len(vocab), size=length, p=p))
        for _ in range(int(rng.integers(3, 22))):
            words = list(template)
            for _ in range(int(rng.integers(1, 4))):
                words[int(rng.integers(length))] = int(rng.choice(len(vocab), p=p))
            texts.append(" ".join(vocab[w] for w in words))
            family.append(fam)
        fam += 1
    rest = n - len(texts)
    lengths = rng.integers(15, 31, size=rest)
    flat = rng.choice(len(vocab), size=int(lengths.sum()), p=p)
    pos = 0
    for i, length in enumerate(lengths.tolist()):
        texts.append(" ".join(vocab[w] for w in flat[pos : pos + length]))
        family.append(-1 - i)
        pos += length
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.asarray(family)[order]


def make_articles(
    n: int = 10_000, republished: int = 1_000, seed: int = 1
) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    vocab, p = _vocabulary(rng)
    originals = n - republished * 2
    texts: list[str] = []
    family: list[int] = []
    for i in range(originals):
        body = " ".join(
            vocab[w] for w in rng.choice(len(vocab), size=int(rng.integers(300, 1501)), p=p)
        )
        texts.append(f"Staff reporter {i}\n\n{body}\n\n(c) Outlet {i % 50}")
        family.append(i)
    k = 0
    while len(texts) < n:
        src = int(rng.integers(originals))
        body = texts[src].split("\n\n")[1].split()
        for _ in range(int(rng.integers(1, 6))):
            body[int(rng.integers(len(body)))] = vocab[int(rng.integers(len(vocab)))]
        texts.append(
            f"By another author {k} | Site {k % 97}\n\n{' '.join(body)}\n\n"
            f"Read more and subscribe to our newsletter"
        )
        family.append(src)
        k += 1
    return texts, np.asarray(family)


def _shingles(text: str, k: int = 5) -> set[str]:
    return {text[i : i + k] for i in range(max(1, len(text) - k + 1))}


def quality(
    texts: list[str], family: np.ndarray, labels: list[str | None], max_true_pairs: int = 300_000
) -> dict[str, float]:
    """Pair precision (by contingency counts) and recall over true pairs (exact J >= 0.7)."""
    from inconcert.normalize import normalize_text

    lab = np.array([x if x is not None else f"none{i}" for i, x in enumerate(labels)])
    pairs = Counter(zip(lab.tolist(), family.tolist(), strict=True))
    predicted = sum(c * (c - 1) // 2 for c in Counter(lab.tolist()).values())
    correct = sum(c * (c - 1) // 2 for c in pairs.values())
    members: dict[int, list[int]] = {}
    for i, f in enumerate(family.tolist()):
        if f >= 0:
            members.setdefault(f, []).append(i)
    true = found = 0
    for idx in members.values():
        sh = [_shingles(normalize_text(texts[i])) for i in idx]
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                if len(sh[a] & sh[b]) / len(sh[a] | sh[b]) >= 0.7:
                    true += 1
                    found += lab[idx[a]] == lab[idx[b]]
        if true >= max_true_pairs:
            break
    return {
        "precision": correct / predicted if predicted else 1.0,
        "recall": found / true if true else 1.0,
        "true_pairs": true,
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_cluster(kind: str, n: int) -> dict[str, float]:
    from inconcert.neartext import cluster_texts

    texts, family = make_texts(n) if kind == "tweets" else make_articles()
    start_rss = _peak_mb()
    t0 = time.perf_counter()
    result = cluster_texts(texts)
    seconds = time.perf_counter() - t0
    out = {
        "texts": len(texts),
        "seconds": seconds,
        "peak_rss_mb": _peak_mb(),
        "rss_before_mb": start_rss,
        "candidates": result.candidate_pairs,
        "similar": result.verified_pairs,
    }
    out.update(quality(texts, family, result.labels.to_pylist()))
    return out


def _posts_csv(path: Path, n: int, cnt: bool) -> None:
    """n texts as posts by 20k accounts over one day; family members within seconds."""
    texts, family = make_texts(n, seed=2)
    rng = np.random.default_rng(3)
    t0 = 1_700_000_000
    base_time: dict[int, int] = {}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        if cnt:
            w.writerow(CNT_COLUMNS)
        else:
            w.writerow(["post_id", "account_id", "timestamp", "text"])
        for i, (text, fam) in enumerate(zip(texts, family.tolist(), strict=True)):
            if fam >= 0:
                ts = base_time.setdefault(fam, t0 + int(rng.integers(86_400))) + int(
                    rng.integers(0, 30)
                )
            else:
                ts = t0 + int(rng.integers(86_400))
            account = f"u{int(rng.integers(20_000))}"
            if cnt:
                w.writerow([f"m{i}", account, account, "", "", text, ts, ""])
            else:
                w.writerow([f"m{i}", account, ts, text])


def _cnt_python() -> Path:
    py = CNT_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(CNT_VENV)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "coordination-network-toolkit==1.5.2"],
            check=True,
        )
    return py


def compare_cnt(n: int) -> dict[str, float]:
    py = _cnt_python()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        _posts_csv(d / "cnt.csv", n, cnt=True)
        _posts_csv(d / "posts.csv", n, cnt=False)
        # CNT's command line runs co_similar_tweet on no user at all in 1.5.2 ("Completed
        # 0 / 0"), so its Python API is called, in its own environment.
        script = (
            "import sys, time\n"
            "from coordination_network_toolkit.preprocess import preprocess_csv_files\n"
            "from coordination_network_toolkit.compute_networks import "
            "compute_co_similar_tweet\n"
            "t0 = time.perf_counter()\n"
            "preprocess_csv_files(sys.argv[1], [sys.argv[2]])\n"
            "t1 = time.perf_counter()\n"
            "compute_co_similar_tweet(sys.argv[1], 60, n_threads=2, "
            "similarity_threshold=0.7)\n"
            "print(t1 - t0, time.perf_counter() - t1)\n"
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(py), "-c", script, str(d / "cnt.db"), str(d / "cnt.csv")],
            check=True,
            capture_output=True,
            text=True,
        )
        t2 = time.perf_counter()
        pre_s, sim_s = (float(x) for x in proc.stdout.strip().splitlines()[-1].split())
        inconcert = shutil.which("inconcert") or str(Path(sys.executable).parent / "inconcert")
        subprocess.run(
            [
                inconcert,
                "detect",
                str(d / "posts.csv"),
                "--out",
                str(d / "ic"),
                "--kinds",
                "neartext",
                "--window",
                "60",
                "--min-weight",
                "1",
                "--min-participation",
                "1",
                "-q",
            ],
            check=True,
        )
        t3 = time.perf_counter()
        with sqlite3.connect(d / "cnt.db") as con:  # directed user pairs: halve
            row = con.execute(
                "SELECT COUNT(*) FROM co_similar_tweet_network WHERE user_1 < user_2"
            ).fetchone()
            cnt_edges = int(row[0])
        manifest = json.loads((d / "ic" / "manifest.json").read_text())
        return {
            "texts": n,
            "cnt_preprocess_s": pre_s,
            "cnt_similarity_s": sim_s,
            "cnt_total_s": t2 - t0,
            "inconcert_detect_s": t3 - t2,
            "cnt_edges": cnt_edges,
            "inconcert_edges": manifest["summary"]["edges"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1_000_000)
    parser.add_argument("--cnt-texts", type=int, default=100_000)
    parser.add_argument("--skip-cnt", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_cluster(args.child, args.texts)))
        return
    for kind in ("tweets", "articles"):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", kind, "--texts", str(args.texts)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{kind}: {r['texts']:,} texts in {r['seconds']:.1f} s "
            f"({r['texts'] / r['seconds']:,.0f} texts/s), peak RSS {r['peak_rss_mb']:,.0f} MB; "
            f"recall {r['recall']:.4f} precision {r['precision']:.4f} "
            f"({r['true_pairs']:,} true pairs; {r['candidates']:,} candidates verified)"
        )
        if kind == "tweets":
            ok = (
                r["seconds"] < 60,
                r["peak_rss_mb"] < 3072,
                r["recall"] >= 0.95,
                r["precision"] >= 0.99,
            )
            print(
                f"  targets (<60 s, <3 GB, recall>=0.95, precision>=0.99): "
                f"{', '.join('met' if x else 'MISSED' for x in ok)}"
            )
    if not args.skip_cnt:
        c = compare_cnt(args.cnt_texts)
        print(
            f"vs Coordination Network Toolkit on {c['texts']:,} posts (window 60 s, J>=0.7): "
            f"CNT {c['cnt_total_s']:.1f} s (preprocess {c['cnt_preprocess_s']:.1f} s, "
            f"co_similar_tweet {c['cnt_similarity_s']:.1f} s), "
            f"inconcert detect --kinds neartext {c['inconcert_detect_s']:.1f} s: "
            f"{c['cnt_total_s'] / c['inconcert_detect_s']:.1f}x; "
            f"edges CNT {c['cnt_edges']:,}, inconcert {c['inconcert_edges']:,}"
        )


if __name__ == "__main__":
    main()
