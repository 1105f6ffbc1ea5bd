"""Stage times and peak memory of a run, and the warning when the run went above its memory
limit."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

from .progress import Progress

__all__ = ["Timer", "current_rss_bytes", "memory_warning", "peak_rss_bytes"]


class Timer:
    """Each stage's time, and the process's peak memory (its high-water mark) as each stage
    ends (``peaks``). ``marks`` records, in order, the high-water mark each time a stage stops
    running, because it ends or a stage nested in it starts: the first mark above a value
    names the stage that took the process there (a nested stage's peak does not hide what
    the stage around it took before it began)."""

    def __init__(self, progress: Progress) -> None:
        self.timings: dict[str, float] = {}
        self.peaks: dict[str, int] = {}
        self.marks: list[tuple[str, int]] = []
        self.progress = progress
        self.start_peak = peak_rss_bytes()
        self._running: list[str] = []

    def stage(self, name: str) -> _Stage:
        return _Stage(self, name)

    def _mark(self, stage: str) -> int | None:
        peak = peak_rss_bytes()
        if peak is not None:
            self.marks.append((stage, peak))
        return peak


class _Stage:
    def __init__(self, timer: Timer, name: str) -> None:
        self.timer, self.name = timer, name

    def __enter__(self) -> None:
        if self.timer._running:  # the stage around this one stops running for a while
            self.timer._mark(self.timer._running[-1])
        self.timer._running.append(self.name)
        self.start = time.perf_counter()
        self.timer.progress(self.name, 0, 1)

    def __exit__(self, *exc: object) -> None:
        self.timer.timings[self.name] = round(time.perf_counter() - self.start, 4)
        self.timer._running.pop()
        peak = self.timer._mark(self.name)
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


def current_rss_bytes() -> int | None:
    """The process's resident memory now, in bytes; None where the system does not say
    cheaply (it is read from ``/proc/self/statm``, which Linux has)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            resident = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return resident * os.sysconf("SC_PAGE_SIZE")


def memory_warning(
    marks: Sequence[tuple[str, int]], start: int | None, limit: int, limit_text: str
) -> str | None:
    """A warning when the process went above the memory limit ``limit`` during the run: the
    stage of the first of ``marks`` (:attr:`Timer.marks`) above the limit and above where the
    peak was when the run began (``start``), else None."""
    floor = max(limit, start or 0)
    over = next(((stage, peak) for stage, peak in marks if peak > floor), None)
    if over is None:
        return None
    stage, top = over[0], max(peak for _, peak in marks)
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
