"""Tests of pair and account scores against planted groups."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from inconcert.cli import app
from inconcert.errors import InputError, ParameterError
from inconcert.evaluate import (
    Evaluation,
    ScoreMetrics,
    account_scores_metrics,
    adjusted_rand_index,
    evaluate_dir,
    evaluate_groups,
)


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


# ---------------------------------------------------------------------------------------------
# ranking scores: ROC-AUC, average precision, precision@k
# ---------------------------------------------------------------------------------------------

# Positives a, b; negatives c, d, e, f. Scores a 3, b 1, c 1, f 1, e 0.5; d has none (0).
TIED_LABELS = {"a": True, "b": True, "c": False, "d": False, "e": False, "f": False}
TIED_SCORES = {"a": 3.0, "b": 1.0, "c": 1.0, "f": 1.0, "e": 0.5}


def test_roc_auc_by_hand_with_ties() -> None:
    # Average ranks, ascending: d(0) 1, e(0.5) 2, b c f (1) (3+4+5)/3 = 4 each, a(3) 6.
    #   R+ = rank(a) + rank(b) = 6 + 4 = 10;  U = R+ - n+(n+ + 1)/2 = 10 - 3 = 7
    #   AUC = U / (n+ n-) = 7 / (2 * 4) = 0.875
    # Same by pairs: a beats c d e f (4); b ties c and f (1/2 + 1/2), beats d and e (2): 7.
    m = account_scores_metrics(TIED_LABELS, TIED_SCORES)
    assert m.roc_auc == 0.875
    assert (m.accounts, m.positives, m.negatives, m.scored_accounts) == (6, 2, 4, 5)
    assert m.undefined is None


def test_average_precision_by_hand_with_ties() -> None:
    # Thresholds from the top; tied accounts enter together (no interpolation):
    #   >= 3: {a}           tp 1 fp 0  precision 1    recall 1/2  (recall step 1/2)
    #   >= 1: {a, b, c, f}  tp 2 fp 2  precision 1/2  recall 1    (recall step 1/2)
    #   lower thresholds add no positive (recall step 0)
    #   AP = 1/2 * 1 + 1/2 * 1/2 = 0.75
    # (Breaking the b/c/f tie with b first would give 1.0, with b last 1/2 + 1/2 * 2/4 = 0.75:
    # the grouped value is not an average of orders.)
    m = account_scores_metrics(TIED_LABELS, TIED_SCORES)
    assert m.average_precision == 0.75


def test_precision_at_k_breaks_ties_by_account_id() -> None:
    # Order: a (3); b, c, f (1) by id; e (0.5); d (0).
    m = account_scores_metrics(TIED_LABELS, TIED_SCORES, k=[1, 2, 3, 4, 10])
    assert m.precision_at_k == {
        1: 1.0,
        2: 1.0,
        3: pytest.approx(2 / 3),
        4: 0.5,
        10: pytest.approx(2 / 6),
    }
    # k beyond the accounts: the share among all of them (2 of 6), not 2 of 10.
    # Renaming b to z puts it after c and f in the tie: the top 2 is a, c.
    renamed = {("z" if a == "b" else a): v for a, v in TIED_LABELS.items()}
    scores = {("z" if a == "b" else a): v for a, v in TIED_SCORES.items()}
    m2 = account_scores_metrics(renamed, scores, k=[2, 4])
    assert m2.precision_at_k == {2: 0.5, 4: 0.5}
    # AUC and AP do not depend on ids
    assert (m2.roc_auc, m2.average_precision) == (m.roc_auc, m.average_precision)


def test_default_k_and_flat_dict() -> None:
    m = account_scores_metrics(TIED_LABELS, TIED_SCORES)
    assert list(m.precision_at_k) == [10, 50, 100]
    d = m.as_dict()
    assert list(d) == [
        "roc_auc",
        "average_precision",
        "precision_at_10",
        "precision_at_50",
        "precision_at_100",
        "accounts",
        "positives",
        "negatives",
        "scored_accounts",
    ]
    assert isinstance(m, ScoreMetrics) and hash(m) == hash(m)


def test_scores_of_unlabelled_accounts_are_ignored() -> None:
    m = account_scores_metrics({"a": True, "b": False}, {"a": 1.0, "b": 2.0, "zz": 9.0})
    assert (m.roc_auc, m.average_precision, m.accounts, m.scored_accounts) == (0.0, 0.5, 2, 2)


def test_no_negatives_or_no_positives() -> None:
    only_pos = account_scores_metrics({"a": True, "b": True}, {"a": 1.0}, k=[1])
    assert math.isnan(only_pos.roc_auc) and "no negative" in (only_pos.undefined or "")
    assert only_pos.average_precision == 1.0 and only_pos.precision_at_k == {1: 1.0}
    only_neg = account_scores_metrics({"a": False, "b": 0}, {"a": 1.0}, k=[1])
    assert math.isnan(only_neg.roc_auc) and math.isnan(only_neg.average_precision)
    assert "no positive" in (only_neg.undefined or "") and only_neg.precision_at_k == {1: 0.0}


def test_all_scores_tied_is_chance() -> None:
    m = account_scores_metrics({"a": True, "b": False, "c": False, "d": True}, {}, k=[4])
    # every account scores 0: AUC 1/2, AP = precision at the single threshold = 2/4
    assert (m.roc_auc, m.average_precision, m.precision_at_k[4]) == (0.5, 0.5, 0.5)


@pytest.mark.parametrize(
    ("labels", "scores", "k", "name"),
    [
        ({}, {}, (10,), "labels"),
        ({"a": True}, {}, (0,), "k"),
        ({"a": True}, {}, (True,), "k"),
        ({"a": True}, {}, (2.5,), "k"),
        ({"a": True}, {"a": math.nan}, (1,), "scores"),
        ({"a": True}, {"a": math.inf}, (1,), "scores"),
        ({"a": True}, {"a": "high"}, (1,), "scores"),
        ({"a": "yes"}, {}, (1,), "labels['a']"),
        ({"a": 2}, {}, (1,), "labels['a']"),
    ],
)
def test_bad_arguments_are_parameter_errors(
    labels: dict[str, object], scores: dict[str, object], k: tuple[object, ...], name: str
) -> None:
    with pytest.raises(ParameterError) as info:
        account_scores_metrics(labels, scores, k=k)  # type: ignore[arg-type]
    assert info.value.name == name


def test_tables_as_input() -> None:
    labels = pa.table(
        {"account_id": list("abcdef"), "label": ["1", "YES", " no ", "False", "organic", "0"]}
    )
    scores = pa.table({"account_id": list("abcf"), "score": pa.array([3, 1, 1, None])})
    # a b positive; c d e f negative; f's null score counts 0 like d's and e's absent ones
    m = account_scores_metrics(labels, scores)
    # a beats all 4 (4); b ties c (1/2) and beats d e f (3): U = 7.5, AUC = 7.5 / 8
    assert m.roc_auc == pytest.approx(7.5 / 8) and m.scored_accounts == 3
    truth = pa.table({"account_id": list("abc"), "group_id": ["g", "g", None]})
    by_groups = account_scores_metrics(
        truth, pa.table({"account_id": ["c"], "s": [1.0]}), score_column="s"
    )
    assert (by_groups.positives, by_groups.roc_auc) == (2, 0.0)
    with pytest.raises(InputError, match="repeated account_id: a"):
        account_scores_metrics(labels, pa.table({"account_id": ["a", "a"], "score": [1, 2]}))
    with pytest.raises(InputError, match=r"row 2: unknown label 'maybe'"):
        account_scores_metrics(pa.table({"account_id": ["a", "b"], "label": ["1", "maybe"]}), {})
    with pytest.raises(InputError, match="missing column 'score'"):
        account_scores_metrics(labels, pa.table({"account_id": ["a"], "strength": [1]}))


# ---------------------------------------------------------------------------------------------
# adjusted Rand index
# ---------------------------------------------------------------------------------------------


def _ari(true: list[object], pred: list[object], **kw: object) -> float:
    accounts = [f"a{i}" for i in range(len(true))]
    return adjusted_rand_index(
        dict(zip(accounts, true, strict=True)),  # type: ignore[arg-type]
        dict(zip(accounts, pred, strict=True)),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_ari_classic_example() -> None:
    # truth [0, 0, 1, 1], predicted [0, 0, 1, 2]; n = 4, C(4, 2) = 6 pairs.
    #   contingency: (t0, p0) = 2, (t1, p1) = 1, (t1, p2) = 1
    #   index    = sum C(n_ij, 2) = C(2,2)              = 1
    #   a        = sum C(a_i, 2)  = C(2,2) + C(2,2)     = 2
    #   b        = sum C(b_j, 2)  = C(2,2) + 0 + 0      = 1
    #   expected = a b / C(n, 2)  = 2 / 6               = 1/3
    #   max      = (a + b) / 2                          = 3/2
    #   ARI = (1 - 1/3) / (3/2 - 1/3) = (2/3) / (7/6) = 4/7 = 0.571428...
    # 4/7 is 0.5714285714285714 as a double (what sklearn returns: exact integers until one
    # division); the Hubert–Arabie expression evaluated step by step in floating point gives
    # 0.5714285714285715, one unit in the last place above.
    ari = _ari([0, 0, 1, 1], [0, 0, 1, 2])
    assert ari == 4 / 7 == 0.5714285714285714
    assert ari == pytest.approx(0.5714285714285715)
    assert _ari(["x", "x", "y", "y"], ["q", "q", "r", "s"]) == ari


def test_ari_worse_than_chance_and_trivial_cases() -> None:
    # all contingency cells 1: index 0, a = b = 2, expected 2/3, max 2 -> (0 - 2/3)/(4/3) = -1/2
    assert _ari([0, 0, 1, 1], [0, 1, 0, 1]) == -0.5
    # one group vs all apart: index 0, a = 6, b = 0, expected 0, max 3 -> 0
    assert _ari([1, 1, 1, 1], [1, 2, 3, 4]) == 0.0
    assert _ari([], []) == 1.0 and _ari([1], [2]) == 1.0
    assert _ari([1, 1], [5, 5]) == 1.0 and _ari([1, 2], [5, 6]) == 1.0


def test_ari_organic_accounts_are_singletons() -> None:
    # truth {a, b}, {x}, {y}; predicted {a, b}, {x, y}: as the classic example, 4/7
    assert _ari(["g", "g", None, None], ["1", "1", "2", "2"]) == 4 / 7
    # organic accounts left undetected agree with the truth
    assert _ari(["g", "g", None, None], ["1", "1", None, None]) == 1.0


def test_ari_universe() -> None:
    truth = {"a": "g", "b": "g"}
    predicted = {"a": "1", "b": "1", "z": "1"}
    assert adjusted_rand_index(truth, predicted) == 1.0  # z is not in the truth: ignored
    # union: truth {a, b}, {z}; predicted {a, b, z}: index 1, a 1, b 3, expected 1, max 2 -> 0
    assert adjusted_rand_index(truth, predicted, universe="union") == 0.0
    assert adjusted_rand_index(truth, predicted, universe="both") == 1.0
    # an explicit universe: q is in neither, a singleton in both
    assert adjusted_rand_index(truth, predicted, universe=["a", "b", "q"]) == 1.0
    # absent from predicted: a singleton
    assert adjusted_rand_index(truth, {"a": "1"}) == 0.0
    with pytest.raises(ParameterError, match="universe"):
        adjusted_rand_index(truth, predicted, universe="everyone")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Evaluation: ARI and ranking scores
# ---------------------------------------------------------------------------------------------


def test_evaluation_ari_by_hand() -> None:
    # As test_hand_computed_example: n = 7 accounts, C(7, 2) = 21 pairs, T = P = 4, TP = 1.
    #   expected = T P / 21 = 16/21, max = 4 -> ARI = (1 - 16/21) / (4 - 16/21) = 5/68
    found = _found({"a": "1", "b": "1", "c": "2", "d": "2", "x": "2"})
    e = evaluate_groups(TRUTH, found)
    assert e.ari == pytest.approx(5 / 68)
    truth_map = dict(zip(*TRUTH.to_pydict().values(), strict=True))
    found_map = dict(zip(*found.to_pydict().values(), strict=True))
    assert e.ari == adjusted_rand_index(truth_map, found_map)
    assert all(math.isnan(v) for v in (e.roc_auc, e.average_precision, e.precision_at_10))
    assert e.score_column is None
    assert (
        evaluate_groups(TRUTH, _found({"a": "7", "b": "7", "c": "7", "d": "9", "e": "9"})).ari
        == 1.0
    )


def test_evaluation_scores_a_column_over_every_truth_account() -> None:
    found = pa.table(
        {"account_id": list("abcdx"), "group_id": ["1"] * 5, "strength": [5, 5, 2, 1, 2]}
    )
    e = evaluate_groups(TRUTH, found, score_column="strength")
    # positives a 5, b 5, c 2, d 1, e 0 (absent); negatives x 2, y 0 (absent)
    #   AUC: a 2, b 2, c 1/2 + 1, d 1, e 1/2 -> U = 7 of 5 * 2 = 10 -> 0.7
    #   AP: >=5 {a,b} P 1 R 2/5; >=2 {+c,x} P 3/4 R 3/5; >=1 {+d} P 4/5 R 4/5;
    #       >=0 {+e,y} P 5/7 R 1 -> 2/5 + 1/5 (3/4 + 4/5 + 5/7) = 0.852857...
    #   precision@10 over 7 accounts: 5/7
    assert e.roc_auc == pytest.approx(0.7)
    assert e.average_precision == pytest.approx(2 / 5 + (3 / 4 + 4 / 5 + 5 / 7) / 5)
    assert e.precision_at_10 == e.precision_at_100 == pytest.approx(5 / 7)
    assert e.score_column == "strength"
    d = e.as_dict()
    assert "score_column" not in d and list(d)[-6:] == [
        "ari",
        "roc_auc",
        "average_precision",
        "precision_at_10",
        "precision_at_50",
        "precision_at_100",
    ]
    assert all(isinstance(v, int | float) for v in d.values())


def _result(tmp_path: Path, text: str) -> Path:
    return _write(tmp_path / "result" / "accounts.csv", text)


GROUPS_TRUTH = "account_id,group_id\na,g1\nb,g1\nc,g1\nd,g2\ne,g2\nx,\ny,\n"  # as TRUTH


def test_evaluate_dir_prefers_a_numeric_score_then_strength(tmp_path: Path) -> None:
    truth = _write(tmp_path / "truth.csv", GROUPS_TRUTH)
    header = "account_id,group_id,strength"
    _result(tmp_path, f"{header},score\na,1,1,9\nb,1,1,8\nx,1,9,0.5\n")
    e = evaluate_dir(truth, tmp_path / "result")
    # score: a 9, b 8 beat x 0.5 and y 0; c d e (0) lose to x, tie with y: U = 2 + 2 + 3/2
    assert (e.score_column, e.roc_auc) == ("score", pytest.approx((2 + 2 + 3 * 0.5) / 10))
    _result(tmp_path, f"{header}\na,1,1\nb,1,1\nx,1,9\n")
    e = evaluate_dir(truth, tmp_path / "result")
    # strength: x 9 above everyone; a, b (1) beat y only; c d e tie with y
    assert (e.score_column, e.roc_auc) == ("strength", pytest.approx((1 + 1 + 3 * 0.5) / 10))
    _result(tmp_path, f"{header},score\na,1,1,high\nb,1,1,low\nx,1,9,low\n")
    assert evaluate_dir(truth, tmp_path / "result").score_column == "strength"
    _result(tmp_path, "account_id,group_id\na,1\n")
    e = evaluate_dir(truth, tmp_path / "result")
    assert e.score_column is None and math.isnan(e.roc_auc)
    _result(tmp_path, f"{header}\na,1,inf\n")
    with pytest.raises(InputError, match=r"accounts\.csv: scores must be finite.*not for a"):
        evaluate_dir(truth, tmp_path / "result")


def test_evaluate_dir_with_a_labels_file(tmp_path: Path) -> None:
    labels = _write(
        tmp_path / "labels.csv",
        "account_id,label\na,Coordinated\nb, YES \nc,true\nx,organic\ny,No\nz,0\n",
    )
    _result(tmp_path, "account_id,group_id,strength\na,1,5\nb,1,5\nx,2,3\nq,2,3\nr,3,1\n")
    e = evaluate_dir(labels, tmp_path / "result")
    # q and r are detected but unlabelled: allowed, counted in detected_accounts only
    assert (e.planted_accounts, e.organic_accounts) == (3, 3)
    assert (e.planted_recall, e.organic_flagged) == (pytest.approx(2 / 3), 1)
    assert (e.detected_groups, e.detected_accounts, e.predicted_pairs) == (3, 5, 2)
    for value in (e.pair_precision, e.pair_recall, e.pair_f1, e.ari, e.true_pairs, e.correct_pairs):
        assert math.isnan(value)
    # positives a 5, b 5, c 0; negatives x 3, y 0, z 0: a 3, b 3, c 1/2 + 1/2 -> 7 of 9
    assert (e.score_column, e.roc_auc) == ("strength", pytest.approx(7 / 9))


@pytest.mark.parametrize(
    ("body", "line", "value"),
    [
        ("a,1\nb,maybe\n", 3, "unknown label 'maybe'"),
        ("a,1\n\nb,2\n", 4, "unknown label '2'"),  # a blank line is skipped but counted
        ('a,1\nb,"x\ny"\nc,1\n', 3, "unknown label 'x"),
        ('"a\nb",1\nc,bad\n', 4, "unknown label 'bad'"),  # a quoted newline in a row before
        ('a,"ye\ns"\nb,nope\n', 2, "unknown label 'ye"),
        ("a,1\nb,\n", 3, "empty label"),
        ("a,1\nb,maybe\nc,no\nd,si\n", 3, r"label 'maybe' \(and 1 more rows with a bad"),
    ],
)
def test_bad_labels_name_file_line_and_value(
    tmp_path: Path, body: str, line: int, value: str
) -> None:
    labels = _write(tmp_path / "labels.csv", "account_id,label\n" + body)
    _result(tmp_path, "account_id,group_id\na,1\n")
    with pytest.raises(InputError, match=rf"labels\.csv, line {line}: .*{value}") as info:
        evaluate_dir(labels, tmp_path / "result")
    assert "coordinated" in str(info.value)


def test_truth_without_group_or_label_is_refused(tmp_path: Path) -> None:
    truth = _write(tmp_path / "truth.csv", "account_id,kind\na,x\n")
    _result(tmp_path, "account_id,group_id\na,1\n")
    with pytest.raises(InputError, match=r"truth\.csv: missing column 'group_id'.*label"):
        evaluate_dir(truth, tmp_path / "result")


def test_cli_evaluate_prints_new_scores_and_bad_labels(tmp_path: Path) -> None:
    runner = CliRunner()
    truth = _write(tmp_path / "truth.csv", GROUPS_TRUTH)
    _result(tmp_path, "account_id,group_id,strength\na,1,5\nb,1,5\nx,2,3\n")
    result = runner.invoke(app, ["evaluate", str(truth), str(tmp_path / "result")])
    assert result.exit_code == 0, result.output
    assert "ari" in result.output and "roc_auc" in result.output
    assert "'strength'" in result.output
    labels = _write(tmp_path / "labels.csv", "account_id,label\na,1\nx,perhaps\n")
    result = runner.invoke(app, ["evaluate", str(labels), str(tmp_path / "result")])
    assert result.exit_code == 2
    assert "labels.csv, line 3: unknown label 'perhaps'" in result.output


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------


def _brute_auc(labels: list[bool], scores: list[float]) -> float:
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _brute_ap(labels: list[bool], scores: list[float]) -> float:
    """Mean over positives of the precision at their threshold (all ties included)."""
    total = 0.0
    for s, y in zip(scores, labels, strict=True):
        if y:
            above = [yy for ss, yy in zip(scores, labels, strict=True) if ss >= s]
            total += sum(above) / len(above)
    return total / sum(labels)


_SCORES = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5, -1.0])


@settings(max_examples=150, deadline=None)
@given(data=st.lists(st.tuples(st.booleans(), _SCORES), min_size=1, max_size=25))
def test_ranking_scores_match_brute_force(data: list[tuple[bool, float]]) -> None:
    labels = [y for y, _ in data]
    scores = [s for _, s in data]
    accounts = [f"a{i:02d}" for i in range(len(data))]
    m = account_scores_metrics(
        dict(zip(accounts, labels, strict=True)),
        dict(zip(accounts, scores, strict=True)),
        k=[1, 5, 30],
    )
    if any(labels) and not all(labels):
        assert m.roc_auc == pytest.approx(_brute_auc(labels, scores))
    if any(labels):
        assert 0.0 <= m.average_precision <= 1.0
        assert m.average_precision == pytest.approx(_brute_ap(labels, scores))
    ranked = sorted(zip(scores, accounts, labels, strict=True), key=lambda r: (-r[0], r[1]))
    for k, value in m.precision_at_k.items():
        top = ranked[: min(k, len(ranked))]
        assert value == pytest.approx(sum(y for *_, y in top) / len(top))


@settings(max_examples=100, deadline=None)
@given(
    labels=st.lists(st.booleans(), min_size=2, max_size=40),
    seed=st.integers(0, 2**32 - 1),
)
def test_reversed_scores_give_one_minus_auc(labels: list[bool], seed: int) -> None:
    assume(any(labels) and not all(labels))
    scores = np.random.default_rng(seed).permutation(len(labels)).astype(float)  # no ties
    accounts = [f"a{i}" for i in range(len(labels))]
    lab = dict(zip(accounts, labels, strict=True))
    auc = account_scores_metrics(lab, dict(zip(accounts, scores, strict=True))).roc_auc
    rev = account_scores_metrics(lab, dict(zip(accounts, -scores, strict=True))).roc_auc
    assert rev == pytest.approx(1.0 - auc, abs=1e-12)
    assert 0.0 <= auc <= 1.0


_GROUPS = st.lists(st.one_of(st.none(), st.sampled_from("ABCDE")), min_size=0, max_size=30)


@settings(max_examples=100, deadline=None)
@given(groups=_GROUPS, other=_GROUPS, data=st.data())
def test_ari_properties(
    groups: list[str | None], other: list[str | None], data: st.DataObject
) -> None:
    accounts = [f"a{i}" for i in range(len(groups))]
    truth = dict(zip(accounts, groups, strict=True))
    assert adjusted_rand_index(truth, truth) == 1.0
    # renaming the groups (a permutation of the names) changes nothing
    names = data.draw(st.permutations("ABCDE"))
    renamed = {a: None if g is None else names["ABCDE".index(g)] + "!" for a, g in truth.items()}
    assert adjusted_rand_index(truth, renamed) == 1.0
    predicted = dict(zip(accounts, other, strict=False))
    ari = adjusted_rand_index(truth, predicted)
    assert -1.0 <= ari <= 1.0
    assert adjusted_rand_index(renamed, predicted) == ari
    assert adjusted_rand_index(predicted, truth, universe=accounts) == pytest.approx(ari)
    # the Evaluation's ARI, from the pair counts, is the same number
    found = _found({a: g for a, g in predicted.items() if g is not None})
    assert evaluate_groups(_truth(truth), found).ari == pytest.approx(ari, abs=1e-12)
