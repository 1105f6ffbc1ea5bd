"""The static figures: SVG written directly (well-formed, expected elements, same bytes for the
same input), PNG only on request, and no Matplotlib on the default path."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inconcert.cli import app
from inconcert.report import build_html, read_result, write_figures
from inconcert.report.figures import _ticks, network_svg, parse_formats, timeline_svg

from .report_fixtures import synthetic_result

SVG = "{http://www.w3.org/2000/svg}"
runner = CliRunner()


def _posts(path: Path) -> Path:
    """Three accounts sharing the same links a few seconds apart, on three days."""
    lines = ["post_id,account_id,timestamp,urls"]
    for d in range(3):
        for j, acc in enumerate(["a", "b", "c"]):
            lines.append(f"p{d}{j},{acc},2024-01-0{d + 1}T10:00:0{j}Z,https://x.org/{d}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _of_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if e.get("class") == cls]


def test_svg_figures_are_well_formed_with_the_expected_elements(tmp_path: Path) -> None:
    folder = synthetic_result(tmp_path / "r", 12, size=3)
    paths = write_figures(folder, tmp_path / "a")
    assert sorted(p.name for p in paths) == ["network.svg", "timeline.svg"]

    net = ET.parse(tmp_path / "a" / "network.svg").getroot()
    assert net.tag == f"{SVG}svg" and net.get("viewBox") == "0 0 1000 750"
    assert "36 accounts in 12 groups" in (net.findtext(f"{SVG}title") or "")
    nodes = [c for g in _of_class(net, "g", "nodes") for c in g.iter(f"{SVG}circle")]
    assert len(nodes) == 36  # every drawn account, once
    assert len(_of_class(net, "g", "nodes")) == 12  # one group element per group
    segments = sum(p.get("d", "").count("M") for p in _of_class(net, "path", "edges"))
    assert segments == 36  # 12 triangles
    assert len(_of_class(net, "g", "legend")) == 8
    texts = [t.text or "" for t in net.iter(f"{SVG}text")]
    assert "group 1 (3)" in texts and any("not proof" in t for t in texts)

    tl = ET.parse(tmp_path / "a" / "timeline.svg").getroot()
    assert tl.tag == f"{SVG}svg"
    assert len(_of_class(tl, "path", "bars")) == 10  # the top ten groups, one lane each
    texts = [t.text or "" for t in tl.iter(f"{SVG}text")]
    assert any(t.startswith("Coordinated posts per") for t in texts)
    assert "group 10" in texts and "3 accounts" in texts

    # the same input gives the same bytes
    write_figures(folder, tmp_path / "b")
    for name in ("network.svg", "timeline.svg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_hostile_labels_are_escaped(tmp_path: Path) -> None:
    _, data = build_html(read_result(synthetic_result(tmp_path / "r", 3, size=3)))
    hostile = '<svg onload="x()">&\x00\ud800'
    data["groups"]["data"]["group_id"][0] = hostile
    for svg in (network_svg(data), timeline_svg(data)):
        root = ET.fromstring(svg)
        assert not [e for e in root.iter() if e.tag in (f"{SVG}script", "svg", "script")]
        assert any("<svg onload" in (t.text or "") for t in root.iter(f"{SVG}text"))
        svg.encode("utf-8")  # no lone surrogate left


def test_zero_groups_draw_a_message(tmp_path: Path) -> None:
    _, data = build_html(read_result(synthetic_result(tmp_path / "r", 1, size=2)))
    data["nodes"] = {"account": [], "x": [], "y": []}
    data["lanes"] = {}
    for svg in (network_svg(data), timeline_svg(data)):
        root = ET.fromstring(svg)
        assert [t.text for t in root.iter(f"{SVG}text")] == [
            "No coordinated groups were found with these parameters."
        ]


@pytest.mark.parametrize(
    "span_s",
    [600, 5 * 3600, 2 * 86_400, 20 * 86_400, 90 * 86_400, 400 * 86_400, 20 * 365 * 86_400],
)
def test_time_ticks_are_few_round_and_inside(span_s: int) -> None:
    start = 1_709_294_417  # 2024-03-01T12:00:17Z
    ticks = _ticks(start, start + span_s)
    assert 2 <= len(ticks) <= 9, ticks
    times = [t for t, _ in ticks]
    assert times == sorted(times) and start <= times[0] and times[-1] <= start + span_s
    assert all(datetime.fromtimestamp(t, UTC).second == 0 for t in times)
    assert all(label for _, label in ticks)


def test_parse_formats() -> None:
    assert parse_formats("svg") == ("svg",)
    assert parse_formats("png, SVG") == ("svg", "png")
    assert parse_formats(("png",)) == ("png",)
    assert parse_formats("none") == parse_formats(False) == ()
    assert parse_formats(True) == ("svg",)
    with pytest.raises(ValueError, match="'figures' parameter"):
        parse_formats("gif")


def test_png_only_on_request_and_stale_figures_removed(tmp_path: Path) -> None:
    src = _posts(tmp_path / "posts.csv")
    out = tmp_path / "res"
    args = ["detect", str(src), "--out", str(out), "--quiet", "--overwrite"]
    result = runner.invoke(app, [*args, "--figures", "svg,png"])
    assert result.exit_code == 0, result.output
    assert (out / "network.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a new run with the default writes SVG only and drops the PNGs of the previous run
    assert runner.invoke(app, args).exit_code == 0
    assert sorted(p.name for p in out.glob("*line.*")) == ["timeline.svg"]
    assert not list(out.glob("*.png"))
    # `report --figures png` adds PNGs and keeps the SVGs
    result = runner.invoke(app, ["report", str(out), "--figures", "png"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.glob("network.*g")} == {"network.svg", "network.png"}
    result = runner.invoke(app, ["report", str(out), "--figures", "gif"])
    assert result.exit_code == 2 and "'figures' parameter" in result.output


def test_default_path_never_imports_matplotlib(tmp_path: Path) -> None:
    """``detect`` and ``report`` with default options, in a fresh interpreter where importing
    Matplotlib fails: they must succeed and write the SVG figures.

    (python-igraph imports Matplotlib at its own import when it is installed, for its plotting
    functions, which inconcert does not use; blocking it also shows that igraph copes.)
    """
    src = _posts(tmp_path / "posts.csv")
    out = tmp_path / "res"
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["matplotlib"] = None  # any import of it now raises ImportError
        from typer.testing import CliRunner
        from inconcert.cli import app
        runner = CliRunner()
        for args in (["detect", {str(src)!r}, "--out", {str(out)!r}, "--quiet"],
                     ["report", {str(out)!r}]):
            result = runner.invoke(app, args)
            assert result.exit_code == 0, (result.output, result.exception)
        assert sys.modules["matplotlib"] is None
        assert not [m for m in sys.modules if m.startswith("matplotlib.")]
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert {p.name for p in out.glob("*.svg")} == {"network.svg", "timeline.svg"}
    assert not list(out.glob("*.png"))
