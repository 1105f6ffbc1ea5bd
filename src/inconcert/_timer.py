"""Stage times and peak memory of a run, and the warning when the run went above its memory
limit."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping

from .progress import Progress

__all__ = ["Timer", "memory_warning", "peak_rss_bytes"]


class Timer:
    """Each stage's time, and the process's peak memory as each stage ends (its high-water
    mark: the stage in which it first passes a value is the stage that took it there)."""

    def __init__(self, progress: Progress) -> None:
        self.timings: dict[str, float] = {}
        self.peaks: dict[str, int] = {}
        self.progress = progress
        self.start_peak = peak_rss_bytes()

    def stage(self, name: str) -> _Stage:
        return _Stage(self, name)


class _Stage:
    def __init__(self, timer: Timer, name: str) -> None:
        self.timer, self.name = timer, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()
        self.timer.progress(self.name, 0, 1)

    def __exit__(self, *exc: object) -> None:
        self.timer.timings[self.name] = round(time.perf_counter() - self.start, 4)
        peak = peak_rss_bytes()
        if peak is not None:
            self.timer.peaks[self.name] = peak
        self.timer.progress(self.name, 1, 1)


def peak_rss_bytes() -> int | None:
    """The process's peak resident memory so far (its high-water mark), in bytes; None where
    the system does not say (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # macOS: bytes; else KiB


def memory_warning(
    peaks: Mapping[str, int], start: int | None, limit: int, limit_text: str
) -> str | None:
    """A warning when the process went above the memory limit ``limit`` during the run: the
    first stage (in ``peaks``' order, each the high-water mark as it ended) that took the
    peak above the limit and above where it was when the run began (``start``), else None."""
    floor = max(limit, start or 0)
    over = next(((stage, peak) for stage, peak in peaks.items() if peak > floor), None)
    if over is None:
        return None
    stage, top = over[0], max(peaks.values())
    where = (
        "the read and the actions stage hold the posts and their actions in memory before "
        "DuckDB has them, so the limit cannot bound them: give more memory, or fewer or "
        "narrower inputs (e.g. --kinds)"
        if stage in ("read", "actions")
        else "DuckDB's limit is approximate and the run keeps some tables outside it: give "
        "more memory, or a lower --memory-limit to leave more room"
    )
    return (
        f"The process went above --memory-limit {limit_text} ({limit / 1024**3:.2f} GiB) in "
        f"the {stage} stage, and peaked at {top / 1024**3:.2f} GiB: {where}."
    )
