"""The command line end to end: simulate → detect → evaluate, compat mode, errors, determinism."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from inconcert.cli import app

runner = CliRunner()
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
OUTPUTS = (
    "edges.csv",
    "accounts.csv",
    "groups.csv",
    "evidence.parquet",
    "network.graphml",
    "network.gexf",
)


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _run(*args: str | Path) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    _run("simulate", "--out", out, "--seed", "3")
    return out


@pytest.fixture(scope="module")
def detected(sim: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("res") / "result"
    _run("detect", sim / "posts.csv.gz", "--out", out, "--quiet")
    return out


def test_detect_writes_every_file(detected: Path) -> None:
    for name in (*OUTPUTS, "manifest.json"):
        assert (detected / name).stat().st_size > 0, name
    assert not list(detected.glob(".inconcert-tmp-*"))
    manifest = json.loads((detected / "manifest.json").read_text())
    assert manifest["parameters"]["window"] == 60.0
    assert manifest["inputs"][0]["sha256"] and manifest["inputs"][0]["rows_read"] > 0
    assert manifest["rows"]["read"] == manifest["rows"]["used"] + sum(
        manifest["rows"]["rejected"].values()
    )
    assert set(manifest["timings_s"]) >= {"read", "actions", "co-actions", "edges", "groups"}
    # the report and its figures are hashed too (issue 12, item 4)
    assert set(manifest["outputs"]) == {*OUTPUTS, "report.html", "network.svg", "timeline.svg"}
    assert not list(detected.parent.glob(".result.inconcert-tmp-*"))
    evidence = pq.read_table(detected / "evidence.parquet")
    assert {"post_a", "post_b", "time_a", "time_b", "dt_s", "text_a"} <= set(evidence.column_names)
    with open(detected / "accounts.csv", newline="") as fh:
        header = next(csv.reader(fh))
    assert header[:3] == ["account_id", "group_id", "component_id"]
    assert {"degree", "strength", "posts", "coordinated_posts"} <= set(header)


def test_planted_groups_are_recovered(sim: Path, detected: Path) -> None:
    from inconcert.evaluate import evaluate_dir

    ev = evaluate_dir(sim / "truth.csv", detected)
    assert ev.pair_f1 >= 0.9, ev
    output = _run("evaluate", sim / "truth.csv", detected)
    assert "pair_f1" in output


def test_detect_is_deterministic(sim: Path, detected: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    _run("detect", sim / "posts.parquet", "--out", again, "--quiet")
    for name in OUTPUTS:
        assert (again / name).read_bytes() == (detected / name).read_bytes(), name


def test_summary_is_printed(sim: Path, tmp_path: Path) -> None:
    output = _run("detect", sim / "posts.csv.gz", "--out", tmp_path / "r", "--kinds", "url")
    assert "Top groups" in output and "evidence for review" in output


def test_refuses_to_overwrite(detected: Path, sim: Path) -> None:
    result = runner.invoke(app, ["detect", str(sim / "posts.csv.gz"), "--out", str(detected), "-q"])
    assert result.exit_code == 2
    assert "already holds results" in result.output and "--overwrite" in result.output


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["detect", str(tmp_path / "nope.csv"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "nope.csv" in result.output


def test_bad_parameter_is_a_clear_error(sim: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["detect", str(sim / "posts.csv.gz"), "--out", str(tmp_path), "--window", "-5"]
    )
    assert result.exit_code == 2
    assert "'window' parameter must be a number >= 0" in result.output


def test_rejects_file(tmp_path: Path) -> None:
    src = tmp_path / "posts.csv"
    src.write_text(
        "post_id,account_id,timestamp,urls\n"
        "p1,a,2024-01-01T00:00:00Z,https://x.org/1\n"
        "p2,b,2024-01-01T00:00:05Z,https://x.org/1\n"
        "p3,a,not a time,https://x.org/2\n"
        "p4,,2024-01-01T00:00:09Z,https://x.org/2\n"
        "p5,a,2024-01-02T00:00:00Z,https://x.org/3\n"
        "p6,b,2024-01-02T00:00:01Z,https://x.org/3\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    _run("detect", src, "--out", tmp_path / "r", "--rejects", rejects, "-q", "--min-weight", "2")
    with open(rejects, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["reason"] for r in rows) == ["bad_timestamp", "missing_account_id"]
    assert {r["line"] for r in rows} == {"4", "5"}
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["rows"] == {
        "read": 6,
        "used": 4,
        "rejected": {"bad_timestamp": 1, "missing_account_id": 1},
    }
    edges = _csv(tmp_path / "r" / "edges.csv")
    assert [(e["account_a"], e["account_b"], e["weight"]) for e in edges] == [("a", "b", "2")]


GERMAN = SHARED / "data" / "german_elections.csv.gz"


@pytest.mark.skipif(not GERMAN.exists(), reason="../shared/data is not beside the repo")
def test_compat_coortweet_on_german_data(tmp_path: Path) -> None:
    out = tmp_path / "ct"
    _run(
        "detect",
        GERMAN,
        "--out",
        out,
        "--compat",
        "coortweet",
        "--window",
        "30",
        "--min-participation",
        "2",
        "--objects",
        "url_id=url,domain_id=domain,hashtag_id=hashtag,phash_id=image",
        "-q",
    )
    with open(out / "edges.csv", newline="") as fh:
        ours = {(r["account_a"], r["account_b"]): r for r in csv.DictReader(fh)}
    ref_path = SHARED / "reference" / "coortweet" / "german_g_combined_edges.csv"
    with open(ref_path, newline="") as fh:
        ref = {tuple(sorted((r["from"], r["to"]))): r for r in csv.DictReader(fh)}
    assert set(ours) == set(ref)
    for key, row in ref.items():
        for col in ("weight", "n_content_id", "n_content_id_y", "weight_threshold"):
            assert int(ours[key][col]) == int(row[col]), (key, col)
        assert float(ours[key]["avg_time_delta"]) == pytest.approx(float(row["avg_time_delta"]))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["compat"] == "coortweet"
    groups = _csv(out / "groups.csv")
    # CooRTweet's combined graph has 176 components; groups are the communities inside them
    assert len({g["component_id"] for g in groups}) == 176 <= len(groups)


def test_actions_table_with_unknown_kind(tmp_path: Path) -> None:
    src = tmp_path / "actions.csv"
    src.write_text(
        "account_id,object_id,timestamp,post_id,kind\na,o,2024-01-01T00:00:00Z,p1,weird\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["detect", str(src), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "unknown kind" in result.output and "'weird'" in result.output


@pytest.mark.parametrize("command", ["detect", "simulate", "evaluate"])
def test_every_command_and_option_is_documented(command: str) -> None:
    import typer.core
    import typer.main

    group = typer.main.get_command(app)
    cmd = group.commands[command]  # type: ignore[attr-defined]
    assert cmd.help and len(cmd.help) > 20
    options = [p for p in cmd.params if isinstance(p, typer.core.TyperOption)]
    assert options
    for param in options:
        assert param.help, f"{command} {param.opts} has no help"
    assert runner.invoke(app, [command, "--help"]).exit_code == 0


def test_version() -> None:
    """The version printed is the installed package's (``pyproject.toml``)."""
    import importlib.metadata

    from inconcert._version import VERSION

    assert _run("--version").split() == ["inconcert", VERSION]
    assert importlib.metadata.version("inconcert") == VERSION


