"""The null model: p-values that separate coordination from coincidence."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inconcert.actions import posts_to_actions
from inconcert.detect import detect_actions
from inconcert.errors import ParameterError
from inconcert.options import DetectOptions
from inconcert.schema import POST_SCHEMA
from inconcert.significance import (
    LATENCY_BINS,
    bh_qvalues,
    latency_bin_edges,
    latency_overlap,
    permutation_pvalues,
    poisson_sf,
    timing_probability,
)
from inconcert.simulate import simulate

from .helpers import T0, actions

OPEN = DetectOptions(
    kinds=("repost", "url"),
    min_participation=1,
    min_weight=1,
    max_burst=None,
    min_occasions=1,
    max_q=None,
)


@settings(max_examples=60, deadline=None)
@given(k=st.integers(0, 40), lam=st.floats(0, 60, allow_nan=False))
def test_poisson_sf_matches_the_sum(k: int, lam: float) -> None:
    expected = 1.0 - sum(math.exp(-lam) * lam**i / math.factorial(i) for i in range(k))
    assert poisson_sf(np.array([k]), np.array([lam]))[0] == pytest.approx(
        max(expected, 0.0), abs=1e-9
    )


def test_poisson_sf_tiny_tail() -> None:
    # P(X >= 5) for lambda = 1e-5 is about lambda^5 / 5! = 8.3e-28
    assert poisson_sf(np.array([5]), np.array([1e-5]))[0] == pytest.approx(8.3333e-28, rel=1e-3)


def test_bh_qvalues_by_hand() -> None:
    # sorted p: .01 .03 .04 .5 -> p*m/rank: .04 .06 .0533 .5 -> monotone from the top:
    # .04 .0533 .0533 .5
    q = bh_qvalues(np.array([0.01, 0.04, 0.03, 0.5]))
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])


def _background(rng: random.Random, n_accounts: int = 300, per_account: int = 20) -> list:
    rows = []
    for i in range(n_accounts):
        for j in range(per_account):
            rows.append(
                (
                    f"bg{i}",
                    "url",
                    f"https://news.example/{rng.randrange(5000)}",
                    rng.uniform(0, 30 * 86_400),
                    f"bg{i}-{j}",
                )
            )
    return rows


def test_coreposts_of_one_viral_post_are_not_significant() -> None:
    rng = random.Random(1)
    rows = _background(rng)
    # 1,500 accounts repost one post within ten minutes, each also active elsewhere
    for i in range(1500):
        rows.append((f"fan{i}", "repost", "viral", 1_000_000 + rng.uniform(0, 600), f"v{i}"))
        for j in range(5):
            rows.append(
                (
                    f"fan{i}",
                    "url",
                    f"https://news.example/{rng.randrange(5000)}",
                    rng.uniform(0, 30 * 86_400),
                    f"f{i}-{j}",
                )
            )
    result = detect_actions(actions(rows), options=OPEN)
    edges = result.edges
    viral = edges.filter(pc.equal(edges.column("repost_coactions"), edges.column("coactions")))
    assert viral.num_rows > 10_000
    p = np.array(viral.column("p_value").to_pylist())
    assert p.min() > 0.01 and np.median(p) > 0.1
    assert min(viral.column("q_value").to_pylist()) > 0.05  # none survives a 5% FDR


def test_five_rare_links_within_seconds_are_significant() -> None:
    rng = random.Random(2)
    rows = _background(rng)
    for k in range(5):
        t = (k + 1) * 86_400.0
        rows.append(("alice", "url", f"https://rare.example/{k}", t, f"a{k}"))
        rows.append(("bob", "url", f"https://rare.example/{k}", t + 3, f"b{k}"))
    for j in range(15):  # ordinary activity of both
        rows.append(
            (
                "alice",
                "url",
                f"https://news.example/{rng.randrange(5000)}",
                rng.uniform(0, 30 * 86_400),
                f"ax{j}",
            )
        )
        rows.append(
            (
                "bob",
                "url",
                f"https://news.example/{rng.randrange(5000)}",
                rng.uniform(0, 30 * 86_400),
                f"bx{j}",
            )
        )
    result = detect_actions(actions(rows), options=OPEN)
    (edge,) = [
        e for e in result.edges.to_pylist() if (e["account_a"], e["account_b"]) == ("alice", "bob")
    ]
    assert edge["coactions"] == 5
    assert edge["p_value"] < 1e-10 and edge["q_value"] < 1e-6
    assert edge["expected_coactions"] < 0.05  # 20 × 5 / 6,040 ≈ 0.017
    filtered = detect_actions(
        actions(rows),
        options=DetectOptions(kinds=("url",), min_participation=1, min_weight=1, max_q=0.01),
    )
    assert [(e["account_a"], e["account_b"]) for e in filtered.edges.to_pylist()] == [
        ("alice", "bob")
    ]


def test_permutation_agrees_with_the_analytic_model() -> None:
    """Documented tolerance: on simulated data the two p-values agree on significance at
    0.01 for at least 95% of candidate edges and differ by at most 0.1 on average."""
    sim = simulate(seed=2, n_organic=600, n_groups=4, days=10)
    opts = DetectOptions(
        min_weight=1, min_participation=1, permutations=200, min_occasions=1, max_q=None
    )
    acts, _ = posts_to_actions(sim.posts, opts.kinds)
    edges = detect_actions(acts, options=opts).edges
    p = np.array(edges.column("p_value").to_pylist())
    perm = np.array(edges.column("p_permutation").to_pylist())
    assert edges.num_rows > 1000
    assert ((p <= 0.01) == (perm <= 0.01)).mean() >= 0.95
    assert np.abs(p - perm).mean() <= 0.1


def test_permutation_is_seeded_and_exact_on_a_tiny_case() -> None:
    # two actions of a and b on one object, a third account's action elsewhere
    x, y = np.array([0]), np.array([1])
    account = np.array([0, 1, 2])
    kind = np.array([0, 0, 0])
    obs, p = permutation_pvalues(
        x, y, account, kind, np.array([0]), np.array([1]), permutations=300, seed=5
    )
    _, p2 = permutation_pvalues(
        x, y, account, kind, np.array([0]), np.array([1]), permutations=300, seed=5
    )
    assert obs.tolist() == [1] and p.tolist() == p2.tolist()
    # the pair (0, 1) keeps accounts {a, b} in 2 of the 6 permutations of three labels
    assert p[0] == pytest.approx(1 / 3, abs=0.07)
    with pytest.raises(ParameterError, match="'permutations'"):
        permutation_pvalues(x, y, account, kind, np.array([0]), np.array([1]), permutations=0)


def test_fast_subnetwork_counts() -> None:
    acts = actions(
        [
            ("a", "url", "u", 0, "a1"),
            ("b", "url", "u", 5, "b1"),
            ("a", "url", "v", 100, "a2"),
            ("b", "url", "v", 150, "b2"),
        ]
    )
    opts = DetectOptions(
        kinds=("url",),
        min_participation=1,
        min_weight=1,
        speeds=(1, 10, 60),
        min_occasions=1,
        max_q=None,
    )
    (edge,) = detect_actions(acts, options=opts).edges.to_pylist()
    assert (edge["coactions_1s"], edge["coactions_10s"], edge["coactions_60s"]) == (0, 1, 2)


def _fans_and_ring(seed: int = 5) -> pa.Table:
    """Posts: 40 fans who each repost some of one celebrity's 80 posts within a minute, on
    their own (independently of each other); a ring of 6 whose members take turns posting a
    seed that the others repost within seconds; 200 ordinary accounts reposting 60 authors."""
    rng = random.Random(seed)
    rows: list[dict] = []

    def post(pid: str, account: str, t: float, repost_of: str | None = None) -> None:
        rows.append(
            {
                "post_id": pid,
                "account_id": account,
                "timestamp": T0 + timedelta(seconds=t),
                "repost_of": repost_of,
            }
        )

    eager = [rng.uniform(0.15, 0.35) for _ in range(40)]
    for k in range(80):
        t = k * 43_200.0
        post(f"c{k}", "celeb", t)
        for i, e in enumerate(eager):
            if rng.random() < e:
                post(f"c{k}-f{i}", f"fan{i}", t + 30 + rng.uniform(0, 25), f"c{k}")
    authors = [f"au{j}" for j in range(60)]
    for author in authors:
        for k in range(10):
            post(f"{author}-{k}", author, rng.uniform(0, 40 * 86_400))
    for i in range(200):
        for j in range(20):
            target = f"{rng.choice(authors)}-{rng.randrange(10)}"
            post(f"o{i}-{j}", f"org{i}", rng.uniform(0, 40 * 86_400), target)
    ring = [f"ring{m}" for m in range(6)]
    for k in range(8):
        t = 3_600.0 + k * 4 * 86_400
        author = ring[k % 6]
        post(f"seed{k}", author, t)
        for m in ring:
            if m != author:
                post(f"seed{k}-{m}", m, t + 60 + rng.expovariate(1 / 5), f"seed{k}")
    return pa.Table.from_pylist(rows, schema=POST_SCHEMA)


def test_fans_are_explained_by_their_own_habit_rings_are_not() -> None:
    """The source term: fans who each repost one celebrity at their own rate co-repost by
    habit (large p-values once the reposted posts' authors are known); a ring reposting its
    members' seeds stays far beyond chance."""
    posts = _fans_and_ring()
    opts = DetectOptions(
        kinds=("repost",), min_participation=1, min_weight=1, min_occasions=1, max_q=None
    )
    acts, _ = posts_to_actions(posts, opts.kinds)
    with_sources = detect_actions(acts, options=opts, posts=posts).edges.to_pylist()
    pool_only = {
        (e["account_a"], e["account_b"]): e
        for e in detect_actions(acts, options=opts).edges.to_pylist()
    }

    def kind(e: dict) -> str:
        return e["account_a"][:3] if e["account_a"][:3] == e["account_b"][:3] else "mixed"

    fans = [e for e in with_sources if kind(e) == "fan" and e["coactions"] >= 4]
    ring = [e for e in with_sources if kind(e) == "rin"]
    assert len(fans) > 50 and len(ring) == 15
    # the ring's members act on nothing but the seeds, so the pool term compares them with
    # the ~120 reposts of a seed's day (inconcert.significance): beyond chance, and beyond
    # every fan pair
    assert max(e["p_value"] for e in ring) < 1e-5
    assert max(e["p_value"] for e in ring) < min(e["p_value"] for e in fans) / 5
    assert all(e["expected_by_source"] == 0 for e in ring)  # no seed is reposted outside
    p = np.array([e["p_value"] for e in fans])
    assert np.median(p) > 0.05
    assert np.mean([e["q_value"] <= 0.01 for e in fans]) < 0.1
    assert all(e["expected_by_source"] > 0 for e in fans)
    # without the posts' authors only the pool term is left, and it cannot explain the fans
    alone = [pool_only[(e["account_a"], e["account_b"])] for e in fans]
    assert np.mean([e["q_value"] <= 0.01 for e in alone]) > 0.5
    assert all(e["expected_by_source"] == 0 for e in alone)
    for e in fans:
        assert (
            e["expected_coactions"]
            >= pool_only[(e["account_a"], e["account_b"])]["expected_coactions"]
        )


def test_significance_off_leaves_out_the_null_model() -> None:
    posts = _fans_and_ring()
    opts = DetectOptions(kinds=("repost",), min_participation=1, significance=False)
    acts, _ = posts_to_actions(posts, opts.kinds)
    edges = detect_actions(acts, options=opts, posts=posts).edges
    assert edges.num_rows
    assert not {"expected_coactions", "expected_by_source", "p_value", "q_value"} & set(
        edges.column_names
    )
    with pytest.raises(ParameterError, match="max_q"):
        DetectOptions(significance=False, max_q=0.05)


# -- the timing-aware source term ------------------------------------------------------------


def test_latency_overlap_by_hand() -> None:
    """Bins in windows: [0, 1], (1, 2], (2, 4], ... Two uniform latencies in [0, 1] are always
    within one window; one in [0, 1] and one in (1, 2] half the time (V - U <= 1 over the unit
    square below the diagonal); two in (2, 4] with probability 1 - (1 - 1/2)^2 = 3/4; one in
    (1, 2] and one in (2, 4]: E[(U - 1) / 2] = 1/4; bins 0 and 2 never meet."""
    m = latency_overlap(5)
    assert latency_bin_edges(5).tolist() == [0, 1, 2, 4, 8, 16]
    assert m[0, 0] == pytest.approx(1.0) and m[1, 1] == pytest.approx(1.0)
    assert m[0, 1] == pytest.approx(0.5) and m[1, 0] == pytest.approx(0.5)
    assert m[2, 2] == pytest.approx(0.75) and m[1, 2] == pytest.approx(0.25)
    assert m[0, 2] == 0.0 and m[4, 4] == pytest.approx(1 - (1 - 1 / 8) ** 2)
    assert np.allclose(m, m.T)


def test_timing_probability_worked_example() -> None:
    """The docstring's example: A always within a window of the post, B once so and three
    times 1–2 hours later (bin 7 at 60 s): 1/4 without the prior."""
    h_a = np.zeros(LATENCY_BINS)
    h_a[0] = 5
    h_b = np.zeros(LATENCY_BINS)
    h_b[0], h_b[7] = 1, 3
    prior = np.ones(LATENCY_BINS)
    assert timing_probability(h_a, h_b, prior, strength=0.0) == pytest.approx(0.25)
    # both always fast: certain; the prior pulls an account with no evidence towards everyone
    assert timing_probability(h_a, h_a, prior, strength=0.0) == pytest.approx(1.0)
    assert timing_probability(np.zeros(LATENCY_BINS), h_a, h_a, strength=2.0) == pytest.approx(1.0)


def test_source_term_by_hand_for_four_accounts() -> None:
    """Window 60 s. S posts s1..s4 (10,000 s apart), T posts t1, t2. A reposts s1, s2, s3 10 s
    after each and t1 after 3,000 s; B reposts s1, s2 after 20 s, s4 after 7,200 s, t2 after
    5,000 s. A and B co-repost s1 and s2 (k = 2).

    Habit: n_S = 4, n_A,S = n_B,S = 3, k_AB,S = 2, so π_B,S¬A = (3 - 2) / (4 - 3) = 1, and
    the same for A.
    Timing, leaving out s1 and s2: A has bin 0 (s3) and bin 6 (3,000 s = 50 windows, in
    (32, 64]); B has two in bin 7 (7,200 s = 120 and 5,000 s = 83 windows, in (64, 128]). The
    population's 8 latencies: 5 in bin 0, 1 in bin 6, 2 in bin 7; 2 pseudo-counts of them:
    p_A = (0.5625, 0.3125 at 6, 0.125 at 7), p_B = (0.3125, 0.0625 at 6, 0.625 at 7).
    With M[0,0] = 1, M[6,6] = 1 - (31/32)^2, M[7,7] = 1 - (63/64)^2, M[6,7] = 1/4096:
    P_t = 0.5625·0.3125 + 0.3125·(M66·0.0625 + M67·0.625) + 0.125·(M67·0.0625 + M77·0.625)
        = 0.179454803...
    source(A→B) = n_A,S · π_B,S¬A · P_t = 3 · 1 · P_t = source(B→A) = 0.538364410...
    """
    rows: list[dict] = []

    def post(pid: str, account: str, t: float, repost_of: str | None = None) -> None:
        rows.append(
            {
                "post_id": pid,
                "account_id": account,
                "timestamp": T0 + timedelta(seconds=t),
                "repost_of": repost_of,
            }
        )

    for k in range(4):
        post(f"s{k + 1}", "S", k * 10_000)
    post("t1", "T", 50_000)
    post("t2", "T", 60_000)
    for k in (1, 2, 3):
        post(f"a{k}", "A", (k - 1) * 10_000 + 10, f"s{k}")
    post("a4", "A", 53_000, "t1")
    for k in (1, 2):
        post(f"b{k}", "B", (k - 1) * 10_000 + 20, f"s{k}")
    post("b3", "B", 37_200, "s4")
    post("b4", "B", 65_000, "t2")
    posts = pa.Table.from_pylist(rows, schema=POST_SCHEMA)
    opts = DetectOptions(
        kinds=("repost",), min_participation=1, min_weight=1, min_occasions=1, max_q=None
    )
    acts, _ = posts_to_actions(posts, opts.kinds)
    (edge,) = detect_actions(acts, options=opts, posts=posts).edges.to_pylist()
    m66, m77, m67 = 1 - (31 / 32) ** 2, 1 - (63 / 64) ** 2, 1 / 4096
    p_t = (
        0.5625 * 0.3125
        + 0.3125 * (m66 * 0.0625 + m67 * 0.625)
        + 0.125 * (m67 * 0.0625 + m77 * 0.625)
    )
    assert p_t == pytest.approx(0.1794548034)
    assert edge["coactions"] == 2
    assert edge["expected_by_source"] == pytest.approx(3 * p_t, rel=1e-9)
    # the pool term leaves the pair's own co-actions out of the exposure: E_A¬B = 2 - 2 = 0
    assert edge["expected_coactions"] == pytest.approx(3 * p_t, rel=1e-9)


def _amplifier_ring_and_heavy_fans(seed: int = 3) -> pa.Table:
    """A ring of 10 accounts reposting one seed account's 12 posts, each member on ~85% of
    them within seconds, otherwise reposting like everyone else (30 organic reposts an hour or
    so after the post); 40 fans of a celebrity (60 posts), each reposting half of them, within
    5–15 s one time in seven and hours later otherwise; 800 ordinary accounts."""
    rng = random.Random(seed)
    rows: list[dict] = []
    times: dict[str, float] = {}

    def post(pid: str, account: str, t: float, repost_of: str | None = None) -> None:
        times[pid] = t
        rows.append(
            {
                "post_id": pid,
                "account_id": account,
                "timestamp": T0 + timedelta(seconds=t),
                "repost_of": repost_of,
            }
        )

    def later(median: float, sigma: float) -> float:
        return median * math.exp(rng.gauss(0, sigma))

    authors = [f"au{j}" for j in range(60)]
    for author in authors:
        for k in range(10):
            post(f"{author}-{k}", author, rng.uniform(0, 30 * 86_400))

    def organic(account: str, n: int) -> None:
        for j in range(n):
            target = f"{rng.choice(authors)}-{rng.randrange(10)}"
            post(f"{account}-o{j}", account, times[target] + 30 + later(3_600, 1.5), target)

    for k in range(60):
        t = 3_600 + k * 43_200.0
        post(f"c{k}", "celeb", t)
        for i in range(40):
            if rng.random() < 0.5:
                lag = rng.uniform(5, 15) if rng.random() < 1 / 7 else later(7_200, 1.0)
                post(f"c{k}-f{i}", f"fan{i:02d}", t + lag, f"c{k}")
    for i in range(40):
        organic(f"fan{i:02d}", 30)
    for k in range(12):
        t = 7_200 + k * 2.5 * 86_400
        post(f"s{k}", "seed", t)
        for m in range(10):
            if rng.random() < 0.85:
                post(f"s{k}-r{m}", f"ring{m}", t + 1 + rng.expovariate(1 / 6), f"s{k}")
    for m in range(10):
        organic(f"ring{m}", 30)
    for i in range(800):
        organic(f"org{i:03d}", 20)
    return pa.Table.from_pylist(rows, schema=POST_SCHEMA)


def test_one_account_ring_is_significant_heavy_tailed_fans_are_not() -> None:
    """The case the source term used to explain away: a ring amplifying one account looks like
    a fan base by habit (every member reposts that account), but not by timing: its members are
    within seconds of each other on most of the seed's posts and act an hour or so after a
    post otherwise. Fans who are quick only now and then are explained by their own latency."""
    posts = _amplifier_ring_and_heavy_fans()
    opts = DetectOptions(
        kinds=("repost",), min_participation=1, min_weight=1, min_occasions=1, max_q=None
    )
    acts, _ = posts_to_actions(posts, opts.kinds)
    edges = detect_actions(acts, options=opts, posts=posts).edges.to_pylist()

    def among(prefix: str) -> list[dict]:
        return [
            e
            for e in edges
            if e["account_a"].startswith(prefix) and e["account_b"].startswith(prefix)
        ]

    ring, fans = among("ring"), among("fan")
    assert len(ring) >= 40 and len(fans) > 200
    repeated = [e for e in ring if e["coactions"] >= 5]
    assert len(repeated) >= 30
    assert max(e["p_value"] for e in repeated) < 1e-5
    assert np.median([e["p_value"] for e in repeated]) < 1e-9
    p = np.array([e["p_value"] for e in fans])
    assert np.median(p) > 0.1
    assert max(e["q_value"] for e in repeated) < min(e["q_value"] for e in fans)


def test_habit_term_by_hand() -> None:
    """Window 60 s, so hour bins and a window share of 2·60/3600 = 1/30. #t is used by A at
    100 and 2,000 s (hour 0) and 8,000 s (hour 2), by B at 130 (hour 0), 4,000 and 5,000 s
    (hour 1), by C at 500, 3,000 (hour 0) and 4,500 s (hour 1): N = 9, per hour o = (5, 3, 1).
    A and B co-act once (100 and 130 s), so k_A = k_B = 1.

    A's side: S_A = Σ_h a_h (o_h - a_h) = 2·(5-2) + 1·(1-1) = 6; B's uses outside the
    evidence 3 - 1 = 2; N - n_A = 6: 6·2/6 · 1/30 = 1/15. B's side: S_B = 1·(5-1) + 2·(3-2)
    = 6, A's outside uses 2, N - n_B = 6: 1/15 too. expected_by_habit = 1/15."""
    rows = [
        ("A", "hashtag", "t", 100, "a1"),
        ("A", "hashtag", "t", 2_000, "a2"),
        ("A", "hashtag", "t", 8_000, "a3"),
        ("B", "hashtag", "t", 130, "b1"),
        ("B", "hashtag", "t", 4_000, "b2"),
        ("B", "hashtag", "t", 5_000, "b3"),
        ("C", "hashtag", "t", 500, "c1"),
        ("C", "hashtag", "t", 3_000, "c2"),
        ("C", "hashtag", "t", 4_500, "c3"),
    ]
    assert T0.hour == 12 and T0.minute == 0  # times above count from midnight (hour bins)
    acts = actions([(a, k, o, t - 12 * 3_600, p) for a, k, o, t, p in rows])
    opts = DetectOptions(
        kinds=("hashtag",), min_participation=1, min_weight=1, min_occasions=1, max_q=None
    )
    (edge,) = detect_actions(acts, options=opts).edges.to_pylist()
    assert (edge["account_a"], edge["account_b"], edge["coactions"]) == ("A", "B", 1)
    assert edge["expected_by_habit"] == pytest.approx(1 / 15, rel=1e-12)


def test_expectations_do_not_depend_on_how_long_the_collection_runs() -> None:
    """The pool term draws an account's actions from its own period's actions, not from the
    whole input: the same month with an unrelated month of other accounts beside it gives every
    pair the same expected co-actions and p-value (drawing from the whole input, the added
    month halved the pool term and made every pair look more significant)."""
    month = _amplifier_ring_and_heavy_fans()
    other = month.to_pydict()
    for column in ("post_id", "account_id", "repost_of"):
        other[column] = [None if v is None else f"{v}-later" for v in other[column]]
    other["timestamp"] = [t + timedelta(days=40) for t in other["timestamp"]]
    later = pa.Table.from_pydict(other, schema=POST_SCHEMA)
    opts = DetectOptions(
        kinds=("repost",), min_participation=1, min_weight=1, min_occasions=1, max_q=None
    )

    def edges(posts: pa.Table) -> dict[tuple[str, str], dict]:
        acts, _ = posts_to_actions(posts, opts.kinds)
        rows = detect_actions(acts, options=opts, posts=posts).edges.to_pylist()
        return {(e["account_a"], e["account_b"]): e for e in rows}

    alone = edges(month)
    both = edges(pa.concat_tables([month, later]))
    assert len(both) == 2 * len(alone)
    ratios = []
    for key, e in alone.items():
        for twin in (both[key], both[(f"{key[0]}-later", f"{key[1]}-later")]):
            assert twin["coactions"] == e["coactions"]
            if e["expected_coactions"] > 0:
                ratios.append(twin["expected_coactions"] / e["expected_coactions"])
    # this world has ~700 reposts a day, so days are merged into periods of about 1,000
    # actions (plan.pool_days_sql), and the second month's periods start where the first's left
    # off: a sparse pair's expectation moves with where the boundaries fall (as it would with
    # the time of day at which days start), but the pairs as a whole keep theirs, never the
    # half they were when the pool term drew from the whole input
    low, mid, high = np.quantile(ratios, [0.05, 0.5, 0.95])
    assert len(ratios) > len(alone)
    assert abs(mid - 1) < 0.01 and low > 0.7 and high < 1.4


def test_pool_periods_merge_sparse_days_in_time_order() -> None:
    import duckdb

    from inconcert import plan

    def pool_period_ids(counts: np.ndarray, min_actions: int) -> np.ndarray:
        # the definition: the actions of the kind on the days before, // min_actions
        return (np.cumsum(counts) - counts) // min_actions

    rng = np.random.default_rng(4)
    day = 86_400 * 1_000_000
    rows = {"kind": [], "t": []}
    for kind, per_day in (("url", [3000, 10, 900, 0, 0, 95, 1200, 4]), ("repost", [1, 2, 3])):
        for d, n in enumerate(per_day):
            rows["kind"] += [kind] * n
            rows["t"] += (d * day + rng.integers(0, day, n)).tolist()
    con = duckdb.connect()
    con.register("acts", pa.table(rows))
    got = con.execute(
        plan.pool_days_sql("acts", plan.DUCKDB, {}, day, 1_000) + " ORDER BY kind, d"
    ).fetchall()
    expected = []
    for kind, per_day in (("repost", [1, 2, 3]), ("url", [3000, 10, 900, 0, 0, 95, 1200, 4])):
        days = [d for d, n in enumerate(per_day) if n]
        counts = np.array([per_day[d] for d in days])
        ids = pool_period_ids(counts, 1_000)
        expected += [(kind, d, int(n), int(p)) for d, n, p in zip(days, counts, ids, strict=True)]
    assert got == expected
    # url: 3000 | 10 + 900 + 95 | 1200 | 4
    assert [p for k, _, _, p in got if k == "url"] == [0, 3, 3, 3, 4, 5]


def test_pool_terms_in_small_batches_are_the_same_to_the_last_bit() -> None:
    """The pool term's rows come a batch at a time (``Engine.fetch_batches``): with batches
    of 5 rows, every kind's and direction's sum runs over the same rows in the same order as
    in one batch, so the expected co-actions, p- and q-values are identical, not just close."""
    from collections.abc import Iterator

    from inconcert.engine import DuckDBEngine

    class SmallBatches(DuckDBEngine):
        batches = 0

        def fetch_batches(self, sql: str, rows: int = 5) -> Iterator[pa.RecordBatch]:
            for batch in super().fetch_batches(sql, 5):
                assert batch.num_rows <= 5
                SmallBatches.batches += 1
                yield batch

    sim = simulate(seed=3, n_organic=300, n_groups=3, days=6)
    opts = DetectOptions(min_weight=1, min_participation=1, min_occasions=1, max_q=None)
    acts, _ = posts_to_actions(sim.posts, opts.kinds)
    whole = detect_actions(acts, options=opts, posts=sim.posts).edges
    with SmallBatches() as eng:
        small = detect_actions(acts, options=opts, posts=sim.posts, engine=eng).edges
    kinds = {c.removesuffix("_coactions") for c in whole.column_names if c.endswith("_coactions")}
    assert len(kinds) >= 3 and whole.num_rows > 500
    assert SmallBatches.batches > 100
    assert pc.sum(whole.column("expected_coactions")).as_py() > 0
    assert small.equals(whole)
