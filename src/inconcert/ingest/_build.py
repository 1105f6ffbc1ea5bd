"""From raw files to the canonical table: column resolution, per-row checks, duplicates.

Each file is converted on its own (``convert_file``); then ``assemble`` puts the accepted rows
of every file together in file order, removes duplicates across the whole input, and builds
the file reports and the rejects table.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inconcert._arrow import first_rows
from inconcert._ingested import REJECTS_SCHEMA
from inconcert.errors import InputError
from inconcert.ingest._files import BadRow, RawFile
from inconcert.ingest._values import (
    ColumnTypeError,
    Connect,
    arrow_of,
    as_text,
    id_text,
    parse_lists,
    parse_timestamps,
)
from inconcert.schema import (
    ACCOUNT_NAME,
    ACTION_SCHEMA,
    LIST_COLUMNS,
    POST_SCHEMA,
    REQUIRED_POST_COLUMNS,
    TIMESTAMP_TYPE,
)

__all__ = [
    "MAPPABLE_FIELDS",
    "REJECTS_SCHEMA",
    "REJECT_REASONS",
    "Assembled",
    "Connection",
    "FilePart",
    "Plan",
    "Rejects",
    "assemble",
    "connect",
    "convert_file",
    "decide_shape",
    "resolve",
]

#: Every reason a row can be rejected for, in the order they are checked (a row gets the first
#: that applies), with what it means.
REJECT_REASONS: dict[str, str] = {
    "wrong_field_count": "CSV record with more or fewer fields than the header has columns",
    "not_a_post": "platform export: the item is not a post (a like, a deletion, a service "
    "message, a page without posts)",
    "bad_record": "the record cannot be read: a platform export's item not in its format, or "
    "a JSON record nested more than 100 levels deep",
    "empty_row": "every field of the row is empty (a blank line in CSV, {} in JSON Lines)",
    "missing_post_id": "post_id is null or blank",
    "missing_account_id": "account_id is null or blank",
    "missing_object_id": "object_id is null or blank (ready-made actions table)",
    "missing_timestamp": "timestamp is null or blank",
    "bad_timestamp": "timestamp cannot be read as a time, or is an epoch number >= 1e14",
    "bad_list": "a list cell starts with '[' but is not a valid JSON array",
    "no_object": "wide actions table: every object column of the row is empty",
    "duplicate_row": "posts: post_id seen before, with identical values in every column",
    "duplicate_post_id": "posts: post_id seen before, with different values (first one kept)",
    "duplicate_action": (
        "actions: (post_id, kind, object_id) seen before; in a wide table, a row all of whose "
        "actions were seen before"
    ),
}
_CODES: dict[str, int] = {reason: code for code, reason in enumerate(REJECT_REASONS, start=1)}
_NAMES = np.array(["", *list(REJECT_REASONS)], dtype=object)


_ACTION_FIELDS: tuple[str, ...] = ("account_id", "object_id", "timestamp", "post_id", "kind")
#: Fields a mapping may name: every post column, the account's name (read beside the posts)
#: and the actions-only fields.
MAPPABLE_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys((*POST_SCHEMA.names, ACCOUNT_NAME, *_ACTION_FIELDS))
)
#: CooRTweet's column names, accepted in the actions shape when the canonical one is absent.
_ALIASES: dict[str, str] = {"post_id": "content_id", "timestamp": "timestamp_share"}
_USUAL_NAMES: dict[str, tuple[str, ...]] = {
    "post_id": ("id", "tweet_id", "status_id", "message_id", "content_id", "post"),
    "account_id": ("user_id", "author_id", "author", "username", "screen_name", "user", "account"),
    "timestamp": ("created_at", "timestamp_share", "date", "datetime", "time", "published_at"),
    "object_id": ("object", "url", "hashtag", "referenced_tweet_id"),
}
_RECORD_LIMIT = 2000
_WIDE_PREFIX = "_object_"


# ---------------------------------------------------------------------------------------------
# Shape and columns
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Which input column feeds each canonical field, for one file."""

    sources: dict[str, str]
    objects: tuple[tuple[str, str], ...]  # wide table: (column, kind), in the user's order


