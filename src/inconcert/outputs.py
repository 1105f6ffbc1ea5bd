"""Writers: the output folder of a run, written atomically.

Files are first written into a hidden temporary folder inside the output folder, then moved
into place one by one with :func:`os.replace` (atomic on one file system), ``manifest.json``
last. An interrupted run leaves either the previous files or the new ones, never half a file;
a stale temporary folder is removed at the next run.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ._arrow import one_array, plain_texts, texts_nbytes
from ._manifest import refresh_manifest, sha256_file
from ._paths import exchange as _exchange
from ._paths import inside as _inside
from ._paths import refuse_inside
from ._paths import same_file as _same_file
from ._paths import split_inputs as _split_inputs
from ._version import VERSION as __version__
from .detect import DetectResult
from .errors import OutputError
from .pseudonymise import Pseudonymiser
from .safety import neutralise_formulas

__all__ = [
    "OUTPUT_FILES",
    "check_out_dir",
    "check_rejects_path",
    "generate_gexf",
    "refresh_manifest",
    "verify_result",
    "write_csv",
    "write_rejects",
    "write_result",
]

OUTPUT_FILES = (
    "edges.csv",
    "accounts.csv",
    "groups.csv",
    "evidence.parquet",
    "network.graphml",
    "network.gexf",
    "manifest.json",
)

# every name a detect run may write into --out (the report and figures included)
_RESULT_NAMES = frozenset(
    (
        *OUTPUT_FILES,
        "report.html",
        "window_estimate.svg",
        *(f"{base}.{fmt}" for base in ("network", "timeline") for fmt in ("svg", "png")),
    )
)


def _iso_utc(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Timestamps as ISO 8601 UTC text (``2024-03-01T09:38:02Z``): whole seconds, or
    microseconds when any value has a fraction; nulls stay null. (NumPy formats several times
    faster than Arrow's time-zone-aware ``strftime``, with the same text.)"""
    us = pc.cast(pc.cast(column, pa.timestamp("us", tz="UTC")), pa.int64())
    us = one_array(us)
    valid = us.is_valid().to_numpy(zero_copy_only=False)
    values = us.fill_null(0).to_numpy(zero_copy_only=False).astype("datetime64[us]")
    fractional = bool(np.any((us.fill_null(0).to_numpy(zero_copy_only=False) % 1_000_000) != 0))
    text = np.char.add(np.datetime_as_string(values, unit="us" if fractional else "s"), "Z")
    return pa.array(text, pa.string(), mask=~valid if us.null_count else None)


def _csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 UTC text: whole seconds, or microseconds when any are fractional."""
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            col = _iso_utc(col)
        cols[name] = col
    return pa.table(cols)


def write_csv(table: pa.Table, path: str | os.PathLike[str], *, raw: bool = False) -> None:
    """UTF-8 CSV with a header, quoting only where needed, ISO 8601 UTC timestamps.

    Cells a spreadsheet would run as a formula get a leading ``'``
    (:func:`inconcert.safety.neutralise_formulas`) unless ``raw``.
    """
    ready = _csv_ready(table)
    pacsv.write_csv(
        ready if raw else neutralise_formulas(ready),
        path,
        write_options=pacsv.WriteOptions(quoting_style="needed"),
    )


_XML_ILLEGAL = re.compile("[\\\\\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# the same class for Arrow's RE2 (Arrow strings are UTF-8, so they hold no surrogates)
_XML_ILLEGAL_RE2 = "[\\\\\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{fffe}\\x{ffff}]"
# any character that is escaped or written as \xNN
_XML_SPECIAL_RE2 = _XML_ILLEGAL_RE2[:-1] + '&<>"\\t\\n\\r]'
# attribute values keep tabs, newlines and carriage returns (XML would turn them into spaces)
_XML_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\t", "&#9;"),
    ("\n", "&#10;"),
    ("\r", "&#13;"),
)


def _xml_escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\x{code:04x}"


def _xml_safe(value: str) -> str:
    """Characters XML 1.0 cannot hold written as ``\\xNN`` (``\\xNNNN`` above 0xff), and so
    that no two values become one, every backslash too (``\\x5c``): GraphML and GEXF are XML,
    and Gephi merges nodes with the same id."""
    return _XML_ILLEGAL.sub(_xml_escape_one, value)


def _xml_text(value: str) -> str:
    """``value`` as XML element content (``&``, ``<`` and ``>`` escaped, as
    ``xml.sax.saxutils.escape`` does; that module imports ``urllib.request`` and ``http``)."""
    for raw, esc in _XML_ESCAPES[:3]:
        value = value.replace(raw, esc)
    return value


def _quoteattr(value: str) -> str:
    """``value`` (made XML-safe) as a double-quoted XML attribute value."""
    value = _xml_safe(value)
    for raw, esc in _XML_ESCAPES:
        value = value.replace(raw, esc)
    return f'"{value}"'


# -- the network as GraphML and GEXF: every value built column by column with Arrow ---------


def _xml_strings(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A string column as escaped XML text (fit for attribute values and element content);
    nulls stay null. Values with characters XML cannot hold (rare) go through
    :func:`_xml_safe` one by one."""
    arr = one_array(column)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    special = pc.fill_null(pc.match_substring_regex(arr, _XML_SPECIAL_RE2), False)
    if not pc.any(special).as_py():
        return arr  # the usual case: nothing to escape
    some = arr.filter(special)
    if pc.any(pc.match_substring_regex(some, _XML_ILLEGAL_RE2)).as_py():
        some = pa.array([_xml_safe(v) for v in some.to_pylist()], pa.string())
    for raw, esc in _XML_ESCAPES:
        some = pc.replace_substring(some, raw, esc)
    return pc.replace_with_mask(arr, special, some)


