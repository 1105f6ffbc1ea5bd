"""Coordination or coincidence: a null model for edges, p-values, q-values, permutations.

Two ordinary accounts that both repost a viral post within 30 seconds, or both share a
breaking-news link, co-act once by chance. The null model asks how many co-actions a pair
would have if the two accounts acted **independently**, each with its own activity, while the
objects kept their own popularity and timing.

The analytic model (default)
----------------------------
*The pool term.* Under the null, each of account B's actions of a kind in a period ``p`` is a
random draw from all ``N_p`` actions of that kind in the period (which keeps every object's
popularity and timing, and B's own periods of activity). One of B's actions then co-acts with
one of A's actions ``a`` in the period with probability ``c_a / N_p``, where ``c_a`` is the
number of other actions on ``a``'s object within the window of ``a`` (its *exposure*: large in
a viral moment, 1 for a link only A and B ever shared). The expected number of co-actions from
A's side is

    pool(A→B) = Σ_p n_B,p · E_A,p / N_p,   E_A,p = Σ_{a ∈ A, in p} c_a.

A *period* is a UTC day (:data:`POOL_DAY_WINDOWS` windows if that is longer:
:func:`pool_day`), or, where the kind is sparse, consecutive days merged in time order until
they hold :data:`POOL_PERIOD_ACTIONS` actions of the kind (:func:`inconcert.plan.pool_days_sql`;
periods depend only on earlier days, so appending later data leaves them as they were). Drawing
from the period, not from the whole input, makes the expectation a property of the accounts and
their days, not of how long the collection runs: two accounts active on the same three days of
a viral week are compared with those days' activity, and adding unrelated months to the input
leaves their expectation as it was (drawing from the whole input, each added month made every
pair look more significant). Merging sparse days keeps a group's own actions a small part of
the actions it is compared with: on a day with ten actions, five of them a group's, the group
would explain itself.

*The source term, timing-aware* (reposts, quotes and replies, when the posts they refer to
are in the input, so that their authors and times are known). Fans repost their celebrity:
their actions are not random draws from all reposts, and the pool term would call every pair
of fans coordinated. So B's own habit of acting on a *source* S (the author of the referenced
posts) is estimated without the evidence under test, and so is *when* each account usually
acts after a post (its latency):

    source(A→B) = Σ_S n_A,S · π_B,S¬A · P_t(A, B),
    π_B,S¬A = (n_B,S - k_AB,S) / (n_S - n_A,S),
    P_t(A, B) = p_A¬B' M p_B¬A.

``n_S`` is the number of the source's posts acted on in the data, ``n_A,S`` and ``n_B,S`` those
A and B acted on, ``k_AB,S`` those the two co-acted on (so ``π`` is B's rate on the source's
posts that A did not take). ``p_X¬Y`` is X's latency profile: how long after the referenced
post X acted, over all its actions of the kind *except those on objects it co-acted on with
Y*, in bins of ``[0, w]``, ``(w, 2w]``, ``(2w, 4w]``, ... (:data:`LATENCY_BINS`), plus
:data:`TIMING_PRIOR` pseudo-actions of the whole population's profile, normalised. ``M[i, j]``
(:func:`latency_overlap`) is the chance that two latencies uniform in bins ``i`` and ``j`` fall
within one window of each other. So ``P_t`` is the chance that A and B, each acting at its own
usual latency, co-act on a post both act on. An independent fan who reposts within 15 s once in
a while and hours later otherwise is explained (a small ``P_t`` times many shared posts); a
member of a ring amplifying one account, within seconds of the others on most of the seed's
posts and at ordinary latencies otherwise, is not: its fast actions are the evidence, left out,
and what remains says it is usually slow. Only sources of objects the pair co-acted on, with at
least two objects, are looked at.

*The habit term* (every kind). Trend followers use a trending hashtag all day long; two of
them meet on it again and again because each has the habit, not because they act together.
B's own rate on an object ``o`` outside the evidence, spread over the object's time profile:

    habit(A→B) = Σ_o Σ_h a_o,h · (n_B,o - k_B,o) · f_o,h · 2w / Δ,
    f_o,h = (N_o,h - a_o,h) / (N_o - n_A,o),

over the objects the pair co-acted on, with ``h`` the time bins of width ``Δ = max(1 h, 4w)``
(:data:`HABIT_BIN_FLOOR_S`), ``a_o,h`` and ``N_o,h`` the actions of A and of everyone on ``o``
in bin ``h`` (``n_A,o``, ``N_o`` over the period), ``n_B,o`` B's actions on ``o`` and
``k_B,o`` those co-acted with A: B's uses outside the evidence land in the hours when others
use the object. (``Σ_h a_o,h (N_o,h - a_o,h)`` is per account and object, so the term costs no
per-pair time join.) A ring's fresh link, text or seed post is used once per member and
occasion, so ``n_B,o - k_B,o`` is 0 or small and the ring is not explained; a campaign hashtag
that only the ring uses has ``f`` concentrated in the ring's own hours but few uses outside the
evidence.

Every term leaves the evidence under test out (the pool term's exposure ``E_A,p`` too loses
the pair's own co-actions of A's actions in ``p``: a ring's members do not explain each
other). Per kind and direction the largest term counts, ``λ(A→B) = Σ_kinds max(pool, source,
habit)``, and ``λ`` is the mean of ``λ(A→B)`` and ``λ(B→A)`` (the two views of one pair):
``expected_coactions`` is ``λ``,
``expected_by_source`` and ``expected_by_habit`` those terms' own values. The
observed number of co-actions ``k`` is compared with a Poisson(λ) count: ``p = P(X >= k)``.
Benjamini–Hochberg q-values control the false discovery rate over every candidate edge.

Assumptions, plainly: accounts act independently of each other (the hypothesis tested); an
account's actions are exchangeable with all others of the same kind in the same period, except
that its rate of acting on one author's posts, its latency after a post and its rate on one
object are its own;
latencies are uniform within a bin; co-actions are counted as independent events, although one
burst can produce several; the Poisson approximation is accurate when ``n_B,p`` is small next to
``N_p``. Limits: an account that does nothing but repost one author within seconds has no
ordinary behaviour to compare with, so a ring of such accounts is judged against the
population's timing (the prior) and is only as significant as its number of occasions makes
it; a fan with notifications on who always reposts within seconds is, by the data alone, such
an account. The habit term uses only the objects the pair co-acted on (objects both used but
never together add to the expectation and are left out, which makes it a little less
cautious). Small inputs give the model little power (few actions, few tests). Small p-values
say "more co-actions than these accounts' activity, their habits, their timing and these
objects' popularity explain", never "inauthentic".

Defaults. Edges are kept at ``q <= 1e-6`` with at least 3 events on 2 occasions
(:class:`inconcert.DetectOptions`), chosen on four simulated worlds (``benchmarks/quality.py``).

The permutation test (validation)
---------------------------------
:func:`permutation_pvalues` shuffles which account performed which action, within each kind
and pool period (each account keeps its number of actions per period, each object its actions
and their times: a
degree-preserving shuffle of the account–action bipartite graph, as in coordinationz), recounts
every edge's co-actions over the same pairs of actions within the window, and reports
``(1 + #{shuffles with count >= observed}) / (1 + R)``. It is the exact test of the pool term's
null; it does not condition on sources, so where ``expected_by_source`` dominates it is the
smaller, less cautious p-value of the two.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .errors import ParameterError

__all__ = [
    "HABIT_BIN_FLOOR_S",
    "LATENCY_BINS",
    "POOL_DAY_S",
    "POOL_DAY_WINDOWS",
    "POOL_PERIOD_ACTIONS",
    "TIMING_PRIOR",
    "bh_qvalues",
    "habit_window_share",
    "latency_bin_edges",
    "latency_overlap",
    "permutation_pvalues",
    "poisson_sf",
    "pool_day",
    "source_expectation",
    "timing_probability",
]

#: Latency bins in units of the window: ``[0, 1]``, ``(1, 2]``, ``(2, 4]``, ... The last bin
#: starts at ``2^22`` windows (48 days at 1 s, 8 years at 60 s) and is taken to end at twice
#: that.
LATENCY_BINS = 24

#: Pseudo-actions of the population's latency profile added to every account's own (leave-the-
#: pair-out) latency histogram: an account with little evidence of its own habit is taken to
#: act like everyone else does.
TIMING_PRIOR = 2.0


#: The habit term's time bins are this many seconds wide, or four windows if that is more.
HABIT_BIN_FLOOR_S = 3_600

#: The pool term's days are this many seconds long (a UTC day) ...
POOL_DAY_S = 86_400

#: ... or this many windows, if that is longer, so that a window rarely straddles two days.
POOL_DAY_WINDOWS = 24

#: The pool term merges consecutive days of a kind until a period holds this many actions.
POOL_PERIOD_ACTIONS = 1_000


def pool_day(window: float) -> int:
    """The pool term's day in whole seconds for a window of ``window`` seconds:
    ``max(POOL_DAY_S, POOL_DAY_WINDOWS · window)`` (a UTC day up to a one-hour window). Days
    start at the Unix epoch (UTC midnights)."""
    return max(POOL_DAY_S, math.ceil(POOL_DAY_WINDOWS * float(window)))


def habit_window_share(window: float) -> float:
    """The share of a habit time bin that lies within one window of an action: ``2w / Δ`` with
    ``Δ = max(HABIT_BIN_FLOOR_S, 4w)`` (at most 1/2; 1/30 for a 60 s window)."""
    width = max(float(HABIT_BIN_FLOOR_S), 4.0 * float(window))
    return 2.0 * float(window) / width if width > 0 else 0.0


def latency_bin_edges(bins: int = LATENCY_BINS) -> np.ndarray:
    """Edges of the latency bins in windows: ``0, 1, 2, 4, ..., 2^(bins-1)``."""
    return np.concatenate([[0.0], 2.0 ** np.arange(bins, dtype=np.float64)])


def _diff_cdf(d: float, a1: float, b1: float, a2: float, b2: float) -> float:
    """``P(U - V <= d)`` for independent ``U ~ U[a1, b1]`` and ``V ~ U[a2, b2]``: the
    difference's density is the convolution of two boxes, so its CDF is a sum of four
    quadratic ramps over the corners of the trapezoid."""

    def ramp(x: float) -> float:
        return x * x / 2.0 if x > 0 else 0.0

    return (
        ramp(d - (a1 - b2)) - ramp(d - (b1 - b2)) - ramp(d - (a1 - a2)) + ramp(d - (b1 - a2))
    ) / ((b1 - a1) * (b2 - a2))


def latency_overlap(bins: int = LATENCY_BINS) -> np.ndarray:
    """``M[i, j] = P(|U - V| <= 1)`` for ``U`` uniform in latency bin ``i`` and ``V`` in bin
    ``j`` (in windows): the chance that two actions with latencies in these bins fall within
    one window of each other. Exact for uniform latencies within a bin."""
    edges = latency_bin_edges(bins)
    m = np.zeros((bins, bins))
    for i in range(bins):
        for j in range(bins):
            a1, b1, a2, b2 = edges[i], edges[i + 1], edges[j], edges[j + 1]
            m[i, j] = _diff_cdf(1.0, a1, b1, a2, b2) - _diff_cdf(-1.0, a1, b1, a2, b2)
    return np.clip(m, 0.0, 1.0)


_OVERLAP = latency_overlap()


def timing_probability(
    h_a: np.ndarray, h_b: np.ndarray, prior: np.ndarray, strength: float = TIMING_PRIOR
) -> np.ndarray:
    """Per row, the chance that A and B, each acting at a latency drawn from its own habit,
    act within one window of each other: ``p_A' M p_B``, where ``p_X`` is X's latency
    histogram (rows of ``h_a``/``h_b``, counts per bin, the evidence under test already left
    out) plus ``strength`` pseudo-counts of the population's profile ``prior``, normalised.

    Worked example (window 60 s): A always acts within a minute of the post (bin 0), B once in
    bin 0 and three times 1–2 hours later (bin 7). Without the prior, ``p_A = (1, 0, ...)``,
    ``p_B = (1/4, 0, ..., 3/4 at bin 7)`` and the chance is ``1/4 · M[0, 0] + 3/4 · M[0, 7] =
    1/4`` (bins 0 and 7 never meet).
    """
    h_a = np.asarray(h_a, dtype=np.float64)
    h_b = np.asarray(h_b, dtype=np.float64)
    bins = h_a.shape[-1]
    overlap = _OVERLAP if bins == LATENCY_BINS else latency_overlap(bins)
    q = np.asarray(prior, dtype=np.float64)
    q = q / q.sum() if q.sum() > 0 else np.full(bins, 1.0 / bins)
    pa_ = np.maximum(h_a, 0.0) + strength * q
    pb_ = np.maximum(h_b, 0.0) + strength * q
    pa_ = pa_ / pa_.sum(axis=-1, keepdims=True)
    pb_ = pb_ / pb_.sum(axis=-1, keepdims=True)
    return np.clip(np.einsum("...i,ij,...j->...", pa_, overlap, pb_), 0.0, 1.0)


def source_expectation(
    n_a: np.ndarray, n_b: np.ndarray, n_s: np.ndarray, c: np.ndarray, timing: np.ndarray
) -> np.ndarray:
    """The source term from A's side for one (pair, source): ``n_A,S · π_B,S¬A · P_t`` with
    ``π_B,S¬A = (n_B,S - k_AB,S) / (n_S - n_A,S)`` (0 where A acted on every object of the
    source or B on none outside the evidence) and ``P_t`` the pair's :func:`timing_probability`.
    """
    n_a = np.asarray(n_a, dtype=np.float64)
    n_b = np.asarray(n_b, dtype=np.float64)
    n_s = np.asarray(n_s, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    ok = (n_s > n_a) & (n_b > c)
    pi = np.divide(n_b - c, n_s - n_a, out=np.zeros_like(n_a), where=ok)
    return n_a * np.minimum(pi, 1.0) * np.asarray(timing, dtype=np.float64)


def _gammainc_lower_regularized(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(a, x), the regularised lower incomplete gamma function, vectorised (a > 0, x >= 0).

    Series for x < a + 1, continued fraction (Lentz) otherwise (Numerical Recipes, 6.2).
    """
    out = np.zeros_like(x, dtype=np.float64)
    from math import lgamma

    # counts repeat a lot: one lgamma per distinct value
    values, where = np.unique(a, return_inverse=True)
    lg = np.array([lgamma(v) for v in values.tolist()])[where] if a.size else np.zeros(0)
    pos = x > 0
    series = pos & (x < a + 1)
    if series.any():
        aa, xx = a[series], x[series]
        term = 1.0 / aa
        total = term.copy()
        ap = aa.copy()
        for _ in range(1000):
            ap = ap + 1
            term = term * xx / ap
            total = total + term
            if np.all(np.abs(term) < np.abs(total) * 1e-15):
                break
        out[series] = np.exp(np.log(total) - xx + aa * np.log(xx) - lg[series])
    frac = pos & ~series
    if frac.any():
        aa, xx = a[frac], x[frac]
        tiny = 1e-300
        b = xx + 1 - aa
        c = np.full_like(xx, 1 / tiny)
        d = 1 / b
        h = d.copy()
        for i in range(1, 1000):
            an = -i * (i - aa)
            b = b + 2
            d = an * d + b
            d = np.where(np.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = np.where(np.abs(c) < tiny, tiny, c)
            d = 1 / d
            delta = d * c
            h = h * delta
            if np.all(np.abs(delta - 1) < 1e-15):
                break
        upper = np.exp(-xx + aa * np.log(xx) - lg[frac]) * h
        out[frac] = 1 - upper
    return np.clip(out, 0.0, 1.0)


def poisson_sf(k: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``P(X >= k)`` for ``X ~ Poisson(lam)``, vectorised; 1 where ``k <= 0``.

    Uses ``P(X >= k) = P(k, lam)``, the regularised lower incomplete gamma function.
    """
    k = np.asarray(k, dtype=np.float64)
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 0.0)
    out = np.ones_like(lam)
    pos = k > 0
    if pos.any():
        out[pos] = _gammainc_lower_regularized(k[pos], lam[pos])
    return out


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values (step-up, monotone), in the input order."""
    p = np.asarray(p, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def permutation_pvalues(
    pairs_x: np.ndarray,
    pairs_y: np.ndarray,
    account: np.ndarray,
    stratum: np.ndarray,
    edge_a: np.ndarray,
    edge_b: np.ndarray,
    *,
    permutations: int = 100,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Permutation p-values of edges under the account-shuffling null.

    Parameters
    ----------
    pairs_x, pairs_y:
        Every pair of actions (by index) on the same object within the window, *including*
        pairs of one account with itself (a shuffle can give them to two accounts).
    account, stratum:
        Integer account code of every action, and the code of its kind and pool period
        (:func:`inconcert.plan.pool_days_sql`): labels are shuffled within each stratum.
    edge_a, edge_b:
        Account codes of the edges to test.
    permutations, seed:
        Number of shuffles and their seed.

    Returns
    -------
    (observed, p)
        Observed co-actions of each edge over these pairs, and ``(1 + #{count >= observed}) /
        (1 + permutations)``.
    """
    if not isinstance(permutations, int) or permutations < 1:
        raise ParameterError("permutations", "a whole number >= 1", permutations)
    n_acc = int(max(account.max(initial=0), edge_a.max(initial=0), edge_b.max(initial=0))) + 1
    lo = np.minimum(edge_a, edge_b).astype(np.int64)
    hi = np.maximum(edge_a, edge_b).astype(np.int64)
    keys = lo * n_acc + hi
    order = np.argsort(keys)
    sorted_keys = keys[order]

    def counts(labels: np.ndarray) -> np.ndarray:
        la = labels[pairs_x]
        lb = labels[pairs_y]
        diff = la != lb
        la, lb = la[diff], lb[diff]
        k = np.minimum(la, lb).astype(np.int64) * n_acc + np.maximum(la, lb)
        pos = np.searchsorted(sorted_keys, k)
        pos = np.minimum(pos, sorted_keys.size - 1)
        hit = sorted_keys[pos] == k if sorted_keys.size else np.zeros(k.size, dtype=bool)
        out = np.zeros(keys.size, dtype=np.int64)
        if hit.any():
            out[order] = np.bincount(pos[hit], minlength=keys.size)
        return out

    observed = counts(account)
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(stratum == k) for k in np.unique(stratum)]
    at_least = np.zeros(keys.size, dtype=np.int64)
    labels = account.copy()
    for r in range(permutations):
        for idx in groups:
            labels[idx] = account[idx][rng.permutation(idx.size)]
        at_least += counts(labels) >= observed
        if progress is not None:
            progress(r + 1, permutations)
    return observed, (1 + at_least) / (1 + permutations)
