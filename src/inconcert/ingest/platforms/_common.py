"""What every platform reader shares: the format record, path look-ups, HTML, times, lists.

A reader turns one input *item* (a JSON record, a CSV row) into zero or more canonical post
dicts with the keys of :data:`~inconcert.schema.POST_SCHEMA` plus ``permalink`` and
``account_name`` (the author's handle or name, when the platform gives it). A post dict may
also carry, under :data:`EMBEDDED`, the referenced posts the item embeds (:func:`embedded`: a
retweet's original, a boost's status), and an item that is not a post may carry accounts'
names that way (a Bluesky identity event). Lists are
always lists (empty, never ``None``) when the platform gives structured links, hashtags or
mentions, so the actions stage never re-extracts them from a text whose links are wrapped
(``t.co``) or truncated for display (Bluesky, Mastodon).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from inconcert.ingest._mapping import split_list

__all__ = [
    "EMBEDDED",
    "NOT_A_POST",
    "PlatformFormat",
    "Post",
    "as_map",
    "derived_id",
    "embedded",
    "epoch",
    "first",
    "get",
    "has_columns",
    "html_to_text",
    "split_list",
    "text_or_none",
    "with_embedded",
]

#: The key of a converter's output that marks an item that is not a post (a like, a service
#: message, a deletion): its value says what the item is. Such items are counted as rejected
#: with the reason ``not_a_post``.
NOT_A_POST = "_not_a_post"

#: The key of a converter's output that holds the referenced posts the item embeds (a list of
#: :func:`embedded` dicts), gathered into the input's referenced posts and accounts' names.
EMBEDDED = "_embedded"

Post = dict[str, Any]
Record = Mapping[str, Any]


@dataclass(frozen=True)
class PlatformFormat:
    """One platform export format: how it is recognised and how its fields map to posts.

    Attributes
    ----------
    name
        What ``--format`` takes (``twitter-v2``).
    platform
        The ``platform`` value of its posts.
    title
        One line for ``inconcert formats``.
    container
        ``"json"`` (JSON Lines, or a ``.json`` document) or ``"csv"`` (also TSV, Parquet).
    detection
        The detection rule in words.
    fields
        (canonical field, where it comes from) rows of the mapping table.
    match
        JSON: ``match(record)`` on a top-level record; CSV: ``match(column_names)``.
    convert
        ``convert(item)``: the posts of one JSON record or one CSV row (as a dict of text).
    permalink
        The link template of a post, in words (the converter fills ``permalink``).
    priority
        Lower is tried first (more specific formats before looser ones).
    missing_account
        For a format whose items may name no author (TikTok Research API comments): what is
        missing and what to do. A file of it in which no post has an account, after the
        user's mapping, stops with this message instead of rejecting every row.
    """

    name: str
    platform: str
    title: str
    container: str
    detection: str
    fields: tuple[tuple[str, str], ...]
    match: Callable[[Any], bool]
    convert: Callable[[Any], Iterable[Post]]
    permalink: str = ""
    priority: int = 50
    notes: tuple[str, ...] = field(default=())
    missing_account: str = ""


_MISSING = object()


def get(record: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path (``user.id_str``; list items by number: ``items.0.id``).

    A key containing dots is found too (``post_owner.id`` as one key in a flat CSV row).
    """
    if isinstance(record, Mapping) and path in record:
        value = record[path]
        return default if value is None else value
    current: Any = record
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part, _MISSING)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return default
        if current is _MISSING or current is None:
            return default
    return current


def as_map(value: Any) -> Mapping[str, Any]:
    """The value if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def first(record: Any, *paths: str) -> Any:
    """The first non-empty value among several paths (``None`` if none)."""
    for path in paths:
        value = get(record, path)
        if value is not None and value != "" and value != []:
            return value
    return None


def text_or_none(value: Any) -> str | None:
    """Ids and texts as text: numbers in full, blanks as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def has_columns(names: Iterable[str], *required: str) -> bool:
    """Every required column is present (case-sensitive, as exports write them)."""
    present = set(names)
    return all(column in present for column in required)


