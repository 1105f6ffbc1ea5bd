"""Mastodon (and other Mastodon-API servers: Pleroma, Akkoma, GoToSocial) status entities, as
the REST API and the streaming API return them.

``content`` is HTML: the text is taken without tags, links are the ``href`` of its anchors
except those Mastodon marks as mentions or hashtags (``class="mention"``, ``rel="tag"``),
whose targets are profile and tag pages, not shared links, and the ``quote-inline`` "RE: <link>"
that Mastodon 4.4 adds to a quote for servers without quotes (neither the quoting account's
text nor its link); a preview card's url is a link too.
Hashtags come from ``tags[].name``, mentions from ``mentions[].acct``. Ids are those of the
server the statuses were collected from. The author's ``acct`` (``alice``, or
``alice@other.example`` for another server's account) is the ``account_name``; a boost's
``reblog`` and a quote's status are referenced posts (author, text, link), and a reply's
parent names its author (``in_reply_to_account_id``, its ``acct`` from ``mentions``). Statuses
come one per record (a timeline's JSON array, JSON Lines) or as /api/v2/search responses.

The streaming API's events, as saved from its WebSocket (``{"stream": [...], "event":
"update", "payload": "<the status as JSON text>"}`` per line) or as its server-sent events
(``event: update`` / ``data: {...}`` lines, read from a .jsonl or .json file, or from a file
of another suffix named on its own): ``update`` and ``status.update`` (an edit) payloads are
statuses (an edit of a status already read is a ``duplicate_post_id`` reject: the first
version is kept); a ``delete`` event (its payload the deleted status's id) and every other
event (``notification``, ``conversation``, ``filters_changed``, ...) are rejected rows naming
the event, never silently dropped. A deleted status already read is kept: coordinated
accounts often delete what they posted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from inconcert.ingest.platforms._common import (
    NOT_A_POST,
    PlatformFormat,
    Post,
    embedded,
    first,
    get,
    html_to_text,
    post,
    text_or_none,
    unique,
    with_embedded,
)

__all__ = ["FORMATS"]


def _not_a_link(attributes: dict[str, str]) -> bool:
    classes = attributes.get("class", "").split()
    rel = attributes.get("rel", "").split()
    return "mention" in classes or "hashtag" in classes or "tag" in rel


#: The class of the "RE: <link>" element Mastodon 4.4 (and Akkoma, Misskey) add to a quote's
#: content for servers that show no quotes: not the quoting account's own text or link.
_QUOTE_FALLBACK = ("quote-inline",)


def _is_status(record: Any) -> bool:
    return (
        isinstance(record, Mapping)
        and "content" in record
        and isinstance(record.get("account"), Mapping)
        and "created_at" in record
        and ("reblog" in record or "visibility" in record or "mentions" in record)
    )


def _search_page(record: Any) -> list[Any] | None:
    """The statuses of an /api/v2/search response (accounts, statuses, hashtags)."""
    if (
        isinstance(record, Mapping)
        and isinstance(record.get("statuses"), list)
        and ("accounts" in record or "hashtags" in record)
    ):
        return record["statuses"]
    return None


#: The streaming API's event names (``update`` and ``status.update`` carry a status).
_EVENTS = frozenset(
    {
        "update",
        "status.update",
        "delete",
        "notification",
        "notifications_merged",
        "conversation",
        "filters_changed",
        "announcement",
        "announcement.reaction",
        "announcement.delete",
        "encrypted_message",
    }
)
_STATUS_EVENTS = ("update", "status.update")


def _event(record: Any) -> str | None:
    """The event name of a streaming API event (``{"event": ..., "payload": ...}``)."""
    if isinstance(record, Mapping) and "payload" in record:
        name = record.get("event")
        if isinstance(name, str) and name in _EVENTS:
            return name
    return None


def _payload(record: Mapping[str, Any]) -> Any:
    """An event's payload: JSON text (as the API sends it) parsed, else as saved."""
    payload = record.get("payload")
    if isinstance(payload, str) and payload.lstrip().startswith(("{", "[")):
        return json.loads(payload)
    return payload


def _match(record: Any) -> bool:
    event = _event(record)
    if event is not None:
        return event not in _STATUS_EVENTS or _is_status(_payload(record))
    page = _search_page(record)
    if page is not None:
        return not page or _is_status(page[0])
    return _is_status(record)


