"""The HTML every page shares: a self-contained shell with inline CSS, escaping, outcome badges.

No external assets, no scripts: a page opens from disk, offline, and prints.

Readable without colour: passes are pale and quiet, failures dark and loud, so they
differ in lightness (greyscale, colour-vision deficiencies) as well as in hue; a
failing cell or badge also has a dark frame and a notch in its corner, a cell with
no implementation a dashed one; and every outcome shows its text symbol. Every
badge's text has a WCAG contrast of at least 4.5:1 on its background
(tests/test_reports.py measures it from ``COLOURS``, as the CSS below writes it).

Readable on a phone: every table sits in its own horizontally scrolling box, a
heatmap's op column stays put while it scrolls, and nothing else is wider than
the screen (tools/check_widths.py measures it at 400 px in headless Chromium).

All text that comes from specs, backends or exceptions goes through ``esc``.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any

from tensorparity.harness import results as outcomes
from tensorparity.harness.reports.grid import CONFORMANT, LISTING, NAMES, SYMBOLS, Cell

# outcome -> (background, text colour): conformant outcomes pale, failures dark. Text on each
# background: at least 4.5:1; each failure's background against each pale one: at least 3:1,
# also as readers with deuteranopia or protanopia see them (tests/test_report_readability.py).
COLOURS = {
    "pass": ("#e3f0e1", "#1b4a1f"),
    "raises_as_torch": ("#e2eaf5", "#1d3a63"),
    "not_implemented": ("#f0f0f0", "#505050"),
    "xfail": ("#f7eec9", "#574500"),
    "xpass": ("#b06f00", "#000000"),
    "mismatch": ("#c2410c", "#ffffff"),
    "wrong_exception": ("#8a3b00", "#ffffff"),
    "error": ("#a3124f", "#ffffff"),
    "timeout": ("#3b3b98", "#ffffff"),
    "crash": ("#111111", "#ffffff"),
}
FRAME = "#1a1a1a"  # the frame of a failing cell or badge
NO_CASE = "#ffffff"

# Text on a background, besides the badges: (name, text, background); the contrast test reads these too.
TEXT = (
    ("body", "#1d1f23", "#ffffff"),
    ("muted", "#545b64", "#ffffff"),
    ("muted on soft", "#545b64", "#f3f4f6"),
    ("link", "#0b57d0", "#ffffff"),
    ("verdict ok", "#1b5e20", "#ffffff"),
    ("verdict fail", "#ffffff", "#b3261e"),
    ("erratum", "#1d1f23", "#fff4e5"),
)


def _outcome_css() -> str:
    rules = []
    for outcome, (background, colour) in COLOURS.items():
        rules.append(f".o-{outcome} {{ background-color: {background}; color: {colour}; }}")
    failing = ", ".join(f".o-{o}" for o in LISTING if o in outcomes.FAILING)
    rules.append(
        f"{failing.replace(', ', '.badge, ')}.badge, table.heat td:is({failing}) {{ box-shadow: inset 0 0 0 2px {FRAME}; "
        f"background-image: linear-gradient(135deg, #ffffff 0 5px, transparent 5px); }}"
    )
    rules.append(
        "table.heat td.o-not_implemented, .o-not_implemented.badge { outline: 1px dashed #6b6b6b; outline-offset: -3px; }"
    )
    return "\n".join(rules)


CSS = (
    """
