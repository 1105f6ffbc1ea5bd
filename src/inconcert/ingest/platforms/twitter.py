"""Twitter/X: API v2 pages and tweets (twarc2, flattened, 4CAT NDJSON), v1.1 statuses,
twarc-csv, and the information-operations archive CSV.

Links come from ``entities.urls`` (``unwound_url``, else ``expanded_url``, else the ``t.co``
``url`` only when nothing else is given), never from the text, whose links are ``t.co``
wrappers. Links to the tweet's own photos (``pic.twitter.com``) and to the quoted tweet are
left out: the first are not shared objects, the second is the quote itself.

The author's ``username`` (``screen_name``) is the ``account_name``. The tweets a tweet
references, as the export embeds them (API v2 ``includes.tweets`` with ``includes.users``, or
inlined in ``referenced_tweets`` by twarc2's flattening; v1.1 ``retweeted_status`` and
``quoted_status``; twarc-csv's ``retweeted_username`` and the like), are referenced posts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from inconcert.ingest.platforms._common import (
    NOT_A_POST,
    PlatformFormat,
    Post,
    as_map,
    embedded,
    first,
    get,
    has_columns,
    post,
    split_list,
    text_or_none,
    unique,
    with_embedded,
)

__all__ = ["FORMATS"]

_STATUS_LINK = re.compile(r"(?:twitter|x)\.com/(?:[^/]+|i/web)/status(?:es)?/(\d+)", re.I)


def _permalink(tweet_id: Any, username: Any = None) -> str | None:
    tid = text_or_none(tweet_id)
    if tid is None:
        return None
    name = text_or_none(username)
    return f"https://twitter.com/{name or 'i/web'}/status/{tid}"


def _entity_urls(entities: Any, skip_status: set[str]) -> list[str]:
    """Expanded links of an ``entities.urls`` list (v1.1 or v2): URL objects, or the plain
    strings twarc-csv writes when it processes entities (each object's ``expanded_url``, a
    photo's or video's ``display_url``)."""
    out: list[str] = []
    if not isinstance(entities, list):
        return out
    for item in entities:
        if isinstance(item, str):
            link: Any = item.strip()
            if not link or link.startswith(("pic.twitter.com", "pic.x.com")):
                continue
        elif isinstance(item, Mapping):
            if item.get("media_key"):
                continue
            display = str(item.get("display_url") or "")
            if display.startswith(("pic.twitter.com", "pic.x.com")):
                continue
            link = first(item, "unwound_url", "expanded_url", "url")
            if link is None:
                continue
        else:
            continue
        match = _STATUS_LINK.search(str(link))
        if match and match.group(1) in skip_status:
            continue
        if re.search(r"(?:twitter|x)\.com/[^/]+/status/\d+/(?:photo|video)/", str(link)):
            continue
        out.append(str(link))
    return list(dict.fromkeys(out))


def _tags(items: Any, key: str) -> list[str]:
    if not isinstance(items, list):
        return []
    return unique(get(item, key) if isinstance(item, Mapping) else item for item in items)


# ---------------------------------------------------------------------------------------------
# API v2
# ---------------------------------------------------------------------------------------------


#: How a retweet's copy of the original text starts (``RT @name: ``).
_RT = re.compile(r"^RT @[A-Za-z0-9_]{1,50}:\s*")


def _v2_author(tweet: Mapping[str, Any], users: Mapping[str, Any]) -> tuple[Any, Any]:
    """A v2 tweet's author id and username (from the tweet, else ``includes.users``)."""
    author_id = first(tweet, "author_id", "author.id", "author_user.id")
    username = first(tweet, "author.username", "author_user.username")
    if username is None and author_id is not None:
        username = get(as_map(users.get(str(author_id))), "username")
    return author_id, username


def _v2_text(tweet: Mapping[str, Any]) -> Any:
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), Mapping) else None
    return (get(note, "text") if note else None) or tweet.get("text")


def _v2_reference(
    ref: Mapping[str, Any],
    users: Mapping[str, Any],
    tweets: Mapping[str, Any],
    reply_user: tuple[Any, Any],
) -> Post | None:
    """A referenced tweet as the page embeds it: inlined in the reference (flattened twarc2),
    else from ``includes.tweets``; a reply's parent not included names its author alone."""
    ident = text_or_none(ref.get("id"))
    tweet = ref if "text" in ref or "author_id" in ref else as_map(tweets.get(str(ident)))
    if tweet:
        (author_id, username), text = _v2_author(tweet, users), _v2_text(tweet)
    else:
        text = None
        author_id, username = reply_user if ref.get("type") == "replied_to" else (None, None)
    return embedded(ident, author_id, username, text, _permalink(ident, username))


