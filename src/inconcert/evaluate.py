"""Score detected groups against the truth of a simulation.

The unit of scoring is the unordered *pair of accounts*. Two accounts form

* a **true pair** when they are in the same planted group of the truth, and
* a **predicted pair** when they are in the same detected group.

A detector that puts a 20-account planted group into two halves of 10 finds
``2 * C(10, 2) = 90`` of its ``C(20, 2) = 190`` true pairs; one that merges two planted groups
of 10 with 30 organic accounts into one group of 50 predicts ``C(50, 2) = 1225`` pairs, of which
only ``2 * C(10, 2) = 90`` are true. Pair scores therefore punish both splitting and merging,
in proportion to the number of accounts affected.

Pairs are never enumerated: with :math:`n_g` accounts in planted group :math:`g`, :math:`m_d` in
detected group :math:`d` and :math:`n_{dg}` in both (the contingency table),

.. math::

    T = \\sum_g \\binom{n_g}{2}, \\quad P = \\sum_d \\binom{m_d}{2}, \\quad
    TP = \\sum_{d,g} \\binom{n_{dg}}{2},

so scoring a million accounts takes a few array operations.

Account-level scores complement the pair scores: how many planted accounts appear in any
detected group (``planted_recall``), and how many organic accounts do (``organic_flagged``, the
false alarms a human analyst would have to look at).

The same contingency counts give the **adjusted Rand index** (Hubert & Arabie 1985), the
chance-corrected agreement of the two partitions (:func:`adjusted_rand_index`).

**Ranking scores.** The coordination literature (the polio evaluation harness; Luceri et al.
2024, "Unmasking the web of deceit") also scores a per-account suspicion score as a ranking:
ROC-AUC, average precision and precision@k of the score against the planted (positive) and
organic (negative) accounts (:func:`account_scores_metrics`). :func:`evaluate_dir` does so with
the ``score`` column of ``accounts.csv`` when it has one, and with ``strength`` otherwise.

Every formula is computed with NumPy and agrees with scikit-learn's ``roc_auc_score``,
``average_precision_score`` and ``adjusted_rand_score`` (to rounding: at most a few units in
the last place), which inconcert does not depend on.

**Labelled accounts.** Instead of planted groups, the truth may be a labelled set of accounts
(``account_id, label``, e.g. accounts a platform took down and a sample of ordinary ones): then
the ranking scores and the planted/organic counts apply, while the pair scores and the ARI,
which need groups, are NaN.
"""

from __future__ import annotations

import io
import math
import numbers
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from inconcert.errors import InputError, ParameterError

__all__ = [
    "LABEL_VALUES",
    "PRECISION_AT",
    "Evaluation",
    "ScoreMetrics",
    "account_scores_metrics",
    "adjusted_rand_index",
    "evaluate_dir",
    "evaluate_groups",
]

_TRUTH_FILE = "truth.csv"
_ACCOUNTS_FILE = "accounts.csv"
_SHOWN = 5  # how many offending ids an error message lists

#: The ``k`` of the ``precision_at_k`` fields of :class:`Evaluation`.
PRECISION_AT = (10, 50, 100)

#: Accepted values of a labels file's ``label`` column (any case, surrounding spaces ignored):
#: the positive (coordinated) ones, then the negative (organic) ones.
LABEL_VALUES = (("1", "true", "coordinated", "yes"), ("0", "false", "organic", "no"))

_SCORE_COLUMNS = ("score", "strength")  # evaluate_dir's choice, in order of preference


