"""Evidence that reads like the source (issue 11, item 7): every co-action says what its object
is (a text kind's text, a reposted post's author, text and link), and groups.csv names its top
objects by their text, never only by a digest."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from inconcert._objects import describe_objects, object_label, top_objects
from inconcert.cli import app

runner = CliRunner()
ACCOUNTS = ["qqann", "qqbob", "qqcy"]
ORIGINAL = "The bridge closes on Friday, tell everyone"
VARIANTS = ["Vote Quokka on Sunday!", "vote quokka on SUNDAY! ", "Vote Quokka on Sunday!"]
TEMPLATE = "https://example.social/{account_id}/{post_id}"


def _posts(folder: Path) -> Path:
    """Three accounts, on three days: repost one original post that is in the input, retweet
    one that is not ("RT @newsdesk: ..."), and post the same text in slightly different
    spellings (one spelling twice)."""
    rows = ["post_id,account_id,timestamp,text,repost_of"]
    for day in range(3):
        rows.append(f'orig{day},qqsrc,2024-05-0{day + 1}T08:00:00Z,"{ORIGINAL} {day}",')
        for j, acc in enumerate(ACCOUNTS):
            t = f"2024-05-0{day + 1}T09:00:0{j}Z"
            rows.append(f"rp{day}{j},{acc},{t},,orig{day}")
            t = f"2024-05-0{day + 1}T10:00:0{j}Z"
            rows.append(f'rt{day}{j},{acc},{t},"RT @NewsDesk: Storm warning {day}",gone{day}')
            t = f"2024-05-0{day + 1}T11:00:0{j}Z"
            rows.append(f'tx{day}{j},{acc},{t},"{VARIANTS[j]} {day}",')
    path = folder / "in" / "posts.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _detect(src: Path, out: Path, *args: str | Path) -> None:
    result = runner.invoke(
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
            "repost,text",
            "--permalink",
            TEMPLATE,
            *(str(a) for a in args),
        ],
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("objects")
    _detect(_posts(base), base / "r")
    return base / "r"


def _evidence(out: Path, kind: str, object_id: str | None = None) -> list[dict[str, object]]:
    ev = pq.read_table(out / "evidence.parquet")
    ev = ev.filter(pc.equal(ev.column("kind"), kind))
    if object_id is not None:
        ev = ev.filter(pc.equal(ev.column("object_id"), object_id))
    return ev.to_pylist()


def test_a_reposted_post_in_the_input_has_its_author_text_and_link(result: Path) -> None:
    rows = _evidence(result, "repost", "orig1")
    assert len(rows) == 3  # three pairs of the three accounts
    for row in rows:
        assert row["object_author"] == "qqsrc"
        assert row["object_text"] == f"{ORIGINAL} 1"
        assert row["object_link"] == "https://example.social/qqsrc/orig1"
        assert row["link_a"] == f"https://example.social/{row['account_a']}/{row['post_a']}"
    columns = pq.read_schema(result / "evidence.parquet").names
    assert columns[columns.index("object_id") + 1 : columns.index("object_id") + 4] == [
        "object_text",
        "object_author",
        "object_link",
    ]


def test_a_retweet_of_a_post_not_in_the_input_names_its_author(result: Path) -> None:
    rows = _evidence(result, "repost", "gone2")
    assert rows and all(r["object_author"] == "@NewsDesk" for r in rows)
    assert all(r["object_text"] == "Storm warning 2" and r["object_link"] is None for r in rows)


def test_a_shared_text_is_its_most_posted_spelling(result: Path) -> None:
    rows = _evidence(result, "text")
    assert len(rows) == 9 and len({r["object_id"] for r in rows}) == 3
    for r in rows:
        day = str(r["object_id"] and r["text_a"])[-1]
        assert r["object_text"] == f"Vote Quokka on Sunday! {day}"  # 2 of 3 posts spell it so
        assert r["object_author"] is None and r["object_link"] is None


def test_groups_name_their_top_objects_by_text(result: Path) -> None:
    with open(result / "groups.csv", newline="", encoding="utf-8") as fh:
        groups = list(csv.DictReader(fh))
    assert len(groups) == 1
    tops = groups[0]["top_objects"].split(" | ")
    assert len(tops) == 5
    digests = {str(r["object_id"]) for r in _evidence(result, "text")}
    assert not any(d in groups[0]["top_objects"] for d in digests)  # never only the hash
    assert 'repost:gone0 by @NewsDesk: "Storm warning 0" (3)' in tops
    assert f'repost:orig0 by qqsrc: "{ORIGINAL} 0" (3)' in tops
    assert '"Vote Quokka on Sunday! 0" (3 accounts)' in groups[0]["top_texts"]


def test_same_input_same_bytes(result: Path, tmp_path: Path) -> None:
    _detect(_posts(tmp_path), tmp_path / "again")
    for name in ("evidence.parquet", "groups.csv", "network.graphml", "network.gexf"):
        assert (tmp_path / "again" / name).read_bytes() == (result / name).read_bytes(), name


def test_pseudonymised_results_hide_authors_and_links(tmp_path: Path) -> None:
    from inconcert.pseudonymise import Pseudonymiser

    key = tmp_path / "key.txt"
    key.write_bytes(b"a key of at least sixteen bytes, surely\n")
    src = _posts(tmp_path)
    _detect(src, tmp_path / "p", "--pseudonymise", key)
    ev = pq.read_table(tmp_path / "p" / "evidence.parquet")
    assert not {"link_a", "link_b", "object_link"} & set(ev.column_names)  # permalinks name people
    p = Pseudonymiser(b"a key of at least sixteen bytes, surely")
    authors = set(ev.column("object_author").drop_null().to_pylist())
    assert authors == {p.account("qqsrc"), "@" + p.account("newsdesk")}  # as a mention would be
    everything = "\n".join(
        json.dumps(pq.read_table(path).to_pylist(), default=str)
        if path.suffix == ".parquet"
        else path.read_text(encoding="utf-8", errors="replace")
        for path in (tmp_path / "p").iterdir()
    )
    for secret in ("example.social", "qqsrc", "qqann", "qqbob"):
        assert secret not in everything, secret
    assert ORIGINAL in everything  # texts are kept unless --hash-texts
    _detect(src, tmp_path / "h", "--pseudonymise", key, "--hash-texts")
    ev = pq.read_table(tmp_path / "h" / "evidence.parquet")
    assert all(t.startswith("text_") for t in ev.column("object_text").drop_null().to_pylist())
    with open(tmp_path / "h" / "groups.csv", newline="", encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    assert ORIGINAL not in row["top_objects"] and "Quokka" not in row["top_texts"]
    assert f"repost:orig0 by {p.account('qqsrc')} (3)" in row["top_objects"]


def test_describe_objects_without_texts_or_posts() -> None:
    ev = pa.table(
        {
            "kind": ["url", "repost", "quote"],
            "object_id": ["https://x.org", "p1", "p9"],
            "post_a": ["a1", "a2", "a3"],
            "post_b": ["b1", "b2", "b3"],
        }
    )
    known = pa.table({"post_id": ["p1"], "account_id": ["alice"]})
    out = describe_objects(ev, known)
    assert out["object_author"].to_pylist() == [None, "alice", None]
    assert out["object_text"].to_pylist() == [None, None, None]
    assert describe_objects(ev, None)["object_author"].null_count == 3


def test_an_embedded_original_adds_what_it_knows() -> None:
    """Referenced posts an export embeds (after the input's posts in ``known``): an author id,
    a name, a text, each only where given; a missing author id leaves the ``@name`` a
    retweet's text gives, a missing text the text the repost carried."""
    ev = pa.table(
        {
            "kind": ["repost", "repost", "quote"],
            "object_id": ["gone", "held", "q"],
            "post_a": ["a1", "a2", "a3"],
            "post_b": ["b1", "b2", "b3"],
            "text_a": ["RT @NewsDesk: Storm warning", None, "my own words"],
            "text_b": ["RT @NewsDesk: Storm warning", None, "my own words"],
        }
    )
    known = pa.table(
        {
            "post_id": ["held", "gone", "q"],
            "account_id": ["src", None, "9"],
            "text": ["the held text", None, "quoted words"],
            "account_name": ["source", "NewsDesk Channel", "nine"],
        }
    )
    out = describe_objects(ev, known)
    assert out["object_author"].to_pylist() == ["@NewsDesk", "src", "9"]
    assert out["object_author_name"].to_pylist() == ["NewsDesk Channel", "source", "nine"]
    assert out["object_text"].to_pylist() == ["Storm warning", "the held text", "quoted words"]
    assert list(out) == ["object_text", "object_author", "object_author_name", "object_link"]


def test_labels() -> None:
    assert object_label("neartext", "17", "  a\n long   text ", width=8) == '"a long…"'
    assert object_label("text", "9f2c") == "9f2c"  # no text known: the id, as before
    assert object_label("reply", "p1", None, "bob") == "p1 by bob"
    assert object_label("reply", "p1", None, "1234", "bob") == "p1 by bob"  # the name first
    assert object_label("url", "https://x.org", "ignored") == "https://x.org"
    ev = pa.table(
        {
            "group_id": pa.array([1, 1, 1, None], pa.int64()),
            "kind": ["url", "url", "hashtag", "url"],
            "object_id": ["u", "u", "h", "u"],
        }
    )
    assert top_objects(ev, limit=5) == {1: "url:u (2) | hashtag:h (1)"}
    assert top_objects(ev, limit=1, with_kind=False) == {1: "u (2)"}
