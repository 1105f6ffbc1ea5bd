"""Pseudonymised results (issue 12, "also build"): no original account id, post id or text in
any output file, the same pseudonyms everywhere, the key nowhere, the manifest saying so."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from inconcert.cli import app
from inconcert.errors import InputError
from inconcert.outputs import verify_result
from inconcert.pseudonymise import Pseudonymiser

runner = CliRunner()
KEY = b"correct horse battery staple 4242"
ACCOUNTS = ["zorroacct_01", "zorroacct_02", "zorroacct_03"]
TEXT = "Vote for the quokkaparty tomorrow, everyone"


def _posts(folder: Path) -> Path:
    """Three accounts post the same link and text, mention one another and repost one post,
    on three days; plus a reject (bad time) whose record holds an id."""
    rows = ["post_id,account_id,timestamp,text,urls,repost_of"]
    for day in range(3):
        for j, acc in enumerate(ACCOUNTS):
            other = ACCOUNTS[(j + 1) % 3]
            rows.append(
                f"qqpost_{day}{j},{acc},2024-01-0{day + 1}T00:00:0{j}Z,"
                f'"{TEXT} @{other}",https://x.org/{day},qqseed_{day}'
            )
    rows.append("qqpost_bad,zorroacct_99,not a time,,,")
    path = folder / "in" / "posts.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _key(folder: Path, key: bytes = KEY) -> Path:
    path = folder / "key.txt"
    path.write_bytes(key + b"\n")
    return path


def _detect(src: Path, out: Path, *args: str | Path) -> Result:
    return runner.invoke(
        app,
        [
            "detect",
            str(src),
            "--out",
            str(out),
            "-q",
            "--max-q",
            "1",
            "--min-occasions",
            "1",
            "--kinds",
            "url,text,mention,repost",
            *(str(a) for a in args),
        ],
    )


def _all_text(out: Path) -> str:
    """Every file of the folder as text; Parquet decoded (it is compressed)."""
    parts = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            parts.append(json.dumps(pq.read_table(path).to_pylist(), default=str))
        else:
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_no_original_id_or_text_anywhere(tmp_path: Path) -> None:
    src, out = _posts(tmp_path), tmp_path / "r"
    result = _detect(
        src,
        out,
        "--pseudonymise",
        _key(tmp_path),
        "--pseudonymise-posts",
        "--hash-texts",
        "--rejects",
        out / "rejects.csv",
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {
        "report.html",
        "network.gexf",
        "network.graphml",
        "evidence.parquet",
        "rejects.csv",
    } <= names
    everything = _all_text(out)
    for secret in ("zorroacct", "qqpost", "qqseed", "quokkaparty", KEY.decode()):
        assert secret not in everything, secret
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["pseudonymised"]["accounts"] is True
    assert manifest["pseudonymised"]["posts"] is True and manifest["pseudonymised"]["texts"]
    assert verify_result(out) == []
    # read = used + rejected, against the input's own line count
    records = len(src.read_text(encoding="utf-8").splitlines()) - 1
    rows = manifest["rows"]
    assert rows["read"] == records == rows["used"] + sum(rows["rejected"].values())


def test_pseudonyms_are_consistent_across_files_and_runs(tmp_path: Path) -> None:
    src, key = _posts(tmp_path), _key(tmp_path)
    assert _detect(src, tmp_path / "r1", "--pseudonymise", key).exit_code == 0
    assert _detect(src, tmp_path / "r2", "--pseudonymise", key).exit_code == 0
    p = Pseudonymiser(KEY)
    expected = sorted(p.account(a) for a in ACCOUNTS)
    for out in (tmp_path / "r1", tmp_path / "r2"):
        with open(out / "accounts.csv", newline="", encoding="utf-8") as fh:
            accounts = sorted(r["account_id"] for r in csv.DictReader(fh))
        assert accounts == expected
        evidence = pq.read_table(out / "evidence.parquet")
        assert set(evidence.column("account_a").to_pylist()) | set(
            evidence.column("account_b").to_pylist()
        ) == set(expected)
        mentions = evidence.filter(pa.compute.equal(evidence.column("kind"), "mention"))
        assert set(mentions.column("object_id").to_pylist()) <= set(expected)
        # post ids were not asked for: kept
        assert all(v.startswith("qqpost_") for v in evidence.column("post_a").to_pylist())
        gexf = (out / "network.gexf").read_text(encoding="utf-8")
        assert all(f'"{a}"' in gexf for a in expected)
        html = (out / "report.html").read_text(encoding="utf-8")
        assert all(a in html for a in expected)  # the texts (kept) still mention people
        for name in ("accounts.csv", "edges.csv", "network.gexf", "network.graphml"):
            assert "zorroacct" not in (out / name).read_text(encoding="utf-8"), name
    assert (tmp_path / "r1" / "edges.csv").read_bytes() == (
        tmp_path / "r2" / "edges.csv"
    ).read_bytes()
    other = Pseudonymiser(b"another key, also long enough")
    assert other.account(ACCOUNTS[0]) != p.account(ACCOUNTS[0])


@pytest.mark.parametrize(
    ("content", "needle"),
    [(None, "does not exist"), (b"", "is empty"), (b"  \n", "is empty"), (b"short", "at least")],
)
def test_bad_key_file_is_a_clear_error(tmp_path: Path, content: bytes | None, needle: str) -> None:
    key = tmp_path / "key.txt"
    if content is not None:
        key.write_bytes(content)
    result = _detect(_posts(tmp_path), tmp_path / "r", "--pseudonymise", key)
    assert result.exit_code == 2 and needle in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "r").exists()
    with pytest.raises(InputError, match=needle):
        Pseudonymiser.from_file(key)


def test_post_and_text_options_need_a_key(tmp_path: Path) -> None:
    result = _detect(_posts(tmp_path), tmp_path / "r", "--hash-texts")
    assert result.exit_code == 2 and "--pseudonymise" in result.output


def test_the_key_never_shows() -> None:
    p = Pseudonymiser(KEY, posts=True)
    assert KEY.decode() not in repr(p) and KEY.decode() not in json.dumps(p.describe())
    assert p.account("x").startswith("acct_") and p.post("x").startswith("post_")
    assert p.account("x") != p.post("x")  # namespaces keep kinds apart


def _handles_sample(folder: Path) -> Path:
    """Twitter API v2 pages of the planted-group story, every handle distinctive (``zqh...``),
    the reposted originals outside the collection (embedded in ``includes``)."""
    from dataclasses import replace

    from tests import platform_samples as ps

    story = [
        replace(
            i,
            account=f"zqh{i.account}",
            ref_account=None if i.ref_account is None else f"zqh{i.ref_account}",
        )
        for i in ps.outside(ps.world())
    ]
    return ps.write_twitter_v2(story, folder / "in")


def test_no_handle_in_pseudonymised_outputs(tmp_path: Path) -> None:
    """Handles (account_name, a referenced post's author's name, the permalinks that hold
    them) never reach a pseudonymised result; with --hash-texts not even inside a retweet's
    text. A handle's pseudonym is that of its mention, the same in every file."""
    src, key = _handles_sample(tmp_path), _key(tmp_path)
    plain = tmp_path / "plain"
    assert _detect(src, plain).exit_code == 0
    assert "zqhp1" in (plain / "accounts.csv").read_text(encoding="utf-8")  # handles were there
    hashed = tmp_path / "hashed"
    result = _detect(src, hashed, "--pseudonymise", key, "--hash-texts")
    assert result.exit_code == 0, result.output
    assert "zqh" not in _all_text(hashed)
    kept = tmp_path / "kept"  # texts kept: only they may quote a handle ("RT @zqhnewsdesk: ...")
    result = _detect(src, kept, "--pseudonymise", key)
    assert result.exit_code == 0, result.output
    for name in ("accounts.csv", "edges.csv", "groups.csv", "network.graphml", "network.gexf"):
        assert "zqh" not in (kept / name).read_text(encoding="utf-8"), name
    evidence = pq.read_table(kept / "evidence.parquet")
    assert not {"link_a", "link_b", "object_link"} & set(evidence.column_names)
    for column in evidence.column_names:
        if column not in ("text_a", "text_b"):
            values = json.dumps(evidence.column(column).to_pylist(), default=str)
            assert "zqh" not in values, column
    p = Pseudonymiser(KEY)
    with open(kept / "accounts.csv", newline="", encoding="utf-8") as fh:
        names = {r["account_name"].lstrip("'") for r in csv.DictReader(fh)}
    assert names == {p.name(f"zqh{a}") for a in ("p1", "p2", "p3", "p4", "p5")}
    assert p.name("zqhp1") == "@" + p.account("zqhp1") == p.author("@ZQHp1")  # as its mention
    reposts = evidence.filter(pa.compute.equal(evidence.column("kind"), "repost"))
    assert set(reposts.column("object_author_name").to_pylist()) == {p.name("zqhnewsdesk")}
    graphml = (kept / "network.graphml").read_text(encoding="utf-8")
    assert all(f">{n}</data>" in graphml for n in names)  # the labels
