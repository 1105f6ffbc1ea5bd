"""Reading a finished result folder and shaping it into the data the report page embeds.

Nothing here runs detection again: the page is built from ``groups.csv``, ``accounts.csv``,
``edges.csv``, ``evidence.parquet`` and ``manifest.json`` as written by ``inconcert detect``.
Columns are looked up by name and every one beyond the few the page needs is optional, so
results from ``--compat coortweet`` (CooRTweet's edge columns) and from later versions (extra
columns such as ``similarity``) render too: unknown columns are shown as they are.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .._arrow import as_texts, one_array, take_rows
from .._objects import SOURCE_KINDS, TEXT_KINDS
from ..errors import InputError
from ..safety import restore_formula
from ._json import Raw, json_array
from ._layout import layout_groups

__all__ = ["Limits", "ResultFolder", "page_data", "read_result"]

REQUIRED_FILES = ("groups.csv", "accounts.csv", "edges.csv", "evidence.parquet")
#: Columns always read as text, whatever they look like (ids like "007" must stay "007").
TEXT_COLUMNS = (
    "account_id",
    "account_name",
    "account_a",
    "account_b",
    "members",
    "top_objects",
    "kinds",
    "object_ids",
    "kind",
    "object_id",
    "post_a",
    "post_b",
    "text_a",
    "text_b",
)
#: Evidence columns the page shows in fixed places; any other column is shown as an extra.
EVIDENCE_KNOWN = (
    "group_id",
    "account_a",
    "account_b",
    "kind",
    "object_id",
    "object_text",
    "object_author",
    "object_author_name",
    "object_link",
    "post_a",
    "post_b",
    "time_a",
    "time_b",
    "dt_s",
    "text_a",
    "text_b",
    "link_a",
    "link_b",
)
MICROS = 1_000_000
_BINS = (
    60,
    300,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    2 * 86_400,
    7 * 86_400,
    14 * 86_400,
    30 * 86_400,
    91 * 86_400,
    365 * 86_400,
)
_MAX_BINS = 200
_LANES = 20
_TOP_OBJECTS = 10
_EXAMPLES = 3


@dataclass(frozen=True)
class Limits:
    """How much of a result the page embeds (the files beside it always hold everything).

    Attributes
    ----------
    max_nodes, max_edges:
        The network view draws whole groups in rank order while they fit in these budgets (a
        first group larger than that is drawn by its strongest accounts).
    max_evidence_rows, max_evidence_per_edge:
        Co-actions embedded for the drawn edges, in group rank order.
    max_text_chars:
        Longer post texts and objects are cut, with an ellipsis.
    max_groups, max_accounts:
        Rows of the groups table and of the account search index.
    max_detail_groups:
        Groups with a timeline, top objects and representative posts.
    """

    max_nodes: int = 10_000
    max_edges: int = 100_000
    max_evidence_rows: int = 50_000
    max_evidence_per_edge: int = 500
    max_text_chars: int = 1_000
    max_groups: int = 100_000
    max_accounts: int = 200_000
    max_detail_groups: int = 1_000


@dataclass
class ResultFolder:
    """The output files of one ``inconcert detect`` run, as read back.

    ``csv_neutralised`` tells whether account ids in the CSV files carried the spreadsheet
    quote of :func:`inconcert.safety.neutralise_formulas` (they are restored to the exact
    values of ``evidence.parquet``).
    """

    path: Path
    manifest: dict[str, Any]
    groups: pa.Table
    accounts: pa.Table
    edges: pa.Table
    evidence: pa.Table
    csv_neutralised: bool = False
    notes: list[str] = field(default_factory=list)


def _read_csv(path: Path) -> pa.Table:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            header = fh.readline()
    except UnicodeDecodeError as err:
        raise InputError(
            path,
            f"is not valid UTF-8 (byte 0x{err.object[err.start]:02x} at "
            f"byte {err.start}): not an inconcert output table",
            hint="rerun inconcert detect to write the results again",
        ) from err
    except OSError as err:
        raise InputError(path, f"cannot be read ({err.strerror or err})") from err
    if not header.strip():
        return pa.table({})
    try:
        return pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in TEXT_COLUMNS},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(path, f"cannot be read as an inconcert output table: {err}") from err


def _restore_ids(values: pa.ChunkedArray | pa.Array, exact: set[str]) -> tuple[pa.Array, bool]:
    """CSV ids with a neutralising quote back to the exact ids of the evidence."""
    arr = one_array(values)
    if len(arr) == 0 or arr.null_count == len(arr):
        return arr, False
    hit = pc.match_substring_regex(arr, "^'[=+\\-@\t\r]")
    if not pc.any(hit).as_py():
        return arr, False
    out = []
    changed = False
    for v in arr.to_pylist():
        if isinstance(v, str) and v not in exact and v[1:] in exact and restore_formula(v) != v:
            out.append(v[1:])
            changed = True
        else:
            out.append(v)
    return pa.array(out, pa.string()), changed


def read_result(
    result_dir: str | os.PathLike[str], *, evidence: pa.Table | None = None
) -> ResultFolder:
    """Read the output files of a finished run.

    Parameters
    ----------
    result_dir:
        A folder written by ``inconcert detect --out``.
    evidence:
        The table in ``evidence.parquet`` when the caller holds it already (``detect``
        writing its report), so that it is not read again.

    Raises
    ------
    inconcert.InputError
        When a required file (groups.csv, accounts.csv, edges.csv, evidence.parquet) is
        missing or unreadable. ``manifest.json`` is optional.
    """
    path = Path(result_dir)
    if not path.is_dir():
        raise InputError(path, "is not a result folder", hint="pass the --out folder of detect")
    missing = [n for n in REQUIRED_FILES if not (path / n).is_file()]
    if missing:
        raise InputError(
            path,
            f"is missing {', '.join(missing)}",
            hint="pass the --out folder of a finished inconcert detect run",
        )
    manifest: dict[str, Any] = {}
    notes: list[str] = []
    if (path / "manifest.json").is_file():
        try:
            manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            notes.append("manifest.json could not be read: the overview lacks input details.")
    else:
        notes.append("manifest.json is missing: the overview lacks input details.")
    try:
        if evidence is None:
            # the texts as dictionaries, as detect holds them: each text once per row group,
            # not once per co-action that quotes it (an article quoted 1,225 times)
            names = pq.read_schema(path / "evidence.parquet").names
            texts = [c for c in ("object_text", "text_a", "text_b") if c in names]
            evidence = pq.read_table(path / "evidence.parquet", read_dictionary=texts)
            for name in texts:  # one dictionary per column, not one per row group
                i = evidence.column_names.index(name)
                evidence = evidence.set_column(i, name, as_texts(evidence.column(name)))
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(path / "evidence.parquet", f"cannot be read: {err}") from err
    groups = _read_csv(path / "groups.csv")
    accounts = _read_csv(path / "accounts.csv")
    edges = _read_csv(path / "edges.csv")
    for name, table, cols in (
        ("accounts.csv", accounts, ("account_id", "group_id")),
        ("edges.csv", edges, ("account_a", "account_b")),
        ("evidence.parquet", evidence, ("account_a", "account_b")),
        ("groups.csv", groups, ("group_id",)),
    ):
        lacking = [c for c in cols if c not in table.column_names]
        if lacking and table.num_rows:
            raise InputError(path / name, f"has no column {', '.join(lacking)}")
    exact: set[str] = set()
    if evidence.num_rows:
        for c in ("account_a", "account_b"):
            exact.update(pc.unique(evidence.column(c)).to_pylist())
    neutralised = False
    for table_name, cols in (("accounts", ("account_id",)), ("edges", ("account_a", "account_b"))):
        table = accounts if table_name == "accounts" else edges
        for c in cols:
            if c in table.column_names:
                fixed, changed = _restore_ids(table.column(c), exact)
                if changed:
                    table = table.set_column(table.column_names.index(c), c, fixed)
                    neutralised = True
        if table_name == "accounts":
            accounts = table
        else:
            edges = table
    if "account_name" in accounts.column_names:
        accounts = _names_as_written(accounts, manifest)
    return ResultFolder(
        path=path,
        manifest=manifest,
        groups=groups,
        accounts=accounts,
        edges=edges,
        evidence=evidence,
        csv_neutralised=neutralised,
        notes=notes,
    )


def _names_as_written(accounts: pa.Table, manifest: dict[str, Any]) -> pa.Table:
    """accounts.csv's ``account_name`` as detect had it: an empty cell is no name, and the
    spreadsheet quote of a name that starts like a formula (a YouTube ``@handle``) is undone
    when the manifest says the CSV files were written with it (not ``--raw-csv``)."""
    i = accounts.column_names.index("account_name")
    names = accounts.column(i).combine_chunks().cast(pa.string())
    names = pc.if_else(pc.equal(names, ""), pa.scalar(None, pa.string()), names)
    parameters = manifest.get("parameters")
    if isinstance(parameters, dict) and parameters.get("raw_csv") is False:
        names = pc.replace_substring_regex(names, "^'([=+\\-@\t\r])", "\\1")
    return accounts.set_column(i, "account_name", names)


# -- values for JSON ------------------------------------------------------------------------


def _cut(s: str, limit: int) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _kind_of(typ: pa.DataType) -> str:
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        return "time"
    if pa.types.is_boolean(typ):
        return "bool"
    if pa.types.is_integer(typ):
        return "int"
    if pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return "float"
    if pa.types.is_null(typ):
        return "null"
    return "str"


def _epoch(col: pa.ChunkedArray | pa.Array) -> list[float | int | None]:
    """Timestamps (any unit, zone or none = UTC) as epoch seconds, whole when whole."""
    typ = col.type
    if pa.types.is_date(typ):
        col = pc.cast(col, pa.timestamp("s"))
    us = pc.cast(
        pc.cast(
            col,
            pa.timestamp("us", tz="UTC") if getattr(col.type, "tz", None) else pa.timestamp("us"),
        ),
        pa.int64(),
    ).to_numpy(zero_copy_only=False)
    out: list[float | int | None] = []
    nulls = (
        col.is_null().to_numpy(zero_copy_only=False)
        if col.null_count
        else np.zeros(len(us), dtype=bool)
    )
    for v, isnull in zip(us.tolist(), nulls.tolist(), strict=True):
        if isnull:
            out.append(None)
        elif v % MICROS == 0:
            out.append(v // MICROS)
        else:
            out.append(v / MICROS)
    return out


def _values(col: pa.ChunkedArray | pa.Array, limit: int) -> tuple[str, list[Any]]:
    """A column as (type name, JSON-ready values)."""
    kind = _kind_of(col.type)
    if kind == "time":
        return kind, _epoch(col)
    if kind == "null":
        return "str", [None] * len(col)
    values = col.to_pylist()
    if kind == "float":
        return kind, [
            None
            if v is None or not math.isfinite(float(v))
            else (int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v))
            for v in values
        ]
    if kind in ("int", "bool"):
        return kind, values
    return "str", [
        None
        if v is None
        else _cut(
            v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False), limit
        )
        for v in values
    ]


def _columns(table: pa.Table, names: Iterable[str], limit: int) -> dict[str, Any]:
    """Columnar block: {"columns": [{"name", "type"}], "data": {name: values}}."""
    cols = []
    data = {}
    for name in names:
        kind, vals = _values(table.column(name), limit)
        cols.append({"name": name, "type": kind})
        data[name] = vals
    return {"columns": cols, "data": data}


def _raw_columns(
    table: pa.Table, names: Iterable[str], limit: int, restore: bool = False
) -> dict[str, Any]:
    """Like :func:`_columns`, each column as JSON text built by Arrow (:class:`Raw`; for the
    large blocks the page embeds). ``restore`` undoes the CSV's formula quotes in strings."""
    cols = []
    data: dict[str, Any] = {}
    for name in names:
        col = table.column(name)
        kind = _kind_of(col.type)
        if kind == "str" and not (
            pa.types.is_string(col.type)
            or pa.types.is_large_string(col.type)
            or pa.types.is_dictionary(col.type)
        ):
            kind, data[name] = _values(col, limit)  # nested values: JSON text per value
        elif kind == "null":
            kind, data[name] = "str", [None] * len(col)
        else:
            if kind == "str" and restore:
                col = pc.replace_substring_regex(col.cast(pa.string()), "^'([=+\\-@\t\r])", "\\1")
            data[name] = json_array(col, kind, limit)
        cols.append({"name": name, "type": kind})
    return {"columns": cols, "data": data}


