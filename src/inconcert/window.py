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

__all__ = ["WindowEstimate", "estimate_window", "plot_window_estimate"]

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


def plot_window_estimate(estimate: WindowEstimate, path: str) -> None:
    """A readable figure: pairs per second of ``|Δt|``, the baseline, and the chosen window."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = np.asarray(estimate.counts)
    x = np.arange(counts.size)
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
    ax.bar(x, counts, width=1.0, color="#4c72b0", label="pairs of actions per second of |Δt|")
    ax.axhline(
        estimate.baseline_per_second,
        color="#dd8452",
        linestyle="--",
        label=f"baseline (independent accounts): {estimate.baseline_per_second:.1f}/s",
    )
    ax.axvline(
        estimate.window,
        color="#c44e52",
        label=f"estimated window: {estimate.window:g} s"
        + (" (fallback: no excess)" if estimate.fallback else ""),
    )
    ax.set_xlabel("|Δt| between two accounts' actions on the same object (seconds)")
    ax.set_ylabel("pairs")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(0, estimate.max_window)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.set_title("How fast do accounts act on the same object?", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None} if path.endswith(".svg") else None)
    plt.close(fig)
