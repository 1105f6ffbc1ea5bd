"""Platform readers: exports of social-media platforms and research tools, recognised by
their content, turned into canonical posts.

Every format is a :class:`PlatformFormat`: a detection rule (on a JSON record, or on a table's
column names) and a converter from one record or row to posts, documented by a mapping table
(``inconcert formats`` prints them all). :func:`load` reads one file: a recognised format is
converted (the table then has the canonical column names), anything else is left to the
ordinary table reader.

Rules every converter follows
    * References: a retweet, boost, share or forward is ``repost_of`` the original's id; a quote
      is ``quote_of``; a reply or comment is ``reply_to`` its parent.
    * A repost carries no urls, hashtags or mentions of its own: they are the original's.
    * Links from the platform's expanded fields, never from display text (``t.co`` wrappers,
      truncated link text); hashtags and mentions from entities, facets or tags; text with
      HTML removed.
    * An item that is not a post (a like, a deletion, a service message, an empty page) is
      counted as rejected with the reason ``not_a_post``; an item the converter cannot read,
      ``bad_record``.
    * The author's handle or name, where the platform gives it, is ``account_name``; the
      originals an item embeds (a retweet's ``retweeted_status``, API v2 ``includes.tweets``, a
      boost's ``reblog``) are referenced posts (:data:`~inconcert.schema.EMBEDDED_SCHEMA`), so
      that a repost of a post outside the collection still names its author and text.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from inconcert.errors import InputError, ParameterError
from inconcert.ingest._files import (
    BadRow,
    Digest,
    InputFile,
    RawFile,
    _json_column,
    _read_all,
    _stream,
    looks_like_sse,
    read_raw,
)
from inconcert.ingest._mapping import FileSettings, flatten_structs, has_nested_path
from inconcert.ingest.platforms import bluesky as bluesky
from inconcert.ingest.platforms import fourcat as fourcat
from inconcert.ingest.platforms import mastodon as mastodon
from inconcert.ingest.platforms import meta as meta
from inconcert.ingest.platforms import others as others
from inconcert.ingest.platforms import reddit as reddit
from inconcert.ingest.platforms import telegram as telegram
from inconcert.ingest.platforms import twitter as twitter
from inconcert.ingest.platforms._common import (
    EMBEDDED,
    NOT_A_POST,
    PlatformFormat,
    Post,
    get,
    iter_records,
    split_list,
    text_or_none,
)
from inconcert.schema import EMBEDDED_SCHEMA

__all__ = ["FORMATS", "PlatformFormat", "format_by_name", "load"]

_RECORD_LIMIT = 2000
_SAMPLE = 50

#: Every format, in the order detection tries them (lower priority first, then this order).
FORMATS: tuple[PlatformFormat, ...] = tuple(
    sorted(
        (
            *twitter.FORMATS,
            *telegram.FORMATS,
            *bluesky.FORMATS,
            *mastodon.FORMATS,
            *reddit.FORMATS,
            *meta.FORMATS,
            *fourcat.FORMATS,
            *others.FORMATS,
        ),
        key=lambda f: f.priority,
    )
)

_CANONICAL_LISTS = ("urls", "hashtags", "mentions", "image_hashes")
_COLUMNS = (
    "post_id",
    "account_id",
    "timestamp",
    "platform",
    "text",
    *_CANONICAL_LISTS,
    "repost_of",
    "reply_to",
    "quote_of",
    "permalink",
    "account_name",
)


def format_by_name(name: str) -> PlatformFormat:
    """The format called ``name``; ParameterError naming the known ones otherwise."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise ParameterError(
        "--format", "auto, table or one of " + ", ".join(f.name for f in FORMATS), name
    )


def _best(candidates: Iterable[PlatformFormat], test: Any) -> PlatformFormat | None:
    for fmt in candidates:
        if test(fmt):
            return fmt
    return None


def detect_json(records: Sequence[Any]) -> PlatformFormat | None:
    """The format most of the sampled JSON records match (ties: the more specific)."""
    sample = [r for r in records[:_SAMPLE] if isinstance(r, Mapping)]
    if not sample:
        return None
    scores: dict[str, int] = {}
    for fmt in FORMATS:
        if fmt.container != "json":
            continue
        scores[fmt.name] = sum(1 for r in sample if _safe_match(fmt, r))
    best = max(scores.values(), default=0)
    if best == 0:
        return None
    return _best(FORMATS, lambda f: scores.get(f.name) == best)


