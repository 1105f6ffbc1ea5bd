"""Coordination or coincidence: a null model for edges, p-values, q-values, permutations.

Two ordinary accounts that both repost a viral post within 30 seconds, or both share a
breaking-news link, co-act once by chance. The null model asks how many co-actions a pair
would have if the two accounts acted **independently**, each with its own activity, while the
objects kept their own popularity and timing.

The analytic model (default)
----------------------------
*The pool term.* Under the null, each of account B's ``n_B`` actions of a kind is a random draw
from all ``N`` actions of that kind (which keeps every object's popularity and timing). One of
B's actions then co-acts with one of A's actions ``a`` with probability ``c_a / N``, where
``c_a`` is the number of other actions on ``a``'s object within the window of ``a`` (its
*exposure*: large in a viral moment, 1 for a link only A and B ever shared). The expected
number of co-actions from A's side is

    pool(A→B) = n_B · E_A / N,   E_A = Σ_{a ∈ A} c_a.

*The source term* (reposts, quotes and replies, when the posts they refer to are in the input,
so that their authors are known). Fans repost their celebrity: their actions are not random
draws from all reposts, and the pool term would call every pair of fans coordinated. So B's own
habit of acting on a *source* S (the author of the referenced posts) is estimated without the
evidence under test (B's objects of S, less those it co-acted on with A, per object of S that A
did not act on), and A's actions on S's objects are weighed by it:

    source(A→B) = Σ_S E_A,S · π_B,S¬A,
    E_A,S = Σ_{a ∈ A on S} c_a / (m_a - 1),
    π_B,S¬A = (n_B,S - k_AB,S) / (n_S - n_A,S),

with ``m_a`` all actions on ``a``'s object (so ``c_a / (m_a - 1)`` is the share of them within
the window of ``a``), ``n_S`` the source's objects in the data, ``n_A,S`` and ``n_B,S`` those A
and B acted on, and ``k_AB,S`` those the two co-acted on. Only sources of objects the pair
co-acted on, with at least two objects, are looked at. A fan base, whose members repost one
account each at their own rate, is explained by the source term; a ring whose members repost
each other's fresh posts, or posts that none of them otherwise reposts, is not (``π`` is about
0 outside the ring's occasions).

Per kind and direction the larger term counts, ``λ(A→B) = Σ_kinds max(pool, source)``, and
``λ`` is the mean of ``λ(A→B)`` and ``λ(B→A)`` (the two views of one pair):
``expected_coactions`` is ``λ`` and ``expected_by_source`` the source terms' part of it. The
observed number of co-actions ``k`` is compared with a Poisson(λ) count: ``p = P(X >= k)``.
Benjamini–Hochberg q-values control the false discovery rate over every candidate edge.

Assumptions, plainly: accounts act independently of each other (the hypothesis tested); an
account's actions are exchangeable with all others of the same kind, except that its rate of
acting on one author's posts is its own (the source term); co-actions are counted as
independent events, although one burst can produce several; the Poisson approximation is
accurate when ``n_B`` is small next to ``N``. What it cannot see: a ring that amplifies one
account and nothing else, with each member joining at its own rate, is a fan base by every
measure in the data, and is explained like one (its timing and the account's content remain
in the evidence). Small p-values say "more co-actions than these accounts' activity, their
habits and these objects' popularity explain", never "inauthentic".

The permutation test (validation)
---------------------------------
:func:`permutation_pvalues` shuffles which account performed which action, within each kind
(each account keeps its number of actions, each object its actions and their times: a
degree-preserving shuffle of the account–action bipartite graph, as in coordinationz), recounts
every edge's co-actions over the same pairs of actions within the window, and reports
``(1 + #{shuffles with count >= observed}) / (1 + R)``. It is the exact test of the pool term's
null; it does not condition on sources, so where ``expected_by_source`` dominates it is the
smaller, less cautious p-value of the two.
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