@dataclass(frozen=True)
class ScoreMetrics:
    """How well a per-account score ranks coordinated accounts above organic ones.

    Attributes
    ----------
    roc_auc
        The probability that a random positive account scores above a random negative one,
        ties counting one half: the Mann–Whitney :math:`U` over ``positives * negatives``.
        NaN when there is no positive or no negative account (see ``undefined``).
    average_precision
        :math:`\\sum_t (R_t - R_{t-1}) P_t` over the distinct score thresholds :math:`t` from the
        highest down, with :math:`P_t` and :math:`R_t` the precision and recall of "score
        :math:`\\geq t`": a step function without interpolation, tied accounts entering
        together, as scikit-learn's ``average_precision_score``. ``1.0`` when every account is
        positive; NaN when none is (scikit-learn then warns and returns 0).
    precision_at_k
        For each ``k``: the share of positives among the ``min(k, accounts)`` highest-scored
        accounts, ties in score broken by ``account_id`` in ascending (code point) order so the
        number is reproducible (a tie-aware ranking would give a fractional count; ROC-AUC and
        average precision are tie-aware).
    accounts, positives, negatives
        The labelled accounts scored and how many are positive (coordinated) and negative.
    scored_accounts
        Labelled accounts that have a score; the others are scored 0.
    undefined
        Why a metric is NaN, or None when none is.
    """

    roc_auc: float
    average_precision: float
    precision_at_k: dict[int, float] = field(hash=False)
    accounts: int
    positives: int
    negatives: int
    scored_accounts: int
    undefined: str | None = None

    def as_dict(self) -> dict[str, float | int]:
        """The numbers as a flat dict: ``precision_at_k`` becomes ``precision_at_10``, ...;
        ``undefined`` (a sentence) is left out."""
        flat: dict[str, float | int] = {
            "roc_auc": self.roc_auc,
            "average_precision": self.average_precision,
        }
        flat.update({f"precision_at_{k}": v for k, v in self.precision_at_k.items()})
        flat.update(
            accounts=self.accounts,
            positives=self.positives,
            negatives=self.negatives,
            scored_accounts=self.scored_accounts,
        )
        return flat


@dataclass(frozen=True)
class Evaluation:
    """Pair and account scores of detected groups against planted ones.

    Attributes
    ----------
    pair_precision
        ``TP / P``: the share of predicted pairs that are true pairs. ``1.0`` when nothing is
        predicted (no predicted pair is wrong). NaN when the truth is a labels file (no groups).
    pair_recall
        ``TP / T``: the share of true pairs that are predicted. ``1.0`` when the truth has no
        pair (none was missed). NaN for a labels file.
    pair_f1
        ``2 * precision * recall / (precision + recall)``, ``0.0`` when both are 0. Computed as
        ``2 * TP / (P + T)``, which is the same number without rounding error (and ``1.0`` when
        nothing is planted and nothing predicted). NaN for a labels file.
    planted_accounts
        Accounts in a planted group (non-null ``group_id`` in the truth), or labelled positive.
    planted_recall
        Share of planted accounts that are in any detected group (``1.0`` when there are none).
    organic_accounts
        Accounts with a null ``group_id`` in the truth, or labelled negative.
    organic_flagged
        Organic accounts that are in a detected group: false alarms.
    organic_flagged_share
        ``organic_flagged / organic_accounts`` (``0.0`` when there are no organic accounts).
    detected_groups
        Number of distinct detected groups (a group of one account counts, but makes no pair).
    detected_accounts
        Accounts in any detected group (with a labels file, labelled or not).
    true_pairs, predicted_pairs, correct_pairs
        ``T``, ``P`` and ``TP``, the counts behind the pair scores (``T`` and ``TP`` are NaN for
        a labels file).
    ari
        Adjusted Rand index of the detected groups against the planted ones over every account
        of the truth, each organic or undetected account being a group of its own (see
        :func:`adjusted_rand_index`). NaN for a labels file.
    roc_auc, average_precision, precision_at_10, precision_at_50, precision_at_100
        The per-account score (``score_column``) as a ranking of planted (positive) over organic
        (negative) accounts, over every account of the truth, accounts without a score counting
        0 (see :class:`ScoreMetrics`). NaN when there is no score column or when the metric is
        undefined (no positive or no negative account).
    score_column
        The column of ``accounts.csv`` (or of the assignments) used as the score, or None. Not a
        number, so :meth:`as_dict` leaves it out.
    """

    pair_precision: float
    pair_recall: float
    pair_f1: float
    planted_accounts: int
    planted_recall: float
    organic_accounts: int
    organic_flagged: int
    organic_flagged_share: float
    detected_groups: int
    detected_accounts: int
    true_pairs: int | float
    predicted_pairs: int
    correct_pairs: int | float
    ari: float = math.nan
    roc_auc: float = math.nan
    average_precision: float = math.nan
    precision_at_10: float = math.nan
    precision_at_50: float = math.nan
    precision_at_100: float = math.nan
    score_column: str | None = None

    def as_dict(self) -> dict[str, float | int]:
        """The scores as a plain dict of numbers, in field order (ready for JSON; NaN where a
        score is undefined). ``score_column``, a name, is left out."""
        scores = asdict(self)
        del scores["score_column"]
        return scores


