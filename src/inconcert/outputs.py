"""Writers: the output folder of a run, written atomically.

Files are first written into a hidden temporary folder inside the output folder, then moved
into place one by one with :func:`os.replace` (atomic on one file system), ``manifest.json``
last. An interrupted run leaves either the previous files or the new ones, never half a file;
a stale temporary folder is removed at the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from . import __version__
from .detect import DetectResult
from .errors import InputError
from .safety import neutralise_formulas

__all__ = ["OUTPUT_FILES", "generate_gexf", "write_csv", "write_result"]

OUTPUT_FILES = (
    "edges.csv",
    "accounts.csv",
    "groups.csv",
    "evidence.parquet",
    "network.graphml",
    "network.gexf",
    "manifest.json",
)


def _csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 UTC text: whole seconds, or microseconds when any are fractional."""
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            us = pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.int64())
            seconds = pc.divide(us, 1_000_000)  # integer division
            remainder = pc.subtract(us, pc.multiply(seconds, 1_000_000))
            if pc.any(pc.not_equal(remainder, 0)).as_py():
                col = pc.strftime(pc.cast(us, pa.timestamp("us", tz="UTC")),
                                  format="%Y-%m-%dT%H:%M:%SZ")
            else:
                col = pc.strftime(pc.cast(seconds, pa.timestamp("s", tz="UTC")),
                                  format="%Y-%m-%dT%H:%M:%SZ")
        cols[name] = col
    return pa.table(cols)