def detect_columns(names: Sequence[str]) -> PlatformFormat | None:
    """The first table format whose columns the file has."""
    return _best(
        (f for f in FORMATS if f.container == "csv"), lambda f: _safe_match(f, list(names))
    )


def _safe_match(fmt: PlatformFormat, value: Any) -> bool:
    try:
        return bool(fmt.match(value))
    except Exception:  # a detection rule never fails a run
        return False


# ---------------------------------------------------------------------------------------------
# JSON input
# ---------------------------------------------------------------------------------------------


def _decode(source: InputFile, raw: bytes, line: int, first: bool) -> str:
    try:
        return raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            source.display,
            f"is not valid UTF-8 ({exc.reason})",
            line=line,
            hint="re-encode the file as UTF-8",
        ) from exc


def _first_json_line(source: InputFile) -> Any:
    """The first record of a JSON Lines file, or None when it is not readable JSON."""
    buffer = b""
    try:
        with _stream(source) as stream:
            while len(buffer) < (64 << 20):
                chunk = stream.read(1 << 20)
                buffer += chunk
                if not chunk or b"\n" in buffer.lstrip():
                    break
    except (OSError, pa.ArrowException):
        return None
    buffer = buffer.lstrip()
    line = buffer.split(b"\n", 1)[0].strip()
    if line.startswith(codecs.BOM_UTF8):
        line = line[len(codecs.BOM_UTF8) :]
    try:
        return json.loads(line.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _sse_head(source: InputFile) -> bool:
    """Whether the file starts as server-sent events (``event:``/``data:`` lines)."""
    try:
        with _stream(source) as stream:
            return looks_like_sse(stream.read(4096))
    except (OSError, pa.ArrowException):
        return False


def _sse_records(source: InputFile, text: str) -> tuple[list[Any], list[int], list[BadRow]]:
    """The events of a server-sent events stream as ``{"event": ..., "payload": ...}`` records
    (the streaming API's WebSocket form), each with the line it starts on: ``data:`` lines
    joined, comments (``:thump``) and events without data skipped, as the SSE standard says."""
    records: list[Any] = []
    lines: list[int] = []
    name, start = "", 0
    data: list[str] = []
    for number, raw in enumerate([*text.splitlines(), ""], start=1):
        if not raw:
            if data:
                records.append({"event": name or "message", "payload": "\n".join(data)})
                lines.append(start)
            name, data, start = "", [], 0
            continue
        if raw.startswith(":"):
            continue
        key, _, value = raw.partition(":")
        value = value[1:] if value.startswith(" ") else value
        start = start or number
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)
    if not records:
        raise InputError(source.display, "the server-sent events stream has no events")
    return records, lines, []


