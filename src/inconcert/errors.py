"""The exceptions inconcert raises: one base class, a few precise kinds.

The CLI maps every :class:`InconcertError` to a one-line message and exit code 2; anything
else is a bug and shows a traceback.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "InconcertError",
    "InputError",
    "OutputError",
    "ParameterError",
    "ResourceError",
    "unreadable_store_file",
]


class InconcertError(Exception):
    """Base class of every error inconcert raises on purpose."""


class ParameterError(InconcertError, ValueError):
    """A parameter is outside its documented range.

    The message always has one shape: "The 'window' parameter must be ... Got -1 instead."
    """

    def __init__(self, name: str, constraint: str, value: object) -> None:
        self.name = name
        self.constraint = constraint
        self.value = value
        super().__init__(f"The {name!r} parameter must be {constraint}. Got {value!r} instead.")


class InputError(InconcertError):
    """An input file cannot be read as a whole.

    Names the file, the line (1-based, the header being line 1 for CSV) or record where
    known, what is wrong, and, where there is one, how to fix it.
    """

    def __init__(
        self,
        path: str | Path | None,
        problem: str,
        *,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.problem = problem
        self.hint = hint
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}, line {line}"
        message = f"{where}: {problem}"
        if hint:
            message = f"{message} ({hint})"
        super().__init__(message)


class OutputError(InconcertError):
    """An output file or folder cannot be written where asked: it is an input, a file where a
    folder is needed, already holds results, or its folder is missing or read-only.

    Names the path, what is wrong and, where there is one, how to fix it. Raised before any
    input is read whenever the problem can be seen then.
    """

    def __init__(self, path: str | Path, problem: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.hint = hint
        message = f"{self.path}: {problem}"
        if hint:
            message = f"{message} ({hint})"
        super().__init__(message)


class ResourceError(InconcertError):
    """A run needed more memory or temporary disk than it was allowed (``--memory-limit``,
    ``--max-temp-size``) or than the machine has. Says which, the limit, and what to change."""

    def __init__(self, resource: str, problem: str, *, hint: str | None = None) -> None:
        self.resource = resource
        self.problem = problem
        self.hint = hint
        message = f"out of {resource}: {problem}"
        if hint:
            message = f"{message} ({hint})"
        super().__init__(message)


def unreadable_store_file(path: str | Path, why: object) -> InputError:
    """The error for a file attached to an engine (a prepared store's) that cannot be read:
    its path, the reader's reason on one line, and what to do."""
    return InputError(
        path,
        f"cannot be read: {' '.join(str(why).split())}",
        hint="it was damaged or changed after it was written; prepare the store again",
    )