def decide_shape(
    names: Sequence[str], requested: str, mapping: Mapping[str, str], objects: Mapping[str, str]
) -> str:
    """The shape of one file: as requested, else "actions" when ``objects`` is given or an
    ``object_id`` column exists (after mapping), else "posts"."""
    if requested != "auto":
        return requested
    if objects or "object_id" in mapping or "object_id" in names:
        return "actions"
    return "posts"


def _quoted(names: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "") or "(none)"


def _suggestion(field: str, names: Sequence[str]) -> str | None:
    lowered = {name.lower().strip(): name for name in names}
    for usual in (field, *_USUAL_NAMES.get(field, ())):
        if usual in lowered:
            return lowered[usual]
    close = difflib.get_close_matches(field, list(lowered), n=1, cutoff=0.75)
    return lowered[close[0]] if close else None


def _missing_columns_error(raw: RawFile, missing: list[str], shape: str, wide: bool) -> InputError:
    names = raw.table.column_names
    fixes = [f"--map {field}={_suggestion(field, names) or '<column>'}" for field in missing]
    hint = "use " + " ".join(fixes) + " to name the column that holds each field"
    if shape == "actions" and "object_id" in missing and not wide:
        hint += ", or --objects COLUMN=KIND,... for a table with one column per kind of object"
    if len(names) == 1:
        for mark, label in ((";", "';'"), ("\t", "a tab"), ("|", "'|'"), (",", "','")):
            if mark in names[0] and mark != raw.source.fmt.delimiter:
                read_as = "tab" if raw.source.fmt.delimiter == "\t" else "comma"
                hint = (
                    f"the header is a single column containing {label}: the file looks "
                    f"delimited by {label}, but this file is read as {read_as}-separated "
                    "(.csv and .csv.gz are read as comma-separated, .tsv and .tsv.gz as "
                    "tab-separated); convert or rename the file"
                )
                break
    plural = "s" if len(missing) > 1 else ""
    return InputError(
        raw.source.display,
        f"missing required column{plural} {', '.join(missing)} for the {shape} shape; "
        f"columns found: {_quoted(names)}",
        hint=hint,
    )


def resolve(
    raw: RawFile, shape: str, mapping: Mapping[str, str], objects: Mapping[str, str]
) -> Plan:
    """Decide the input column of every canonical field of one file, or raise InputError."""
    names = raw.table.column_names
    display = raw.source.display
    for field, column in mapping.items():
        if column not in names:
            raise InputError(
                display,
                f"the mapping {field}={column} names column {column!r}, which is not in the file",
                hint=f"columns found: {_quoted(names)}",
            )
    fields = POST_SCHEMA.names if shape == "posts" else _ACTION_FIELDS
    sources: dict[str, str] = {}
    for field in fields:
        if field in mapping:
            sources[field] = mapping[field]
        elif field in names:
            sources[field] = field
        elif shape == "actions" and field in _ALIASES and _ALIASES[field] in names:
            sources[field] = _ALIASES[field]
    wide = shape == "actions" and bool(objects)
    if shape == "posts":
        required: tuple[str, ...] = REQUIRED_POST_COLUMNS
    elif wide:
        required = ("account_id", "timestamp", "post_id")
        sources.pop("object_id", None)
        sources.pop("kind", None)
    else:
        required = ("account_id", "object_id", "timestamp", "post_id")
    missing = [field for field in required if field not in sources]
    if missing:
        raise _missing_columns_error(raw, missing, shape, wide)
    absent = [column for column in objects if column not in names] if wide else []
    if absent:
        raise InputError(
            display,
            f"the --objects column{'s' if len(absent) > 1 else ''} {_quoted(absent)} "
            "not in the file",
            hint=f"columns found: {_quoted(names)}",
        )
    used = [*sources.values(), *(objects if wide else ())]
    for column in dict.fromkeys(used):
        count = names.count(column)
        if count > 1:
            raise InputError(
                display,
                f"column {column!r} appears {count} times in the header",
                hint="rename the copies so each column name is unique",
            )
    return Plan(sources, tuple(objects.items()) if wide else ())


# ---------------------------------------------------------------------------------------------
# Per-row verdicts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Later:
    """Reject details made only when the rejects table is (most runs never make it): ``make``
    returns one text per row. It must hold only what the texts need, never a whole file."""

    make: Callable[[], list[str]]


