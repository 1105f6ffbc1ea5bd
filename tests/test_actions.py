"""Posts → actions: every kind, normalisation in place, extraction from text, dedupe."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from inconcert.actions import posts_to_actions
from inconcert.errors import ParameterError
from inconcert.schema import ACTION_SCHEMA, ALL_KINDS, POST_SCHEMA

T = datetime(2024, 5, 1, tzinfo=UTC)
#: every kind that needs no optional extra
KINDS = tuple(k for k in ALL_KINDS if k != "paraphrase")


def _posts(rows: list[dict[str, object]]) -> pa.Table:
    full = []
    for r in rows:
        row = {f.name: None for f in POST_SCHEMA}
        row["timestamp"] = T
        row.update(r)
        full.append(row)
    return pa.Table.from_pylist(full, schema=POST_SCHEMA)


def _acts(posts: pa.Table, kinds: tuple[str, ...], **kw: object) -> set[tuple[str, str, str]]:
    table, _ = posts_to_actions(posts, kinds, **kw)  # type: ignore[arg-type]
    assert table.schema.equals(ACTION_SCHEMA)
    return {(r["post_id"], r["kind"], r["object_id"]) for r in table.to_pylist()}


def test_reference_kinds() -> None:
    posts = _posts(
        [
            {"post_id": "p1", "account_id": "a", "repost_of": "x1"},
            {"post_id": "p2", "account_id": "a", "reply_to": "x2"},
            {"post_id": "p3", "account_id": "a", "quote_of": "x3"},
            {"post_id": "p4", "account_id": "a", "repost_of": "  "},
        ]
    )
    assert _acts(posts, ("repost", "reply", "quote")) == {
        ("p1", "repost", "x1"),
        ("p2", "reply", "x2"),
        ("p3", "quote", "x3"),
    }


def test_url_and_domain_are_canonical() -> None:
    posts = _posts(
        [
            {
                "post_id": "p1",
                "account_id": "a",
                "urls": [
                    "HTTPS://WWW.BBC.co.uk:443/news?utm_source=tw&b=2&a=1#top",
                    "mailto:x@y.z",
                ],
            },
        ]
    )
    assert _acts(posts, ("url", "domain")) == {
        ("p1", "url", "https://bbc.co.uk/news?a=1&b=2"),
        ("p1", "domain", "bbc.co.uk"),
    }
    _, stats = posts_to_actions(posts, ("url",))
    assert stats.values_not_usable == {"url": 1}


def test_hashtags_mentions_case_folded_and_taken_from_text() -> None:
    posts = _posts(
        [
            {
                "post_id": "p1",
                "account_id": "a",
                "hashtags": ["#Wahl2021", "wahl2021"],
                "mentions": ["@Olaf"],
            },
            {"post_id": "p2", "account_id": "b", "text": "Vote #WAHL2021 now @olaf #Выборы"},
            {
                "post_id": "p3",
                "account_id": "c",
                "hashtags": [],
                "text": "#ignored when the list is []",
            },
        ]
    )
    assert _acts(posts, ("hashtag", "mention")) == {
        ("p1", "hashtag", "wahl2021"),
        ("p1", "mention", "olaf"),
        ("p2", "hashtag", "wahl2021"),
        ("p2", "hashtag", "выборы"),
        ("p2", "mention", "olaf"),
    }


def test_urls_taken_from_text_when_column_empty() -> None:
    posts = _posts(
        [{"post_id": "p1", "account_id": "a", "text": "read https://example.org/a?fbclid=1 now"}]
    )
    assert _acts(posts, ("url",)) == {("p1", "url", "https://example.org/a")}


def test_text_kind_normalises_and_skips_short_texts() -> None:
    posts = _posts(
        [
            {
                "post_id": "p1",
                "account_id": "a",
                "text": "RT @x: The  Election was STOLEN, share now https://t.co/abc",
            },
            {"post_id": "p2", "account_id": "b", "text": "the election was stolen, share now"},
            {"post_id": "p3", "account_id": "c", "text": "lol"},
        ]
    )
    acts = _acts(posts, ("text",))
    keys = {post: obj for post, _, obj in acts}
    assert set(keys) == {"p1", "p2"} and keys["p1"] == keys["p2"]
    _, stats = posts_to_actions(posts, ("text",))
    assert stats.texts_too_short == 1
    assert {p for p, _, _ in _acts(posts, ("text",), min_text_chars=2)} == {"p1", "p2", "p3"}


def test_image_hashes_trimmed_and_deduplicated() -> None:
    posts = _posts([{"post_id": "p1", "account_id": "a", "image_hashes": [" ff00 ", "ff00", ""]}])
    assert _acts(posts, ("image",)) == {("p1", "image", "ff00")}


def test_stats_and_unknown_kind() -> None:
    posts = _posts(
        [
            {"post_id": "p1", "account_id": "a", "repost_of": "x"},
            {"post_id": "p2", "account_id": "a"},
        ]
    )
    _, stats = posts_to_actions(posts, KINDS)
    d = stats.as_dict()
    assert d["posts"] == 2 and d["posts_with_actions"] == 1 and d["posts_without_actions"] == 1
    assert d["actions_by_kind"]["repost"] == 1
    with pytest.raises(ParameterError, match="'kinds'"):
        posts_to_actions(posts, ("retweet",))


def test_input_is_not_modified() -> None:
    posts = _posts([{"post_id": "p1", "account_id": "a", "urls": ["http://A.org"]}])
    before = posts.to_pylist()
    posts_to_actions(posts, KINDS)
    assert posts.to_pylist() == before


def test_a_reposts_text_makes_no_action_of_any_kind() -> None:
    """A repost's text and lists are its original's: no url, hashtag, mention or text action,
    whatever other kinds are chosen beside (the text is blanked only for the text kinds)."""
    text = "same words here for everyone #tag @who https://example.org/a"
    posts = _posts(
        [
            {"post_id": "p1", "account_id": "a", "text": text},
            {"post_id": "p2", "account_id": "b", "text": text, "repost_of": "p1"},
            {"post_id": "p3", "account_id": "c", "repost_of": "p1", "urls": ["https://x.org"]},
        ]
    )
    expected = {
        ("p1", "url", "https://example.org/a"),
        ("p1", "hashtag", "tag"),
        ("p1", "mention", "who"),
    }
    assert _acts(posts, ("url", "hashtag", "mention")) == expected
    with_text = _acts(posts, ("url", "hashtag", "mention", "text", "repost"))
    assert {a for a in with_text if a[1] not in ("text", "repost")} == expected
    assert {a[0] for a in with_text if a[1] == "text"} == {"p1"}
    assert {a for a in with_text if a[1] == "repost"} == {
        ("p2", "repost", "p1"),
        ("p3", "repost", "p1"),
    }


@pytest.mark.parametrize("kind", ["text", "neartext"])
def test_a_reposts_text_is_not_its_own_text_for_each_text_kind(kind: str) -> None:
    """Each kind whose object is the post's text, chosen alone, leaves the repost out."""
    text = "same words here for everyone, said twice over in this post"
    posts = _posts(
        [
            {"post_id": "p1", "account_id": "a", "text": text},
            {"post_id": "p2", "account_id": "b", "text": text, "repost_of": "p1"},
            {"post_id": "p3", "account_id": "c", "text": text.replace("same", "very same")},
        ]
    )
    assert {a[0] for a in _acts(posts, (kind,))} == {"p1", "p3"}
