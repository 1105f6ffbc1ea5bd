"""Estimating the coordination window from the data (``--window auto``).

The question: how close in time must two accounts' actions on the same object be to count as
acting together *in this dataset*? Coordinated accounts act within seconds of each other;
accounts reacting independently to the same object are spread over minutes or hours.

Method (excess over a flat null)
--------------------------------
1. Take every pair of actions of the same kind on the same object by two different accounts
   within ``max_window`` seconds (default 600), and histogram their ``|Δt|`` in one-second bins.
2. If accounts acted independently, an object's actions would be spread over much longer than
   ``max_window`` and ``|Δt|`` would be close to uniform on ``[0, max_window]``. The *baseline*
   is the density in the upper half, ``[max_window / 2, max_window]``, per second.
3. The *excess* at ``t`` is the number of pairs with ``|Δt| <= t`` above the baseline:
   ``F(t) - baseline · (t + 1)``. Coordination piles pairs up at small ``|Δt|``.
4. The window is the smallest ``t`` at which the excess reaches ``share`` (default 95%) of its
   maximum: the time scale that holds nearly all of the fast co-actions.

When there is no excess (no fast co-actions beyond the baseline), the estimate falls back to
60 s and says so. The histogram, baseline and excess curve are kept so that the choice can be
read on a plot (``window_estimate.svg`` in the output folder). CooRnet's
``estimate_coord_interval`` answers the same question from the quantile of the fastest shares;
this method uses all pairs and a null, and is less sensitive to how many objects are viral.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .engine import Engine
from .errors import ParameterError
from .plan import MICROS, pairs_sql, whole_seconds_sql

__all__ = ["WindowEstimate", "estimate_window", "plot_window_estimate", "window_svg"]

FALLBACK_WINDOW = 60.0


@dataclass(frozen=True)
class WindowEstimate:
    """The estimated window and the evidence behind it (counts per second of ``|Δt|``)."""

    window: float
    max_window: float
    share: float
    pairs: int
    baseline_per_second: float
    excess_pairs: float
    fallback: bool
    counts: list[int] = field(repr=False)

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d.pop("counts")
        return d


def estimate_window(
    eng: Engine,
    source: str,
    *,
    max_window: float = 600.0,
    share: float = 0.95,
) -> WindowEstimate:
    """Estimate the coordination window from the actions in engine table ``source``.

    ``source`` needs ``action_id, account_id, kind, object_id, post_id, t`` (µs).
    """
    if not isinstance(max_window, int | float) or not 10 <= max_window <= 86_400:
        raise ParameterError("max_window", "a number of seconds in [10, 86400]", max_window)
    if not isinstance(share, int | float) or not 0 < share <= 1:
        raise ParameterError("share", "a number in (0, 1]", share)
    w_us = round(max_window * MICROS)
    eng.create(
        "ic_window_src",
        f"SELECT action_id, account_id, kind, object_id, post_id, t, "
        f"CAST({w_us} AS BIGINT) AS w FROM {source}",
    )
    hist = eng.fetch(
        f"""
