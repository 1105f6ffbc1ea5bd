"""Sample files in each platform's export format, written for the tests.

:func:`world` makes one small story: 5 planted accounts that, three times a day on four days,
repost the same post, share the same link and reply to the same post within seconds of each
other; 15 ordinary accounts do the same things on the same objects, hours apart. Each
``write_*`` function writes that story in one platform's format (the way the platform writes
reposts, links, replies, ids, times and handles), so a test can check that the planted group,
and only it, is found from every format. :func:`outside` leaves the reposted originals out of
the collection: a format that embeds a repost's original still writes it inside the repost
(:data:`EMBEDS` says what each format then tells about it).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

PLANTED = [f"p{i}" for i in range(1, 6)]
ORDINARY = [f"o{i:02d}" for i in range(1, 16)]
T0 = datetime(2024, 3, 4, 9, 0, 0, tzinfo=UTC)


@dataclass
class Item:
    """One post of the story."""

    id: str
    account: str
    time: datetime
    kind: str  # original, repost, reply
    text: str
    url: str | None = None
    hashtags: list[str] = field(default_factory=list)
    ref: str | None = None  # reposted or replied-to post
    ref_account: str | None = None
    collected: bool = True  # False: the collection only refers to it (embedded, if at all)


def world() -> list[Item]:
    """The story, sorted by time."""
    items: list[Item] = []
    serial = 0

    def new_id() -> str:
        nonlocal serial
        serial += 1
        return str(1_700_000_000_000 + serial)

    for day in range(4):
        for slot, hour in enumerate((0, 4, 8)):
            start = T0 + timedelta(days=day, hours=hour)
            event = f"d{day}s{slot}"
            tag = f"topic{day}{slot}"
            source = Item(
                new_id(),
                "newsdesk",
                start - timedelta(minutes=30),
                "original",
                f"Breaking: the council votes on plan {event} today, details inside",
                f"https://news.example.org/{event}/story",
                [tag],
            )
            target = Item(
                new_id(),
                "mayor",
                start - timedelta(minutes=20),
                "original",
                f"Statement from the mayor on plan {event} and what comes next",
            )
            items += [source, target]
            link = f"https://blog.example.net/posts/{event}-analysis"
            for who, offsets in (
                (PLANTED, [2 + 3 * k for k in range(5)]),
                (ORDINARY, [3600 * 1.5 + 2900 * k for k in range(15)]),
            ):
                for k, account in enumerate(who):
                    t = start + timedelta(seconds=offsets[k])
                    items.append(
                        Item(
                            new_id(),
                            account,
                            t,
                            "repost",
                            source.text,
                            source.url,
                            list(source.hashtags),
                            source.id,
                            source.account,
                        )
                    )
                    items.append(
                        Item(
                            new_id(),
                            account,
                            t + timedelta(minutes=10),
                            "original",
                            f"{account} thinks you should read this on {event}",
                            link,
                            [f"{tag}x"],
                        )
                    )
                    items.append(
                        Item(
                            new_id(),
                            account,
                            t + timedelta(minutes=20),
                            "reply",
                            f"@mayor this is not what {account} voted for",
                            ref=target.id,
                            ref_account="mayor",
                        )
                    )
    return sorted(items, key=lambda i: (i.time, i.id))


def outside(items: list[Item]) -> list[Item]:
    """The story with the reposted originals (newsdesk's posts) outside the collection."""
    return [replace(i, collected=False) if i.account == "newsdesk" else i for i in items]


def _collected(items: list[Item]) -> list[Item]:
    return [i for i in items if i.collected]


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _uid(account: str) -> str:
    return str(9000 + sum(ord(c) * (i + 1) for i, c in enumerate(account)))


def _tco(item: Item) -> str:
    return f"https://t.co/{int(item.id) % 10_000_000:07d}"


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Twitter
# ---------------------------------------------------------------------------------------------


def _v2_tweet(item: Item) -> dict:
    tweet: dict = {
        "id": item.id,
        "author_id": _uid(item.account),
        "created_at": _iso(item.time),
        "conversation_id": item.ref or item.id,
        "lang": "en",
    }
    entities: dict = {}
    text = item.text
    if item.url:
        text = f"{text} {_tco(item)}"
        entities["urls"] = [
            {
                "start": len(item.text) + 1,
                "end": len(text),
                "url": _tco(item),
                "expanded_url": item.url,
                "display_url": item.url.split("//")[1][:24] + "…",
            }
        ]
    if item.hashtags:
        text += "".join(f" #{h}" for h in item.hashtags)
        entities["hashtags"] = [{"start": 0, "end": 0, "tag": h} for h in item.hashtags]
    if item.kind == "repost":
        text = f"RT @{item.ref_account}: {text}"
        entities["mentions"] = [
            {
                "start": 3,
                "end": 3 + len(str(item.ref_account)),
                "username": item.ref_account,
                "id": _uid(str(item.ref_account)),
            }
        ]
        tweet["referenced_tweets"] = [{"type": "retweeted", "id": item.ref}]
    if item.kind == "reply":
        entities["mentions"] = [{"start": 0, "end": 6, "username": "mayor", "id": _uid("mayor")}]
        tweet["referenced_tweets"] = [{"type": "replied_to", "id": item.ref}]
        tweet["in_reply_to_user_id"] = _uid("mayor")
    tweet["text"] = text
    if entities:
        tweet["entities"] = entities
    return tweet


def _user(account: str) -> dict:
    return {"id": _uid(account), "username": account, "name": account.title()}


def write_twitter_v2(items: list[Item], folder: Path) -> Path:
    """Search response pages; ``includes`` holds the page's authors and the tweets it
    references with their authors (expansions author_id, referenced_tweets.id and
    referenced_tweets.id.author_id)."""
    by_id = {i.id: i for i in items}
    records = []
    shown = _collected(items)
    for start in range(0, len(shown), 40):
        page = shown[start : start + 40]
        tweets = [_v2_tweet(i) for i in page]
        refs = [by_id[r] for r in sorted({str(i.ref) for i in page if i.ref in by_id})]
        authors = sorted({i.account for i in page} | {r.account for r in refs})
        records.append(
            {
                "data": tweets,
                "includes": {
                    "users": [_user(a) for a in authors],
                    "tweets": [_v2_tweet(r) for r in refs],
                },
                "meta": {"result_count": len(tweets), "newest_id": page[-1].id},
                "__twarc": {
                    "url": "https://api.twitter.com/2/tweets/search/all",
                    "version": "2.14",
                },
            }
        )
    return _jsonl(folder / "search_results.jsonl", records)


def write_twitter_v2_flat(items: list[Item], folder: Path) -> Path:
    """twarc2's flattened tweets: the author inline, each referenced tweet merged into its
    ``referenced_tweets`` entry (as twarc's ``flatten`` writes them)."""
    by_id = {i.id: i for i in items}
    records = []
    for item in _collected(items):
        tweet = _v2_tweet(item)
        tweet["author"] = _user(item.account)
        for k, ref in enumerate(tweet.get("referenced_tweets", [])):
            original = by_id.get(ref["id"])
            if original is not None:
                inline = {**_v2_tweet(original), "author": _user(original.account)}
                tweet["referenced_tweets"][k] = {**inline, **ref}
        tweet["__twarc"] = {"retrieved_at": "2024-03-10T00:00:00+00:00", "version": "2.14.0"}
        records.append(tweet)
    return _jsonl(folder / "tweets_flat.jsonl", records)


def _v1_status(item: Item, by_id: dict[str, Item]) -> dict:
    text = (
        item.text
        + (f" {_tco(item)}" if item.url else "")
        + "".join(f" #{h}" for h in item.hashtags)
    )
    status: dict = {
        "created_at": item.time.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "id": int(item.id),
        "id_str": item.id,
        "full_text": text,
        "truncated": False,
        "user": {
            "id": int(_uid(item.account)),
            "id_str": _uid(item.account),
            "screen_name": item.account,
        },
        "entities": {
            "hashtags": [{"text": h, "indices": [0, 0]} for h in item.hashtags],
            "urls": [
                {"url": _tco(item), "expanded_url": item.url, "indices": [0, 0], "display_url": "x"}
            ]
            if item.url
            else [],
            "user_mentions": [],
        },
        "in_reply_to_status_id_str": item.ref if item.kind == "reply" else None,
        "in_reply_to_user_id_str": _uid(str(item.ref_account)) if item.kind == "reply" else None,
        "in_reply_to_screen_name": item.ref_account if item.kind == "reply" else None,
        "is_quote_status": False,
    }
    if item.kind == "repost" and item.ref in by_id:
        status["retweeted_status"] = _v1_status(by_id[item.ref], by_id)
        status["full_text"] = f"RT @{item.ref_account}: {text}"
    return status


def write_twitter_v1(items: list[Item], folder: Path) -> Path:
    by_id = {i.id: i for i in items}
    return _jsonl(folder / "statuses.jsonl", [_v1_status(i, by_id) for i in _collected(items)])


def _processed_entities(entities: dict) -> dict:
    """What twarc-csv writes when it processes entities (its default): links as their
    expanded URL (a photo's or video's display URL), ``#tag`` and ``@name`` strings."""
    return {
        "urls": [
            u["display_url"] if "media_key" in u else u["expanded_url"]
            for u in entities.get("urls", [])
        ],
        "hashtags": ["#" + h["tag"] for h in entities.get("hashtags", [])],
        "mentions": ["@" + m["username"] for m in entities.get("mentions", [])],
    }


def write_twarc_csv_processed(items: list[Item], folder: Path) -> Path:
    """:func:`write_twarc_csv` with twarc-csv's processed entities (plain strings)."""
    return write_twarc_csv(items, folder, processed=True)


def write_twarc_csv(items: list[Item], folder: Path, *, processed: bool = False) -> Path:
    """twarc-csv's default columns (in its order) and ways: a retweet's text and entities are
    its original's (merged), its author named in retweeted_user_id and retweeted_username.
    Entities are the API's objects, or with ``processed`` the strings twarc-csv makes of them."""
    by_id = {i.id: i for i in items}
    columns = [
        "id",
        "conversation_id",
        "referenced_tweets.replied_to.id",
        "referenced_tweets.retweeted.id",
        "referenced_tweets.quoted.id",
        "author_id",
        "in_reply_to_user_id",
        "in_reply_to_username",
        "retweeted_user_id",
        "retweeted_username",
        "quoted_user_id",
        "quoted_username",
        "created_at",
        "text",
        "lang",
        "entities.hashtags",
        "entities.mentions",
        "entities.urls",
        "author.username",
        "__twarc.retrieved_at",
    ]
    rows = []
    for item in _collected(items):
        tweet = _v2_tweet(item)
        refs = {r["type"]: r["id"] for r in tweet.get("referenced_tweets", [])}
        original = by_id.get(str(item.ref)) if item.kind == "repost" else None
        merged = _v2_tweet(original) if original is not None else tweet
        entities = merged.get("entities", {})
        if processed:
            entities = _processed_entities(entities)
        reply = item.kind == "reply"
        rows.append(
            {
                "id": item.id,
                "conversation_id": tweet["conversation_id"],
                "referenced_tweets.replied_to.id": refs.get("replied_to", ""),
                "referenced_tweets.retweeted.id": refs.get("retweeted", ""),
                "author_id": tweet["author_id"],
                "in_reply_to_user_id": _uid(str(item.ref_account)) if reply else "",
                "in_reply_to_username": item.ref_account if reply else "",
                "retweeted_user_id": _uid(original.account) if original else "",
                "retweeted_username": original.account if original else "",
                "created_at": tweet["created_at"],
                "text": merged["text"],
                "lang": "en",
                "entities.hashtags": json.dumps(entities.get("hashtags", []))
                if entities.get("hashtags")
                else "",
                "entities.mentions": json.dumps(entities.get("mentions", []))
                if entities.get("mentions")
                else "",
                "entities.urls": json.dumps(entities.get("urls", []))
                if entities.get("urls")
                else "",
                "author.username": item.account,
                "__twarc.retrieved_at": "2024-03-10T00:00:00Z",
            }
        )
    return _csv(folder / "tweets.csv", rows, columns)


def write_twitter_io(items: list[Item], folder: Path) -> Path:
    columns = [
        "tweetid",
        "userid",
        "user_display_name",
        "user_screen_name",
        "tweet_language",
        "tweet_text",
        "tweet_time",
        "in_reply_to_userid",
        "in_reply_to_tweetid",
        "quoted_tweet_tweetid",
        "is_retweet",
        "retweet_userid",
        "retweet_tweetid",
        "hashtags",
        "urls",
        "user_mentions",
    ]
    rows = []
    for item in _collected(items):
        rows.append(
            {
                "tweetid": item.id,
                "userid": f"{_uid(item.account)}a7f",
                "user_display_name": item.account,
                "user_screen_name": item.account,
                "tweet_language": "en",
                "tweet_text": (f"RT @{item.ref_account}: " if item.kind == "repost" else "")
                + item.text,
                "tweet_time": item.time.strftime("%Y-%m-%d %H:%M:%S"),
                "in_reply_to_userid": f"{_uid(str(item.ref_account))}a7f"
                if item.kind == "reply"
                else "",
                "in_reply_to_tweetid": item.ref if item.kind == "reply" else "",
                "is_retweet": "True" if item.kind == "repost" else "False",
                "retweet_userid": f"{_uid(str(item.ref_account))}a7f"
                if item.kind == "repost"
                else "",
                "retweet_tweetid": item.ref if item.kind == "repost" else "",
                "hashtags": "[" + ", ".join(item.hashtags) + "]" if item.hashtags else "[]",
                "urls": f"[{item.url}]" if item.url else "[]",
                "user_mentions": f"[{_uid('mayor')}]" if item.kind == "reply" else "[]",
            }
        )
    return _csv(folder / "io_archive_tweets.csv", rows, columns)


def write_4cat_twitter(items: list[Item], folder: Path) -> Path:
    columns = [
        "id",
        "thread_id",
        "timestamp",
        "unix_timestamp",
        "link",
        "subject",
        "body",
        "author",
        "author_fullname",
        "author_id",
        "is_retweet",
        "retweeted_user",
        "is_quote_tweet",
        "quoted_user",
        "is_reply",
        "replied_user",
        "hashtags",
        "urls",
        "images",
        "mentions",
    ]
    rows = []
    for item in _collected(items):
        repost = item.kind == "repost"
        rows.append(
            {
                "id": item.id,
                "thread_id": item.ref if item.kind == "reply" else item.id,
                "timestamp": item.time.strftime("%Y-%m-%d %H:%M:%S"),
                "unix_timestamp": int(item.time.timestamp()),
                "link": f"https://twitter.com/{item.account}/status/{item.id}",
                "body": (f"RT @{item.ref_account}: " if repost else "") + item.text,
                "author": item.account,
                "author_fullname": item.account.title(),
                "author_id": _uid(item.account),
                "is_retweet": "yes" if repost else "no",
                "retweeted_user": item.ref_account if repost else "",
                "is_quote_tweet": "no",
                "is_reply": "yes" if item.kind == "reply" else "no",
                "replied_user": "mayor" if item.kind == "reply" else "",
                "hashtags": ",".join(item.hashtags),
                "urls": item.url or "",
                "mentions": ",".join(
                    ["mayor"] if item.kind == "reply" else [str(item.ref_account)] if repost else []
                ),
            }
        )
    return _csv(folder / "4cat-twitter.csv", rows, columns)


# ---------------------------------------------------------------------------------------------
# Telegram
# ---------------------------------------------------------------------------------------------


def _tg_number(item: Item, numbers: dict[str, int]) -> int:
    return numbers.setdefault(item.id, len(numbers) + 1)


def write_telegram_desktop(items: list[Item], folder: Path) -> Path:
    numbers: dict[str, int] = {}
    by_id = {i.id: i for i in items}
    messages: list[dict] = [
        {
            "id": 0,
            "type": "service",
            "date": "2024-03-01T08:00:00",
            "date_unixtime": "1709280000",
            "actor": "Admin",
            "actor_id": "user1",
            "action": "create_group",
            "title": "Civic talk",
            "text": "",
            "text_entities": [],
        }
    ]
    for item in _collected(items):
        number = _tg_number(item, numbers)
        entities: list[dict] = [{"type": "plain", "text": item.text}]
        if item.url:
            entities += [
                {"type": "plain", "text": " "},
                {"type": "text_link", "text": "read more", "href": item.url},
            ]
        for tag in item.hashtags:
            entities += [{"type": "plain", "text": " "}, {"type": "hashtag", "text": f"#{tag}"}]
        message: dict = {
            "id": number,
            "type": "message",
            "date": item.time.astimezone(timezone(timedelta(hours=1))).strftime(
                "%Y-%m-%dT%H:%M:%S"
            ),
            "date_unixtime": str(int(item.time.timestamp())),
            "from": item.account.title(),
            "from_id": f"user{_uid(item.account)}",
            "text": entities if len(entities) > 1 else item.text,
            "text_entities": entities,
        }
        if item.kind == "repost":
            message["forwarded_from"] = "Newsdesk Channel"
        if item.kind == "reply" and item.ref in by_id:
            message["reply_to_message_id"] = _tg_number(by_id[item.ref], numbers)
        messages.append(message)
    path = folder / "ChatExport_2024-03-10" / "result.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "name": "Civic talk",
        "type": "public_supergroup",
        "id": 1876543210,
        "messages": messages,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def write_telethon(items: list[Item], folder: Path) -> Path:
    numbers: dict[str, int] = {}
    by_id = {i.id: i for i in items}
    records = []
    for item in _collected(items):
        channel = int(_uid(item.account)) * 1000
        number = _tg_number(item, numbers)
        text = item.text + "".join(f" #{t}" for t in item.hashtags)
        entities = []
        if item.url:
            entities.append(
                {"_": "MessageEntityTextUrl", "offset": 0, "length": 8, "url": item.url}
            )
        offset = len(item.text.encode("utf-16-le")) // 2
        for tag in item.hashtags:
            entities.append(
                {"_": "MessageEntityHashtag", "offset": offset + 1, "length": len(tag) + 1}
            )
            offset += len(tag) + 2
        record: dict = {
            "_": "Message",
            "id": number,
            "peer_id": {"_": "PeerChannel", "channel_id": channel},
            "date": item.time.isoformat(),
            "message": text,
            "out": False,
            "from_id": None,
            "entities": entities,
            "views": 120,
            "_chat": {
                "_": "Channel",
                "id": channel,
                "title": item.account.title(),
                "username": item.account,
            },
        }
        if item.kind == "repost" and item.ref in by_id:
            source = int(_uid("newsdesk")) * 1000
            record["fwd_from"] = {
                "_": "MessageFwdHeader",
                "date": by_id[item.ref].time.isoformat(),
                "from_id": {"_": "PeerChannel", "channel_id": source},
                "channel_post": _tg_number(by_id[item.ref], numbers),
            }
        if item.kind == "reply" and item.ref in by_id:
            record["reply_to"] = {
                "_": "MessageReplyHeader",
                "reply_to_msg_id": _tg_number(by_id[item.ref], numbers),
                "reply_to_peer_id": {"_": "PeerChannel", "channel_id": int(_uid("mayor")) * 1000},
            }
        records.append(record)
    return _jsonl(folder / "messages.jsonl", records)


# ---------------------------------------------------------------------------------------------
# Bluesky, Mastodon
# ---------------------------------------------------------------------------------------------


def _did(account: str) -> str:
    return f"did:plc:{account}{_uid(account)}xyz"


def _at(item: Item, collection: str = "app.bsky.feed.post") -> str:
    return f"at://{_did(item.account)}/{collection}/3k{int(item.id) % 10**9:09d}"


def write_bluesky_jetstream(items: list[Item], folder: Path, *, legacy: bool = False) -> Path:
    """Jetstream events: an identity event (the DID's handle) before an account's first post,
    then its commits. ``legacy``: as Jetstream wrote them before October 2024 (``type``
    com/id for ``kind``, ``commit.type`` c for ``operation``)."""
    by_id = {i.id: i for i in items}
    records: list[dict] = []
    known: set[str] = set()
    for item in _collected(items):
        micros = int(item.time.timestamp() * 1e6) + 350_000
        if item.account not in known:
            known.add(item.account)
            records.append(
                {
                    "did": _did(item.account),
                    "time_us": micros - 1,
                    "kind": "identity",
                    "identity": {
                        "did": _did(item.account),
                        "handle": f"{item.account}.bsky.social",
                        "seq": 1000 + len(records),
                        "time": _iso(item.time),
                    },
                }
            )
        rkey = _at(item).rsplit("/", 1)[1]
        if item.kind == "repost" and item.ref in by_id:
            original = by_id[item.ref]
            record = {
                "$type": "app.bsky.feed.repost",
                "createdAt": _iso(item.time),
                "subject": {"uri": _at(original), "cid": "bafyrei" + original.id},
            }
            collection = "app.bsky.feed.repost"
        else:
            text = item.text
            facets = []
            if item.url:
                shown = item.url.split("//")[1][:20] + "..."
                start = len(text.encode()) + 1
                text = f"{text} {shown}"
                facets.append(
                    {
                        "index": {"byteStart": start, "byteEnd": len(text.encode())},
                        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": item.url}],
                    }
                )
            for tag in item.hashtags:
                start = len(text.encode()) + 1
                text = f"{text} #{tag}"
                facets.append(
                    {
                        "index": {"byteStart": start, "byteEnd": len(text.encode())},
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                    }
                )
            record = {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": _iso(item.time),
                "langs": ["en"],
                "facets": facets,
            }
            if item.kind == "reply" and item.ref in by_id:
                parent = {"uri": _at(by_id[item.ref]), "cid": "bafyrei" + item.ref}
                record["reply"] = {"root": parent, "parent": parent}
            collection = "app.bsky.feed.post"
        records.append(
            {
                "did": _did(item.account),
                "time_us": micros,
                "kind": "commit",
                "commit": {
                    "rev": "3l" + item.id,
                    "operation": "create",
                    "collection": collection,
                    "rkey": rkey,
                    "record": record,
                    "cid": "bafyrei" + item.id,
                },
            }
        )
    records.append(
        {
            "did": _did("o01"),
            "time_us": micros + 1,
            "kind": "commit",
            "commit": {
                "rev": "x",
                "operation": "create",
                "collection": "app.bsky.feed.like",
                "rkey": "3kzz",
                "record": {"$type": "app.bsky.feed.like", "subject": {"uri": _at(items[0])}},
            },
        }
    )
    if legacy:
        kinds = {"commit": "com", "identity": "id"}
        for event in records:
            event["type"] = kinds[event.pop("kind")]
            if "commit" in event:
                event["commit"]["type"] = event["commit"].pop("operation")[0]
    return _jsonl(folder / "jetstream.jsonl", records)


def mastodon_status(
    ident: str,
    created_at: str,
    user: str,
    host: str,
    account: dict,
    content: str = "",
    **extra: Any,
) -> dict:
    """A Mastodon API Status entity with every field an empty post has; ``extra`` overrides."""
    return {
        "id": ident,
        "created_at": created_at,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": f"https://{host}/users/{user}/statuses/{ident}",
        "url": f"https://{host}/@{user}/{ident}",
        "account": account,
        "reblog": None,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
        "content": content,
        **extra,
    }


def _status(item: Item, by_id: dict[str, Item], host: str = "social.example") -> dict:
    account = {
        "id": _uid(item.account),
        "username": item.account,
        "acct": item.account,
        "url": f"https://{host}/@{item.account}",
    }
    status = mastodon_status(item.id, _iso(item.time), item.account, host, account)
    if item.kind == "repost" and item.ref in by_id:
        status["reblog"] = _status(by_id[item.ref], by_id, host)
        return status
    html = f"<p>{item.text}"
    if item.url:
        rest = item.url.split("//")[1]
        html += (
            f' <a href="{item.url}" target="_blank" rel="nofollow noopener noreferrer">'
            f'<span class="invisible">https://</span><span class="ellipsis">{rest[:20]}'
            f'</span><span class="invisible">{rest[20:]}</span></a>'
        )
    for tag in item.hashtags:
        html += (
            f' <a href="https://{host}/tags/{tag}" class="mention hashtag" rel="tag">'
            f"#<span>{tag}</span></a>"
        )
        status["tags"].append({"name": tag, "url": f"https://{host}/tags/{tag}"})
    if item.kind == "reply" and item.ref in by_id:
        status["in_reply_to_id"] = item.ref
        status["in_reply_to_account_id"] = _uid("mayor")
        html = (
            f'<p><span class="h-card"><a href="https://{host}/@mayor" class="u-url '
            f'mention">@<span>mayor</span></a></span> ' + html[3:]
        )
        status["mentions"].append(
            {
                "id": _uid("mayor"),
                "username": "mayor",
                "acct": "mayor",
                "url": f"https://{host}/@mayor",
            }
        )
    status["content"] = html + "</p>"
    return status


def write_mastodon(items: list[Item], folder: Path) -> Path:
    by_id = {i.id: i for i in items}
    path = folder / "statuses.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    statuses = [_status(i, by_id) for i in _collected(items)]
    path.write_text(json.dumps(statuses), encoding="utf-8")
    return path


def write_mastodon_streaming(items: list[Item], folder: Path, *, sse: bool = False) -> Path:
    """The statuses as the streaming API sends them (``/api/v1/streaming/public``): over its
    WebSocket, one ``{"stream", "event", "payload"}`` message a line, the payload the status as
    JSON text; with ``sse``, as server-sent events saved by ``curl -N`` (``:)`` first, ``:thump``
    heartbeats, ``event:``/``data:`` lines). The stream starts with a delete event, edits the
    first status (``status.update``) and ends with a notification."""
    by_id = {i.id: i for i in items}
    collected = _collected(items)
    events: list[tuple[str, str]] = [("delete", "110000000000000001")]
    for n, item in enumerate(collected):
        events.append(("update", json.dumps(_status(item, by_id))))
        if n == 0:
            edited = _status(item, by_id)
            edited["content"] = edited["content"].replace("</p>", " (edited)</p>")
            edited["edited_at"] = _iso(item.time + timedelta(minutes=5))
            events.append(("status.update", json.dumps(edited)))
    events.append(("notification", json.dumps({"id": "1", "type": "follow"})))
    folder.mkdir(parents=True, exist_ok=True)
    if not sse:
        messages = [{"stream": ["public"], "event": e, "payload": p} for e, p in events]
        return _jsonl(folder / "streaming.jsonl", messages)
    parts = [":)\n"]
    for n, (event, payload) in enumerate(events):
        parts.append(f"event: {event}\ndata: {payload}\n\n")
        if n % 7 == 6:
            parts.append(":thump\n")
    path = folder / "public.txt"
    path.write_text("".join(parts), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Reddit
# ---------------------------------------------------------------------------------------------


def _b36(number: str) -> str:
    value, digits = int(number) % 10**10, "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while value:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
    return out or "0"


def write_reddit(items: list[Item], folder: Path) -> list[Path]:
    """Submissions (originals and crossposts) and comments (replies), as two Pushshift files."""
    by_id = {i.id: i for i in items}
    submissions, comments = [], []
    for item in _collected(items):
        base = {
            "id": _b36(item.id),
            "author": item.account,
            "created_utc": int(item.time.timestamp()),
            "subreddit": "civic",
            "subreddit_id": "t5_2qh1i",
            "score": 1,
        }
        if item.kind == "reply" and item.ref in by_id:
            comments.append(
                {
                    **base,
                    "body": item.text,
                    "link_id": "t3_" + _b36(item.ref),
                    "parent_id": "t3_" + _b36(item.ref),
                    "permalink": f"/r/civic/comments/{_b36(item.ref)}/x/{base['id']}/",
                }
            )
            continue
        submission = {
            **base,
            "title": item.text,
            "selftext": "",
            "is_self": not item.url,
            "url": item.url or f"https://www.reddit.com/r/civic/comments/{base['id']}/",
            "domain": "self.civic" if not item.url else item.url.split("/")[2],
            "permalink": f"/r/civic/comments/{base['id']}/x/",
            "num_comments": 0,
        }
        if item.kind == "repost" and item.ref in by_id:
            parent = by_id[item.ref]
            submission["crosspost_parent"] = "t3_" + _b36(item.ref)
            submission["crosspost_parent_list"] = [
                {
                    "id": _b36(item.ref),
                    "author": parent.account,
                    "title": parent.text,
                    "selftext": "",
                    "subreddit": "news",
                    "url": parent.url,
                    "permalink": f"/r/news/comments/{_b36(item.ref)}/x/",
                    "created_utc": int(parent.time.timestamp()),
                }
            ]
        submissions.append(submission)
    submissions.append(
        {
            "id": "zz1",
            "author": "[deleted]",
            "created_utc": 1709550000,
            "title": "[deleted]",
            "selftext": "[deleted]",
            "subreddit": "civic",
            "is_self": True,
            "url": "",
            "permalink": "/r/civic/comments/zz1/x/",
        }
    )
    return [
        _jsonl(folder / "reddit" / "RS_civic_submissions.jsonl", submissions),
        _jsonl(folder / "reddit" / "RC_civic_comments.jsonl", comments),
    ]


# ---------------------------------------------------------------------------------------------
# Facebook, YouTube, TikTok, articles
# ---------------------------------------------------------------------------------------------

_EDT = timezone(timedelta(hours=-4))


def write_crowdtangle(items: list[Item], folder: Path) -> Path:
    """CrowdTangle has no reposts: shares of the same link with the same message stand in."""
    columns = [
        "Page Name",
        "User Name",
        "Facebook Id",
        "Page Category",
        "Page Admin Top Country",
        "Likes at Posting",
        "Followers at Posting",
        "Post Created",
        "Post Created Date",
        "Post Created Time",
        "Type",
        "Total Interactions",
        "Likes",
        "Comments",
        "Shares",
        "URL",
        "Message",
        "Link",
        "Final Link",
        "Link Text",
        "Description",
    ]
    rows = []
    for item in _collected(items):
        local = item.time.astimezone(_EDT)
        short = f"https://bit.ly/{_b36(item.id)}"
        rows.append(
            {
                "Page Name": item.account.title(),
                "User Name": item.account,
                "Facebook Id": _uid(item.account) + "77",
                "Page Category": "NEWS_SITE",
                "Post Created": local.strftime("%Y-%m-%d %H:%M:%S") + " EDT",
                "Post Created Date": local.strftime("%Y-%m-%d"),
                "Post Created Time": local.strftime("%H:%M:%S"),
                "Type": "Link" if item.url else "Status",
                "Total Interactions": "12",
                "URL": f"https://www.facebook.com/{_uid(item.account)}77/posts/{item.id}",
                "Message": item.text + "".join(f" #{h}" for h in item.hashtags),
                "Link": short if item.url else "",
                "Final Link": item.url or "",
            }
        )
    return _csv(folder / "crowdtangle.csv", rows, columns)


def write_youtube(items: list[Item], folder: Path) -> Path:
    """Comment threads: every post is a comment under one of a few videos; a reply in the
    story is a reply in a thread."""
    by_id = {i.id: i for i in items}
    threads: dict[str, dict] = {}
    records = []
    for item in _collected(items):
        video = (
            "dQw" + (item.ref or item.id)[-6:]
            if item.kind != "repost"
            else "vid" + str(item.ref)[-6:]
        )
        display = item.text + (f' <a href="{item.url}">{item.url}</a>' if item.url else "")
        comment = {
            "kind": "youtube#comment",
            "etag": "e" + item.id,
            "id": "Ugx" + item.id,
            "snippet": {
                "channelId": "UCchannel",
                "videoId": video,
                "textDisplay": display,
                "textOriginal": item.text + (f" {item.url}" if item.url else ""),
                "authorDisplayName": "@" + item.account,
                "authorChannelUrl": f"http://www.youtube.com/@{item.account}",
                "authorChannelId": {"value": "UC" + _uid(item.account)},
                "canRate": True,
                "viewerRating": "none",
                "likeCount": 0,
                "publishedAt": item.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updatedAt": item.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        }
        if item.kind == "reply" and item.ref in by_id:
            thread = threads.get(item.ref)
            if thread is not None:
                comment["id"] = f"Ugx{item.ref}.{item.id}"
                comment["snippet"]["parentId"] = "Ugx" + item.ref
                thread["replies"]["comments"].append(comment)
                thread["snippet"]["totalReplyCount"] += 1
                continue
        thread = {
            "kind": "youtube#commentThread",
            "etag": "t" + item.id,
            "id": "Ugx" + item.id,
            "snippet": {
                "channelId": "UCchannel",
                "videoId": video,
                "topLevelComment": comment,
                "canReply": True,
                "totalReplyCount": 0,
                "isPublic": True,
            },
            "replies": {"comments": []},
        }
        threads[item.id] = thread
        records.append(thread)
    return _jsonl(folder / "comment_threads.jsonl", records)


def write_tiktok(items: list[Item], folder: Path) -> Path:
    videos = []
    for item in _collected(items):
        videos.append(
            {
                "id": int(item.id),
                "create_time": int(item.time.timestamp()),
                "username": item.account,
                "region_code": "US",
                "video_description": item.text + "".join(f" #{h}" for h in item.hashtags),
                "hashtag_names": item.hashtags,
                "like_count": 3,
                "view_count": 40,
                "music_id": 7000 + len(videos),
            }
        )
    pages = [
        {
            "data": {
                "videos": videos[i : i + 100],
                "cursor": i + 100,
                "has_more": True,
                "search_id": "7301",
            },
            "error": {"code": "ok", "message": ""},
        }
        for i in range(0, len(videos), 100)
    ]
    return _jsonl(folder / "tiktok_videos.jsonl", pages)


def write_tiktok_comments(items: list[Item], folder: Path) -> Path:
    """Research API comment/list response pages, one page per video (and one per comment whose
    replies were asked for): every post of the story is a comment. An original is a comment
    under a video of its own; a repost is a comment under the reposted post's video (so 20
    accounts comment on one video, the planted 5 within seconds); a reply answers the
    replied-to post's comment. The API names no comment's author: the collection these pages
    stand for added each comment's author as ``username`` (joined from its own records)."""
    by_id = {i.id: i for i in items}

    def video_of(item: Item) -> int:
        return 7_300_000_000_000_000_000 + int(item.id)

    def comment_of(item: Item) -> int:
        return 7_310_000_000_000_000_000 + int(item.id)

    pages: dict[tuple[str, int], list[dict]] = {}
    for item in _collected(items):
        text = item.text + "".join(f" #{h}" for h in item.hashtags)
        if item.url:
            text += f" {item.url}"
        comment = {
            "id": comment_of(item),
            "text": text,
            "like_count": len(item.account),
            "reply_count": 0,
            "create_time": int(item.time.timestamp()),
            "username": item.account,
        }
        if item.kind == "reply" and item.ref in by_id:
            target = by_id[item.ref]
            comment["video_id"] = video_of(target)
            comment["parent_comment_id"] = comment_of(target)
            key = ("comment_id", comment_of(target))
        else:
            source = by_id.get(str(item.ref)) if item.kind == "repost" else None
            video = video_of(source or item)
            comment["video_id"] = video
            comment["parent_comment_id"] = video  # a top-level comment: its video's id
            key = ("video_id", video)
        pages.setdefault(key, []).append(comment)
    records = []
    for (_, _ident), comments in pages.items():
        for start in range(0, len(comments), 100):
            records.append(
                {
                    "data": {
                        "comments": comments[start : start + 100],
                        "cursor": start + 100,
                        "has_more": start + 100 < len(comments),
                    },
                    "error": {"code": "ok", "message": "", "log_id": f"2024{start:06d}"},
                }
            )
    return _jsonl(folder / "tiktok_comments.jsonl", records)


def write_articles(items: list[Item], folder: Path) -> Path:
    records = []
    for item in _collected(items):
        site = f"{item.account}.example.com"
        url = f"https://{site}/2024/{item.id}"
        body = f"<p>{item.text}.</p><p>The full story continues here with more detail.</p>"
        if item.url:
            body += f'<p>Source: <a href="{item.url}">{item.url.split("/")[2]}</a></p>'
        records.append(
            {
                "url": url,
                "title": item.text[:60],
                "media_name": site,
                "publish_date": item.time.strftime("%Y-%m-%d %H:%M:%S"),
                "language": "en",
                "text": body,
            }
        )
    return _jsonl(folder / "articles.jsonl", records)


def _mcl_id(item: Item) -> str:
    return str(4_000_000_000_000 + int(item.id))


def write_meta_content_library(items: list[Item], folder: Path) -> Path:
    """A Content Library CSV download: columns flattened with dots (``post_owner.id``,
    ``link_attachment.link``), as exports write them; a repost is a reshare
    (``shared_post_id``, no text of its own)."""
    columns = [
        "id",
        "creation_time",
        "modified_time",
        "text",
        "lang",
        "content_type",
        "post_owner.id",
        "post_owner.name",
        "post_owner.type",
        "post_owner.username",
        "surface.id",
        "surface.name",
        "surface.type",
        "link_attachment.link",
        "link_attachment.name",
        "shared_post_id",
        "statistics.reaction_count",
        "statistics.share_count",
        "mcl_url",
    ]
    by_id = {i.id: i for i in items}
    rows = []
    for item in _collected(items):
        reshare = item.kind == "repost" and item.ref in by_id
        rows.append(
            {
                "id": _mcl_id(item),
                "creation_time": item.time.strftime("%Y-%m-%dT%H:%M:%S"),
                "modified_time": item.time.strftime("%Y-%m-%dT%H:%M:%S"),
                "text": "" if reshare else item.text + "".join(f" #{h}" for h in item.hashtags),
                "lang": "en",
                "content_type": "reshare" if reshare else ("link" if item.url else "status"),
                "post_owner.id": _uid(item.account),
                "post_owner.name": item.account.title(),
                "post_owner.type": "page",
                "post_owner.username": item.account,
                "surface.id": _uid(item.account),
                "surface.name": item.account.title(),
                "surface.type": "page",
                "link_attachment.link": "" if reshare else item.url or "",
                "link_attachment.name": "" if reshare or not item.url else item.text[:40],
                "shared_post_id": _mcl_id(by_id[str(item.ref)]) if reshare else "",
                "statistics.reaction_count": "4",
                "statistics.share_count": "1",
                "mcl_url": f"https://www.facebook.com/{item.account}/posts/{item.id}",
            }
        )
    return _csv(folder / "mcl_posts.csv", rows, columns)


def write_meta_content_library_json(items: list[Item], folder: Path) -> Path:
    """Content Library API search response pages (``data`` + ``paging``), with the field names
    of Meta's data dictionary for Facebook posts: the owner under ``post_owner.data``, the
    link under ``link_attachment_fields``."""
    by_id = {i.id: i for i in items}
    posts = []
    for item in _collected(items):
        record: dict = {
            "id": _mcl_id(item),
            "creation_time": item.time.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "lang": "en",
            "post_owner": {
                "data": {
                    "id": _uid(item.account),
                    "type": "page",
                    "name": item.account.title(),
                    "username": item.account,
                }
            },
            "surface": {"id": _uid(item.account), "type": "page", "name": item.account.title()},
            "statistics": {"reaction_count": 4, "share_count": 1, "comment_count": 0},
        }
        if item.kind == "repost" and item.ref in by_id:
            record["shared_post_id"] = _mcl_id(by_id[item.ref])
            record["content_type"] = "reshare"
        else:
            record["text"] = item.text + "".join(f" #{h}" for h in item.hashtags)
            if item.url:
                record["link_attachment_fields"] = {"link": item.url, "name": item.text[:40]}
        posts.append(record)
    pages = [
        {"data": posts[i : i + 100], "paging": {"cursors": {"after": f"c{i + 100}"}}}
        for i in range(0, len(posts), 100)
    ]
    return _jsonl(folder / "mcl_posts.jsonl", pages)


#: format -> (writer, the account id the format gives each planted account)
WRITERS: dict[str, tuple[Callable[[list[Item], Path], Path | list[Path]], Callable[[str], str]]] = {
    "twitter-v2": (write_twitter_v2, _uid),
    "twitter-v2-tweets": (write_twitter_v2_flat, _uid),
    "twitter-v1": (write_twitter_v1, _uid),
    "twarc-csv": (write_twarc_csv, _uid),
    "twitter-io-archive": (write_twitter_io, lambda a: f"{_uid(a)}a7f"),
    "4cat": (write_4cat_twitter, _uid),
    "telegram-desktop": (write_telegram_desktop, lambda a: f"user{_uid(a)}"),
    "telethon": (write_telethon, lambda a: f"channel{int(_uid(a)) * 1000}"),
    "bluesky": (write_bluesky_jetstream, _did),
    "mastodon": (write_mastodon, _uid),
    "reddit": (write_reddit, lambda a: a),
    "crowdtangle": (write_crowdtangle, lambda a: _uid(a) + "77"),
    "youtube-comments": (write_youtube, lambda a: "UC" + _uid(a)),
    "tiktok": (write_tiktok, lambda a: a),
    "tiktok-comments": (write_tiktok_comments, lambda a: a),
    "articles": (write_articles, lambda a: f"{a}.example.com"),
    "meta-content-library": (write_meta_content_library, _uid),
    "meta-content-library-json": (write_meta_content_library_json, _uid),
}


#: format -> the name (handle) the format gives each account, for formats that give one
HANDLES: dict[str, Callable[[str], str]] = {
    "twitter-v2": lambda a: a,
    "twitter-v2-tweets": lambda a: a,
    "twitter-v1": lambda a: a,
    "twarc-csv": lambda a: a,
    "twitter-io-archive": lambda a: a,
    "4cat": lambda a: a,
    "telegram-desktop": lambda a: a.title(),
    "telethon": lambda a: a,
    "bluesky": lambda a: f"{a}.bsky.social",
    "mastodon": lambda a: a,
    "crowdtangle": lambda a: a,
    "youtube-comments": lambda a: "@" + a,
    "meta-content-library": lambda a: a,
    "meta-content-library-json": lambda a: a,
}


@dataclass(frozen=True)
class Embedded:
    """What a format tells about a reposted original outside the collection (:func:`outside`):
    the evidence's ``object_author``, ``object_author_name`` (None: not told), whether
    ``object_text`` gives the original's text, and how ``object_link`` starts (None: none)."""

    author: str | None
    name: str | None
    text: bool
    link: str | None


_NEWSDESK = _uid("newsdesk")

#: format -> what it tells about a repost's original outside the collection
EMBEDS: dict[str, Embedded] = {
    "twitter-v2": Embedded(_NEWSDESK, "newsdesk", True, "https://twitter.com/newsdesk/status/"),
    "twitter-v2-tweets": Embedded(
        _NEWSDESK, "newsdesk", True, "https://twitter.com/newsdesk/status/"
    ),
    "twitter-v1": Embedded(_NEWSDESK, "newsdesk", True, "https://twitter.com/newsdesk/status/"),
    "twarc-csv": Embedded(_NEWSDESK, "newsdesk", True, "https://twitter.com/newsdesk/status/"),
    "twitter-io-archive": Embedded(f"{_NEWSDESK}a7f", None, True, None),
    "4cat": Embedded("@newsdesk", "newsdesk", True, None),
    "telegram-desktop": Embedded(None, "Newsdesk Channel", True, None),
    "telethon": Embedded(f"channel{int(_NEWSDESK) * 1000}", None, True, None),
    "bluesky": Embedded(
        _did("newsdesk"), None, False, f"https://bsky.app/profile/{_did('newsdesk')}/post/"
    ),
    "mastodon": Embedded(_NEWSDESK, "newsdesk", True, "https://social.example/@newsdesk/"),
    "reddit": Embedded("newsdesk", None, True, "https://www.reddit.com/r/news/comments/"),
}
