"""Platform readers: detection, field mapping on small realistic samples (retweets, quotes,
replies, forwards, expanded vs wrapped links, HTML content, nested ids), and the planted group
found from every format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import inconcert as ic
from inconcert.ingest import FORMATS, read_inputs
from tests import platform_samples as ps


def _jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _posts(paths: list[Path] | Path, **kwargs: Any) -> dict[str, dict[str, Any]]:
    result = read_inputs(
        [str(p) for p in (paths if isinstance(paths, list) else [paths])], **kwargs
    )
    return {row["post_id"]: row for row in result.table.to_pylist()}


def _formats(paths: list[Path] | Path) -> list[str]:
    result = read_inputs([str(p) for p in (paths if isinstance(paths, list) else [paths])])
    return [f.format for f in result.files]


# ---------------------------------------------------------------------------------------------
# The planted group, from every format
# ---------------------------------------------------------------------------------------------

_OPTIONS = ic.DetectOptions(max_q=1.0, kinds=(*ic.DetectOptions().kinds, "reply"))


@pytest.fixture(scope="module")
def story() -> list[ps.Item]:
    return ps.world()


@pytest.mark.parametrize("name", sorted(ps.WRITERS))
def test_planted_group_found_from_every_format(
    name: str, story: list[ps.Item], tmp_path: Path
) -> None:
    writer, ident = ps.WRITERS[name]
    written = writer(story, tmp_path)
    paths = written if isinstance(written, list) else [written]
    result = ic.detect([str(p) for p in paths], options=_OPTIONS)
    assert result.ingested is not None
    assert {f.format for f in result.ingested.files} == {name}
    found = set(result.accounts.column("account_id").to_pylist())
    planted = {ident(a) for a in ps.PLANTED}
    ordinary = {ident(a) for a in ps.ORDINARY}
    assert found == planted
    assert not found & ordinary
    assert result.groups.num_rows == 1
    # every row read is a post or a counted reject
    assert result.ingested.rows_used >= len(story)


def _graph_labels(out: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Node id -> label in network.graphml (by the ``name`` data) and network.gexf."""
    import xml.etree.ElementTree as ET

    graphml = ET.parse(out / "network.graphml").getroot()
    ns = "{http://graphml.graphdrawing.org/xmlns}"
    by_name = {}
    for node in graphml.iter(f"{ns}node"):
        data = {d.get("key"): d.text for d in node.iter(f"{ns}data")}
        by_name[str(data["v_name"])] = str(data["v_label"])
    gexf = ET.parse(out / "network.gexf").getroot()
    labels = {str(n.get("id")): str(n.get("label")) for n in gexf.iter("{http://gexf.net/1.3}node")}
    return by_name, labels


