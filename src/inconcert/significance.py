"""Coordination or coincidence: a null model for edges, p-values, q-values, permutations.

Two ordinary accounts that both repost a viral post within 30 seconds, or both share a
breaking-news link, co-act once by chance. The null model asks how many co-actions a pair
would have if the two accounts acted **independently**, each with its own activity, while the
objects kept their own popularity and timing.

The analytic model (default)
----------------------------
Under the null, each of account B's ``n_B`` actions of a kind is a random draw from all ``N``
actions of that kind (which keeps every object's popularity and timing). One of B's actions
then co-acts with one of A's actions ``a`` with probability ``c_a / N``, where ``c_a`` is the
number of other actions on ``a``'s object within the window of ``a`` (its *exposure*: large in
a viral moment, 1 for a link only A and B ever shared). The expected number of co-actions is

    λ(A→B) = Σ_kinds n_B · E_A / N,   E_A = Σ_{a ∈ A} c_a,

and ``λ`` is the mean of ``λ(A→B)`` and ``λ(B→A)`` (the two views of one pair). The observed
number of co-actions ``k`` is compared with a Poisson(λ) count: ``p = P(X >= k)``. Benjamini–
Hochberg q-values control the false discovery rate over every candidate edge.

Assumptions, plainly: accounts act independently of each other (the hypothesis tested); an
account's actions are exchangeable with all others of the same kind (a fan who always reposts
one celebrity is *not* modelled specially: the celebrity's posts are popular, so the fan's
exposure is high and the p-value large, which is the point); co-actions are counted as
independent events, although one burst can produce several; the Poisson approximation is
accurate when ``n_B`` is small next to ``N``. Small p-values say "more co-actions than these
accounts' activity and these objects' popularity explain", never "inauthentic".

The permutation test (validation)
---------------------------------
:func:`permutation_pvalues` shuffles which account performed which action, within each kind
(each account keeps its number of actions, each object its actions and their times: a
degree-preserving shuffle of the account–action bipartite graph, as in coordinationz), recounts
every edge's co-actions over the same pairs of actions within the window, and reports
``(1 + #{shuffles with count >= observed}) / (1 + R)``. It is the exact test of the same null
the analytic model approximates.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import ParameterError

__all__ = ["bh_qvalues", "permutation_pvalues", "poisson_sf"]


def _gammainc_lower_regularized(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(a, x), the regularised lower incomplete gamma function, vectorised (a > 0, x >= 0).

    Series for x < a + 1, continued fraction (Lentz) otherwise (Numerical Recipes, 6.2).
    """
    out = np.zeros_like(x, dtype=np.float64)
    from math import lgamma

    lg = np.array([lgamma(v) for v in a.tolist()]) if a.size else np.zeros(0)
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
    kind: np.ndarray,
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
    account, kind:
        Integer account and kind code of every action.
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
    groups = [np.flatnonzero(kind == k) for k in np.unique(kind)]
    at_least = np.zeros(keys.size, dtype=np.int64)
    labels = account.copy()
    for r in range(permutations):
        for idx in groups:
            labels[idx] = account[idx][rng.permutation(idx.size)]
        at_least += counts(labels) >= observed
        if progress is not None:
            progress(r + 1, permutations)
    return observed, (1 + at_least) / (1 + permutations)
