"""Readers: turn CSV, JSON Lines and Parquet files into the canonical posts or actions table.

The one entry point is :func:`read_inputs`. It reads every file, maps its columns to the
canonical names, converts and checks every row, and returns an :class:`Ingested`: the table
(exactly :data:`~inconcert.schema.POST_SCHEMA` or :data:`~inconcert.schema.ACTION_SCHEMA`), a
:class:`FileReport` per file, and a table of the rejected rows with the reason for each; for
posts also what the input tells beside them: permalinks, accounts' names and the referenced
posts a platform export embeds.

Formats, chosen by file suffix (case-insensitive)
    ``.csv``, ``.csv.gz`` (comma), ``.tsv``, ``.tsv.gz`` (tab): a header line, then records;
    double quotes may enclose fields (``""`` inside is a quote, newlines allowed). Every
    column is read as text, so ids such as ``007`` keep their zeros. A cell that is empty or
    is one of ``NA``, ``N/A``, ``NaN``, ``nan``, ``NULL``, ``null``, ``None`` is missing.
    ``.jsonl``, ``.ndjson`` (and ``.gz``): one JSON object per line; blank lines are skipped.
    ``.parquet``, ``.pq``: any Parquet file.
    A folder stands for every supported file inside it, recursively, sorted by relative path
    (hidden files and folders, whose name starts with ".", are skipped).

Line numbers (in rejects and errors)
    CSV: the physical line where the record starts, the header being line 1 (records with
    quoted newlines and blank lines are accounted for). JSON Lines: the line. Parquet: the
    1-based row number.

Every input row is either used or rejected with one reason; see :data:`REJECT_REASONS`.
For each file ``rows_read == rows_used + sum(rejected.values())``. A blank line in a CSV file
is a record (rejected as ``empty_row``); blank lines in JSON Lines are skipped, not counted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inconcert._assignments import parse_assignments
from inconcert._ingested import REJECTS_SCHEMA, FileReport, Ingested, Usage, usage_problems
from inconcert.errors import InputError, ParameterError
from inconcert.ingest._build import (
    MAPPABLE_FIELDS,
    REJECT_REASONS,
    Connection,
    FilePart,
    assemble,
    convert_file,
    decide_shape,
    resolve,
)
from inconcert.ingest._embedded import account_names, file_names, referenced_posts
from inconcert.ingest._files import SUPPORTED_SUFFIXES, expand_paths
from inconcert.ingest._mapping import (
    FileRule,
    FileSettings,
    InputOptions,
    load_mapping_file,
    localize_times,
    split_on,
)
from inconcert.ingest._values import EPOCH_MAX, EPOCH_MS_THRESHOLD, as_text, id_text
from inconcert.ingest.platforms import FORMATS
from inconcert.ingest.platforms import load as load_platform
from inconcert.progress import Progress, null_progress
from inconcert.schema import ALL_KINDS, LIST_COLUMNS

__all__ = [
    "EPOCH_MAX",
    "EPOCH_MS_THRESHOLD",
    "FORMATS",
    "MAPPABLE_FIELDS",
    "REJECTS_SCHEMA",
    "REJECT_REASONS",
    "SUPPORTED_SUFFIXES",
    "FileReport",
    "FileRule",
    "Ingested",
    "InputOptions",
    "Usage",
    "load_mapping_file",
    "parse_assignments",
    "read_inputs",
    "usage_problems",
]

_SHAPES = ("auto", "posts", "actions")


def _check_parameters(shape: str, mapping: Mapping[str, str], objects: Mapping[str, str]) -> None:
    if shape not in _SHAPES:
        raise ParameterError("shape", "one of 'auto', 'posts', 'actions'", shape)
    unknown = [field for field in mapping if field not in MAPPABLE_FIELDS]
    if unknown:
        raise ParameterError(
            "mapping",
            "a mapping from canonical fields (" + ", ".join(MAPPABLE_FIELDS) + ") to columns",
            dict(mapping),
        )
    bad_kinds = [kind for kind in objects.values() if kind not in ALL_KINDS]
    if bad_kinds:
        raise ParameterError(
            "objects",
            "a mapping from column to kind, kinds being " + ", ".join(ALL_KINDS),
            dict(objects),
        )
    if objects and shape == "posts":
        raise ParameterError("shape", "'actions' or 'auto' when objects are given", shape)


def read_inputs(
    paths: Sequence[str | os.PathLike[str]],
    *,
    mapping: Mapping[str, str] | None = None,
    objects: Mapping[str, str] | None = None,
    shape: str = "auto",
    progress: Progress = null_progress,
    options: InputOptions | None = None,
) -> Ingested:
    """Read posts or actions from files and folders into one canonical table.

    Parameters
    ----------
    paths
        Files and folders (a folder means every supported file in it, recursively, sorted).
    mapping
        Canonical field -> input column name (CLI ``--map post_id=id``), for every file.
        Fields are the :data:`~inconcert.schema.POST_SCHEMA` columns, ``account_name`` (the
        account's handle, read beside the posts: :attr:`Ingested.account_names`), and
        ``object_id`` and ``kind``. Without a mapping a field is read from the column of the
        same name.
    objects
        Wide actions table: input column -> kind (CLI ``--objects url_id=url,domain_id=domain``).
        Each non-empty cell of those columns becomes one action of that kind, with the row's
        ``account_id``, ``post_id`` and ``timestamp`` (an ``object_id`` or ``kind`` column is
        then ignored). Kinds must be among :data:`~inconcert.schema.ALL_KINDS`.
    shape
        ``"posts"``, ``"actions"``, or ``"auto"``: actions when ``objects`` is given or a file
        has an ``object_id`` column (after mapping), posts otherwise. All files must agree.
    progress
        Called as ``progress("read", files_done, files_total)``.
    options
        :class:`InputOptions`: the format (platform exports are recognised by their content
        unless ``format`` says otherwise; see ``inconcert formats``), list separator, time
        format and zone, permalink template, and rules per file pattern. A file read as a
        platform export ignores ``mapping`` for its columns: a mapped field is then taken
        from the dotted path it names in each record, overriding the format's own.

    Returns
    -------
    Ingested
        The table, a report per file, and the rejected rows.

    Notes
    -----
    **Posts** need ``post_id``, ``account_id`` and ``timestamp``; the other
    :data:`~inconcert.schema.POST_SCHEMA` columns are optional and null when absent.
    ``hashtags`` and ``mentions`` are *not* taken from ``text`` here: when their columns are
    absent they stay null and the actions stage extracts them from the text. List columns
    (``urls``, ``hashtags``, ``mentions``, ``image_hashes``) are real lists in Parquet and
    JSON, and in CSV either a JSON array (``["a", "b"]``) or whitespace-separated items; an
    empty cell is a null list; null and empty items are dropped. A post_id seen again (in any
    file) is rejected as ``duplicate_row`` when every column equals the first copy, else as
    ``duplicate_post_id``; the first copy is kept.

    **Actions** come as ``account_id, object_id, timestamp, post_id`` with an optional
    ``kind`` (blank or absent: ``"object"``; other values are kept as given), as CooRTweet's
    ``object_id, account_id, content_id, timestamp_share`` (``content_id`` is the post_id,
    ``timestamp_share`` the timestamp), or as a wide table with ``objects``. The same
    ``(post_id, kind, object_id)`` seen again is rejected as ``duplicate_action``. In a wide
    table the verdict is per input row: a row is used when it gives at least one new action,
    rejected as ``no_object`` when all its object cells are empty and as
    ``duplicate_action`` when all its actions were seen before (repeated actions of a row
    that also gives new ones are dropped without being counted).

    **Ids** (post_id, account_id, object_id, kind, platform, repost_of, reply_to, quote_of)
    are text, numbers written in full (``129235``), with surrounding whitespace removed.

    **Timestamps** become ``timestamp[us, tz=UTC]``: an Arrow timestamp or date (naive means
    UTC); an epoch number, as number or text, in seconds when its absolute value is below
    1e11 (:data:`EPOCH_MS_THRESHOLD`) and in milliseconds from 1e11 to 1e14
    (:data:`EPOCH_MAX`) (so epoch milliseconds before March 1973 are misread as seconds);
    ISO 8601 with or without zone (naive means UTC; ``Z``, ``+02:00``, fractional seconds);
    Twitter's ``Wed Oct 10 20:19:24 +0000 2018``; RFC 2822.

    **Empty files**: a 0-byte file (or a JSON Lines file with only blank lines) raises
    :class:`~inconcert.errors.InputError`; a CSV with a header and no rows gives zero rows
    and a report.

    Raises
    ------
    InputError
        A file cannot be read as a whole: not found, unsupported suffix, empty, not UTF-8,
        invalid JSON, unreadable Parquet or gzip, required columns missing, a mapped column
        absent, files of different shapes, a folder without supported files. The message
        names the file, the line where known, and a fix.
    ParameterError
        ``shape``, ``mapping`` or ``objects`` is malformed.
    """
    mapping = dict(mapping or {})
    objects = dict(objects or {})
    options = options or InputOptions()
    _check_parameters(shape, mapping, objects)
    for rule in options.files:
        _check_parameters(shape, rule.mapping or {}, objects)
    sources = expand_paths(paths)
    permalinks: list[pa.Table] = []
    names: list[pa.Table] = []
    embedded: list[pa.Table] = []
    con = Connection()  # opened by the first step that needs it
    try:
        parts: list[FilePart] = []
        chosen: str | None = None
        progress("read", 0, len(sources))
        for done, source in enumerate(sources, start=1):
            settings = options.for_file(source.display, mapping)
            raw, platform = load_platform(source, settings)
            file_mapping = {} if platform is not None else dict(settings.mapping)
            raw.table = _prepare(raw.table, file_mapping, settings)
            file_shape = decide_shape(raw.table.column_names, shape, file_mapping, objects)
            if chosen is None:
                chosen = file_shape
            elif file_shape != chosen:
                raise InputError(
                    source.display,
                    f"looks like a table of {file_shape} but {sources[0].display} looks like "
                    f"a table of {chosen}",
                    hint="read them separately, or pass the shape explicitly",
                )
            plan = resolve(raw, chosen, file_mapping, objects)
            parts.append(convert_file(raw, chosen, plan, con))
            if chosen == "posts":  # actions keep no permalinks, names, references
                links = _permalinks(raw.table, plan.sources, settings.permalink)
                if links is not None:
                    permalinks.append(links)
                named = file_names(raw.table, plan.sources, file_mapping)
                if named is not None:
                    names.append(named)
                if raw.embedded is not None:
                    embedded.append(raw.embedded)
            progress("read", done, len(sources))
        assert chosen is not None
        assembled = assemble(parts, chosen, con)
    finally:
        con.close()
    links_table = _kept_permalinks(permalinks, assembled.table) if chosen == "posts" else None
    names_table = refs_table = None
    if chosen == "posts":
        names_table = account_names(names, embedded, assembled.table)
        refs_table = referenced_posts(embedded, assembled.table)
    reports = tuple(
        FileReport(
            path=part.raw.source.display,
            sha256=part.raw.sha256,
            format=part.raw.source.fmt.name,
            rows_read=part.raw.rows_read,
            rows_used=part.raw.rows_read - sum(counts.values()),
            rejected=counts,
        )
        for part, counts in zip(parts, assembled.counts, strict=True)
    )
    return Ingested(
        chosen, assembled.table, reports, assembled.rejects, links_table, names_table, refs_table
    )


def _prepare(table: pa.Table, mapping: Mapping[str, str], settings: FileSettings) -> pa.Table:
    """List cells split on ``--list-sep``; local times and zone abbreviations made absolute."""
    names = table.column_names
    column = mapping.get("timestamp") or next(
        (c for c in ("timestamp", "timestamp_share") if c in names), None
    )
    if column in names:
        index = names.index(column)
        table = table.set_column(
            index, column, localize_times(table.column(index), settings.time_format, settings.tz)
        )
    if settings.list_sep:
        for field in LIST_COLUMNS:
            name = mapping.get(field, field)
            if name in names and not pa.types.is_list(table.schema.field(name).type):
                index = names.index(name)
                table = table.set_column(
                    index, name, split_on(table.column(index), settings.list_sep)
                )
    return table


class _Row(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _permalinks(
    table: pa.Table, sources: Mapping[str, str], template: str | None
) -> pa.Table | None:
    """(post_id, permalink) of one file's rows: the template's, else the format's."""
    if "post_id" not in sources or not (template or "permalink" in table.column_names):
        return None
    ids = id_text(table.column(sources["post_id"]), sources["post_id"])
    if template:
        fields = {
            f: id_text(table.column(c), c).to_pylist()
            for f, c in sources.items()
            if f in ("post_id", "account_id", "platform", "repost_of", "reply_to", "quote_of")
        }
        rows = [{f: values[i] or "" for f, values in fields.items()} for i in range(table.num_rows)]
        links = pa.array([template.format_map(_Row(row)) for row in rows], pa.string())
    else:
        links = as_text(table.column("permalink"), "permalink")
    return pa.table({"post_id": ids, "permalink": links})


def _kept_permalinks(parts: list[pa.Table], posts: pa.Table) -> pa.Table | None:
    """The first permalink of each post of the final table."""
    if not parts:
        return None
    links = pa.concat_tables(parts)
    links = links.filter(
        pc.and_(pc.is_valid(links.column("post_id")), pc.is_valid(links.column("permalink")))
    )
    links = links.filter(pc.is_in(links.column("post_id"), posts.column("post_id")))
    if links.num_rows == 0:
        return None
    _, first = np.unique(links.column("post_id").to_numpy(zero_copy_only=False), return_index=True)
    return links.take(pa.array(np.sort(first)))