@pytest.mark.parametrize("name", sorted(set(ps.HANDLES) | set(ps.EMBEDS)))
def test_handles_label_accounts_and_embedded_originals_describe_reposts(
    name: str, story: list[ps.Item], tmp_path: Path
) -> None:
    """With the reposted originals outside the collection: every format that names accounts
    labels them by their handle (accounts.csv, GraphML, GEXF), and every format that embeds a
    repost's original (or names its author) says who wrote it and what it said."""
    import csv

    import pyarrow.compute as pc

    writer, ident = ps.WRITERS[name]
    written = writer(ps.outside(story), tmp_path / "in")
    paths = written if isinstance(written, list) else [written]
    result = ic.detect([str(p) for p in paths], options=_OPTIONS)
    planted = {ident(a): a for a in ps.PLANTED}
    assert set(result.accounts.column("account_id").to_pylist()) == set(planted)
    out = tmp_path / "out"
    ic.write_result(result, out)
    with open(out / "accounts.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    graphml, gexf = _graph_labels(out)
    handle = ps.HANDLES.get(name)
    if handle is not None:
        expected = {acc: handle(a) for acc, a in planted.items()}
        # a handle starting like a formula ("@p1") is written with a spreadsheet quote
        assert {r["account_id"]: r["account_name"].lstrip("'") for r in rows} == expected
        assert graphml == gexf == expected
    else:
        assert "account_name" not in rows[0]
        assert graphml == gexf == {acc: acc for acc in planted}
    embeds = ps.EMBEDS.get(name)
    if embeds is None:
        return
    ev = result.evidence.filter(pc.equal(result.evidence.column("kind"), "repost"))
    assert ev.num_rows > 0

    def values(column: str) -> set[Any]:
        return set(ev.column(column).to_pylist()) if column in ev.column_names else {None}

    assert values("object_author") == {embeds.author}
    assert values("object_author_name") == {embeds.name}
    texts = values("object_text")
    if embeds.text:
        assert all(str(t).startswith("Breaking: the council votes on plan") for t in texts)
    else:
        assert texts == {None}
    links = values("object_link")
    if embeds.link is None:
        assert links == {None}
    else:
        assert all(str(link).startswith(embeds.link) for link in links)


def test_reddit_folder_reads_each_file_on_its_own(story: list[ps.Item], tmp_path: Path) -> None:
    paths = ps.write_reddit(story, tmp_path)
    result = read_inputs([str(tmp_path / "reddit")])
    assert [f.format for f in result.files] == ["reddit", "reddit"]
    assert [f.path for f in result.files] == [str(p) for p in sorted(paths)]
    posts = {r["post_id"]: r for r in result.table.to_pylist()}
    replies = [r for r in posts.values() if r["post_id"].startswith("t1_")]
    assert replies and all(r["reply_to"].startswith("t3_") for r in replies)
    assert result.rejected == {"missing_account_id": 1}  # the [deleted] author


def test_reddit_escaped_entities_and_own_gallery(tmp_path: Path) -> None:
    """Pushshift and Arctic Shift keep Reddit's JSON as served without raw_json=1: ``&``,
    ``<``, ``>`` of titles, texts and links written as entities; created_utc as a number or
    text; a gallery post's url is its own gallery page, not a shared link."""
    submissions = _jsonl(
        tmp_path / "RS_2024-03.jsonl",
        [
            {
                "id": "1b6x0aa",
                "name": "t3_1b6x0aa",
                "author": "ann_k",
                "created_utc": 1709542800,
                "title": "Budget Q&amp;A: what &lt;really&gt; changes",
                "selftext": "",
                "is_self": False,
                "url": "https://video.example.org/watch?v=abc&amp;t=42",
                "subreddit": "civic",
                "permalink": "/r/civic/comments/1b6x0aa/budget_qa/",
            },
            {
                "id": "1b6x0bb",
                "author": "ben_r",
                "created_utc": "1709542805",
                "title": "Photos from the council meeting",
                "selftext": "",
                "is_self": False,
                "is_gallery": True,
                "url": "https://www.reddit.com/gallery/1b6x0bb",
                "subreddit": "civic",
                "permalink": "/r/civic/comments/1b6x0bb/photos/",
            },
        ],
    )
    comments = _jsonl(
        tmp_path / "RC_2024-03.jsonl",
        [
            {
                "id": "kt1aa01",
                "author": "cat_m",
                "created_utc": 1709542809.0,
                "body": "&gt; what really changes\n\nSee [the minutes](https://city.example.gov/"
                "minutes?id=7&amp;page=2) &amp; u/ann_k",
                "link_id": "t3_1b6x0aa",
                "parent_id": "t3_1b6x0aa",
                "subreddit": "civic",
                "permalink": "/r/civic/comments/1b6x0aa/budget_qa/kt1aa01/",
            }
        ],
    )
    posts = _posts([submissions, comments])
    first = posts["t3_1b6x0aa"]
    assert first["text"] == "Budget Q&A: what <really> changes"
    assert first["urls"] == ["https://video.example.org/watch?v=abc&t=42"]
    assert posts["t3_1b6x0bb"]["urls"] == []
    reply = posts["t1_kt1aa01"]
    assert reply["text"].startswith("> what really changes")
    assert reply["urls"] == ["https://city.example.gov/minutes?id=7&page=2"]
    assert reply["mentions"] == ["ann_k"]
    assert reply["reply_to"] == "t3_1b6x0aa"


# ---------------------------------------------------------------------------------------------
# Twitter
# ---------------------------------------------------------------------------------------------

_V2_PAGE = {
    "data": [
        {
            "id": "1500000000000000001",
            "author_id": "11",
            "created_at": "2023-05-02T10:00:00.000Z",
            "text": "Our new report https://t.co/AAA #Climate photo https://t.co/PIC",
            "entities": {
                "urls": [
                    {
                        "start": 15,
                        "end": 38,
                        "url": "https://t.co/AAA",
                        "expanded_url": "https://bit.ly/3xyz",
                        "unwound_url": "https://reports.example.org/2023/climate-report",
                        "display_url": "bit.ly/3xyz",
                    },
                    {
                        "start": 53,
                        "end": 76,
                        "url": "https://t.co/PIC",
                        "expanded_url": "https://twitter.com/alice/status/1500000000000000001/photo/1",
                        "display_url": "pic.twitter.com/PIC",
                        "media_key": "3_99",
                    },
                ],
                "hashtags": [{"start": 39, "end": 47, "tag": "Climate"}],
            },
        },
        {
            "id": "1500000000000000002",
            "author_id": "12",
            "created_at": "2023-05-02T10:00:04.000Z",
            "text": "RT @alice: Our new report https://t.co/AAA #Climate",
            "referenced_tweets": [{"type": "retweeted", "id": "1500000000000000001"}],
            "entities": {
                "urls": [
                    {
                        "url": "https://t.co/AAA",
                        "expanded_url": "https://reports.example.org/2023/climate",
                    }
                ],
                "hashtags": [{"tag": "Climate"}],
                "mentions": [{"username": "alice", "id": "11"}],
            },
        },
        {
            "id": "1500000000000000003",
            "author_id": "13",
            "created_at": "2023-05-02T10:01:00.000Z",
            "text": "This is wrong https://t.co/QQQ",
            "referenced_tweets": [{"type": "quoted", "id": "1500000000000000001"}],
            "entities": {
                "urls": [
                    {
                        "url": "https://t.co/QQQ",
                        "expanded_url": "https://twitter.com/alice/status/1500000000000000001",
                    }
                ]
            },
        },
        {
            "id": "1500000000000000004",
            "author_id": "14",
            "created_at": "2023-05-02T10:02:00.000Z",
            "text": "@alice agreed, see https://t.co/LNK",
            "referenced_tweets": [{"type": "replied_to", "id": "1500000000000000001"}],
            "entities": {
                "urls": [{"url": "https://t.co/LNK"}],
                "mentions": [{"username": "alice", "id": "11"}],
            },
        },
        {
            "id": "1500000000000000005",
            "author_id": "15",
            "created_at": "2023-05-02T10:03:00.000Z",
            "text": "A long post that Twitter cut…",
            "note_tweet": {
                "text": "A long post that Twitter cut in the text field but keeps "
                "whole in note_tweet #longform",
                "entities": {"hashtags": [{"tag": "longform"}]},
            },
        },
        {
            "id": "1500000000000000006",
            "author_id": "12",
            "created_at": "2023-05-02T10:04:00.000Z",
            "text": "RT @dave: not part of the collection, cut…",
            "referenced_tweets": [{"type": "retweeted", "id": "999"}],
        },
        {
            "id": "1500000000000000007",
            "author_id": "12",
            "created_at": "2023-05-02T10:05:00.000Z",
            "text": "@carol no",
            "in_reply_to_user_id": "78",
            "referenced_tweets": [{"type": "replied_to", "id": "888"}],
        },
    ],
    "includes": {
        "users": [
            {"id": "11", "username": "alice"},
            {"id": "12", "username": "bob"},
            {"id": "77", "username": "dave"},
            {"id": "78", "username": "carol"},
        ],
        "tweets": [
            {
                "id": "999",
                "author_id": "77",
                "text": "not part of the collection, cut…",
                "note_tweet": {"text": "not part of the collection, whole"},
                "created_at": "2020-01-01T00:00:00.000Z",
            }
        ],
    },
    "meta": {"result_count": 5},
}


def test_twitter_v2_page(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "page.jsonl", [_V2_PAGE, {"meta": {"result_count": 0}}])
    result = read_inputs([str(path)])
    assert result.files[0].format == "twitter-v2"
    assert result.rejected == {"not_a_post": 1}
    posts = {r["post_id"]: r for r in result.table.to_pylist()}
    assert "999" not in posts  # includes.tweets are referenced, not collected
    original = posts["1500000000000000001"]
    # the unwound link, never the t.co wrapper or the bit.ly hop; no photo link
    assert original["urls"] == ["https://reports.example.org/2023/climate-report"]
    assert original["hashtags"] == ["Climate"] and original["account_id"] == "11"
    retweet = posts["1500000000000000002"]
    assert retweet["repost_of"] == "1500000000000000001"
    assert retweet["urls"] == [] and retweet["hashtags"] == [] and retweet["mentions"] == []
    quote = posts["1500000000000000003"]
    assert quote["quote_of"] == "1500000000000000001" and quote["urls"] == []
    reply = posts["1500000000000000004"]
    assert reply["reply_to"] == "1500000000000000001" and reply["mentions"] == ["alice"]
    assert reply["urls"] == ["https://t.co/LNK"]  # nothing better given
    assert posts["1500000000000000005"]["hashtags"] == ["longform"]
    assert "whole in note_tweet" in posts["1500000000000000005"]["text"]
    links = dict(
        zip(
            result.permalinks.column("post_id").to_pylist(),
            result.permalinks.column("permalink").to_pylist(),
            strict=True,
        )
    )
    assert links["1500000000000000001"] == "https://twitter.com/alice/status/1500000000000000001"
    assert links["1500000000000000003"] == "https://twitter.com/i/web/status/1500000000000000003"
    # usernames from includes.users; the retweeted tweet from includes.tweets (its whole
    # note_tweet text), the replied-to one not included named by in_reply_to_user_id; the
    # quoted and replied-to tweets of the collection are posts, not references
    assert result.account_names is not None and result.references is not None
    names = dict(zip(*result.account_names.to_pydict().values(), strict=True))
    assert names == {
        "1500000000000000001": "alice",
        "1500000000000000002": "bob",
        "1500000000000000006": "bob",
        "1500000000000000007": "bob",
    }
    assert result.references.to_pylist() == [
        {
            "post_id": "888",
            "account_id": "78",
            "account_name": "carol",
            "text": None,
            "permalink": "https://twitter.com/carol/status/888",
        },
        {
            "post_id": "999",
            "account_id": "77",
            "account_name": "dave",
            "text": "not part of the collection, whole",
            "permalink": "https://twitter.com/dave/status/999",
        },
    ]


def test_twitter_v1_extended_and_nested_ids(tmp_path: Path) -> None:
    big = 1500000000000000123  # beyond 2**53: the id_str is taken, not a float
    status = {
        "created_at": "Tue May 02 10:00:00 +0000 2023",
        "id": big,
        "id_str": str(big),
        "text": "truncated… https://t.co/x",
        "truncated": True,
        "user": {"id": 42, "id_str": "42", "screen_name": "carol"},
        "extended_tweet": {
            "full_text": "The whole text with a link https://t.co/FULL #tag",
            "entities": {
                "urls": [{"url": "https://t.co/FULL", "expanded_url": "https://example.com/a"}],
                "hashtags": [{"text": "tag"}],
                "user_mentions": [],
            },
        },
        "entities": {
            "urls": [
                {"url": "https://t.co/x", "expanded_url": "https://twitter.com/i/web/status/1"}
            ]
        },
        "quoted_status_id_str": "777",
        "is_quote_status": True,
    }
    retweet = {
        "created_at": "Tue May 02 10:00:05 +0000 2023",
        "id_str": "2",
        "text": "RT @carol: The whole",
        "user": {"id_str": "43"},
        "retweeted_status": {**status},
        "entities": {
            "urls": [{"expanded_url": "https://example.com/a"}],
            "hashtags": [{"text": "tag"}],
        },
    }
    posts = _posts(_jsonl(tmp_path / "statuses.jsonl", [status, retweet]))
    own = posts[str(big)]
    assert own["account_id"] == "42" and own["quote_of"] == "777"
    assert own["text"].startswith("The whole text") and own["urls"] == ["https://example.com/a"]
    assert own["hashtags"] == ["tag"]
    assert posts["2"]["repost_of"] == str(big) and posts["2"]["urls"] == []


#: twarc-csv's columns the two entity tests below write (a subset, in its order)
_TWARC_CSV_HEADER = (
    "id,author_id,created_at,text,referenced_tweets.retweeted.id,"
    "referenced_tweets.quoted.id,referenced_tweets.replied_to.id,entities.urls,"
    "entities.hashtags,entities.mentions,author.username\n"
)


def test_twarc_csv_json_entities(tmp_path: Path) -> None:
    path = tmp_path / "tweets.csv"
    urls = json.dumps([{"url": "https://t.co/Z", "expanded_url": "https://example.com/z"}])
    tags = json.dumps([{"tag": "one"}, {"tag": "two"}])
    cells = '"' + urls.replace('"', '""') + '","' + tags.replace('"', '""') + '"'
    path.write_text(
        _TWARC_CSV_HEADER + f"10,1,2023-05-02T10:00:00.000Z,hello https://t.co/Z,,,,{cells},,ann\n"
        f"11,2,2023-05-02T10:00:02.000Z,RT @ann: hello,10,,,{cells},,ben\n",
        encoding="utf-8",
    )
    posts = _posts(path)
    assert posts["10"]["urls"] == ["https://example.com/z"]
    assert posts["10"]["hashtags"] == ["one", "two"]
    assert posts["11"]["repost_of"] == "10" and posts["11"]["hashtags"] == []


def test_twarc_csv_processed_entities(tmp_path: Path) -> None:
    """twarc-csv's default output: links as expanded URLs, a photo as its display URL,
    hashtags and mentions as '#tag' and '@name' strings."""
    path = tmp_path / "tweets.csv"
    urls = json.dumps(["https://example.com/z", "pic.twitter.com/AbC"])
    tags = json.dumps(["#One", "#two"])
    names = json.dumps(["@Ann"])
    cells = ",".join('"' + c.replace('"', '""') + '"' for c in (urls, tags, names))
    path.write_text(
        _TWARC_CSV_HEADER
        + f"10,1,2023-05-02T10:00:00.000Z,hello @Ann https://t.co/Z,,,,{cells},ann\n"
        f"11,2,2023-05-02T10:00:02.000Z,hello @Ann https://t.co/Z,10,,,{cells},ben\n",
        encoding="utf-8",
    )
    posts = _posts(path)
    assert posts["10"]["urls"] == ["https://example.com/z"]
    assert posts["10"]["hashtags"] == ["#One", "#two"]
    assert posts["10"]["mentions"] == ["@Ann"]
    assert posts["11"]["repost_of"] == "10" and posts["11"]["urls"] == []


def test_planted_group_found_from_twarc_csv_processed_entities(
    story: list[ps.Item], tmp_path: Path
) -> None:
    path = ps.write_twarc_csv_processed(story, tmp_path)
    result = ic.detect([str(path)], options=_OPTIONS)
    assert result.ingested is not None
    assert {f.format for f in result.ingested.files} == {"twarc-csv"}
    found = set(result.accounts.column("account_id").to_pylist())
    assert found == {ps._uid(a) for a in ps.PLANTED}
    kinds = set(result.evidence.column("kind").to_pylist())
    assert "url" in kinds  # the planted link coordination is seen through the plain strings


@pytest.mark.parametrize("name", ["twitter-v2", "twitter-v2-tweets", "telethon", "bluesky"])
def test_planted_group_found_from_json_lines_saved_as_json(
    name: str, story: list[ps.Item], tmp_path: Path
) -> None:
    """Line-per-record dumps are often saved under a .json name (``twarc2 search q
    tweets.json``, a Telethon or Jetstream dump): read as JSON Lines, not refused."""
    writer, ident = ps.WRITERS[name]
    written = writer(story, tmp_path)
    assert isinstance(written, Path)
    path = written.rename(tmp_path / "dump.json")
    result = ic.detect([str(path)], options=_OPTIONS)
    assert result.ingested is not None
    assert {f.format for f in result.ingested.files} == {name}
    found = set(result.accounts.column("account_id").to_pylist())
    assert found == {ident(a) for a in ps.PLANTED}


def test_json_file_of_concatenated_documents(tmp_path: Path) -> None:
    """Pretty-printed statuses written back to back in one .json file: each a record; a
    broken one names its line."""
    statuses = [
        {
            "id": str(n),
            "created_at": f"2023-05-02T10:00:0{n}.000Z",
            "content": f"<p>post {n}</p>",
            "account": {"id": str(n), "acct": f"user{n}"},
            "visibility": "public",
            "reblog": None,
        }
        for n in (1, 2)
    ]
    path = tmp_path / "statuses.json"
    path.write_text("\n".join(json.dumps(s, indent=2) for s in statuses), encoding="utf-8")
    posts = _posts(path)
    assert set(posts) == {"1", "2"} and posts["2"]["text"] == "post 2"
    path.write_text(json.dumps(statuses[0], indent=2) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(ic.InputError, match=r"line \d+.*JSON Lines"):
        _posts(path)


def test_planted_group_found_from_legacy_jetstream(story: list[ps.Item], tmp_path: Path) -> None:
    """Jetstream dumps recorded before October 2024: ``type`` com/id and ``commit.type`` c."""
    path = ps.write_bluesky_jetstream(story, tmp_path, legacy=True)
    assert '"type": "com"' in path.read_text(encoding="utf-8")
    result = ic.detect([str(path)], options=_OPTIONS)
    assert result.ingested is not None
    assert {f.format for f in result.ingested.files} == {"bluesky"}
    found = set(result.accounts.column("account_id").to_pylist())
    assert found == {ps._did(a) for a in ps.PLANTED}
    names = result.accounts.column("account_name").to_pylist()
    assert f"{ps.PLANTED[0]}.bsky.social" in names  # from the legacy identity events


@pytest.mark.parametrize("sse", [False, True])
def test_planted_group_found_from_mastodon_streaming_events(
    sse: bool, story: list[ps.Item], tmp_path: Path
) -> None:
    """The streaming API's events, saved from its WebSocket (event + payload as JSON text) or
    as server-sent events (``curl -N ... > public.txt``): updates are statuses, an edit of one
    already read is a duplicate, and the delete and notification events are counted rejects
    naming the event."""
    path = ps.write_mastodon_streaming(story, tmp_path, sse=sse)
    result = ic.detect([str(path)], options=_OPTIONS)
    assert result.ingested is not None
    assert {f.format for f in result.ingested.files} == {"mastodon"}
    found = set(result.accounts.column("account_id").to_pylist())
    assert found == {ps._uid(a) for a in ps.PLANTED}
    assert result.groups.num_rows == 1
    ingested = result.ingested
    assert ingested.rejected == {"not_a_post": 2, "duplicate_post_id": 1}
    rejects = ingested.rejects.to_pylist()
    delete, notification = (r for r in rejects if r["reason"] == "not_a_post")
    assert delete["detail"] == "a delete event (status 110000000000000001)"
    assert delete["line"] == (2 if sse else 1)  # the event's own line
    assert "notification event" in notification["detail"]


def test_mastodon_streaming_sse_reads_multiline_data_and_refuses_an_empty_stream(
    tmp_path: Path,
) -> None:
    status = _toot("1", "ann", "<p>hello <b>world</b></p>")
    text = json.dumps(status, indent=1)
    data = "".join(f"data: {line}\n" for line in text.splitlines())
    path = tmp_path / "stream.jsonl"
    path.write_text(f":)\nevent: update\n{data}\n:thump\n", encoding="utf-8")
    posts = _posts(path)
    assert posts["1"]["text"] == "hello world"
    empty = tmp_path / "empty.sse"
    empty.write_text(":)\n:thump\n:thump\n", encoding="utf-8")
    with pytest.raises(ic.InputError, match=r"empty\.sse: .*unsupported file type"):
        read_inputs([str(empty)])
    empty = tmp_path / "empty.json"
    empty.write_text(":)\nevent: update\n\n:thump\n", encoding="utf-8")
    with pytest.raises(ic.InputError, match=r"empty\.json: .*server-sent events.*no events"):
        read_inputs([str(empty)])


def test_zstandard_reddit_dump_stops_with_what_to_do(tmp_path: Path) -> None:
    """Pushshift / Arctic Shift dumps come as .zst (a 2 GB window): named alone or found in a
    folder beside readable files, the run stops naming the file and how to decompress it,
    instead of skipping it."""
    dump = tmp_path / "dumps" / "RC_2023-01.zst"
    dump.parent.mkdir()
    dump.write_bytes(b"\x28\xb5\x2f\xfd")  # a zstandard frame's magic number
    _jsonl(tmp_path / "dumps" / "RS_2023-01.jsonl", [])
    for given in (dump, dump.parent):
        with pytest.raises(ic.InputError, match=r"RC_2023-01\.zst: .*zstandard.*--long=31"):
            read_inputs([str(given)])


def test_io_archive_bracket_lists(tmp_path: Path) -> None:
    path = tmp_path / "io.csv"
    path.write_text(
        "tweetid,userid,tweet_time,tweet_text,is_retweet,retweet_tweetid,hashtags,urls,"
        "user_mentions,in_reply_to_tweetid,quoted_tweet_tweetid\n"
        '1,abc==,2017-01-01 12:34,Vote! http://t.co/x,False,,"[vote, now]",'
        '"[http://example.org/x]",[55],,\n'
        "2,def==,2017-01-01 12:35,RT @x: Vote!,True,1,[vote],[http://example.org/x],[],,\n",
        encoding="utf-8",
    )
    posts = _posts(path)
    assert posts["1"]["hashtags"] == ["vote", "now"]
    assert posts["1"]["urls"] == ["http://example.org/x"]
    assert posts["2"]["repost_of"] == "1" and posts["2"]["urls"] == []


def test_4cat_comma_lists_and_derived_reposts(tmp_path: Path) -> None:
    path = tmp_path / "4cat.csv"
    path.write_text(
        "id,thread_id,timestamp,unix_timestamp,body,author,author_id,is_retweet,"
        "retweeted_user,is_quote_tweet,is_reply,hashtags,urls,mentions\n"
        "1,1,2023-05-02 10:00:00,1683021600,Read https://t.co/a,ann,1,no,,no,no,"
        '"news,politics",https://example.com/a,\n'
        "2,2,2023-05-02 10:00:03,1683021603,RT @ann: Read https://t.co/a,ben,2,yes,ann,no,no,"
        '"news,politics",https://example.com/a,ann\n'
        "3,3,2023-05-02 10:00:04,1683021604,RT @ann: Read https://t.co/a,cat,3,yes,ann,no,no,"
        '"news,politics",https://example.com/a,ann\n',
        encoding="utf-8",
    )
    posts = _posts(path)
    assert posts["1"]["hashtags"] == ["news", "politics"]
    assert posts["2"]["repost_of"] == posts["3"]["repost_of"] is not None
    assert posts["2"]["hashtags"] == [] and posts["2"]["urls"] == []


def test_4cat_telegram_message_without_sender_is_the_chats(tmp_path: Path) -> None:
    """4CAT's Telegram rows name the sender by id (author), username and first/last name; a
    channel post whose sender 4CAT did not resolve has all three empty: the chat posted it."""
    columns = (
        "id,thread_id,chat,author,author_username,author_name,author_is_bot,body,is_reply,"
        "reply_to,views,reactions,timestamp,unix_timestamp,author_forwarded_from_name,"
        "author_forwarded_from_username,author_forwarded_from_id,entities_linked,"
        "entities_mentioned,link_attached,attachment_type\n"
    )
    path = tmp_path / "4cat-telegram.csv"
    path.write_text(
        columns + "citynews-10,citynews,citynews,,,,no,Council votes today,False,,120,,"
        "2024-03-04 09:00:00,1709542800,,,,,,https://news.example.org/a,url\n"
        "citychat-7,citychat,citychat,5550101,ann_k,Ann K,no,Agreed,True,6,,,"
        "2024-03-04 09:00:05,1709542805,,,,,,,\n"
        "citychat-8,citychat,citychat,5550102,,Ben,no,Same,False,,,,"
        "2024-03-04 09:00:09,1709542809,,,,,,,\n",
        encoding="utf-8",
    )
    result = read_inputs([str(path)])
    assert [f.format for f in result.files] == ["4cat"] and result.files[0].rejected == {}
    posts = {row["post_id"]: row for row in result.table.to_pylist()}
    assert posts["citynews-10"]["account_id"] == "citynews"
    assert posts["citynews-10"]["urls"] == ["https://news.example.org/a"]
    assert posts["citychat-7"]["account_id"] == "5550101"
    assert posts["citychat-7"]["reply_to"] == "citychat-6"
    assert result.account_names is not None
    names = {r["post_id"]: r["account_name"] for r in result.account_names.to_pylist()}
    assert names == {"citychat-7": "ann_k", "citychat-8": "Ben"}


# ---------------------------------------------------------------------------------------------
# Telegram
# ---------------------------------------------------------------------------------------------


def test_telegram_desktop_parts_links_forwards(tmp_path: Path) -> None:
    document = {
        "name": "News channel",
        "type": "public_channel",
        "id": 1234567890,
        "messages": [
            {
                "id": 1,
                "type": "service",
                "date": "2023-05-01T09:00:00",
                "date_unixtime": "1682931600",
                "actor": "News",
                "actor_id": "channel1234567890",
                "action": "pin_message",
                "text": "",
            },
            {
                "id": 2,
                "type": "message",
                "date": "2023-05-01T12:00:00",
                "date_unixtime": "1682935200",
                "from": "News",
                "from_id": "channel1234567890",
                "text": [
                    "Breaking: ",
                    {"type": "text_link", "text": "the story", "href": "https://example.org/story"},
                    " and https://example.org/other ",
                    {"type": "hashtag", "text": "#war"},
                ],
                "text_entities": [
                    {"type": "plain", "text": "Breaking: "},
                    {"type": "text_link", "text": "the story", "href": "https://example.org/story"},
                    {"type": "plain", "text": " and "},
                    {"type": "link", "text": "https://example.org/other"},
                    {"type": "plain", "text": " "},
                    {"type": "hashtag", "text": "#war"},
                    {"type": "mention", "text": "@someone"},
                ],
            },
            {
                "id": 3,
                "type": "message",
                "date": "2023-05-01T12:00:05",
                "date_unixtime": "1682935205",
                "from": "News",
                "from_id": "channel1234567890",
                "forwarded_from": "Other channel",
                "text": "Copied text #tag",
                "text_entities": [
                    {"type": "plain", "text": "Copied text "},
                    {"type": "hashtag", "text": "#tag"},
                ],
            },
            {
                "id": 4,
                "type": "message",
                "date": "2023-05-01T12:01:00",
                "date_unixtime": "1682935260",
                "from": "News",
                "from_id": "channel1234567890",
                "reply_to_message_id": 2,
                "text": "Update",
            },
        ],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = read_inputs([str(path)])
    assert result.files[0].format == "telegram-desktop"
    assert result.rejected == {"not_a_post": 1}
    posts = {r["post_id"]: r for r in result.table.to_pylist()}
    first = posts["1234567890/2"]
    assert first["text"] == "Breaking: the story and https://example.org/other #war"
    assert first["urls"] == ["https://example.org/story", "https://example.org/other"]
    assert first["hashtags"] == ["war"] and first["mentions"] == ["someone"]
    assert first["account_id"] == "channel1234567890"
    assert first["timestamp"].isoformat() == "2023-05-01T10:00:00+00:00"
    forward = posts["1234567890/3"]
    assert forward["repost_of"] and forward["hashtags"] == []
    assert posts["1234567890/4"]["reply_to"] == "1234567890/2"


def test_telegram_desktop_account_export_left_chats_and_unnamed_forwards(
    tmp_path: Path,
) -> None:
    """A whole account's export lists the channels it has left under left_chats; a forward
    whose source the export cannot name has forwarded_from null and is still a forward."""

    def message(ident: int, sender: str, text: str, **more: Any) -> dict[str, Any]:
        return {
            "id": ident,
            "type": "message",
            "date": f"2024-03-01T12:00:0{ident}",
            "date_unixtime": str(1709294400 + ident),
            "from": sender.title(),
            "from_id": f"user{len(sender)}{ident}",
            "text": text,
            "text_entities": [{"type": "plain", "text": text}],
            **more,
        }

    export = {
        "about": "Here is the data you requested.",
        "chats": {
            "about": "This page lists all chats from this export.",
            "list": [
                {
                    "name": "Group",
                    "type": "private_supergroup",
                    "id": 1500,
                    "messages": [message(1, "ann", "hello")],
                }
            ],
        },
        "left_chats": {
            "about": "This page lists all supergroups and channels you've left.",
            "list": [
                {
                    "name": "Old channel",
                    "type": "public_supergroup",
                    "id": 1600,
                    "messages": [
                        message(2, "ben", "copied words", forwarded_from=None),
                        message(3, "cy", "copied words", forwarded_from=None),
                    ],
                }
            ],
        },
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    assert _formats(path) == ["telegram-desktop"]
    posts = _posts(path)
    assert set(posts) == {"1500/1", "1600/2", "1600/3"}
    assert posts["1500/1"]["repost_of"] is None
    assert posts["1600/2"]["repost_of"] is not None
    assert posts["1600/2"]["repost_of"] == posts["1600/3"]["repost_of"]


def test_telethon_utf16_entities_and_forward(tmp_path: Path) -> None:
    text = "🔥 Big news #Breaking at site"
    records = [
        {
            "_": "Message",
            "id": 55,
            "peer_id": {"_": "PeerChannel", "channel_id": 777},
            "date": "2023-05-01 12:00:00+00:00",
            "message": text,
            "from_id": None,
            "entities": [
                {"_": "MessageEntityHashtag", "offset": 12, "length": 9},
                {
                    "_": "MessageEntityTextUrl",
                    "offset": 25,
                    "length": 4,
                    "url": "https://example.org/x",
                },
            ],
            "fwd_from": None,
        },
        {
            "_": "Message",
            "id": 56,
            "peer_id": {"_": "PeerChannel", "channel_id": 888},
            "date": "2023-05-01 12:00:04+00:00",
            "message": text,
            "fwd_from": {
                "_": "MessageFwdHeader",
                "from_id": {"_": "PeerChannel", "channel_id": 777},
                "channel_post": 55,
                "date": "2023-05-01 12:00:00+00:00",
            },
            "entities": [],
        },
        {
            "_": "MessageService",
            "id": 57,
            "peer_id": {"_": "PeerChannel", "channel_id": 888},
            "date": "2023-05-01 12:00:09+00:00",
            "action": {"_": "MessageActionPinMessage"},
        },
    ]
    result = read_inputs([str(_jsonl(tmp_path / "tg.jsonl", records))])
    posts = {r["post_id"]: r for r in result.table.to_pylist()}
    assert posts["777/55"]["hashtags"] == ["Breaking"]
    assert posts["777/55"]["urls"] == ["https://example.org/x"]
    assert posts["777/55"]["account_id"] == "channel777"
    assert posts["888/56"]["repost_of"] == "777/55"
    assert result.rejected == {"not_a_post": 1}


# ---------------------------------------------------------------------------------------------
# Bluesky, Mastodon
# ---------------------------------------------------------------------------------------------


def test_bluesky_facets_not_truncated_text(tmp_path: Path) -> None:
    did = "did:plc:abc123"
    records = []
    for i, story in enumerate(("one", "two")):
        records.append(
            {
                "did": did,
                "time_us": 1714550400000000 + i,
                "kind": "commit",
                "commit": {
                    "rev": "r",
                    "operation": "create",
                    "collection": "app.bsky.feed.post",
                    "rkey": f"3k{i}",
                    "cid": "c",
                    "record": {
                        "$type": "app.bsky.feed.post",
                        "text": "see news.example.com/2024/05/01/lon...",
                        "createdAt": "2024-05-01T08:00:00.000Z",
                        "facets": [
                            {
                                "index": {"byteStart": 4, "byteEnd": 38},
                                "features": [
                                    {
                                        "$type": "app.bsky.richtext.facet#link",
                                        "uri": f"https://news.example.com/2024/05/01/"
                                        f"long-story-{story}",
                                    }
                                ],
                            }
                        ],
                        "embed": {
                            "$type": "app.bsky.embed.record",
                            "record": {"uri": "at://did:plc:q/app.bsky.feed.post/3kq", "cid": "c"},
                        },
                    },
                },
            }
        )
    records.append(
        {
            "did": did,
            "time_us": 1714550400000009,
            "kind": "commit",
            "commit": {"operation": "delete", "collection": "app.bsky.feed.post", "rkey": "3k0"},
        }
    )
    result = read_inputs([str(_jsonl(tmp_path / "jetstream.jsonl", records))])
    posts = {r["post_id"]: r for r in result.table.to_pylist()}
    first = posts[f"at://{did}/app.bsky.feed.post/3k0"]
    assert first["urls"] == ["https://news.example.com/2024/05/01/long-story-one"]
    assert posts[f"at://{did}/app.bsky.feed.post/3k1"]["urls"] == [
        "https://news.example.com/2024/05/01/long-story-two"
    ]
    assert first["quote_of"] == "at://did:plc:q/app.bsky.feed.post/3kq"
    assert first["account_id"] == did
    assert result.rejected == {"not_a_post": 1}


def _view(did: str, handle: str, rkey: str, text: str, **more: Any) -> dict[str, Any]:
    return {
        "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
        "cid": "c",
        "author": {"did": did, "handle": handle},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": "2024-05-01T08:00:00Z",
        },
        "indexedAt": "2024-05-01T08:00:01Z",
        **more,
    }


def test_bluesky_views_give_handles_and_embedded_posts(tmp_path: Path) -> None:
    """A getAuthorFeed page: the author's handle is the account name; the post a feed item
    reposts, a quote's record view and a reply's parent, none of them in the collection, are
    referenced posts with author, handle, text and link."""
    outside = _view("did:plc:c", "c.example.org", "3c", "the original, whole")
    quoted = {
        "$type": "app.bsky.embed.record#viewRecord",
        "uri": "at://did:plc:d/app.bsky.feed.post/3d",
        "author": {"did": "did:plc:d", "handle": "d.bsky.social"},
        "value": {"$type": "app.bsky.feed.post", "text": "quoted words"},
    }
    quote = _view(
        "did:plc:b",
        "b.bsky.social",
        "3q",
        "look at this",
        embed={"$type": "app.bsky.embed.record#view", "record": quoted},
    )
    quote["record"]["embed"] = {
        "$type": "app.bsky.embed.record",
        "record": {"uri": quoted["uri"], "cid": "c"},
    }
    page = {
        "feed": [
            {
                "post": outside,
                "reason": {
                    "$type": "app.bsky.feed.defs#reasonRepost",
                    "by": {"did": "did:plc:b", "handle": "b.bsky.social"},
                    "indexedAt": "2024-05-01T08:00:09Z",
                },
            },
            {"post": quote},
            {
                "post": _view("did:plc:b", "b.bsky.social", "3r", "I agree"),
                "reply": {"parent": _view("did:plc:e", "e.bsky.social", "3e", "a question")},
            },
        ],
        "cursor": "x",
    }
    result = read_inputs([str(_jsonl(tmp_path / "feed.jsonl", [page]))])
    assert result.files[0].format == "bluesky"
    assert result.account_names is not None and result.references is not None
    assert set(result.account_names.column("account_name").to_pylist()) == {"b.bsky.social"}
    refs = {r["post_id"]: r for r in result.references.to_pylist()}
    assert refs == {
        outside["uri"]: {
            "post_id": outside["uri"],
            "account_id": "did:plc:c",
            "account_name": "c.example.org",
            "text": "the original, whole",
            "permalink": "https://bsky.app/profile/c.example.org/post/3c",
        },
        quoted["uri"]: {
            "post_id": quoted["uri"],
            "account_id": "did:plc:d",
            "account_name": "d.bsky.social",
            "text": "quoted words",
            "permalink": "https://bsky.app/profile/d.bsky.social/post/3d",
        },
        "at://did:plc:e/app.bsky.feed.post/3e": {
            "post_id": "at://did:plc:e/app.bsky.feed.post/3e",
            "account_id": "did:plc:e",
            "account_name": "e.bsky.social",
            "text": "a question",
            "permalink": "https://bsky.app/profile/e.bsky.social/post/3e",
        },
    }


def test_bluesky_feed_view_repost_reason(tmp_path: Path) -> None:
    view = {
        "post": {
            "uri": "at://did:plc:a/app.bsky.feed.post/3x",
            "cid": "c",
            "author": {"did": "did:plc:a", "handle": "a.bsky.social"},
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "hello",
                "createdAt": "2024-05-01T08:00:00Z",
            },
            "indexedAt": "2024-05-01T08:00:01Z",
        },
        "reason": {
            "$type": "app.bsky.feed.defs#reasonRepost",
            "by": {"did": "did:plc:b", "handle": "b.bsky.social"},
            "indexedAt": "2024-05-01T08:00:09Z",
        },
    }
    plain = {"post": view["post"]}
    posts = _posts(_jsonl(tmp_path / "feed.jsonl", [plain, view]))
    repost = next(p for p in posts.values() if p["account_id"] == "did:plc:b")
    assert repost["repost_of"] == "at://did:plc:a/app.bsky.feed.post/3x"


def test_mastodon_html_tags_mentions_are_not_links(tmp_path: Path) -> None:
    status = {
        "id": "110001",
        "created_at": "2023-05-01T12:00:00.000Z",
        "visibility": "public",
        "in_reply_to_id": "109999",
        "spoiler_text": "",
        "url": "https://s.example/@ann/110001",
        "account": {"id": "7", "username": "ann", "acct": "ann"},
        "content": '<p><span class="h-card"><a href="https://s.example/@bob" class="u-url '
        'mention">@<span>bob</span></a></span> read <a href="https://example.org/'
        'a/very/long/path" rel="nofollow noopener" target="_blank"><span '
        'class="invisible">https://</span><span class="ellipsis">example.org/a/'
        'very</span><span class="invisible">/long/path</span></a> <a href="https:'
        '//s.example/tags/News" class="mention hashtag" rel="tag">#<span>News</span>'
        "</a></p><p>second &amp; last</p>",
        "in_reply_to_account_id": "8",
        "mentions": [
            {"id": "8", "username": "bob", "acct": "bob", "url": "https://s.example/@bob"}
        ],
        "tags": [{"name": "News", "url": "https://s.example/tags/News"}],
        "card": {"url": "https://example.org/a/very/long/path"},
        "reblog": None,
    }
    boost = {
        "id": "110002",
        "created_at": "2023-05-01T12:00:03.000Z",
        "visibility": "public",
        "content": "",
        "account": {"id": "9", "username": "cy", "acct": "cy@other.example"},
        "mentions": [],
        "tags": [],
        "reblog": status,
    }
    path = tmp_path / "statuses.json"
    path.write_text(json.dumps([status, boost]), encoding="utf-8")
    posts = _posts(path)
    own = posts["110001"]
    assert own["text"] == "@bob read https://example.org/a/very/long/path #News\nsecond & last"
    assert own["urls"] == ["https://example.org/a/very/long/path"]
    assert own["hashtags"] == ["News"] and own["mentions"] == ["bob"]
    assert own["reply_to"] == "109999" and own["account_id"] == "7"
    assert posts["110002"]["repost_of"] == "110001" and posts["110002"]["urls"] == []
    # handles: the acct, a remote account's with its server; the replied-to status, outside
    # the collection, named by its author's acct from the mentions
    result = read_inputs([str(path)])
    assert result.account_names is not None and result.references is not None
    assert dict(zip(*result.account_names.to_pydict().values(), strict=True)) == {
        "110001": "ann",
        "110002": "cy@other.example",
    }
    assert result.references.to_pylist() == [
        {
            "post_id": "109999",
            "account_id": "8",
            "account_name": "bob",
            "text": None,
            "permalink": None,
        }
    ]


def _toot(ident: str, acct: str, content: str, **extra: Any) -> dict[str, Any]:
    user = acct.split("@")[0]
    host = acct.split("@")[1] if "@" in acct else "s.example"
    return ps.mastodon_status(
        ident,
        f"2025-10-02T08:00:{int(ident) % 60:02d}.000Z",
        user,
        host,
        {"id": str(900 + len(user)), "username": user, "acct": acct},
        content,
        **extra,
    )


def test_mastodon_quote_fallback_shallow_quote_and_search_response(tmp_path: Path) -> None:
    """Mastodon 4.4 quotes: the API's quote object (state, quoted_status; a quote nested in a
    quoted status is shallow: quoted_status_id), and the "RE: <link>" paragraph of class
    quote-inline the server adds to the content, which is neither the quoting account's text
    nor a link it shared; statuses from an /api/v2/search response."""
    quoted = _toot(
        "115300000000000001",
        "newsdesk@news.example",
        "<p>Council votes on the plan today</p>",
        quote={"state": "accepted", "quoted_status_id": "115299999999999999"},
    )
    fallback = (
        '<p class="quote-inline">RE: <a href="https://news.example/@newsdesk/'
        '115300000000000001" target="_blank" rel="nofollow noopener"><span class="invisible">'
        'https://</span><span class="ellipsis">news.example/@newsdesk/1153</span><span '
        'class="invisible">00000000000001</span></a></p>'
    )
    quote = _toot(
        "115300000000000002",
        "ann",
        fallback + "<p>This is wrong, read "
        '<a href="https://blog.example.net/why" rel="nofollow noopener" target="_blank">'
        '<span class="invisible">https://</span><span class="">blog.example.net/why</span>'
        '<span class="invisible"></span></a></p>',
        quote={"state": "accepted", "quoted_status": quoted},
    )
    pending = _toot(
        "115300000000000003",
        "ben@other.example",
        '<p>Same here<span class="quote-inline"><br/><br/>RE: <a href="https://news.'
        'example/@newsdesk/115300000000000001">https://news.example/@newsdesk/'
        "115300000000000001</a></span></p>",
        quote={"state": "pending", "quoted_status": None},
    )
    path = _jsonl(
        tmp_path / "search.jsonl",
        [{"accounts": [], "statuses": [quote, pending], "hashtags": []}],
    )
    result = read_inputs([str(path)])
    assert [f.format for f in result.files] == ["mastodon"]
    posts = {row["post_id"]: row for row in result.table.to_pylist()}
    own = posts["115300000000000002"]
    assert own["text"] == "This is wrong, read https://blog.example.net/why"
    assert own["urls"] == ["https://blog.example.net/why"]
    assert own["quote_of"] == "115300000000000001"
    other = posts["115300000000000003"]
    assert other["text"] == "Same here" and other["urls"] == [] and other["quote_of"] is None
    assert result.references is not None
    refs = {r["post_id"]: r for r in result.references.to_pylist()}
    assert refs["115300000000000001"]["account_name"] == "newsdesk@news.example"
    assert refs["115300000000000001"]["text"] == "Council votes on the plan today"
    nested = _jsonl(tmp_path / "quoted.jsonl", [quoted])
    assert _posts(nested)["115300000000000001"]["quote_of"] == "115299999999999999"


# ---------------------------------------------------------------------------------------------
# Facebook, YouTube, TikTok, articles
# ---------------------------------------------------------------------------------------------


def test_crowdtangle_edt_times_and_final_links(tmp_path: Path) -> None:
    path = tmp_path / "ct.csv"
    path.write_text(
        "Page Name,User Name,Facebook Id,Post Created,Type,URL,Message,Link,Final Link\n"
        "Daily,daily,100,2021-03-01 14:33:12 EDT,Link,https://www.facebook.com/100/posts/1,"
        "Look #Vote,https://bit.ly/x,https://example.org/vote\n"
        "Daily,daily,100,2021-01-01 09:00:00 EST,Status,https://www.facebook.com/100/posts/2,"
        "Winter,,\n",
        encoding="utf-8",
    )
    result = read_inputs([str(path)])
    assert result.rejected == {}
    posts = {r["post_id"]: r for r in result.table.to_pylist()}
    first = posts["https://www.facebook.com/100/posts/1"]
    assert first["timestamp"].isoformat() == "2021-03-01T18:33:12+00:00"
    assert first["urls"] == ["https://example.org/vote"]
    assert first["hashtags"] is None  # taken from the text by the actions stage
    assert posts["https://www.facebook.com/100/posts/2"]["timestamp"].hour == 14


def test_crowdtangle_shared_links_follow_coornet(tmp_path: Path) -> None:
    """The link each kind of CrowdTangle post shares, as CooRnet reads historical-data CSVs:
    a Photo or Video post's Link is its own media page (not shared); a YouTube post's and
    another page's photo are shared; a re-share shares the post its Link names; a Link post's
    short link written in its message is not a second link beside its Final Link."""
    import csv

    columns = [
        "Page Name", "User Name", "Facebook Id", "Page Category", "Post Created", "Type",
        "URL", "Message", "Link", "Final Link", "Image Text", "Link Text", "Description",
    ]  # fmt: skip
    fb = "https://www.facebook.com"
    rows = [
        ["Link", "https://bit.ly/3xYz", "https://news.example.org/story", "Story", ""],
        ["Photo", f"{fb}/dailynews/photos/a.10/11/?type=3", "", "", ""],
        ["Native Video", f"{fb}/100200/videos/12/", "", "", ""],
        ["YouTube", "https://www.youtube.com/watch?v=abc123", "", "Clip", ""],
        ["Photo", f"{fb}/otherpage/photos/a.5/6/?type=3", "", "", ""],
        ["Link", f"{fb}/otherpage/posts/77", "", "This is a re-share of a post", ""],
        ["Status", "", "", "", ""],
    ]
    path = tmp_path / "2021-03-04-17-05-11-EST-Historical-Report-daily.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for n, (kind, link, final, link_text, description) in enumerate(rows, start=1):
            message = "Read this https://bit.ly/3xYz" if n == 1 else f"Post {n}"
            if n == 7:
                message = "See https://blog.example.net/why"
            writer.writerow(
                ["Daily News", "dailynews", "100200", "MEDIA_NEWS_COMPANY",
                 f"2021-03-04 09:0{n}:00 EST", kind, f"{fb}/dailynews/posts/{n}", message,
                 link, final, "", link_text, description]
            )  # fmt: skip
    posts = _posts(path)
    urls = {p.rsplit("/", 1)[1]: posts[p]["urls"] for p in posts}
    assert urls == {
        "1": ["https://news.example.org/story"],
        "2": [],
        "3": [],
        "4": ["https://www.youtube.com/watch?v=abc123"],
        "5": [f"{fb}/otherpage/photos/a.5/6/?type=3"],
        "6": [f"{fb}/otherpage/posts/77"],
        "7": ["https://blog.example.net/why"],
    }
    assert posts[f"{fb}/dailynews/posts/1"]["account_id"] == "100200"
    assert posts[f"{fb}/dailynews/posts/1"]["timestamp"].isoformat() == "2021-03-04T14:01:00+00:00"


def test_crowdtangle_instagram_export(tmp_path: Path) -> None:
    """An Instagram historical-data CSV: Account (the name) and User Name (the handle), the
    caption in Description, Type Album/Photo/Video, Link and URL both the post itself."""
    path = tmp_path / "instagram.csv"
    path.write_text(
        "Account,User Name,Followers at Posting,Post Created,Post Created Date,"
        "Post Created Time,Type,Total Interactions,Likes,Comments,Views,URL,Link,Photo,"
        "Title,Description,Image Text,Sponsor Id,Sponsor Name,Total Interactions (weighted)\n"
        "Daily News,dailynews,5000,2021-03-04 09:00:00 EST,2021-03-04,09:00:00,Album,10,9,1,0,"
        "https://www.instagram.com/p/CMAbc1/,https://www.instagram.com/p/CMAbc1/,"
        'https://scontent.cdninstagram.com/x.jpg,,"Vote today #vote @council '
        'news.example.org/vote",,,,10\n',
        encoding="utf-8",
    )
    result = read_inputs([str(path)])
    assert [f.format for f in result.files] == ["crowdtangle"]
    row = result.table.to_pylist()[0]
    assert row["platform"] == "instagram" and row["account_id"] == "dailynews"
    assert row["text"] == "Vote today #vote @council news.example.org/vote"
    assert "https://www.instagram.com/p/CMAbc1/" not in (row["urls"] or [])


def test_youtube_threads_and_replies(tmp_path: Path) -> None:
    thread = {
        "kind": "youtube#commentThread",
        "id": "UgA",
        "snippet": {
            "videoId": "vid1",
            "topLevelComment": {
                "kind": "youtube#comment",
                "id": "UgA",
                "snippet": {
                    "videoId": "vid1",
                    "textDisplay": 'See <a href="https://example.org/x">https://example.org/x</a>',
                    "textOriginal": "See https://example.org/x",
                    "authorChannelId": {"value": "UC1"},
                    "publishedAt": "2024-01-01T10:00:00Z",
                },
            },
            "totalReplyCount": 1,
        },
        "replies": {
            "comments": [
                {
                    "kind": "youtube#comment",
                    "id": "UgA.r1",
                    "snippet": {
                        "videoId": "vid1",
                        "parentId": "UgA",
                        "textOriginal": "no",
                        "authorChannelId": {"value": "UC2"},
                        "publishedAt": "2024-01-01T10:00:05Z",
                    },
                }
            ]
        },
    }
    page = {"kind": "youtube#commentThreadListResponse", "items": [thread]}
    posts = _posts(_jsonl(tmp_path / "yt.jsonl", [page]))
    assert posts["UgA"]["reply_to"] == "vid1" and posts["UgA"]["urls"] == ["https://example.org/x"]
    assert posts["UgA.r1"]["reply_to"] == "UgA" and posts["UgA.r1"]["account_id"] == "UC2"


def test_youtube_timestamp_and_hashtag_links_are_not_shared_links(tmp_path: Path) -> None:
    """textDisplay turns a timestamp (``1:23``) into a link to the comment's own video at
    that time and a hashtag into a link to its page: neither is a link the commenter shared.
    A link to another video, with or without a time, is one."""

    def comment(ident: str, display: str, original: str) -> dict[str, Any]:
        return {
            "kind": "youtube#commentThread",
            "id": ident,
            "snippet": {
                "videoId": "vidA",
                "topLevelComment": {
                    "kind": "youtube#comment",
                    "id": ident,
                    "snippet": {
                        "channelId": "UCowner",
                        "videoId": "vidA",
                        "textDisplay": display,
                        "textOriginal": original,
                        "authorDisplayName": "@viewer",
                        "authorChannelId": {"value": "UC" + ident},
                        "publishedAt": "2024-02-01T10:00:00Z",
                    },
                },
            },
        }

    own = '<a href="https://www.youtube.com/watch?v=vidA&amp;t=83">1:23</a> wow'
    tag = '<a href="https://www.youtube.com/hashtag/vote">#vote</a> now'
    other = (
        'see <a href="https://www.youtube.com/watch?v=vidB&amp;t=5">'
        "https://www.youtube.com/watch?v=vidB&amp;t=5</a> and "
        '<a href="https://www.youtube.com/watch?v=vidA&amp;t=10">0:10</a>'
    )
    page = {
        "kind": "youtube#commentThreadListResponse",
        "items": [
            comment("c1", own, "1:23 wow"),
            comment("c2", tag, "#vote now"),
            comment("c3", other, "see https://www.youtube.com/watch?v=vidB&t=5 and 0:10"),
        ],
    }
    posts = _posts(_jsonl(tmp_path / "yt.jsonl", [page]))
    assert posts["c1"]["urls"] == [] and posts["c1"]["text"] == "1:23 wow"
    assert posts["c2"]["urls"] == [] and posts["c2"]["hashtags"] is None  # from the text
    assert posts["c3"]["urls"] == ["https://www.youtube.com/watch?v=vidB&t=5"]


def test_tiktok_pages(tmp_path: Path) -> None:
    page = {
        "data": {
            "videos": [
                {
                    "id": 7300000000000000001,
                    "create_time": 1700000000,
                    "username": "dancer",
                    "video_description": "hi #fyp",
                    "hashtag_names": ["fyp"],
                    "region_code": "US",
                }
            ],
            "cursor": 1,
            "has_more": False,
        },
        "error": {"code": "ok"},
    }
    posts = _posts(_jsonl(tmp_path / "tt.jsonl", [page]))
    video = posts["7300000000000000001"]
    assert video["account_id"] == "dancer" and video["hashtags"] == ["fyp"]
    assert video["timestamp"].isoformat() == "2023-11-14T22:13:20+00:00"


_TT_VIDEO = 7300000000000000009


def _tt_comment(ident: int, parent: int | None, seconds: int, text: str) -> dict[str, Any]:
    """A comment with the Research API's complete list of comment fields (no author)."""
    comment: dict[str, Any] = {
        "id": ident,
        "video_id": _TT_VIDEO,
        "text": text,
        "like_count": 2,
        "reply_count": 0,
        "create_time": 1700000000 + seconds,
    }
    if parent is not None:
        comment["parent_comment_id"] = parent
    return comment


def _tt_comments() -> list[dict[str, Any]]:
    return [
        _tt_comment(7310000000000000001, _TT_VIDEO, 0, "so true #fyp @dancer https://ex.org/a"),
        _tt_comment(7310000000000000002, 7310000000000000001, 5, "no it is not"),
        _tt_comment(7310000000000000003, None, 9, "first"),
    ]


def test_tiktok_traktok_table_and_mention_list(tmp_path: Path) -> None:
    """traktok's tt_search_api table renames the API's id and username (video_id,
    author_name) and turns create_time into a time; R's data.table writes its list columns
    joined by |. The API's video_mention_list names the mentioned accounts."""
    table = tmp_path / "tt_videos.csv"
    table.write_text(
        "video_id,author_name,view_count,comment_count,region_code,create_time,effect_ids,"
        "music_id,video_description,hashtag_names,voice_to_text\n"
        "7342000000000000001,ann.k,40,0,US,2024-03-04T09:00:02Z,,7001,"
        "Vote no on plan d0 #topic00 #council,topic00|council,vote no\n"
        "7342000000000000002,ben.r,41,0,US,2024-03-04T09:00:05Z,,7002,"
        "Vote no on plan d0 #topic00,topic00,\n",
        encoding="utf-8",
    )
    result = read_inputs([str(table)])
    assert [f.format for f in result.files] == ["tiktok-csv"] and result.files[0].rejected == {}
    posts = {row["post_id"]: row for row in result.table.to_pylist()}
    first = posts["7342000000000000001"]
    assert first["account_id"] == "ann.k"
    assert first["hashtags"] == ["topic00", "council"]
    assert first["text"] == "Vote no on plan d0 #topic00 #council"
    assert first["timestamp"].isoformat() == "2024-03-04T09:00:02+00:00"
    page = _jsonl(
        tmp_path / "videos.jsonl",
        [
            {
                "data": {
                    "videos": [
                        {
                            "id": 7342000000000000003,
                            "username": "cat.m",
                            "create_time": 1709542809,
                            "region_code": "FR",
                            "video_description": "with @ann.k and @ben.r",
                            "hashtag_names": [],
                            "video_mention_list": ["ann.k", "ben.r"],
                            "voice_to_text": "hello",
                        }
                    ],
                    "cursor": 1,
                    "has_more": False,
                    "search_id": "7342",
                },
                "error": {"code": "ok", "message": "", "log_id": "2024"},
            }
        ],
    )
    video = _posts(page)["7342000000000000003"]
    assert video["mentions"] == ["ann.k", "ben.r"] and video["hashtags"] == []


def test_tiktok_comments_pages(tmp_path: Path) -> None:
    """A comment/list page: a top-level comment (its parent is the video, or none) is a reply
    to the video, a reply to a comment is a reply to that comment; links, hashtags and
    mentions come from the text; the author from a username the collection added."""
    comments = _tt_comments()
    for comment, user in zip(comments, ("ann", "bob", "cy"), strict=True):
        comment["username"] = user
    page = {
        "data": {"comments": comments, "cursor": 3, "has_more": False},
        "error": {"code": "ok", "message": "", "log_id": "20240101"},
    }
    empty = {"data": {"comments": [], "cursor": 0, "has_more": False}, "error": {"code": "ok"}}
    path = _jsonl(tmp_path / "comments.jsonl", [page, empty])
    result = read_inputs([str(path)])
    assert result.files[0].format == "tiktok-comments"
    assert result.rejected == {"not_a_post": 1}  # the empty page
    posts = {row["post_id"]: row for row in result.table.to_pylist()}
    top, reply, bare = (posts[str(c["id"])] for c in comments)
    assert top["reply_to"] == str(_TT_VIDEO) and bare["reply_to"] == str(_TT_VIDEO)
    assert reply["reply_to"] == "7310000000000000001"
    assert (top["account_id"], reply["account_id"]) == ("ann", "bob")
    assert top["timestamp"].isoformat() == "2023-11-14T22:13:20+00:00"
    assert top["platform"] == "tiktok" and top["hashtags"] is None  # from the text
    from inconcert.actions import posts_to_actions

    actions, _ = posts_to_actions(result.table, ("reply", "url", "hashtag", "mention"))
    kinds = {
        (r["kind"], r["object_id"]) for r in actions.to_pylist() if r["post_id"] == top["post_id"]
    }
    assert {k for k, _ in kinds} == {"reply", "url", "hashtag", "mention"}


def test_tiktok_comments_without_author_refused_or_mapped(tmp_path: Path) -> None:
    """The Research API returns no comment author: a file of bare API comments stops with an
    error naming what is missing; --map account_id names a field the collection added."""
    bare = _jsonl(tmp_path / "bare.jsonl", _tt_comments())
    with pytest.raises(ic.InputError, match="does not return a comment's author") as err:
        read_inputs([str(bare)])
    assert "parent_comment_id" in str(err.value) and "--map account_id" in str(err.value)
    commented = _tt_comments()
    for comment, user in zip(commented, ("u1", "u2", "u3"), strict=True):
        comment["commenter"] = {"handle": user}
    mapped = _jsonl(tmp_path / "mapped.jsonl", commented)
    result = read_inputs([str(mapped)], mapping={"account_id": "commenter.handle"})
    assert result.files[0].format == "tiktok-comments"
    assert result.table.column("account_id").to_pylist() == ["u1", "u2", "u3"]
    # as a table (traktok, ResearchTikPy): the same rule and mapping
    path = tmp_path / "comments.csv"
    path.write_text(
        "id,video_id,text,like_count,reply_count,parent_comment_id,create_time,user_id\n"
        f"7310000000000000001,{_TT_VIDEO},hi,1,0,{_TT_VIDEO},1700000000,u9\n"
        f"7310000000000000002,{_TT_VIDEO},yo,0,0,7310000000000000001,1700000003,u8\n"
        f"7310000000000000003,{_TT_VIDEO},me,0,0,,1700000004,\n",
        encoding="utf-8",
    )
    result = read_inputs([str(path)])
    assert result.files[0].format == "tiktok-comments-csv"
    assert result.table.column("reply_to").to_pylist() == [str(_TT_VIDEO), "7310000000000000001"]
    assert result.rejected == {"missing_account_id": 1}
    path.write_text(
        "id,video_id,text,parent_comment_id,create_time\n"
        f"7310000000000000001,{_TT_VIDEO},hi,{_TT_VIDEO},1700000000\n",
        encoding="utf-8",
    )
    with pytest.raises(ic.InputError, match="author"):
        read_inputs([str(path)])


def test_meta_content_library_documented_and_exported_names(tmp_path: Path) -> None:
    """The data dictionary's names (post_owner.data.*, link_attachment_fields.link, Instagram
    hashtags) and the names exports write (post_owner.id, link_attachment.link, mcl_url)."""
    page = {
        "data": [
            {
                "id": "901",
                "creation_time": "2024-03-04T09:00:02+0000",
                "text": "Read this #vote",
                "post_owner": {"data": {"id": "55", "type": "page", "name": "News"}},
                "link_attachment_fields": {"link": "https://news.example.org/story"},
            },
            {
                "id": "902",
                "creation_time": "2024-03-04T09:00:05+0000",
                "post_owner": {"data": {"id": "56", "type": "profile", "name": "Al"}},
                "shared_post_id": "901",
            },
            {
                "id": "903",
                "creation_time": "2024-03-04T09:00:07+0000",
                "text": "Sunset #beach #travel",
                "post_owner": {"id": "77", "type": "creator", "username": "sun"},
                "hashtags": ["beach", "#travel"],
            },
        ],
        "paging": {"cursors": {"after": "x"}},
    }
    path = tmp_path / "mcl.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    result = read_inputs([str(path)])
    assert result.files[0].format == "meta-content-library-json"
    posts = {row["post_id"]: row for row in result.table.to_pylist()}
    assert posts["901"]["account_id"] == "55" and posts["901"]["platform"] == "facebook"
    assert posts["901"]["urls"] == ["https://news.example.org/story"]
    assert posts["902"]["repost_of"] == "901"
    assert posts["903"]["platform"] == "instagram" and posts["903"]["hashtags"] == [
        "beach",
        "travel",
    ]
    csv_path = tmp_path / "mcl.csv"
    csv_path.write_text(
        "id,creation_time,text,post_owner.id,post_owner.type,link_attachment.link,mcl_url\n"
        "1,2024-03-04T09:00:00,hi,9,page,https://ex.org/x,https://www.facebook.com/9/posts/1\n",
        encoding="utf-8",
    )
    result = read_inputs([str(csv_path)])
    assert result.files[0].format == "meta-content-library"
    row = result.table.to_pylist()[0]
    assert row["account_id"] == "9" and row["urls"] == ["https://ex.org/x"]
    assert result.permalinks is not None
    assert result.permalinks.column("permalink").to_pylist() == [
        "https://www.facebook.com/9/posts/1"
    ]


def test_articles_html_links(tmp_path: Path) -> None:
    record = {
        "url": "https://site.example/a1",
        "title": "Title",
        "media_name": "Site",
        "publish_date": "2024-02-02 10:00:00",
        "text": '<p>Body <a href="https://source.example/doc">doc</a> and '
        '<a href="https://site.example/a1">self</a></p>',
    }
    posts = _posts(_jsonl(tmp_path / "articles.jsonl", [record]))
    article = posts["https://site.example/a1"]
    assert article["account_id"] == "Site" and article["text"] == "Body doc and self"
    assert article["urls"] == ["https://source.example/doc"]


# ---------------------------------------------------------------------------------------------
# Forcing a format, and the registry
# ---------------------------------------------------------------------------------------------


def test_format_forced_and_table(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "page.jsonl", [_V2_PAGE])
    result = read_inputs([str(path)], options=ic.ingest.InputOptions(format="twitter-v2"))
    assert result.files[0].format == "twitter-v2"
    flat = tmp_path / "posts.jsonl"
    _jsonl(flat, [{"post_id": "1", "account_id": "a", "timestamp": 1700000000, "text": "x"}])
    assert read_inputs([str(flat)]).files[0].format == "jsonl"
    with pytest.raises(ic.ParameterError, match="--format"):
        read_inputs([str(flat)], options=ic.ingest.InputOptions(format="myspace"))


def test_every_format_documents_its_mapping() -> None:
    names = [f.name for f in FORMATS]
    assert len(names) == len(set(names))
    for fmt in FORMATS:
        assert fmt.detection and fmt.title and fmt.fields
        assert fmt.container in ("json", "csv")


# ---------------------------------------------------------------------------------------------
# A repost is one action
# ---------------------------------------------------------------------------------------------


def test_repost_is_one_action_and_quote_keeps_its_own() -> None:
    from datetime import UTC, datetime

    import pyarrow as pa

    from inconcert.actions import posts_to_actions
    from inconcert.schema import POST_SCHEMA

    t = datetime(2024, 1, 1, tzinfo=UTC)
    text = "A copied sentence that is long enough to count as text #tag https://example.org/x"
    rows = [
        {"post_id": "o", "account_id": "a", "timestamp": t, "text": text},
        {
            "post_id": "r",
            "account_id": "b",
            "timestamp": t,
            "text": "RT @a: " + text,
            "repost_of": "o",
        },  # lists null: would be taken from the text if it were its own
        {
            "post_id": "q",
            "account_id": "c",
            "timestamp": t,
            "quote_of": "o",
            "text": "My own comment on this, long enough",
            "urls": [],
            "hashtags": ["mine"],
        },
    ]
    posts = pa.Table.from_pylist(rows, schema=POST_SCHEMA)
    actions, stats = posts_to_actions(
        posts, ("repost", "quote", "url", "hashtag", "text", "mention", "neartext")
    )
    by_post: dict[str, set[str]] = {}
    for row in actions.to_pylist():
        by_post.setdefault(row["post_id"], set()).add(row["kind"])
    assert by_post["r"] == {"repost"}
    assert by_post["q"] == {"quote", "hashtag", "text", "neartext"}
    assert {"url", "hashtag", "text"} <= by_post["o"]
    assert stats.reposts == 1 and stats.as_dict()["reposts"] == 1


def test_api_response_pages(tmp_path: Path) -> None:
    """Bluesky listRecords/searchPosts pages, a Pushshift API page and a v1.1 search page."""
    records = {
        "records": [
            {
                "uri": "at://did:plc:z/app.bsky.feed.post/3a",
                "cid": "c",
                "value": {
                    "$type": "app.bsky.feed.post",
                    "text": "hi",
                    "createdAt": "2024-05-01T08:00:00Z",
                },
            },
            {
                "uri": "at://did:plc:z/app.bsky.feed.like/3b",
                "cid": "c",
                "value": {"$type": "app.bsky.feed.like", "createdAt": "2024-05-01T08:00:00Z"},
            },
        ],
        "cursor": "3b",
    }
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    result = read_inputs([str(path)])
    assert result.files[0].format == "bluesky" and result.rejected == {"not_a_post": 1}
    assert result.table.column("account_id").to_pylist() == ["did:plc:z"]

    pushshift = {
        "data": [
            {
                "id": "abc",
                "author": "u1",
                "created_utc": 1700000000,
                "body": "see https://example.org",
                "parent_id": "t3_x",
                "link_id": "t3_x",
                "subreddit": "s",
            }
        ]
    }
    posts = _posts(_jsonl(tmp_path / "ps.jsonl", [pushshift]))
    assert posts["t1_abc"]["urls"] == ["https://example.org"]

    search = {
        "statuses": [
            {
                "created_at": "Tue May 02 10:00:00 +0000 2023",
                "id_str": "5",
                "text": "x",
                "user": {"id_str": "9"},
                "entities": {},
            }
        ],
        "search_metadata": {"count": 1},
    }
    posts = _posts(_jsonl(tmp_path / "search.jsonl", [search]))
    assert posts["5"]["account_id"] == "9"


@pytest.mark.parametrize("name", ["twitter-v2", "telegram-desktop", "reddit"])
def test_planted_group_found_with_default_options(
    name: str, story: list[ps.Item], tmp_path: Path
) -> None:
    """The story has 12 bursts over 4 days: enough for the null model's default cut."""
    writer, ident = ps.WRITERS[name]
    written = writer(story, tmp_path)
    paths = written if isinstance(written, list) else [written]
    result = ic.detect([str(p) for p in paths])
    assert set(result.accounts.column("account_id").to_pylist()) == {ident(a) for a in ps.PLANTED}


def test_loose_format_not_guessed_when_ids_are_mapped(tmp_path: Path) -> None:
    path = tmp_path / "links.csv"
    path.write_text(
        "id,who,url,date,text\n1,a,https://x.example/1,2024-01-01,hello\n", encoding="utf-8"
    )
    assert _formats(path) == ["articles-csv"]
    result = read_inputs(
        [str(path)], mapping={"post_id": "id", "account_id": "who", "timestamp": "date"}
    )
    assert result.files[0].format == "csv"
    assert result.table.column("account_id").to_pylist() == ["a"]


# ---------------------------------------------------------------------------------------------
# Account names and referenced posts beside the posts
# ---------------------------------------------------------------------------------------------


def test_account_name_from_a_column_or_a_mapping(tmp_path: Path) -> None:
    """A table's ``account_name`` column, or the column ``account_name=...`` maps, names the
    accounts (a name equal to the id is no name); on a platform export the mapping's dotted
    path replaces the format's own name (here the display name instead of the username)."""
    table = tmp_path / "posts.csv"
    table.write_text(
        "id,user,created,handle\n"
        "1,u1,2024-01-01T00:00:00Z,Alice\n"
        "2,u2,2024-01-01T00:00:01Z,u2\n"
        "3,u3,2024-01-01T00:00:02Z,\n",
        encoding="utf-8",
    )
    mapping = {"post_id": "id", "account_id": "user", "timestamp": "created"}
    plain = read_inputs([str(table)], mapping=mapping)
    assert plain.account_names is None  # no column named account_name, none mapped
    mapped = read_inputs([str(table)], mapping={**mapping, "account_name": "handle"})
    assert mapped.account_names is not None
    assert mapped.account_names.to_pylist() == [{"post_id": "1", "account_name": "Alice"}]
    named = tmp_path / "named.csv"
    named.write_text(
        "post_id,account_id,timestamp,account_name\n1,u1,2024-01-01T00:00:00Z,Alice\n",
        encoding="utf-8",
    )
    names = read_inputs([str(named)]).account_names
    assert names is not None and names.column("account_name").to_pylist() == ["Alice"]
    flat = _jsonl(
        tmp_path / "tweets.jsonl",
        [
            {
                "id": "5",
                "author_id": "11",
                "author": {"id": "11", "username": "alice", "name": "Alice A."},
                "created_at": "2023-05-02T10:00:00.000Z",
                "text": "hello",
            }
        ],
    )
    own = read_inputs([str(flat)]).account_names
    assert own is not None and own.column("account_name").to_pylist() == ["alice"]
    display = read_inputs([str(flat)], mapping={"account_name": "author.name"}).account_names
    assert display is not None and display.column("account_name").to_pylist() == ["Alice A."]


def _v1_retweet(ident: str, original: dict[str, Any]) -> dict[str, Any]:
    return {
        "created_at": "Tue May 02 10:00:05 +0000 2023",
        "id_str": ident,
        "text": "RT @x: …",
        "user": {"id_str": f"u{ident}", "screen_name": f"reposter{ident}"},
        "retweeted_status": original,
    }


def test_referenced_posts_one_row_each_first_value_per_field(tmp_path: Path) -> None:
    """Two files embed the same original, each telling part of it: one row for it, each field
    the first value given in reading order; the same input gives the same table."""
    base = {"created_at": "Tue May 02 09:00:00 +0000 2023", "id_str": "900"}
    first = _jsonl(
        tmp_path / "a.jsonl",
        [_v1_retweet("1", {**base, "full_text": "first text", "user": {"id_str": "7"}})],
    )
    second = _jsonl(
        tmp_path / "b.jsonl",
        [
            _v1_retweet(
                "2",
                {**base, "full_text": "other text", "user": {"id_str": "7", "screen_name": "src"}},
            )
        ],
    )
    forward = read_inputs([str(first), str(second)]).references
    assert forward is not None
    assert forward.to_pylist() == [
        {
            "post_id": "900",
            "account_id": "7",
            "account_name": "src",
            "text": "first text",
            "permalink": "https://twitter.com/i/web/status/900",
        }
    ]
    assert read_inputs([str(first), str(second)]).references == forward
    backward = read_inputs([str(second), str(first)]).references
    assert backward is not None
    assert backward.column("text").to_pylist() == ["other text"]
    assert backward.column("permalink").to_pylist() == ["https://twitter.com/src/status/900"]