def _json_records(source: InputFile) -> tuple[list[Any], list[int], list[BadRow]]:
    """Every record of a JSON Lines file (with its line) or of a JSON document (line 1), and
    the lines nested too deeply to read; a server-sent events stream's events."""
    data = _read_all(source)
    if not data.strip() or data.strip() == codecs.BOM_UTF8:
        raise InputError(source.display, "the file has no JSON records")
    if looks_like_sse(data[:4096]):
        return _sse_records(source, _decode(source, data, 1, True))
    if source.fmt.name == "json":
        text = _decode(source, data, 1, True)
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise _invalid_document(source, exc) from exc
            return _concatenated(source, text)
        except RecursionError as exc:
            raise InputError(source.display, "the JSON document is nested too deeply") from exc
        records = list(iter_records(document))
        return records, [1] * len(records), []
    records, lines, bad = [], [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        text = _decode(source, raw, number, number == 1)
        try:
            records.append(json.loads(text))
        except json.JSONDecodeError as exc:
            raise InputError(
                source.display,
                f"invalid JSON: {exc.msg} at column {exc.colno}",
                line=number,
                hint="each line must be one JSON value",
            ) from exc
        except RecursionError:
            bad.append(
                BadRow(
                    number,
                    "the record is nested too deeply to read",
                    json.dumps(text[:_RECORD_LIMIT]),
                    "bad_record",
                )
            )
            continue
        lines.append(number)
    return records, lines, bad


def _invalid_document(source: InputFile, exc: json.JSONDecodeError) -> InputError:
    """The error for a ``.json`` file that is neither one document nor JSON Lines."""
    return InputError(
        source.display,
        f"invalid JSON: {exc.msg}",
        line=exc.lineno,
        hint="a .json file must hold one JSON document, or JSON Lines",
    )


def _concatenated(source: InputFile, text: str) -> tuple[list[Any], list[int], list[BadRow]]:
    """The records of a ``.json`` file that holds several JSON documents one after another:
    JSON Lines under a ``.json`` name (twarc2, Telethon and Jetstream dumps are often saved
    so), or pretty-printed objects written back to back. Each is a record (a list's items
    are), with the line it starts on."""
    decoder = json.JSONDecoder()
    records: list[Any] = []
    lines: list[int] = []
    at, line, size = 0, 1, len(text)
    while True:
        start = at
        while at < size and text[at] in " \t\r\n":
            at += 1
        line += text.count("\n", start, at)
        if at >= size:
            break
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise _invalid_document(source, exc) from exc
        except RecursionError as exc:
            raise InputError(
                source.display, "a JSON record is nested too deeply", line=line
            ) from exc
        for record in iter_records(value):
            records.append(record)
            lines.append(line)
        line += text.count("\n", at, end)
        at = end
    return records, lines, []


def _generic_json(
    source: InputFile,
    digest: str,
    records: list[Any],
    lines: list[int],
    mapping: Mapping[str, str],
) -> RawFile:
    """JSON records of no known format: top-level keys as columns, plus each dotted path the
    mapping names (``user.id_str``) as a column of that name."""
    rows: list[Mapping[str, Any]] = []
    bad: list[BadRow] = []
    kept: list[int] = []
    for record, line in zip(records, lines, strict=True):
        if isinstance(record, Mapping):
            rows.append(record)
            kept.append(line)
        else:
            bad.append(BadRow(line, "expected a JSON object", _dump(record), "bad_record"))
    names = list(dict.fromkeys(key for row in rows for key in row))
    columns = {name: _json_column([row.get(name) for row in rows]) for name in names}
    for path in mapping.values():
        if path not in columns:
            values = [get(row, path) for row in rows]
            if any(v is not None for v in values):
                columns[path] = _json_column(
                    [v if not isinstance(v, Mapping) else json.dumps(v) for v in values]
                )
    table = pa.table(columns) if columns else pa.table({"_": pa.nulls(len(rows))})
    return RawFile(source, digest, table, np.asarray(kept, dtype=np.int64), bad)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)[:_RECORD_LIMIT]


# ---------------------------------------------------------------------------------------------
# Conversion
# ---------------------------------------------------------------------------------------------


def _override(values: Post, item: Any, mapping: Mapping[str, str], sep: str | None) -> None:
    """The fields the user mapped, from the dotted path each names in the item."""
    for field, path in mapping.items():
        if field not in _COLUMNS:
            continue
        value = get(item, path)
        if (
            field in _CANONICAL_LISTS
            and isinstance(value, str)
            and not sep
            and not value.startswith("[")
        ):
            values[field] = value.split()
        elif field in _CANONICAL_LISTS:
            values[field] = split_list(value, sep or ",")
        else:
            values[field] = value