def _graph_value(column: pa.Array | pa.ChunkedArray, name: str) -> tuple[str, pa.Array]:
    """(XML type, values as escaped text) of one attribute column; nulls stay null (the element
    is left out), except a missing ``*_id`` (an edge between two groups), written as -1."""
    arr = one_array(column)
    typ = arr.type
    if pa.types.is_dictionary(typ):
        arr, typ = arr.dictionary_decode(), typ.value_type
    if pa.types.is_boolean(typ):
        return "boolean", pc.if_else(arr, "true", "false")
    if pa.types.is_integer(typ):
        if name.endswith("_id"):
            arr = pc.fill_null(arr, -1)
        return "long", arr.cast(pa.string())
    if pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        arr = arr.cast(pa.float64())
        text = arr.cast(pa.string())
        if pc.all(pc.is_finite(arr)).as_py() is False:
            text = pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.string()), text)
            text = pc.replace_substring(text, "inf", "INF")  # xsd:double: INF, -INF
        return "double", text
    if pa.types.is_timestamp(typ):
        return "string", _iso_utc(arr)
    if pa.types.is_null(typ):
        return "string", pa.nulls(len(arr), pa.string())
    return "string", _xml_strings(arr)


def _utf8(arr: pa.Array, sep: str = "\n") -> memoryview:
    """The strings of ``arr`` (no nulls), each followed by ``sep``, as UTF-8 bytes (a view of
    Arrow's buffer: nothing is copied)."""
    if len(arr) == 0:
        return memoryview(b"")
    arr = pc.binary_join_element_wise(one_array(arr), sep, "")
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1, offset=0)
    return memoryview(arr.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def _text(arr: pa.Array, sep: str = "\n") -> str:
    """The strings of ``arr`` (no nulls), each followed by ``sep``, as one text."""
    return str(_utf8(arr, sep), "utf-8")


#: Per table ("node", "edge"), each attribute column's name, XML type and escaped values.
_Typed = dict[str, list[tuple[str, str, pa.Array]]]


def _typed(result: DetectResult) -> _Typed:
    """Every attribute column of the graph files as XML text, computed once for both files."""
    return {
        "node": [
            (n, *_graph_value(result.accounts.column(n), n)) for n in _node_columns(result.accounts)
        ],
        "edge": [
            (n, *_graph_value(result.edges.column(n), n)) for n in _edge_columns(result.edges)
        ],
    }


def _element_values(
    columns: Sequence[tuple[str, str, pa.Array]],
    n_rows: int,
    wrap: Callable[[int, str], tuple[str, str]],
) -> tuple[list[tuple[str, str]], list[pa.Array | str]]:
    """Per row, every attribute as XML: ``wrap(i, name)`` gives the text before and after the
    i-th value, and a missing value leaves out both. Returns the (name, type) list and the
    pieces to join element-wise (arrays and constant texts, neighbouring texts merged)."""
    types: list[tuple[str, str]] = []
    pieces: list[pa.Array | str] = []

    def text(t: str) -> None:
        if pieces and isinstance(pieces[-1], str):
            pieces[-1] += t
        else:
            pieces.append(t)

    for i, (name, typ, values) in enumerate(columns):
        types.append((name, typ))
        before, after = wrap(i, name)
        if values.null_count:
            part = pc.binary_join_element_wise(before, values, after, "")
            pieces.append(pc.fill_null(part, ""))
        else:
            text(before)
            pieces.append(values)
            text(after)
    if not any(isinstance(p, pa.Array) for p in pieces):
        pieces.insert(0, pa.array([""] * n_rows, pa.string()))
    return types, pieces


def _join_rows(*pieces: pa.Array | str | Sequence[pa.Array | str]) -> pa.Array:
    """Element-wise concatenation of arrays and constant texts (sequences are spliced in)."""
    flat: list[pa.Array | str] = []
    for p in pieces:
        if isinstance(p, str | pa.Array):
            if isinstance(p, str) and flat and isinstance(flat[-1], str):
                flat[-1] += p
            else:
                flat.append(p)
        else:
            for q in p:
                if isinstance(q, str) and flat and isinstance(flat[-1], str):
                    flat[-1] += q
                else:
                    flat.append(q)
    return pc.binary_join_element_wise(*flat, "")


def _node_ids(result: DetectResult) -> tuple[pa.Array, pa.Array]:
    """Each edge's two accounts as row numbers of the accounts table."""
    accounts = result.accounts.column("account_id")
    a = pc.index_in(result.edges.column("account_a"), value_set=one_array(accounts))
    b = pc.index_in(result.edges.column("account_b"), value_set=one_array(accounts))
    if a.null_count or b.null_count:
        raise ValueError("an edge names an account that is not in the accounts table")
    return one_array(a).cast(pa.string()), one_array(b).cast(pa.string())


def _edge_columns(edges: pa.Table) -> list[str]:
    return [c for c in edges.column_names if c not in ("account_a", "account_b")]


def _node_columns(accounts: pa.Table) -> list[str]:
    return [c for c in accounts.column_names if c != "account_id"]


def _labels(accounts: pa.Table, ids: pa.Array) -> pa.Array:
    """Each node's label as escaped XML: the account's name (handle) when known, else its id
    (``ids``, escaped already)."""
    if "account_name" not in accounts.column_names:
        return ids
    names = one_array(accounts.column("account_name"))
    return pc.if_else(pc.is_valid(names), _xml_strings(names), ids)


def _write_graphml(result: DetectResult, path: Path, typed: _Typed | None = None) -> None:
    """The network as GraphML: accounts as nodes (``name``: the account id; ``label``: its name
    when known, else its id) with every accounts.csv column, edges with every edges.csv
    column; integers typed ``long``,
    fractions ``double``, times ISO 8601 UTC text. Missing values are left out."""
    typed = typed if typed is not None else _typed(result)
    accounts = result.accounts
    ids = _xml_strings(accounts.column("account_id"))
    node_types, node_values = _element_values(
        typed["node"],
        accounts.num_rows,
        lambda i, n: (f"<data key={_quoteattr('v_' + n)}>", "</data>"),
    )
    edge_types, edge_values = _element_values(
        typed["edge"],
        result.edges.num_rows,
        lambda i, n: (f"<data key={_quoteattr('e_' + n)}>", "</data>"),
    )
    n = accounts.num_rows
    index = pa.array(range(n), pa.int64()).cast(pa.string())
    nodes = _join_rows(
        '    <node id="n',
        index,
        '"><data key="v_name">',
        ids,
        '</data><data key="v_label">',
        _labels(accounts, ids),
        "</data>",
        node_values,
        "</node>",
    )
    a, b = _node_ids(result)
    edge_lines = _join_rows(
        '    <edge source="n', a, '" target="n', b, '">', edge_values, "</edge>"
    )
    keys = [
        '  <key id="v_name" for="node" attr.name="name" attr.type="string"/>',
        '  <key id="v_label" for="node" attr.name="label" attr.type="string"/>',
    ]
    for cls, prefix, types in (("node", "v_", node_types), ("edge", "e_", edge_types)):
        for name, typ in types:
            keys.append(
                f'  <key id={_quoteattr(prefix + name)} for="{cls}" '
                f'attr.name={_quoteattr(name)} attr.type="{typ}"/>'
            )
    head = "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"',
            '         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
            '         xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns',
            '         http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
            f"<!-- Created by inconcert {_xml_text(__version__)} -->",
            *keys,
            '  <graph id="G" edgedefault="undirected">',
            "",
        ]
    )
    with open(path, "wb") as fh:
        fh.write(head.encode("utf-8"))
        fh.write(_utf8(nodes))
        fh.write(_utf8(edge_lines))
        fh.write(b"  </graph>\n</graphml>\n")


