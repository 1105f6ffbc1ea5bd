"""Static figures for papers and slides: the drawn network and the top groups' timeline, from
the same data (layout, colours, bins) as the interactive report.

Each figure is first described as a small scene of primitives (lines, circles, rectangles and
text, in pixels). The scene is written as SVG text directly: no plotting library is imported,
it takes milliseconds, and the bytes depend on the data only (no date, no random ids). PNG is
optional: only when it is asked for is the same scene drawn with Matplotlib's object API
(imported then, never on the default path).
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = [
    "DEFAULT_FORMATS",
    "FIGURE_FILES",
    "FIGURE_FORMATS",
    "PALETTE",
    "network_svg",
    "parse_formats",
    "save_figures",
    "timeline_svg",
]

#: Group colours by rank, shared with the page (``report.js`` reads them from the data).
PALETTE = (
    "#3b6fb6",
    "#e8772e",
    "#d64550",
    "#2f9c95",
    "#4f9a44",
    "#c9a227",
    "#9b5fa5",
    "#e57f9a",
    "#8c6a52",
    "#5b8fd9",
    "#7fb34a",
    "#a9478f",
)
#: Formats the figures can be written in, and the default (SVG only: PNG needs Matplotlib).
FIGURE_FORMATS = ("svg", "png")
DEFAULT_FORMATS = ("svg",)
#: The figures' base names (``network.svg``, ``timeline.png``, ...).
FIGURE_FILES = ("network", "timeline")

_INK = "#1c2330"
_MUTED = "#6b7280"
_RULE = "#c9ced6"
_GRID = "#eef0f3"
_FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
_PX_PER_PT = 100 / 72  # the figures are drawn at 100 px per inch
_LANES = 10
_LEGEND = 8
_MAX_EDGES = 20_000  # lines drawn in the static network: the heaviest ones past this
_PNG_DPI = 150

# -- the scene ----------------------------------------------------------------------------------


@dataclass
class _Lines:
    colour: str
    width: float
    opacity: float
    segments: list[tuple[float, float, float, float]]
    role: str = "edges"  # the SVG class: edges, grid or axes


@dataclass
class _Circles:
    colour: str
    circles: list[tuple[float, float, float]]
    outline: str = "white"
    outline_width: float = 0.5
    role: str = "nodes"  # the SVG class: nodes or legend


@dataclass
class _Rects:
    colour: str
    rects: list[tuple[float, float, float, float]]


@dataclass
class _Text:
    x: float
    y: float
    text: str
    size: float
    colour: str = _INK
    anchor: str = "start"  # start, middle or end (SVG's text-anchor)
    bold: bool = False


_Item = _Lines | _Circles | _Rects | _Text


@dataclass
class _Scene:
    width: int
    height: int
    title: str
    items: list[_Item] = field(default_factory=list)


def _colour(rank: int) -> str:
    return PALETTE[rank % len(PALETTE)] if rank >= 0 else _RULE


def _group_label(data: dict[str, Any], rank: int) -> str:
    ids = data.get("groups", {}).get("data", {}).get("group_id") or []
    return f"group {ids[rank]}" if rank < len(ids) else f"group #{rank + 1}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message(width: int, height: int, message: str) -> _Scene:
    scene = _Scene(width, height, message)
    scene.items.append(_Text(width / 2, height / 2 + 4, message, 16, _MUTED, "middle"))
    return scene


# -- the network --------------------------------------------------------------------------------


def network_scene(data: dict[str, Any]) -> _Scene:
    """The drawn part of the network: accounts coloured by group, edge width by weight.

    Parameters
    ----------
    data:
        Page data from :func:`inconcert.report._data.page_data` (positions, edges, ranks).
    """
    nodes, edges, accounts = data["nodes"], data["edges"], data["accounts"]
    width, height = 1000, 750
    n = len(nodes["account"])
    if n == 0:
        return _message(width, 300, "No coordinated groups were found with these parameters.")
    x = np.asarray(nodes["x"], dtype=float)
    y = np.asarray(nodes["y"], dtype=float)
    acc = np.asarray(nodes["account"], dtype=np.int64)
    pos_of = np.full(len(accounts["id"]), -1, dtype=np.int64)
    pos_of[acc] = np.arange(n)
    node_rank = np.asarray(accounts["rank"], dtype=np.int64)[acc]
    drawn = int(data.get("drawn_groups", 0))
    total = len(data["groups"]["data"].get("group_id") or [])

    title = f"Coordinated accounts: {n:,} accounts in {drawn:,} group{'' if drawn == 1 else 's'}"
    if drawn < total:
        title += f" (the first {drawn:,} of {total:,} groups)"
    subtitle = (
        "Dots are accounts, lines are edges (width = weight), colours are groups ranked by "
        "total weight."
    )
    scene = _Scene(width, height, title)
    legend = min(drawn, _LEGEND)
    legend_rows = math.ceil(legend / 4)
    left, right, top = 10.0, width - 10.0, 68.0
    bottom = height - 26.0 - 20.0 * legend_rows

    # Layout units to pixels: equal aspect, centred, one unit of margin (y points up).
    pad = 1.0
    span_x = float(x.max() - x.min()) + 2 * pad
    span_y = float(y.max() - y.min()) + 2 * pad
    scale = min((right - left) / span_x, (bottom - top) / span_y)
    off_x = left + ((right - left) - span_x * scale) / 2 - (float(x.min()) - pad) * scale
    off_y = top + ((bottom - top) - span_y * scale) / 2 + (float(y.max()) + pad) * scale
    px = off_x + x * scale
    py = off_y - y * scale

    a = pos_of[np.asarray(edges["a"], dtype=np.int64)] if edges["a"] else np.zeros(0, np.int64)
    b = pos_of[np.asarray(edges["b"], dtype=np.int64)] if edges["b"] else np.zeros(0, np.int64)
    keep = np.flatnonzero((a >= 0) & (b >= 0))
    w = np.asarray(edges["weight"], dtype=float) if len(a) else np.zeros(0)
    if len(keep) > _MAX_EDGES:
        heavy = keep[np.argsort(-w[keep], kind="stable")[:_MAX_EDGES]]
        keep = np.sort(heavy)
        subtitle += f" The {_MAX_EDGES:,} heaviest of {len(a):,} edges are drawn."
    scene.items.append(_Text(left, 30, title, 17, _INK, bold=True))
    scene.items.append(_Text(left, 54, subtitle, 12, _MUTED))
    if len(keep):
        e_rank = np.asarray(edges["rank"], dtype=np.int64)[keep]
        ew = w[keep]
        # a few widths (quarter pixels): one path per (group, width)
        line_w = (
            np.round((0.25 + 2.0 * np.sqrt(ew / max(float(ew.max()), 1.0))) * _PX_PER_PT * 4) / 4
        )
        ka, kb = a[keep].tolist(), b[keep].tolist()
        ranks, widths = e_rank.tolist(), line_w.tolist()
        xs, ys = px.tolist(), py.tolist()
        order = np.lexsort((np.arange(len(keep)), line_w, e_rank))
        batches: dict[tuple[int, float], list[tuple[float, float, float, float]]] = {}
        for j in order.tolist():
            i, k = ka[j], kb[j]
            batches.setdefault((ranks[j], widths[j]), []).append((xs[i], ys[i], xs[k], ys[k]))
        for (rank, lw), segments in batches.items():
            scene.items.append(_Lines(_colour(rank), lw, 0.3, segments))

    acc_data = accounts.get("data", {})
    strength_col = acc_data.get("strength") or acc_data.get("degree")
    st = (
        np.asarray([strength_col[i] or 0 for i in acc], dtype=float) if strength_col else np.ones(n)
    )
    base, extra = (4.0, 30.0) if n > 3000 else (10.0, 70.0)
    area_pt2 = base + extra * np.sqrt(st / max(float(st.max()), 1.0))  # Matplotlib's scatter s
    cap = max(1.0, 0.6 * scale)  # dots no wider than their spacing in dense layouts
    radius = np.round(np.minimum(np.sqrt(area_pt2) / 2 * _PX_PER_PT, cap), 1).tolist()
    xs, ys = px.tolist(), py.tolist()
    for rank in np.unique(node_rank).tolist():
        ids = np.flatnonzero(node_rank == rank).tolist()
        scene.items.append(_Circles(_colour(rank), [(xs[i], ys[i], radius[i]) for i in ids]))

    for r in range(legend):
        cx = left + 4 + (r % 4) * 245
        cy = bottom + 14 + (r // 4) * 20
        members = int((node_rank == r).sum())
        label = _cut(f"{_group_label(data, r)} ({members:,})", 34)
        scene.items.append(_Circles(_colour(r), [(cx + 5, cy, 5.0)], role="legend"))
        scene.items.append(_Text(cx + 16, cy + 4, label, 11.5, _INK))
    scene.items.append(
        _Text(
            right,
            height - 8,
            "inconcert · coordination is evidence for review, not proof",
            10,
            _MUTED,
            "end",
        )
    )
    return scene


# -- the timeline -------------------------------------------------------------------------------

_DAY = 86_400
_STEPS = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, _DAY, 2 * _DAY, 7 * _DAY)
_MONTHS = (1, 2, 3, 6, 12, 24, 60, 120)
_MONDAY = 4 * _DAY  # 1970-01-01 was a Thursday: weeks start on Monday


def _utc(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _day(t: int, year: bool = False) -> str:
    d = _utc(t)
    return f"{d.day} {d:%b %Y}" if year else f"{d.day} {d:%b}"


def _ticks(start: int, end: int, most: int = 9) -> list[tuple[int, str]]:
    """Round times (UTC) between ``start`` and ``end`` with short labels: at most ``most``."""
    for step in _STEPS:
        origin = _MONDAY if step == 7 * _DAY else 0
        first = -(-(start - origin) // step) * step + origin
        if (end - first) // step + 1 <= most:
            times = range(first, end + 1, step)
            if step < _DAY:
                return [(t, _day(t) if t % _DAY == 0 else f"{_utc(t):%H:%M}") for t in times]
            return [(t, _day(t)) for t in times]
    lo, hi = _utc(start), _utc(end)
    first = lo.year * 12 + lo.month - 1  # months since year 0
    if (lo.day, lo.hour, lo.minute, lo.second) != (1, 0, 0, 0):
        first += 1  # the first whole month start at or after ``start``
    last = hi.year * 12 + hi.month - 1
    for months in _MONTHS:
        index = -(-first // months) * months
        if (last - index) // months + 1 <= most or months == _MONTHS[-1]:
            out = []
            for m in range(index, last + 1, months):
                t = int(datetime(m // 12, m % 12 + 1, 1, tzinfo=UTC).timestamp())
                out.append((t, f"{m // 12}" if months >= 12 else f"{_utc(t):%b %Y}"))
            return out
    return []  # pragma: no cover


def _unit(bin_s: int) -> str:
    named = {60: "minute", 3600: "hour", _DAY: "day"}
    if bin_s in named:
        return named[bin_s]
    if bin_s < 3600:
        return f"{bin_s // 60} minutes"
    if bin_s < _DAY:
        return f"{bin_s // 3600} hours"
    return f"{bin_s // _DAY} days"


def timeline_scene(data: dict[str, Any]) -> _Scene:
    """Coordinated posts over time for the top groups, one small bar chart per group.

    Parameters
    ----------
    data:
        Page data from :func:`inconcert.report._data.page_data` (its ``lanes``).
    """
    lanes = data.get("lanes") or {}
    ranks: Sequence[int] = (lanes.get("ranks") or [])[:_LANES]
    width = 1000
    if not ranks:
        return _message(width, 300, "No coordinated groups were found with these parameters.")
    n = len(ranks)
    top, lane_h = 62.0, 62.0
    height = int(top + n * lane_h + 62)
    x0, x1 = 190.0, width - 20.0
    t0, bin_s = int(lanes["t0"]), int(lanes["bin"])
    n_bins = len(lanes["counts"][0])
    end = t0 + n_bins * bin_s
    sx = (x1 - x0) / (end - t0)
    bar_w = round(max(bin_s * sx * 0.9, min(bin_s * sx, 1.0)), 2)
    title = f"Coordinated posts per {_unit(bin_s)} (UTC), top {n} group{'' if n == 1 else 's'}"
    scene = _Scene(width, height, title)
    scene.items.append(_Text(10, 30, title, 16, _INK, bold=True))
    bases = [top + i * lane_h + lane_h * 0.84 for i in range(n)]
    bar_h = lane_h * 0.7
    ticks = [(t, label) for t, label in _ticks(t0, end) if t0 <= t <= end]
    grid = [(x0 + (t - t0) * sx, top, x0 + (t - t0) * sx, bases[-1]) for t, _ in ticks]
    if grid:
        scene.items.append(_Lines(_GRID, 1.0, 1.0, grid, "grid"))
    sizes = data["groups"]["data"].get("size") or []
    rules: list[tuple[float, float, float, float]] = []
    for i, r in enumerate(ranks):
        base = bases[i]
        counts = lanes["counts"][i]
        most = max(counts) if counts else 0
        rects = [
            (x0 + j * bin_s * sx, base - c / most * bar_h, bar_w, c / most * bar_h)
            for j, c in enumerate(counts)
            if c > 0
        ]
        if rects:
            scene.items.append(_Rects(_colour(r), rects))
        rules.append((x0, base, x1, base))
        rules.append((x0, base - bar_h, x0, base))
        scene.items.append(_Text(x0 - 5, base + 3, "0", 9, _MUTED, "end"))
        if most:
            scene.items.append(_Text(x0 - 5, base - bar_h + 6, f"{most:,}", 9, _MUTED, "end"))
        middle = base - bar_h / 2
        size = sizes[r] if r < len(sizes) else None
        scene.items.append(
            _Text(x0 - 48, middle, _cut(_group_label(data, r), 22), 11.5, _INK, "end")
        )
        if isinstance(size, int):
            scene.items.append(_Text(x0 - 48, middle + 14, f"{size:,} accounts", 10, _MUTED, "end"))
    last = bases[-1]
    rules.extend((gx, last, gx, last + 4) for gx, _, _, _ in grid)
    scene.items.append(_Lines(_RULE, 1.0, 1.0, rules, "axes"))
    for t, label in ticks:
        scene.items.append(_Text(x0 + (t - t0) * sx, last + 17, label, 10, _MUTED, "middle"))
    if t0 % _DAY == 0 and end % _DAY == 0:
        span = f"{_day(t0, True)} – {_day(end, True)} UTC"
    else:
        span = f"{_day(t0, True)} {_utc(t0):%H:%M} – {_day(end, True)} {_utc(end):%H:%M} UTC"
    scene.items.append(_Text(x1, last + 36, span, 10.5, _MUTED, "end"))
    scene.items.append(
        _Text(
            10,
            height - 8,
            "inconcert · each post counted once per group; bar heights scaled per group",
            10,
            _MUTED,
        )
    )
    return scene


# -- SVG ----------------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _esc(text: str) -> str:
    text = _XML_ILLEGAL.sub("\ufffd", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _n(value: float, digits: int = 1) -> str:
    """A number as short, stable text: ``12.5``, ``3``, never ``-0``."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_WHOLE = re.compile(r"\.0(?![0-9])")
