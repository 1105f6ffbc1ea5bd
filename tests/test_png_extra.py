"""Matplotlib is the optional ``png`` extra: without it every default output is still written
(SVG figures, ``window_estimate.svg``) and asking for PNG fails at once, naming the extra."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inconcert.cli import app

runner = CliRunner()


def _actions_csv(path: Path) -> Path:
    rows = ["account_id,object_id,timestamp,post_id"]
    for i in range(12):
        for j, account in enumerate(("a", "b", "c")):
            rows.append(f"{account},u{i},{1_700_000_000 + 7_200 * i + j},{account}{i}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed


@pytest.mark.usefixtures("no_matplotlib")
def test_default_outputs_without_matplotlib(tmp_path: Path) -> None:
    src = _actions_csv(tmp_path / "actions.csv")
    out = tmp_path / "res"
    args = ["detect", str(src), "--out", str(out), "--quiet", "--max-q", "1", "--window", "auto"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in ("network.svg", "timeline.svg", "window_estimate.svg", "report.html"):
        assert (out / name).stat().st_size > 0, name


@pytest.mark.usefixtures("no_matplotlib")
def test_png_without_matplotlib_fails_before_reading(tmp_path: Path) -> None:
    out = tmp_path / "res"
    missing = tmp_path / "not-there.csv"  # never read: the figures are checked first
    for command in (
        ["detect", str(missing), "--out", str(out), "--figures", "svg,png"],
        ["report", str(out), "--figures", "png"],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "inconcert[png]" in result.output
    assert not out.exists()