def _spans(result: DetectResult) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array] | None:
    """First and last co-action times of every edge and, over its edges, of every account,
    as ISO 8601 UTC text; None when the edges have no times (CooRTweet's columns)."""
    edges, accounts = result.edges, result.accounts
    if not {"first_time", "last_time"} <= set(edges.column_names):
        return None
    first, last = edges.column("first_time"), edges.column("last_time")
    ends = pa.table(
        {
            "account_id": pa.concat_arrays(
                [one_array(edges.column("account_a")), one_array(edges.column("account_b"))]
            ),
            "first": pa.concat_arrays([one_array(first), one_array(first)]),
            "last": pa.concat_arrays([one_array(last), one_array(last)]),
        }
    )
    span = ends.group_by("account_id", use_threads=False).aggregate(
        [("first", "min"), ("last", "max")]
    )
    at = one_array(pc.index_in(accounts.column("account_id"), value_set=span.column("account_id")))
    node_first = one_array(span.column("first_min")).take(at)
    node_last = one_array(span.column("last_max")).take(at)
    times = _iso_utc(pa.concat_arrays([one_array(first), one_array(last), node_first, node_last]))
    m, k = edges.num_rows, accounts.num_rows
    return (
        times.slice(0, m),
        times.slice(m, m),
        times.slice(2 * m, k),
        times.slice(2 * m + k, k),
    )