def _v2_tweet(
    tweet: Mapping[str, Any],
    users: Mapping[str, Any],
    tweets: Mapping[str, Any] | None = None,
) -> Post:
    refs: dict[str, str | None] = {"retweeted": None, "quoted": None, "replied_to": None}
    found: list[Mapping[str, Any]] = []
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, Mapping) and ref.get("type") in refs:
            refs[str(ref["type"])] = text_or_none(ref.get("id"))
            found.append(ref)
    author_id, username = _v2_author(tweet, users)
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), Mapping) else None
    text = get(note, "text") if note else None
    entities = get(note, "entities") if note and get(note, "entities") else tweet.get("entities")
    entities = entities if isinstance(entities, Mapping) else {}
    skip: set[str] = {refs["quoted"]} if refs["quoted"] else set()
    values = post(
        post_id=tweet.get("id"),
        account_id=author_id,
        timestamp=tweet.get("created_at"),
        platform="twitter",
        text=text or tweet.get("text"),
        repost_of=refs["retweeted"],
        quote_of=refs["quoted"],
        reply_to=refs["replied_to"],
        permalink=_permalink(tweet.get("id"), username),
        account_name=username,
    )
    if refs["retweeted"] is None:  # a retweet's entities are the original's
        values["urls"] = _entity_urls(entities.get("urls"), skip)
        values["hashtags"] = _tags(entities.get("hashtags"), "tag")
        values["mentions"] = _tags(entities.get("mentions"), "username")
    reply_id = first(tweet, "in_reply_to_user_id", "in_reply_to_user.id")
    reply_name = first(tweet, "in_reply_to_user.username") or get(
        as_map(users.get(str(reply_id))), "username"
    )
    return with_embedded(
        values, *(_v2_reference(r, users, tweets or {}, (reply_id, reply_name)) for r in found)
    )


