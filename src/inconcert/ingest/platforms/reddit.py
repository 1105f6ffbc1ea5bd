"""Reddit: Pushshift (and Arctic Shift, academic torrents) submissions and comments, one JSON
object per line or as CSV; also the Reddit API's ``{"kind": "t3", "data": ...}`` things and
listings.

Each file is recognised on its own, so a folder with a submissions file and a comments file
reads both right. Post ids are Reddit *fullnames* (``t3_`` + id for submissions, ``t1_`` + id
for comments) so that a comment's ``parent_id`` (``t1_...`` or ``t3_...``) names its parent
directly. ``[deleted]`` authors are not accounts (the row is rejected as missing_account_id);
``[removed]``/``[deleted]`` texts are no text. Titles, texts and links are unescaped (Reddit's
JSON writes ``&amp;``, ``&lt;``, ``&gt;`` for ``&``, ``<``, ``>``). A crosspost's
``crosspost_parent_list`` embeds its original submission: a referenced post (author, title and
text, link).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from inconcert.ingest.platforms._common import (
    NOT_A_POST,
    PlatformFormat,
    Post,
    embedded,
    epoch,
    first,
    has_columns,
    post,
    text_or_none,
    unique,
    with_embedded,
)
from inconcert.normalize import extract_urls

__all__ = ["FORMATS"]

_GONE = {"[deleted]", "[removed]", "[deleted by user]", ""}
_USER = re.compile(r"(?<![\w/])/?u/([A-Za-z0-9_-]{3,20})\b")


def _unescape(text: str) -> str:
    """Reddit's JSON without ``raw_json=1`` (Pushshift, Arctic Shift, most API clients) writes
    ``<``, ``>`` and ``&`` of titles, texts and links as ``&lt;``, ``&gt;``, ``&amp;``."""
    if "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _clean(value: Any) -> str | None:
    text = text_or_none(value)
    return None if text is None or text in _GONE else _unescape(text)


def _fullname(record: Mapping[str, Any], prefix: str) -> str | None:
    name = text_or_none(record.get("name"))
    if name and name.startswith(prefix):
        return name
    ident = text_or_none(record.get("id"))
    if ident is None:
        return None
    return ident if ident.startswith(prefix) else prefix + ident


def _time(value: Any) -> Any:
    moment = epoch(value)
    return moment if moment is not None else value


def _permalink(record: Mapping[str, Any]) -> str | None:
    link = text_or_none(record.get("permalink"))
    if link is None:
        return None
    return link if link.startswith("http") else "https://www.reddit.com" + link


def _is_comment(record: Mapping[str, Any]) -> bool:
    return "body" in record and ("parent_id" in record or "link_id" in record)


def _is_submission(record: Mapping[str, Any]) -> bool:
    return "title" in record and (
        "selftext" in record or "url" in record or "is_self" in record or "subreddit" in record
    )


def _unwrap(record: Any) -> Any:
    if (
        isinstance(record, Mapping)
        and record.get("kind") in ("t1", "t3")
        and isinstance(record.get("data"), Mapping)
    ):
        return record["data"]
    return record


def _page(record: Any) -> list[Any] | None:
    """The items of a Pushshift API response (``{"data": [...]}``)."""
    if isinstance(record, Mapping) and isinstance(record.get("data"), list):
        return record["data"]
    return None


def _match(record: Any) -> bool:
    if isinstance(record, Mapping) and record.get("kind") == "Listing":
        return True
    page = _page(record)
    if page is not None:
        return bool(page) and _match(page[0])
    record = _unwrap(record)
    return (
        isinstance(record, Mapping)
        and "created_utc" in record
        and "author" in record
        and (_is_comment(record) or _is_submission(record))
    )


def _mentions(text: str | None) -> list[str]:
    return unique(_USER.findall(text or ""))


def _submission(record: Mapping[str, Any]) -> Post:
    title, body = _clean(record.get("title")), _clean(record.get("selftext"))
    text = "\n\n".join(t for t in (title, body) if t) or None
    urls = extract_urls(body) if body else []
    link = _clean(record.get("url"))
    is_self = str(record.get("is_self")).lower() in ("true", "1")
    own = text_or_none(record.get("id")) or "\x00"
    if link and not is_self and not any(f"/{p}/{own}" in link for p in ("comments", "gallery")):
        urls = [link, *urls]
    crosspost = text_or_none(record.get("crosspost_parent"))
    values = post(
        post_id=_fullname(record, "t3_"),
        account_id=_clean(record.get("author")),
        timestamp=_time(record.get("created_utc")),
        platform="reddit",
        text=text,
        repost_of=crosspost,
        permalink=_permalink(record),
    )
    if crosspost is None:
        values.update(urls=unique(urls), mentions=_mentions(text))
    parents = record.get("crosspost_parent_list")
    parent = parents[0] if isinstance(parents, list) and parents else None
    if crosspost is not None and isinstance(parent, Mapping):
        title, body = _clean(parent.get("title")), _clean(parent.get("selftext"))
        words = "\n\n".join(t for t in (title, body) if t) or None
        origin = embedded(crosspost, _clean(parent.get("author")), None, words, _permalink(parent))
        with_embedded(values, origin)
    return values


def _comment(record: Mapping[str, Any]) -> Post:
    body = _clean(record.get("body"))
    return post(
        post_id=_fullname(record, "t1_"),
        account_id=_clean(record.get("author")),
        timestamp=_time(record.get("created_utc")),
        platform="reddit",
        text=body,
        urls=unique(extract_urls(body)) if body else [],
        mentions=_mentions(body),
        reply_to=first(record, "parent_id", "link_id"),
        permalink=_permalink(record),
    )


def _convert(record: Mapping[str, Any]) -> Iterator[Post]:
    page = _page(record)
    if record.get("kind") == "Listing" or page is not None:
        children = page if page is not None else (record.get("data") or {}).get("children") or []
        found = False
        for child in children:
            item = _unwrap(child)
            if isinstance(item, Mapping):
                found = True
                yield {
                    **(_comment(item) if _is_comment(item) else _submission(item)),
                    "_item": item,
                }
        if not found:
            yield {NOT_A_POST: "an empty listing"}
        return
    item = _unwrap(record)
    yield _comment(item) if _is_comment(item) else _submission(item)


def _match_csv(names: list[str]) -> bool:
    return has_columns(names, "created_utc", "author") and (
        _is_comment(dict.fromkeys(names)) or _is_submission(dict.fromkeys(names))
    )


_FIELDS = (
    ("post_id", "t3_{id} (submission), t1_{id} (comment); name when given"),
    ("account_id", "author ([deleted] is no account)"),
    ("timestamp", "created_utc (epoch seconds)"),
    (
        "text",
        "submission: title and selftext; comment: body ([removed] is no text; the entities "
        "Reddit writes for &, <, > decoded)",
    ),
    (
        "urls",
        "submission: url (not for self posts or the post's own gallery; entities decoded) and "
        "links in selftext; comment: links in body; none for a crosspost",
    ),
    ("hashtags", "(none: Reddit has no hashtags)"),
    ("mentions", "u/name in the text"),
    ("repost_of", "crosspost_parent (t3_...)"),
    ("reply_to", "comment: parent_id (t1_... or t3_...), else link_id"),
    ("permalink", "https://www.reddit.com{permalink}"),
    ("account_name", "(none: the author's name is the account_id)"),
    (
        "(referenced posts)",
        "a crosspost's crosspost_parent_list[0]: author, title and selftext, permalink",
    ),
)

FORMATS: tuple[PlatformFormat, ...] = (
    PlatformFormat(
        name="reddit",
        platform="reddit",
        title="Reddit submissions and comments (Pushshift / Arctic Shift dumps, Reddit API "
        "things and listings)",
        container="json",
        detection="a JSON object with created_utc, author, and body + parent_id/link_id "
        "(comment) or title + selftext/url/subreddit (submission); or kind t1/t3/"
        "Listing",
        fields=_FIELDS,
        match=_match,
        convert=_convert,
        permalink="https://www.reddit.com{permalink}",
        priority=20,
    ),
    PlatformFormat(
        name="reddit-csv",
        platform="reddit",
        title="Reddit submissions or comments as CSV (Pushshift fields)",
        container="csv",
        detection="columns created_utc, author, and body + parent_id/link_id or title + "
        "selftext/url/subreddit",
        fields=_FIELDS,
        match=_match_csv,
        convert=_convert,
        permalink="https://www.reddit.com{permalink}",
        priority=30,
    ),
)
