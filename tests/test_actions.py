"""Posts → actions: every kind, normalisation in place, extraction from text, dedupe."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inconcert import _arrow
from inconcert._arrow import one_array
from inconcert.actions import posts_to_actions
from inconcert.errors import ParameterError
from inconcert.normalize import canonical_urls, extract_hashtags, extract_mentions, extract_urls
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


# texts built from the pieces each extractor looks for (and near misses), so that links,
# hashtags and mentions in every form turn up
_PIECES = st.sampled_from(
    [
        *(" ", "a", "W", "w", "#", "＃", "@", "＠", "#tag", "＃タグ", "@who", "＠誰", "http://"),
        *("HTTPS://", "hTtP://", "www.", "WWW.", "wWw.", "x.org/a", "ſ", "é", ".", "/", "&", "9"),
    ]
)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(st.lists(_PIECES, max_size=12).map("".join), min_size=1, max_size=8))
def test_links_tags_and_mentions_in_text_are_found_in_every_text(texts: list[str]) -> None:
    """Only the texts that hold an extractor's marker are given to it (a cheap Arrow scan
    first); every text's links, hashtags and mentions are still found, as the extractors
    find them one text at a time."""
    posts = _posts(
        [{"post_id": f"p{i}", "account_id": "a", "text": t} for i, t in enumerate(texts)]
    )
    expected = set()
    for i, t in enumerate(texts):
        expected |= {(f"p{i}", "hashtag", v) for v in extract_hashtags(t)}
        expected |= {(f"p{i}", "mention", v) for v in extract_mentions(t)}
        urls = canonical_urls(pa.array(extract_urls(t), pa.string())).to_pylist()
        expected |= {(f"p{i}", "url", v) for v in urls if v is not None}
    assert _acts(posts, ("url", "hashtag", "mention")) == expected


def test_texts_in_chunks_past_32_bit_offsets_are_joined_as_large_strings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Posts whose texts come in chunks that together pass what 32-bit offsets address are
    joined as large strings (here with the limit lowered to a few bytes): the same actions."""
    rows = [
        {"post_id": f"p{i}", "account_id": f"a{i % 3}", "text": f"#tag{i % 2} words here {i}"}
        for i in range(6)
    ]
    rows[4]["repost_of"] = "p0"
    whole = _posts(rows)
    chunked = pa.Table.from_batches(whole.to_batches(max_chunksize=2))
    assert chunked.column("text").num_chunks == 3
    kinds = ("hashtag", "text", "neartext", "repost")
    expected = _acts(whole, kinds)
    monkeypatch.setattr(_arrow, "OFFSET_LIMIT", 8)
    assert one_array(chunked.column("text")).type == pa.large_string()
    assert _acts(chunked, kinds) == expected


@pytest.mark.slow
def test_more_than_2_gib_of_texts_make_actions() -> None:
    """2.2 GiB of texts in two chunks (a few hundred thousand scraped articles' worth): the
    actions stage used to stop with Arrow's offset overflow when it joined them, and the
    near-duplicate clustering when it cast them back to 32-bit offsets."""
    n = 1_100_000
    body = pa.array(["x" * 1_000] * (n - 1) + ["#wanted and https://example.org/a"], pa.string())
    text = pa.chunked_array([body, body])
    assert text.nbytes > 2**31
    posts = pa.table(
        {
            f.name: (
                text
                if f.name == "text"
                else pa.array([f"p{i}" for i in range(2 * n)], pa.string())
                if f.name == "post_id"
                else pa.repeat(pa.scalar("a", pa.string()), 2 * n)
                if f.name == "account_id"
                else pa.repeat(pa.scalar(T, f.type), 2 * n)
                if f.name == "timestamp"
                else pa.nulls(2 * n, f.type)
            )
            for f in POST_SCHEMA
        },
        schema=POST_SCHEMA,
    )
    actions, stats = posts_to_actions(posts, ("url", "hashtag", "neartext"))
    near = actions.filter(pc.equal(actions.column("kind"), "neartext"))
    assert near.num_rows == 2 * n - 2 and len(pc.unique(near.column("object_id"))) == 1
    actions = actions.filter(pc.not_equal(actions.column("kind"), "neartext"))
    got = zip(
        actions.column("post_id").to_pylist(), actions.column("object_id").to_pylist(), strict=True
    )
    assert sorted(got) == [
        (f"p{n - 1}", "https://example.org/a"),
        (f"p{n - 1}", "wanted"),
        (f"p{2 * n - 1}", "https://example.org/a"),
        (f"p{2 * n - 1}", "wanted"),
    ]
    assert stats.actions_by_kind == {"url": 2, "hashtag": 2, "neartext": 2 * n - 2}
