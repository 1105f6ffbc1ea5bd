"""The core on hand-made actions: window edge, self-pairs, participation, weights, determinism."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inconcert.actions import dedupe_actions, posts_to_actions
from inconcert.detect import detect_actions
from inconcert.errors import ParameterError
from inconcert.options import DetectOptions
from inconcert.simulate import simulate

from .helpers import actions, brute_force_coactions

LOOSE = DetectOptions(
    kinds=("url", "hashtag", "object"),
    min_participation=1,
    min_weight=1,
    max_burst=None,
    min_occasions=1,
    max_q=None,
)


def _evidence_set(result) -> set[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    return {
        (r["kind"], r["object_id"], r["account_a"], r["post_a"], r["account_b"], r["post_b"])
        for r in result.evidence.to_pylist()
    }


def test_window_edge_is_inclusive() -> None:
    acts = actions(
        [
            ("a", "url", "u1", 0, "p1"),
            ("b", "url", "u1", 60, "p2"),  # exactly at the window: co-acts with a
            ("c", "url", "u1", 121, "p3"),  # 61 s after b: co-acts with nobody
        ]
    )
    result = detect_actions(acts, options=LOOSE)
    assert _evidence_set(result) == {("url", "u1", "a", "p1", "b", "p2")}
    assert result.evidence.column("dt_s").to_pylist() == [60.0]


def test_one_second_past_the_window() -> None:
    acts = actions([("a", "url", "u1", 0, "p1"), ("b", "url", "u1", 61, "p2")])
    result = detect_actions(acts, options=LOOSE)
    assert result.edges.num_rows == 0
    assert result.groups.num_rows == 0
    assert result.accounts.num_rows == 0


def test_window_zero_means_same_instant() -> None:
    acts = actions(
        [("a", "url", "u", 0, "p1"), ("b", "url", "u", 0, "p2"), ("c", "url", "u", 1, "p3")]
    )
    opts = DetectOptions(
        kinds=("url",), window=0, min_participation=1, min_weight=1, min_occasions=1, max_q=None
    )
    assert _evidence_set(detect_actions(acts, options=opts)) == {("url", "u", "a", "p1", "b", "p2")}


def test_sub_second_times() -> None:
    acts = actions(
        [("a", "url", "u", 0.0, "p1"), ("b", "url", "u", 0.5, "p2"), ("c", "url", "u", 1.6, "p3")]
    )
    opts = DetectOptions(
        kinds=("url",), window=1, min_participation=1, min_weight=1, min_occasions=1, max_q=None
    )
    assert _evidence_set(detect_actions(acts, options=opts)) == {("url", "u", "a", "p1", "b", "p2")}


def test_self_pairs_are_not_coactions() -> None:
    acts = actions(
        [("a", "url", "u1", 0, "p1"), ("a", "url", "u1", 5, "p2"), ("a", "url", "u1", 6, "p3")]
    )
    assert detect_actions(acts, options=LOOSE).evidence.num_rows == 0


def test_kinds_and_objects_do_not_mix() -> None:
    acts = actions(
        [("a", "url", "x", 0, "p1"), ("b", "hashtag", "x", 1, "p2"), ("c", "url", "y", 1, "p3")]
    )
    assert detect_actions(acts, options=LOOSE).evidence.num_rows == 0


def test_duplicate_rows_are_one_action() -> None:
    acts = actions(
        [("a", "url", "u", 0, "p1"), ("a", "url", "u", 0, "p1"), ("b", "url", "u", 3, "p2")]
    )
    assert dedupe_actions(acts).num_rows == 2
    result = detect_actions(dedupe_actions(acts), options=LOOSE)
    assert result.edges.column("weight").to_pylist() == [1]


def test_per_kind_window() -> None:
    acts = actions(
        [
            ("a", "url", "u", 0, "p1"),
            ("b", "url", "u", 100, "p2"),
            ("a", "hashtag", "h", 0, "p1"),
            ("b", "hashtag", "h", 100, "p2"),
        ]
    )
    opts = DetectOptions(
        kinds=("url", "hashtag"),
        window=60,
        windows={"hashtag": 100},
        min_participation=1,
        min_weight=1,
        min_occasions=1,
        max_q=None,
    )
    assert _evidence_set(detect_actions(acts, options=opts)) == {
        ("hashtag", "h", "a", "p1", "b", "p2")
    }


def test_edge_columns_and_weights() -> None:
    # a and b co-share u1 on two days and u2 once; c joins once.
    day = 86_400
    acts = actions(
        [
            ("a", "url", "u1", 0, "a1"),
            ("b", "url", "u1", 4, "b1"),
            ("a", "url", "u1", day, "a2"),
            ("b", "url", "u1", day + 2, "b2"),
            ("a", "url", "u2", 2 * day, "a3"),
            ("b", "url", "u2", 2 * day + 10, "b3"),
            ("c", "url", "u2", 2 * day + 30, "c1"),
        ]
    )
    opts = DetectOptions(
        kinds=("url",), min_participation=1, min_weight=1, min_occasions=1, max_q=None
    )
    result = detect_actions(acts, options=opts)
    edges = {(r["account_a"], r["account_b"]): r for r in result.edges.to_pylist()}
    ab = edges[("a", "b")]
    assert ab["weight"] == 3 and ab["objects"] == 2 and ab["url_coactions"] == 3
    assert ab["url_objects"] == 2 and ab["days"] == 3
    assert ab["posts_a"] == 3 and ab["posts_b"] == 3 and ab["edge_symmetry_score"] == 1.0
    assert ab["min_dt_s"] == 2.0 and ab["max_dt_s"] == 10.0
    assert ab["mean_dt_s"] == pytest.approx(16 / 3)
    assert edges[("a", "c")]["weight"] == 1 and edges[("b", "c")]["weight"] == 1
    groups = result.groups.to_pylist()
    assert len(groups) == 1 and groups[0]["size"] == 3 and groups[0]["edges"] == 3
    assert groups[0]["density"] == 1.0
    # min_weight 2 keeps only a-b
    strict = detect_actions(
        acts,
        options=DetectOptions(
            kinds=("url",), min_participation=1, min_weight=2, min_occasions=1, max_q=None
        ),
    )
    assert [(r["account_a"], r["account_b"]) for r in strict.edges.to_pylist()] == [("a", "b")]


def test_min_participation_needs_both_accounts() -> None:
    # a and b coordinate twice; c coordinates with a once (one post) -> with mp=2, c is out.
    acts = actions(
        [
            ("a", "url", "u1", 0, "a1"),
            ("b", "url", "u1", 1, "b1"),
            ("c", "url", "u1", 2, "c1"),
            ("a", "url", "u2", 500, "a2"),
            ("b", "url", "u2", 501, "b2"),
            ("c", "url", "zz", 900, "c2"),
        ]
    )
    opts = DetectOptions(
        kinds=("url",), min_participation=2, min_weight=1, min_occasions=1, max_q=None
    )
    result = detect_actions(acts, options=opts)
    assert result.accounts.column("account_id").to_pylist() == ["a", "b"]


def test_min_participation_prefilter_counts_actions() -> None:
    acts = actions(
        [("a", "url", "u", 0, "a1"), ("b", "url", "u", 1, "b1"), ("a", "url", "v", 100, "a2")]
    )
    opts = DetectOptions(
        kinds=("url",), min_participation=2, min_weight=1, min_occasions=1, max_q=None
    )
    assert detect_actions(acts, options=opts).edges.num_rows == 0  # b has one action


def test_burst_cap_leaves_out_dense_moments_and_warns() -> None:
    rows = [(f"v{i:03d}", "url", "viral", i * 0.1, f"pv{i}") for i in range(30)]
    rows += [("a", "url", "calm", 0, "a1"), ("b", "url", "calm", 5, "b1")]
    opts = DetectOptions(
        kinds=("url",), min_participation=1, min_weight=1, max_burst=10, min_occasions=1, max_q=None
    )
    result = detect_actions(actions(rows), options=opts)
    assert _evidence_set(result) == {("url", "calm", "a", "a1", "b", "b1")}
    assert result.summary["actions_in_bursts"] == 30
    assert any("dense bursts" in w and "viral" in w for w in result.warnings)
    uncapped = detect_actions(
        actions(rows),
        options=DetectOptions(
            kinds=("url",),
            min_participation=1,
            min_weight=1,
            max_burst=None,
            min_occasions=1,
            max_q=None,
        ),
    )
    assert uncapped.evidence.num_rows == 30 * 29 // 2 + 1


def test_groups_and_communities() -> None:
    rows = []
    for k, members in enumerate((["a", "b", "c"], ["x", "y"])):
        for day in range(3):
            for j, m in enumerate(members):
                rows.append((m, "url", f"o{k}-{day}", day * 1000 + j, f"{m}{day}"))
    result = detect_actions(
        actions(rows), options=DetectOptions(kinds=("url",), max_q=None, min_occasions=1)
    )
    acc = {r["account_id"]: r for r in result.accounts.to_pylist()}
    assert acc["a"]["group_id"] == acc["b"]["group_id"] == acc["c"]["group_id"]
    assert acc["x"]["group_id"] == acc["y"]["group_id"] != acc["a"]["group_id"]
    assert acc["a"]["coordinated_posts"] == 3 and acc["a"]["posts"] == 3
    assert acc["a"]["degree"] == 2
    # a post's actions of two kinds are one post; posts with no co-action count too
    more = [*rows, ("a", "hashtag", "t", 500, "a1"), ("a", "url", "alone", 9000, "a-late")]
    more += [("a", "hashtag", "u", 9000, "a-late"), ("z", "url", "alone", 99_000, "z1")]
    again = detect_actions(
        actions(more), options=DetectOptions(kinds=("url", "hashtag"), max_q=None, min_occasions=1)
    )
    counted = {r["account_id"]: r["posts"] for r in again.accounts.to_pylist()}
    assert counted["a"] == 4 and counted["b"] == 3 and "z" not in counted
    assert sorted(result.groups.column("size").to_pylist()) == [2, 3]
    # groups are numbered by score, highest first
    scores = result.groups.column("score").to_pylist()
    assert result.groups.column("group_id").to_pylist() == [1, 2]
    assert scores == sorted(scores, reverse=True)


def test_deterministic() -> None:
    rows = [(f"acc{i % 7}", "url", f"u{i % 5}", (i * 37) % 200, f"p{i}") for i in range(120)]
    r1 = detect_actions(actions(rows), options=LOOSE)
    r2 = detect_actions(actions(list(reversed(rows))), options=LOOSE)
    for name in ("edges", "accounts", "groups", "evidence"):
        assert getattr(r1, name).equals(getattr(r2, name)), name


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError, match="'window' parameter must be a number >= 0"):
        DetectOptions(window=-1)
    with pytest.raises(ParameterError, match="'kinds'"):
        DetectOptions(kinds=("urls",))
    with pytest.raises(ParameterError, match="'edge_quantile'"):
        DetectOptions(edge_quantile=1.5)
    with pytest.raises(ParameterError, match="'min_weight'"):
        DetectOptions(min_weight=0)


_row = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(["url", "hashtag"]),
    st.sampled_from(["x", "y"]),
    st.integers(min_value=-200, max_value=400),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_row, min_size=0, max_size=40), window=st.integers(0, 120))
def test_matches_brute_force_and_wider_window_keeps_everything(
    rows: list[tuple[str, str, str, int]], window: int
) -> None:
    table = actions([(a, k, o, s, f"p{i}") for i, (a, k, o, s) in enumerate(rows)])
    opts = DetectOptions(
        kinds=("url", "hashtag"),
        window=window,
        min_participation=1,
        min_weight=1,
        max_burst=None,
        min_occasions=1,
        max_q=None,
    )
    got = _evidence_set(detect_actions(table, options=opts))
    assert got == brute_force_coactions(table, window)
    wider = DetectOptions(
        kinds=("url", "hashtag"),
        window=window + 30,
        min_participation=1,
        min_weight=1,
        max_burst=None,
        min_occasions=1,
        max_q=None,
    )
    assert got <= _evidence_set(detect_actions(table, options=wider))


def test_empty_input() -> None:
    empty = actions([])
    result = detect_actions(empty, options=LOOSE)
    assert result.edges.num_rows == result.groups.num_rows == result.evidence.num_rows == 0
    assert isinstance(result.accounts, pa.Table)


def test_weight_counts_post_pairs_not_matching_features() -> None:
    # One moment where a's post and b's post share a link and a hashtag: one event, 2 co-actions.
    acts = actions(
        [
            ("a", "url", "u", 0, "a1"),
            ("a", "hashtag", "h", 0, "a1"),
            ("b", "url", "u", 3, "b1"),
            ("b", "hashtag", "h", 3, "b1"),
        ]
    )
    result = detect_actions(acts, options=LOOSE)
    (edge,) = result.edges.to_pylist()
    assert edge["weight"] == 1 and edge["coactions"] == 2
    assert edge["url_coactions"] == 1 and edge["hashtag_coactions"] == 1
    assert (
        detect_actions(
            acts, options=DetectOptions(kinds=("url", "hashtag"), min_participation=1, min_weight=2)
        ).edges.num_rows
        == 0
    )


@pytest.mark.parametrize("weight_by", ["events", "coactions", "objects", "tfidf"])
def test_weight_options(weight_by: str) -> None:
    # a and b: three events on link u (two of them also share hashtag h); c joins once
    acts = actions(
        [
            ("a", "url", "u", 0, "a1"),
            ("a", "hashtag", "h", 0, "a1"),
            ("b", "url", "u", 2, "b1"),
            ("b", "hashtag", "h", 2, "b1"),
            ("a", "url", "u", 500, "a2"),
            ("a", "hashtag", "h", 500, "a2"),
            ("b", "url", "u", 502, "b2"),
            ("b", "hashtag", "h", 502, "b2"),
            ("a", "url", "u", 900, "a3"),
            ("b", "url", "u", 903, "b3"),
            ("c", "url", "u", 904, "c1"),
            ("c", "url", "w", 2000, "c2"),
            ("d", "url", "w", 5000, "d1"),
            ("d", "url", "z", 6000, "d2"),
        ]
    )
    opts = DetectOptions(
        kinds=("url", "hashtag"),
        min_participation=1,
        min_weight=1,
        weight_by=weight_by,
        min_occasions=1,
        max_q=None,
    )
    edges = {
        (e["account_a"], e["account_b"]): e
        for e in detect_actions(acts, options=opts).edges.to_pylist()
    }
    ab = edges[("a", "b")]
    assert (ab["events"], ab["coactions"], ab["objects"]) == (3, 5, 2)
    expected = {"events": 3, "coactions": 5, "objects": 2}.get(weight_by)
    if expected is not None:
        assert ab["weight"] == expected
    else:
        # a and b act on exactly the same objects the same number of times: cosine 1;
        # b and c share only the popular link u: a lower cosine
        assert ab["weight"] == pytest.approx(1.0)
        assert 0 < edges[("b", "c")]["weight"] < ab["weight"]
        assert ab["tfidf_cosine"] == ab["weight"]


def test_min_weight_counts_events_whatever_the_weight() -> None:
    acts = actions(
        [
            ("a", "url", "u", 0, "a1"),
            ("b", "url", "u", 1, "b1"),
            ("a", "url", "v", 50, "a2"),
            ("b", "url", "v", 51, "b2"),
        ]
    )
    opts = DetectOptions(
        kinds=("url",),
        min_participation=1,
        min_weight=2,
        weight_by="tfidf",
        min_occasions=1,
        max_q=None,
    )
    (edge,) = detect_actions(acts, options=opts).edges.to_pylist()
    assert edge["events"] == 2
    with pytest.raises(ParameterError, match="'weight_by'"):
        DetectOptions(weight_by="magic")


def test_occasions_count_separate_bursts() -> None:
    """Ten links pushed together in one burst are one occasion; the same pair meeting again on
    three other days makes four. With min_occasions 2 a one-afternoon pair is not kept."""
    rows = []
    for k in range(10):  # a and b: one burst of ten links within ten minutes
        rows.append(("a", "url", f"u{k}", 60.0 * k, f"a{k}"))
        rows.append(("b", "url", f"u{k}", 60.0 * k + 5, f"b{k}"))
    for k in range(10):  # c and d: the same burst ...
        rows.append(("c", "url", f"v{k}", 60.0 * k, f"c{k}"))
        rows.append(("d", "url", f"v{k}", 60.0 * k + 5, f"d{k}"))
    for day in (1, 2, 3):  # ... and three more days
        rows.append(("c", "url", f"w{day}", day * 86_400.0, f"cw{day}"))
        rows.append(("d", "url", f"w{day}", day * 86_400.0 + 5, f"dw{day}"))
    acts = actions(rows)
    opts = DetectOptions(
        kinds=("url",), min_participation=1, min_weight=1, min_occasions=1, max_q=None
    )
    edges = {
        (e["account_a"], e["account_b"]): e
        for e in detect_actions(acts, options=opts).edges.to_pylist()
    }
    assert edges[("a", "b")]["occasions"] == 1 and edges[("a", "b")]["events"] == 10
    assert edges[("c", "d")]["occasions"] == 4
    strict = DetectOptions(kinds=("url",), min_participation=1, min_weight=1, min_occasions=2)
    kept = detect_actions(acts, options=strict).edges
    assert kept.column("account_a").to_pylist() == ["c"]
    # a gap of a day or more joins everything into one occasion
    one = DetectOptions(
        kinds=("url",),
        min_participation=1,
        min_weight=1,
        occasion_gap=86_400,
        min_occasions=1,
        max_q=None,
    )
    assert {e["occasions"] for e in detect_actions(acts, options=one).edges.to_pylist()} == {1}


def test_pruning_keeps_exactly_the_edges_a_full_count_keeps() -> None:
    """Pairs with fewer co-actions than the thresholds are dropped before the distinct counts:
    the kept edges and every count on them are those of an unpruned run, thresholded after."""
    sim = simulate(n_organic=300, n_groups=3, days=7, viral_bursts=2, breaking_news=2, seed=4)
    opts = DetectOptions(min_weight=3, min_occasions=2, significance=False)
    acts, _ = posts_to_actions(sim.posts, opts.kinds)
    pruned = detect_actions(acts, options=opts).edges
    full = detect_actions(
        acts, options=DetectOptions(min_weight=1, significance=False, min_occasions=1)
    ).edges
    full = full.filter(
        pc.and_(
            pc.greater_equal(full.column("events"), 3),
            pc.greater_equal(full.column("occasions"), 2),
        )
    )
    assert pruned.num_rows > 10
    cols = [c for c in full.column_names if c not in ("group_id", "component_id")]
    assert pruned.select(cols).to_pylist() == full.select(cols).to_pylist()


def test_groups_are_communities_inside_a_bridged_component() -> None:
    """Four personas of eight accounts each push their own links on four days; a few accounts
    of each persona also meet one of the next persona now and then, so the kept network is one
    connected component. The groups are the personas (Leiden), the component a column."""
    rows = []
    for g in range(4):
        for day in range(4):
            for m in range(8):
                t = day * 86_400 + g * 3_600 + m
                rows.append((f"g{g}m{m}", "url", f"site{g}/{day}", t, f"g{g}m{m}d{day}"))
        # a bridge: member 0 of this persona and member 7 of the next share two links
        for day in range(2):
            t = 10 * 86_400 + day * 86_400 + g * 600
            nxt = (g + 1) % 4
            rows.append((f"g{g}m0", "url", f"bridge{g}/{day}", t, f"b{g}a{day}"))
            rows.append((f"g{nxt}m7", "url", f"bridge{g}/{day}", t + 3, f"b{g}b{day}"))
            rows.append((f"g{g}m0", "url", f"bridge{g}/{day}/x", t + 5, f"b{g}c{day}"))
            rows.append((f"g{nxt}m7", "url", f"bridge{g}/{day}/x", t + 7, f"b{g}d{day}"))
    opts = DetectOptions(kinds=("url",), min_participation=1, max_q=None)
    result = detect_actions(actions(rows), options=opts)
    acc = result.accounts.to_pylist()
    assert len({a["component_id"] for a in acc}) == 1
    by_group: dict[int, set[str]] = {}
    for a in acc:
        by_group.setdefault(a["group_id"], set()).add(a["account_id"][:2])
    assert len(by_group) == 4 and all(len(p) == 1 for p in by_group.values())
    bridges = [e for e in result.edges.to_pylist() if e["group_id"] is None]
    assert len(bridges) == 4 and all(e["component_id"] == 1 for e in bridges)


def test_group_days_and_one_line_summary() -> None:
    """groups.csv says in one line what a group did, on how many days, how fast; no ids."""
    rows = []
    for day in range(3):
        rows.append(("a", "url", f"u{day}", day * 86_400.0, f"a{day}"))
        rows.append(("b", "url", f"u{day}", day * 86_400.0 + 5, f"b{day}"))
    opts = DetectOptions(kinds=("url",), min_participation=1, max_q=None)
    (group,) = detect_actions(actions(rows), options=opts).groups.to_pylist()
    assert group["days"] == 3
    assert group["summary"] == (
        "2 accounts, 3 co-actions on 3 days (2024-03-01 to 2024-03-03): url 3; median 5 s apart"
    )


def test_account_name_is_the_latest_posts_name_ties_to_the_smallest() -> None:
    """An account's name (accounts.csv, network labels, the evidence's authors) is the name on
    its latest post that has one; at the same time, the smallest; posts without a name do not
    count; only the accounts asked for are looked up."""
    from inconcert.engine import DuckDBEngine
    from inconcert.stages.posts import account_names, load_posts

    t = pa.array([1, 5, 3, 7, 7, 2, 9, 4], pa.int64()).cast(pa.timestamp("s", tz="UTC"))
    posts = pa.table(
        {
            "post_id": [f"p{i}" for i in range(8)],
            "account_id": ["a", "a", "a", "b", "b", "c", "c", "d"],
            "timestamp": t,
            "account_name": ["old", "new", "mid", "zed", "amy", "only", None, "dee"],
        }
    )
    with DuckDBEngine() as eng:
        rel = load_posts(eng, posts)
        assert rel.columns == ("account_name",) and rel.rows == 8
        names = account_names(eng, rel, pa.array(["c", "b", "a", "x", "a"]))
        unnamed = load_posts(eng, posts.drop_columns(["account_name"]), "ic_unnamed")
        assert account_names(eng, unnamed, pa.array(["a"])) is None
    assert names is not None
    assert names.to_pylist() == [
        {"account_id": "a", "account_name": "new"},
        {"account_id": "b", "account_name": "amy"},
        {"account_id": "c", "account_name": "only"},
    ]


def test_a_permalink_column_without_links_still_gives_the_link_columns() -> None:
    """Posts with a ``permalink`` column that is empty throughout: the evidence has its
    ``link_a``/``link_b`` columns (null), as with any permalink column."""
    acts = actions([("a", "url", "u", 0, "p1"), ("b", "url", "u", 5, "p2")])
    posts = pa.table(
        {
            "post_id": ["p1", "p2"],
            "account_id": ["a", "b"],
            "timestamp": pa.array([0, 5_000_000], pa.timestamp("us", tz="UTC")),
            "text": ["one", "two"],
            "permalink": pa.array([None, None], pa.string()),
        }
    )
    result = detect_actions(acts, options=LOOSE, posts=posts)
    assert result.evidence.num_rows == 1
    assert result.evidence.column("link_a").to_pylist() == [None]
    assert result.evidence.column("text_b").to_pylist() == ["two"]


def test_posts_with_a_repeated_id_describe_it_by_its_first_row() -> None:
    """A posts table given to detect_actions may repeat a post id (detect's readers reject
    that): the post is its first row, so each co-action is one evidence row (the repeats used
    to multiply them), with the first row's text and link."""
    acts = actions([("a", "url", "u", 0, "p1"), ("b", "url", "u", 5, "p2")])
    posts = pa.table(
        {
            "post_id": ["p1", "p2", "p2", None, "p2"],
            "account_id": ["a", "b", "b", "c", "b"],
            "timestamp": pa.array([0, 5, 6, 7, 8], pa.timestamp("s", tz="UTC")),
            "text": ["one", "two", "again", "none", "third"],
            "permalink": ["l1", "l2", "l2b", None, "l2c"],
        }
    )
    result = detect_actions(acts, options=LOOSE, posts=posts)
    assert result.evidence.num_rows == 1
    row = result.evidence.to_pylist()[0]
    assert (row["text_a"], row["text_b"], row["link_a"], row["link_b"]) == (
        "one",
        "two",
        "l1",
        "l2",
    )


