"""Bluesky (AT Protocol): Jetstream events, repository records (``listRecords``, CAR dumps as
JSON), and the App View's post and feed views (``getAuthorFeed``, ``searchPosts``).

A post is named by its ``at://`` URI (``at://{did}/app.bsky.feed.post/{rkey}``), the account
by its DID. Links come from the record's facets (``app.bsky.richtext.facet#link``) and its
external embed, never from the text, whose link text the app shortens
(``example.com/news/2024/05/...``). A repost record (``app.bsky.feed.repost``) is a repost of
its subject's URI; a quote is an ``app.bsky.embed.record`` (or ``recordWithMedia``) embed;
likes, follows and deletions are not posts.

The handle is the ``account_name``: the App View's ``author.handle`` (and a repost reason's
``by.handle``), or a Jetstream ``identity`` event's handle for its DID. What the App View embeds
are referenced posts: the post a feed item reposts, the record view of a quote, a reply's
parent (author DID and handle, text, link).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inconcert.ingest.platforms._common import (
    NOT_A_POST,
    PlatformFormat,
    Post,
    as_map,
    embedded,
    epoch,
    first,
    get,
    post,
    text_or_none,
    unique,
    with_embedded,
)

__all__ = ["FORMATS"]

_POST = "app.bsky.feed.post"
_REPOST = "app.bsky.feed.repost"


def _did_of(uri: Any) -> str | None:
    text = text_or_none(uri)
    if not text or not text.startswith("at://"):
        return None
    return text[5:].split("/", 1)[0] or None


def _permalink(uri: str | None, handle: Any = None) -> str | None:
    if not uri or not uri.startswith("at://"):
        return None
    parts = uri[5:].split("/")
    if len(parts) != 3 or parts[1] != _POST:
        return None
    return f"https://bsky.app/profile/{text_or_none(handle) or parts[0]}/post/{parts[2]}"


def _embedded_uri(embed: Any) -> str | None:
    kind = str(get(embed, "$type") or "")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return text_or_none(first(embed, "record.record.uri", "record.uri"))
    if kind.startswith("app.bsky.embed.record"):
        return text_or_none(first(embed, "record.uri", "record.record.uri"))
    return None


def _view_reference(view: Any) -> Post | None:
    """A post view (``app.bsky.feed.defs#postView``) or an embedded record view
    (``app.bsky.embed.record#viewRecord``) as a referenced post."""
    if not isinstance(view, Mapping):
        return None
    uri = text_or_none(view.get("uri"))
    handle = get(view, "author.handle")
    text = first(view, "record.text", "value.text")
    return embedded(
        uri, get(view, "author.did") or _did_of(uri), handle, text, _permalink(uri, handle)
    )


def _quoted_view(embed: Any) -> Any:
    """The record view a post view's embed quotes (``record#view``, ``recordWithMedia#view``)."""
    inner = get(embed, "record")
    if isinstance(inner, Mapping) and isinstance(inner.get("record"), Mapping):
        inner = inner["record"]  # recordWithMedia#view: record.record
    return inner if isinstance(inner, Mapping) and "uri" in inner else None


def _record_post(
    record: Mapping[str, Any], uri: str, did: str | None, stamp: Any = None, handle: Any = None
) -> Post:
    """A post from an ``app.bsky.feed.post`` or ``app.bsky.feed.repost`` record."""
    kind = str(record.get("$type") or "")
    if kind == _REPOST or (not kind and "subject" in record and "text" not in record):
        subject = text_or_none(get(record, "subject.uri"))
        repost = post(
            post_id=uri,
            account_id=did,
            timestamp=record.get("createdAt") or stamp,
            platform="bluesky",
            repost_of=subject,
        )
        # the subject's URI names its author's DID and its link
        return with_embedded(
            repost, embedded(subject, _did_of(subject), None, None, _permalink(subject))
        )
    if kind and kind != _POST:
        return {NOT_A_POST: f"a {kind} record"}
    urls: list[str] = []
    hashtags: list[str] = []
    mentions: list[str] = []
    for facet in record.get("facets") or []:
        for feature in get(facet, "features") or []:
            ftype = str(get(feature, "$type") or "")
            if ftype.endswith("#link") and get(feature, "uri"):
                urls.append(str(feature["uri"]))
            elif ftype.endswith("#tag") and get(feature, "tag"):
                hashtags.append(str(feature["tag"]).lstrip("#"))
            elif ftype.endswith("#mention") and get(feature, "did"):
                mentions.append(str(feature["did"]))
    embed = record.get("embed")
    external = first(embed, "external.uri", "media.external.uri")
    if external:
        urls.append(str(external))
    hashtags.extend(str(t) for t in record.get("tags") or [] if t)
    return post(
        post_id=uri,
        account_id=did,
        timestamp=record.get("createdAt") or stamp,
        platform="bluesky",
        text=record.get("text"),
        urls=unique(urls),
        hashtags=unique(hashtags),
        mentions=unique(mentions),
        reply_to=get(record, "reply.parent.uri"),
        quote_of=_embedded_uri(embed),
        permalink=_permalink(uri, handle),
    )


_CONTAINERS = ("feed", "posts", "records")


def _items(record: Mapping[str, Any]) -> list[Any] | None:
    """The items of an API response page (getAuthorFeed, searchPosts, listRecords)."""
    for key in _CONTAINERS:
        value = record.get(key)
        if isinstance(value, list):
            return value
    return None


def _match(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    items = _items(record)
    if items is not None:
        return any(_match(item) for item in items[:5]) or (not items and "cursor" in record)
    if "did" in record and "time_us" in record:  # Jetstream
        return True
    if isinstance(record.get("post"), Mapping) and str(get(record, "post.uri", "")).startswith(
        "at://"
    ):
        return True  # feed view
    uri = str(record.get("uri") or "")
    return uri.startswith("at://") and (
        isinstance(record.get("value"), Mapping) or isinstance(record.get("record"), Mapping)
    )


def _convert(record: Mapping[str, Any]) -> Iterator[Post]:
    items = _items(record)
    if items is not None:
        found = False
        for item in items:
            if isinstance(item, Mapping) and _match(item):
                found = True
                for values in _convert_one(item):
                    yield {**values, "_item": item}
        if not found:
            yield {NOT_A_POST: "a page without posts"}
        return
    yield from _convert_one(record)


#: Jetstream's event fields before its October 2024 renaming (bluesky-social/jetstream pull
#: request 7): ``type`` com/id/acc for ``kind``, ``commit.type`` c/u/d for ``operation``;
#: dumps recorded then still have them.
_LEGACY_KINDS = {"com": "commit", "id": "identity", "acc": "account"}
_LEGACY_OPERATIONS = {"c": "create", "u": "update", "d": "delete"}


def _convert_one(record: Mapping[str, Any]) -> Iterator[Post]:
    if "did" in record and "time_us" in record:  # Jetstream event
        commit = record.get("commit")
        kind = _LEGACY_KINDS.get(str(first(record, "kind", "type")), first(record, "kind", "type"))
        if kind != "commit" or not isinstance(commit, Mapping):
            # an identity event names the DID's handle
            name = embedded(None, record.get("did"), get(record, "identity.handle"))
            yield with_embedded({NOT_A_POST: f"a Jetstream {kind} event"}, name)
            return
        operation = commit.get("operation") or _LEGACY_OPERATIONS.get(str(commit.get("type")))
        if operation != "create":
            yield {NOT_A_POST: f"a Jetstream {operation} of {commit.get('collection')}"}
            return
        collection = str(commit.get("collection") or "")
        if collection not in (_POST, _REPOST):
            yield {NOT_A_POST: f"a {collection} record"}
            return
        did = text_or_none(record.get("did"))
        uri = f"at://{did}/{collection}/{commit.get('rkey')}"
        inner = dict(commit.get("record") or {})
        inner.setdefault("$type", collection)
        yield _record_post(inner, uri, did, epoch(record.get("time_us"), "us"))
        return
    view = record.get("post")
    if isinstance(view, Mapping):  # FeedViewPost: a post, maybe reposted by someone
        reason = record.get("reason")
        if isinstance(reason, Mapping) and "Repost" in str(reason.get("$type") or ""):
            by = first(reason, "by.did")
            repost = post(
                post_id=first(reason, "uri") or f"repost:{by}:{view.get('uri')}",
                account_id=by,
                timestamp=reason.get("indexedAt"),
                platform="bluesky",
                repost_of=view.get("uri"),
                account_name=get(reason, "by.handle"),
            )
            yield with_embedded(repost, _view_reference(view))
            return
        parent = get(record, "reply.parent")
        record = view
    else:
        parent = None
    uri = str(record.get("uri"))
    body = as_map(record.get("value")) or as_map(record.get("record"))
    did = text_or_none(get(record, "author.did")) or _did_of(uri)
    handle = get(record, "author.handle")
    values = _record_post(body, uri, did, record.get("indexedAt"), handle)
    if NOT_A_POST in values:
        yield values
        return
    if values.get("quote_of") is None:
        values["quote_of"] = _embedded_uri(record.get("embed"))
    values["account_name"] = text_or_none(handle)
    quoted = _quoted_view(record.get("embed"))
    yield with_embedded(values, _view_reference(quoted), _view_reference(parent))


FORMATS: tuple[PlatformFormat, ...] = (
    PlatformFormat(
        name="bluesky",
        platform="bluesky",
        title="Bluesky / AT Protocol: Jetstream events, listRecords records, post and feed "
        "views (also as API response pages: feed, posts, records)",
        container="json",
        detection="a JSON object with did and time_us (Jetstream), or an at:// uri with a "
        "value/record (records, post views), or a post view under 'post' (feeds)",
        fields=(
            ("post_id", "the at:// URI (Jetstream: at://{did}/{collection}/{rkey})"),
            ("account_id", "the author's DID (did, author.did, or the URI's)"),
            ("timestamp", "record.createdAt, else Jetstream time_us / indexedAt"),
            ("text", "record.text"),
            ("urls", "facets #link uri, embed.external.uri (never the shortened link text)"),
            ("hashtags", "facets #tag, record.tags"),
            ("mentions", "facets #mention did"),
            ("repost_of", "app.bsky.feed.repost subject.uri; a feed item's reasonRepost"),
            ("quote_of", "embed app.bsky.embed.record(WithMedia) record.uri"),
            ("reply_to", "record.reply.parent.uri"),
            ("permalink", "https://bsky.app/profile/{handle or did}/post/{rkey}"),
            (
                "account_name",
                "the handle: author.handle (post views), reason.by.handle (a feed's repost), "
                "a Jetstream identity event's identity.handle for its did",
            ),
            (
                "(referenced posts)",
                "post views: the post a feed item reposts, embed.record (a quote's record view), "
                "reply.parent: uri, author.did, author.handle, record.text (value.text); a "
                "repost record's subject: its author's DID and link, from its URI",
            ),
            ("(not posts)", "likes, follows, deletions, identity and account events"),
            (
                "(Jetstream)",
                "kind commit with commit.operation create; before October 2024 type com with "
                "commit.type c (both read)",
            ),
        ),
        match=_match,
        convert=_convert,
        permalink="https://bsky.app/profile/{did}/post/{rkey}",
        priority=10,
    ),
)
