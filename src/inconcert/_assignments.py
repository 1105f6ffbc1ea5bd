"""Command-line values of the form ``name=value`` (``--map``, ``--objects``, ``--window-for``).

A module of its own, apart from the readers (:mod:`inconcert.ingest`, which re-exports it), so
that a command that parses such values without reading any input (``detect`` on a prepared
store) does not import the readers.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import ParameterError

__all__ = ["parse_assignments"]


def parse_assignments(items: Sequence[str], *, option: str) -> dict[str, str]:
    """Parse command-line values such as ``["a=b", "c=d,e=f"]`` into ``{"a": "b", ...}``.

    Each item holds one or more comma-separated ``name=value`` pairs; spaces around names and
    values are removed; the value may contain ``=`` (only the first one splits). A name given
    twice with different values is an error (twice with the same value is fine).

    Parameters
    ----------
    items
        The values given to the option, one per occurrence.
    option
        The option's name as the user typed it (``"--map"``), used in error messages.

    Raises
    ------
    ParameterError
        Naming the option and the malformed item.
    """
    if isinstance(items, str):
        items = [items]
    result: dict[str, str] = {}
    shape = "comma-separated name=value pairs, e.g. 'post_id=id,timestamp=created_at'"
    for item in items:
        for pair in item.split(","):
            name, sep, value = pair.partition("=")
            name, value = name.strip(), value.strip()
            if not sep or not name or not value:
                raise ParameterError(option, shape, item)
            if result.get(name, value) != value:
                raise ParameterError(option, f"{shape}, each name at most once", item)
            result[name] = value
    return result
