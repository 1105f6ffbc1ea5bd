"""The integer codes of the co-actions stage: accounts ranked in byte order (as the engines
compare names), posts and objects one code each."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from inconcert.stages.coactions import with_time

names = st.text(min_size=1, max_size=6)


def _actions(accounts: list[str], kinds: list[str], objects: list[str]) -> pa.Table:
    n = len(accounts)
    return pa.table(
        {
            "account_id": pa.array(accounts, pa.string()),
            "kind": pa.array(kinds, pa.string()),
            "object_id": pa.array(objects, pa.string()),
            "post_id": pa.array([f"p{i % 3}" for i in range(n)], pa.string()),
            "timestamp": pa.array([0] * n, pa.timestamp("us", tz="UTC")),
        }
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(names, st.sampled_from(["url", "hashtag", "text"]), names),
        min_size=1,
        max_size=40,
    )
)
def test_codes_follow_names(rows: list[tuple[str, str, str]]) -> None:
    accounts, kinds, objects = (list(c) for c in zip(*rows, strict=True))
    coded = with_time(_actions(accounts, kinds, objects)).to_pydict()
    n = len(rows)
    for i in range(n):
        for j in range(n):
            a, b = accounts[i].encode(), accounts[j].encode()
            # account codes order pairs exactly as byte order of the names
            assert (coded["acc"][i] < coded["acc"][j]) == (a < b)
            assert (coded["acc"][i] == coded["acc"][j]) == (a == b)
            same_object = (kinds[i], objects[i]) == (kinds[j], objects[j])
            assert (coded["obj"][i] == coded["obj"][j]) == same_object
            assert (coded["pst"][i] == coded["pst"][j]) == (
                coded["post_id"][i] == coded["post_id"][j]
            )


def test_codes_of_chunked_columns() -> None:
    table = pa.concat_tables(
        [_actions(["b", "a"], ["url", "url"], ["x", "y"]), _actions(["a"], ["hashtag"], ["x"])]
    )
    coded = with_time(table).to_pydict()
    assert coded["acc"] == [1, 0, 0]
    assert len(set(coded["obj"])) == 3


_ONE_PAIR = [("a", "url", "x", 0), ("b", "url", "x", 5), ("c", "neartext", "x", 9)]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d"]),
            st.sampled_from(["url", "hashtag", "neartext"]),
            st.sampled_from(["x", "y"]),
            st.integers(0, 200),
        ),
        min_size=2,
        max_size=40,
    )
)
@example(_ONE_PAIR)
def test_narrow_and_wide_coded_coactions_agree(rows: list[tuple[str, str, str, int]]) -> None:
    """The coded co-actions are the same pairs in 32-bit and 64-bit codes, and each pair's
    object code gives back the kind its two actions have (plan.kind_code_sql)."""
    from inconcert import plan
    from inconcert.engine import DuckDBEngine
    from inconcert.stages.coactions import load_actions

    table = pa.table(
        {
            "account_id": [r[0] for r in rows],
            "kind": [r[1] for r in rows],
            "object_id": [r[2] for r in rows],
            "post_id": [f"p{i}" for i in range(len(rows))],
            "timestamp": pa.array([r[3] * 10**6 for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )
    with DuckDBEngine() as eng:
        loaded = load_actions(eng, table)
        assert loaded.narrow
        eng.create("acts", plan.prefilter_sql(loaded.name, 1, "CAST(60000000 AS BIGINT)"))
        n = len(loaded.kind_codes)
        got = {}
        for narrow in (True, False):
            name = f"co_{int(narrow)}"
            eng.create(name, plan.coded_coactions_sql("acts", eng.dialect, narrow=narrow))
            got[narrow] = eng.fetch(
                f"SELECT CAST(c.obj AS BIGINT) AS obj, CAST(c.action_a AS BIGINT) AS a,"
                f" CAST(c.action_b AS BIGINT) AS b, {plan.kind_code_sql('c.obj', n)} AS kc,"
                f" x.kind AS kind_a, y.kind AS kind_b"
                f" FROM {name} c JOIN {loaded.name} x ON x.action_id = c.action_a"
                f" JOIN {loaded.name} y ON y.action_id = c.action_b ORDER BY a, b"
            ).to_pylist()
    assert got[True] == got[False]
    if rows == _ONE_PAIR:  # one url pair; the neartext action has no partner
        assert [(r["kind_a"], r["a"], r["b"]) for r in got[True]] == [("url", 0, 1)]
    for row in got[True]:
        assert row["kind_a"] == row["kind_b"]
        assert loaded.kind_codes[row["kind_a"]] == row["kc"]


_SIDES = st.tuples(st.integers(0, 5), st.integers(0, 6))  # (account, post) codes


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_SIDES, _SIDES), max_size=30), st.integers(0, 4))
@example([((0, 1), (1, 2)), ((0, 1), (2, 3)), ((1, 4), (2, 3))], 2)
def test_participation_counts_distinct_posts_on_either_side(
    pairs: list[tuple[tuple[int, int], tuple[int, int]]], min_participation: int
) -> None:
    """plan.participation_sql keeps the accounts with at least ``min_participation``
    distinct posts over both sides of the coded co-actions (for 2, by their smallest and
    largest post code), as a plain count does."""
    from inconcert import plan
    from inconcert.engine import DuckDBEngine

    co = pa.table(
        {
            "acc_a": pa.array([a[0] for a, _ in pairs], pa.int32()),
            "pst_a": pa.array([a[1] for a, _ in pairs], pa.int32()),
            "acc_b": pa.array([b[0] for _, b in pairs], pa.int32()),
            "pst_b": pa.array([b[1] for _, b in pairs], pa.int32()),
        }
    )
    posts: dict[int, set[int]] = {}
    for a, b in pairs:
        for acc, pst in (a, b):
            posts.setdefault(acc, set()).add(pst)
    expected = sorted(acc for acc, seen in posts.items() if len(seen) >= min_participation)
    with DuckDBEngine() as eng:
        eng.load("co", co)
        eng.create("part", plan.participation_sql("co", min_participation))
        got = eng.fetch("SELECT acc FROM part ORDER BY acc").column("acc").to_pylist()
    assert got == expected


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c"])), max_size=20),
    st.lists(st.one_of(st.none(), st.integers(0, 2)), max_size=20),
    st.data(),
)
def test_first_and_smallest_rows_match_a_plain_reference(
    keys: list[str | None], more: list[int | None], data: st.DataObject
) -> None:
    """``first_rows`` (per row, the first row with the same values, nulls equal) and
    ``smallest_rows`` (per code, the smallest of some rows with it, -1 for none)."""
    from inconcert._arrow import coded_values, first_rows, smallest_rows

    n = min(len(keys), len(more))
    pairs = list(zip(keys[:n], more[:n], strict=True))
    seen: dict[tuple[str | None, int | None], int] = {}
    want = [seen.setdefault(p, i) for i, p in enumerate(pairs)]
    columns = [pa.array(keys[:n], pa.string()), pa.array(more[:n], pa.int64())]
    assert first_rows(columns, n).tolist() == want

    codes, distinct = coded_values(columns[0])
    rows = sorted(data.draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n))) if n else []
    got = smallest_rows(codes, len(distinct), np.asarray(rows, dtype=np.int64)).tolist()
    expected = [min((r for r in rows if codes[r] == c), default=-1) for c in range(len(distinct))]
    assert got == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), names), max_size=20))
def test_sort_ranks_are_the_sorted_order_and_its_inverse(values: list[str | None]) -> None:
    """Byte order of the UTF-8 strings, nulls last, equal values in input order."""
    from inconcert._arrow import sort_ranks

    order, rank = sort_ranks(pa.array(values, pa.string()))
    want = sorted(
        range(len(values)),
        key=lambda i: (values[i] is None, (values[i] or "").encode("utf-8"), i),
    )
    assert order.tolist() == want
    assert [rank[i] for i in want] == list(range(len(values)))
