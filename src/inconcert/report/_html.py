"""Assembling the single self-contained HTML file.

Data goes in as JSON inside ``<script type="application/json">`` with ``<``, ``>``, ``&`` and
the JavaScript line separators U+2028/U+2029 escaped, so no value can close the element or open
another one; the page's own script reads it with ``JSON.parse`` and writes every value with
``textContent``. A Content-Security-Policy allows only the two inline scripts of the page (by
their SHA-256) and no network access at all, as a second wall behind the escaping.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, Template, select_autoescape
from markupsafe import Markup

from ._json import PAGE_ESCAPES, Raw

__all__ = ["csp_policy", "render_page", "script_json"]


def _dumps(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: let JSON escape them
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    for raw, esc in PAGE_ESCAPES.items():
        text = text.replace(raw, esc)
    return text


def _encode(value: Any, out: list[str], depth: int = 0) -> None:
    """Append the JSON of ``value`` to ``out``: :class:`Raw` parts as they are. The top levels
    are walked key by key (the large blocks hold Raw parts there); below, a value is written
    in one piece unless it holds a Raw part."""
    if isinstance(value, Raw):
        out.append(value.text)
        return
    if depth >= 3 and not isinstance(value, dict | list | tuple):
        out.append(_dumps(value))
        return
    if depth >= 3:
        try:
            out.append(_dumps(value))
            return
        except TypeError:  # a Raw part inside
            pass
    if isinstance(value, dict):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            out.append(("," if i else "") + _dumps(str(key)) + ":")
            _encode(item, out, depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple) and value and isinstance(value[0], Raw | dict):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out, depth + 1)
        out.append("]")
    else:
        out.append(_dumps(value))


def script_json(value: Any) -> str:
    """JSON text safe to place inside ``<script type="application/json">``.

    Parameters
    ----------
    value:
        Anything :func:`json.dumps` takes (NaN and infinities are refused: use ``None``), and
        :class:`inconcert.report._json.Raw` JSON text, spliced in as it is.

    Returns
    -------
    str
        Compact JSON in which ``<``, ``>``, ``&``, U+2028 and U+2029 appear only as ``\\uXXXX``
        escapes (they can only occur inside strings, where JSON allows the escape), so the text
        can neither end the script element nor start a comment, and ``JSON.parse`` returns the
        original value.
    """
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


@cache
def _asset(name: str) -> str:
    return (resources.files("inconcert.report") / "assets" / name).read_text(encoding="utf-8")


def _sha(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def csp_policy(scripts: list[str], styles: list[str]) -> str:
    """The page's Content-Security-Policy: only the given inline scripts and styles run, and
    nothing is fetched from anywhere (images only as ``data:``)."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(_sha(s) for s in scripts),
            "style-src " + " ".join(_sha(s) for s in styles),
            "img-src data:",
            "connect-src 'none'",
            "font-src 'none'",
            "object-src 'none'",
            "frame-src 'none'",
            "worker-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _num(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "–" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def _utc(value: Any) -> str:
    if not isinstance(value, int | float):
        return ""
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _show(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "–"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "–"
    return str(value)


def _total(value: Any) -> int:
    if isinstance(value, dict):
        return sum(v for v in value.values() if isinstance(v, int))
    return value if isinstance(value, int) else 0


def _check_script(code: str, name: str) -> str:
    low = code.lower()
    if "</script" in low or "<!--" in low:
        raise ValueError(f"{name} contains '</script' or '<!--' and cannot be inlined")
    return code


_DATA_MARK = "\u0000inconcert-page-data\u0000"


@cache
def _template() -> Template:
    env = Environment(
        autoescape=select_autoescape(default=True, default_for_string=True),
        keep_trailing_newline=True,
    )
    env.filters.update(num=_num, utc=_utc, show=_show, total=_total)
    return env.from_string(_asset("report.html.j2"))


def render_page(data: dict[str, Any], *, title: str, version: str) -> str:
    """The complete HTML text of the report.

    Parameters
    ----------
    data:
        The page data (see :func:`inconcert.report._data.page_data`).
    title:
        Shown in the browser tab and the header (escaped).
    version:
        inconcert's version, for the footer.
    """
    bundle = _check_script(_asset("graph.min.js"), "graph.min.js")
    app = _check_script(_asset("report.js"), "report.js")
    css = _asset("report.css")
    page = _template().render(
        title=title,
        version=version,
        overview=data.get("overview", {}),
        notes=data.get("notes", []),
        csp=csp_policy([bundle, app], [css]),
        css=Markup(css),
        data=Markup(_DATA_MARK),
        bundle=Markup(bundle),
        app=Markup(app),
        licences=_asset("graph.LICENSES.txt"),
    )
    # the data (megabytes) goes in last, not through the template engine; everything that
    # comes from the result is before it, so the last mark is the template's own
    before, mark, after = page.rpartition(_DATA_MARK)
    if not mark:
        raise ValueError("the report template has no place for the data")
    return before + script_json(data) + after