def test_neartext_end_to_end(tmp_path: Path) -> None:
    """Three accounts post variants of one text (a word changed each time) within seconds, on
    three days; an organic account posts unrelated text at the same moments."""
    base = (
        "the election commission hid the real numbers from the people and the media "
        "said nothing about it"
    )
    swaps = ["commission", "council", "committee"]
    lines = ["post_id,account_id,timestamp,text"]
    n = 0
    for day in range(3):
        for j, acc in enumerate(["a", "b", "c"]):
            n += 1
            text = base.replace("commission", swaps[(day + j) % 3])
            lines.append(f'p{n},{acc},2024-01-0{day + 1}T10:00:{j * 7:02d}Z,"{text}"')
        n += 1
        lines.append(
            f'p{n},z,2024-01-0{day + 1}T10:00:03Z,"a completely different post '
            f'about cooking pasta with garlic and olive oil {day}"'
        )
    src = tmp_path / "posts.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "r"
    # nine posts give the null model no power: keep every edge whatever its q-value
    _run("detect", src, "--out", out, "--kinds", "neartext", "--max-q", "1", "-q")
    accounts = {r["account_id"]: r for r in _csv(out / "accounts.csv")}
    assert set(accounts) == {"a", "b", "c"}
    evidence = pq.read_table(out / "evidence.parquet").to_pylist()
    assert evidence and all(e["kind"] == "neartext" for e in evidence)
    assert all(0.7 <= e["similarity"] <= 1.0 for e in evidence)
    assert all(e["text_a"] and e["text_b"] for e in evidence)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"]["actions"]["neartext"]["clusters_with_several_posts"] >= 1
    # the exact-text kind finds nothing: no two posts of one moment are identical
    _run(
        "detect",
        src,
        "--out",
        tmp_path / "exact",
        "--kinds",
        "text",
        "-q",
        "--min-weight",
        "1",
        "--min-participation",
        "1",
    )
    assert _csv(tmp_path / "exact" / "edges.csv") == []
    groups = _csv(out / "groups.csv")
    assert len(groups) == 1
    assert "the election" in groups[0]["top_texts"] and "(3 accounts)" in groups[0]["top_texts"]