def epoch(value: Any, unit: str = "s") -> datetime | None:
    """An epoch number (or numeric text) in seconds, ms or us as an aware UTC datetime."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
    try:
        return datetime.fromtimestamp(number / scale, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def derived_id(*parts: Any) -> str:
    """A stable id for an object the export does not name (a 4CAT retweet without the
    retweeted id): a short digest of the parts that identify it."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return "derived:" + hashlib.blake2b(joined.encode("utf-8"), digest_size=10).hexdigest()


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "article",
    "section",
    "pre",
}
_SPACES = re.compile(r"[ \t\r\f\v]+")
_LINES = re.compile(r"\s*\n\s*")


_VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}


class _Stripper(HTMLParser):
    def __init__(
        self,
        skip_link: Callable[[dict[str, str]], bool] | None,
        skip_classes: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.skip_link = skip_link
        self.skip_classes = skip_classes
        self._hidden = 0
        self._skipped = 0  # depth inside an element of a skipped class

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if self._skipped or (
            self.skip_classes and not self.skip_classes.isdisjoint(values.get("class", "").split())
        ):
            if tag not in _VOID_TAGS:
                self._skipped += 1
            return
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag in ("script", "style"):
            self._hidden += 1
        if tag == "a" and values.get("href"):
            href = values["href"].strip()
            if href.lower().startswith(("http://", "https://")) and not (
                self.skip_link and self.skip_link(values)
            ):
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if self._skipped:
            if tag not in _VOID_TAGS:
                self._skipped -= 1
            return
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden and not self._skipped:
            self.parts.append(data)


def html_to_text(
    html: str | None,
    skip_link: Callable[[dict[str, str]], bool] | None = None,
    skip_classes: Iterable[str] = (),
) -> tuple[str | None, list[str]]:
    """Text without tags (paragraphs and ``<br>`` as line breaks, entities decoded) and the
    ``href`` of every ``http(s)`` link, less those ``skip_link(attributes)`` refuses; elements
    of a class in ``skip_classes`` are left out whole (their text and links)."""
    if html is None:
        return None, []
    if "<" not in html and "&" not in html:
        return html.strip() or None, []
    parser = _Stripper(skip_link, frozenset(skip_classes))
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = _LINES.sub("\n", _SPACES.sub(" ", text)).strip()
    return text or None, list(dict.fromkeys(parser.links))


def unique(values: Iterable[Any]) -> list[str]:
    """Non-empty values as text, first occurrence kept, in order."""
    out: list[str] = []
    for value in values:
        text = text_or_none(value)
        if text is not None and text not in out:
            out.append(text)
    return out


def post(**values: Any) -> Post:
    """A canonical post dict (missing keys are None; lists default to empty lists)."""
    base: Post = {
        "post_id": None,
        "account_id": None,
        "timestamp": None,
        "platform": None,
        "text": None,
        "urls": [],
        "hashtags": [],
        "mentions": [],
        "image_hashes": None,
        "repost_of": None,
        "reply_to": None,
        "quote_of": None,
        "permalink": None,
        "account_name": None,
    }
    base.update(values)
    for key in ("post_id", "account_id", "repost_of", "reply_to", "quote_of", "account_name"):
        base[key] = text_or_none(base[key])
    return base


def embedded(
    post_id: Any = None,
    account_id: Any = None,
    account_name: Any = None,
    text: Any = None,
    permalink: Any = None,
) -> Post | None:
    """A referenced post an item embeds (:data:`~inconcert.schema.EMBEDDED_SCHEMA`), or None
    when it tells nothing beyond its id. Without ``post_id`` it only names an account."""
    values: Post = {
        "post_id": text_or_none(post_id),
        "account_id": text_or_none(account_id),
        "account_name": text_or_none(account_name),
        "text": text_or_none(text) and str(text).strip(),
        "permalink": text_or_none(permalink),
    }
    if not any(values[k] for k in ("account_id", "account_name", "text", "permalink")):
        return None
    if values["post_id"] is None and not (values["account_id"] and values["account_name"]):
        return None
    return values


def with_embedded(values: Post, *refs: Post | None) -> Post:
    """The post with the referenced posts that tell something (``refs``) under
    :data:`EMBEDDED`."""
    kept = [r for r in refs if r is not None]
    if kept:
        values[EMBEDDED] = [*values.get(EMBEDDED, []), *kept]
    return values


def iter_records(value: Any) -> Iterator[Any]:
    """A JSON document's records: the items of a list, or the document itself."""
    if isinstance(value, list):
        yield from value
    else:
        yield value