def _spell(start: pa.Array, end: pa.Array) -> pa.Array:
    both = pc.binary_join_element_wise(' start="', start, '" end="', end, '"', "")
    return pc.fill_null(both, "")


def generate_gexf(result: DetectResult, typed: _Typed | None = None) -> Iterable[str]:
    """The network as GEXF 1.3 (for Gephi), in a few large pieces of text: accounts (labelled
    by their name when known, else their id) with their group and community, edges with
    weight and every count. Each edge spans its first to its
    last co-action and each account those of its edges (``start``/``end``, dynamic mode), so
    Gephi's timeline shows when a pair acted together."""
    typed = typed if typed is not None else _typed(result)
    accounts, edges = result.accounts, result.edges
    edge_typed = [c for c in typed["edge"] if c[0] not in ("first_time", "last_time")]
    node_types, node_values = _element_values(
        typed["node"], accounts.num_rows, lambda i, n: (f'<attvalue for="{i}" value="', '"/>')
    )
    edge_types, edge_values = _element_values(
        edge_typed, edges.num_rows, lambda i, n: (f'<attvalue for="{i}" value="', '"/>')
    )
    spans = _spans(result)
    dynamic = spans is not None
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield '<gexf xmlns="http://gexf.net/1.3" version="1.3">'
    yield f"  <meta><creator>inconcert {_xml_text(__version__)}</creator></meta>"
    if dynamic:
        yield (
            '  <graph defaultedgetype="undirected" mode="dynamic" timeformat="dateTime" '
            'timezone="UTC">'
        )
    else:
        yield '  <graph defaultedgetype="undirected" mode="static">'
    for cls, types in (("node", node_types), ("edge", edge_types)):
        yield f'    <attributes class="{cls}">'
        for i, (name, typ) in enumerate(types):
            yield f'      <attribute id="{i}" title={_quoteattr(name)} type="{typ}"/>'
        yield "    </attributes>"
    ids = _xml_strings(accounts.column("account_id"))
    node_span: pa.Array | str = ""
    edge_span: pa.Array | str = ""
    if spans is not None:
        edge_span = _spell(spans[0], spans[1])
        node_span = _spell(spans[2], spans[3])
    nodes = _join_rows(
        '      <node id="', ids, '" label="', _labels(accounts, ids), '"', node_span,
        "><attvalues>", node_values, "</attvalues></node>",
    )  # fmt: skip
    yield "    <nodes>"
    if len(nodes):
        yield _text(nodes)[:-1]
    yield "    </nodes>"
    n_edges = edges.num_rows
    weight = (
        _graph_value(edges.column("weight"), "weight")[1]
        if "weight" in edges.column_names
        else pa.array(["1"] * n_edges, pa.string())
    )
    edge_lines = _join_rows(
        '      <edge id="', pa.array(range(n_edges), pa.int64()).cast(pa.string()),
        '" source="', _xml_strings(edges.column("account_a")),
        '" target="', _xml_strings(edges.column("account_b")),
        '" weight="', pc.fill_null(weight, "1"), '"', edge_span, "><attvalues>",
        edge_values, "</attvalues></edge>",
    )  # fmt: skip
    yield "    <edges>"
    if len(edge_lines):
        yield _text(edge_lines)[:-1]
    yield "    </edges>"
    yield "  </graph>"
    yield "</gexf>"