_MINUS_ZERO = re.compile(r"(?<![0-9.])-0(?![0-9.])")


def _path(segments: list[tuple[float, float, float, float]]) -> str:
    """``M x y L x y`` for every segment, numbers as :func:`_n` writes them (one formatting
    call for all: the network has thousands of edges)."""
    if not segments:
        return ""
    text = ("M%.1f %.1fL%.1f %.1f" * len(segments)) % tuple(itertools.chain(*segments))
    return _MINUS_ZERO.sub("0", _WHOLE.sub("", text))


def _svg_lines(scene: _Scene) -> Iterable[str]:
    w, h = scene.width, scene.height
    yield (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-labelledby="title" '
        f'font-family="{_FONT}">'
    )
    yield f'<title id="title">{_esc(scene.title)}</title>'
    yield f'<rect width="{w}" height="{h}" fill="white"/>'
    for item in scene.items:
        if isinstance(item, _Lines):
            d = _path(item.segments)
            opacity = "" if item.opacity >= 1 else f' stroke-opacity="{_n(item.opacity, 2)}"'
            yield (
                f'<path class="{item.role}" fill="none" stroke="{item.colour}" '
                f'stroke-width="{_n(item.width, 2)}"{opacity} stroke-linecap="round" d="{d}"/>'
            )
        elif isinstance(item, _Circles):
            yield (
                f'<g class="{item.role}" fill="{item.colour}" stroke="{item.outline}" '
                f'stroke-width="{_n(item.outline_width, 2)}">'
            )
            for cx, cy, r in item.circles:
                yield f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}"/>'
            yield "</g>"
        elif isinstance(item, _Rects):
            d = "".join(
                f"M{_n(x, 2)} {_n(y)}h{_n(rw, 2)}v{_n(rh)}h-{_n(rw, 2)}z"
                for x, y, rw, rh in item.rects
            )
            yield f'<path class="bars" fill="{item.colour}" d="{d}"/>'
        else:
            anchor = "" if item.anchor == "start" else f' text-anchor="{item.anchor}"'
            bold = ' font-weight="bold"' if item.bold else ""
            yield (
                f'<text x="{_n(item.x)}" y="{_n(item.y)}" font-size="{_n(item.size)}" '
                f'fill="{item.colour}"{anchor}{bold}>{_esc(item.text)}</text>'
            )
    yield "</svg>"