def _int_json(values: np.ndarray) -> Raw:
    return json_array(pa.array(values, pa.int64()), "int")


class _Strings:
    """A table of distinct strings (objects and texts repeat a lot across co-actions)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.index: dict[str, int] = {}
        self.values: list[str] = []

    def add(self, value: str | None) -> int:
        if value is None:
            return -1
        i = self.index.get(value)
        if i is None:
            i = self.index[value] = len(self.values)
            self.values.append(_cut(value, self.limit))
        return i

    def add_all(self, values: Sequence[str | None]) -> list[int]:
        return [self.add(v) for v in values]

    def add_array(
        self, values: pa.Array | pa.ChunkedArray, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Indices of a column's values (of its ``rows`` only, in that order; -1 for null);
        values not yet in the table are added in order of first appearance."""
        # the rows wanted first (the page embeds a bounded number of co-actions, whose texts
        # may be long), then their distinct values
        arr = one_array(values) if rows is None else take_rows(values, rows)
        if not pa.types.is_dictionary(arr.type):
            if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
                arr = arr.cast(pa.string())
            arr = pc.dictionary_encode(arr)
        codes = one_array(pc.fill_null(arr.indices, -1)).to_numpy(zero_copy_only=False)
        codes = codes.astype(np.int64)
        present = codes >= 0
        used, first = np.unique(codes[present], return_index=True)
        used = used[np.argsort(first, kind="stable")]  # in order of first appearance
        words = arr.dictionary.take(pa.array(used, pa.int64())).to_pylist()
        index = np.full(len(arr.dictionary) + 1, -1, dtype=np.int64)
        index[used] = [self.add(str(w)) for w in words]
        return index[codes]  # -1 (null) picks the last, unused slot