def _time_text(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return text_or_none(value)


def _convert(
    source: InputFile,
    fmt: PlatformFormat,
    items: Iterable[tuple[Any, int]],
    settings: FileSettings,
    sha: str,
    bad: list[BadRow] | None = None,
) -> RawFile:
    posts: list[Post] = []
    lines: list[int] = []
    refs: list[Post] = []
    bad_rows = list(bad or [])
    for item, line in items:
        try:
            if fmt.container == "json" and not _safe_match(fmt, item):
                produced: list[Post] = [{NOT_A_POST: f"a record that is not {fmt.name}"}]
            else:
                produced = list(fmt.convert(item))
        except Exception as exc:
            bad_rows.append(
                BadRow(
                    line,
                    f"cannot read the {fmt.name} record: {type(exc).__name__}: {exc}",
                    _dump(item),
                    "bad_record",
                )
            )
            continue
        for values in produced:
            refs.extend(values.pop(EMBEDDED, None) or ())
            if NOT_A_POST in values:
                bad_rows.append(BadRow(line, str(values[NOT_A_POST]), _dump(item), "not_a_post"))
                continue
            own = values.pop("_item", item)
            if settings.mapping:
                _override(values, own, settings.mapping, settings.list_sep)
            posts.append(values)
            lines.append(line)
    columns: dict[str, pa.Array] = {}
    for name in _COLUMNS:
        values_ = [p.get(name) for p in posts]
        if name in _CANONICAL_LISTS:
            columns[name] = pa.array(
                [
                    None if v is None else [str(x) for x in v if x is not None and str(x)]
                    for v in values_
                ],
                pa.list_(pa.string()),
            )
        elif name == "timestamp":
            columns[name] = pa.array([_time_text(v) for v in values_], pa.string())
        elif name == "platform":
            columns[name] = pa.array([v or fmt.platform for v in values_], pa.string())
        elif name == "text":
            columns[name] = pa.array([None if v is None else str(v) for v in values_], pa.string())
        else:
            columns[name] = pa.array([text_or_none(v) for v in values_], pa.string())
    bad_rows.sort(key=lambda b: b.line)
    named = replace(source, fmt=replace(source.fmt, name=fmt.name))
    table, at = pa.table(columns), np.asarray(lines, dtype=np.int64)
    return RawFile(named, sha, table, at, bad_rows, _embedded_table(refs))


def _embedded_table(refs: list[Post]) -> pa.Table | None:
    """The referenced posts and accounts' names of one file, in reading order."""
    if not refs:
        return None
    return pa.Table.from_pylist(
        [{name: ref.get(name) for name in EMBEDDED_SCHEMA.names} for ref in refs],
        schema=EMBEDDED_SCHEMA,
    )


#: Formats this loose (articles) are not guessed for a file whose ids the user mapped.
_LOOSE = 90


def _guessed(fmt: PlatformFormat | None, settings: FileSettings) -> PlatformFormat | None:
    mapped = {"post_id", "account_id"} & set(settings.mapping)
    return None if fmt is not None and fmt.priority >= _LOOSE and mapped else fmt


def load(source: InputFile, settings: FileSettings) -> tuple[RawFile, PlatformFormat | None]:
    """Read one file: a platform export converted to canonical columns (and its format), or
    the file as is for the ordinary reader (format None)."""
    forced = settings.format
    if forced not in ("auto", "table"):
        format_by_name(forced)
    dotted = bool(settings.mapping) and any("." in c for c in settings.mapping.values())
    container = source.fmt.name
    if container in ("jsonl", "json"):
        sse = _sse_head(source)
        if forced == "table" and container == "jsonl" and not dotted and not sse:
            return read_raw(source), None
        if forced == "auto" and container == "jsonl" and not dotted and not sse:
            head = _first_json_line(source)
            if head is None or _guessed(detect_json(list(iter_records(head))), settings) is None:
                return read_raw(source), None
        digest = Digest(source)  # hashed while the records are parsed
        records, lines, deep = _json_records(source)
        fmt = (
            None
            if forced == "table"
            else (
                format_by_name(forced)
                if forced != "auto"
                else _guessed(detect_json(records), settings)
            )
        )
        if fmt is not None and fmt.container != "json":
            raise InputError(
                source.display,
                f"the format {fmt.name} is a table (CSV) format, but this file is JSON",
            )
        if fmt is None:
            raw = _generic_json(source, digest.hexdigest(), records, lines, settings.mapping)
            raw.bad_rows = sorted([*raw.bad_rows, *deep], key=lambda b: b.line)
            return raw, None
        pairs = zip(records, lines, strict=True)
        converted = _convert(source, fmt, pairs, settings, digest.hexdigest(), deep)
        return _with_accounts(converted, fmt), fmt
    raw = read_raw(source)
    if container == "parquet" and has_nested_path(settings.mapping, raw.table.column_names):
        raw.table = flatten_structs(raw.table)
    if forced == "table":
        return raw, None
    fmt = (
        format_by_name(forced)
        if forced != "auto"
        else _guessed(detect_columns(raw.table.column_names), settings)
    )
    if fmt is None:
        return raw, None
    if fmt.container != "csv":
        raise InputError(
            source.display, f"the format {fmt.name} is a JSON format, but this file is a table"
        )
    rows = raw.table.to_pylist()
    items = zip(rows, raw.lines.tolist(), strict=True)
    converted = _convert(source, fmt, items, settings, raw.sha256, raw.bad_rows)
    return _with_accounts(converted, fmt), fmt


def _with_accounts(raw: RawFile, fmt: PlatformFormat) -> RawFile:
    """The converted file, unless its format may name no author (``missing_account``) and no
    post of it has an account: then an error saying what is missing and what to do, rather
    than every row rejected one by one."""
    if not fmt.missing_account or raw.table.num_rows == 0:
        return raw
    accounts = raw.table.column("account_id")
    if accounts.null_count < raw.table.num_rows:
        return raw
    raise InputError(
        raw.source.display, f"no {fmt.name} record names its author: {fmt.missing_account}"
    )
