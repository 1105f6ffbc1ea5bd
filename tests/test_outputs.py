"""Writers: atomic output folder, formats readable by other tools, huge objects bounded."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import igraph as ig
import pyarrow.parquet as pq
import pytest

from inconcert.detect import detect_actions
from inconcert.options import DetectOptions
from inconcert.outputs import OUTPUT_FILES, write_result

from .helpers import actions


def _result():  # type: ignore[no-untyped-def]
    rows = []
    for day in range(3):
        for j, m in enumerate(["a", "b", "c"]):
            rows.append((m, "url", f"https://x.org/{day}", day * 86_400 + j, f"{m}{day}"))
    return detect_actions(
        actions(rows), options=DetectOptions(kinds=("url",), min_occasions=1, max_q=None)
    )


def test_graph_files_load_in_other_tools(tmp_path: Path) -> None:
    write_result(_result(), tmp_path)
    g = ig.Graph.Read_GraphML(str(tmp_path / "network.graphml"))
    assert g.vcount() == 3 and g.ecount() == 3
    assert sorted(g.vs["name"]) == ["a", "b", "c"]
    root = ET.parse(tmp_path / "network.gexf").getroot()
    ns = {"g": "http://gexf.net/1.3"}
    assert len(root.findall(".//g:node", ns)) == 3
    assert len(root.findall(".//g:edge", ns)) == 3
    assert pq.read_table(tmp_path / "evidence.parquet").num_rows == 9


def test_interrupted_write_leaves_no_half_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _result()
    write_result(result, tmp_path)
    before = {n: (tmp_path / n).read_bytes() for n in OUTPUT_FILES if n != "manifest.json"}

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("inconcert.outputs._write_graphml", boom)
    with pytest.raises(KeyboardInterrupt):
        write_result(result, tmp_path, overwrite=True)
    assert not list(tmp_path.glob(".inconcert-tmp-*"))
    for name, data in before.items():
        assert (tmp_path / name).read_bytes() == data  # the earlier complete result is intact


def test_one_hugely_popular_object_stays_bounded() -> None:
    # 100,000 actions on one object within one window: 5·10^9 pairs if paired naively.
    n = 100_000
    rows = [(f"acc{i}", "url", "viral", i * 0.0005, f"p{i}") for i in range(n)]
    rows += [("a", "url", "calm", 1000, "a1"), ("b", "url", "calm", 1001, "b1")]
    result = detect_actions(
        actions(rows),
        options=DetectOptions(
            kinds=("url",), min_participation=1, min_weight=1, min_occasions=1, max_q=None
        ),
    )
    assert result.summary["actions_in_bursts"] == n
    assert result.evidence.num_rows == 1
    assert result.warnings and "viral" in result.warnings[0]