SELECT {whole_seconds_sql("ABS(x_t - y_t)", eng.dialect)} AS s, COUNT(*) AS n
FROM ({pairs_sql("ic_window_src", eng.dialect, distinct_accounts=True)}) p
GROUP BY 1 ORDER BY 1
"""
    )
    eng.drop("ic_window_src")
    size = int(max_window) + 1
    counts = np.zeros(size, dtype=np.int64)
    secs = hist.column("s").to_numpy()
    ok = secs < size
    counts[secs[ok]] = hist.column("n").to_numpy()[ok]
    total = int(counts.sum())
    upper = counts[size // 2 :]
    baseline = float(upper.mean()) if upper.size else 0.0
    excess = np.cumsum(counts) - baseline * np.arange(1, size + 1)
    peak = float(excess.max()) if total else 0.0
    if total == 0 or peak <= max(3.0 * np.sqrt(max(baseline * size, 1.0)), 1.0):
        return WindowEstimate(
            window=FALLBACK_WINDOW,
            max_window=float(max_window),
            share=float(share),
            pairs=total,
            baseline_per_second=baseline,
            excess_pairs=max(peak, 0.0),
            fallback=True,
            counts=counts.tolist(),
        )
    t = int(np.argmax(excess >= share * peak))
    return WindowEstimate(
        window=float(max(t, 1)),
        max_window=float(max_window),
        share=float(share),
        pairs=total,
        baseline_per_second=baseline,
        excess_pairs=peak,
        fallback=False,
        counts=counts.tolist(),
    )


_TITLE = "How fast do accounts act on the same object?"
_XLABEL = "|Δt| between two accounts' actions on the same object (seconds)"
_BAR, _BASE, _WINDOW = "#4c72b0", "#dd8452", "#c44e52"


def _labels(estimate: WindowEstimate) -> tuple[str, str, str]:
    return (
        "pairs of actions per second of |Δt|",
        f"baseline (independent accounts): {estimate.baseline_per_second:.1f}/s",
        f"estimated window: {estimate.window:g} s"
        + (" (fallback: no excess)" if estimate.fallback else ""),
    )


def plot_window_estimate(estimate: WindowEstimate, path: str) -> None:
    """A readable figure: pairs per second of ``|Δt|``, the baseline, and the chosen window.

    A ``.svg`` path is written directly (no plotting library; the same bytes for the same
    estimate); any other format is drawn with Matplotlib (``pip install 'inconcert[png]'``).
    """
    if str(path).lower().endswith(".svg"):
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(window_svg(estimate))
        return
    try:
        import matplotlib
    except ImportError as err:
        raise ParameterError(
            "path",
            "a .svg file where Matplotlib is not installed (pip install 'inconcert[png]')",
            str(path),
        ) from err

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars, base, window = _labels(estimate)
    counts = np.asarray(estimate.counts)
    x = np.arange(counts.size)
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
    ax.bar(x, counts, width=1.0, color=_BAR, label=bars)
    ax.axhline(estimate.baseline_per_second, color=_BASE, linestyle="--", label=base)
    ax.axvline(estimate.window, color=_WINDOW, label=window)
    ax.set_xlabel(_XLABEL)
    ax.set_ylabel("pairs")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(0, estimate.max_window)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.set_title(_TITLE, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _nice_step(top: float, ticks: int = 5) -> float:
    """A whole round step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks to
    ``top``."""
    raw = max(top, 1.0) / ticks
    power = 10 ** np.floor(np.log10(raw))
    return max(float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw)), 1.0)


def window_svg(estimate: WindowEstimate) -> str:
    """The window figure as SVG text: bars of pairs per second of ``|Δt|`` on a symmetric log
    axis (linear to 10 s, logarithmic beyond, as Matplotlib's ``symlog``), the baseline
    (dashed), the estimated window (a vertical line) and a legend."""
    width, height = 800, 360
    left, right, top, bottom = 70.0, 20.0, 34.0, 52.0
    pw, ph = width - left - right, height - top - bottom
    counts = np.asarray(estimate.counts, dtype=np.float64)
    max_window = float(estimate.max_window)

    lin = 1 / (1 - 1 / 10)  # decades the linear part spans (Matplotlib's symlog, linscale 1)

    def sx(t: float | np.ndarray) -> np.ndarray:  # symlog, linthresh 10
        t = np.clip(np.asarray(t, dtype=np.float64), 0.0, max_window)
        return np.where(t <= 10, t / 10 * lin, lin + np.log10(np.maximum(t, 10) / 10))

    span = float(sx(max_window))

    def px(t: float | np.ndarray) -> np.ndarray:
        return left + sx(t) / span * pw

    ymax = max(float(counts.max()) if counts.size else 0.0, estimate.baseline_per_second, 1.0)
    step = _nice_step(ymax * 1.05)
    ytop = step * np.ceil(ymax * 1.05 / step)

    def py(v: float | np.ndarray) -> np.ndarray:
        return top + ph - np.asarray(v, dtype=np.float64) / ytop * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" '
        'font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2:g}" y="20" text-anchor="middle" font-size="13">{_esc(_TITLE)}</text>',
    ]
    # bars: one per second (centred, one second wide), merged per pixel column (the tallest)
    if counts.size:
        seconds = np.flatnonzero(counts > 0)
        x0 = np.floor(px(seconds - 0.5) * 2) / 2
        x1 = np.maximum(np.ceil(px(seconds + 0.5) * 2) / 2, x0 + 0.5)
        heights = counts[seconds]
        path = []
        i = 0
        while i < seconds.size:  # runs of bars starting in the same half pixel: the tallest
            j = i
            tallest = heights[i]
            while j + 1 < seconds.size and x0[j + 1] == x0[i]:
                j += 1
                tallest = max(tallest, heights[j])
            y = float(py(tallest))
            path.append(f"M{x0[i]:g} {top + ph:g}V{y:.1f}H{x1[j]:g}V{top + ph:g}Z")
            i = j + 1
        out.append(f'<path d="{"".join(path)}" fill="{_BAR}"/>')
    # axes, ticks and grid labels
    out.append(
        f'<path d="M{left:g} {top:g}V{top + ph:g}H{left + pw:g}" fill="none" stroke="#333"/>'
    )
    for v in np.arange(0, ytop + step / 2, step):
        y = float(py(v))
        out.append(f'<path d="M{left - 4:g} {y:.1f}H{left:g}" stroke="#333"/>')
        out.append(f'<text x="{left - 7:g}" y="{y + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
    ticks = [0.0] + [10.0**k for k in range(1, 6) if 10.0**k <= max_window]
    for t in ticks:
        x = float(px(t))
        out.append(f'<path d="M{x:.1f} {top + ph:g}v4" stroke="#333"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 17:g}" text-anchor="middle">{t:,.0f}</text>')
    out.append(
        f'<text x="{left + pw / 2:g}" y="{height - 12:g}" text-anchor="middle">'
        f"{_esc(_XLABEL)}</text>"
    )
    out.append(
        f'<text transform="translate(18 {top + ph / 2:g}) rotate(-90)" text-anchor="middle">'
        "pairs</text>"
    )
    # the baseline and the window
    yb = float(py(estimate.baseline_per_second))
    out.append(
        f'<path d="M{left:g} {yb:.1f}H{left + pw:g}" stroke="{_BASE}" stroke-width="1.5" '
        'stroke-dasharray="6 4"/>'
    )
    xw = float(px(estimate.window))
    out.append(f'<path d="M{xw:.1f} {top:g}V{top + ph:g}" stroke="{_WINDOW}" stroke-width="1.5"/>')
    # legend, top right
    for k, (label, color) in enumerate(zip(_labels(estimate), (_BAR, _BASE, _WINDOW), strict=True)):
        y = top + 12 + 16 * k
        x = left + pw - 10
        if k == 0:
            mark = f'<rect x="{x - 22:g}" y="{y - 8:g}" width="16" height="9" fill="{color}"/>'
        else:
            dash = ' stroke-dasharray="6 4"' if k == 1 else ""
            mark = (
                f'<path d="M{x - 24:g} {y - 3.5:g}h20" stroke="{color}" stroke-width="1.5"{dash}/>'
            )
        out.append(mark)
        out.append(
            f'<text x="{x - 30:g}" y="{y:g}" text-anchor="end" font-size="10">{_esc(label)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