def evaluate_groups(
    truth: pa.Table,
    assignments: pa.Table,
    *,
    group_column: str = "group_id",
    score_column: str | None = None,
) -> Evaluation:
    """Score detected groups against planted ones.

    Parameters
    ----------
    truth
        One row per account: ``account_id`` and ``group_id`` (null or empty for an organic
        account). Other columns (such as ``behaviour``) are ignored. Ids of any type are
        compared as strings. Without a ``group_id`` column but with a ``label`` column (boolean,
        0/1, or one of :data:`LABEL_VALUES`), the truth is a set of labelled accounts: the pair
        scores and the ARI are then NaN, and assigned accounts without a label are allowed.
    assignments
        One row per detected account: ``account_id`` and ``group_column``. Rows whose group is
        null or empty are ignored (the account is in no detected group).
    group_column
        The column of ``assignments`` holding the detected group, e.g. ``"component_id"`` to
        score connected components instead of groups (Leiden communities).
    score_column
        A numeric column of ``assignments`` to score as a ranking (ROC-AUC, average precision,
        precision@k) over every account of the truth, accounts without a row or with a null
        score counting 0. None (the default) leaves those scores NaN.

    Returns
    -------
    Evaluation
        See :class:`Evaluation` for the formulas and the conventions for empty cases.

    Raises
    ------
    InputError
        If a column is missing, an ``account_id`` is null or repeated, an assigned account
        is not in the truth (planted groups only), a label is not recognised, or a score is not
        a finite number.

    Examples
    --------
    Truth ``{a, b, c}`` and ``{d, e}`` planted, ``x`` organic; detected ``{a, b}`` and
    ``{c, x}``: one predicted pair of two is true, one true pair of four is found.

    >>> truth = pa.table({"account_id": list("abcdex"), "group_id": [*"gggHH", None]})
    >>> found = pa.table({"account_id": list("abcx"), "group_id": ["1", "1", "2", "2"]})
    >>> e = evaluate_groups(truth, found)
    >>> (e.pair_precision, e.pair_recall, e.organic_flagged)
    (0.5, 0.25, 1)
    """
    return _evaluate(truth, assignments, group_column, None, None, score_column)


def evaluate_dir(
    truth_path: str | os.PathLike[str],
    result_dir: str | os.PathLike[str],
    *,
    group_column: str = "group_id",
) -> Evaluation:
    """Score a detection run on disk against a simulation's truth on disk.

    Parameters
    ----------
    truth_path
        ``truth.csv`` as written by :func:`inconcert.simulate.write_simulation`, or the
        directory holding it. A CSV of labelled accounts, ``account_id,label`` with labels
        ``1/0``, ``true/false``, ``coordinated/organic`` or ``yes/no`` (any case), works too:
        the shape is told by the columns (``group_id`` wins when both are there).
    result_dir
        The detection output directory holding ``accounts.csv`` (columns ``account_id``,
        ``group_id``, ``component_id``, ...), or the path of that file itself.
    group_column
        Which column of ``accounts.csv`` is the detected group.

    Returns
    -------
    Evaluation
        As :func:`evaluate_groups`, with the ranking scores of the ``score`` column of
        ``accounts.csv`` when it has a numeric one, else of ``strength`` (the sum of the
        account's edge weights), else NaN; ``score_column`` says which.

    Raises
    ------
    InputError
        If a file is missing or unreadable, lacks a column, or holds inconsistent ids or bad
        labels; the message names the file (and the line, for a bad label).
    """
    truth_file = _resolve(Path(truth_path), _TRUTH_FILE)
    accounts_file = _resolve(Path(result_dir), _ACCOUNTS_FILE)
    truth = _read_truth_csv(truth_file)
    assignments = _read_csv(accounts_file, ("account_id", group_column))
    score_column = next(
        (
            name
            for name in _SCORE_COLUMNS
            if name in assignments.column_names and _is_numeric(assignments.schema.field(name).type)
        ),
        None,
    )
    return _evaluate(truth, assignments, group_column, truth_file, accounts_file, score_column)


