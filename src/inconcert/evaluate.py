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
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from inconcert.errors import InputError

__all__ = ["Evaluation", "evaluate_dir", "evaluate_groups"]

_TRUTH_FILE = "truth.csv"
_ACCOUNTS_FILE = "accounts.csv"
_SHOWN = 5  # how many offending ids an error message lists


@dataclass(frozen=True)
class Evaluation:
    """Pair and account scores of detected groups against planted ones.

    Attributes
    ----------
    pair_precision
        ``TP / P``: the share of predicted pairs that are true pairs. ``1.0`` when nothing is
        predicted (no predicted pair is wrong).
    pair_recall
        ``TP / T``: the share of true pairs that are predicted. ``1.0`` when the truth has no
        pair (none was missed).
    pair_f1
        ``2 * precision * recall / (precision + recall)``, ``0.0`` when both are 0. Computed as
        ``2 * TP / (P + T)``, which is the same number without rounding error (and ``1.0`` when
        nothing is planted and nothing predicted).
    planted_accounts
        Accounts in a planted group (non-null ``group_id`` in the truth).
    planted_recall
        Share of planted accounts that are in any detected group (``1.0`` when there are none).
    organic_accounts
        Accounts with a null ``group_id`` in the truth.
    organic_flagged
        Organic accounts that are in a detected group: false alarms.
    organic_flagged_share
        ``organic_flagged / organic_accounts`` (``0.0`` when there are no organic accounts).
    detected_groups
        Number of distinct detected groups (a group of one account counts, but makes no pair).
    detected_accounts
        Accounts in any detected group.
    true_pairs, predicted_pairs, correct_pairs
        ``T``, ``P`` and ``TP``, the counts behind the pair scores.
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
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    def as_dict(self) -> dict[str, float | int]:
        """The scores as a plain dict, in field order (ready for JSON)."""
        return asdict(self)


def evaluate_groups(
    truth: pa.Table, assignments: pa.Table, *, group_column: str = "group_id"
) -> Evaluation:
    """Score detected groups against planted ones.

    Parameters
    ----------
    truth
        One row per account: ``account_id`` and ``group_id`` (null or empty for an organic
        account). Other columns (such as ``behaviour``) are ignored. Ids of any type are
        compared as strings.
    assignments
        One row per detected account: ``account_id`` and ``group_column``. Rows whose group is
        null or empty are ignored (the account is in no detected group).
    group_column
        The column of ``assignments`` holding the detected group, e.g. ``"community_id"`` to
        score Leiden communities instead of connected components.

    Returns
    -------
    Evaluation
        See :class:`Evaluation` for the formulas and the conventions for empty cases.

    Raises
    ------
    InputError
        If a column is missing, an ``account_id`` is null or repeated, or an assigned account
        is not in the truth.

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
    return _evaluate(truth, assignments, group_column, None, None)


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
        directory holding it.
    result_dir
        The detection output directory holding ``accounts.csv`` (columns ``account_id``,
        ``group_id``, ``community_id``, ...), or the path of that file itself.
    group_column
        Which column of ``accounts.csv`` is the detected group.

    Returns
    -------
    Evaluation
        As :func:`evaluate_groups`.

    Raises
    ------
    InputError
        If a file is missing or unreadable, lacks a column, or holds inconsistent ids; the
        message names the file.
    """
    truth_file = _resolve(Path(truth_path), _TRUTH_FILE)
    accounts_file = _resolve(Path(result_dir), _ACCOUNTS_FILE)
    truth = _read_csv(truth_file, ("account_id", "group_id"))
    assignments = _read_csv(accounts_file, ("account_id", group_column))
    return _evaluate(truth, assignments, group_column, truth_file, accounts_file)


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
    options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in required},
        strings_can_be_null=True,
    )
    try:
        table = pacsv.read_csv(path, convert_options=options)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(path, f"cannot be read as CSV: {exc}") from None
    _require_columns(table, required, path)
    return table


def _require_columns(table: pa.Table, required: tuple[str, ...], path: Path | None) -> None:
    missing = [name for name in required if name not in table.column_names]
    if missing:
        raise InputError(
            path,
            f"missing column {', '.join(repr(m) for m in missing)}",
            hint=f"the columns are {', '.join(table.column_names) or '(none)'}",
        )


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


def _evaluate(
    truth: pa.Table,
    assignments: pa.Table,
    group_column: str,
    truth_path: Path | None,
    assignments_path: Path | None,
) -> Evaluation:
    _require_columns(truth, ("account_id", "group_id"), truth_path)
    _require_columns(assignments, ("account_id", group_column), assignments_path)

    truth_ids = _as_strings(truth.column("account_id"))
    if truth_ids.null_count:
        raise InputError(truth_path, f"{truth_ids.null_count} rows have no account_id")
    repeated = _duplicates(truth_ids)
    if repeated.any():
        raise InputError(truth_path, f"repeated account_id: {_ids_sample(truth_ids, repeated)}")
    planted = _codes(_as_strings(truth.column("group_id")))  # -1 = organic

    ids = _as_strings(assignments.column("account_id"))
    groups = _as_strings(assignments.column(group_column))
    assigned = pc.is_valid(groups)
    ids, groups = ids.filter(assigned), groups.filter(assigned)
    if ids.null_count:
        raise InputError(assignments_path, f"{ids.null_count} rows have no account_id")
    repeated = _duplicates(ids)
    if repeated.any():
        raise InputError(
            assignments_path,
            f"repeated account_id: {_ids_sample(ids, repeated)}",
            hint="give one row per detected account",
        )
    position = pc.index_in(ids, value_set=truth_ids)
    unknown = np.asarray(position.is_null())
    if unknown.any():
        raise InputError(
            assignments_path,
            f"{int(unknown.sum())} accounts are not in the truth: {_ids_sample(ids, unknown)}",
            hint="score a detection run against the truth of the same simulation",
        )
    row = np.asarray(position.to_numpy(zero_copy_only=False), np.int64)
    detected = _codes(groups)
    planted_of_detected = planted[row]

    n_planted_groups = int(planted.max()) + 1 if len(planted) else 0
    true_pairs = _pairs(np.bincount(planted[planted >= 0], minlength=1))
    predicted_pairs = _pairs(np.bincount(detected, minlength=1))
    both = planted_of_detected >= 0
    cell = detected[both] * max(n_planted_groups, 1) + planted_of_detected[both]
    correct_pairs = _pairs(np.unique(cell, return_counts=True)[1])

    precision = correct_pairs / predicted_pairs if predicted_pairs else 1.0
    recall = correct_pairs / true_pairs if true_pairs else 1.0
    # The harmonic mean of precision and recall, computed exactly from the counts; it agrees
    # with 2PR / (P + R) under the conventions above, including F1 = 1 when P = T = 0.
    f1 = 2 * correct_pairs / (predicted_pairs + true_pairs) if predicted_pairs + true_pairs else 1.0

    planted_accounts = int(np.sum(planted >= 0))
    organic_accounts = len(planted) - planted_accounts
    planted_found = int(np.sum(both))
    organic_flagged = len(detected) - planted_found
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
    )