#: A reject detail: one text for every row, one text per row, a function of the rows, or
#: texts made later.
Detail = str | list[str] | Callable[[np.ndarray], list[str]] | Later


class Verdicts:
    """The first reject reason of every row of one file (code 0 = accepted) and its detail."""

    def __init__(self, n: int) -> None:
        self.code = np.zeros(n, dtype=np.int8)
        self._rows: list[np.ndarray] = []
        self._details: list[list[str] | Later] = []

    def reject(self, reason: str, mask: np.ndarray, detail: Detail) -> None:
        """Reject the rows of ``mask`` that no earlier check rejected."""
        self.reject_rows(np.flatnonzero(mask & (self.code == 0)), reason, detail)

    def reject_rows(self, rows: np.ndarray, reason: str, detail: Detail) -> None:
        """Reject these (still accepted) rows."""
        if len(rows) == 0:
            return
        self.code[rows] = _CODES[reason]
        self._rows.append(rows)
        texts: list[str] | Later
        if isinstance(detail, str):
            texts = [detail] * len(rows)
        elif isinstance(detail, list | Later):
            texts = detail
        else:
            texts = detail(rows)
        self._details.append(texts)

    def rows(self) -> np.ndarray:
        """The rejected rows, in row order."""
        if not self._rows:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate(self._rows), kind="stable")

    def rejected(self) -> tuple[np.ndarray, list[str], list[str]]:
        """Rejected rows in row order, with their reasons and details."""
        if not self._rows:
            return np.zeros(0, dtype=np.int64), [], []
        rows = np.concatenate(self._rows)
        details = [
            d for part in self._details for d in (part.make() if isinstance(part, Later) else part)
        ]
        order = np.argsort(rows, kind="stable")
        rows = rows[order]
        return rows, list(_NAMES[self.code[rows]]), [details[i] for i in order]


@dataclass
class FilePart:
    """One file converted: canonical columns for every row, and the verdict on each row."""

    raw: RawFile
    plan: Plan
    table: pa.Table
    verdicts: Verdicts


def _texts(array: pa.Array, rows: np.ndarray) -> list[str]:
    return ["" if v is None else str(v) for v in array.take(pa.array(rows)).to_pylist()]


def _short(value: str, limit: int = 120) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def convert_file(raw: RawFile, shape: str, plan: Plan, con: Connect) -> FilePart:
    """Convert every column the shape needs and check every row (see REJECT_REASONS)."""
    table = raw.table
    n = table.num_rows
    verdicts = Verdicts(n)
    try:
        if table.num_columns and n:
            all_null = np.ones(n, dtype=bool)
            for column in table.columns:
                all_null &= np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            verdicts.reject("empty_row", all_null, "every field is empty")
        columns = _convert_columns(table, shape, plan, verdicts, con)
    except ColumnTypeError as exc:
        raise InputError(raw.source.display, str(exc)) from exc
    return FilePart(raw, plan, columns, verdicts)


def _convert_columns(
    table: pa.Table, shape: str, plan: Plan, verdicts: Verdicts, con: Connect
) -> pa.Table:
    n = table.num_rows
    src = plan.sources
    out: dict[str, pa.Array | pa.ChunkedArray] = {}
    required_ids = ["post_id", "account_id"]
    if shape == "actions" and not plan.objects:
        required_ids.append("object_id")
    for field in required_ids:
        out[field] = id_text(table.column(src[field]), src[field])
        verdicts.reject(
            f"missing_{field}",
            np.asarray(out[field].is_null().to_numpy(zero_copy_only=False), dtype=bool),
            f"{field} (column {src[field]!r}) is empty",
        )
    stamp_column = table.column(src["timestamp"])
    stamps = parse_timestamps(stamp_column, src["timestamp"], con)
    verdicts.reject(
        "missing_timestamp", stamps.missing, f"timestamp (column {src['timestamp']!r}) is empty"
    )
    verdicts.reject(
        "bad_timestamp",
        stamps.bad,
        lambda rows: [
            f"cannot read {_short(v)!r} (column {src['timestamp']!r}) as a time"
            for v in _texts(as_text(stamp_column, src["timestamp"]), rows)
        ],
    )
    out["timestamp"] = stamps.values
    if shape == "posts":
        return _post_columns(table, plan, out, verdicts, con)
    if plan.objects:
        return _wide_columns(table, plan, out, verdicts)
    if "kind" in src:
        kind = id_text(table.column(src["kind"]), src["kind"]).fill_null("object")
    else:
        kind = pa.array(np.full(n, "object", dtype=object), type=pa.string())
    out["kind"] = kind
    return pa.Table.from_arrays([out[name] for name in ACTION_SCHEMA.names], schema=ACTION_SCHEMA)


