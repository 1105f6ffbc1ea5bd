"""How the user describes tables that are not in the canonical shape.

:class:`InputOptions` gathers what ``--format``, ``--list-sep``, ``--time-format``, ``--tz``,
``--permalink`` and a TOML mapping file (``--mapping FILE``) say, globally and per file
pattern; :meth:`InputOptions.for_file` gives the :class:`FileSettings` of one file.

Also here: time zones (IANA names, offsets and the usual abbreviations such as ``EDT``) and the
vectorised column rewrites that run before the ordinary conversion (lists split on a
separator, local times made absolute).
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inconcert._ingested import check_reject_share
from inconcert.errors import InputError, ParameterError

from .._arrow import one_array

__all__ = [
    "ZONE_ABBREVIATIONS",
    "FileRule",
    "FileSettings",
    "InputOptions",
    "load_mapping_file",
    "localize_times",
    "parse_tz",
    "split_list",
    "split_on",
]

#: Zone abbreviations resolved in timestamps (``2021-03-01 14:33:12 EDT``) and accepted by
#: ``--tz``, as hours east of UTC. Ambiguous ones (``IST``, ``CST`` in China) take the reading
#: most common in social-media exports (North American zones for ``CST``; India for ``IST``).
ZONE_ABBREVIATIONS: dict[str, float] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "UT": 0,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "IST": 5.5,
    "CET": 1,
    "CEST": 2,
    "MET": 1,
    "MEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "TRT": 3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "AST": -4,
    "ADT": -3,
    "NST": -3.5,
    "NDT": -2.5,
    "BRT": -3,
    "ART": -3,
    "PKT": 5,
    "ICT": 7,
    "WIB": 7,
    "SGT": 8,
    "HKT": 8,
    "PHT": 8,
    "JST": 9,
    "KST": 9,
    "AWST": 8,
    "ACST": 9.5,
    "ACDT": 10.5,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "SAST": 2,
    "CAT": 2,
    "EAT": 3,
    "WAT": 1,
}

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)
_TRAILING_ZONE = re.compile(r"^(.*\d)\s*\(?([A-Za-z]{1,5})\)?$")
_NAIVE_ISO = re.compile(r"^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?$")
_LOCAL_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %I:%M:%S %p",
    "%d %b %Y %H:%M:%S",
    "%a %b %d %H:%M:%S %Y",
)


def parse_tz(text: str, option: str = "--tz") -> tzinfo:
    """An IANA zone (``America/New_York``), an offset (``+02:00``, ``UTC-5``) or an
    abbreviation (``EDT``) as a tzinfo; ParameterError otherwise."""
    value = text.strip()
    abbreviation = ZONE_ABBREVIATIONS.get(value.upper())
    if abbreviation is not None:
        return timezone(timedelta(hours=abbreviation), value.upper())
    match = _OFFSET.match(value)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        hours, minutes = int(match.group(2)), int(match.group(3) or 0)
        if hours <= 14 and minutes < 60:
            return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    raise ParameterError(
        option,
        "an IANA time zone (Europe/Berlin), an offset (+02:00) or an abbreviation (EDT, CET, ...)",
        text,
    )


@dataclass(frozen=True)
class FileSettings:
    """How to read one file."""

    format: str = "auto"
    mapping: Mapping[str, str] = field(default_factory=dict)
    list_sep: str | None = None
    time_format: str | None = None
    tz: str | None = None
    permalink: str | None = None


@dataclass(frozen=True)
class FileRule:
    """Settings for the files whose path (or name) matches a glob ``pattern``."""

    pattern: str
    format: str | None = None
    mapping: Mapping[str, str] | None = None
    list_sep: str | None = None
    time_format: str | None = None
    tz: str | None = None
    permalink: str | None = None

    def matches(self, display: str) -> bool:
        path = display.replace(os.sep, "/")
        name = path.rsplit("/", 1)[-1]
        return fnmatch.fnmatch(path, self.pattern) or fnmatch.fnmatch(name, self.pattern)


@dataclass(frozen=True)
class InputOptions:
    """Reading options beyond the column mapping (CLI ``--format``, ``--list-sep``,
    ``--time-format``, ``--tz``, ``--permalink``, ``--mapping FILE``).

    Attributes
    ----------
    format
        ``auto`` (recognise platform exports by their content), ``table`` (the canonical
        posts/actions table, columns named or mapped) or a format name from
        ``inconcert formats``.
    list_sep
        List cells of a table (urls, hashtags, mentions, image_hashes) are split on this
        (``,``) instead of whitespace.
    time_format
        ``strptime`` format of the timestamp column (``%d/%m/%Y %H:%M``).
    tz
        Zone of timestamps written without one (IANA name, offset or abbreviation).
    permalink
        Link template of a post, with ``{post_id}``, ``{account_id}``, ``{platform}``.
    files
        Rules for the files matching a pattern (the first matching rule wins), overriding
        the settings above and the global mapping.
    reject_warning_share
        Warn when more than this share of the rows read is rejected.
    """

    format: str = "auto"
    list_sep: str | None = None
    time_format: str | None = None
    tz: str | None = None
    permalink: str | None = None
    files: tuple[FileRule, ...] = ()
    reject_warning_share: float = 0.05

    def __post_init__(self) -> None:
        if self.tz is not None:
            parse_tz(self.tz)
        for rule in self.files:
            if rule.tz is not None:
                parse_tz(rule.tz)
        check_reject_share(self.reject_warning_share)
        if self.list_sep == "":
            raise ParameterError("--list-sep", "a non-empty separator", self.list_sep)

    def for_file(self, display: str, mapping: Mapping[str, str]) -> FileSettings:
        """The settings of one file: its rule's, falling back to the global ones."""
        settings = FileSettings(
            self.format, dict(mapping), self.list_sep, self.time_format, self.tz, self.permalink
        )
        for rule in self.files:
            if rule.matches(display):
                return FileSettings(
                    rule.format or settings.format,
                    dict(rule.mapping) if rule.mapping is not None else settings.mapping,
                    rule.list_sep or settings.list_sep,
                    rule.time_format or settings.time_format,
                    rule.tz or settings.tz,
                    rule.permalink or settings.permalink,
                )
        return settings


