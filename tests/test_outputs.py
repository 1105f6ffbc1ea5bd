"""Writers: atomic output folder, formats readable by other tools, huge objects bounded."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import igraph as ig
import pyarrow.parquet as pq
import pytest

from inconcert.detect import DetectResult, detect_actions
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


def test_staging_folders_an_interrupted_run_left_are_removed(tmp_path: Path) -> None:
    """The next run removes its own leftovers, inside the folder and beside it, matched by
    name as text (a folder name with glob characters too), and nothing else."""
    out = tmp_path / "res[1]*?"
    out.mkdir()
    leftovers = [out / ".inconcert-tmp-abc", tmp_path / ".res[1]*?.inconcert-tmp-xyz"]
    kept = [tmp_path / ".res[2].inconcert-tmp-xyz", tmp_path / ".res[1]x", out / "notes"]
    for folder in leftovers + kept:
        folder.mkdir()
        (folder / "edges.csv").write_text("half\n")
    write_result(_result(), out)
    assert [p.exists() for p in leftovers] == [False, False]
    assert all(p.exists() for p in kept)
    assert (out / "edges.csv").read_text() != "half\n"


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


# -- issue 11, item 7: graph files typed, labelled and timed -----------------------------------

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
GEXF = "{http://gexf.net/1.3}"


def _two_groups() -> DetectResult:
    """Two groups of three, one with co-actions at fractional seconds, over two weeks."""
    rows = []
    for day in range(3):
        for j, m in enumerate(["a", "b", "c"]):
            rows.append((m, "url", f"https://x.org/{day}", day * 86_400 + j, f"{m}{day}"))
        for j, m in enumerate(["d", "e", "f"]):
            t = 7 * 86_400 + day * 86_400 + j * 0.5
            rows.append((m, "hashtag", f"tag{day}", t, f"{m}{day}"))
    return detect_actions(
        actions(rows),
        options=DetectOptions(kinds=("url", "hashtag"), min_occasions=1, max_q=None),
    )


def test_graphml_types_integers_and_labels_nodes(tmp_path: Path) -> None:
    result = _two_groups()
    write_result(result, tmp_path)
    root = ET.parse(tmp_path / "network.graphml").getroot()
    keys = {(k.get("for"), k.get("attr.name")): k for k in root.iter(f"{GRAPHML}key")}
    types = {name: k.get("attr.type") for (_, name), k in keys.items()}
    for name in ("group_id", "component_id", "degree", "posts", "coordinated_posts"):
        assert keys[("node", name)].get("attr.type") == "long", name
    for name in ("events", "coactions", "objects", "url_coactions", "days", "occasions"):
        assert keys[("edge", name)].get("attr.type") == "long", name
    assert types["mean_dt_s"] == types["p_value"] == "double"
    assert keys[("edge", "first_time")].get("attr.type") == "string"
    assert keys[("node", "label")].get("attr.type") == "string"
    # every node has its label (the account id) and integers written as integers
    nodes = list(root.iter(f"{GRAPHML}node"))
    values = [{d.get("key"): d.text or "" for d in n.iter(f"{GRAPHML}data")} for n in nodes]
    assert sorted(v["v_label"] for v in values) == list("abcdef")
    assert all(v["v_label"] == v["v_name"] for v in values)
    assert all(v["v_degree"] == "2" and v["v_group_id"].isdigit() for v in values)
    edge = [
        {d.get("key"): d.text for d in e.iter(f"{GRAPHML}data")}
        for e in root.iter(f"{GRAPHML}edge")
    ]
    assert {e["e_coactions"] for e in edge} == {"3"}
    # a column with a fraction of a second anywhere has microseconds everywhere (as in CSV)
    assert {e["e_first_time"] for e in edge} >= {"2024-03-01T12:00:00.000000Z"}
    # and other tools read them back: igraph keeps the values, names and labels
    g = ig.Graph.Read_GraphML(str(tmp_path / "network.graphml"))
    assert sorted(g.vs["label"]) == list("abcdef") and g.vs["label"] == g.vs["name"]
    assert set(g.es["coactions"]) == {3} and set(g.vs["degree"]) == {2}
    first = dict(zip(g.es["first_time"], g.es["last_time"], strict=True))
    assert first["2024-03-01T12:00:00.000000Z"] == "2024-03-03T12:00:02.000000Z"


def test_gexf_keeps_first_and_last_times(tmp_path: Path) -> None:
    result = _two_groups()
    write_result(result, tmp_path)
    root = ET.parse(tmp_path / "network.gexf").getroot()
    graph = root.find(f"{GEXF}graph")
    assert graph is not None
    assert graph.get("mode") == "dynamic" and graph.get("timeformat") == "dateTime"
    assert graph.get("timezone") == "UTC"
    attrs = {
        (a.get("title"), a.get("type"))
        for cls in graph.iter(f"{GEXF}attributes")
        for a in cls.iter(f"{GEXF}attribute")
    }
    assert {("degree", "long"), ("coactions", "long"), ("mean_dt_s", "double")} <= attrs
    spans = {
        frozenset((e.get("source"), e.get("target"))): (e.get("start"), e.get("end"))
        for e in graph.iter(f"{GEXF}edge")
    }
    edges = result.edges.to_pylist()
    assert len(spans) == len(edges) == 6
    for e in edges:
        start, end = spans[frozenset((e["account_a"], e["account_b"]))]
        assert start == e["first_time"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert end == e["last_time"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # an account spans its edges
    nodes = {
        n.get("id"): (n.get("label"), n.get("start"), n.get("end"))
        for n in graph.iter(f"{GEXF}node")
    }
    assert nodes["a"] == ("a", "2024-03-01T12:00:00.000000Z", "2024-03-03T12:00:02.000000Z")
    assert nodes["f"][1:] == ("2024-03-08T12:00:00.000000Z", "2024-03-10T12:00:01.000000Z")


def test_graph_files_are_deterministic_and_static_without_times(tmp_path: Path) -> None:
    result = _result()
    write_result(result, tmp_path / "one")
    write_result(result, tmp_path / "two")
    for name in ("network.graphml", "network.gexf"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    import dataclasses

    compat = dataclasses.replace(
        result, edges=result.edges.drop_columns(["first_time", "last_time"])
    )
    write_result(compat, tmp_path / "three")
    graph = ET.parse(tmp_path / "three" / "network.gexf").getroot().find(f"{GEXF}graph")
    assert graph is not None and graph.get("mode") == "static"
    assert all(e.get("start") is None for e in graph.iter(f"{GEXF}edge"))


def test_graph_values_that_need_escaping(tmp_path: Path) -> None:
    ids = ['q"uote', "amp&<tag>", "tab\there", "line\nbreak", "cr\rhere"]
    rows = [
        (m, "url", f"https://x.org/{day}", day * 86_400 + j, f"{j}-{day}")
        for day in range(3)
        for j, m in enumerate(ids)
    ]
    result = detect_actions(
        actions(rows), options=DetectOptions(kinds=("url",), min_occasions=1, max_q=None)
    )
    write_result(result, tmp_path)
    g = ig.Graph.Read_GraphML(str(tmp_path / "network.graphml"))
    assert sorted(g.vs["label"]) == sorted(ids)
    root = ET.parse(tmp_path / "network.gexf").getroot()
    assert sorted(n.get("label") or "" for n in root.iter(f"{GEXF}node")) == sorted(ids)
    assert {e.get("source") for e in root.iter(f"{GEXF}edge")} <= set(ids)