:root { --fg: #1d1f23; --muted: #545b64; --line: #d5d9df; --bg: #ffffff; --soft: #f3f4f6; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; padding: 16px 14px 48px; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--fg); background: var(--bg); overflow-wrap: break-word; }
@media (min-width: 720px) { body { padding: 24px 32px 64px; } }
main { max-width: 1880px; margin: 0 auto; }
p, ul, ol, dl, .prose { max-width: 82ch; }
h1 { font-size: 24px; margin: 0 0 6px; line-height: 1.25; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 24px 0 8px; }
h4 { font-size: 15px; margin: 16px 0 6px; }
h1 code, h2 code, h3 code, h4 code { font-size: inherit; }
p.lead { color: var(--muted); margin: 0 0 16px; }
a { color: #0b57d0; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
code { overflow-wrap: anywhere; }
td code, th code { overflow-wrap: normal; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; margin: 6px 0;
      overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; max-width: 100%; }
.scroll { overflow-x: auto; max-width: 100%; -webkit-overflow-scrolling: touch; margin: 6px 0 12px; }
.scroll > table { margin: 0; }
table { border-collapse: collapse; }
table.data th, table.data td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.data th { background: var(--soft); font-weight: 600; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data.sticky tbody td:first-child, table.data.sticky thead th:first-child { position: sticky; left: 0; z-index: 1; }
table.data.sticky tbody td:first-child { background: var(--bg); }
.badge { display: inline-block; min-width: 2.2em; padding: 1px 6px; border-radius: 3px; text-align: center; white-space: nowrap;
         font: 600 12px/1.6 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.share { display: inline-flex; flex-wrap: wrap; gap: 3px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 8px 0 14px; color: var(--muted); font-size: 13px; max-width: 100%; }
.legend span.item { white-space: nowrap; }
.legend span.item.long { white-space: normal; }
.heatmaps { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: flex-start; }
.heatmap { max-width: 100%; }
.heatmap .scroll { margin-top: 0; }
table.heat { font-size: 11.5px; }
table.heat th { font-weight: 600; padding: 2px 3px; white-space: nowrap; }
table.heat thead th { vertical-align: bottom; height: 76px; }
table.heat thead th div { writing-mode: vertical-rl; transform: rotate(180deg); font-family: ui-monospace, Menlo, monospace;
                          font-weight: 500; }
table.heat tbody th, table.heat thead th:first-child { position: sticky; left: 0; z-index: 1; background: var(--bg);
                          text-align: right; font-family: ui-monospace, Menlo, monospace; font-weight: 500; padding-right: 8px; }
table.heat tbody th a { color: inherit; text-decoration: none; }
table.heat tbody th a:hover { text-decoration: underline; }
table.heat td { min-width: 22px; height: 23px; padding: 0; text-align: center; border: 1px solid #ffffff; }
table.heat td.empty { background: """
    + NO_CASE
    + """; }
table.heat td a, table.heat td span { display: block; padding: 0 2px; text-decoration: none; color: inherit;
                                      font: 600 11px/23px ui-monospace, Menlo, monospace; }
table.heat td a:focus, table.heat td a:hover { outline: 2px solid #0b57d0; outline-offset: -2px; }
table.overview thead th { height: auto; vertical-align: bottom; font-family: ui-monospace, Menlo, monospace; padding: 2px 8px; }
table.overview td { min-width: 64px; }
table.overview td.count a, table.overview td.count span { padding: 0 8px; white-space: nowrap; }
.bar { display: flex; width: 100%; max-width: 320px; min-width: 120px; height: 14px; border: 1px solid #8a9099; border-radius: 3px;
       overflow: hidden; background: var(--soft); }
.bar div { height: 100%; }
.verdict-ok { color: #1b5e20; font-weight: 700; }
.verdict-fail { color: #ffffff; background: #b3261e; font-weight: 700; padding: 0 5px; border-radius: 3px; }
nav.toc { margin: 10px 0 18px; font-size: 14px; max-width: 82ch; }
nav.toc ol { display: inline; margin: 0; padding: 0; list-style: none; }
nav.toc > ol > li { display: inline; }
nav.toc > ol > li + li::before { content: " \u00b7  "; color: var(--muted); }
nav.toc ol ol::before { content: " ("; }
nav.toc ol ol::after { content: ")"; }
nav.toc ol ol li { display: inline; }
nav.toc ol ol li + li::before { content: ", "; }
nav.crumbs { margin-bottom: 12px; font-size: 14px; }
ul.whatfailed { padding-left: 20px; }
ul.whatfailed > li { margin: 6px 0; }
ul.whatfailed ul { padding-left: 18px; margin: 2px 0; }
section.backend-failures { margin-bottom: 10px; }
details { max-width: 100%; }
details > summary { cursor: pointer; }
details.group, details.failure, details.case { border: 1px solid var(--line); border-radius: 4px; margin: 4px 0; background: #ffffff; }
details.group > summary, details.failure > summary, details.case > summary { padding: 4px 8px; }
details.group[open] > summary, details.failure[open] > summary, details.case[open] > summary {
    border-bottom: 1px solid var(--line); background: var(--soft); }
details.group > .body, details.failure > .body, details.case > .body { padding: 4px 10px 8px; }
details.failure > summary .msg, details.group > summary .msg { color: var(--muted); }
ul.bydtype { list-style: none; padding-left: 0; margin: 6px 0; }
ul.bydtype > li { padding: 2px 6px; margin: 2px 0; border-left: 3px solid var(--line); }
dl.params dt { margin-top: 10px; }
dl.params dd { margin: 2px 0 0 20px; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 14px; margin: 6px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.opgroup:target, details:target, li:target, tr:target { outline: 3px solid #0b57d0; outline-offset: 2px; }
.muted { color: var(--muted); }
.erratum { border-left: 4px solid #c2410c; padding: 6px 12px; margin: 8px 0; background: #fff4e5; max-width: 82ch; }
.formula { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 14px; background: var(--soft);
           border: 1px solid var(--line); border-radius: 4px; padding: 8px 12px; margin: 6px 0; max-width: 82ch; }
@media print { details { break-inside: avoid; } .scroll { overflow: visible; } }
"""
    + _outcome_css()
    + "\n"
)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(value: Any) -> str:
    """Escape any text for HTML, attributes included; control characters show as ``\\x1b``."""
    text = html.escape("" if value is None else str(value), quote=True)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def anchor(*parts: str) -> str:
    """A safe id for an element: letters, digits and -_. only."""
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]", "_", part) for part in parts)


def badge(outcome: str, text: str | None = None, title: str | None = None) -> str:
    label = SYMBOLS[outcome] if text is None else text
    return f'<span class="badge o-{outcome}" title="{esc(title or NAMES[outcome])}">{esc(label)}</span>'


def share(counts: Counter) -> str:
    """What share of the cases pass, and what became of the rest: ``ok 122/153`` ``– 31``.

    The conformant outcomes (pass, raises as torch) count together as ``ok``; each other
    outcome that occurs has a badge of its own, failures first.
    """
    total = sum(counts.values())
    passing = sum(counts[o] for o in CONFORMANT)
    parts = []
    if passing:
        parts.append(badge(outcomes.PASS, f"ok {passing}/{total}", f"{passing} of {total} cases pass (or raise as torch does)"))
    for outcome in sorted((o for o in LISTING if o not in CONFORMANT and counts[o]), key=_loudness):
        parts.append(badge(outcome, f"{SYMBOLS[outcome]} {counts[outcome]}", f"{counts[outcome]} {NAMES[outcome]}"))
    return f'<span class="share">{"".join(parts)}</span>' if parts else '<span class="muted">no case</span>'


def _loudness(outcome: str) -> int:
    """Failures first, then xfail, then not implemented."""
    order = [outcomes.CRASH, outcomes.TIMEOUT, outcomes.ERROR, outcomes.MISMATCH, outcomes.XPASS, outcomes.XFAIL]
    return order.index(outcome) if outcome in order else len(order)


def legend(extra: str = "") -> str:
    items = "".join(f'<span class="item">{badge(o)} {esc(NAMES[o])}</span>' for o in LISTING)
    empty = '<span class="item"><span class="badge" style="border:1px solid #d5d9df">&nbsp;</span> no case</span>'
    return f'<div class="legend" role="note"><span class="item"><strong>Legend:</strong></span>{items}{empty}{extra}</div>'


def cell_td(cell: Cell | None, op: str, dtype: str, href: str | None = None, url: str | None = None) -> str:
    """One heatmap cell: the worst outcome's colour and symbol; its counts in the tooltip.

    It links to the element ``href`` (an id on the page), or to ``url``, when given.
    """
    if cell is None:
        return f'<td class="empty" title="{esc(op)}, {esc(dtype)}: no case"></td>'
    outcome = cell.outcome
    inner = esc(SYMBOLS[outcome])
    target = f"#{href}" if href else url
    body = f'<a href="{esc(target)}">{inner}</a>' if target else f"<span>{inner}</span>"
    return f'<td class="o-{outcome}" title="{esc(cell.title(op, dtype))}">{body}</td>'


def bar(parts: list[tuple[str, int]], total: int) -> str:
    """A stacked bar of outcome counts."""
    if not total:
        return '<div class="bar"></div>'
    segments = "".join(
        f'<div class="o-{o}" style="width:{100.0 * n / total:.3f}%" title="{esc(NAMES[o])}: {n}"></div>' for o, n in parts if n
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


def scroll(inner: str) -> str:
    """A box that scrolls sideways on its own when ``inner`` (a table) is wider than the screen."""
    return f'<div class="scroll">{inner}</div>'


def table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), sticky: bool = False) -> str:
    """A data table in its own scrolling box; ``headers`` are plain text, ``rows`` are already HTML.

    ``sticky``: the first column stays in view while the table scrolls sideways.
    """
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    classes = "data sticky" if sticky else "data"
    return scroll(f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