def _versions() -> dict[str, str]:
    import duckdb
    import igraph
    import leidenalg

    return {
        "inconcert": __version__,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pyarrow": pa.__version__,
        "igraph": igraph.__version__,
        "leidenalg": leidenalg.version,
    }


def manifest(
    result: DetectResult,
    outputs: dict[str, str],
    argv: list[str] | None = None,
    *,
    raw_csv: bool = False,
) -> dict[str, Any]:
    """What was run, on what, with what: enough to reproduce and to audit a result."""
    ing = result.ingested
    return {
        "inconcert_version": __version__,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": argv if argv is not None else None,
        "versions": _versions(),
        "parameters": {**result.options.as_dict(), "raw_csv": raw_csv},
        "inputs": [f.as_dict() for f in (ing.files if ing else ())],
        "rows": {
            "read": ing.rows_read if ing else None,
            "used": ing.rows_used if ing else None,
            "rejected": dict(sorted(ing.rejected.items())) if ing else {},
        },
        "summary": result.summary,
        "warnings": result.warnings,
        **({"store": result.store} if result.store is not None else {}),
        "timings_s": result.timings,
        "peak_rss_mib": {k: round(v / 1024**2) for k, v in result.peak_memory.items()},
        "outputs": outputs,
    }


def _staging(real: Path) -> Path:
    """A fresh hidden folder for the new result: beside ``real`` (so the two can be swapped),
    or inside it when its parent cannot be written."""
    parent = real.parent
    if os.access(parent, os.W_OK | os.X_OK):
        try:
            return Path(tempfile.mkdtemp(prefix=f".{real.name}{_TMP_MARK}", dir=parent))
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix=_TMP_MARK, dir=real))


_TMP_MARK = ".inconcert-tmp-"


def _remove_stale(real: Path) -> None:
    """Staging folders an interrupted run left behind (inside the folder or beside it). The
    names are compared as text: a pattern match over every entry of a crowded parent folder
    (a home or temporary folder) cost tens of milliseconds."""
    stale = [*_named(real, _TMP_MARK), *_named(real.parent, f".{real.name}{_TMP_MARK}")]
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def _named(folder: Path, prefix: str) -> list[Path]:
    """The entries of ``folder`` whose names start with ``prefix`` (none if it cannot be read)."""
    try:
        with os.scandir(folder) as entries:
            return [Path(e.path) for e in entries if e.name.startswith(prefix)]
    except OSError:
        return []


def _carry_over(real: Path, staging: Path, names: set[str]) -> bool:
    """Hard-link the folder's other files (not results, not staging folders) into the staging
    folder so they survive the swap; False when something cannot be carried (a subfolder)."""
    for entry in os.scandir(real):
        if entry.name in names or entry.name in _RESULT_NAMES or _TMP_MARK in entry.name:
            continue
        target = staging / entry.name
        try:
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), target)
            elif entry.is_file(follow_symlinks=False):
                os.link(entry.path, target)
            else:
                return False
        except OSError:
            return False
    return True


