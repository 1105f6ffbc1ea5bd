"""Static figures for papers and slides: the drawn network and the top groups' timeline, as SVG
and PNG files, from the same data (layout, colours, bins) as the interactive report.

Drawn with Matplotlib's object API (no pyplot state, no display needed). The files are
reproducible: the SVG carries no date and a fixed id salt.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FIGURE_FORMATS", "PALETTE", "draw_network", "draw_timeline", "save_figures"]

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
FIGURE_FORMATS = ("svg", "png")
_INK = "#1c2330"
_MUTED = "#6b7280"
_LANES = 10
_RASTER_EDGES = 5_000  # above this many edges (or nodes) the SVG embeds the
_RASTER_NODES = 2_000  # drawing as an image (text stays vector)


def _colour(rank: int) -> str:
    return PALETTE[rank % len(PALETTE)] if rank >= 0 else "#c9ced6"


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, facecolor="white")
    return fig


def _group_label(data: dict[str, Any], rank: int) -> str:
    ids = data.get("groups", {}).get("data", {}).get("group_id") or []
    return f"group {ids[rank]}" if rank < len(ids) else f"group #{rank + 1}"


def _empty(fig: Figure, message: str) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        color=_MUTED,
        fontsize=12,
        transform=ax.transAxes,
    )


def draw_network(data: dict[str, Any]) -> Figure:
    """The drawn part of the network: accounts coloured by group, edge width by weight.

    Parameters
    ----------
    data:
        Page data from :func:`inconcert.report._data.page_data` (positions, edges, ranks).
    """
    from matplotlib.collections import LineCollection

    nodes, edges, accounts = data["nodes"], data["edges"], data["accounts"]
    fig = _figure(10, 7.5)
    n = len(nodes["account"])
    if n == 0:
        _empty(fig, "No coordinated groups were found with these parameters.")
        return fig
    ax = fig.add_axes((0.01, 0.11, 0.98, 0.8))
    ax.set_axis_off()
    ax.set_aspect("equal")
    x = np.asarray(nodes["x"], dtype=float)
    y = np.asarray(nodes["y"], dtype=float)
    acc = np.asarray(nodes["account"], dtype=np.int64)
    pos_of = np.full(len(accounts["id"]), -1, dtype=np.int64)
    pos_of[acc] = np.arange(n)
    rank = np.asarray(accounts["rank"], dtype=np.int64)
    a = pos_of[np.asarray(edges["a"], dtype=np.int64)] if edges["a"] else np.zeros(0, np.int64)
    b = pos_of[np.asarray(edges["b"], dtype=np.int64)] if edges["b"] else np.zeros(0, np.int64)
    ok = (a >= 0) & (b >= 0)
    w = np.asarray(edges["weight"], dtype=float)[ok] if len(a) else np.zeros(0)
    if ok.any():
        seg = np.stack(
            [np.column_stack([x[a[ok]], y[a[ok]]]), np.column_stack([x[b[ok]], y[b[ok]]])], axis=1
        )
        width = 0.25 + 2.0 * np.sqrt(w / max(float(w.max()), 1.0))
        colours = [_colour(int(r)) for r in np.asarray(edges["rank"])[ok]]
        dense = bool(ok.sum() > _RASTER_EDGES or n > _RASTER_NODES)
        lines = LineCollection(
            list(seg), linewidths=width, colors=colours, alpha=0.3, zorder=1, rasterized=dense
        )
        ax.add_collection(lines)
    strength_col = accounts.get("data", {}).get("strength") or accounts.get("data", {}).get(
        "degree"
    )
    st = (
        np.asarray([strength_col[i] or 0 for i in acc], dtype=float) if strength_col else np.ones(n)
    )
    size = (4 if n > 3000 else 10) + (30 if n > 3000 else 70) * np.sqrt(st / max(st.max(), 1.0))
    node_rank = rank[acc]
    ax.scatter(
        x,
        y,
        s=size,
        c=[_colour(int(r)) for r in node_rank],
        linewidths=0.4,
        edgecolors="white",
        zorder=2,
        rasterized=n > _RASTER_NODES,
    )
    pad = 1.0
    ax.set_xlim(x.min() - pad, x.max() + pad)
    ax.set_ylim(y.min() - pad, y.max() + pad)
    drawn = int(data.get("drawn_groups", 0))
    total = len(data["groups"]["data"].get("group_id") or [])
    title = f"Coordinated accounts: {n:,} accounts in {drawn:,} group{'' if drawn == 1 else 's'}"
    if drawn < total:
        title += f" (the first {drawn:,} of {total:,} groups)"
    fig.text(0.01, 0.965, title, fontsize=13, color=_INK, weight="bold", va="center")
    fig.text(
        0.01,
        0.925,
        "Dots are accounts, lines are edges (width = weight), colours are "
        "groups ranked by total weight.",
        fontsize=9,
        color=_MUTED,
        va="center",
    )
    handles = []
    from matplotlib.lines import Line2D

    for r in range(min(drawn, 8)):
        members = int((node_rank == r).sum())
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=7,
                markerfacecolor=_colour(r),
                markeredgecolor="white",
                label=f"{_group_label(data, r)} ({members:,})",
            )
        )
    if handles:
        fig.legend(
            handles=handles,
            loc="lower left",
            ncol=min(4, len(handles)),
            frameon=False,
            fontsize=8.5,
            bbox_to_anchor=(0.005, 0.0),
        )
    fig.text(
        0.995,
        0.012,
        "inconcert · coordination is evidence for review, not proof",
        fontsize=7.5,
        color=_MUTED,
        ha="right",
    )
    return fig


def draw_timeline(data: dict[str, Any]) -> Figure:
    """Coordinated posts over time for the top groups, one small bar chart per group.

    Parameters
    ----------
    data:
        Page data from :func:`inconcert.report._data.page_data` (its ``lanes``).
    """
    import matplotlib.dates as mdates

    lanes = data.get("lanes") or {}
    ranks: Sequence[int] = (lanes.get("ranks") or [])[:_LANES]
    if not ranks:
        fig = _figure(10, 3)
        _empty(fig, "No coordinated groups were found with these parameters.")
        return fig
    n = len(ranks)
    fig_h = 0.6 + 0.62 * n + 0.65
    fig = _figure(10, fig_h)
    t0, bin_s = int(lanes["t0"]), int(lanes["bin"])
    n_bins = len(lanes["counts"][0])
    times = np.array([datetime.fromtimestamp(t0 + i * bin_s, UTC) for i in range(n_bins)])
    width = bin_s / 86_400 * 0.9
    top, bottom = 1 - 0.6 / fig_h, 0.65 / fig_h
    height = (top - bottom) / n
    axes: list[Any] = []
    sizes = data["groups"]["data"].get("size") or []
    for i, r in enumerate(ranks):
        ax = fig.add_axes(
            (0.17, top - (i + 1) * height, 0.81, height * 0.82), sharex=axes[0] if axes else None
        )
        counts = np.asarray(lanes["counts"][i], dtype=float)
        ax.bar(
            mdates.date2num(times), counts, width=width, align="edge", color=_colour(r), linewidth=0
        )
        ax.set_ylim(0, max(counts.max(), 1) * 1.1)
        ax.set_yticks([0, int(counts.max())] if counts.max() else [0])
        ax.tick_params(axis="y", labelsize=7, colors=_MUTED, length=2)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.spines["left"].set_color("#c9ced6")
        ax.spines["bottom"].set_color("#c9ced6")
        size = sizes[r] if r < len(sizes) else None
        label = _group_label(data, r) + (f"\n{size:,} accounts" if isinstance(size, int) else "")
        ax.text(
            -0.045,
            0.5,
            label,
            transform=ax.transAxes,
            ha="right",
            va="center",
            fontsize=8.5,
            color=_INK,
        )
        if i < n - 1:
            ax.tick_params(axis="x", labelbottom=False, length=0)
        axes.append(ax)
    loc = mdates.AutoDateLocator(tz=UTC, maxticks=10)
    axes[-1].xaxis.set_major_locator(loc)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc, tz=UTC))
    axes[-1].tick_params(axis="x", labelsize=8, colors=_MUTED)
    unit = {60: "minute", 3600: "hour", 86_400: "day"}.get(
        bin_s,
        f"{bin_s // 60} minutes"
        if bin_s < 3600
        else f"{bin_s // 3600} hours"
        if bin_s < 86_400
        else f"{bin_s // 86_400} days",
    )
    fig.text(
        0.01,
        1 - 0.3 / fig_h,
        f"Coordinated posts per {unit} (UTC), top {n} group{'' if n == 1 else 's'}",
        fontsize=12,
        color=_INK,
        weight="bold",
        va="center",
    )
    fig.text(
        0.01,
        0.08 / fig_h,
        "inconcert · each post counted once per group; bar heights scaled per group",
        fontsize=7.5,
        color=_MUTED,
        ha="left",
        va="bottom",
    )
    return fig


def save_figures(
    data: dict[str, Any], out_dir: str | os.PathLike[str], formats: Sequence[str] = FIGURE_FORMATS
) -> list[Path]:
    """Write ``network.<fmt>`` and ``timeline.<fmt>`` into ``out_dir`` (atomically each).

    Parameters
    ----------
    data:
        Page data from :func:`inconcert.report._data.page_data`.
    out_dir:
        Folder for the files (usually the result folder).
    formats:
        Any of ``"svg"`` and ``"png"``.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    import matplotlib

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with matplotlib.rc_context(
        {"svg.hashsalt": "inconcert", "svg.fonttype": "none", "font.family": "DejaVu Sans"}
    ):
        for name, draw in (("network", draw_network), ("timeline", draw_timeline)):
            fig = draw(data)
            for fmt in formats:
                path = out / f"{name}.{fmt}"
                tmp = out / f".{name}.{fmt}.tmp"
                meta: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
                fig.savefig(tmp, format=fmt, dpi=150, metadata=meta, facecolor="white")
                os.replace(tmp, path)
                written.append(path)
    return written