_SETTING_KEYS = ("format", "list_sep", "time_format", "tz", "permalink")


def _strings(table: Mapping[str, Any], where: str, path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str):
            raise InputError(path, f"{where}: the value of {key!r} must be text, got {value!r}")
        out[str(key)] = value
    return out


def load_mapping_file(
    path: str | os.PathLike[str], base: InputOptions | None = None
) -> tuple[InputOptions, dict[str, str]]:
    """Read a TOML mapping file; return the options and the global column mapping.

    ``format``, ``list_sep``, ``time_format``, ``tz`` and ``permalink`` at the top level; the
    column mapping in ``[map]``; per file pattern, a table ``[files."PATTERN"]`` with the same
    keys and its own ``map``. Options given on the command line (``base``) win over the file's
    top-level ones.
    """
    display = os.fspath(path)
    try:
        data = tomllib.loads(Path(display).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(display, "mapping file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(display, f"cannot read the mapping file: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(display, f"not valid TOML: {exc}") from exc
    known = {*_SETTING_KEYS, "map", "files", "reject_warning_share"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(
            display, f"unknown keys {unknown}", hint="known: " + ", ".join(sorted(known))
        )
    mapping = _strings(data.get("map", {}), "[map]", display)
    rules: list[FileRule] = []
    for pattern, rule in (data.get("files") or {}).items():
        if not isinstance(rule, Mapping):
            raise InputError(display, f"[files.{pattern!r}] must be a table")
        bad = sorted(set(rule) - {*_SETTING_KEYS, "map"})
        if bad:
            raise InputError(display, f"[files.{pattern!r}]: unknown keys {bad}")
        settings = _strings(
            {k: v for k, v in rule.items() if k != "map"}, f"[files.{pattern!r}]", display
        )
        rules.append(
            FileRule(
                pattern=str(pattern),
                mapping=_strings(rule["map"], f"[files.{pattern!r}.map]", display)
                if "map" in rule
                else None,
                **settings,
            )
        )
    top = _strings({k: v for k, v in data.items() if k in _SETTING_KEYS}, "top level", display)
    base = base or InputOptions()
    chosen: dict[str, Any] = {}
    for key in _SETTING_KEYS:
        given = getattr(base, key)
        default = getattr(InputOptions(), key)
        chosen[key] = given if given != default else top.get(key, default)
    share = data.get("reject_warning_share", base.reject_warning_share)
    options = replace(
        base, **chosen, files=(*base.files, *rules), reject_warning_share=float(share)
    )
    return options, mapping


# ---------------------------------------------------------------------------------------------
# Column rewrites
# ---------------------------------------------------------------------------------------------


def split_list(value: Any, sep: str = ",") -> list[str]:
    """A list cell as a list: a real list, a JSON-ish ``[a, b]``, or items joined by ``sep``."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    if not text:
        return []
    if text.startswith("[") and text.endswith("]"):
        import json

        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v).strip() for v in parsed if v is not None and str(v).strip()]
        text = text[1:-1]
        parts = [p.strip().strip("'\"").strip() for p in text.split(",")]
        return [p for p in parts if p]
    return [p.strip() for p in text.split(sep) if p.strip()]


def split_on(column: pa.Array | pa.ChunkedArray, sep: str) -> pa.Array:
    """A text column of ``a, b, c`` cells as ``list<string>`` split on ``sep``, items trimmed
    (a cell holding a JSON array is left for the ordinary list parser: not split here)."""
    array = one_array(column)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return array
    array = array.cast(pa.string())
    is_json = pc.fill_null(pc.starts_with(pc.utf8_ltrim_whitespace(array), "["), False)
    if pc.any(is_json).as_py():
        values = [None if v is None else split_list(v, sep) for v in array.to_pylist()]
        return pa.array(values, pa.list_(pa.string()))
    lists = pc.split_pattern(array, sep)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    offsets = lists.offsets
    return pa.ListArray.from_arrays(offsets, flat, mask=lists.is_null())


def _with_zone(moment: datetime, zone: tzinfo | None) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone or UTC)
    return moment


def _parse_local(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _LOCAL_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _localize_one(text: str, time_format: str | None, zone: tzinfo | None) -> str | None:
    """One timestamp text as ISO 8601 with an offset, or None to leave it as it is."""
    value = text.strip()
    abbreviation: tzinfo | None = None
    match = _TRAILING_ZONE.match(value)
    if match and match.group(2).upper() in ZONE_ABBREVIATIONS:
        hours = ZONE_ABBREVIATIONS[match.group(2).upper()]
        abbreviation = timezone(timedelta(hours=hours))
        value = match.group(1).strip()
    moment: datetime | None = None
    if time_format:
        try:
            moment = datetime.strptime(value, time_format)
        except ValueError:
            moment = None
    if moment is None and (
        abbreviation is not None or (zone is not None and _NAIVE_ISO.match(value))
    ):
        moment = _parse_local(value)
    if moment is None:
        return None
    if abbreviation is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=abbreviation)
    return _with_zone(moment, zone).isoformat()


def localize_times(
    column: pa.Array | pa.ChunkedArray, time_format: str | None = None, tz: str | None = None
) -> pa.Array | pa.ChunkedArray:
    """Make text timestamps absolute before the ordinary parser reads them.

    Always: a trailing zone abbreviation (``2021-03-01 14:33:12 EDT``) is resolved with
    :data:`ZONE_ABBREVIATIONS`. With ``time_format``: each text is read with that ``strptime``
    format. With ``tz``: times without a zone are in that zone (instead of UTC). Texts that none
    of this applies to are left as they are, for the ordinary parser (and its rejects).
    """
    array = one_array(column)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return column
    array = array.cast(pa.string())
    zone = parse_tz(tz) if tz else None
    if time_format is None and zone is None:
        candidates = pc.fill_null(
            pc.match_substring_regex(array, r"\d\s*\(?[A-Za-z]{1,5}\)?\s*$"), False
        )
        if not pc.any(candidates).as_py():
            return column
    encoded = array.dictionary_encode()
    values = encoded.dictionary.to_pylist()
    rewritten = [None if v is None else (_localize_one(v, time_format, zone) or v) for v in values]
    if rewritten == values:
        return column
    dictionary = pa.array(rewritten, pa.string())
    indices = encoded.indices
    result = dictionary.take(indices)
    assert len(result) == len(array)
    return result


def has_nested_path(mapping: Mapping[str, str], names: list[str]) -> bool:
    """Some mapped column is a dotted path that is not itself a column name."""
    return any("." in column and column not in names for column in mapping.values())


def flatten_structs(table: pa.Table) -> pa.Table:
    """Struct columns spread into ``parent.child`` columns, recursively."""
    for _ in range(32):
        if not any(pa.types.is_struct(f.type) for f in table.schema):
            break
        table = table.flatten()
    return table


def np_bool(array: pa.Array) -> np.ndarray:
    return np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