def account_scores_metrics(
    labels: Mapping[str, bool] | pa.Table,
    scores: Mapping[str, float] | pa.Table,
    *,
    k: Sequence[int] = (10, 50, 100),
    score_column: str = "score",
) -> ScoreMetrics:
    """Score a per-account suspicion score as a ranking of labelled accounts.

    Parameters
    ----------
    labels
        The accounts scored and their label, True for coordinated (positive): a mapping, or a
        table with ``account_id`` and either ``group_id`` (positive when not null or empty, as a
        truth table) or ``label`` (boolean, 0/1, or one of :data:`LABEL_VALUES`). Every
        labelled account is scored, and only those.
    scores
        Higher is more suspicious: a mapping, or a table with ``account_id`` and
        ``score_column``. A labelled account without a score (absent or null) scores 0, i.e.
        last when scores are not negative (0 is a neutral score: a negative score ranks below
        it). Scores of unlabelled accounts are ignored.
    k
        The cut-offs of precision@k, each a positive integer.
    score_column
        The score column when ``scores`` is a table.

    Returns
    -------
    ScoreMetrics
        ROC-AUC (Mann–Whitney with average ranks for ties), average precision (scikit-learn's
        step-wise definition, ties grouped by threshold), precision@k (ties broken by
        ``account_id``) and the counts. ROC-AUC is NaN without positive or without negative
        accounts, average precision without positive accounts; ``undefined`` says why.

    Raises
    ------
    ParameterError
        If there are no labelled accounts, a ``k`` is not a positive integer, a label is not a
        boolean, or a score is not a finite number.
    InputError
        If a table lacks a column, has a null or repeated ``account_id`` or a bad label.

    Examples
    --------
    >>> m = account_scores_metrics({"a": True, "b": False, "c": True}, {"a": 3, "b": 2}, k=[1])
    >>> (m.roc_auc, m.average_precision, m.precision_at_k)
    (0.5, 0.8333333333333333, {1: 1.0})
    """
    ks = _check_k(k)
    if isinstance(labels, pa.Table):
        known = _truth_from_table(labels, None)
        ids, positive = known.ids, known.positive
    else:
        ids, positive = _labels_from_mapping(labels)
    if len(ids) == 0:
        raise ParameterError("labels", "at least one labelled account", labels)
    if isinstance(scores, pa.Table):
        _require_columns(scores, ("account_id", score_column), None)
        score_ids, values = _scores_from_table(scores, score_column, None)
    else:
        score_ids = pa.array([str(key) for key in scores], pa.string())
        try:
            values = pa.array(list(scores.values()), pa.float64())
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
            raise ParameterError("scores", "a mapping of account to number", scores) from exc
    _check_finite(score_ids, values, None)
    return _score_metrics(ids, positive, score_ids, values, ks)


def adjusted_rand_index(
    truth: Mapping[str, str | None],
    predicted: Mapping[str, str | None],
    *,
    universe: Literal["truth", "union", "both"] | Collection[str] = "truth",
) -> float:
    """Adjusted Rand index of two partitions of accounts (Hubert & Arabie 1985).

    The Rand index counts the pairs of accounts on which the partitions agree (together in
    both, or apart in both); the ARI corrects it for chance under fixed group sizes, so that
    identical partitions score 1, independent ones 0 on average, and worse-than-chance ones
    below 0. From the contingency table :math:`n_{ij}` (accounts in truth group :math:`i` and
    predicted group :math:`j`), with :math:`a_i, b_j` its margins and :math:`n` accounts:

    .. math::

        \\mathrm{ARI} = \\frac{\\sum_{ij}\\binom{n_{ij}}{2} - E}
                              {\\tfrac12\\left[\\sum_i\\binom{a_i}{2} + \\sum_j\\binom{b_j}{2}
                              \\right] - E},
        \\quad E = \\frac{\\sum_i\\binom{a_i}{2}\\sum_j\\binom{b_j}{2}}{\\binom{n}{2}}.

    It is computed in exact integer arithmetic with scikit-learn's final expression, so it
    equals ``sklearn.metrics.adjusted_rand_score`` on the same labelings; like it, it is 1.0
    when the partitions agree on every pair, including with fewer than two accounts.

    Parameters
    ----------
    truth, predicted
        Group of each account; ``None`` (an organic or undetected account) makes the account a
        group of its own, as does being absent from the mapping: organic accounts are not one
        big "organic group" (they do not act together), which also makes the ARI consistent
        with the pair scores of :class:`Evaluation`.
    universe
        The accounts compared. ``"truth"`` (the default): the accounts of ``truth``, predicted
        accounts not in it being ignored (a detector is judged on the accounts that have a
        truth). ``"union"``: accounts of either mapping. ``"both"``: accounts of both. Or an
        explicit collection of account ids.

    Examples
    --------
    >>> adjusted_rand_index({"a": "x", "b": "x", "c": "y", "d": "y"},
    ...                     {"a": "1", "b": "1", "c": "2", "d": "3"})
    0.5714285714285714
    """
    if isinstance(universe, str):
        if universe == "truth":
            accounts: list[str] = list(truth)
        elif universe == "union":
            accounts = list(dict.fromkeys([*truth, *predicted]))
        elif universe == "both":
            accounts = [a for a in truth if a in predicted]
        else:
            raise ParameterError(
                "universe", "'truth', 'union', 'both' or a collection of account ids", universe
            )
    else:
        accounts = list(dict.fromkeys(universe))
    true_codes = _partition_codes([_label_text(truth.get(a)) for a in accounts])
    predicted_codes = _partition_codes([_label_text(predicted.get(a)) for a in accounts])
    return _ari_from_codes(true_codes, predicted_codes)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _resolve(path: Path, name: str) -> Path:
    """The file itself, or ``name`` inside a directory (also when the directory is missing)."""
    is_file_path = path.is_file() or (not path.exists() and path.suffix.lower() == ".csv")
    file = path if is_file_path else path / name
    if not file.is_file():
        raise InputError(file, "file not found", hint=f"expected {name}")
    return file


