"""Tests of pair and account scores against planted groups."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inconcert.errors import InputError
from inconcert.evaluate import Evaluation, evaluate_dir, evaluate_groups


def _truth(groups: dict[str, str | None]) -> pa.Table:
    return pa.table(
        {
            "account_id": pa.array(list(groups), pa.string()),
            "group_id": pa.array(list(groups.values()), pa.string()),
        }
    )


def _found(groups: dict[str, str | None], column: str = "group_id") -> pa.Table:
    return pa.table(
        {
            "account_id": pa.array(list(groups), pa.string()),
            column: pa.array(list(groups.values()), pa.string()),
        }
    )


# Planted {a, b, c} in g1 and {d, e} in g2; x and y are organic.
TRUTH = _truth({"a": "g1", "b": "g1", "c": "g1", "d": "g2", "e": "g2", "x": None, "y": None})


def test_hand_computed_example() -> None:
    # Detected {a, b} and {c, d, x}.
    #   true pairs      T  = C(3,2) + C(2,2)          = 3 + 1 = 4   (ab ac bc, de)
    #   predicted pairs P  = C(2,2) + C(3,2)          = 1 + 3 = 4   (ab, cd cx dx)
    #   correct pairs   TP = ab only                  = 1
    #                        ({c,d,x}: c in g1, d in g2, x organic: no pair in one planted group)
    #   precision = 1/4, recall = 1/4, F1 = 2 * (1/16) / (1/2) = 1/4
    #   planted accounts 5, of which a b c d detected: recall 4/5
    #   organic accounts 2, of which x detected: 1, share 1/2
    found = _found({"a": "1", "b": "1", "c": "2", "d": "2", "x": "2"})
    e = evaluate_groups(TRUTH, found)
    assert (e.true_pairs, e.predicted_pairs, e.correct_pairs) == (4, 4, 1)
    assert e.pair_precision == pytest.approx(0.25)
    assert e.pair_recall == pytest.approx(0.25)
    assert e.pair_f1 == pytest.approx(0.25)
    assert (e.planted_accounts, e.planted_recall) == (5, pytest.approx(0.8))
    assert (e.organic_accounts, e.organic_flagged, e.organic_flagged_share) == (2, 1, 0.5)
    assert (e.detected_groups, e.detected_accounts) == (2, 5)


def test_splitting_costs_recall_and_merging_costs_precision() -> None:
    truth = _truth({"a": "g", "b": "g", "c": "g", "d": "g", "e": "h", "f": "h", "x": None})
    # {a,b,c,d} split into {a,b} and {c,d}: P = 1 + 1 = 2, TP = 2, T = C(4,2) + C(2,2) = 7.
    split = evaluate_groups(truth, _found({"a": "1", "b": "1", "c": "2", "d": "2"}))
    assert split.pair_precision == 1.0
    assert split.pair_recall == pytest.approx(2 / 7)
    assert split.pair_f1 == pytest.approx(2 * (2 / 7) / (1 + 2 / 7))
    # Everyone in one group of 7: P = C(7,2) = 21, TP = T = 7.
    merged = evaluate_groups(truth, _found(dict.fromkeys("abcdefx", "1")))
    assert merged.pair_precision == pytest.approx(7 / 21)
    assert merged.pair_recall == 1.0
    assert merged.organic_flagged == 1


def test_perfect_detection_scores_one_whatever_the_labels() -> None:
    found = _found({"a": "7", "b": "7", "c": "7", "d": "x9", "e": "x9"})
    e = evaluate_groups(TRUTH, found)
    assert (e.pair_precision, e.pair_recall, e.pair_f1, e.planted_recall) == (1.0, 1.0, 1.0, 1.0)
    assert (e.organic_flagged, e.organic_flagged_share) == (0, 0.0)


def test_empty_detection() -> None:
    # Nothing predicted: no predicted pair is wrong (precision 1 by convention), none found.
    e = evaluate_groups(TRUTH, _found({}))
    assert (e.pair_precision, e.pair_recall, e.pair_f1) == (1.0, 0.0, 0.0)
    assert (e.planted_recall, e.organic_flagged, e.detected_groups, e.detected_accounts) == (
        0.0,
        0,
        0,
        0,
    )


def test_nothing_planted_nothing_found() -> None:
    truth = _truth({"a": None, "b": None})
    e = evaluate_groups(truth, _found({}))
    assert (e.pair_precision, e.pair_recall, e.pair_f1, e.planted_recall) == (1.0, 1.0, 1.0, 1.0)
    flagged = evaluate_groups(truth, _found({"a": "1", "b": "1"}))
    assert (flagged.pair_precision, flagged.pair_recall, flagged.pair_f1) == (0.0, 1.0, 0.0)
    assert flagged.organic_flagged_share == 1.0


def test_precision_and_recall_zero_give_f1_zero() -> None:
    e = evaluate_groups(TRUTH, _found({"a": "1", "d": "1"}))
    assert (e.pair_precision, e.pair_recall, e.pair_f1) == (0.0, 0.0, 0.0)


def test_singleton_groups_count_as_groups_but_make_no_pairs() -> None:
    e = evaluate_groups(TRUTH, _found({"a": "1", "b": "2", "c": "3"}))
    assert (e.detected_groups, e.predicted_pairs, e.pair_precision) == (3, 0, 1.0)
    assert e.planted_recall == pytest.approx(3 / 5)


def test_unassigned_rows_are_ignored_and_other_columns_work() -> None:
    found = pa.table(
        {
            "account_id": ["a", "b", "c", "x", "y"],
            "group_id": ["1", "1", "1", None, ""],
            "community_id": pa.array([3, 3, 4, None, None], pa.int64()),
        }
    )
    by_group = evaluate_groups(TRUTH, found)
    assert (by_group.detected_accounts, by_group.organic_flagged, by_group.pair_precision) == (
        3,
        0,
        1.0,
    )
    by_community = evaluate_groups(TRUTH, found, group_column="community_id")
    assert (by_community.predicted_pairs, by_community.correct_pairs) == (1, 1)


def test_integer_ids_compare_as_strings() -> None:
    truth = pa.table({"account_id": [1, 2, 3], "group_id": pa.array([5, 5, None], pa.int64())})
    found = pa.table({"account_id": ["1", "2"], "group_id": ["g", "g"]})
    assert evaluate_groups(truth, found).pair_f1 == 1.0


def test_as_dict_lists_every_score() -> None:
    d = evaluate_groups(TRUTH, _found({"a": "1", "b": "1"})).as_dict()
    assert list(d)[:10] == [
        "pair_precision",
        "pair_recall",
        "pair_f1",
        "planted_accounts",
        "planted_recall",
        "organic_accounts",
        "organic_flagged",
        "organic_flagged_share",
        "detected_groups",
        "detected_accounts",
    ]
    assert all(isinstance(v, int | float) for v in d.values())


@pytest.mark.parametrize(
    ("found", "message"),
    [
        (_found({"a": "1", "zz": "1"}), "not in the truth: zz"),
        (pa.table({"account_id": ["a", "a"], "group_id": ["1", "2"]}), "repeated account_id: a"),
        (pa.table({"account_id": ["a"]}), "missing column 'group_id'"),
        (pa.table({"account_id": [None, "a"], "group_id": ["1", "1"]}), "no account_id"),
    ],
)
def test_bad_assignments_are_refused(found: pa.Table, message: str) -> None:
    with pytest.raises(InputError, match=message):
        evaluate_groups(TRUTH, found)


def test_bad_truth_is_refused() -> None:
    with pytest.raises(InputError, match="repeated account_id: a"):
        evaluate_groups(pa.table({"account_id": ["a", "a"], "group_id": ["g", "g"]}), _found({}))
    with pytest.raises(InputError, match="missing column 'group_id'"):
        evaluate_groups(pa.table({"account_id": ["a"]}), _found({}))


def test_scales_to_a_million_accounts() -> None:
    n = 1_000_000
    rng = np.random.default_rng(0)
    ids = pa.array([f"a{i}" for i in range(n)])
    planted = rng.integers(0, 20_000, size=n)
    truth = pa.table(
        {"account_id": ids, "group_id": pa.array(planted, mask=planted >= 10_000).cast(pa.string())}
    )
    found = pa.table({"account_id": ids, "group_id": pa.array(planted % 5_000).cast(pa.string())})
    e = evaluate_groups(truth, found)
    assert 0.0 < e.pair_precision < 1.0 and e.pair_recall == 1.0
    assert e.planted_accounts + e.organic_accounts == n


# ---------------------------------------------------------------------------------------------
# property: agrees with brute-force pair enumeration
# ---------------------------------------------------------------------------------------------

_LABELS = st.one_of(st.none(), st.sampled_from("ABCD"))


@settings(max_examples=100, deadline=None)
@given(
    planted=st.lists(_LABELS, min_size=1, max_size=14),
    detected=st.lists(st.one_of(st.none(), st.sampled_from("wxyz")), min_size=14, max_size=14),
)
def test_scores_match_brute_force(planted: list[str | None], detected: list[str | None]) -> None:
    accounts = [f"a{i}" for i in range(len(planted))]
    truth = _truth(dict(zip(accounts, planted, strict=True)))
    found = _found({a: d for a, d in zip(accounts, detected, strict=False) if d is not None})
    e = evaluate_groups(truth, found)

    det = dict(zip(accounts, detected, strict=False))
    true_pairs = {
        (a, b)
        for (a, ga), (b, gb) in itertools.combinations(zip(accounts, planted, strict=True), 2)
        if ga is not None and ga == gb
    }
    predicted = {
        (a, b)
        for a, b in itertools.combinations(accounts, 2)
        if det.get(a) is not None and det.get(a) == det.get(b)
    }
    assert (e.true_pairs, e.predicted_pairs) == (len(true_pairs), len(predicted))
    assert e.correct_pairs == len(true_pairs & predicted)
    for score in (e.pair_precision, e.pair_recall, e.pair_f1, e.planted_recall):
        assert 0.0 <= score <= 1.0
    p, r = e.pair_precision, e.pair_recall
    assert e.pair_f1 == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)


@settings(max_examples=100, deadline=None)
@given(planted=st.lists(_LABELS, min_size=1, max_size=30))
def test_identical_partitions_score_one(planted: list[str | None]) -> None:
    accounts = [f"a{i}" for i in range(len(planted))]
    truth = _truth(dict(zip(accounts, planted, strict=True)))
    found = _found({a: f"d-{g}" for a, g in zip(accounts, planted, strict=True) if g})
    e = evaluate_groups(truth, found)
    assert (e.pair_precision, e.pair_recall, e.pair_f1) == (1.0, 1.0, 1.0)
    assert e.organic_flagged == 0


# ---------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_evaluate_dir_reads_truth_and_accounts(tmp_path: Path) -> None:
    truth = _write(
        tmp_path / "data" / "truth.csv",
        "account_id,group_id,behaviour\na,g1,url_ring\nb,g1,url_ring\nc,g1,url_ring\n"
        "d,g2,copypasta\ne,g2,copypasta\nx,,organic\ny,,viral_fan\n",
    )
    _write(
        tmp_path / "result" / "accounts.csv",
        "account_id,group_id,community_id,degree\na,1,10,2\nb,1,10,2\nc,2,20,1\nd,2,21,1\n"
        "x,2,21,1\n",
    )
    e = evaluate_dir(truth, tmp_path / "result")
    assert isinstance(e, Evaluation)
    assert (e.pair_precision, e.pair_recall, e.organic_flagged) == (0.25, 0.25, 1)
    # the truth's directory works too, and so does scoring communities
    by_community = evaluate_dir(tmp_path / "data", tmp_path / "result", group_column="community_id")
    assert (by_community.predicted_pairs, by_community.correct_pairs) == (2, 1)


def test_evaluate_dir_names_what_is_missing(tmp_path: Path) -> None:
    truth = _write(tmp_path / "truth.csv", "account_id,group_id\na,g\n")
    with pytest.raises(InputError, match=r"accounts\.csv.*not found"):
        evaluate_dir(truth, tmp_path / "result")
    _write(tmp_path / "result" / "accounts.csv", "account_id,group\na,1\n")
    with pytest.raises(InputError, match=r"accounts\.csv: missing column 'group_id'"):
        evaluate_dir(truth, tmp_path / "result")
    with pytest.raises(InputError, match=r"missing column 'community_id'"):
        evaluate_dir(truth, tmp_path / "result", group_column="community_id")
    with pytest.raises(InputError, match=r"nope\.csv.*not found"):
        evaluate_dir(tmp_path / "nope.csv", tmp_path / "result")
    _write(tmp_path / "result" / "accounts.csv", "account_id,group_id\nq,1\n")
    with pytest.raises(InputError, match=r"accounts\.csv: 1 accounts are not in the truth: q"):
        evaluate_dir(truth, tmp_path / "result")