def _quoted(status: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The quoted status (Mastodon 4.4 ``quote.quoted_status``; ``quote.quoted_status_id``
    of a shallow quote, nested in a quoted status; Fedibird/Pleroma ``quote``)."""
    quote = status.get("quote")
    if isinstance(quote, Mapping):
        inner = quote.get("quoted_status")
        if isinstance(inner, Mapping):
            return inner
        if "state" in quote and "id" not in quote:
            ident = quote.get("quoted_status_id")
            return {"id": ident} if ident is not None else None
        return quote
    return None


def _name(status: Mapping[str, Any]) -> Any:
    return first(status, "account.acct", "account.username")


def _reference(status: Any) -> Post | None:
    """A status embedded in another (a boost's ``reblog``, a quote's status)."""
    if not isinstance(status, Mapping):
        return None
    text, _ = html_to_text(text_or_none(status.get("content")), skip_classes=_QUOTE_FALLBACK)
    return embedded(
        status.get("id"),
        get(status, "account.id"),
        _name(status),
        text,
        first(status, "url", "uri"),
    )


def _parent(status: Mapping[str, Any]) -> Post | None:
    """A reply's parent: its id and author (its ``acct`` from the reply's mentions)."""
    author = text_or_none(status.get("in_reply_to_account_id"))
    name = next(
        (
            first(m, "acct", "username")
            for m in status.get("mentions") or []
            if author and text_or_none(get(m, "id")) == author
        ),
        None,
    )
    return embedded(status.get("in_reply_to_id"), author, name)


def _convert(record: Mapping[str, Any]) -> Iterator[Post]:
    event = _event(record)
    if event in _STATUS_EVENTS:
        status = _payload(record)
        for values in _convert_status(status):
            yield {**values, "_item": status}
        return
    if event == "delete":
        yield {NOT_A_POST: f"a delete event (status {text_or_none(record.get('payload'))})"}
        return
    if event is not None:
        yield {NOT_A_POST: f"a {event} event of the streaming API, not a status"}
        return
    page = _search_page(record)
    if page is None:
        yield from _convert_status(record)
        return
    if not page:
        yield {NOT_A_POST: "a search response without statuses"}
    for status in page:
        if _is_status(status):
            for values in _convert_status(status):
                yield {**values, "_item": status}


def _convert_status(status: Mapping[str, Any]) -> Iterator[Post]:
    reblog = status.get("reblog")
    quoted = _quoted(status)
    quote_of = text_or_none(first(quoted, "id") if quoted else None) or text_or_none(
        first(status, "quote_id", "pleroma.quote_id")
    )
    values = post(
        post_id=status.get("id"),
        account_id=get(status, "account.id"),
        timestamp=status.get("created_at"),
        platform="mastodon",
        repost_of=get(reblog, "id") if isinstance(reblog, Mapping) else None,
        reply_to=status.get("in_reply_to_id"),
        quote_of=quote_of,
        permalink=first(status, "url", "uri"),
        account_name=_name(status),
    )
    with_embedded(values, _reference(reblog), _reference(quoted), _parent(status))
    if isinstance(reblog, Mapping):
        values["text"], _ = html_to_text(reblog.get("content"), skip_classes=_QUOTE_FALLBACK)
        yield values
        return
    text, links = html_to_text(status.get("content"), _not_a_link, _QUOTE_FALLBACK)
    spoiler = text_or_none(status.get("spoiler_text"))
    if spoiler:
        text = f"{spoiler}\n{text}" if text else spoiler
    card = get(status, "card.url")
    if card:
        links.append(str(card))
    skip = {str(v) for v in (get(quoted, "url"), get(quoted, "uri")) if v} if quoted else set()
    values.update(
        text=text,
        urls=unique(link for link in links if link not in skip),
        hashtags=unique(get(tag, "name") for tag in status.get("tags") or []),
        mentions=unique(first(m, "acct", "username") for m in status.get("mentions") or []),
    )
    yield values


FORMATS: tuple[PlatformFormat, ...] = (
    PlatformFormat(
        name="mastodon",
        platform="mastodon",
        title="Mastodon API statuses (also Pleroma, Akkoma, GoToSocial)",
        container="json",
        detection="a JSON object with content (HTML), an account object, created_at and "
        "reblog/visibility/mentions; an /api/v2/search response of them (statuses[]); or a "
        "streaming API event (event update/status.update with such a status as payload, "
        "delete, notification, ...; also as server-sent event: / data: lines)",
        fields=(
            (
                "(streaming events)",
                "update/status.update: the payload status; delete and "
                "other events: rejected (not_a_post, naming the event)",
            ),
            ("post_id", "id"),
            ("account_id", "account.id"),
            ("timestamp", "created_at"),
            (
                "text",
                "spoiler_text and content with HTML removed, less a quote's quote-inline "
                "'RE: link' paragraph (a boost: the original's)",
            ),
            (
                "urls",
                "href of content's anchors that are not mentions, hashtags or a quote's "
                "quote-inline link to the quoted post; card.url; none for a boost",
            ),
            ("hashtags", "tags[].name (not their links)"),
            ("mentions", "mentions[].acct (not their links)"),
            ("repost_of", "reblog.id"),
            (
                "quote_of",
                "quote.quoted_status.id (Mastodon 4.4), else quote.quoted_status_id (a shallow "
                "quote), quote_id (Pleroma)",
            ),
            ("reply_to", "in_reply_to_id"),
            ("permalink", "url, else uri"),
            ("account_name", "account.acct (alice, or alice@other.example), else username"),
            (
                "(referenced posts)",
                "a boost's reblog and a quote's status: id, account.id, account.acct, content "
                "without HTML, url; a reply's parent: in_reply_to_id, in_reply_to_account_id "
                "and that account's acct from mentions",
            ),
        ),
        match=_match,
        convert=_convert,
        permalink="{url}",
        priority=20,
    ),
)
