"""The integer codes of the co-actions stage: accounts ranked in byte order (as the engines
compare names), posts and objects one code each."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
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
