"""The merged conformance report as Markdown: the same matrix, as tables.

Identifiers and messages go in code spans; text is escaped so that a message
cannot break a table or inject HTML into a rendered page.
"""

from __future__ import annotations

import html
import re

from tensorparity.harness import results as outcomes
from tensorparity.harness.baseline import Changes
from tensorparity.harness.reports.grid import LEGEND, LISTING, NAMES, SYMBOLS, by_backend, coverage, dtype_order, grid
from tensorparity.harness.reports.merge import Merged
from tensorparity.harness.reports.repro import reproduce

SHORT = 300


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _visible(value: object) -> str:
    """One line: whitespace runs collapsed, control characters written as ``\\x1b``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", " ".join(str(value).split()))


def code(text: object, cell: bool = False) -> str:
    """An inline code span holding ``text`` verbatim; ``cell``: inside a table, where a pipe is escaped."""
    value = _visible(text)
    if cell:
        value = value.replace("|", "\\|")
    fence = "`"
    while fence in value:
        fence += "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}" if value else ""


def text(value: object) -> str:
    """Plain text for Markdown: HTML escaped, table pipes and emphasis characters neutralised."""
    escaped = html.escape(_visible(value), quote=False)
    for char in "\\`*_[]|#":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


def render(merged: Merged, title: str = "tensorparity conformance report") -> str:
    grouped = by_backend(merged.results)
    dtypes = dtype_order({r.dtype for r in merged.results})
    spec_root = merged.spec_root()
    lines = [f"# {text(title)}", ""]
    lines += [
        "## Results files",
        "",
        "| # | file | python | torch | numpy | backends | results | kept |",
        "|---:|---|---|---|---|---|---:|---:|",
    ]
    for i, source in enumerate(merged.sources, start=1):
        v = source.versions
        backends = ", ".join(f"{name} {version}" for name, version in (v.get("backends") or {}).items())
        lines.append(
            f"| {i} | {code(source.path, cell=True)} | {text(v.get('python'))} | {text(v.get('torch'))} | {text(v.get('numpy'))} "
            f"| {text(backends)} | {source.count} | {source.kept} |"
        )
    lines += ["", "A later file's result for the same op, case, dtype and backend replaces an earlier one.", ""]
    lines += ["## Coverage", "", "| backend | verdict | cases | decided | passing | not implemented | failing | outcomes |"]
    lines.append("|---|---|---:|---:|---:|---:|---:|---|")
    for backend, results in grouped.items():
        cov = coverage(results)
        counts = ", ".join(f"{cov.counts[o]} {NAMES[o]}" for o in LISTING if cov.counts[o])
        lines.append(
            f"| {code(backend, cell=True)} | {'ok' if cov.conformant else '**FAIL**'} | {cov.total} "
            f"| {cov.decided} ({cov.percent(cov.decided):.1f}%) | {cov.passing} ({cov.percent(cov.passing):.1f}%) "
            f"| {cov.not_implemented} ({cov.percent(cov.not_implemented):.1f}%) | {cov.failing} | {counts} |"
        )
    lines += ["", "*decided*: all but not implemented; *passing*: pass, or raises where torch raises.", ""]
    lines += [
        "## Matrix",
        "",
        f"Each cell: the worst outcome of the op's cases in that dtype ({text(LEGEND)}); blank: no case.",
        "",
    ]
    for backend, results in grouped.items():
        g = grid(backend, results, dtypes)
        columns = [d for d in dtypes if any(g.cell(op, d) for op in g.ops)]
        lines += [f"### {text(backend)}", ""]
        lines.append("| op | " + " | ".join(columns) + " |")
        lines.append("|---|" + "|".join(":---:" for _ in columns) + "|")
        for op in g.ops:
            cells = []
            for d in columns:
                cell = g.cell(op, d)
                symbol = SYMBOLS[cell.outcome] if cell else ""
                cells.append(f"**{text(symbol)}**" if cell and cell.outcome in outcomes.FAILING else text(symbol))
            lines.append(f"| {code(op, cell=True)} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Failures", ""]
    failed_any = False
    for backend, results in grouped.items():
        failed = [r for r in results if r.failed]
        if not failed:
            continue
        failed_any = True
        lines += [f"### {text(backend)}: {len(failed)} failure{'s' if len(failed) != 1 else ''}", ""]
        for result in failed:
            repro = reproduce(result, spec_root)
            message = result.message if len(result.message) <= SHORT else result.message[: SHORT - 1] + "\u2026"
            lines.append(
                f"- **{NAMES[result.outcome]}** {code(f'{result.op}[{result.case}, {result.dtype}]')}: {code(message)}  \n"
                f"  rerun {code(repro.command)}; case {code(repro.case)} in {code(repro.location)}"
            )
        lines.append("")
    if not failed_any:
        lines += ["No failures: every backend is conformant.", ""]
    return "\n".join(lines)


def changes(found: Changes) -> str:
    """The "Changes" section against a baseline (``report --baseline``): per op, the regressions,
    fixed and still failing counts, then every regression and every fix by name."""
    lines = [
        "## Changes",
        "",
        f"Against {code(found.baseline)}: {len(found.regressions)} regressions, {len(found.fixed)} fixed, "
        f"{len(found.still_failing)} still failing.",
        "",
    ]
    by_op = found.by_op()
    if by_op:
        lines += ["| op | regressions | fixed | still failing |", "| --- | ---: | ---: | ---: |"]
        for op, groups in by_op.items():
            counts = " | ".join(str(len(groups[k])) for k in ("regressions", "fixed", "still_failing"))
            lines.append(f"| {code(op, cell=True)} | {counts} |")
        lines.append("")
    for result in found.regressions:
        lines.append(
            f"- **regression** {code(f'{result.op}[{result.case}, {result.dtype}] {result.backend}')}: {code(result.message)}"
        )
    for result in found.fixed:
        lines.append(
            f"- **fixed** {code(f'{result.op}[{result.case}, {result.dtype}] {result.backend}')}: now {text(result.outcome)}"
        )
    return "\n".join(lines) + "\n"