def _svg(scene: _Scene) -> str:
    return "\n".join(_svg_lines(scene)) + "\n"


def network_svg(data: dict[str, Any]) -> str:
    """The network figure as SVG text (see :func:`network_scene`)."""
    return _svg(network_scene(data))


def timeline_svg(data: dict[str, Any]) -> str:
    """The timeline figure as SVG text (see :func:`timeline_scene`)."""
    return _svg(timeline_scene(data))


# -- PNG (Matplotlib, imported only here) -------------------------------------------------------


def _png(scene: _Scene, path: Path) -> None:
    try:
        from matplotlib.collections import EllipseCollection, LineCollection, PolyCollection
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ParameterError(
            "figures", "svg or none where Matplotlib is not installed (PNG needs it)", "png"
        ) from err

    pt = 1 / _PX_PER_PT
    fig = Figure(figsize=(scene.width / 100, scene.height / 100), dpi=100, facecolor="white")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)
    align = {"start": "left", "middle": "center", "end": "right"}
    for z, item in enumerate(scene.items):
        if isinstance(item, _Lines):
            ax.add_collection(
                LineCollection(
                    [((a, b), (c, d)) for a, b, c, d in item.segments],
                    linewidths=item.width * pt,
                    colors=item.colour,
                    alpha=item.opacity,
                    capstyle="round",
                    zorder=z,
                )
            )
        elif isinstance(item, _Circles):
            xy = np.asarray([(cx, cy) for cx, cy, _ in item.circles], dtype=float)
            d = np.asarray([2 * r for _, _, r in item.circles], dtype=float)
            ax.add_collection(
                EllipseCollection(
                    d,
                    d,
                    np.zeros(len(d)),
                    units="xy",
                    offsets=xy,
                    offset_transform=ax.transData,
                    facecolors=item.colour,
                    edgecolors=item.outline,
                    linewidths=item.outline_width * pt,
                    zorder=z,
                )
            )
        elif isinstance(item, _Rects):
            ax.add_collection(
                PolyCollection(
                    [[(x, y), (x + w, y), (x + w, y + h), (x, y + h)] for x, y, w, h in item.rects],
                    facecolors=item.colour,
                    linewidths=0,
                    zorder=z,
                )
            )
        else:
            ax.text(
                item.x,
                item.y,
                item.text,
                fontsize=item.size * pt,
                color=item.colour,
                ha=align[item.anchor],
                va="baseline",
                fontweight="bold" if item.bold else "normal",
                fontfamily="DejaVu Sans",
                parse_math=False,
                zorder=z,
            )
    fig.savefig(path, format="png", dpi=_PNG_DPI, facecolor="white")


