"""The merged conformance report as Markdown, failures first: the same sections as the HTML page.

Identifiers and messages go in code spans; text is escaped so that a message
cannot break a table or inject HTML into a rendered page.
"""

from __future__ import annotations

import html
import re

from tensorparity.harness import results as outcomes
from tensorparity.harness.baseline import Changes
from tensorparity.harness.reports.failures import backend_order, failures
from tensorparity.harness.reports.grid import (
    DTYPE_NOTES,
    LEGEND,
    LISTING,
    NAMES,
    SYMBOLS,
    by_backend,
    coverage,
    dtype_label,
    dtype_order,
    grid,
)
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
    """The report as Markdown, failures first: what failed, coverage, the matrices, the failures by group, the files."""
    grouped = by_backend(merged.results)
    grouped = {b: grouped[b] for b in backend_order(grouped)}
    found = failures(grouped)
    dtypes = dtype_order({r.dtype for r in merged.results})
    spec_root = merged.spec_root()
    total = sum(b.failures for b in found)
    lines = [f"# {text(title)}", ""]
    if total:
        failing = ", ".join(f"{text(b.backend)} ({b.failures})" for b in found if b.failures)
        lines += [f"**FAIL**: {total} failure{'s' if total != 1 else ''} in {failing}.", ""]
    else:
        lines += ["**ok**: every backend is conformant.", ""]
    lines += ["## What failed", ""]
    for b in found:
        if not b.failures:
            lines.append(f"- **{text(b.backend)}** ok: 0 failures ({b.passing}/{len(b.results)} cases pass)")
            continue
        lines.append(f"- **{text(b.backend)}** FAIL: {b.failures} failure{'s' if b.failures != 1 else ''} in {len(b.ops)} op(s)")
        for op in sorted(b.ops, key=lambda o: (-len(o.results), o.op)):
            kinds = ", ".join(f"{n} {NAMES[k]}" for k, n in op.kinds)
            lines.append(f"  - {code(op.op)}: {len(op.results)} ({kinds}): {code(_short(op.groups[0].label))}")
    lines.append("")
    lines += ["## Coverage", "", "| backend | verdict | version | cases | passing | not implemented | failing | outcomes |"]
    lines.append("|---|---|---|---:|---:|---:|---:|---|")
    for backend, results in grouped.items():
        cov = coverage(results)
        counts = ", ".join(f"{cov.counts[o]} {NAMES[o]}" for o in LISTING if cov.counts[o])
        lines.append(
            f"| {code(backend, cell=True)} | {'ok' if cov.conformant else '**FAIL**'} | {code(_version(merged, backend), cell=True)} "
            f"| {cov.total} | {cov.passing} ({cov.percent(cov.passing):.1f}%) "
            f"| {cov.not_implemented} ({cov.percent(cov.not_implemented):.1f}%) | {cov.failing} | {counts} |"
        )
    lines += ["", "*passing*: pass, or raises where torch raises; *not implemented* is a gap, not a failure.", ""]
    lines += [
        "## Matrix",
        "",
        f"Each cell: the worst outcome of the op's cases in that dtype ({text(LEGEND)}); blank: no case.",
        "",
    ]
    notes = []
    for backend, results in grouped.items():
        g = grid(backend, results, dtypes)
        columns = [d for d in dtypes if any(g.cell(op, d) for op in g.ops)]
        notes += [d for d in columns if d in DTYPE_NOTES and d not in notes]
        lines += [f"### {text(backend)}", ""]
        lines.append("| op | " + " | ".join(text(dtype_label(d)) for d in columns) + " |")
        lines.append("|---|" + "|".join(":---:" for _ in columns) + "|")
        for op in g.ops:
            cells = []
            for d in columns:
                cell = g.cell(op, d)
                symbol = SYMBOLS[cell.outcome] if cell else ""
                cells.append(f"**{text(symbol)}**" if cell and cell.outcome in outcomes.FAILING else text(symbol))
            lines.append(f"| {code(op, cell=True)} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [f"*{text(DTYPE_NOTES[d])}*." for d in notes] + ([""] if notes else [])
    lines += ["## Failures", ""]
    for b in found:
        lines += [f"### {text(b.backend)}: {b.failures} failure{'s' if b.failures != 1 else ''}", ""]
        for op in b.ops:
            kinds = ", ".join(f"{n} {NAMES[k]}" for k, n in op.kinds)
            command = reproduce(op.results[0], spec_root).command
            lines += [f"#### {code(op.op)}: {len(op.results)} ({kinds})", "", f"Rerun {code(command)}.", ""]
            for group in op.groups:
                where = ", ".join(text(dtype_label(d)) + (f" ({n})" if n > 1 else "") for d, n in group.dtypes)
                variants = f" (and {group.variants} similar)" if group.variants else ""
                lines.append(
                    f"- **{len(group.results)} \u00d7 {NAMES[group.outcome]}** {code(_short(group.label))}{variants}: {where}"
                )
                for result in group.results:
                    location = reproduce(result, spec_root).location
                    detail = "" if result.message == group.messages.most_common(1)[0][0] else f": {code(_short(result.message))}"
                    lines.append(f"  - {code(f'{result.op}[{result.case}, {result.dtype}]')} in {code(location)}{detail}")
            lines.append("")
        if not b.failures:
            lines += ["0 failures.", ""]
    if not total:
        lines += ["No failures: every backend is conformant.", ""]
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
    return "\n".join(lines)


def _short(message: str) -> str:
    return message if len(message) <= SHORT else message[: SHORT - 1] + "\u2026"


def _version(merged: Merged, backend: str) -> str:
    for source in reversed(merged.sources):
        version = (source.versions.get("backends") or {}).get(backend)
        if version:
            return str(version)
    return "-"


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
