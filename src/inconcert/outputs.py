"""Writers: the output folder of a run, written atomically.

Files are first written into a hidden temporary folder inside the output folder, then moved
into place one by one with :func:`os.replace` (atomic on one file system), ``manifest.json``
last. An interrupted run leaves either the previous files or the new ones, never half a file;
a stale temporary folder is removed at the next run.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import platform
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

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
                col = pc.strftime(
                    pc.cast(us, pa.timestamp("us", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ"
                )
            else:
                col = pc.strftime(
                    pc.cast(seconds, pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ"
                )
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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_XML_ILLEGAL = re.compile("[\\\\\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\x{code:04x}"


def _xml_safe(value: str) -> str:
    """Characters XML 1.0 cannot hold written as ``\\xNN`` (``\\xNNNN`` above 0xff), and so
    that no two values become one, every backslash too (``\\x5c``): GraphML and GEXF are XML,
    and Gephi merges nodes with the same id."""
    return _XML_ILLEGAL.sub(_xml_escape_one, value)


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
    g = ig.Graph(
        n=len(nodes), edges=[(index[e["account_a"]], index[e["account_b"]]) for e in edges]
    )
    for key in nodes[0].keys() if nodes else ():
        g.vs["name" if key == "account_id" else key] = [n[key] for n in nodes]
    for key in edges[0].keys() if edges else ():
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
    yield f"  <meta><creator>inconcert {escape(__version__)}</creator></meta>"
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
        yield (
            f'      <edge id="{j}" source={quoteattr(str(e["account_a"]))} '
            f'target={quoteattr(str(e["account_b"]))} weight="{float(e["weight"])!r}">'
            "<attvalues>"
        )
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
        "inputs": [
            {
                "path": f.path,
                "sha256": f.sha256,
                "format": f.format,
                "rows_read": f.rows_read,
                "rows_used": f.rows_used,
                "rejected": dict(f.rejected),
            }
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
    """Staging folders an interrupted run left behind (inside the folder or beside it)."""
    beside = f".{_glob_escape(real.name)}{_TMP_MARK}*"
    stale = [*real.glob(f"{_TMP_MARK}*"), *real.parent.glob(beside)]
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def _glob_escape(name: str) -> str:
    """``name`` with the characters :meth:`Path.glob` treats specially escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), os.fspath(b))


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


def _write_tables(result: DetectResult, folder: Path, raw_csv: bool) -> None:
    write_csv(result.edges, folder / "edges.csv", raw=raw_csv)
    write_csv(result.accounts, folder / "accounts.csv", raw=raw_csv)
    write_csv(result.groups, folder / "groups.csv", raw=raw_csv)
    pq.write_table(result.evidence, folder / "evidence.parquet", compression="zstd")
    _write_graphml(result, folder / "network.graphml")
    with open(folder / "network.gexf", "w", encoding="utf-8", newline="\n") as fh:
        for line in generate_gexf(result):
            fh.write(line + "\n")


def _write_manifest(folder: Path, content: dict[str, Any]) -> None:
    with open(folder / "manifest.json", "w", encoding="utf-8") as fh:
        json.dump(content, fh, indent=2, default=str)
        fh.write("\n")


def _write_report(staging: Path, shown_as: Path, figures: tuple[str, ...]) -> list[str]:
    """report.html and its figures, built from the staged files, named after the real folder."""
    import dataclasses

    from .report import REPORT_FILE, build_html, read_result
    from .report.figures import save_figures

    folder = dataclasses.replace(read_result(staging), path=shown_as)
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

            def write_manifest() -> None:
                hashes = {n: _sha256(staging / n) for n in names}
                content = manifest(result, hashes, argv, raw_csv=raw_csv)
                if pseudonymised is not None:
                    content["pseudonymised"] = pseudonymised
                _write_manifest(staging, content)

            write_manifest()
            if report:
                names += _write_report(staging, real, formats)
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


def refresh_manifest(out_dir: str | os.PathLike[str], names: Iterable[str]) -> bool:
    """Re-hash ``names`` in ``out_dir/manifest.json`` after they were rewritten (``inconcert
    report`` rebuilding the report of a finished run); a name whose file is gone is dropped.
    Returns whether there was a manifest to update; it is replaced atomically."""
    folder = Path(out_dir)
    path = folder / "manifest.json"
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        outputs = content["outputs"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not isinstance(outputs, dict):
        return False
    for name in names:
        if (folder / name).is_file():
            outputs[name] = _sha256(folder / name)
        else:
            outputs.pop(name, None)
    fd, tmp = tempfile.mkstemp(prefix=".manifest.json.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(content, fh, indent=2, default=str)
            fh.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


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
        elif _sha256(path) != digest:
            problems.append(f"{name} differs from its hash in manifest.json")
    for name in sorted(_RESULT_NAMES - {"manifest.json"} - set(outputs)):
        if (folder / name).exists():
            problems.append(f"{name} is not part of this result")
    return problems


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    """Whether resolved ``path`` is ``folder`` or lies in it where a folder input would find
    it (no hidden part on the way: the readers skip those)."""
    try:
        rel = path.relative_to(folder)
    except ValueError:
        return False
    return not any(part.startswith(".") for part in rel.parts)


def _split_inputs(inputs: Sequence[str | os.PathLike[str]]) -> tuple[list[Path], list[Path]]:
    """The inputs as (files, folders), resolved; missing ones are left to the readers."""
    files: list[Path] = []
    folders: list[Path] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            folders.append(path.resolve())
        elif path.exists():
            files.append(path.resolve())
    return files, folders


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
    for folder in folders:
        if _inside(resolved, folder):
            where = "is the input folder" if resolved == folder else "is inside the input folder"
            raise OutputError(
                out,
                f"{where} {os.fspath(folder)!r}",
                hint="the next run would read the results as input; choose another --out",
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
