"""The CNT benchmark's report (benchmarks/cnt.py): its ratios are taken repeat by repeat,
against CNT's compute on its prepared database and from its CSV (the one-time load added)."""

from __future__ import annotations

from typing import Any

from .helpers import load_benchmark

cnt = load_benchmark("cnt")


def _run(seconds: float, wall: float | None = None, **more: Any) -> dict[str, Any]:
    wall_s = seconds if wall is None else wall
    return {"compute_s": seconds, "wall_s": wall_s, "peak_rss_mb": 100.0, **more}


def _result() -> dict[str, Any]:
    stages = {"read": 1.0, "actions": 0.5, "edges": 0.4, "significance": 0.1}
    return {
        "args": {"window": 60, "repeat": 3},
        "inconcert_version": "0",
        "posts": 1000,
        "accounts": 10,
        "span_days": 7.0,
        "machine": "test",
        "generate_s": 1.0,
        "cnt_load": {"load_s": 20.0, "peak_rss_mb": 50.0, "db_mb": 5.0, "empty_urls_deleted": 0},
        "kinds": {
            "url": {
                "cnt_cold": [_run(s, s + 1.0, pairs=7) for s in (2.0, 9.0, 4.0)],
                "cnt_warm": [],
                "inconcert": [_run(s, stages=stages, edges=3) for s in (1.0, 2.0, 3.0)],
            }
        },
    }


def test_ratios_are_taken_repeat_by_repeat() -> None:
    row = next(line for line in cnt.report(_result()).splitlines() if line.startswith("| url"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # cold: 2/1, 9/2, 4/3 -> median 2, range 1.33-4.5; from the CSV: 22/1, 29/2, 24/3 -> median
    # 14.5 (the ratio of the medians would be 24/2 = 12)
    assert cells[5] == "**2.00× (1.33–4.50)**"
    # whole processes: CNT's process from outside, 3/1, 10/2, 5/3 -> median 3
    assert cells[6] == "3.00× (1.67–5.00)"
    assert cells[7] == "—"
    assert cells[8] == "14.5×"
    # the stages: read / actions / load / co-actions / edges without significance /
    # significance ...
    assert cells[9].startswith("1.0 / 0.5 / 0.0 / 0.0 / 0.3 / 0.1 / 0.0 / 0.0 / ")


def test_the_prepared_store_runs_have_their_own_table() -> None:
    """inconcert from its prepared store against CNT on its prepared database: a table of its
    own, ratios repeat by repeat; an older result without store runs has no such table."""
    assert "Prepared against prepared" not in cnt.report(_result())
    res = _result()
    stages = {"read": 0.1, "load": 0.1, "edges": 0.2}
    res["kinds"]["url"]["inconcert_store"] = [
        _run(s, stages=stages, edges=3) for s in (0.5, 1.0, 2.0)
    ]
    res["ic_prepare"] = {"url": {"prepare_s": 3.0, "peak_rss_mb": 10.0}}
    text = cnt.report(res)
    assert "Prepared against prepared" in text
    row = [line for line in text.splitlines() if line.startswith("| url")][1]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:3] == ["20.0", "3.0"]  # the two one-time loads
    # 2/0.5, 9/1, 4/2 -> median 4, range 2-9
    assert cells[5] == "**4.00× (2.00–9.00)**"
    assert cells[6] == "6.00× (2.50–10.00)"  # whole processes: 3/0.5, 10/1, 5/2
    assert cells[7] == "—"