def test_fetch_batches_hands_over_the_whole_result_in_order() -> None:
    """``fetch_batches`` yields the rows ``fetch`` returns, in the same order, at most ``rows``
    at a time, and nothing for an empty result; a query that fails before its first batch or
    while the batches stream raises DuckDB's error (not the ``OSError`` Arrow's reader turns
    it into), and running out of memory while streaming is a :class:`ResourceError`, as in
    ``fetch``."""
    from collections.abc import Iterator

    import duckdb

    from inconcert.engine import DuckDBEngine
    from inconcert.errors import ResourceError

    with DuckDBEngine() as eng:
        eng.create("t", "SELECT range AS x, range % 7 AS k FROM range(1000)")
        sql = "SELECT k, x FROM t ORDER BY k, x DESC"
        batches = list(eng.fetch_batches(sql, 64))
        assert all(0 < b.num_rows <= 64 for b in batches) and len(batches) >= 16
        assert pa.Table.from_batches(batches).equals(eng.fetch(sql))
        assert list(eng.fetch_batches("SELECT x FROM t WHERE x < 0")) == []
        with pytest.raises(duckdb.Error):
            list(eng.fetch_batches("SELECT nope FROM t"))
        late = "SELECT CASE WHEN range > 5000 THEN error('boom') ELSE range END FROM range(100000)"
        with pytest.raises(duckdb.Error, match="boom") as failed:
            list(eng.fetch_batches(late, 8))
        assert not isinstance(failed.value, OSError)
        assert eng.fetch("SELECT COUNT(*) AS n FROM t").column("n")[0].as_py() == 1000

        class OutOfMemoryMidway:
            """DuckDB's connection, whose streamed results run out of memory after a batch."""

            def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
                self.con = con

            def sql(self, query: str) -> OutOfMemoryMidway:
                return self

            def to_arrow_reader(self, rows: int) -> Iterator[pa.RecordBatch]:
                yield pa.record_batch({"x": [1, 2]})
                raise OSError("Out of Memory Error: failed to pin block of size 256.0 KiB")

            def __getattr__(self, name: str) -> object:
                return getattr(self.con, name)

        eng.con = OutOfMemoryMidway(eng.con)  # type: ignore[assignment]
        got = []
        with pytest.raises(ResourceError, match="memory limit"):
            for batch in eng.fetch_batches("SELECT 1", 8):
                got.append(batch.num_rows)
        assert got == [2]
        eng.con = eng.con.con  # type: ignore[attr-defined]
