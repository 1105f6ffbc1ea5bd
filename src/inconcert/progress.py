"""Progress reporting: the library calls a callback, only the CLI draws.

Every long stage calls ``progress(stage, done, total)``; ``total`` is ``None`` when unknown.
The default callback does nothing, so library users see no output unless they ask for it.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "null_progress"]

Progress = Callable[[str, float, "float | None"], None]


def null_progress(stage: str, done: float, total: float | None) -> None:
    """A progress callback that ignores every report."""
