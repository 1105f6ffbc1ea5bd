"""4CAT CSV exports (any data source: Twitter, Telegram, Reddit, ...). 4CAT's NDJSON exports
hold the platform's own records and are read by the platform's reader (``twitter-v2-tweets``
for 4CAT's Twitter NDJSON, ``telethon`` for its Telegram NDJSON).

4CAT joins lists with commas (``news,politics``) and marks retweets and forwards without the
original's id (``is_retweet = yes`` with ``retweeted_user``; ``author_forwarded_from_*``): the
repost is then of a derived id made of the original's author and the copied text, the same for
every repost of one original. A Telegram message 4CAT gives no sender (``author`` empty: a
channel's own post, an anonymous group admin) is the chat's, as Telegram shows it. The
author's handle (``author`` beside ``author_id``) is the
``account_name``; a retweet's ``retweeted_user`` and a forward's source name the original's
author.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from inconcert.ingest.platforms._common import (
    PlatformFormat,
    Post,
    derived_id,
    embedded,
    epoch,
    first,
    has_columns,
    post,
    split_list,
    text_or_none,
    unique,
    with_embedded,
)
from inconcert.normalize import extract_urls

__all__ = ["FORMATS"]

_STATUS_LINK = re.compile(r"(?:twitter|x)\.com/[^/]+/status/(\d+)", re.I)


def _yes(value: Any) -> bool:
    return str(value or "").strip().lower() in ("yes", "true", "1")


def _match(names: list[str]) -> bool:
    return has_columns(names, "id", "thread_id", "timestamp", "body", "author")


def _convert(row: Mapping[str, Any]) -> Iterator[Post]:
    body = text_or_none(row.get("body"))
    thread = text_or_none(row.get("thread_id"))
    ident = text_or_none(row.get("id"))
    urls = split_list(row.get("urls"))
    attached = text_or_none(row.get("link_attached"))
    if attached:
        urls.append(attached)
    if "urls" not in row and body:
        urls.extend(extract_urls(body))
    hashtags = split_list(row.get("hashtags"))
    mentions = split_list(first(row, "mentions", "entities_mentioned"))
    repost_of = quote_of = reply_to = None
    source = None
    if _yes(row.get("is_retweet")):
        repost_of = derived_id("4cat-retweet", row.get("retweeted_user"), body)
        source = row.get("retweeted_user")
    forwarded = first(
        row,
        "author_forwarded_from_id",
        "author_forwarded_from_username",
        "author_forwarded_from_name",
    )
    if forwarded:
        repost_of = derived_id(
            "telegram-forward", forwarded, row.get("unix_timestamp_forwarded_from"), body
        )
        source = first(row, "author_forwarded_from_username", "author_forwarded_from_name")
    if _yes(row.get("is_quote_tweet")):
        for url in urls:
            match = _STATUS_LINK.search(url)
            if match:
                quote_of = match.group(1)
                urls = [u for u in urls if u != url]
                break
    parent = text_or_none(row.get("reply_to"))
    if parent and "chat" in row and not parent.startswith(f"{thread}-"):
        parent = f"{thread}-{parent}"
    if parent:
        reply_to = parent
    elif _yes(row.get("is_reply")) and thread and thread != ident:
        reply_to = thread
    stamp = epoch(row.get("unix_timestamp")) if text_or_none(row.get("unix_timestamp")) else None
    account = first(row, "author_id", "author", "author_username", "author_name")
    name = first(row, "author_username", "author_name", "author")
    if account is None and "chat" in row:
        # Telegram: a message without a sender is posted as its chat (a channel's own
        # post, a group's anonymous admin); 4CAT's chat is the channel's username, else id
        account = first(row, "chat", "thread_id")
    values = post(
        post_id=ident,
        account_id=account,
        timestamp=stamp or row.get("timestamp"),
        platform=text_or_none(row.get("platform"))
        or ("telegram" if "chat" in row else "twitter" if "is_retweet" in row else "4cat"),
        text=body,
        repost_of=repost_of,
        quote_of=quote_of,
        reply_to=reply_to,
        permalink=first(row, "link", "url") if "is_retweet" in row else None,
        account_name=name if text_or_none(name) != text_or_none(account) else None,
    )
    if repost_of is None:
        values.update(
            urls=unique(urls),
            hashtags=unique(h.lstrip("#") for h in hashtags),
            mentions=unique(m.lstrip("@") for m in mentions),
        )
        if "hashtags" not in row:
            values["hashtags"] = None  # from the text
    yield with_embedded(values, embedded(repost_of, None, source) if repost_of else None)


FORMATS: tuple[PlatformFormat, ...] = (
    PlatformFormat(
        name="4cat",
        platform="4cat",
        title="4CAT CSV export (any data source; lists joined by commas)",
        container="csv",
        detection="columns id, thread_id, timestamp, body, author",
        fields=(
            ("post_id", "id"),
            (
                "account_id",
                "author_id, else author, author_username, author_name; Telegram: a message "
                "with none of them (a channel's own post) is its chat's",
            ),
            ("timestamp", "unix_timestamp (UTC), else timestamp"),
            ("text", "body"),
            ("urls", "urls (comma-joined), link_attached; else links in body; none for a repost"),
            ("hashtags", "hashtags (comma-joined), else from the text"),
            ("mentions", "mentions or entities_mentioned (comma-joined)"),
            (
                "repost_of",
                "is_retweet=yes: derived from retweeted_user and body; "
                "author_forwarded_from_*: derived from the source, its time and body",
            ),
            ("quote_of", "is_quote_tweet=yes: the status id of the quoted tweet's link"),
            ("reply_to", "reply_to (Telegram: {chat}-{reply_to}); is_reply=yes: thread_id"),
            ("permalink", "link (Twitter)"),
            ("account_name", "author_username, else author_name, author (when not the account_id)"),
            (
                "(referenced posts)",
                "a retweet's original: retweeted_user; a forward's source: "
                "author_forwarded_from_username, else author_forwarded_from_name",
            ),
        ),
        match=_match,
        convert=_convert,
        priority=20,
    ),
)