def test_no_significance_skips_the_null_model(sim: Path, detected: Path, tmp_path: Path) -> None:
    out = tmp_path / "fast"
    _run("detect", sim / "posts.csv.gz", "--out", out, "--quiet", "--no-significance")
    with open(out / "edges.csv", newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert not {"expected_coactions", "expected_by_source", "p_value", "q_value"} & set(header)
    full = _csv(detected / "edges.csv")
    assert {"expected_coactions", "expected_by_source", "p_value", "q_value"} <= set(full[0])
    # without q-values only the weight and occasion thresholds filter: a superset of edges
    fast = {(r["account_a"], r["account_b"]) for r in _csv(out / "edges.csv")}
    assert {(r["account_a"], r["account_b"]) for r in full} < fast
    assert json.loads((out / "manifest.json").read_text())["parameters"]["significance"] is False
    result = runner.invoke(
        app,
        [
            "detect",
            str(sim / "posts.csv.gz"),
            "--out",
            str(tmp_path / "x"),
            "--no-significance",
            "--max-q",
            "0.05",
        ],
    )
    assert result.exit_code == 2 and "max_q" in result.output


def test_detect_cli_defaults_are_the_library_defaults() -> None:
    """The CLI writes its defaults as literals (no heavy import at startup): they must be the
    library's."""
    import inspect

    from inconcert.cli import detect as cli_detect
    from inconcert.options import DetectOptions

    defaults = DetectOptions()
    params = inspect.signature(cli_detect).parameters
    for name in ("min_weight", "min_occasions", "occasion_gap", "max_q", "min_participation"):
        assert params[name].default == getattr(defaults, name), name


def _page_data(html: str) -> dict:  # type: ignore[type-arg]
    start = html.index('<script type="application/json"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])  # type: ignore[no-any-return]


def test_platform_export_names_accounts_and_describes_outside_originals(tmp_path: Path) -> None:
    """Twitter API v2 pages whose retweeted originals are outside the collection (only in
    ``includes``), no --map: accounts labelled by their handles in accounts.csv, the network
    files and the report; each co-retweet names the original's author and text in
    evidence.parquet, groups.csv and the report; the same input gives the same bytes."""
    from tests import platform_samples as ps

    src = ps.write_twitter_v2(ps.outside(ps.world()), tmp_path / "in")
    outs = [tmp_path / "r1", tmp_path / "r2"]
    for out in outs:
        _run("detect", src, "--out", out, "-q", "--kinds", "repost", "--max-q", "1")
    out = outs[0]
    handles = {ps._uid(a): a for a in ps.PLANTED}
    assert {r["account_id"]: r["account_name"] for r in _csv(out / "accounts.csv")} == handles
    graphml = (out / "network.graphml").read_text(encoding="utf-8")
    gexf = (out / "network.gexf").read_text(encoding="utf-8")
    for ident, handle in handles.items():
        assert f'<data key="v_name">{ident}</data><data key="v_label">{handle}</data>' in graphml
        assert f'<node id="{ident}" label="{handle}"' in gexf
    evidence = pq.read_table(out / "evidence.parquet").to_pylist()
    assert evidence and all(r["kind"] == "repost" for r in evidence)
    for row in evidence:
        assert row["object_author"] == ps._uid("newsdesk")
        assert row["object_author_name"] == "newsdesk"
        assert row["object_text"].startswith("Breaking: the council votes on plan")
        assert row["object_link"] == f"https://twitter.com/newsdesk/status/{row['object_id']}"
    (group,) = _csv(out / "groups.csv")
    assert group["top_objects"].startswith("repost:")
    assert ' by newsdesk: "Breaking: the council votes on plan' in group["top_objects"]
    page = _page_data((out / "report.html").read_text(encoding="utf-8"))
    accounts = page["accounts"]
    assert dict(zip(accounts["id"], accounts["data"]["account_name"], strict=True)) == handles
    strings = page["strings"]
    tops = page["details"]["0"]["top_objects"]
    assert {t[4] for t in tops} == {"newsdesk"}  # the author as the page shows it
    assert all(strings[t[3]].startswith("Breaking: the council") for t in tops)
    assert "object_author_name" in {c["name"] for c in page["evidence"]["columns"]}
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (outs[1] / name).read_bytes(), name
