"""The quality benchmark (benchmarks/quality.py): metrics with known answers, the naive baseline
against a brute-force count, reading results generically, and a tiny end-to-end run."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from inconcert.schema import ACTION_SCHEMA

from .helpers import load_benchmark

quality = load_benchmark("quality")

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def _truth(rows: list[tuple[str, str | None, str]]) -> pa.Table:
    account, group, behaviour = zip(*rows, strict=True)
    return pa.table(
        {
            "account_id": pa.array(account, pa.string()),
            "group_id": pa.array(group, pa.string()),
            "behaviour": pa.array(behaviour, pa.string()),
        }
    )


def _groups(rows: list[tuple[str, str | None]]) -> pa.Table:
    account, group = zip(*rows, strict=True)
    return pa.table(
        {"account_id": pa.array(account, pa.string()), "group_id": pa.array(group, pa.string())}
    )


def _actions(rows: list[tuple[str, str, str, float]]) -> pa.Table:
    """(account, kind, object, seconds after T0) -> an actions table."""
    return pa.Table.from_pylist(
        [
            {
                "account_id": account,
                "kind": kind,
                "object_id": obj,
                "timestamp": T0 + timedelta(seconds=second),
                "post_id": f"p{i}",
            }
            for i, (account, kind, obj, second) in enumerate(rows)
        ],
        schema=ACTION_SCHEMA,
    )


# ---------------------------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------------------------


def test_metrics_known_answers() -> None:
    # planted: g1 = {a, b, c} url_ring; g2 = {d, e} amplifier_ring + s its seed; organic x, y, z
    truth = _truth(
        [
            ("a", "g1", "url_ring"),
            ("b", "g1", "url_ring"),
            ("c", "g1", "url_ring"),
            ("d", "g2", "amplifier_ring"),
            ("e", "g2", "amplifier_ring"),
            ("s", "g2", "amplifier_seed"),
            ("x", None, "organic"),
            ("y", None, "viral_fan"),
            ("z", None, "organic"),
        ]
    )
    # found: {a, b, x}, {d, e}, {y}; z listed without a group
    found = _groups(
        [("a", "1"), ("b", "1"), ("x", "1"), ("d", "2"), ("e", "2"), ("y", "3"), ("z", None)]
    )
    m = quality.metrics(truth, found)
    assert m["organic_accounts"] == 3
    assert m["organic_flagged"] == 2  # x and y; z has no group
    assert m["organic_share"] == pytest.approx(2 / 3)
    # predicted pairs: ab, ax, bx, de = 4; correct: ab, de = 2
    assert m["predicted_pairs"] == 4 and m["correct_pairs"] == 2
    assert m["pair_precision"] == pytest.approx(0.5)
    # true pairs: 3 in g1 + 3 in g2 (d, e, s) = 6
    assert m["pair_recall"] == pytest.approx(2 / 6)
    assert m["recall"] == {
        "url_ring": pytest.approx(2 / 3),
        "amplifier_ring": 1.0,
        "amplifier_seed": 0.0,
    }
    assert list(m["recall"]) == ["url_ring", "amplifier_ring", "amplifier_seed"]  # truth order
    assert m["planted_accounts"] == 6 and m["planted_recall"] == pytest.approx(4 / 6)
    assert m["groups"] == 3 and m["largest_group"] == 3 and m["flagged_accounts"] == 6


def test_metrics_of_nothing_found() -> None:
    truth = _truth([("a", "g1", "copypasta"), ("b", "g1", "copypasta"), ("x", None, "organic")])
    m = quality.metrics(truth, _groups([("a", None)]))
    assert m["organic_flagged"] == 0 and m["largest_group"] == 0 and m["groups"] == 0
    assert m["pair_precision"] == 1.0  # no predicted pair is wrong
    assert m["recall"] == {"copypasta": 0.0}


def test_read_groups_reads_only_account_and_group(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        '"account_id","component_id","group_id","score"\n'
        '"007",1,2,0.5\n'
        '"a1",1,,0.1\n'
        '"b2",3, ,0.2\n'
        '"c3",1,2,0.3\n'
    )
    groups = quality.read_groups(path)
    assert groups.to_pylist() == [
        {"account_id": "007", "group_id": "2"},
        {"account_id": "c3", "group_id": "2"},
    ]
    assert quality.read_groups(tmp_path / "missing.csv").num_rows == 0


# ---------------------------------------------------------------------------------------------
# the naive baseline
# ---------------------------------------------------------------------------------------------


def test_naive_pairs_known_answer() -> None:
    rows = [
        # p and q: four distinct objects within 60 s (one of them twice, counted once)
        ("p", "url", "u1", 0),
        ("q", "url", "u1", 30),
        ("p", "hashtag", "h1", 100),
        ("q", "hashtag", "h1", 160),  # exactly the window
        ("p", "repost", "r1", 1000),
        ("q", "repost", "r1", 1001),
        ("p", "text", "t1", 2000),
        ("q", "text", "t1", 1959),  # q first
        ("p", "url", "u1", 5000),
        ("q", "url", "u1", 5010),  # u1 again: still one object
        # a fifth object, 61 s apart: too slow
        ("p", "url", "u2", 7000),
        ("q", "url", "u2", 7061),
        # the same object id under another kind is another object
        ("p", "hashtag", "u1", 8000),
        ("q", "text", "u1", 8000),
        # r meets p on three objects only
        ("r", "url", "u1", 10),
        ("r", "hashtag", "h1", 110),
        ("r", "repost", "r1", 1005),
    ]
    pairs = quality.naive_pairs(_actions(rows), 60, 4)
    assert pairs.to_pylist() == [{"x": "p", "y": "q", "objects": 4}]
    lower = quality.naive_pairs(_actions(rows), 60, 3).to_pylist()
    assert {(r["x"], r["y"]): r["objects"] for r in lower} == {
        ("p", "q"): 4,
        ("p", "r"): 3,
        ("q", "r"): 3,
    }
    assert quality.naive_pairs(_actions(rows), 61, 4).to_pylist() == [
        {"x": "p", "y": "q", "objects": 5}
    ]


def _brute_force(rows: list[tuple[str, str, str, float]], window: float, k: int) -> dict:
    objects: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for (a, ka, oa, ta), (b, kb, ob, tb) in itertools.combinations(rows, 2):
        if a != b and (ka, oa) == (kb, ob) and abs(ta - tb) <= window:
            objects[(min(a, b), max(a, b))].add((ka, oa))
    return {pair: len(objs) for pair, objs in objects.items() if len(objs) >= k}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_naive_pairs_agree_with_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 600
    rows = [
        (f"a{int(a)}", ["url", "repost"][int(k)], f"o{int(o)}", float(t))
        for a, k, o, t in zip(
            rng.integers(0, 25, n),
            rng.integers(0, 2, n),
            rng.integers(0, 12, n),
            rng.integers(0, 3000, n),
            strict=True,
        )
    ]
    for window, k in ((60, 2), (45, 3), (1, 1)):
        got = quality.naive_pairs(_actions(rows), window, k).to_pylist()
        assert {(r["x"], r["y"]): r["objects"] for r in got} == _brute_force(rows, window, k)


def test_components_are_groups() -> None:
    pairs = pa.table({"x": ["a", "b", "x", "c"], "y": ["b", "c", "y", "d"], "objects": [4] * 4})
    groups = quality.components(pairs).to_pylist()
    assert groups == [
        {"account_id": "a", "group_id": "1"},
        {"account_id": "b", "group_id": "1"},
        {"account_id": "c", "group_id": "1"},
        {"account_id": "d", "group_id": "1"},
        {"account_id": "x", "group_id": "2"},
        {"account_id": "y", "group_id": "2"},
    ]
    assert quality.components(pairs.slice(0, 0)).num_rows == 0


# ---------------------------------------------------------------------------------------------
# end to end on a tiny world
# ---------------------------------------------------------------------------------------------


def test_run_one_on_a_tiny_world(tmp_path: Path) -> None:
    tiny = {
        "n_organic": 300,
        "days": 4,
        "n_groups": 7,
        "viral_moments": 6,
        "breaking_links": 3,
        "viral_giants": 0,
        "celebrities": 2,
    }
    records = quality.run_one("hard", 1, workdir=tmp_path, **tiny)
    assert [r["method"] for r in records] == ["detect", "naive"]
    for r in records:
        assert r["world"] == "hard" and r["seed"] == 1 and r["posts"] > 1000
        assert r["organic_accounts"] == 300
        assert 0.0 <= r["pair_precision"] <= 1.0 and r["seconds"] > 0
        assert set(r["recall"]) == {
            "url_ring",
            "repost_ring",
            "hashtag_push",
            "copypasta",
            "mixed",
            "amplifier_ring",
            "slow_copypasta",
            "amplifier_seed",
        }
        assert all(0.0 <= v <= 1.0 for v in r["recall"].values())
    assert list(tmp_path.iterdir()) == []  # the temporary folder is gone
    table = quality.summarise(records, "hard")
    lines = table.splitlines()
    assert lines[0].startswith("world hard: 1 seeds (1)")
    assert "organic flagged" in lines[1] and "ampl" in lines[1] and "seconds" in lines[1]
    assert lines[2].lstrip().startswith("detect") and lines[3].lstrip().startswith("naive")


def test_main_writes_the_raw_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "q.json"
    assert (
        quality.main(["--quick", "--worlds", "default", "--window", "60", "--json", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert "world default" in printed and "naive" in printed
    data = json.loads(out.read_text())
    assert data["quick"] and data["window"] == 60 and data["window_given"]
    assert data["seeds"] == [0] and len(data["runs"]) == 2
    assert data["configs"]["default"]["n_organic"] == 3000
    assert {r["method"] for r in data["runs"]} == {"detect", "naive"}


@pytest.mark.parametrize("crowds", [3.0, 0.5])
@pytest.mark.parametrize("quick", [False, True])
@pytest.mark.parametrize(("world", "scale"), [("viral", 2.0), ("hard", 2.2), ("fans", 1.0)])
def test_crowds_multiply_the_popularity_events_only(
    world: str, scale: float, quick: bool, crowds: float
) -> None:
    """``--crowds`` (quality.py and scale.py's growing world) multiplies the viral moments,
    breaking links and trending tags, after the size; nothing else changes."""
    plain = quality.world_config(world, 2, quick=quick, scale=scale)
    crowded = quality.world_config(world, 2, quick=quick, scale=scale, crowds=crowds)
    if world != "fans":  # the crowded worlds have every such event
        assert all(getattr(plain, name) > 0 for name in quality.CROWD_EVENTS)
    for field in dataclasses.fields(plain):
        expected = getattr(plain, field.name)
        if field.name in quality.CROWD_EVENTS:
            expected = round(expected * crowds)  # zero stays zero (fans has no crowds)
        assert getattr(crowded, field.name) == expected, field.name
    # an explicit field still wins
    assert quality.world_config(world, 2, crowds=3.0, viral_moments=7).viral_moments == 7


def test_world_at_scale_one_is_its_preset() -> None:
    from inconcert.simulate import SimulationConfig

    assert quality.world_config("hard", 4) == SimulationConfig.preset("hard", seed=4)
    assert quality.world_config("hard", 4, crowds=3.0).viral_moments == 3 * 300
