"""What a read gave, apart from the readers (:mod:`inconcert.ingest` re-exports all of it).

:class:`Ingested` (the table, a :class:`FileReport` per file, the rejected rows with their
reasons) and :func:`usage_problems`, the checks behind truthful exit codes: whether the run is
empty (every row rejected, no row at all, or posts that gave no action) and which warnings to
give (a large share of rejected rows). A module of its own so that a run on a prepared store,
which reads nothing itself, does not import the readers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa

from .errors import ParameterError

__all__ = [
    "REJECTS_SCHEMA",
    "FileReport",
    "Ingested",
    "Usage",
    "check_reject_share",
    "usage_problems",
]

REJECTS_SCHEMA = pa.schema(
    [
        pa.field("file", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("reason", pa.string()),
        pa.field("detail", pa.string()),
        pa.field("record", pa.string()),
    ]
)


@dataclass(frozen=True)
class FileReport:
    """What happened to one input file.

    Attributes
    ----------
    path
        The file, as given by the user (files found in a folder: folder path + relative path).
    sha256
        Hex digest of the raw file bytes (compressed bytes for ``.gz``).
    format
        ``"csv"`` (also TSV), ``"jsonl"`` or ``"parquet"``.
    rows_read
        Records in the file (CSV: data records, including those with a wrong field count).
    rows_used
        Rows that made it into the table. Wide actions table: rows that gave at least one
        action.
    rejected
        Reason -> number of rows rejected for it, sorted by reason. Reasons are the keys of
        :data:`REJECT_REASONS`. ``rows_read == rows_used + sum(rejected.values())``.
    """

    path: str
    sha256: str
    format: str
    rows_read: int
    rows_used: int
    rejected: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        """The report as JSON-ready values (the manifest's ``inputs``, a store's)."""
        return {
            "path": self.path,
            "sha256": self.sha256,
            "format": self.format,
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rejected": dict(self.rejected),
        }


class _Made:
    """A dataclass field holding a table, given either as the table or as a function that
    makes it, called on the first read of the field (the dataclasses module's
    "descriptor-typed fields")."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._key = f"_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> pa.Table:
        if obj is None:
            raise AttributeError("no default")  # a field without default
        value = obj.__dict__[self._key]
        if not isinstance(value, pa.Table):
            value = value()
            obj.__dict__[self._key] = value
        return value

    def __set__(self, obj: object, value: pa.Table | Callable[[], pa.Table]) -> None:
        obj.__dict__[self._key] = value


@dataclass(frozen=True)
class Ingested:
    """The result of :func:`read_inputs`.

    Attributes
    ----------
    shape
        ``"posts"`` or ``"actions"``.
    table
        Exactly :data:`~inconcert.schema.POST_SCHEMA` (posts) or
        :data:`~inconcert.schema.ACTION_SCHEMA` (actions); rows in file order, then row order
        (wide actions table: then in the order of the ``objects`` mapping).
    files
        One :class:`FileReport` per file, in reading order.
    rejects
        One row per rejected input row (:data:`REJECTS_SCHEMA`), made on first access (the
        constructor also takes a function that returns it): ``file``, ``line``,
        ``reason``, ``detail`` (what exactly is wrong, e.g. the unreadable value or where the
        first copy of a duplicate is) and ``record`` (the input row as JSON text, truncated to
        2,000 characters; for a CSV record with a wrong field count, its raw text as a JSON
        string). In file order, then line order.
    permalinks
        ``post_id, permalink``: the link back to each post that has one (platform exports,
        or a ``permalink`` template), or None when no post has one.
    account_names
        ``post_id, account_name``: the name (handle) of each post's account where the input
        gives one (a platform export's ``username``, ``acct``, handle; an ``account_name``
        column or ``--map account_name=...``), in the table's order; None when no post has
        one. See :mod:`inconcert.ingest._embedded` for the rules.
    references
        The referenced posts a platform export embeds that are not posts of the input
        (:data:`~inconcert.schema.EMBEDDED_SCHEMA`: ``post_id``, ``account_id``,
        ``account_name``, ``text``, ``permalink``; a retweet's or quote's original, a
        boost's status), one row per post, sorted by ``post_id``; None when there are none.
    """

    shape: str
    table: pa.Table
    files: tuple[FileReport, ...]
    rejects: _Made = _Made()
    permalinks: pa.Table | None = None
    account_names: pa.Table | None = None
    references: pa.Table | None = None

    def without_table(self) -> Ingested:
        """This read's report (files, rejects, references) without its rows: :attr:`table`
        empty, :attr:`permalinks` and :attr:`account_names` None (one row per post each; the
        run has them in its posts). :func:`inconcert.detect` keeps this in its result and lets
        go of the rows once its engine holds them. The rejects stay as they are (made on first
        access)."""
        report = copy.copy(self)
        object.__setattr__(report, "table", self.table.schema.empty_table())
        object.__setattr__(report, "permalinks", None)
        object.__setattr__(report, "account_names", None)
        return report

    @property
    def rows_read(self) -> int:
        """Records read, over all files."""
        return sum(f.rows_read for f in self.files)

    @property
    def rows_used(self) -> int:
        """Rows used, over all files."""
        return sum(f.rows_used for f in self.files)

    @property
    def rejected(self) -> dict[str, int]:
        """Reason -> rows rejected for it, over all files, sorted by reason."""
        total: dict[str, int] = {}
        for report in self.files:
            for reason, count in report.rejected.items():
                total[reason] = total.get(reason, 0) + count
        return dict(sorted(total.items()))