# -- files --------------------------------------------------------------------------------------


def parse_formats(value: str | Iterable[str] | bool | None) -> tuple[str, ...]:
    """Figure formats from ``"svg"``, ``"png"``, ``"svg,png"``, ``"none"`` (or a sequence of
    them; ``True`` is the default, SVG; ``False``/``None`` is none), in canonical order.

    Raises
    ------
    inconcert.ParameterError
        For any other name.
    """
    if value is True:
        return DEFAULT_FORMATS
    if value is False or value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else list(value)
    names = {p.strip().lower() for p in parts if p.strip()}
    if names == {"none"}:
        return ()
    if not names or not names <= set(FIGURE_FORMATS):
        raise ParameterError("figures", "svg, png, svg,png or none", value)
    return tuple(f for f in FIGURE_FORMATS if f in names)


def _replace(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_figures(
    data: dict[str, Any],
    out_dir: str | os.PathLike[str],
    formats: str | Iterable[str] = DEFAULT_FORMATS,
) -> list[Path]:
    """Write ``network.<fmt>`` and ``timeline.<fmt>`` into ``out_dir`` (atomically each).

    Parameters
    ----------
    data:
        Page data from :func:`inconcert.report._data.page_data`.
    out_dir:
        Folder for the files (usually the result folder).
    formats:
        ``"svg"`` (the default; no plotting library needed) and/or ``"png"`` (drawn with
        Matplotlib, imported only then), as a sequence or a comma-separated string.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    chosen = parse_formats(formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in (("network", network_scene), ("timeline", timeline_scene)):
        scene = build(data)
        for fmt in chosen:
            path = out / f"{name}.{fmt}"
            if fmt == "svg":
                text = _svg(scene)
                _replace(path, lambda p, t=text: p.write_text(t, encoding="utf-8", newline="\n"))
            else:
                _replace(path, lambda p, s=scene: _png(s, p))
            written.append(path)
    return written
