"""The evidence report without a browser: escaping, formula neutralisation, hostile strings,
optional columns, 0 / 1 / 50,000 groups, figures, and the CLI."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from inconcert.cli import app
from inconcert.detect import detect_actions
from inconcert.errors import InputError
from inconcert.options import DetectOptions
from inconcert.outputs import write_csv, write_result
from inconcert.report import (
    Limits,
    build_html,
    read_result,
    script_json,
    write_figures,
    write_report,
)
from inconcert.safety import neutralise_formulas, restore_formula

from .helpers import actions
from .report_fixtures import synthetic_result

runner = CliRunner()

HOSTILE = [
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=1">',
    "</script><script>window.__xss=1</script>",
    "<svg onload=window.__xss=1>",
    "javascript:window.__xss=1",
    "<!-- <script>",
    "a\u2028b\u2029c",
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(1+1)",
    "+1",
    "-1",
    "\u202eevil",
    "&amp;&lt;",
]


# -- helpers --------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self._buf = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script is not None:
            self.scripts.append((self._in_script, "".join(self._buf)))
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._buf.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _embedded(html: str) -> dict:  # type: ignore[type-arg]
    scripts = [s for a, s in _parse(html).scripts if a.get("type") == "application/json"]
    assert len(scripts) == 1
    return json.loads(scripts[0])


ACCOUNTS = [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3], "+1", "-1", HOSTILE[7], "@SUM(1+1)"]


def _hostile_result(tmp_path: Path, *, raw_csv: bool = False) -> Path:
    """A real detection run whose accounts, objects and post ids are hostile strings."""
    rows = []
    for day in range(3):
        for j, acc in enumerate(ACCOUNTS):
            post = f"{acc}#{day}"
            t = day * 86_400 + j
            rows.append(
                (acc, "url", 'https://example.com/"><script>window.__xss=1</script>', t, post)
            )
            rows.append((acc, "hashtag", "<img src=x onerror=alert(1)>", t, post))
            rows.append((acc, "hashtag", "line\u2028sep\u2029</script>", t, post))
    result = detect_actions(
        actions(rows), options=DetectOptions(kinds=("url", "hashtag"), min_occasions=1, max_q=None)
    )
    out = tmp_path / "hostile"
    write_result(result, out, raw_csv=raw_csv)
    return out


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


# -- JSON for a script element --------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_script_json_escapes_and_round_trips(value: str) -> None:
    obj = {"v": value, "list": [value, 1, None], value: 2.5}
    text = script_json(obj)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
    assert "</script" not in text.lower() and "<!--" not in text
    assert json.loads(text) == obj


def test_script_json_refuses_nan_and_survives_lone_surrogates() -> None:
    with pytest.raises(ValueError):
        script_json({"x": float("nan")})
    text = script_json({"x": "a\ud800b"})
    text.encode("utf-8")
    assert json.loads(text) == {"x": "a\ud800b"}


# -- spreadsheet formulas ---------------------------------------------------------------------


def test_neutralise_formulas() -> None:
    table = pa.table(
        {
            "s": ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok", "a=b", "", None, "'=x"],
            "n": [-1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
            "d": pa.array(["=x"] * 11).dictionary_encode(),
        }
    )
    out = neutralise_formulas(table)
    assert out.column("s").to_pylist() == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "ok",
        "a=b",
        "",
        None,
        "'=x",
    ]
    assert out.column("n").to_pylist() == table.column("n").to_pylist()
    assert out.column("d").to_pylist() == ["'=x"] * 11
    clean = pa.table({"s": ["a", "b"], "n": [1, 2]})
    assert neutralise_formulas(clean) is clean
    for v in ["=1", "+", "-2", "@", "\t", "\r", "ok", "'hello"]:
        neutral = neutralise_formulas(pa.table({"s": [v]})).column("s")[0].as_py()
        assert restore_formula(neutral) == v


def test_csv_outputs_neutralise_unless_raw(tmp_path: Path) -> None:
    table = pa.table({"account_id": ["=cmd|' /C calc'!A0", "plain"], "n": [-1, 1]})
    write_csv(table, tmp_path / "safe.csv")
    write_csv(table, tmp_path / "raw.csv", raw=True)
    with open(tmp_path / "safe.csv", newline="") as fh:
        safe = list(csv.DictReader(fh))
    with open(tmp_path / "raw.csv", newline="") as fh:
        raw = list(csv.DictReader(fh))
    assert safe[0]["account_id"] == "'=cmd|' /C calc'!A0" and safe[0]["n"] == "-1"
    assert raw[0]["account_id"] == "=cmd|' /C calc'!A0"


def test_write_result_neutralises_and_report_restores(tmp_path: Path) -> None:
    out = _hostile_result(tmp_path)
    with open(out / "edges.csv", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert "'+1" in cells and "'-1" in cells and "+1" not in cells
    assert not [c for c in cells if c[:1] and c[0] in "=+-@\t\r" and not _is_number(c)]
    raw = _hostile_result(tmp_path / "raw", raw_csv=True)
    with open(raw / "edges.csv", newline="") as fh:
        assert "+1" in {c for row in csv.reader(fh) for c in row}
    for folder in (out, raw):
        res = read_result(folder)
        assert res.csv_neutralised is (folder == out)
        ids = set(res.accounts.column("account_id").to_pylist())
        assert "+1" in ids and "-1" in ids and "'+1" not in ids
        _, data = build_html(res)
        assert sum(data["edges"]["ev_shown"]) == res.evidence.num_rows  # every edge joined


# -- hostile strings in the page --------------------------------------------------------------


def test_hostile_strings_never_appear_as_markup(tmp_path: Path) -> None:
    out = _hostile_result(tmp_path)
    html = write_report(out, figures=False).read_text(encoding="utf-8")
    page = _parse(html)
    # Only the page's own three script elements, none with a src; no inline event handlers.
    assert len(page.scripts) == 3
    assert [a.get("type") for a, _ in page.scripts] == ["application/json", None, None]
    assert all("src" not in a for a, _ in page.scripts)
    for tag, attrs in page.tags:
        assert tag not in ("iframe", "object", "embed", "img", "svg", "base", "link"), tag
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        for k in ("href", "src", "action"):
            assert not (attrs.get(k) or "").strip().lower().startswith("javascript:")
    for value in (
        "<script>window.__xss=1</script>",
        '"><img src=x onerror=',
        "<svg onload",
        "<img src=x onerror=alert(1)>",
    ):
        assert value not in html
    assert "\u2028" not in html.split('id="ic-data">')[1].split("</script>")[0]
    # The data still holds the exact strings.
    data = _embedded(html)
    assert set(ACCOUNTS) == set(data["accounts"]["id"])
    assert "<img src=x onerror=alert(1)>" in data["strings"]


def test_content_security_policy_allows_only_the_page_scripts(tmp_path: Path) -> None:
    out = _hostile_result(tmp_path)
    html = write_report(out, figures=False).read_text(encoding="utf-8")
    page = _parse(html)
    csp = next(
        a["content"]
        for t, a in page.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    hashes = set(re.findall(r"'sha256-([^']+)'", csp.split("script-src")[1].split(";")[0]))
    code = [s for a, s in page.scripts if a.get("type") is None]
    assert hashes == {base64.b64encode(hashlib.sha256(c.encode()).digest()).decode() for c in code}


# -- shapes of results ------------------------------------------------------------------------


def test_zero_groups(tmp_path: Path) -> None:
    result = detect_actions(
        actions([("a", "url", "x", 0, "p1"), ("b", "url", "y", 1, "p2")]),
        options=DetectOptions(kinds=("url",), min_occasions=1, max_q=None),
    )
    write_result(result, tmp_path)
    path = write_report(tmp_path)
    html = path.read_text(encoding="utf-8")
    data = _embedded(html)
    assert data["nodes"]["account"] == [] and data["edges"]["a"] == []
    assert data["overview"]["counts"]["groups"] == 0
    assert {p.name for p in tmp_path.iterdir()} >= {"report.html", "network.svg", "timeline.svg"}
    assert not list(tmp_path.glob("*.png"))  # PNG only on request


def test_one_group_and_determinism(tmp_path: Path) -> None:
    rows = [
        (m, "url", f"u{d}", d * 86_400 + j, f"{m}{d}")
        for d in range(3)
        for j, m in enumerate("abc")
    ]
    result = detect_actions(
        actions(rows), options=DetectOptions(kinds=("url",), min_occasions=1, max_q=None)
    )
    write_result(result, tmp_path)
    first = write_report(tmp_path, figures=("svg", "png")).read_bytes()
    svg = (tmp_path / "network.svg").read_bytes()
    data = _embedded(first.decode())
    assert len(data["groups"]["data"]["group_id"]) == 1
    assert len(data["nodes"]["account"]) == 3 and len(data["edges"]["a"]) == 3
    assert sum(data["edges"]["ev_shown"]) == 9
    assert data["details"]["0"]["timeline"]["posts"] == 9
    assert write_report(tmp_path).read_bytes() == first
    assert (tmp_path / "network.svg").read_bytes() == svg
    assert (tmp_path / "network.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fifty_thousand_groups(tmp_path: Path) -> None:
    folder = synthetic_result(tmp_path / "big", 50_000)
    start = time.perf_counter()
    path = write_report(folder, figures=False)
    elapsed = time.perf_counter() - start
    assert elapsed < 20, elapsed
    size = path.stat().st_size
    assert size < 40_000_000, size
    data = _embedded(path.read_text(encoding="utf-8"))
    assert len(data["groups"]["data"]["group_id"]) == 50_000
    assert len(data["nodes"]["account"]) <= Limits().max_nodes
    assert data["drawn_groups"] == 5_000
    assert any("draws the first 5,000 of 50,000 groups" in n for n in data["notes"])


def test_limits_cut_evidence_and_say_so(tmp_path: Path) -> None:
    folder = synthetic_result(tmp_path / "r", 30, size=4, per_edge=5)
    res = read_result(folder)
    _, data = build_html(res, Limits(max_evidence_rows=100, max_evidence_per_edge=2, max_nodes=50))
    assert max(data["edges"]["ev_shown"]) == 2 and sum(data["edges"]["ev_shown"]) <= 100
    assert set(data["edges"]["ev_total"]) == {5}
    assert len(data["nodes"]["account"]) == 48  # 12 whole groups of 4
    assert any("co-actions of the drawn edges are embedded" in n for n in data["notes"])


def test_first_group_larger_than_the_budget_is_drawn_in_part(tmp_path: Path) -> None:
    folder = synthetic_result(tmp_path / "r", 2, size=30, per_edge=1)
    _, data = build_html(read_result(folder), Limits(max_nodes=10))
    assert len(data["nodes"]["account"]) == 10 and data["drawn_groups"] == 1
    assert len(data["edges"]["a"]) == 45
    assert any("strongest accounts" in n for n in data["notes"])


def test_optional_and_extra_columns(tmp_path: Path) -> None:
    folder = synthetic_result(tmp_path / "r", 3, size=3, with_text=False)
    ev = pq.read_table(folder / "evidence.parquet")
    ev = ev.append_column("similarity", pa.array([0.9] * ev.num_rows))
    ev = ev.append_column("p_value", pa.array([0.01] * ev.num_rows))
    pq.write_table(ev.drop_columns(["dt_s"]), folder / "evidence.parquet")
    groups = read_result(folder).groups.drop_columns(["top_objects", "kinds", "members"])
    write_csv(groups, folder / "groups.csv")
    (folder / "manifest.json").unlink()
    html, data = build_html(read_result(folder))
    names = {c["name"]: c for c in data["evidence"]["columns"]}
    assert names["similarity"]["extra"] and names["p_value"]["extra"]
    assert "text_a" not in names and "dt_s" not in names
    assert any("manifest.json is missing" in n for n in data["notes"])
    assert "manifest.json is missing" in html


def test_coortweet_compat_result(tmp_path: Path) -> None:
    rows = [
        (m, "url", f"u{d}", d * 86_400 + j * 5, f"{m}{d}")
        for d in range(4)
        for j, m in enumerate("abcd")
    ]
    result = detect_actions(
        actions(rows), options=DetectOptions(kinds=("url",), compat="coortweet")
    )
    assert "avg_time_delta" in result.edges.column_names
    write_result(result, tmp_path)
    data = _embedded(write_report(tmp_path).read_text(encoding="utf-8"))
    cols = {c["name"] for c in data["edges"]["columns"]}
    assert {"avg_time_delta", "object_ids", "weight_threshold"} <= cols
    assert "coactions" not in cols
    assert sum(data["edges"]["ev_shown"]) == pq.read_table(tmp_path / "evidence.parquet").num_rows


def test_figures_alone(tmp_path: Path) -> None:
    folder = synthetic_result(tmp_path / "r", 12, size=3)
    paths = write_figures(folder, tmp_path / "figs", formats=("svg",))
    assert sorted(p.name for p in paths) == ["network.svg", "timeline.svg"]
    svg = (tmp_path / "figs" / "network.svg").read_text()
    assert "<svg" in svg and "group 1" in svg


def test_not_a_result_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing"):
        write_report(tmp_path)
    result = runner.invoke(app, ["report", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "not a result folder" in result.output


def test_cli_report_and_raw_csv(tmp_path: Path) -> None:
    src = tmp_path / "posts.csv"
    lines = ["post_id,account_id,timestamp,urls"]
    for d in range(3):
        for j, acc in enumerate(["=evil", "@b", "c"]):
            lines.append(f"p{d}{j},{acc},2024-01-0{d + 1}T10:00:0{j}Z,https://x.org/{d}")
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "res"
    result = runner.invoke(
        app,
        ["detect", str(src), "--out", str(out), "--quiet", "--min-occasions", "1", "--max-q", "1"],
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").stat().st_size > 100_000
    with open(out / "accounts.csv", newline="") as fh:
        ids = {r["account_id"] for r in csv.DictReader(fh)}
    assert ids == {"'=evil", "'@b", "c"}
    other = tmp_path / "elsewhere" / "r.html"
    result = runner.invoke(app, ["report", str(out), "--out", str(other)])
    assert result.exit_code == 0, result.output
    assert set(_embedded(other.read_text(encoding="utf-8"))["accounts"]["id"]) == {
        "=evil",
        "@b",
        "c",
    }
    raw = tmp_path / "raw"
    result = runner.invoke(
        app,
        [
            "detect",
            str(src),
            "--out",
            str(raw),
            "--quiet",
            "--raw-csv",
            "--min-occasions",
            "1",
            "--max-q",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    with open(raw / "accounts.csv", newline="") as fh:
        assert {r["account_id"] for r in csv.DictReader(fh)} == {"=evil", "@b", "c"}
    assert json.loads((raw / "manifest.json").read_text())["parameters"]["raw_csv"] is True
    assert json.loads((out / "manifest.json").read_text())["parameters"]["raw_csv"] is False
    # the rejects file follows --raw-csv too
    import pyarrow as pa

    from inconcert.outputs import write_rejects

    table = pa.table(
        {
            "file": ["x.csv"],
            "line": [2],
            "reason": ["bad_timestamp"],
            "detail": ["=HYPERLINK(1)"],
            "record": ["{}"],
        }
    )
    write_rejects(table, tmp_path / "safe.csv")
    write_rejects(table, tmp_path / "raw.csv", raw=True)
    assert "'=HYPERLINK(1)" in (tmp_path / "safe.csv").read_text(encoding="utf-8")
    assert '"=HYPERLINK(1)"' in (tmp_path / "raw.csv").read_text(encoding="utf-8")


def test_control_characters_in_ids(tmp_path: Path) -> None:
    rows = [
        (m, "url", f"u{d}", d * 86_400 + j, f"{m}{d}")
        for d in range(3)
        for j, m in enumerate(["a\x1b[31m", "b\x00", "c"])
    ]
    result = detect_actions(
        actions(rows), options=DetectOptions(kinds=("url",), min_occasions=1, max_q=None)
    )
    write_result(result, tmp_path)
    assert write_report(tmp_path, figures=False).stat().st_size > 0
    import xml.etree.ElementTree as ET

    import igraph as ig

    g = ig.Graph.Read_GraphML(str(tmp_path / "network.graphml"))
    assert sorted(g.vs["name"]) == ["a\\x1b[31m", "b\\x00", "c"]
    ET.parse(tmp_path / "network.gexf")  # well-formed XML


# -- issue 11, item 7: columns as JSON text built by Arrow, objects that read like the source --


@pytest.mark.parametrize(
    "values",
    [
        [*HOSTILE, None, "", "plain", "tab\there", "new\nline", 'q"uote', "back\\slash"],
        ["\x00nul", "\x01\x1f controls", "bell\x07 and <b>", "é ü 😀", "\ufeffbom", None],
        [],
    ],
)
def test_json_array_round_trips_and_escapes(values: list[str | None]) -> None:
    from inconcert.report._json import json_array

    text = json_array(pa.array(values, pa.string()), "str").text
    assert json.loads(text) == values
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
    assert script_json({"a": [{"b": json_array(pa.array(values, pa.string()), "str")}]}) == (
        '{"a":[{"b":' + text + "}]}"
    )
    cut = json.loads(json_array(pa.array(["x" * 10, "short"]), "str", limit=5).text)
    assert cut == ["xxxx…", "short"]


def test_json_array_numbers_and_times() -> None:
    from inconcert.report._json import json_array

    floats = pa.array([1.5, 2.0, None, float("nan"), float("inf"), -0.25, 1e-7])
    assert json.loads(json_array(floats, "float").text) == [1.5, 2, None, None, None, -0.25, 1e-7]
    ints = pa.array([1, None, -3], pa.int64())
    assert json_array(ints, "int").text == "[1,null,-3]"
    times = pa.array([0, 1_500_000, None], pa.timestamp("us", tz="UTC"))
    assert json_array(times, "time").text == "[0,1.5,null]"
    assert json_array(pa.array([True, False, None]), "bool").text == "[true,false,null]"


def test_page_data_describes_objects(tmp_path: Path) -> None:
    """A text object embeds its text and a repost its author and link, for the group's top
    objects, its examples and the evidence rows."""
    from tests.test_objects import ORIGINAL, _detect, _posts

    _detect(_posts(tmp_path), tmp_path / "r")
    html, data = build_html(read_result(tmp_path / "r"))
    strings = data["strings"]
    page = _embedded(html)
    assert page["object_kinds"]["text"][0] == "text" and "repost" in page["object_kinds"]["source"]
    tops = page["details"]["0"]["top_objects"]
    described = {
        (t[0], strings[t[1]]): (strings[t[3]] if t[3] >= 0 else None, t[4], t[5]) for t in tops
    }
    assert described[("repost", "orig0")] == (
        f"{ORIGINAL} 0",
        "qqsrc",
        "https://example.social/qqsrc/orig0",
    )
    assert described[("repost", "gone1")] == ("Storm warning 1", "@NewsDesk", None)
    texts = [v for (kind, _), v in described.items() if kind == "text"]
    assert texts and all(t[0].startswith("Vote Quokka on Sunday!") for t in texts)
    ev = page["evidence"]
    cols = {c["name"]: c["type"] for c in ev["columns"]}
    assert cols["object_text"] == "strref" and cols["object_author"] == cols["object_link"] == "str"
    assert "extra" not in {k for c in ev["columns"] for k in c if c["name"].startswith("object_")}
    authors = set(ev["data"]["object_author"]) - {None}
    assert authors == {"qqsrc", "@NewsDesk"}
    example = page["details"]["0"]["examples"][0]
    assert {"object_text", "object_author"} <= set(example)


def test_results_without_object_texts_show_the_posts_text(tmp_path: Path) -> None:
    """A result written before object_text: a text object is named by its post's text."""
    folder = synthetic_result(tmp_path / "r", 1, size=2, per_edge=3)
    ev = pq.read_table(folder / "evidence.parquet")
    ev = ev.set_column(ev.column_names.index("kind"), "kind", pa.array(["text"] * 3))
    pq.write_table(ev, folder / "evidence.parquet")
    _, data = build_html(read_result(folder))
    strings = data["strings"]
    tops = data["details"]["0"]["top_objects"]
    assert {strings[t[3]] for t in tops} == {"shared text 0", "shared text 1", "shared text 2"}


@pytest.mark.parametrize("raw_csv", [False, True])
def test_account_names_as_the_platform_writes_them(tmp_path: Path, raw_csv: bool) -> None:
    """YouTube handles start with "@": accounts.csv quotes them against spreadsheet formulas
    (unless --raw-csv), and the report shows them as they are."""
    import inconcert as ic
    from tests import platform_samples as ps

    src = ps.write_youtube(ps.world(), tmp_path / "in")
    options = DetectOptions(max_q=1.0, kinds=("repost", "url", "reply"))
    result = ic.detect([str(src)], options=options)
    out = tmp_path / "r"
    write_result(result, out, report=True, figures=(), raw_csv=raw_csv)
    with open(out / "accounts.csv", newline="", encoding="utf-8") as fh:
        written = {r["account_name"] for r in csv.DictReader(fh)}
    handles = {f"@{a}" for a in ps.PLANTED}
    assert written == ({f"'{h}" for h in handles} if not raw_csv else handles)
    page = _embedded((out / "report.html").read_text(encoding="utf-8"))
    assert set(page["accounts"]["data"]["account_name"]) == handles