_TIME_HINT = (
    "times with a zone abbreviation (EDT) are read; for another layout give "
    "--time-format (e.g. '%d/%m/%Y %H:%M') and --tz"
)


@dataclass(frozen=True)
class Usage:
    """The verdict on a run's input.

    ``empty`` is the reason the run has nothing to analyse (None when it has something);
    ``warnings`` are plain-language notes.
    """

    empty: str | None = None
    warnings: list[str] = field(default_factory=list)


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(
        f"{reason}: {n:,}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])
    )


def _first_reject(ingested: Ingested) -> str:
    rows = ingested.rejects.slice(0, 1).to_pylist()
    if not rows:
        return ""
    row = rows[0]
    return f"; first: {row['file']}, line {row['line']}: {row['reason']} ({row['detail']})"


def check_reject_share(share: float) -> float:
    """``share``, the share of rejected rows past which a run warns (:func:`usage_problems`),
    if it is in [0, 1]; else a :class:`~inconcert.errors.ParameterError`."""
    if not 0 <= share <= 1:
        raise ParameterError("reject_warning_share", "a share in [0, 1]", share)
    return share


def usage_problems(
    ingested: Ingested,
    actions_by_kind: Mapping[str, int] | None,
    *,
    reject_warning_share: float = 0.05,
) -> Usage:
    """Whether a run had nothing to analyse, and warnings about its input.

    Parameters
    ----------
    ingested
        What :func:`~inconcert.ingest.read_inputs` returned.
    actions_by_kind
        The actions made per kind (posts input), or None for a ready-made actions table.
    reject_warning_share
        Warn when more than this share of the rows read was rejected.
    """
    warnings: list[str] = []
    read, used = ingested.rows_read, ingested.rows_used
    rejected = ingested.rejected
    if read == 0:
        return Usage("no rows were read: the input has a header and nothing else", warnings)
    if used == 0:
        hint = ""
        if {"bad_timestamp", "missing_timestamp"} & set(rejected):
            hint = f" ({_TIME_HINT})"
        return Usage(
            f"every one of the {read:,} rows read was rejected ({_counts(rejected)})"
            f"{_first_reject(ingested)}; --rejects FILE lists them all{hint}",
            warnings,
        )
    share = (read - used) / read
    if share > reject_warning_share:
        hint = f"; {_TIME_HINT}" if {"bad_timestamp"} & set(rejected) else ""
        warnings.append(
            f"{read - used:,} of {read:,} rows read ({share:.0%}) were rejected "
            f"({_counts(rejected)}); --rejects FILE lists them{hint}"
        )
    if actions_by_kind is not None and sum(actions_by_kind.values()) == 0:
        kinds = ", ".join(sorted(actions_by_kind)) or "(none)"
        return Usage(
            f"the {used:,} posts read gave no action of the kinds compared ({kinds}): no "
            "reposts, links, hashtags or texts long enough; choose other --kinds, or check "
            "that the columns are mapped (--map, --format)",
            warnings,
        )
    return Usage(None, warnings)