def _read_csv(path: Path, required: tuple[str, ...]) -> pa.Table:
    """Read a CSV with the required columns as strings (empty fields become nulls)."""
    table = _read_strings(path, required)
    _require_columns(table, required, path)
    return table


def _read_strings(path: Path, names: tuple[str, ...]) -> pa.Table:
    """Read a CSV with the named columns, where present, as strings (empty fields are null)."""
    options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        strings_can_be_null=True,
    )
    try:
        return pacsv.read_csv(path, convert_options=options)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(path, f"cannot be read as CSV: {exc}") from None


def _read_truth_csv(path: Path) -> pa.Table:
    """A truth file (``account_id, group_id``) or a labels file (``account_id, label``)."""
    table = _read_strings(path, ("account_id", "group_id", "label"))
    _require_truth_columns(table, path)
    return table


def _require_columns(table: pa.Table, required: tuple[str, ...], path: Path | None) -> None:
    missing = [name for name in required if name not in table.column_names]
    if missing:
        raise InputError(
            path,
            f"missing column {', '.join(repr(m) for m in missing)}",
            hint=f"the columns are {', '.join(table.column_names) or '(none)'}",
        )


def _is_numeric(typ: pa.DataType) -> bool:
    return bool(pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ))


def _csv_line(path: Path, row: int) -> int | None:
    """The physical line (header = 1) where data row ``row`` (0-based) of a CSV starts, as
    pyarrow counts rows (blank lines skipped); None when the file cannot be read again."""
    import csv

    try:
        with pa.input_stream(str(path), compression="detect") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            reader = csv.reader(text)
            next(reader)  # the header
            seen = -1
            start = reader.line_num + 1
            for record in reader:
                if record:
                    seen += 1
                    if seen == row:
                        return start
                start = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error, StopIteration, pa.ArrowException):
        return None
    return None


# ---------------------------------------------------------------------------------------------
# Truth and labels
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Truth:
    ids: pa.Array  # strings, no null, no repeat
    planted: np.ndarray | None  # group codes, -1 = organic; None for labels (no groups)
    positive: np.ndarray  # bool


def _require_truth_columns(table: pa.Table, path: Path | None) -> None:
    """``account_id`` and ``group_id`` (planted groups) or ``label`` (labelled accounts)."""
    _require_columns(table, ("account_id",), path)
    if "group_id" not in table.column_names and "label" not in table.column_names:
        raise InputError(
            path,
            "missing column 'group_id'",
            hint=f"the columns are {', '.join(table.column_names)}; give account_id with "
            "group_id (empty = organic) or with label (1/0, true/false, coordinated/organic, "
            "yes/no)",
        )


def _truth_from_table(table: pa.Table, path: Path | None) -> _Truth:
    """Planted groups (``group_id``, which wins when both are there) or labels (``label``)."""
    _require_truth_columns(table, path)
    ids = _checked_ids(_as_strings(table.column("account_id")), path)
    if "group_id" not in table.column_names:
        return _Truth(ids, None, _parse_labels(table.column("label"), path))
    planted = _codes(_as_strings(table.column("group_id")))  # -1 = organic
    return _Truth(ids, planted, planted >= 0)


def _checked_ids(ids: pa.Array, path: Path | None, hint: str | None = None) -> pa.Array:
    if ids.null_count:
        raise InputError(path, f"{ids.null_count} rows have no account_id")
    repeated = _duplicates(ids)
    if repeated.any():
        raise InputError(path, f"repeated account_id: {_ids_sample(ids, repeated)}", hint=hint)
    return ids