def write_csv(table: pa.Table, path: str | os.PathLike[str], *, raw: bool = False) -> None:
    """UTF-8 CSV with a header, quoting only where needed, ISO 8601 UTC timestamps.

    Cells a spreadsheet would run as a formula get a leading ``'``
    (:func:`inconcert.safety.neutralise_formulas`) unless ``raw``.
    """
    ready = _csv_ready(table)
    pacsv.write_csv(
        ready if raw else neutralise_formulas(ready), path,
        write_options=pacsv.WriteOptions(quoting_style="needed"),
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: str) -> str:
    """Characters XML 1.0 cannot hold, written as ``\\xNN`` (GraphML and GEXF are XML)."""
    return _XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def _graph_attrs(result: DetectResult) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Plain node and edge attribute rows (no nulls: GraphML/GEXF readers dislike them; no
    character XML cannot hold: account ids are user data)."""
    nodes = result.accounts.to_pylist()
    keep = [c for c in result.edges.column_names if not c.endswith("_time")]
    edges = result.edges.select(keep).to_pylist()
    for rows in (nodes, edges):
        for row in rows:
            for k, v in list(row.items()):
                if v is None:
                    row[k] = -1 if k.endswith("_id") else ""
                elif isinstance(v, str):
                    row[k] = _xml_safe(v)
    return nodes, edges


def _write_graphml(result: DetectResult, path: Path) -> None:
    import igraph as ig

    nodes, edges = _graph_attrs(result)
    index = {n["account_id"]: i for i, n in enumerate(nodes)}
    g = ig.Graph(n=len(nodes), edges=[(index[e["account_a"]], index[e["account_b"]])
                                      for e in edges])
    for key in (nodes[0].keys() if nodes else ()):
        g.vs["name" if key == "account_id" else key] = [n[key] for n in nodes]
    for key in (edges[0].keys() if edges else ()):
        if key not in ("account_a", "account_b"):
            g.es[key] = [e[key] for e in edges]
    g.write_graphml(str(path))


def _gexf_type(values: Iterable[Any]) -> str:
    vals = [v for v in values if v != ""]
    if vals and all(isinstance(v, bool) for v in vals):
        return "boolean"
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return "long"
    if vals and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
        return "double"
    return "string"


def generate_gexf(result: DetectResult) -> Iterable[str]:
    """The network as GEXF 1.3 lines (for Gephi): accounts with their group and community,
    edges with weight and every count."""
    nodes, edges = _graph_attrs(result)
    node_keys = [k for k in (nodes[0] if nodes else {}) if k != "account_id"]
    edge_keys = [k for k in (edges[0] if edges else {}) if k not in ("account_a", "account_b")]
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield '<gexf xmlns="http://gexf.net/1.3" version="1.3">'
    yield f'  <meta><creator>inconcert {escape(__version__)}</creator></meta>'
    yield '  <graph defaultedgetype="undirected" mode="static">'
    for cls, keys, rows in (("node", node_keys, nodes), ("edge", edge_keys, edges)):
        yield f'    <attributes class="{cls}">'
        for i, k in enumerate(keys):
            t = _gexf_type(r[k] for r in rows)
            yield f'      <attribute id="{i}" title={quoteattr(k)} type="{t}"/>'
        yield "    </attributes>"
    yield "    <nodes>"
    for n in nodes:
        label = quoteattr(str(n["account_id"]))
        yield f"      <node id={label} label={label}><attvalues>"
        for i, k in enumerate(node_keys):
            yield f'        <attvalue for="{i}" value={quoteattr(str(n[k]))}/>'
        yield "      </attvalues></node>"
    yield "    </nodes>"
    yield "    <edges>"
    for j, e in enumerate(edges):
        yield (f'      <edge id="{j}" source={quoteattr(str(e["account_a"]))} '
               f'target={quoteattr(str(e["account_b"]))} weight="{float(e["weight"])!r}">'
               "<attvalues>")
        for i, k in enumerate(edge_keys):
            yield f'        <attvalue for="{i}" value={quoteattr(str(e[k]))}/>'
        yield "      </attvalues></edge>"
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


def manifest(result: DetectResult, outputs: dict[str, str],
             argv: list[str] | None = None, *, raw_csv: bool = False) -> dict[str, Any]:
    """What was run, on what, with what: enough to reproduce and to audit a result."""
    ing = result.ingested
    return {
        "inconcert_version": __version__,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": argv if argv is not None else None,
        "versions": _versions(),
        "parameters": {**result.options.as_dict(), "raw_csv": raw_csv},
        "inputs": [
            {"path": f.path, "sha256": f.sha256, "format": f.format, "rows_read": f.rows_read,
             "rows_used": f.rows_used, "rejected": dict(f.rejected)}
            for f in (ing.files if ing else ())
        ],
        "rows": {
            "read": ing.rows_read if ing else None,
            "used": ing.rows_used if ing else None,
            "rejected": dict(sorted(ing.rejected.items())) if ing else {},
        },
        "summary": result.summary,
        "warnings": result.warnings,
        "timings_s": result.timings,
        "outputs": outputs,
    }


def write_result(
    result: DetectResult,
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    argv: list[str] | None = None,
    extra: dict[str, Callable[[Path], None]] | None = None,
    raw_csv: bool = False,
) -> dict[str, Path]:
    """Write every output file of a run into ``out_dir``.

    Refuses to replace earlier outputs unless ``overwrite``. ``extra`` maps more file names to
    writer functions (the report uses it). CSV cells that a spreadsheet would run as formulas
    are neutralised unless ``raw_csv``. Returns the written paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    existing = [n for n in OUTPUT_FILES if (out / n).exists()]
    if existing and not overwrite:
        raise InputError(out, f"already holds results ({', '.join(existing)})",
                         hint="pass --overwrite to replace them, or choose another --out")
    for stale in out.glob(".inconcert-tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=".inconcert-tmp-", dir=out))
    try:
        write_csv(result.edges, tmp / "edges.csv", raw=raw_csv)
        write_csv(result.accounts, tmp / "accounts.csv", raw=raw_csv)
        write_csv(result.groups, tmp / "groups.csv", raw=raw_csv)
        pq.write_table(result.evidence, tmp / "evidence.parquet", compression="zstd")
        _write_graphml(result, tmp / "network.graphml")
        with open(tmp / "network.gexf", "w", encoding="utf-8", newline="\n") as fh:
            for line in generate_gexf(result):
                fh.write(line + "\n")
        extra = dict(extra or {})
        if result.window_estimate is not None:
            from .window import plot_window_estimate

            estimate = result.window_estimate
            extra["window_estimate.svg"] = lambda p: plot_window_estimate(estimate, str(p))
        for name, writer in extra.items():
            writer(tmp / name)
        names = [n for n in OUTPUT_FILES if n != "manifest.json"] + sorted(extra or {})
        hashes = {n: _sha256(tmp / n) for n in names}
        with open(tmp / "manifest.json", "w", encoding="utf-8") as fh:
            json.dump(manifest(result, hashes, argv, raw_csv=raw_csv), fh, indent=2,
                      default=str)
            fh.write("\n")
        paths = {}
        for name in [*names, "manifest.json"]:
            os.replace(tmp / name, out / name)
            paths[name] = out / name
        return paths
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_rejects(rejects: pa.Table, path: str | os.PathLike[str], *, raw: bool = False) -> None:
    """The rejected input rows, one per line, with file, line, reason and the raw record
    (cells a spreadsheet would run as formulas neutralised unless ``raw``)."""
    write_csv(rejects, path, raw=raw)