def _bad_list_details(
    table: pa.Table, field: str, column: str
) -> Callable[[np.ndarray], list[str]]:
    def details(rows: np.ndarray) -> list[str]:
        return [
            f"{field} (column {column!r}) is not a valid JSON array: {_short(v)!r}"
            for v in _texts(as_text(table.column(column), column), rows)
        ]

    return details


def _post_columns(
    table: pa.Table,
    plan: Plan,
    out: dict[str, pa.Array | pa.ChunkedArray],
    verdicts: Verdicts,
    con: Connect,
) -> pa.Table:
    n = table.num_rows
    src = plan.sources
    for field in ("platform", "repost_of", "reply_to", "quote_of"):
        if field in src:
            out[field] = id_text(table.column(src[field]), src[field])
    if "text" in src:
        column = table.column(src["text"])
        # a string column as it is, in its chunks: joining them copies every text
        out["text"] = column if column.type == pa.string() else as_text(column, src["text"])
    for field in LIST_COLUMNS:
        if field not in src:
            continue
        column = src[field]
        lists, bad = parse_lists(table.column(column), column, con)
        out[field] = lists
        verdicts.reject("bad_list", bad, _bad_list_details(table, field, column))
    arrays = [out.get(f.name, pa.nulls(n, f.type)) for f in POST_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=POST_SCHEMA)


def _wide_columns(
    table: pa.Table, plan: Plan, out: dict[str, pa.Array | pa.ChunkedArray], verdicts: Verdicts
) -> pa.Table:
    n = table.num_rows
    none = np.ones(n, dtype=bool)
    for j, (column, _) in enumerate(plan.objects):
        values = id_text(table.column(column), column)
        out[f"{_WIDE_PREFIX}{j}"] = values
        none &= np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    names = ", ".join(column for column, _ in plan.objects)
    verdicts.reject("no_object", none, f"every object column ({names}) is empty")
    keep = ["account_id", "post_id", "timestamp"]
    keep += [f"{_WIDE_PREFIX}{j}" for j in range(len(plan.objects))]
    return pa.table({name: out[name] for name in keep})


# ---------------------------------------------------------------------------------------------
# Across files: duplicates, the wide table's actions, rejects
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assembled:
    """The canonical table, the rejects (a table made on first call) and, per file, the
    reject counts by reason."""

    table: pa.Table
    rejects: Rejects
    counts: list[dict[str, int]]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _may_repeat(con: duckdb.DuckDBPyConnection, table: pa.Table, keys: list[str]) -> bool:
    """Whether two rows may share their ``keys``: equal keys (nulls too) hash equal, so where
    no hash of the keys repeats, no key does. It costs a fraction of numbering every key
    (:func:`_first_seen`), which it spares where nothing repeats."""
    if table.num_rows < 2:
        return False
    columns = ", ".join(_q(key) for key in keys)
    con.register("_inconcert_keys", table.select(keys))
    try:
        repeated = con.execute(
            f"SELECT 1 FROM _inconcert_keys GROUP BY hash({columns}) HAVING COUNT(*) > 1 LIMIT 1"
        ).fetchall()
    finally:
        con.unregister("_inconcert_keys")
    return bool(repeated)