def _switch(staging: Path, real: Path, names: list[str]) -> None:
    """Put the new result in place of the old one.

    Beside the folder: swap the two folders in one step (or rename onto an empty folder), so
    the folder holds the old complete result or the new one at every instant. Where that is
    impossible: remove the old manifest first (a folder without one is no result), then every
    stale result file, then move the new files in, the manifest last.
    """
    if staging.parent == real.parent:
        os.chmod(staging, stat.S_IMODE(os.stat(real).st_mode))
        if not any(os.scandir(real)):
            try:
                os.rename(staging, real)
                return
            except OSError:
                pass
        elif _carry_over(real, staging, set(names)) and _exchange(staging, real):
            return
        for entry in os.scandir(staging):  # carried-over links: not part of the result
            if entry.name not in names and entry.name != "manifest.json":
                os.unlink(entry.path)
    (real / "manifest.json").unlink(missing_ok=True)
    for name in _RESULT_NAMES - set(names):
        (real / name).unlink(missing_ok=True)
    for name in names:
        os.replace(staging / name, real / name)
    os.replace(staging / "manifest.json", real / "manifest.json")


#: Bytes of texts :func:`write_evidence` decodes at a time (past it, a row group each).
EVIDENCE_WRITE_BYTES = 256 * 1024**2


def write_evidence(evidence: pa.Table, path: Path) -> None:
    """``evidence.parquet``: the evidence, its texts as plain strings (the file's columns are
    ``string``, as readers of it expect). The texts are held once each in memory
    (:data:`~inconcert._arrow.TEXTS_TYPE`) and decoded here: all at once when they come to at
    most :data:`EVIDENCE_WRITE_BYTES`, else a slice of rows at a time, one row group each."""
    texts = [i for i, f in enumerate(evidence.schema) if pa.types.is_dictionary(f.type)]
    schema = pa.schema(
        [
            pa.field(f.name, pa.string(), f.nullable, f.metadata) if i in texts else f
            for i, f in enumerate(evidence.schema)
        ],
        metadata=evidence.schema.metadata,
    )

    def decoded(part: pa.Table) -> pa.Table:
        columns = [plain_texts(c) if i in texts else c for i, c in enumerate(part.columns)]
        return pa.table(columns, schema=schema)

    total = sum(texts_nbytes(evidence.column(i)) for i in texts)
    if total <= EVIDENCE_WRITE_BYTES:
        pq.write_table(decoded(evidence), path, compression="zstd")
        return
    step = max(1, evidence.num_rows * EVIDENCE_WRITE_BYTES // total)
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, evidence.num_rows, step):
            writer.write_table(decoded(evidence.slice(start, step)))


def _write_tables(result: DetectResult, folder: Path, raw_csv: bool) -> None:
    write_csv(result.edges, folder / "edges.csv", raw=raw_csv)
    write_csv(result.accounts, folder / "accounts.csv", raw=raw_csv)
    write_csv(result.groups, folder / "groups.csv", raw=raw_csv)
    write_evidence(result.evidence, folder / "evidence.parquet")
    typed = _typed(result)  # the attribute values, for both graph files
    _write_graphml(result, folder / "network.graphml", typed)
    with open(folder / "network.gexf", "w", encoding="utf-8", newline="\n") as fh:
        for line in generate_gexf(result, typed):
            fh.write(line)
            fh.write("\n")


def _write_manifest(folder: Path, content: dict[str, Any]) -> None:
    with open(folder / "manifest.json", "w", encoding="utf-8") as fh:
        json.dump(content, fh, indent=2, default=str)
        fh.write("\n")


