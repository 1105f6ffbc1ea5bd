"""The length benchmark (benchmarks/length.py): copies of a world and of its truth renamed and
shifted as the docstring says, the verdict's arithmetic, and a tiny end-to-end run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from inconcert.schema import POST_SCHEMA
from inconcert.simulate import TRUTH_SCHEMA

from .helpers import load_benchmark

length = load_benchmark("length")

T0 = datetime(2024, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def _posts() -> pa.Table:
    """Three accounts over a little more than two days: the span is 3 whole days."""
    rows = [
        ("p1", "a", T0 + timedelta(hours=1), "https://x.org/one", "tag"),
        ("p2", "b", T0 + timedelta(hours=1, seconds=5), "https://x.org/one", "tag"),
        ("p3", "x", T0 + DAY + timedelta(hours=3), None, "other"),
        ("p4", "a", T0 + 2 * DAY + timedelta(hours=23), None, None),
    ]
    return pa.Table.from_pylist(
        [
            {
                "post_id": post,
                "account_id": account,
                "timestamp": at,
                "platform": "test",
                "text": f"the same words from {account}",
                "urls": [url] if url else [],
                "hashtags": [tag] if tag else [],
                "mentions": [],
                "image_hashes": [],
                "repost_of": None,
                "reply_to": None,
                "quote_of": None,
            }
            for post, account, at, url, tag in rows
        ],
        schema=POST_SCHEMA,
    )


def _truth() -> pa.Table:
    return pa.table(
        {
            "account_id": ["a", "b", "x"],
            "group_id": ["1", "1", None],
            "behaviour": ["url_ring", "url_ring", "organic"],
        },
        schema=TRUTH_SCHEMA,
    )


def test_span_is_whole_days_longer_than_the_posts() -> None:
    posts = _posts()
    assert length.span_days(posts) == 3  # 2 days 22 hours from first to last post
    assert length.span_days(posts.slice(0, 2)) == 1
    assert length.span_days(posts.slice(0, 0)) == 1


@pytest.mark.parametrize("k", [1, 2, 4])
def test_copies_are_renamed_and_shifted_by_whole_spans(k: int) -> None:
    posts = _posts()
    days = length.span_days(posts)
    copies = length.copied_posts(posts, k, days)
    assert copies.schema == POST_SCHEMA
    assert copies.num_rows == k * posts.num_rows
    accounts = copies["account_id"].to_pylist()
    stamps = copies["timestamp"].to_pylist()
    per_copy: list[set[str]] = []
    for i in range(k):
        part = slice(i * posts.num_rows, (i + 1) * posts.num_rows)
        mine = accounts[part]
        assert mine == [f"{a}-c{i}" for a in posts["account_id"].to_pylist()]
        assert {length.copy_index(a) for a in mine} == {i}
        # times shifted by i whole spans, so the UTC days and hours are kept
        assert stamps[part] == [t + i * days * DAY for t in posts["timestamp"].to_pylist()]
        per_copy.append(set(mine))
        if i:  # never overlapping: the copy starts after the one before ends
            assert min(stamps[part]) > max(stamps[(i - 1) * posts.num_rows : part.start])
        # objects are the copy's own
        urls = {u for us in copies["urls"].to_pylist()[part] for u in us}
        tags = {t for ts in copies["hashtags"].to_pylist()[part] for t in ts}
        assert urls == {f"https://x.org/one/c{i}"}
        assert tags == {f"tagc{i}", f"otherc{i}"}
    for i in range(k):
        for j in range(i):
            assert not per_copy[i] & per_copy[j]  # disjoint account ids


@pytest.mark.parametrize("k", [1, 3])
def test_truth_is_renamed_like_the_posts(k: int) -> None:
    truth = length.copied_truth(_truth(), k)
    assert truth.schema == TRUTH_SCHEMA
    assert truth.num_rows == 3 * k
    assert set(truth["account_id"].to_pylist()) == {
        f"{a}-c{i}" for i in range(k) for a in ("a", "b", "x")
    }
    posts_accounts = set(length.copied_posts(_posts(), k, 3)["account_id"].to_pylist())
    assert posts_accounts == set(truth["account_id"].to_pylist())
    # a planted group per copy, organic stays organic
    groups = [g for g in truth["group_id"].to_pylist() if g is not None]
    assert sorted(set(groups)) == [f"1-c{i}" for i in range(k)]
    assert truth["group_id"].null_count == k
    assert truth["behaviour"].to_pylist() == ["url_ring", "url_ring", "organic"] * k


def test_by_copy_counts_flagged_organic_accounts_per_copy() -> None:
    truth = length.copied_truth(_truth(), 2)
    groups = pa.table(
        {
            "account_id": ["a-c0", "x-c0", "x-c1", "b-c1"],
            "group_id": ["1", "1", "2", None],
        }
    )
    assert length._by_copy(truth, groups, 2) == [1, 1]
    assert length._cross_copy(["a-c0", "a-c1"], ["b-c0", "x-c0"]) == 1


def _record(k: int, method: str, seed: int, organic: int, recall: float) -> dict[str, Any]:
    return {
        "world": "hard",
        "seed": seed,
        "copies": k,
        "method": method,
        "organic_per_copy": organic / k,
        "planted_recall": recall,
    }


def test_growth_and_verdict() -> None:
    records = [
        # detect: 0 per copy at k=1, (36 + 40) / 2 = 38 per copy at k=4 over two seeds
        _record(1, "detect", 0, 0, 0.9),
        _record(1, "detect", 1, 0, 0.9),
        _record(4, "detect", 0, 144, 0.9),
        _record(4, "detect", 1, 160, 0.9),
        # naive: exactly k times, flat
        _record(1, "naive", 0, 5, 0.8),
        _record(4, "naive", 0, 20, 0.7),
    ]
    g = length.growth(records, "hard", "detect")
    assert g is not None
    assert g["trend"] == "grows" and g["organic_per_copy_last"] == pytest.approx(38.0)
    assert g["ratio"] == float("inf")
    n = length.growth(records, "hard", "naive")
    assert n is not None and n["trend"] == "flat" and n["ratio"] == pytest.approx(1.0)
    assert "GROWS" in length.verdict(records, "hard", "detect")
    line = length.verdict(records, "hard", "naive")
    assert "does not grow" in line and "0.800 -> 0.700 (-0.100)" in line
    assert length.growth(records[:2], "hard", "detect") is None  # one k only


def test_quick_run_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "length.json"
    assert length.main(["--quick", "--worlds", "hard", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "world hard: 1 seeds (0)" in printed
    assert "verdict hard detect:" in printed and "verdict hard naive:" in printed
    data = json.loads(out.read_text())
    assert data["quick"] and data["copies"] == [1, 2] and data["seeds"] == [0]
    runs = data["runs"]
    assert [(r["copies"], r["method"]) for r in runs] == [
        (1, "detect"),
        (1, "naive"),
        (2, "detect"),
        (2, "naive"),
    ]
    by = {(r["copies"], r["method"]): r for r in runs}
    for method in ("detect", "naive"):
        one, two = by[(1, method)], by[(2, method)]
        assert two["posts"] == 2 * one["posts"] and two["accounts"] == 2 * one["accounts"]
        assert two["organic_accounts"] == 2 * one["organic_accounts"]
        assert two["cross_copy_edges"] == 0 and one["kept_edges"] > 0
        assert len(two["organic_by_copy"]) == 2
    # the naive baseline has no null model: two copies give exactly twice one
    naive1, naive2 = by[(1, "naive")], by[(2, "naive")]
    assert naive2["kept_edges"] == 2 * naive1["kept_edges"]
    assert naive2["organic_flagged"] == 2 * naive1["organic_flagged"]
    assert naive2["recall"] == naive1["recall"]
    assert data["verdicts"]["hard"]["naive"]["trend"] == "flat"
