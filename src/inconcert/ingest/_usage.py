"""Did the input give anything to analyse? The checks behind truthful exit codes.

:func:`usage_problems` looks at what was read and what the actions stage made of it and says
whether the run is empty (every row rejected, no row at all, or posts that gave no action) and
which warnings to give (a large share of rejected rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inconcert.ingest import Ingested

__all__ = ["Usage", "usage_problems"]

_TIME_HINT = (
    "times with a zone abbreviation (EDT) are read; for another layout give "
    "--time-format (e.g. '%d/%m/%Y %H:%M') and --tz"
)


@dataclass(frozen=True)
class Usage:
    """The verdict on a run's input.

    ``empty`` is the reason the run has nothing to analyse (None when it has something);
    ``warnings`` are plain-language notes.
    """

    empty: str | None = None
    warnings: list[str] = field(default_factory=list)


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(
        f"{reason}: {n:,}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])
    )


def _first_reject(ingested: Ingested) -> str:
    rows = ingested.rejects.slice(0, 1).to_pylist()
    if not rows:
        return ""
    row = rows[0]
    return f"; first: {row['file']}, line {row['line']}: {row['reason']} ({row['detail']})"


def usage_problems(
    ingested: Ingested,
    actions_by_kind: Mapping[str, int] | None,
    *,
    reject_warning_share: float = 0.05,
) -> Usage:
    """Whether a run had nothing to analyse, and warnings about its input.

    Parameters
    ----------
    ingested
        What :func:`~inconcert.ingest.read_inputs` returned.
    actions_by_kind
        The actions made per kind (posts input), or None for a ready-made actions table.
    reject_warning_share
        Warn when more than this share of the rows read was rejected.
    """
    warnings: list[str] = []
    read, used = ingested.rows_read, ingested.rows_used
    rejected = ingested.rejected
    if read == 0:
        return Usage("no rows were read: the input has a header and nothing else", warnings)
    if used == 0:
        hint = ""
        if {"bad_timestamp", "missing_timestamp"} & set(rejected):
            hint = f" ({_TIME_HINT})"
        return Usage(
            f"every one of the {read:,} rows read was rejected ({_counts(rejected)})"
            f"{_first_reject(ingested)}; --rejects FILE lists them all{hint}",
            warnings,
        )
    share = (read - used) / read
    if share > reject_warning_share:
        hint = f"; {_TIME_HINT}" if {"bad_timestamp"} & set(rejected) else ""
        warnings.append(
            f"{read - used:,} of {read:,} rows read ({share:.0%}) were rejected "
            f"({_counts(rejected)}); --rejects FILE lists them{hint}"
        )
    if actions_by_kind is not None and sum(actions_by_kind.values()) == 0:
        kinds = ", ".join(sorted(actions_by_kind)) or "(none)"
        return Usage(
            f"the {used:,} posts read gave no action of the kinds compared ({kinds}): no "
            "reposts, links, hashtags or texts long enough; choose other --kinds, or check "
            "that the columns are mapped (--map, --format)",
            warnings,
        )
    return Usage(None, warnings)