def _write_report(
    staging: Path, shown_as: Path, figures: tuple[str, ...], evidence: pa.Table | None = None
) -> list[str]:
    """report.html and its figures, built from the staged files (``evidence``: the table just
    written to evidence.parquet, not read again), named after the real folder."""
    import dataclasses

    from .report import REPORT_FILE, build_html, read_result
    from .report.figures import save_figures

    folder = dataclasses.replace(read_result(staging, evidence=evidence), path=shown_as)
    html, data = build_html(folder)
    with open(staging / REPORT_FILE, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(html)
    written = [REPORT_FILE]
    if figures:
        written += [p.name for p in save_figures(data, staging, figures)]
    return written


def write_result(
    result: DetectResult,
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    argv: list[str] | None = None,
    extra: dict[str, Callable[[Path], None]] | None = None,
    raw_csv: bool = False,
    report: bool = False,
    figures: str | Iterable[str] | bool = "svg",
    pseudonymise: Pseudonymiser | None = None,
) -> dict[str, Path]:
    """Write every output file of a run into ``out_dir``, the whole folder at once.

    Refuses to replace earlier outputs unless ``overwrite``. ``extra`` maps more file names to
    writer functions. ``report`` also writes ``report.html`` and its figures (``figures``:
    formats as for :func:`inconcert.report.write_report`). CSV cells that a spreadsheet would
    run as formulas are neutralised unless ``raw_csv``. ``pseudonymise`` replaces account ids
    (and, as configured, post ids and texts) by keyed pseudonyms in every file
    (:mod:`inconcert.pseudonymise`). Returns the written paths.

    Every file is written into a hidden staging folder first; ``manifest.json`` records the
    SHA-256 of every other file (the report and figures included). Then the staging folder
    and ``out_dir`` are swapped in one step where the system allows it (Linux), so an
    interruption, a kill or a full disk leaves the previous complete result or the new one;
    elsewhere the old manifest is removed first, so a half-switched folder has no manifest.
    Result files of an earlier run that this run does not write (figures of another format,
    ``window_estimate.svg``) do not survive. Other files in ``out_dir`` are kept.

    Raises
    ------
    OutputError
        The folder cannot take the results (see :func:`check_out_dir`), or writing failed
        (a full disk, a lost permission); the previous result is then unchanged.
    """
    inputs = [f.path for f in result.ingested.files] if result.ingested is not None else []
    out = check_out_dir(out_dir, overwrite=overwrite, inputs=inputs)
    formats: tuple[str, ...] = ()
    if report:
        from .report import parse_formats

        if not isinstance(figures, str | bool):
            figures = tuple(figures)
        formats = parse_formats(figures) if figures != () else ()
    try:
        out.mkdir(parents=True, exist_ok=True)
        real = out.resolve()
        _remove_stale(real)
        staging = _staging(real)
    except OSError as err:
        raise OutputError(out, f"cannot be created ({err.strerror or err})") from err
    pseudonymised: dict[str, Any] | None = None
    if pseudonymise is not None:
        result = pseudonymise.apply(result)
        pseudonymised = pseudonymise.describe()
    try:
        try:
            _write_tables(result, staging, raw_csv)
            extra = dict(extra or {})
            if result.window_estimate is not None:
                from .window import plot_window_estimate

                estimate = result.window_estimate
                extra["window_estimate.svg"] = lambda p: plot_window_estimate(estimate, str(p))
            for name, writer in extra.items():
                writer(staging / name)
            names = [n for n in OUTPUT_FILES if n != "manifest.json"] + sorted(extra)

            hashes: dict[str, str] = {}

            def write_manifest() -> None:
                for n in names:  # each file once: the second manifest adds the report's
                    if n not in hashes:
                        hashes[n] = sha256_file(staging / n)
                content = manifest(result, {n: hashes[n] for n in names}, argv, raw_csv=raw_csv)
                if pseudonymised is not None:
                    content["pseudonymised"] = pseudonymised
                _write_manifest(staging, content)

            write_manifest()
            if report:
                names += _write_report(staging, real, formats, result.evidence)
                write_manifest()  # now with the report's and the figures' hashes
            _switch(staging, real, names)
        except (OSError, pa.ArrowException) as err:
            reason = getattr(err, "strerror", None) or str(err)
            hint = (
                "free some space and run again"
                if getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
                else "check the folder and run again"
            )
            raise OutputError(
                out,
                f"the results could not be written ({reason}); the "
                "folder holds the previous results, if any",
                hint=hint,
            ) from err
        return {name: out / name for name in [*names, "manifest.json"]}
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def verify_result(out_dir: str | os.PathLike[str]) -> list[str]:
    """Problems of a result folder: files missing or changed since ``manifest.json`` hashed
    them, result files it does not list, no manifest. An empty list means complete."""
    folder = Path(out_dir)
    try:
        outputs = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return [f"manifest.json missing or unreadable ({err})"]
    problems = []
    for name, digest in sorted(outputs.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name} differs from its hash in manifest.json")
    for name in sorted(_RESULT_NAMES - {"manifest.json"} - set(outputs)):
        if (folder / name).exists():
            problems.append(f"{name} is not part of this result")
    return problems


def _writable_folder(path: Path) -> Path | None:
    """The nearest existing folder at or above ``path`` if it cannot be written into."""
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.is_dir() and not os.access(probe, os.W_OK | os.X_OK):
        return probe
    return None


def check_out_dir(
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Refuse an output folder that cannot take a run's results, before any work is done.

    Raises :class:`~inconcert.errors.OutputError` when ``out_dir`` is a file (an input file
    included), is an input folder or lies inside one (the next run would read the results as
    input), would replace an input file, already holds results and ``overwrite`` is false, or
    cannot be created or written. Returns ``out_dir`` as a path.
    """
    out = Path(out_dir)
    files, folders = _split_inputs(inputs)
    if out.exists() and not out.is_dir():
        if any(_same_file(out, f) for f in files):
            raise OutputError(
                out,
                "is one of the input files; --out must be a folder",
                hint="choose a folder for the results",
            )
        raise OutputError(
            out,
            "is a file, not a folder",
            hint="--out names a folder for the results; choose another",
        )
    resolved = out.resolve()
    refuse_inside(
        out, resolved, folders, "the next run would read the results as input; choose another --out"
    )
    for f in files:
        if f.parent == resolved and f.name in _RESULT_NAMES:
            raise OutputError(
                out,
                f"holds the input file {f.name!r}, which the results would replace",
                hint="choose another --out",
            )
    existing = [n for n in OUTPUT_FILES if (out / n).exists()]
    if existing and not overwrite:
        raise OutputError(
            out,
            f"already holds results ({', '.join(existing)})",
            hint="pass --overwrite to replace them, or choose another --out",
        )
    locked = _writable_folder(out)
    if locked is not None:
        raise OutputError(
            out,
            f"cannot be written: {os.fspath(locked)!r} is read-only",
            hint="choose another --out",
        )
    return out


def check_rejects_path(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
    out_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Refuse a rejects file that would destroy or pollute data, before any work is done.

    Raises :class:`~inconcert.errors.OutputError` when ``path`` is a folder, is one of the
    ``inputs`` or lies in an input folder (the next run would read it), is a result file of
    ``out_dir``, already exists and ``overwrite`` is false, or its folder is missing or
    read-only. Returns ``path`` as a path.
    """
    target = Path(path)
    hint = "choose another --rejects file"
    if target.is_dir():
        raise OutputError(target, "is a folder; --rejects names a CSV file", hint=hint)
    files, folders = _split_inputs(inputs)
    resolved = target.resolve()
    if any(resolved == f or _same_file(target, f) for f in files):
        raise OutputError(
            target,
            "is one of the input files; writing the rejects there would destroy it",
            hint=hint,
        )
    for folder in folders:
        if _inside(resolved, folder):
            problem = (
                "is one of the input files"
                if target.exists()
                else "is inside the input folder " + repr(os.fspath(folder))
            )
            raise OutputError(
                target, f"{problem}; the rejects must not go among the inputs", hint=hint
            )
    if (
        out_dir is not None
        and resolved.parent == Path(out_dir).resolve()
        and resolved.name in _RESULT_NAMES
    ):
        raise OutputError(
            target, "is a result file of --out; the two would overwrite each other", hint=hint
        )
    parent = target.parent
    if out_dir is not None and not parent.exists() and resolved.parent == Path(out_dir).resolve():
        return target  # the results' folder: made before the rejects are written
    if not parent.is_dir():
        raise OutputError(
            target,
            f"cannot be written: the folder {os.fspath(parent)!r} does not exist",
            hint="create it first, or " + hint,
        )
    if target.exists() and not overwrite:
        raise OutputError(
            target, "already exists", hint="pass --overwrite to replace it, or " + hint
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(
            target, f"cannot be written: the folder {os.fspath(parent)!r} is read-only", hint=hint
        )
    return target


def write_rejects(
    rejects: pa.Table,
    path: str | os.PathLike[str],
    *,
    raw: bool = False,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
    out_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """The rejected input rows, one per line, with file, line, reason and the raw record
    (cells a spreadsheet would run as formulas neutralised unless ``raw``).

    The file is checked first (:func:`check_rejects_path`: never an input, never an existing
    file unless ``overwrite``), then written atomically: into a hidden temporary file beside
    it, moved into place with :func:`os.replace`, so an interruption leaves the previous file
    or none, never part of one. Returns the path written.
    """
    target = check_rejects_path(path, overwrite=overwrite, inputs=inputs, out_dir=out_dir)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".inconcert-tmp", dir=target.parent
        )
    except OSError as err:
        raise OutputError(target, f"cannot be written ({err.strerror or err})") from err
    os.close(fd)
    try:
        try:
            write_csv(rejects, tmp, raw=raw)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except OSError as err:
            raise OutputError(target, f"cannot be written ({err.strerror or err})") from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