# -- the page data --------------------------------------------------------------------------


def _rank_of(group_ids: pa.ChunkedArray | pa.Array, ranked: pa.Array) -> np.ndarray:
    """Rank (0 = first row of groups.csv) of each group id; -1 where unknown."""
    idx = pc.index_in(group_ids, value_set=ranked)
    return pc.fill_null(idx, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _choose_bin(span_s: float) -> int:
    for b in _BINS:
        if span_s / b <= _MAX_BINS:
            return b
    return _BINS[-1]


def _dense(times: np.ndarray, bin_s: int, t0: int, n_bins: int) -> list[int]:
    idx = ((times - t0) // bin_s).astype(np.int64)
    idx = idx[(idx >= 0) & (idx < n_bins)]
    return np.bincount(idx, minlength=n_bins).astype(int).tolist()


def _timeline(times: np.ndarray) -> dict[str, Any]:
    """Coordinated posts over time (dense bins) and by hour of the day (UTC)."""
    lo, hi = int(times.min()), int(times.max())
    bin_s = _choose_bin(hi - lo)
    t0 = lo // bin_s * bin_s
    n_bins = (hi - t0) // bin_s + 1
    return {
        "t0": t0,
        "bin": bin_s,
        "counts": _dense(times, bin_s, t0, n_bins),
        "hours": np.bincount((times // 3600) % 24, minlength=24).astype(int).tolist(),
        "posts": len(times),
    }


def _post_times(evidence: pa.Table, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (group rank, post) among co-actions with the post's time (whole seconds)."""
    if evidence.num_rows == 0 or "time_a" not in evidence.column_names:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    parts = []
    for side in ("a", "b"):
        post = (
            evidence.column(f"post_{side}")
            if f"post_{side}" in evidence.column_names
            else evidence.column(f"account_{side}")
        )
        t = pc.cast(
            pc.cast(evidence.column(f"time_{side}"), pa.timestamp("us", tz="UTC")), pa.int64()
        )
        parts.append(
            pa.table(
                {"rank": pa.array(rank), "post": post.cast(pa.string()), "t": pc.divide(t, MICROS)}
            )
        )
    both = pa.concat_tables(parts)
    both = both.filter(
        pc.and_(pc.greater_equal(both.column("rank"), 0), pc.is_valid(both.column("t")))
    )
    uniq = both.group_by(["rank", "post"], use_threads=False).aggregate([("t", "min")])
    uniq = uniq.sort_by([("rank", "ascending"), ("t_min", "ascending")])
    return (
        uniq.column("rank").to_numpy().astype(np.int64),
        uniq.column("t_min").to_numpy().astype(np.int64),
    )


def _overview(folder: ResultFolder, ev_times: np.ndarray) -> dict[str, Any]:
    m = folder.manifest
    summary = m.get("summary") or {}
    actions = summary.get("actions") if isinstance(summary.get("actions"), dict) else {}
    rows = m.get("rows") or {}
    params = m.get("parameters") or {}
    evidence = folder.evidence
    span = None
    if len(ev_times):
        span = [int(ev_times.min()), int(ev_times.max())]
    return {
        "result": folder.path.resolve().name,
        "created_at": m.get("created_at"),
        "inconcert_version": m.get("inconcert_version"),
        "versions": m.get("versions") or {},
        "command": m.get("command"),
        "parameters": params,
        "compat": params.get("compat"),
        "inputs": m.get("inputs") or [],
        "rows": rows,
        "actions": actions or {},
        "summary": summary,
        "warnings": m.get("warnings") or [],
        "counts": {
            "groups": folder.groups.num_rows,
            "accounts": folder.accounts.num_rows,
            "edges": folder.edges.num_rows,
            "coactions": evidence.num_rows,
            "posts": (actions or {}).get("posts"),
        },
        "span": span,
        "csv_neutralised": folder.csv_neutralised,
    }


def page_data(folder: ResultFolder, limits: Limits | None = None) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-ready values.

    Parameters
    ----------
    folder:
        From :func:`read_result`.
    limits:
        How much to embed; see :class:`Limits`.

    Returns
    -------
    dict
        ``overview``, ``groups``, ``accounts``, ``nodes``, ``edges``, ``evidence``,
        ``details``, ``lanes``, ``all_timeline``, ``strings``, ``object_kinds``, ``limits``,
        ``notes``; see ``assets/report.js`` for how each is read. The large columns of
        ``edges`` and ``evidence`` are JSON text already (:class:`~._json.Raw`).
    """
    lim = limits or Limits()
    notes = list(folder.notes)
    groups, accounts, edges, evidence = (
        folder.groups,
        folder.accounts,
        folder.edges,
        folder.evidence,
    )
    strings = _Strings(lim.max_text_chars)

    # Groups: the table rows, in the rank order of groups.csv.
    n_groups_all = groups.num_rows
    if n_groups_all > lim.max_groups:
        notes.append(
            f"The groups table lists the first {lim.max_groups:,} of {n_groups_all:,} "
            "groups; groups.csv has them all."
        )
        groups = groups.slice(0, lim.max_groups)
    if "group_id" in groups.column_names and groups.num_rows:
        ranked = groups.column("group_id").combine_chunks()
    else:
        ranked = pa.array([], pa.int64())
    group_block = _columns(groups, groups.column_names, 2_000)
    if folder.csv_neutralised:
        for col in group_block["columns"]:
            if col["type"] == "str":
                col_vals = group_block["data"][col["name"]]
                group_block["data"][col["name"]] = [
                    None if v is None else restore_formula(v) for v in col_vals
                ]

    # Accounts: ranked by group, strongest first (the order of groups.csv's members).
    acc_rank = (
        _rank_of(accounts.column("group_id"), ranked)
        if accounts.num_rows
        else np.zeros(0, dtype=np.int64)
    )
    accounts = accounts.append_column("__rank", pa.array(acc_rank))
    accounts = accounts.filter(pc.greater_equal(accounts.column("__rank"), 0))
    sort_keys = [("__rank", "ascending")]
    if "strength" in accounts.column_names:
        sort_keys.append(("strength", "descending"))
    sort_keys.append(("account_id", "ascending"))
    accounts = accounts.sort_by(sort_keys) if accounts.num_rows else accounts
    accounts_cut = accounts.num_rows > lim.max_accounts
    if accounts_cut:
        notes.append(
            f"Account search covers the accounts of the first groups "
            f"({lim.max_accounts:,} of {accounts.num_rows:,}); accounts.csv has all."
        )
        accounts = accounts.slice(0, lim.max_accounts)
    if "members" in group_block["data"] and not accounts_cut:
        # The members are in the account block (all of them, strongest first): no need for
        # groups.csv's space-joined list, which cannot be split when ids contain spaces.
        group_block["columns"] = [c for c in group_block["columns"] if c["name"] != "members"]
        del group_block["data"]["members"]
    acc_ids = accounts.column("account_id").to_pylist() if accounts.num_rows else []
    acc_index = {a: i for i, a in enumerate(acc_ids)}
    acc_rank = (
        accounts.column("__rank").to_numpy().astype(np.int64)
        if accounts.num_rows
        else np.zeros(0, dtype=np.int64)
    )
    acc_cols = [c for c in accounts.column_names if c not in ("account_id", "__rank")]
    account_block = _columns(accounts, acc_cols, 500)
    account_block["id"] = acc_ids
    account_block["rank"] = acc_rank.tolist()

    # Edges: rank and account indices.
    if edges.num_rows:
        e_a = np.array([acc_index.get(a, -1) for a in edges.column("account_a").to_pylist()])
        e_b = np.array([acc_index.get(b, -1) for b in edges.column("account_b").to_pylist()])
        e_rank = np.where(e_a >= 0, acc_rank[np.maximum(e_a, 0)] if len(acc_rank) else -1, -1)
        e_rank = np.where(e_b >= 0, e_rank, -1)
        e_weight = (
            np.nan_to_num(edges.column("weight").to_numpy(zero_copy_only=False).astype(np.float64))
            if "weight" in edges.column_names
            else np.ones(edges.num_rows)
        )
    else:
        e_a = e_b = e_rank = np.zeros(0, dtype=np.int64)
        e_weight = np.zeros(0)

    # Drawn network: whole groups in rank order while they fit the budgets.
    n_ranks = len(ranked)
    nodes_per = np.bincount(acc_rank, minlength=n_ranks) if n_ranks else np.zeros(0, int)
    valid = e_rank >= 0
    edges_per = np.bincount(e_rank[valid], minlength=n_ranks) if n_ranks else np.zeros(0, int)
    fits = (np.cumsum(nodes_per) <= lim.max_nodes) & (np.cumsum(edges_per) <= lim.max_edges)
    n_drawn_groups = int(np.argmin(fits)) if not fits.all() else n_ranks
    drawn_node = acc_rank < n_drawn_groups
    partial = False
    if n_drawn_groups == 0 and n_ranks and nodes_per[0] > 0:
        # The first group alone exceeds a budget: draw its strongest accounts.
        partial = True
        first = np.flatnonzero(acc_rank == 0)[: lim.max_nodes]
        drawn_node = np.zeros(len(acc_rank), dtype=bool)
        drawn_node[first] = True
        n_drawn_groups = 1
    edge_drawn = valid & (e_rank < n_drawn_groups)
    if len(e_a):
        edge_drawn &= drawn_node[np.maximum(e_a, 0)] & drawn_node[np.maximum(e_b, 0)]
    drawn_edges = np.flatnonzero(edge_drawn)
    if partial and len(drawn_edges) > lim.max_edges:
        heavy = np.argsort(-e_weight[drawn_edges], kind="stable")[: lim.max_edges]
        drawn_edges = np.sort(drawn_edges[heavy])
    drawn_edges = drawn_edges[np.argsort(e_rank[drawn_edges], kind="stable")]
    if partial:
        notes.append(
            f"The network view draws the {int(drawn_node.sum()):,} strongest accounts "
            f"of group {ranked[0].as_py()} ({int(nodes_per[0]):,} accounts) and "
            f"{len(drawn_edges):,} of its edges; the files beside this report hold all."
        )
    elif n_drawn_groups < n_ranks:
        notes.append(
            f"The network view draws the first {n_drawn_groups:,} of {n_ranks:,} groups "
            f"({int(drawn_node.sum()):,} accounts; at most {lim.max_nodes:,} accounts "
            f"and {lim.max_edges:,} edges are drawn). Their edges and evidence are "
            "in this report; the others are in edges.csv and evidence.parquet."
        )
    node_ids = np.flatnonzero(drawn_node)
    pos_index = np.full(len(acc_rank), -1, dtype=np.int64)
    pos_index[node_ids] = np.arange(len(node_ids))
    pos = layout_groups(
        acc_rank[node_ids],
        pos_index[e_a[drawn_edges]],
        pos_index[e_b[drawn_edges]],
        e_weight[drawn_edges],
    )
    nodes = {"account": node_ids.tolist(), "x": pos[:, 0].tolist(), "y": pos[:, 1].tolist()}

    # Evidence of the drawn edges, in their order, capped per edge and in total.
    ev_rank = (
        _rank_of(evidence.column("group_id"), ranked)
        if "group_id" in evidence.column_names and evidence.num_rows
        else np.full(evidence.num_rows, -1, dtype=np.int64)
    )
    if "group_id" not in evidence.column_names and evidence.num_rows:
        # Older or foreign evidence without group ids: the group of account_a.
        ev_rank = np.array(
            [
                acc_rank[acc_index[a]] if a in acc_index else -1
                for a in evidence.column("account_a").to_pylist()
            ],
            dtype=np.int64,
        )
    edge_pos = {}
    for j, e in enumerate(drawn_edges.tolist()):
        edge_pos[(int(e_a[e]), int(e_b[e]))] = j
    ev_total = np.zeros(len(drawn_edges), dtype=np.int64)
    ev_offset = np.zeros(len(drawn_edges), dtype=np.int64)
    ev_shown = np.zeros(len(drawn_edges), dtype=np.int64)
    evidence_block: dict[str, Any] = {"columns": [], "data": {}}
    if evidence.num_rows and len(drawn_edges):
        # each co-action's drawn edge, by the row numbers of its two accounts
        ids = pa.array(acc_ids, pa.string())
        n_acc = len(acc_ids)
        ia = pc.fill_null(pc.index_in(evidence.column("account_a"), value_set=ids), -1)
        ib = pc.fill_null(pc.index_in(evidence.column("account_b"), value_set=ids), -1)
        ia = one_array(ia).to_numpy(zero_copy_only=False).astype(np.int64)
        ib = one_array(ib).to_numpy(zero_copy_only=False).astype(np.int64)
        pair = np.where((ia >= 0) & (ib >= 0), ia * n_acc + ib, -1)
        drawn_pair = e_a[drawn_edges].astype(np.int64) * n_acc + e_b[drawn_edges]
        by_pair = np.argsort(drawn_pair, kind="stable")
        at = np.searchsorted(drawn_pair[by_pair], pair)
        at = np.minimum(at, len(by_pair) - 1)
        edge_of_row = np.where(drawn_pair[by_pair][at] == pair, by_pair[at], -1)
        rows = np.flatnonzero(edge_of_row >= 0)
        rows = rows[np.argsort(edge_of_row[rows], kind="stable")]  # by edge, then row
        e_of = edge_of_row[rows]
        ev_total = np.bincount(e_of, minlength=len(drawn_edges))
        starts = np.concatenate([[0], np.cumsum(ev_total)[:-1]])
        within = np.arange(len(e_of)) - starts[e_of]
        keep = np.flatnonzero(within < lim.max_evidence_per_edge)[: lim.max_evidence_rows]
        e_kept = e_of[keep]
        ev_shown = np.bincount(e_kept, minlength=len(drawn_edges))
        ev_offset = np.concatenate([[0], np.cumsum(ev_shown)[:-1]])
        if len(keep) < len(e_of):
            notes.append(
                f"{len(keep):,} of the {len(e_of):,} co-actions of the drawn edges are "
                f"embedded (at most {lim.max_evidence_per_edge:,} per edge and "
                f"{lim.max_evidence_rows:,} in all); evidence.parquet has every one."
            )
        evidence_block = _evidence_block(evidence, rows[keep], strings, lim)

    edge_cols = [c for c in edges.column_names if c not in ("account_a", "account_b")]
    edge_block = _raw_columns(
        edges.take(pa.array(drawn_edges, pa.int64())),
        edge_cols,
        2_000,
        restore=folder.csv_neutralised,
    )
    edge_block.update(
        {
            "a": e_a[drawn_edges].tolist(),
            "b": e_b[drawn_edges].tolist(),
            "rank": e_rank[drawn_edges].tolist(),
            "weight": [float(w) for w in e_weight[drawn_edges].tolist()],
            "ev_offset": ev_offset.tolist(),
            "ev_shown": ev_shown.tolist(),
            "ev_total": ev_total.tolist(),
        }
    )

    # Per-group details: timelines, top objects, representative co-actions.
    post_rank, post_t = _post_times(evidence, ev_rank)
    details: dict[str, Any] = {}
    n_detail = min(n_ranks, lim.max_detail_groups)
    if n_ranks > n_detail:
        notes.append(
            f"Timelines, top objects and representative posts cover the first {n_detail:,} groups."
        )
    bounds = np.searchsorted(post_rank, np.arange(n_detail + 1))
    for r in range(n_detail):
        lo, hi = bounds[r], bounds[r + 1]
        if hi > lo:
            details[str(r)] = {"timeline": _timeline(post_t[lo:hi])}
    _add_objects_and_examples(details, evidence, ev_rank, n_detail, strings, lim)

    lanes: dict[str, Any] = {}
    all_timeline: dict[str, Any] | None = None
    if len(post_t):
        all_timeline = _timeline(np.unique(post_t))
        n_lanes = min(n_ranks, _LANES)
        lane_bounds = np.searchsorted(post_rank, np.arange(n_lanes + 1))
        lane_ranks = [r for r in range(n_lanes) if lane_bounds[r + 1] > lane_bounds[r]]
        b, t0 = all_timeline["bin"], all_timeline["t0"]
        n_bins = len(all_timeline["counts"])
        lanes = {
            "t0": t0,
            "bin": b,
            "ranks": lane_ranks,
            "counts": [
                _dense(post_t[lane_bounds[r] : lane_bounds[r + 1]], b, t0, n_bins)
                for r in lane_ranks
            ],
        }

    return {
        "format": 1,
        "overview": _overview(folder, post_t),
        "limits": asdict(lim),
        "notes": notes,
        "groups": group_block,
        "accounts": account_block,
        "nodes": nodes,
        "drawn_groups": n_drawn_groups,
        "edges": edge_block,
        "evidence": evidence_block,
        "details": details,
        "lanes": lanes,
        "all_timeline": all_timeline,
        "strings": strings.values,
        "object_kinds": {"text": list(TEXT_KINDS), "source": list(SOURCE_KINDS)},
    }


def _evidence_block(
    evidence: pa.Table, rows: np.ndarray, strings: _Strings, lim: Limits
) -> dict[str, Any]:
    """The embedded co-actions (``rows`` of the evidence, in that order), columnar, as JSON
    text (:class:`Raw`); kinds, objects and texts as indices into ``strings``."""
    names = evidence.column_names
    data: dict[str, Any] = {}
    cols: list[dict[str, str]] = []
    for name in ("kind", "object_id", "object_text", "text_a", "text_b"):
        if name in names:
            data[name] = _int_json(strings.add_array(evidence.column(name), rows))
            cols.append({"name": name, "type": "strref"})
    take = pa.array(rows, pa.int64())
    shown = ("object_author", "object_author_name", "object_link", "post_a", "post_b")
    for name in (*shown, "link_a", "link_b"):
        if name in names:
            col = one_array(evidence.column(name)).take(take).cast(pa.string())
            data[name] = json_array(col, "str", lim.max_text_chars)
            cols.append({"name": name, "type": "str"})
    extras = [n for n in names if n not in EVIDENCE_KNOWN and not n.startswith("__")]
    timing = [n for n in ("time_a", "time_b", "dt_s") if n in names]
    ev = evidence.select(timing + extras).take(take)
    block = _raw_columns(ev, timing, 0)
    more = _raw_columns(ev, extras, lim.max_text_chars)
    for c in more["columns"]:
        c["extra"] = "1"
    return {
        "columns": cols + block["columns"] + more["columns"],
        "data": {**data, **block["data"], **more["data"]},
    }


def _object_parts(
    table: pa.Table, rows: list[int], strings: _Strings, lim: Limits
) -> dict[int, list[Any]]:
    """Per row of ``table``: [object text (index into ``strings``, -1 if none), author, link]
    (the evidence's ``object_text``, ``object_author_name`` else ``object_author``,
    ``object_link``)."""
    if not rows:
        return {}
    unique = sorted(set(rows))
    picked = _author_shown(table.take(pa.array(unique)))
    cols = []
    for name in ("object_text", "object_author", "object_link"):
        if name in picked.column_names:
            cols.append(picked.column(name).cast(pa.string()).to_pylist())
        elif name == "object_text" and "text_a" in picked.column_names:
            # results written before object_text: a text kind's text is the post's
            cols.append(
                [
                    t if k in TEXT_KINDS else None
                    for k, t in zip(
                        picked.column("kind").to_pylist(),
                        picked.column("text_a").cast(pa.string()).to_pylist(),
                        strict=True,
                    )
                ]
            )
        else:
            cols.append([None] * len(unique))
    out = {}
    for j, row in enumerate(unique):
        text, author, link = (c[j] for c in cols)
        out[row] = [
            strings.add(text),
            None if author is None else _cut(author, lim.max_text_chars),
            None if link is None else _cut(link, lim.max_text_chars),
        ]
    return out


def _author_shown(table: pa.Table) -> pa.Table:
    """The table with ``object_author`` as the page shows it: the author's name when known
    (``object_author_name``), else the evidence's ``object_author``."""
    if "object_author_name" not in table.column_names:
        return table
    name = table.column("object_author_name")
    if "object_author" in table.column_names:
        i = table.column_names.index("object_author")
        shown = pc.coalesce(name, table.column(i).cast(pa.string()))
        return table.set_column(i, "object_author", shown)
    return table.append_column("object_author", name)


def _add_objects_and_examples(
    details: dict[str, Any],
    evidence: pa.Table,
    ev_rank: np.ndarray,
    n_detail: int,
    strings: _Strings,
    lim: Limits,
) -> None:
    """Top shared objects and a few representative co-actions of each detailed group."""
    if (
        not n_detail
        or not evidence.num_rows
        or not {"kind", "object_id"} <= set(evidence.column_names)
    ):
        return
    sel = np.flatnonzero((ev_rank >= 0) & (ev_rank < n_detail))
    if not len(sel):
        return
    # the texts stay in the evidence: a few top objects' rows are read from it (_object_parts),
    # not every co-action's two long texts copied
    taken = pa.array(sel)
    sub = evidence.select(["kind", "object_id"]).take(taken)
    sub = sub.append_column("__rank", pa.array(ev_rank[sel]))
    sub = sub.append_column("__row", pa.array(np.arange(len(sel), dtype=np.int64)))
    has_text = "text_a" in evidence.column_names
    if has_text:
        notext = one_array(pc.cast(pc.is_null(evidence.column("text_a")), pa.int8()))
        sub = sub.append_column("__notext", notext.take(taken))
    counts = sub.group_by(["__rank", "kind", "object_id"], use_threads=False).aggregate(
        [("__row", "count"), ("__row", "min")]
    )
    counts = counts.sort_by(
        [
            ("__rank", "ascending"),
            ("__row_count", "descending"),
            ("kind", "ascending"),
            ("object_id", "ascending"),
        ]
    )
    c_rank = counts.column("__rank").to_numpy()
    c_kind = counts.column("kind").to_pylist()
    c_obj = counts.column("object_id").to_pylist()
    c_n = counts.column("__row_count").to_pylist()
    if has_text:
        # Prefer, per object, the first co-action with a text.
        texted = sub.filter(pc.equal(sub.column("__notext"), 0))
        firsts = texted.group_by(["__rank", "kind", "object_id"], use_threads=False).aggregate(
            [("__row", "min")]
        )
        first_text = {
            (r, k, o): i
            for r, k, o, i in zip(
                firsts.column("__rank").to_pylist(),
                firsts.column("kind").to_pylist(),
                firsts.column("object_id").to_pylist(),
                firsts.column("__row_min").to_pylist(),
                strict=True,
            )
        }
    else:
        first_text = {}
    c_first = counts.column("__row_min").to_pylist()
    bounds = np.searchsorted(c_rank, np.arange(n_detail + 1))
    # what each top object is (the same on every row of the object): from its first row
    top_rows = [
        c_first[i]
        for r in range(n_detail)
        for i in range(int(bounds[r]), min(int(bounds[r + 1]), int(bounds[r]) + _TOP_OBJECTS))
    ]
    parts = _object_parts(evidence, [int(sel[i]) for i in top_rows], strings, lim)
    described = {i: parts[int(sel[i])] for i in top_rows}
    wanted: dict[int, list[int]] = {}
    for r in range(n_detail):
        lo, hi = int(bounds[r]), int(bounds[r + 1])
        if hi == lo:
            continue
        entry = details.setdefault(str(r), {})
        entry["top_objects"] = [
            [c_kind[i], strings.add(c_obj[i]), c_n[i], *described[c_first[i]]]
            for i in range(lo, min(hi, lo + _TOP_OBJECTS))
        ]
        rows = []
        for i in range(lo, min(hi, lo + _EXAMPLES)):
            rows.append(first_text.get((r, c_kind[i], c_obj[i]), c_first[i]))
        wanted[r] = rows
    flat = sorted({i for rows in wanted.values() for i in rows})
    if not flat:
        return
    picked = _author_shown(evidence.take(pa.array(sel[flat]))).to_pylist()
    by_row = dict(zip(flat, picked, strict=True))
    for r, rows in wanted.items():
        examples = []
        for i in rows:
            row = by_row[i]
            ex: dict[str, Any] = {}
            for k in ("account_a", "account_b", "post_a", "post_b"):
                if row.get(k) is not None:
                    ex[k] = _cut(str(row[k]), lim.max_text_chars)
            ex["kind"] = row.get("kind")
            ex["object"] = strings.add(row.get("object_id"))
            if row.get("object_text") is not None:
                ex["object_text"] = strings.add(row["object_text"])
            for k in ("object_author", "object_link"):
                if row.get(k) is not None:
                    ex[k] = _cut(str(row[k]), lim.max_text_chars)
            for k in ("text_a", "text_b"):
                if row.get(k) is not None:
                    ex[k] = strings.add(row[k])
            for k in ("time_a", "time_b"):
                v = row.get(k)
                if isinstance(v, datetime):
                    ts = v if v.tzinfo else v.replace(tzinfo=UTC)
                    ex[k] = round(ts.timestamp(), 6)
            dt = row.get("dt_s")
            if isinstance(dt, int | float) and math.isfinite(dt):
                ex["dt_s"] = dt
            examples.append(ex)
        details[str(r)]["examples"] = examples
