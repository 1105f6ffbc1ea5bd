"""--window auto: the estimate recovers a planted window."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from inconcert.detect import detect_actions
from inconcert.errors import ParameterError
from inconcert.options import DetectOptions
from inconcert.window import WindowEstimate, plot_window_estimate, window_svg

from .helpers import actions


def _planted(window: float, seed: int = 0) -> list:
    """Groups acting within `window` seconds of each other, among independent accounts whose
    actions on the same objects are spread over hours."""
    rng = random.Random(seed)
    rows = []
    n = 0
    for obj in range(400):
        # 6 independent accounts act on every object across six hours
        for _ in range(6):
            n += 1
            rows.append(
                (
                    f"o{rng.randrange(500)}",
                    "url",
                    f"u{obj}",
                    obj * 1e5 + rng.uniform(0, 6 * 3600),
                    f"p{n}",
                )
            )
    for g in range(20):
        members = [f"g{g}m{i}" for i in range(5)]
        for occasion in range(6):
            t0 = 5e7 + (g * 10 + occasion) * 1e5
            for m in members:
                n += 1
                rows.append((m, "url", f"c{g}-{occasion}", t0 + rng.uniform(0, window), f"p{n}"))
    return rows


@pytest.mark.parametrize("planted", [8.0, 20.0, 45.0])
def test_auto_window_recovers_a_planted_window(planted: float) -> None:
    result = detect_actions(
        actions(_planted(planted)), options=DetectOptions(kinds=("url",), window="auto")
    )
    estimate = result.window_estimate
    assert estimate is not None and not estimate.fallback
    assert 0.5 * planted <= estimate.window <= 1.5 * planted
    assert result.options.window == estimate.window
    assert result.summary["window_estimate"]["window"] == estimate.window
    planted_accounts = {r["account_id"] for r in result.accounts.to_pylist()}
    assert {f"g{g}m{i}" for g in range(20) for i in range(5)} <= planted_accounts


def test_no_fast_coactions_falls_back_and_warns() -> None:
    rng = random.Random(3)
    rows = [
        (f"a{rng.randrange(50)}", "url", f"u{i % 40}", rng.uniform(0, 30 * 86_400), f"p{i}")
        for i in range(2000)
    ]
    result = detect_actions(actions(rows), options=DetectOptions(kinds=("url",), window="auto"))
    assert result.window_estimate is not None and result.window_estimate.fallback
    assert result.options.window == 60.0
    assert any("falls back" in w for w in result.warnings)


def test_auto_window_writes_its_plot(tmp_path: Path) -> None:
    from inconcert.outputs import write_result

    result = detect_actions(
        actions(_planted(20.0)), options=DetectOptions(kinds=("url",), window="auto")
    )
    paths = write_result(result, tmp_path)
    svg = (tmp_path / "window_estimate.svg").read_text()
    assert "window_estimate.svg" in paths and "<svg" in svg and "estimated window" in svg


def _estimate(counts: list[int], fallback: bool = False) -> WindowEstimate:
    return WindowEstimate(
        window=60.0 if fallback else 4.0,
        max_window=float(len(counts) - 1),
        share=0.95,
        pairs=sum(counts),
        baseline_per_second=3.0,
        excess_pairs=0.0 if fallback else 2400.0,
        fallback=fallback,
        counts=counts,
    )


def test_window_svg_needs_no_matplotlib_and_is_reproducible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    counts = [500, 480, 470, *([3] * 598)]
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    plot_window_estimate(_estimate(counts), str(a))
    plot_window_estimate(_estimate(counts), str(b))
    assert a.read_bytes() == b.read_bytes()
    svg = a.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "estimated window: 4 s" in svg and "baseline" in svg
    empty = window_svg(_estimate([0] * 86_401, fallback=True))
    assert "(fallback: no excess)" in empty and len(empty) < 10_000
    with pytest.raises(ParameterError, match=r"inconcert\[png\]"):
        plot_window_estimate(_estimate(counts), str(tmp_path / "c.png"))


def test_auto_is_rejected_with_compat() -> None:
    with pytest.raises(ParameterError, match="'window'"):
        DetectOptions(window="auto", compat="coortweet")
    with pytest.raises(ParameterError, match="'window'"):
        DetectOptions(window="soon")  # type: ignore[arg-type]
