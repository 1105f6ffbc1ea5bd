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
import html
import json
import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

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


_PLACE = re.compile(r"\$\{(\w+)\}")


@cache
def _template() -> list[str]:
    """The page template split at its ``${name}`` places: text, name, text, name, ..."""
    return _PLACE.split(_asset("report.html"))


def _fill(values: dict[str, str]) -> str:
    """The template with every place filled (``values`` are HTML already)."""
    parts = _template()
    return "".join(values[p] if i % 2 else p for i, p in enumerate(parts))


def _esc(value: Any) -> str:
    """Any value as HTML text (``&``, ``<``, ``>``, both quotes escaped)."""
    return html.escape("" if value is None else str(value), quote=True)


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _kv(rows: list[tuple[str, Any]], cls: str = "kv", sub: frozenset[int] = frozenset()) -> str:
    cells = "".join(
        ('<tr class="sub">' if i in sub else "<tr>") + f"<th>{_esc(k)}</th><td>{_esc(v)}</td></tr>"
        for i, (k, v) in enumerate(rows)
    )
    return f'        <table class="{cls}">{cells}</table>'


def _overview_parts(overview: dict[str, Any], notes: list[Any]) -> dict[str, str]:
    """The overview's parts that depend on the result, as escaped HTML."""
    counts, rows = _map(overview.get("counts")), _map(overview.get("rows"))
    actions, params = _map(overview.get("actions")), _map(overview.get("parameters"))
    lede = f'Result folder <span class="v mono">{_esc(overview.get("result"))}</span>'
    if overview.get("created_at"):
        lede += f", computed {_esc(overview['created_at'])}"
    if overview.get("inconcert_version"):
        lede += f" by inconcert {_esc(overview['inconcert_version'])}"
    if overview.get("compat"):
        lede += f" in <b>{_esc(overview['compat'])}</b> compatibility mode"
    cards = [
        ("groups", counts.get("groups")),
        ("coordinated accounts", counts.get("accounts")),
        ("edges (account pairs)", counts.get("edges")),
        ("co-actions in evidence", counts.get("coactions")),
        ("rows read", rows.get("read")),
        ("posts", counts.get("posts")),
    ]
    span = overview.get("span")
    warnings = overview.get("warnings") or []
    items = [f'<li class="warn">{_esc(w)}</li>' for w in warnings]
    items += [f"<li>{_esc(n)}</li>" for n in notes]
    rejected = _map(rows.get("rejected"))
    table: list[tuple[str, Any]] = [
        ("read", _num(rows.get("read"))),
        ("used", _num(rows.get("used"))),
        ("rejected", _num(_total(rows.get("rejected")))),
    ]
    table += [(f"· {reason}", _num(n)) for reason, n in rejected.items()]
    sub = frozenset(range(3, len(table)))
    for key, name in (
        ("posts", "posts"),
        ("posts_with_actions", "posts with actions"),
        ("texts_too_short", "texts too short"),
    ):
        if key in actions:
            table.append((name, _num(actions[key])))
    parts = ["        <h3>Input rows</h3>", _kv(table, sub=sub)]
    by_kind = actions.get("actions_by_kind")
    if by_kind and isinstance(by_kind, dict):
        parts += [
            "        <h3>Actions by kind</h3>",
            _kv([(k, _num(n)) for k, n in by_kind.items()]),
        ]
    inputs = []
    for f in overview.get("inputs") or []:
        f = _map(f)
        inputs.append(
            '        <table class="kv file">'
            f'<tr><th>path</th><td class="v mono wrap">{_esc(f.get("path"))}</td></tr>'
            f"<tr><th>format</th><td>{_esc(f.get('format'))}</td></tr>"
            f"<tr><th>rows read / used</th><td>{_esc(_num(f.get('rows_read')))} / "
            f"{_esc(_num(f.get('rows_used')))}</td></tr>"
            f'<tr><th>SHA-256</th><td class="mono wrap small">{_esc(f.get("sha256"))}</td></tr>'
            "</table>"
        )
    if not inputs:
        inputs.append('        <p class="muted">Not recorded.</p>')
    versions = _map(overview.get("versions"))
    if versions:
        software = " · ".join(f"{_esc(k)} {_esc(v)}" for k, v in versions.items())
        inputs += ["        <h3>Software</h3>", f'        <p class="small">{software}</p>']
    parameters = "".join(
        f'<tr><th>{_esc(k)}</th><td class="v">{_esc(_show(v))}</td></tr>' for k, v in params.items()
    )
    return {
        "lede": f'  <p class="lede">{lede}.</p>',
        "cards": '  <div class="cards">'
        + "".join(
            f'<div class="card"><div class="k">{k}</div><div class="n">{_esc(_num(v))}</div></div>'
            for k, v in cards
        )
        + "</div>",
        "span": (
            f'  <p class="span">Coordinated activity from <b>{_esc(_utc(span[0]))}</b> to '
            f"<b>{_esc(_utc(span[1]))}</b> (UTC).</p>"
            if isinstance(span, list | tuple) and len(span) == 2
            else ""
        ),
        "window": _esc(_num(params.get("window"))),
        "notes": (
            '  <div class="box notes"><h2>Notes</h2><ul>' + "".join(items) + "</ul></div>"
            if items
            else ""
        ),
        "rows": "\n".join(parts),
        "parameters": f'        <table class="kv">{parameters}</table>',
        "inputs": "\n".join(inputs),
        "result": _esc(overview.get("result")),
    }


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
    if "</style" in css.lower():
        raise ValueError("report.css contains '</style' and cannot be inlined")
    overview = _map(data.get("overview"))
    return _fill(
        {
            **_overview_parts(overview, list(data.get("notes") or [])),
            "csp": _esc(csp_policy([bundle, app], [css])),
            "version": _esc(version),
            "title": _esc(title),
            "css": css,
            "data": script_json(data),
            "bundle": bundle,
            "app": app,
            "licences": _esc(_asset("graph.LICENSES.txt")),
        }
    )