def _first_seen(
    con: Connect, table: pa.Table, keys: list[str], compare: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows whose key was seen in an earlier row: their positions, the first row with the same
    key, and whether the ``compare`` columns are identical to that first row's."""
    n = table.num_rows
    first = first_rows([table.column(key) for key in keys], n)
    pos = np.flatnonzero(first != np.arange(n, dtype=np.int64))
    first = first[pos]
    if not compare or len(pos) == 0:
        return pos, first, np.ones(len(pos), dtype=bool)
    # Compare each repeated row with its first copy (SQL's IS NOT DISTINCT FROM on the rows).
    index = pa.array(np.arange(len(pos), dtype=np.int64))
    subset = table.select(compare)
    a = subset.take(pa.array(pos)).append_column("_i", index)
    b = subset.take(pa.array(first)).append_column("_i", index)
    left = ", ".join(f"a.{_q(c)}" for c in compare)
    right = ", ".join(f"b.{_q(c)}" for c in compare)
    sql = (
        f"SELECT row({left}) IS NOT DISTINCT FROM row({right}) AS same "
        "FROM _inconcert_a a JOIN _inconcert_b b USING (_i) ORDER BY _i"
    )
    db = con()
    db.register("_inconcert_a", a)
    db.register("_inconcert_b", b)
    try:
        result = arrow_of(db.sql(sql))
    finally:
        db.unregister("_inconcert_a")
        db.unregister("_inconcert_b")
    return pos, first, np.asarray(result.column("same").to_numpy(), dtype=bool)


class _Locator:
    """Maps a position in the accepted rows of all files back to its file, row and line."""

    def __init__(self, parts: list[FilePart], accepted: list[np.ndarray]) -> None:
        self.parts = parts
        self.accepted = accepted

    @functools.cached_property
    def file_no(self) -> np.ndarray:
        """Each accepted row's file (made on first use: most reads reject no duplicate)."""
        return np.concatenate(
            [np.full(len(rows), i, dtype=np.int64) for i, rows in enumerate(self.accepted)]
        )

    @functools.cached_property
    def row_no(self) -> np.ndarray:
        """Each accepted row's row in its file."""
        return np.concatenate(self.accepted).astype(np.int64)

    def where(self, positions: np.ndarray) -> _Places:
        """The file and line of each position."""
        files = self.file_no[positions]
        lines = np.zeros(len(positions), dtype=np.int64)
        for f in np.unique(files).tolist():
            mine = files == f
            lines[mine] = self.parts[f].raw.lines[self.row_no[positions[mine]]]
        return _Places([part.raw.source.display for part in self.parts], files, lines)

    def reject(self, positions: np.ndarray, reasons: list[str], details: Later) -> None:
        """Reject accepted rows (by position) in their files; ``details`` (one per position)
        are made once, when the first file's rejects table asks for its share."""
        made = functools.cache(details.make)
        codes = {reason: code for code, reason in enumerate(dict.fromkeys(reasons))}
        names = list(codes)
        group = self.file_no[positions] * len(codes) + np.asarray(
            [codes[r] for r in reasons], dtype=np.int64
        )
        for key in np.unique(group).tolist():
            mine = np.flatnonzero(group == key)
            self.parts[key // len(codes)].verdicts.reject_rows(
                self.row_no[positions[mine]], names[key % len(codes)], _share(made, mine)
            )


def _share(made: Callable[[], list[str]], mine: np.ndarray) -> Later:
    """The texts of ``made`` at the places ``mine``, made later."""
    return Later(lambda: [made()[i] for i in mine.tolist()])


@dataclass(frozen=True)
class _Places:
    """Where rows were read: the files' names, and each row's file (an index into them) and
    line; as text on demand."""

    names: list[str]
    files: np.ndarray
    lines: np.ndarray

    def texts(self) -> list[str]:
        """``"<file>, line <n>"`` of each row."""
        return [
            f"{self.names[f]}, line {line}"
            for f, line in zip(self.files.tolist(), self.lines.tolist(), strict=True)
        ]


def _dedup_posts(con: Connect, acc: pa.Table, locator: _Locator) -> pa.Table:
    if not _may_repeat(con(), acc, ["post_id"]):  # post ids rarely repeat; actions often do
        return acc
    compare = [name for name in POST_SCHEMA.names if name != "post_id"]
    pos, first, same = _first_seen(con, acc, ["post_id"], compare)
    if len(pos) == 0:
        return acc
    ids = acc.column("post_id").take(pa.array(pos))
    reasons = ["duplicate_row" if s else "duplicate_post_id" for s in same.tolist()]
    places = locator.where(first)

    def details() -> list[str]:
        return [
            f"post_id {post_id!r} already read at {where}"
            + ("" if s else " with other values; the first one is kept")
            for post_id, where, s in zip(
                ids.to_pylist(), places.texts(), same.tolist(), strict=True
            )
        ]

    locator.reject(pos, reasons, Later(details))
    keep = np.ones(acc.num_rows, dtype=bool)
    keep[pos] = False
    return acc.filter(pa.array(keep))


def _duplicate_actions(
    table: pa.Table, positions: np.ndarray, places: _Places, template: str
) -> Later:
    """The details of duplicate actions: ``template`` with the ``{action}`` at each position
    and ``{where}`` it was read before. Holds the repeated actions' keys, not the table."""
    keys = table.select(["post_id", "kind", "object_id"]).take(pa.array(positions))

    def details() -> list[str]:
        return [
            template.format(
                action="(post_id, kind, object_id) = "
                f"({r['post_id']!r}, {r['kind']!r}, {r['object_id']!r})",
                where=where,
            )
            for r, where in zip(keys.to_pylist(), places.texts(), strict=True)
        ]

    return Later(details)


def _dedup_actions(con: Connect, acc: pa.Table, locator: _Locator) -> pa.Table:
    pos, first, _ = _first_seen(con, acc, ["post_id", "kind", "object_id"], [])
    if len(pos) == 0:
        return acc
    details = _duplicate_actions(acc, pos, locator.where(first), "{action} already read at {where}")
    locator.reject(pos, ["duplicate_action"] * len(pos), details)
    keep = np.ones(acc.num_rows, dtype=bool)
    keep[pos] = False
    return acc.filter(pa.array(keep))


def _explode_wide(con: Connect, acc: pa.Table, plan: Plan, locator: _Locator) -> pa.Table:
    """One action per non-empty object cell, in row order then in the order of ``objects``."""
    n = acc.num_rows
    columns = [acc.column(f"{_WIDE_PREFIX}{j}") for j in range(len(plan.objects))]
    filled = np.zeros((n, len(columns)), dtype=bool)
    for j, values in enumerate(columns):
        filled[:, j] = np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    rows, js = np.nonzero(filled)  # in row-major order: by row, then by column
    take = pa.array(rows)
    # the object columns end to end: column j's row r is cell j * n + r
    cells = pa.chunked_array([c for values in columns for c in values.chunks], pa.string())
    objects = cells.take(pa.array(js * n + rows))
    kinds = pa.array([kind for _, kind in plan.objects], pa.string()).take(pa.array(js))
    actions = pa.Table.from_arrays(
        [
            acc.column("account_id").take(take),
            kinds,
            objects,
            acc.column("timestamp").take(take).cast(TIMESTAMP_TYPE),
            acc.column("post_id").take(take),
        ],
        schema=ACTION_SCHEMA,
    )
    pos, first, _ = _first_seen(con, actions, ["post_id", "kind", "object_id"], [])
    keep = np.ones(actions.num_rows, dtype=bool)
    keep[pos] = False
    kept = np.bincount(rows[keep], minlength=n)
    lost_rows, where_first = np.unique(rows[pos], return_index=True)
    lost = kept[lost_rows] == 0
    lost_rows, where_first = lost_rows[lost], where_first[lost]
    if len(lost_rows):
        details = _duplicate_actions(
            actions,
            pos[where_first],
            locator.where(rows[first[where_first]]),
            "every action of the row was read before, e.g. {action} at {where}",
        )
        locator.reject(lost_rows, ["duplicate_action"] * len(lost_rows), details)
    return actions.filter(pa.array(keep))


def connect() -> duckdb.DuckDBPyConnection:
    """The DuckDB connection the readers use (times in UTC, no progress bar)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


class Connection:
    """The readers' connection (:func:`connect`), opened by the first call: reading an
    actions table whose times are epoch numbers or Arrow timestamps needs none."""

    def __init__(self) -> None:
        self._con: duckdb.DuckDBPyConnection | None = None

    def __call__(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = connect()
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _records(con: duckdb.DuckDBPyConnection, subset: pa.Table) -> pa.Array:
    """The rows as JSON objects (column -> value), truncated to 2,000 characters."""
    if subset.num_rows == 0:
        return pa.array([], pa.string())
    for i, column in enumerate(subset.columns):
        if pa.types.is_timestamp(column.type):
            try:
                column.cast(pa.timestamp("us"))
            except pa.ArrowInvalid:  # beyond what DuckDB and Python can hold: shown as text
                subset = subset.set_column(i, subset.field(i).name, column.cast(pa.string()))
    try:
        con.register("_inconcert_record", subset)
        try:
            text = arrow_of(
                con.sql(
                    "SELECT CAST(to_json(_inconcert_record) AS VARCHAR) AS j FROM _inconcert_record"
                )
            ).column("j")
        finally:
            con.unregister("_inconcert_record")
    except duckdb.Error:
        text = pa.array(
            [json.dumps(r, ensure_ascii=False, default=str) for r in subset.to_pylist()],
            pa.string(),
        )
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return pc.utf8_slice_codeunits(text, 0, _RECORD_LIMIT)


@dataclass(frozen=True)
class _FileRejects:
    """One file's rejected rows: its verdicts, and its rejected table rows as read."""

    display: str
    verdicts: Verdicts
    lines: np.ndarray  # the rejected table rows' lines, in row order
    subset: pa.Table  # the rejected table rows, in row order
    bad: list[BadRow]

    def table(self, con: duckdb.DuckDBPyConnection) -> pa.Table:
        _, reasons, details = self.verdicts.rejected()
        bad = self.bad
        lines = np.concatenate(
            [self.lines, np.asarray([b.line for b in bad], dtype=np.int64)]
        ).astype(np.int64)
        records = pa.concat_arrays(
            [_records(con, self.subset), pa.array([b.record for b in bad], pa.string())]
        )
        table = pa.Table.from_arrays(
            [
                pa.array([self.display] * len(lines), pa.string()),
                pa.array(lines, pa.int64()),
                pa.array(reasons + [b.reason for b in bad], pa.string()),
                pa.array(details + [b.detail for b in bad], pa.string()),
                records,
            ],
            schema=REJECTS_SCHEMA,
        )
        order = np.argsort(lines, kind="stable")
        return table.take(pa.array(order))


class Rejects:
    """The rejects table of a read (:data:`REJECTS_SCHEMA`), made on the first call: the JSON
    record of every rejected row is its costly part, and most runs never look at it. It holds
    the rejected rows as read until then."""

    def __init__(self, files: list[_FileRejects]) -> None:
        self._files = files
        self._table: pa.Table | None = None

    def __call__(self) -> pa.Table:
        if self._table is None:
            con = connect()
            try:
                self._table = pa.concat_tables([f.table(con) for f in self._files])
            finally:
                con.close()
            self._files = []
        return self._table


def _file_rejects(part: FilePart) -> tuple[_FileRejects, dict[str, int]]:
    """A file's rejects (made into a table later) and its counts by reason."""
    verdicts = part.verdicts
    rows = verdicts.rows()
    raw = part.raw
    counts = Counter(
        {str(_NAMES[code]): int(k) for code, k in enumerate(np.bincount(verdicts.code[rows])) if k}
    )
    counts.update(b.reason for b in raw.bad_rows)
    # a copy of the rejected rows (an empty slice would keep the whole file's buffers alive)
    subset = raw.table.take(pa.array(rows)) if len(rows) else raw.table.schema.empty_table()
    pending = _FileRejects(raw.source.display, verdicts, raw.lines[rows], subset, raw.bad_rows)
    return pending, dict(sorted(counts.items()))


def assemble(parts: list[FilePart], shape: str, con: Connect) -> Assembled:
    """Join the accepted rows of all files in order, drop duplicates, collect the rejects."""
    accepted = [np.flatnonzero(part.verdicts.code == 0) for part in parts]
    tables = [
        part.table if len(rows) == part.table.num_rows else part.table.take(pa.array(rows))
        for part, rows in zip(parts, accepted, strict=True)
    ]
    acc = pa.concat_tables(tables)
    locator = _Locator(parts, accepted)
    plan = parts[0].plan
    if shape == "posts":
        table = _dedup_posts(con, acc, locator)
    elif plan.objects:
        table = _explode_wide(con, acc, plan, locator)
    else:
        table = _dedup_actions(con, acc, locator)
    rejects, counts = [], []
    for part in parts:
        file_rejects, file_counts = _file_rejects(part)
        rejects.append(file_rejects)
        counts.append(file_counts)
    return Assembled(table, Rejects(rejects), counts)