def _match_v2_page(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    data = record.get("data")
    if isinstance(data, Mapping):
        data = [data]
    if isinstance(data, list) and data:
        item = data[0]
        return (
            isinstance(item, Mapping)
            and "id" in item
            and ("text" in item or "author_id" in item)
            and "creation_time" not in item  # a Meta Content Library page
        )
    return "includes" in record or (
        isinstance(record.get("meta"), Mapping) and "result_count" in record["meta"]
    )


def _convert_v2_page(record: Mapping[str, Any]) -> Iterator[Post]:
    data = record.get("data")
    if isinstance(data, Mapping):
        data = [data]
    includes = as_map(record.get("includes"))
    users = {str(u.get("id")): u for u in includes.get("users") or [] if isinstance(u, Mapping)}
    included = {str(t.get("id")): t for t in includes.get("tweets") or [] if isinstance(t, Mapping)}
    tweets = [t for t in data or [] if isinstance(t, Mapping)]
    if not tweets:
        yield {NOT_A_POST: "a page without tweets"}
        return
    for tweet in tweets:
        yield _v2_tweet(tweet, users, included)


def _match_v2_tweet(record: Any) -> bool:
    return (
        isinstance(record, Mapping)
        and "id" in record
        and "text" in record
        and (
            "author_id" in record
            or isinstance(record.get("author"), Mapping)
            or isinstance(record.get("author_user"), Mapping)
        )
        and "user" not in record
        and "data" not in record
    )


def _convert_v2_tweet(record: Mapping[str, Any]) -> Iterator[Post]:
    yield _v2_tweet(record, {})


# ---------------------------------------------------------------------------------------------
# v1.1
# ---------------------------------------------------------------------------------------------


def _match_v1(record: Any) -> bool:
    if isinstance(record, Mapping) and isinstance(record.get("statuses"), list):
        return any(_match_v1(s) for s in record["statuses"][:5])  # a search response
    return (
        isinstance(record, Mapping)
        and isinstance(record.get("user"), Mapping)
        and ("id_str" in record or "id" in record)
        and ("text" in record or "full_text" in record or "extended_tweet" in record)
        and "created_at" in record
    )


def _convert_v1(record: Mapping[str, Any]) -> Iterator[Post]:
    if isinstance(record.get("statuses"), list):
        for status in record["statuses"]:
            if isinstance(status, Mapping):
                for values in _convert_v1(status):
                    yield {**values, "_item": status}
        return
    if "delete" in record or "limit" in record:
        yield {NOT_A_POST: "a stream notice (delete/limit)"}
        return
    extended = as_map(record.get("extended_tweet"))
    entities = extended.get("entities") or record.get("entities") or {}
    retweeted = record.get("retweeted_status")
    repost_of = first(retweeted, "id_str", "id") if isinstance(retweeted, Mapping) else None
    quote_of = first(record, "quoted_status_id_str", "quoted_status.id_str", "quoted_status_id")
    reply_to = first(record, "in_reply_to_status_id_str", "in_reply_to_status_id")
    skip = {str(quote_of)} if quote_of is not None else set()
    values = post(
        post_id=first(record, "id_str", "id"),
        account_id=first(record, "user.id_str", "user.id"),
        timestamp=record.get("created_at"),
        platform="twitter",
        text=_v1_text(record),
        repost_of=repost_of,
        quote_of=quote_of,
        reply_to=reply_to,
        permalink=_permalink(first(record, "id_str", "id"), get(record, "user.screen_name")),
        account_name=get(record, "user.screen_name"),
    )
    if repost_of is None:
        values["urls"] = _entity_urls(get(entities, "urls"), skip)
        values["hashtags"] = _tags(get(entities, "hashtags"), "text")
        values["mentions"] = _tags(get(entities, "user_mentions"), "screen_name")
    quoted = record.get("quoted_status")
    yield with_embedded(
        values,
        _v1_reference(retweeted) if isinstance(retweeted, Mapping) else None,
        _v1_reference(quoted) if isinstance(quoted, Mapping) else None,
        embedded(
            reply_to,
            first(record, "in_reply_to_user_id_str", "in_reply_to_user_id"),
            record.get("in_reply_to_screen_name"),
        )
        if reply_to is not None
        else None,
    )


def _v1_text(status: Mapping[str, Any]) -> Any:
    extended = as_map(status.get("extended_tweet"))
    return first(extended, "full_text") or first(status, "full_text", "text")


def _v1_reference(status: Mapping[str, Any]) -> Post | None:
    """A v1.1 status embedded in another (``retweeted_status``, ``quoted_status``)."""
    ident = first(status, "id_str", "id")
    name = get(status, "user.screen_name")
    return embedded(
        ident,
        first(status, "user.id_str", "user.id"),
        name,
        _v1_text(status),
        _permalink(ident, name),
    )


# ---------------------------------------------------------------------------------------------
# twarc-csv
# ---------------------------------------------------------------------------------------------


def _json_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _match_twarc_csv(names: list[str]) -> bool:
    return has_columns(names, "id", "author_id", "created_at", "text") and (
        "referenced_tweets.retweeted.id" in names or "entities.urls" in names
    )


def _convert_twarc_csv(row: Mapping[str, Any]) -> Iterator[Post]:
    repost_of = row.get("referenced_tweets.retweeted.id")
    quote_of = row.get("referenced_tweets.quoted.id")
    reply_to = row.get("referenced_tweets.replied_to.id")
    skip = {str(quote_of)} if quote_of else set()
    values = post(
        post_id=row.get("id"),
        account_id=row.get("author_id"),
        timestamp=row.get("created_at"),
        platform="twitter",
        text=row.get("text"),
        repost_of=repost_of,
        quote_of=quote_of,
        reply_to=reply_to,
        permalink=_permalink(row.get("id"), row.get("author.username")),
        account_name=row.get("author.username"),
    )
    if not text_or_none(repost_of):
        values["urls"] = _entity_urls(_json_cell(row.get("entities.urls")), skip)
        values["hashtags"] = _tags(_json_cell(row.get("entities.hashtags")), "tag")
        values["mentions"] = _tags(_json_cell(row.get("entities.mentions")), "username")
    # twarc-csv merges a retweet: its text is the original's whole text (an unmerged one
    # starts "RT @name:", a copy cut short, left to the repost's own text)
    text = text_or_none(row.get("text"))
    original = text if text and not _RT.match(text) else None
    yield with_embedded(
        values,
        *(
            embedded(
                ident,
                row.get(f"{who}_user_id"),
                row.get(f"{who}_username"),
                original if who == "retweeted" else None,
                _permalink(ident, row.get(f"{who}_username")),
            )
            if text_or_none(ident)
            else None
            for ident, who in ((repost_of, "retweeted"), (quote_of, "quoted"))
        ),
        embedded(reply_to, row.get("in_reply_to_user_id"), row.get("in_reply_to_username"))
        if text_or_none(reply_to)
        else None,
    )


# ---------------------------------------------------------------------------------------------
# Information-operations archive
# ---------------------------------------------------------------------------------------------


def _match_io(names: list[str]) -> bool:
    return has_columns(names, "tweetid", "userid", "tweet_time", "tweet_text")


def _truthy(value: Any) -> bool:
    return str(value or "").strip().lower() in ("true", "1", "yes", "t")


def _convert_io(row: Mapping[str, Any]) -> Iterator[Post]:
    retweet = text_or_none(row.get("retweet_tweetid"))
    repost_of = (
        retweet
        if (retweet and (_truthy(row.get("is_retweet")) or row.get("is_retweet") is None))
        else None
    )
    quote_of = text_or_none(row.get("quoted_tweet_tweetid"))
    values = post(
        post_id=row.get("tweetid"),
        account_id=row.get("userid"),
        timestamp=row.get("tweet_time"),
        platform="twitter",
        text=row.get("tweet_text"),
        repost_of=repost_of,
        quote_of=quote_of,
        reply_to=row.get("in_reply_to_tweetid"),
        permalink=_permalink(row.get("tweetid")),
        account_name=row.get("user_screen_name"),
    )
    with_embedded(
        values,
        embedded(repost_of, row.get("retweet_userid")) if repost_of else None,
        embedded(row.get("in_reply_to_tweetid"), row.get("in_reply_to_userid")),
    )
    if repost_of is None:
        skip = {quote_of} if quote_of else set()
        values["urls"] = [
            u
            for u in split_list(row.get("urls"))
            if not ((m := _STATUS_LINK.search(u)) and m.group(1) in skip)
        ]
        values["hashtags"] = split_list(row.get("hashtags"))
        values["mentions"] = split_list(row.get("user_mentions"))
    yield values


_V2_FIELDS = (
    ("post_id", "id"),
    ("account_id", "author_id (or author.id, author_user.id)"),
    ("timestamp", "created_at"),
    ("text", "note_tweet.text, else text"),
    (
        "urls",
        "entities.urls[].unwound_url, else expanded_url, else url; not photos, not the "
        "quoted tweet; none for a retweet",
    ),
    ("hashtags", "entities.hashtags[].tag (none for a retweet)"),
    ("mentions", "entities.mentions[].username (none for a retweet)"),
    ("repost_of", "referenced_tweets[type=retweeted].id"),
    ("quote_of", "referenced_tweets[type=quoted].id"),
    ("reply_to", "referenced_tweets[type=replied_to].id"),
    ("permalink", "https://twitter.com/{author username}/status/{id}"),
    ("account_name", "author.username, else includes.users[].username of author_id"),
    (
        "(referenced posts)",
        "each referenced tweet as embedded: inlined in referenced_tweets[] (twarc2 "
        "flattening), else includes.tweets[]: id, author_id, author username (includes.users), "
        "note_tweet.text else text; a replied-to tweet not included: in_reply_to_user_id",
    ),
)

FORMATS: tuple[PlatformFormat, ...] = (
    PlatformFormat(
        name="twitter-v2",
        platform="twitter",
        title="Twitter/X API v2 response pages (data + includes), as twarc2 writes them",
        container="json",
        detection="a JSON object with a 'data' list of tweets (id, text/author_id) or "
        "'includes'/'meta.result_count'",
        fields=(
            (
                "(item)",
                "each tweet of data[]; includes.users give usernames; "
                "includes.tweets are referenced posts, not posts of the collection",
            ),
            *_V2_FIELDS,
        ),
        match=_match_v2_page,
        convert=_convert_v2_page,
        permalink="https://twitter.com/{username}/status/{id}",
        priority=10,
    ),
    PlatformFormat(
        name="twitter-v2-tweets",
        platform="twitter",
        title="Twitter/X API v2 tweets one per line: flattened twarc2 JSONL, 4CAT NDJSON",
        container="json",
        detection="a JSON object with id, text and author_id (or an author/author_user "
        "object), no 'user' object",
        fields=_V2_FIELDS,
        match=_match_v2_tweet,
        convert=_convert_v2_tweet,
        permalink="https://twitter.com/{author.username}/status/{id}",
        priority=20,
    ),
    PlatformFormat(
        name="twitter-v1",
        platform="twitter",
        title="Twitter API v1.1 statuses (REST, streaming, twarc1, Hydrator)",
        container="json",
        detection="a JSON object with a 'user' object, id_str/id, text/full_text and created_at",
        fields=(
            ("post_id", "id_str"),
            ("account_id", "user.id_str"),
            ("timestamp", "created_at"),
            ("text", "extended_tweet.full_text, else full_text, else text"),
            (
                "urls",
                "(extended_tweet.)entities.urls[].expanded_url; not media, not the quoted "
                "tweet; none for a retweet",
            ),
            ("hashtags", "entities.hashtags[].text (none for a retweet)"),
            ("mentions", "entities.user_mentions[].screen_name (none for a retweet)"),
            ("repost_of", "retweeted_status.id_str"),
            ("quote_of", "quoted_status_id_str"),
            ("reply_to", "in_reply_to_status_id_str"),
            ("permalink", "https://twitter.com/{user.screen_name}/status/{id_str}"),
            ("account_name", "user.screen_name"),
            (
                "(referenced posts)",
                "retweeted_status, quoted_status: id_str, user.id_str, user.screen_name, "
                "extended_tweet.full_text else full_text else text; a reply's "
                "in_reply_to_user_id_str and in_reply_to_screen_name",
            ),
        ),
        match=_match_v1,
        convert=_convert_v1,
        permalink="https://twitter.com/{user.screen_name}/status/{id_str}",
        priority=30,
    ),
    PlatformFormat(
        name="twarc-csv",
        platform="twitter",
        title="twarc-csv export of API v2 tweets (twarc2 csv)",
        container="csv",
        detection="columns id, author_id, created_at, text and referenced_tweets.retweeted.id "
        "or entities.urls",
        fields=(
            ("post_id", "id"),
            ("account_id", "author_id"),
            ("timestamp", "created_at"),
            ("text", "text"),
            (
                "urls",
                "entities.urls (JSON): unwound_url, else expanded_url, or the expanded links "
                "as strings (twarc-csv's processed entities); not photos; none for a retweet",
            ),
            ("hashtags", "entities.hashtags (JSON): tag, or '#tag' strings; none for a retweet"),
            (
                "mentions",
                "entities.mentions (JSON): username, or '@name' strings; none for a retweet",
            ),
            ("repost_of", "referenced_tweets.retweeted.id"),
            ("quote_of", "referenced_tweets.quoted.id"),
            ("reply_to", "referenced_tweets.replied_to.id"),
            ("permalink", "https://twitter.com/{author.username}/status/{id}"),
            ("account_name", "author.username"),
            (
                "(referenced posts)",
                "retweeted_user_id, retweeted_username and the retweet's text (twarc-csv "
                "merges a retweet's text with its original's; not an 'RT @' copy); "
                "quoted_user_id, quoted_username; in_reply_to_user_id, in_reply_to_username",
            ),
        ),
        match=_match_twarc_csv,
        convert=_convert_twarc_csv,
        permalink="https://twitter.com/{author.username}/status/{id}",
        priority=10,
    ),
    PlatformFormat(
        name="twitter-io-archive",
        platform="twitter",
        title="Twitter's information-operations archive CSV (hashed or plain user ids)",
        container="csv",
        detection="columns tweetid, userid, tweet_time, tweet_text",
        fields=(
            ("post_id", "tweetid"),
            ("account_id", "userid"),
            ("timestamp", "tweet_time"),
            ("text", "tweet_text"),
            ("urls", "urls ([a, b] list); none for a retweet"),
            ("hashtags", "hashtags; none for a retweet"),
            ("mentions", "user_mentions (user ids); none for a retweet"),
            ("repost_of", "retweet_tweetid when is_retweet is true"),
            ("quote_of", "quoted_tweet_tweetid"),
            ("reply_to", "in_reply_to_tweetid"),
            ("permalink", "https://twitter.com/i/web/status/{tweetid}"),
            ("account_name", "user_screen_name"),
            (
                "(referenced posts)",
                "a retweet's original: retweet_userid; a reply's parent: in_reply_to_userid",
            ),
        ),
        match=_match_io,
        convert=_convert_io,
        permalink="https://twitter.com/i/web/status/{tweetid}",
        priority=10,
    ),
)