def _parse_labels(column: pa.ChunkedArray | pa.Array, path: Path | None) -> np.ndarray:
    """Booleans from a label column: boolean, 0/1 integers, or :data:`LABEL_VALUES`."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_boolean(column.type):
        bad = np.asarray(column.is_null().to_numpy(zero_copy_only=False), bool)
        positive = np.asarray(column.fill_null(False).to_numpy(zero_copy_only=False), bool)
    else:
        text = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
        yes, no = (pa.array(values, pa.string()) for values in LABEL_VALUES)
        positive = np.asarray(pc.is_in(text, value_set=yes).to_numpy(zero_copy_only=False), bool)
        negative = np.asarray(pc.is_in(text, value_set=no).to_numpy(zero_copy_only=False), bool)
        bad = ~(positive | negative)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = column[row].as_py()
        problem = "empty label" if value is None else f"unknown label {value!r}"
        more = int(bad.sum()) - 1
        if more:
            problem += f" (and {more} more rows with a bad label)"
        accepted = ", ".join(v for pair in zip(*LABEL_VALUES, strict=True) for v in pair)
        hint = f"a label is one of {accepted}, in any case"
        if path is None:
            raise InputError(None, f"row {row + 1}: {problem}", hint=hint)
        raise InputError(path, problem, line=_csv_line(path, row), hint=hint)
    return positive


def _labels_from_mapping(labels: Mapping[str, bool]) -> tuple[pa.Array, np.ndarray]:
    positive = np.zeros(len(labels), bool)
    for i, (account, label) in enumerate(labels.items()):
        if isinstance(label, bool | np.bool_):
            positive[i] = bool(label)
        elif isinstance(label, numbers.Integral) and label in (0, 1):
            positive[i] = label == 1
        else:
            raise ParameterError(f"labels[{account!r}]", "True, False, 1 or 0", label)
    return pa.array([str(a) for a in labels], pa.string()), positive


def _scores_from_table(
    table: pa.Table, column: str, path: Path | None
) -> tuple[pa.Array, pa.Array]:
    """Account ids and float scores of the rows with a score (ids checked: no null, no
    repeat)."""
    values = table.column(column)
    if not _is_numeric(values.type):
        raise InputError(path, f"column {column!r} is not numeric ({values.type})")
    values = values.combine_chunks().cast(pa.float64())
    ids = _as_strings(table.column("account_id"))
    present = pc.is_valid(values)
    ids, values = ids.filter(present), values.filter(present)
    return _checked_ids(ids, path, hint="give one score per account"), values


def _check_finite(ids: pa.Array, values: pa.Array, path: Path | None) -> None:
    numbers_ = np.asarray(values.fill_null(0.0).to_numpy(zero_copy_only=False), np.float64)
    bad = ~np.isfinite(numbers_)
    if bad.any():
        if path is None:
            where = np.flatnonzero(bad)[:_SHOWN]
            sample = {ids[int(i)].as_py(): float(numbers_[i]) for i in where}
            raise ParameterError("scores", "finite numbers", sample)
        raise InputError(path, f"scores must be finite numbers: not for {_ids_sample(ids, bad)}")


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


def _as_strings(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as one string array, with empty strings turned into nulls."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    strings = column.cast(pa.string())
    return pc.if_else(pc.equal(strings, ""), pa.scalar(None, pa.string()), strings)


def _codes(values: pa.Array) -> np.ndarray:
    """Integer codes of a string column: 0.. for distinct values, -1 for nulls."""
    encoded = pc.dictionary_encode(values)
    return np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)


def _pairs(counts: np.ndarray) -> int:
    """``sum(C(n, 2))`` over the counts: the number of unordered pairs inside the blocks."""
    counts = counts.astype(np.int64)
    return int(np.sum(counts * (counts - 1) // 2))


def _ids_sample(ids: pa.Array, mask: np.ndarray) -> str:
    values = ids.filter(pa.array(mask)).to_pylist()
    shown = ", ".join(str(v) for v in values[:_SHOWN])
    return shown + (f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else "")


def _duplicates(ids: pa.Array) -> np.ndarray:
    codes = _codes(ids)
    counts = np.bincount(codes, minlength=1)
    return counts[codes] > 1


def _check_k(k: Iterable[int]) -> tuple[int, ...]:
    try:
        ks = tuple(dict.fromkeys(k))
    except TypeError:
        raise ParameterError("k", "a sequence of positive integers", k) from None
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in ks):
        raise ParameterError("k", "a sequence of positive integers", k)
    return tuple(int(v) for v in ks)


def _label_text(group: object) -> str | None:
    return None if group is None else str(group)


def _partition_codes(groups: Sequence[str | None]) -> np.ndarray:
    """Group codes where each None is a group of its own."""
    codes = _codes(pa.array(groups, pa.string()))
    alone = codes < 0
    codes[alone] = codes.max(initial=-1) + 1 + np.arange(int(alone.sum()))
    return codes


def _ari_from_codes(true_codes: np.ndarray, predicted_codes: np.ndarray) -> float:
    """ARI from two code arrays (every account in exactly one group of each)."""
    n = len(true_codes)
    if n == 0:
        return 1.0
    width = int(predicted_codes.max()) + 1
    cells = np.unique(true_codes * width + predicted_codes, return_counts=True)[1]
    return _ari_from_pairs(
        together=_pairs(cells),
        true_pairs=_pairs(np.bincount(true_codes)),
        predicted_pairs=_pairs(np.bincount(predicted_codes)),
        n=n,
    )


def _ari_from_pairs(together: int, true_pairs: int, predicted_pairs: int, n: int) -> float:
    """ARI from the pair counts: pairs together in both partitions, in the truth, in the
    prediction, over ``n`` accounts.

    With ``tp = together``, ``fn = T - tp``, ``fp = P - tp`` and ``tn`` the pairs apart in both,
    ``ARI = 2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn))``, which is the
    Hubert–Arabie formula multiplied out; Python integers keep it exact up to the last division,
    as scikit-learn's ``adjusted_rand_score`` (whose counts are of ordered pairs, i.e. doubled:
    the ratio, and its rounding, are the same).
    """
    all_pairs = n * (n - 1) // 2
    tp = int(together)
    fn = int(true_pairs) - tp
    fp = int(predicted_pairs) - tp
    tn = all_pairs - tp - fn - fp
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def _score_metrics(
    ids: pa.Array,
    positive: np.ndarray,
    score_ids: pa.Array,
    score_values: pa.Array,
    ks: tuple[int, ...],
) -> ScoreMetrics:
    """Ranking metrics of the scores over the labelled accounts ``ids`` (0 where no score)."""
    n = len(ids)
    position = pc.index_in(ids, value_set=score_ids)
    has_score = np.asarray(position.is_valid().to_numpy(zero_copy_only=False), bool)
    scores = np.zeros(n, np.float64)
    if has_score.any():
        given = np.asarray(score_values.to_numpy(zero_copy_only=False), np.float64)
        rows = np.asarray(position.drop_null().to_numpy(zero_copy_only=False), np.int64)
        scores[has_score] = given[rows]
    scores[scores == 0.0] = 0.0  # -0.0 and 0.0 are one threshold
    positives = int(positive.sum())
    negatives = n - positives
    if n == 0:
        return ScoreMetrics(
            math.nan, math.nan, dict.fromkeys(ks, math.nan), 0, 0, 0, 0, "no account"
        )

    # Distinct thresholds from the highest down; tps/fps: positives/negatives scoring >= each.
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(ranked)), n - 1]  # last index of each tie block
    tps = np.cumsum(hits, dtype=np.int64)[last]
    fps = last + 1 - tps

    undefined = None
    if positives == 0:
        roc_auc = average_precision = math.nan
        undefined = "no positive (coordinated) account: ROC-AUC and average precision are undefined"
    else:
        precision = tps / (tps + fps)
        recall = tps / positives
        average_precision = float(np.sum(np.diff(recall, prepend=0.0) * precision))
        if negatives == 0:
            roc_auc = math.nan
            undefined = "no negative (organic) account: ROC-AUC is undefined"
        else:
            # Mann–Whitney U with average ranks, doubled to stay an integer: each positive
            # counts 2 per negative below it and 1 per negative tied with it.
            pos_block = np.diff(tps, prepend=0)
            neg_block = np.diff(fps, prepend=0)
            below = negatives - fps
            u2 = int(np.sum(pos_block * (2 * below + neg_block)))
            roc_auc = u2 / (2 * positives * negatives)

    top = pc.sort_indices(
        pa.table({"score": scores, "account_id": ids}),
        sort_keys=[("score", "descending"), ("account_id", "ascending")],
    )
    top_positive = positive[np.asarray(top.to_numpy(zero_copy_only=False), np.int64)]
    precision_at_k = {k: float(np.mean(top_positive[: min(k, n)])) for k in ks}
    return ScoreMetrics(
        roc_auc=float(roc_auc),
        average_precision=float(average_precision),
        precision_at_k=precision_at_k,
        accounts=n,
        positives=positives,
        negatives=negatives,
        scored_accounts=int(has_score.sum()),
        undefined=undefined,
    )


def _evaluate(
    truth: pa.Table,
    assignments: pa.Table,
    group_column: str,
    truth_path: Path | None,
    assignments_path: Path | None,
    score_column: str | None = None,
) -> Evaluation:
    _require_truth_columns(truth, truth_path)
    _require_columns(assignments, ("account_id", group_column), assignments_path)
    if score_column is not None:
        _require_columns(assignments, ("account_id", score_column), assignments_path)

    known = _truth_from_table(truth, truth_path)
    truth_ids, planted, positive = known.ids, known.planted, known.positive

    ids = _as_strings(assignments.column("account_id"))
    groups = _as_strings(assignments.column(group_column))
    assigned = pc.is_valid(groups)
    ids, groups = ids.filter(assigned), groups.filter(assigned)
    ids = _checked_ids(ids, assignments_path, hint="give one row per detected account")
    position = pc.index_in(ids, value_set=truth_ids)
    unknown = np.asarray(position.is_null())
    if planted is not None and unknown.any():
        raise InputError(
            assignments_path,
            f"{int(unknown.sum())} accounts are not in the truth: {_ids_sample(ids, unknown)}",
            hint="score a detection run against the truth of the same simulation",
        )
    row = np.asarray(position.drop_null().to_numpy(zero_copy_only=False), np.int64)
    detected = _codes(groups)
    predicted_pairs = _pairs(np.bincount(detected, minlength=1))

    true_pairs: int | float = math.nan
    correct_pairs: int | float = math.nan
    precision = recall = f1 = ari = math.nan
    if planted is not None:
        planted_of_detected = planted[row]
        n_planted_groups = int(planted.max()) + 1 if len(planted) else 0
        true_pairs = _pairs(np.bincount(planted[planted >= 0], minlength=1))
        both = planted_of_detected >= 0
        cell = detected[both] * max(n_planted_groups, 1) + planted_of_detected[both]
        correct_pairs = _pairs(np.unique(cell, return_counts=True)[1])

        precision = correct_pairs / predicted_pairs if predicted_pairs else 1.0
        recall = correct_pairs / true_pairs if true_pairs else 1.0
        # The harmonic mean of precision and recall, computed exactly from the counts; it
        # agrees with 2PR / (P + R) under the conventions above, including F1 = 1 when
        # P = T = 0.
        f1 = (
            2 * correct_pairs / (predicted_pairs + true_pairs)
            if predicted_pairs + true_pairs
            else 1.0
        )
        # Organic and undetected accounts are groups of one: they add no pair to T, P or TP.
        ari = _ari_from_pairs(correct_pairs, true_pairs, predicted_pairs, len(planted))

    planted_accounts = int(np.sum(positive))
    organic_accounts = len(positive) - planted_accounts
    planted_found = int(np.sum(positive[row]))
    organic_flagged = len(row) - planted_found

    ranking: dict[str, float] = {}
    if score_column is not None and len(truth_ids):
        score_ids, values = _scores_from_table(assignments, score_column, assignments_path)
        _check_finite(score_ids, values, assignments_path)
        metrics = _score_metrics(truth_ids, positive, score_ids, values, PRECISION_AT)
        ranking = {"roc_auc": metrics.roc_auc, "average_precision": metrics.average_precision}
        ranking.update({f"precision_at_{k}": v for k, v in metrics.precision_at_k.items()})
    return Evaluation(
        pair_precision=float(precision),
        pair_recall=float(recall),
        pair_f1=float(f1),
        planted_accounts=planted_accounts,
        planted_recall=planted_found / planted_accounts if planted_accounts else 1.0,
        organic_accounts=organic_accounts,
        organic_flagged=organic_flagged,
        organic_flagged_share=organic_flagged / organic_accounts if organic_accounts else 0.0,
        detected_groups=len(np.unique(detected)),
        detected_accounts=len(detected),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct_pairs,
        ari=ari,
        score_column=score_column,
        **ranking,
    )
