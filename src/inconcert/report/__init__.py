"""The evidence report: one self-contained, offline HTML file an analyst can read and cite.

:func:`write_report` reads the finished output files of a result folder (it never runs
detection again) and writes ``report.html``: an overview with the input summary, parameters
and the responsible-use note; an interactive network (sigma.js on WebGL); a ranked, sortable
groups table; per-group timelines; and every co-action behind an edge. It also writes the same
network and timeline as static figures for papers and slides: ``network.svg`` and
``timeline.svg`` by default (written directly, no plotting library), ``.png`` on request.

The page loads nothing from the network: the JavaScript bundle (sigma.js + graphology, built
from the npm registry by ``report/js/build.mjs``, see ``assets/graph.LICENSES.txt``) and the
data are inlined. Post texts, account ids and URLs are hostile input: the data is embedded as
escaped JSON and shown only through ``textContent``; only http(s) URLs become links.

>>> from inconcert.report import write_report
>>> write_report("result/")  # doctest: +SKIP
PosixPath('result/report.html')
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .._manifest import refresh_manifest
from .._version import VERSION as __version__
from ._data import Limits, ResultFolder, page_data, read_result
from ._html import render_page, script_json
from .figures import (
    DEFAULT_FORMATS,
    FIGURE_FILES,
    FIGURE_FORMATS,
    PALETTE,
    parse_formats,
    save_figures,
)

__all__ = [
    "DEFAULT_FORMATS",
    "FIGURE_FORMATS",
    "REPORT_FILE",
    "Limits",
    "ResultFolder",
    "build_html",
    "read_result",
    "script_json",
    "write_figures",
    "write_report",
]

REPORT_FILE = "report.html"


def _limits(max_evidence_rows: int, max_nodes: int, max_edges: int, max_groups: int) -> Limits:
    return Limits(
        max_evidence_rows=max_evidence_rows,
        max_nodes=max_nodes,
        max_edges=max_edges,
        max_groups=max_groups,
    )


def build_html(folder: ResultFolder, limits: Limits | None = None) -> tuple[str, dict[str, object]]:
    """The report's HTML text and the data embedded in it.

    Parameters
    ----------
    folder:
        A result folder read with :func:`read_result`.
    limits:
        How much to embed (:class:`Limits`).

    Returns
    -------
    tuple
        ``(html, data)``: the page and its data (the figures are drawn from the same data).
    """
    data = page_data(folder, limits)
    data["palette"] = list(PALETTE)
    ids = folder.groups.column("group_id") if "group_id" in folder.groups.column_names else []
    title = f"Coordination evidence: {folder.path.resolve().name}"
    if len(ids):
        title += f" ({len(ids):,} group{'s' if len(ids) != 1 else ''})"
    return render_page(data, title=title, version=__version__), data


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(
    result_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str] | None = None,
    *,
    max_evidence_rows: int = Limits.max_evidence_rows,
    max_nodes: int = Limits.max_nodes,
    max_edges: int = Limits.max_edges,
    max_groups: int = Limits.max_groups,
    figures: str | Iterable[str] | bool = DEFAULT_FORMATS,
    prune_figures: bool = False,
) -> Path:
    """Write the HTML evidence report of a finished run (and its static figures).

    Parameters
    ----------
    result_dir:
        The ``--out`` folder of ``inconcert detect``: ``groups.csv``, ``accounts.csv``,
        ``edges.csv``, ``evidence.parquet`` and (optionally) ``manifest.json`` are read; nothing
        is recomputed. Columns beyond the essential ones are optional, so CooRTweet-compatible
        results and results with extra columns render too.
    out_path:
        The HTML file; default ``result_dir/report.html``.
    max_evidence_rows:
        Co-actions embedded for the drawn edges (``evidence.parquet`` always has all of them).
    max_nodes, max_edges:
        The network view draws whole groups in rank order within these budgets.
    max_groups:
        Rows of the groups table.
    figures:
        Formats of the static figures written beside the HTML file (``network.<fmt>`` and
        ``timeline.<fmt>``): ``"svg"`` (the default), ``"png"`` (needs Matplotlib), both
        (``("svg", "png")`` or ``"svg,png"``), or none (``()``, ``"none"`` or ``False``).
    prune_figures:
        Also delete figures of the other formats from that folder (``inconcert detect`` does:
        after a new run they would show the previous one).

    Returns
    -------
    pathlib.Path
        The HTML file written (atomically).

    Raises
    ------
    inconcert.InputError
        When ``result_dir`` is not a finished result folder.
    """
    formats = parse_formats(figures)
    folder = read_result(result_dir)
    out = Path(out_path) if out_path is not None else folder.path / REPORT_FILE
    html, data = build_html(folder, _limits(max_evidence_rows, max_nodes, max_edges, max_groups))
    _atomic_write_text(out, html)
    written = [out.name]
    if formats:
        written += [p.name for p in save_figures(data, out.parent, formats)]
    if prune_figures:
        for fmt in FIGURE_FORMATS:
            if fmt not in formats:
                for name in FIGURE_FILES:
                    (out.parent / f"{name}.{fmt}").unlink(missing_ok=True)
                    written.append(f"{name}.{fmt}")
    if out.parent.resolve() == folder.path.resolve():
        refresh_manifest(folder.path, written)  # the manifest hashes the report (issue 12)
    return out


def write_figures(
    result_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    formats: str | Iterable[str] = DEFAULT_FORMATS,
    max_nodes: int = Limits.max_nodes,
    max_edges: int = Limits.max_edges,
) -> list[Path]:
    """Write the static network and timeline figures of a finished run.

    Parameters
    ----------
    result_dir:
        The ``--out`` folder of ``inconcert detect``.
    out_dir:
        Where to write ``network.<fmt>`` and ``timeline.<fmt>``; default ``result_dir``.
    formats:
        ``"svg"`` (the default) and/or ``"png"`` (needs Matplotlib).
    max_nodes, max_edges:
        The same drawing budgets as the report's network view.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    folder = read_result(result_dir)
    data = page_data(folder, Limits(max_nodes=max_nodes, max_edges=max_edges, max_evidence_rows=0))
    return save_figures(data, Path(out_dir) if out_dir is not None else folder.path, formats)
