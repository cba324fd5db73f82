"""The HTML every page shares: a self-contained shell with inline CSS, escaping, outcome badges.

No external assets, no scripts: a page opens from disk, offline, and prints.
Every outcome has a colour and a text symbol, so it reads in greyscale too.
All text that comes from specs, backends or exceptions goes through ``esc``.
"""

from __future__ import annotations

import html
import re
from typing import Any

from tensorparity.harness.reports.grid import LISTING, NAMES, SYMBOLS, Cell

# outcome -> (background, text colour)
COLOURS = {
    "pass": ("#2e7d32", "#ffffff"),
    "raises_as_torch": ("#a5d6a7", "#1b3d1d"),
    "not_implemented": ("#e6e6e6", "#555555"),
    "xfail": ("#fff1a8", "#5c4b00"),
    "xpass": ("#ffb74d", "#4a2800"),
    "mismatch": ("#e53935", "#ffffff"),
    "wrong_exception": ("#f06292", "#3d0019"),
    "error": ("#8e1b1b", "#ffffff"),
    "timeout": ("#6a1b9a", "#ffffff"),
    "crash": ("#111111", "#ffffff"),
}

CSS = """
:root { --fg: #1d1f23; --muted: #5f6670; --line: #d9dde3; --bg: #ffffff; --soft: #f5f6f8; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 64px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--fg); background: var(--bg); }
main { max-width: 1500px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
h4 { font-size: 14px; margin: 14px 0 6px; }
h1 code, h2 code, h3 code { font-size: inherit; }
p.lead { color: var(--muted); margin: 0 0 16px; }
a { color: #0b57d0; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; margin: 6px 0;
      overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
table { border-collapse: collapse; }
table.data { margin: 6px 0 12px; }
table.data th, table.data td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.data th { background: var(--soft); font-weight: 600; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; min-width: 2.4em; padding: 1px 5px; border-radius: 3px; text-align: center;
         font: 600 11.5px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 8px 0 14px; color: var(--muted); font-size: 13px; }
.legend span.item { white-space: nowrap; }
.heatmaps { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
table.heat { font-size: 12px; }
table.heat th { font-weight: 600; padding: 2px 4px; white-space: nowrap; }
table.heat thead th { vertical-align: bottom; height: 64px; }
table.heat thead th div { writing-mode: vertical-rl; transform: rotate(180deg); font-family: ui-monospace, Menlo, monospace;
                          font-weight: 500; }
table.heat tbody th { text-align: right; font-family: ui-monospace, Menlo, monospace; font-weight: 500; padding-right: 8px; }
table.heat td { width: 34px; height: 22px; padding: 0; text-align: center; border: 1px solid #fff; }
table.heat td.empty { background: #fafafa; }
table.heat td a, table.heat td span { display: block; line-height: 22px; text-decoration: none; color: inherit;
                                      font: 600 11px/22px ui-monospace, Menlo, monospace; }
.bar { display: flex; width: 320px; height: 14px; border: 1px solid var(--line); border-radius: 3px; overflow: hidden;
       background: var(--soft); }
.bar div { height: 100%; }
.verdict-ok { color: #1b5e20; font-weight: 700; }
.verdict-fail { color: #b71c1c; font-weight: 700; }
details.failure { border: 1px solid var(--line); border-radius: 4px; margin: 4px 0; background: #fff; }
details.failure > summary { cursor: pointer; padding: 4px 8px; list-style-position: outside; margin-left: 14px; }
details.failure > summary .msg { color: var(--muted); }
details.failure[open] > summary { border-bottom: 1px solid var(--line); background: var(--soft); }
details.failure .body { padding: 4px 10px 8px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
.opgroup:target, details:target { outline: 2px solid #0b57d0; outline-offset: 2px; }
.muted { color: var(--muted); }
nav.crumbs { margin-bottom: 12px; font-size: 13px; }
@media print { details.failure { break-inside: avoid; } }
"""


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(value: Any) -> str:
    """Escape any text for HTML, attributes included; control characters show as ``\\x1b``."""
    text = html.escape("" if value is None else str(value), quote=True)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def anchor(*parts: str) -> str:
    """A safe id for an element: letters, digits and -_. only."""
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]", "_", part) for part in parts)


def badge(outcome: str, text: str | None = None) -> str:
    background, colour = COLOURS[outcome]
    label = SYMBOLS[outcome] if text is None else text
    return f'<span class="badge" style="background:{background};color:{colour}" title="{esc(NAMES[outcome])}">{esc(label)}</span>'


def legend() -> str:
    items = "".join(f'<span class="item">{badge(o)} {esc(NAMES[o])}</span>' for o in LISTING)
    return f'<div class="legend">{items}<span class="item"><span class="badge" style="background:#fafafa">&nbsp;</span> no case</span></div>'


def cell_td(cell: Cell | None, op: str, dtype: str, href: str | None = None) -> str:
    """One heatmap cell: the worst outcome's colour and symbol; its counts in the tooltip."""
    if cell is None:
        return f'<td class="empty" title="{esc(op)}, {esc(dtype)}: no case"></td>'
    outcome = cell.outcome
    background, colour = COLOURS[outcome]
    inner = esc(SYMBOLS[outcome])
    body = f'<a href="#{esc(href)}">{inner}</a>' if href else f"<span>{inner}</span>"
    return f'<td style="background:{background};color:{colour}" title="{esc(cell.title(op, dtype))}">{body}</td>'


def bar(parts: list[tuple[str, int]], total: int) -> str:
    """A stacked bar of outcome counts."""
    if not total:
        return '<div class="bar"></div>'
    segments = "".join(
        f'<div style="width:{100.0 * n / total:.3f}%;background:{COLOURS[o][0]}" title="{esc(NAMES[o])}: {n}"></div>'
        for o, n in parts
        if n
    )
    return f'<div class="bar">{segments}</div>'


def document(title: str, body: str) -> str:
    """A complete, self-contained HTML page."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """A data table; ``headers`` are plain text, ``rows`` are already HTML."""
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
