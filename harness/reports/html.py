"""The merged conformance report as one self-contained HTML page, failures first.

Sections, in the order a reader needs them:
  what failed   per backend, the failing ops with their counts by kind, each linked to its details
  coverage      per backend: its version, the share of cases that pass, not implemented, failing
  overview      op x backend: the worst outcome of each op on each backend, in one table
  heatmaps      op x dtype per backend, failing backends first; a failing cell links to exactly
                that op and dtype's failures
  failures      per backend (every one, "0 failures" included), per op: the failures grouped by
                kind and message ("27 x dtype float64 where torch gives float32: float32, uint8, ...")
                with the cases inside, each expandable with its message, traceback and reproduction;
                then per dtype, the cases a heatmap cell links to
  files         the results files merged, with their versions
  outcomes      what each outcome means
Given ``docs`` (where the op reference pages are, relative to the report), op names link
to their pages.

Over 400 lines as one idea: the report page's sections in reading order; shared pieces are in page.py, grid.py and failures.py.
"""

from __future__ import annotations

from tensorparity.harness import results as outcomes
from tensorparity.harness.baseline import Changes
from tensorparity.harness.reports.failures import KINDS, BackendFailures, OpFailures, backend_order, failures, plain
from tensorparity.harness.reports.grid import (
    DTYPE_NOTES,
    LISTING,
    NAMES,
    SYMBOLS,
    by_backend,
    coverage,
    dtype_label,
    dtype_order,
    grid,
    worst,
)
from tensorparity.harness.reports.merge import Merged
from tensorparity.harness.reports.page import anchor, badge, bar, cell_td, document, esc, legend, scroll, share, table
from tensorparity.harness.reports.repro import reproduce
from tensorparity.harness.results import Result

SHORT = 180  # characters of a message shown before a failure is expanded


def cell_anchor(backend: str, op: str, dtype: str) -> str:
    """The id of the element holding exactly one backend's failures of one op in one dtype."""
    return anchor("f", backend, op, dtype)


def op_anchor(backend: str, op: str) -> str:
    """The id of one backend's failures of one op."""
    return anchor("f", backend, op)


def render(merged: Merged, title: str = "tensorparity conformance report", docs: str | None = None) -> str:
    """The report; ``docs``: the folder of the op reference pages, relative to the report ("" for beside it)."""
    grouped = by_backend(merged.results)
    order = backend_order(grouped)
    grouped = {b: grouped[b] for b in order}
    found = failures(grouped)
    dtypes = dtype_order({r.dtype for r in merged.results})
    index = {id(result): i for i, result in enumerate(merged.results)}
    body = [
        f"<h1>{esc(title)}</h1>",
        _lead(merged, found, docs),
        _contents(grouped),
        _what_failed(found, docs),
        _coverage(grouped, merged),
        _overview(grouped, docs),
        _heatmaps(grouped, dtypes),
        _failures(merged, found, index, docs),
        _sources(merged),
        _definitions(),
    ]
    return document(title, "\n".join(body))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _lead(merged: Merged, found: list[BackendFailures], docs: str | None) -> str:
    failing = [b for b in found if b.failures]
    total = sum(b.failures for b in found)
    if failing:
        verdict = (
            f'<span class="verdict-fail">FAIL</span> {esc(_plural(total, "failure"))} in '
            + ", ".join(f"<strong>{esc(b.backend)}</strong> ({b.failures})" for b in failing)
            + f"; {len(found) - len(failing)} of {_plural(len(found), 'backend')} conformant."
        )
    else:
        verdict = f'<span class="verdict-ok">ok</span> every backend is conformant ({_plural(len(found), "backend")}).'
    files = len(merged.sources)
    reference = f' Each op\'s reference page: <a href="{esc(docs)}index.html">the op reference</a>.' if docs is not None else ""
    return (
        f'<p class="lead">{verdict} {len(merged.results)} results from {_plural(files, "results file")}, '
        f"each judged against torch.{reference}</p>"
    )


def _contents(grouped: dict[str, list[Result]]) -> str:
    heat = "".join(f'<li><a href="#{esc(anchor("heat", b))}">{esc(b)}</a></li>' for b in grouped)
    details = "".join(f'<li><a href="#{esc(anchor("f", b))}">{esc(b)}</a></li>' for b in grouped)
    return (
        '<nav class="toc" aria-label="contents"><strong>Contents:</strong> <ol>'
        '<li><a href="#what-failed">What failed</a></li>'
        '<li><a href="#coverage">Coverage</a></li>'
        '<li><a href="#overview">Overview: op &times; backend</a></li>'
        f'<li><a href="#heatmaps">Heatmaps: op &times; dtype</a><ol>{heat}</ol></li>'
        f'<li><a href="#failures">Failures in detail</a><ol>{details}</ol></li>'
        '<li><a href="#files">Results files and versions</a></li>'
        '<li><a href="#outcomes">What the outcomes mean</a></li>'
        "</ol></nav>"
    )


def _what_failed(found: list[BackendFailures], docs: str | None) -> str:
    items = []
    for b in found:
        passed = f"{b.passing}/{len(b.results)} cases pass"
        if not b.failures:
            items.append(
                f'<li data-backend="{esc(b.backend)}" data-failures="0"><strong>{esc(b.backend)}</strong> '
                f'<span class="verdict-ok">ok</span>: 0 failures <span class="muted">({esc(passed)})</span></li>'
            )
            continue
        ops = sorted(b.ops, key=lambda o: (-len(o.results), o.op))
        lines = "".join(_what_failed_op(op, docs) for op in ops)
        kinds = ", ".join(f"{n} {NAMES[k]}" for k, n in _kinds(b.counts))
        items.append(
            f'<li data-backend="{esc(b.backend)}" data-failures="{b.failures}"><strong>{esc(b.backend)}</strong> '
            f'<span class="verdict-fail">FAIL</span>: {esc(_plural(b.failures, "failure"))} in {esc(_plural(len(ops), "op"))} '
            f'<span class="muted">({esc(kinds)}; {esc(passed)})</span><ul>{lines}</ul></li>'
        )
    return (
        '<section id="what-failed"><h2>What failed</h2>'
        '<p class="muted">Per backend, each op with failing cases, the most first, and its commonest failure. '
        "Follow an op to its failures, grouped by message, each with its reproduction.</p>"
        f'<ul class="whatfailed">{"".join(items)}</ul></section>'
    )


def _kinds(counts) -> list[tuple[str, int]]:
    return [(k, counts[k]) for k in KINDS if counts[k]]


def _what_failed_op(op: OpFailures, docs: str | None) -> str:
    kinds = ", ".join(f"{n} {NAMES[k]}" for k, n in op.kinds)
    groups = op.groups
    top = groups[0]
    more = f" (and {_plural(len(groups) - 1, 'other group')} of messages)" if len(groups) > 1 else ""
    reference = f' &middot; <a href="{esc(docs)}{esc(op.op)}.html">reference</a>' if docs is not None else ""
    return (
        f'<li class="op" data-op="{esc(op.op)}" data-failures="{len(op.results)}">'
        f'<a href="#{esc(op_anchor(op.backend, op.op))}"><code>{esc(op.op)}</code></a>: '
        f"<strong>{len(op.results)}</strong> ({esc(kinds)}) &mdash; "
        f'{badge(top.outcome)} <span class="muted">{esc(_short(top.label))}{esc(more)}</span>{reference}</li>'
    )


def _short(text: str, limit: int = SHORT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _version(merged: Merged, backend: str) -> str:
    for source in reversed(merged.sources):
        version = (source.versions.get("backends") or {}).get(backend)
        if version:
            return str(version)
    return next((r.backend_version for r in merged.results if r.backend == backend and r.backend_version), "")


def _coverage(grouped: dict[str, list[Result]], merged: Merged) -> str:
    rows = []
    for backend, results in grouped.items():
        cov = coverage(results)
        verdict = '<span class="verdict-ok">ok</span>' if cov.conformant else '<span class="verdict-fail">FAIL</span>'
        parts = [(o, cov.counts[o]) for o in LISTING]
        counts = ", ".join(f"{cov.counts[o]} {NAMES[o]}" for o in LISTING if cov.counts[o])
        rows.append(
            [
                f"<strong>{esc(backend)}</strong>",
                verdict,
                f"<code>{esc(_version(merged, backend) or '—')}</code>",
                share(cov.counts),
                f"{cov.passing} ({cov.percent(cov.passing):.1f}%)",
                f"{cov.not_implemented} ({cov.percent(cov.not_implemented):.1f}%)",
                f"<strong>{cov.failing}</strong>" if cov.failing else "0",
                bar(parts, cov.total) + f'<div class="muted" style="font-size:12px">{esc(counts)}</div>',
            ]
        )
    headers = ["backend", "verdict", "version", "cases", "passing", "not implemented", "failing", "outcomes"]
    note = (
        '<p class="muted"><em>passing</em>: pass, or raises where torch raises; <em>not implemented</em>: a gap, not a '
        "failure; <em>failing</em>: mismatch, wrong exception, error, xpass, timeout or crash. A backend's <em>version</em> is its own: "
        "a subclass of a built-in backend shows its package's version or its <code>module:Class</code>.</p>"
    )
    return (
        '<section id="coverage"><h2>Coverage</h2>\n' + table(headers, rows, numeric={4, 5, 6}, sticky=True) + note + "</section>"
    )


def _overview(grouped: dict[str, list[Result]], docs: str | None) -> str:
    ops = sorted({r.op for results in grouped.values() for r in results})
    by_op = {b: {} for b in grouped}
    for backend, results in grouped.items():
        for result in results:
            by_op[backend].setdefault(result.op, []).append(result)
    head = "<th>op</th>" + "".join(f"<th>{esc(b)}</th>" for b in grouped)
    rows = []
    for op in ops:
        name = f'<a href="{esc(docs)}{esc(op)}.html">{esc(op)}</a>' if docs is not None else esc(op)
        cells = []
        for backend in grouped:
            items = by_op[backend].get(op)
            if not items:
                cells.append(f'<td class="empty" title="{esc(op)} on {esc(backend)}: no case"></td>')
                continue
            cov = coverage(items)
            outcome = worst(cov.counts)
            text = f"{SYMBOLS[outcome]} {cov.passing}/{cov.total}"
            tip = f"{op} on {backend}: " + ", ".join(f"{cov.counts[o]} {NAMES[o]}" for o in LISTING if cov.counts[o])
            inner = f'<a href="#{esc(op_anchor(backend, op))}">{esc(text)}</a>' if cov.failing else f"<span>{esc(text)}</span>"
            cells.append(f'<td class="count o-{outcome}" title="{esc(tip)}">{inner}</td>')
        rows.append(f"<tr><th>{name}</th>{''.join(cells)}</tr>")
    intro = (
        '<p class="muted">Each op on each backend: the symbol and colour of the worst outcome of its cases, then how '
        "many of its cases pass, of all (<em>MM 126/153</em>: some cases mismatch, 126 of 153 pass). A failing cell "
        "links to that op's failures.</p>"
    )
    overview = f'<table class="heat overview"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    return f'<section id="overview"><h2>Overview: op &times; backend</h2>{intro}{legend()}{scroll(overview)}</section>'


def _heatmaps(grouped: dict[str, list[Result]], dtypes: list[str]) -> str:
    blocks = []
    notes = []
    for backend, results in grouped.items():
        g = grid(backend, results, dtypes)
        columns = [d for d in dtypes if any(g.cell(op, d) for op in g.ops)]
        notes += [d for d in columns if d in DTYPE_NOTES and d not in notes]
        head = "".join(
            f'<th data-dtype="{esc(d)}" title="{esc(DTYPE_NOTES.get(d, d))}"><div>{esc(dtype_label(d))}</div></th>'
            for d in columns
        )
        rows = []
        for op in g.ops:
            cells = []
            for d in columns:
                cell = g.cell(op, d)
                failing = cell is not None and cell.outcome in outcomes.FAILING
                cells.append(cell_td(cell, op, d, cell_anchor(backend, op, d) if failing else None))
            rows.append(f"<tr><th>{esc(op)}</th>{''.join(cells)}</tr>")
        cov = coverage(results)
        verdict = (
            '<span class="verdict-ok">ok</span>'
            if cov.conformant
            else f'<span class="verdict-fail">FAIL</span> <a href="#{esc(anchor("f", backend))}">{cov.failing} failing</a>'
        )
        blocks.append(
            f'<div class="heatmap" id="{esc(anchor("heat", backend))}"><h3>{esc(backend)} {verdict}</h3>'
            + scroll(f'<table class="heat"><thead><tr><th>op</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
            + "</div>"
        )
    intro = (
        '<p class="muted">One table per backend, failing backends first: op &times; dtype; each cell shows the worst '
        "outcome of that op's cases in that dtype (hover for the counts). A failing cell links to exactly those "
        "failures.</p>"
    )
    footnotes = "".join(f'<p class="muted"><em>{esc(DTYPE_NOTES[d])}</em>.</p>' for d in notes)
    return (
        f'<section id="heatmaps"><h2>Heatmaps: op &times; dtype</h2>\n{intro}{legend()}'
        f'<div class="heatmaps">{"".join(blocks)}</div>{footnotes}</section>'
    )


def _failures(merged: Merged, found: list[BackendFailures], index: dict[int, int], docs: str | None) -> str:
    parts = [
        '<section id="failures"><h2>Failures in detail</h2>',
        '<p class="muted">Per backend and op, failures with the same kind and message (up to numbers, shapes and '
        "dtype names) are one group: expand it for its cases, and a case for its message, traceback and "
        "reproduction. <em>By dtype</em> lists the cases a heatmap cell stands for.</p>",
    ]
    spec_root = merged.spec_root()
    for b in found:
        parts.append(f'<section class="backend-failures" id="{esc(anchor("f", b.backend))}">')
        parts.append(f"<h3>{esc(b.backend)}: {esc(_plural(b.failures, 'failure'))}</h3>")
        if not b.failures:
            parts.append(
                f'<p class="verdict-ok">0 failures: {b.passing} of {len(b.results)} cases pass or raise as torch does.</p>'
            )
        for op in b.ops:
            parts.append(_op_failures(op, merged, index, spec_root, docs))
        known = [r for r in b.results if r.outcome == outcomes.XFAIL]
        missing = [r for r in b.results if r.outcome == outcomes.NOT_IMPLEMENTED]
        if known:
            items = "".join(_failure(r, merged, index, spec_root) for r in known)
            parts.append(
                f'<details class="group"><summary>{len(known)} known failure(s) (xfail: in the spec, or declared by the backend)</summary>'
                f'<div class="body">{items}</div></details>'
            )
        if missing:
            counts: dict[str, int] = {}
            for r in missing:
                counts[r.op] = counts.get(r.op, 0) + 1
            listing = ", ".join(f"<code>{esc(op)}</code> ({n})" for op, n in sorted(counts.items()))
            parts.append(f'<p class="muted">Not implemented ({len(missing)} cases, not failures): {listing}</p>')
        parts.append("</section>")
    if not any(b.failures for b in found):
        parts.append('<p class="verdict-ok">No failures: every backend is conformant.</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _op_failures(op: OpFailures, merged: Merged, index: dict[int, int], spec_root: str | None, docs: str | None) -> str:
    command = reproduce(op.results[0], spec_root).command
    kinds = ", ".join(f"{n} {NAMES[k]}" for k, n in op.kinds)
    reference = f' &middot; <a href="{esc(docs)}{esc(op.op)}.html">{esc(op.op)} reference</a>' if docs is not None else ""
    parts = [
        f'<div class="opgroup" id="{esc(op_anchor(op.backend, op.op))}">',
        f'<h4><code>{esc(op.op)}</code> <span class="muted">&mdash; {esc(_plural(len(op.results), "failure"))}: {esc(kinds)}</span></h4>',
        f'<p class="muted">Rerun: <code>{esc(command)}</code>{reference}</p>',
    ]
    for group in op.groups:
        dtypes = ", ".join(f"{dtype_label(d)}" + (f" ({n})" if n > 1 else "") for d, n in group.dtypes)
        variants = f" (and {_plural(group.variants, 'similar message')})" if group.variants else ""
        common = group.messages.most_common(1)[0][0]
        cases = "".join(_failure(r, merged, index, spec_root, common) for r in group.results)
        parts.append(
            f'<details class="group"><summary>{badge(group.outcome)} <strong>{len(group.results)} &times;</strong> '
            f"{esc(_short(group.label))}{esc(variants)}: "
            f'<span class="msg">{esc(dtypes)}</span></summary><div class="body">{cases}</div></details>'
        )
    rows = []
    for dtype, results in op.by_dtype:
        links = ", ".join(
            f'<a href="#{esc(anchor("r", r.id))}">{esc(r.case)}</a> <span class="muted">({esc(SYMBOLS[r.outcome])})</span>'
            for r in results
        )
        rows.append(
            f'<li id="{esc(cell_anchor(op.backend, op.op, dtype))}" data-dtype="{esc(dtype)}">'
            f"<strong>{esc(dtype_label(dtype))}</strong>: {esc(_plural(len(results), 'failure'))}: {links}</li>"
        )
    parts.append(f'<p class="muted" style="margin-bottom:0">By dtype:</p><ul class="bydtype">{"".join(rows)}</ul>')
    parts.append("</div>")
    return "\n".join(parts)


def _failure(result: Result, merged: Merged, index: dict[int, int], spec_root: str | None, common: str | None = None) -> str:
    source = merged.source_of(index[id(result)])
    repro = reproduce(result, spec_root)
    message = result.message or "(no message)"
    shown = "" if common is not None and result.message == common else _short(plain(message))
    facts = [
        ("outcome", badge(result.outcome) + " " + esc(NAMES[result.outcome])),
        ("message", f"<code>{esc(message)}</code>"),
    ]
    if result.max_abs_error is not None or result.max_rel_error is not None:
        facts.append(("greatest error", esc(f"absolute {result.max_abs_error}, relative {result.max_rel_error}")))
    facts += [
        ("duration", esc(f"{result.duration_s * 1000:.3f} ms")),
        ("backend version", esc(result.backend_version or "\u2014")),
        ("results file", f"<code>{esc(source.path)}</code>"),
        ("case", f"<code>{esc(result.case)}</code> in <code>{esc(repro.location)}</code>"),
    ]
    if result.section:
        facts.append(("source text", esc(f"the example of section {result.section}")))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    traceback = f"<h4>Traceback</h4><pre>{esc(result.traceback)}</pre>" if result.traceback else ""
    note = f'<p class="muted">{esc(repro.note)}</p>' if repro.note else ""
    return (
        f'<details class="failure" id="{esc(anchor("r", result.id))}"><summary>{badge(result.outcome)} '
        f"<code>{esc(result.op)}[{esc(result.case)}, {esc(dtype_label(result.dtype))}]</code> "
        f'<span class="msg">{esc(shown)}</span></summary><div class="body"><dl class="facts">{dl}</dl>'
        f"{failure_details(result)}{traceback}"
        f"<h4>Reproduce</h4><pre>{esc(repro.command)}\n# case {esc(repro.case)} in {esc(repro.location)}</pre>{note}</div></details>"
    )


def _sources(merged: Merged) -> str:
    rows = []
    for i, source in enumerate(merged.sources, start=1):
        versions = source.versions
        backends = "<br>".join(
            f"{esc(name)} <code>{esc(version)}</code>" for name, version in (versions.get("backends") or {}).items()
        )
        rows.append(
            [
                str(i),
                f"<code>{esc(source.path)}</code>",
                backends,
                esc(versions.get("torch")),
                esc(versions.get("numpy")),
                esc(versions.get("python")),
                str(source.count),
                str(source.kept),
            ]
        )
    note = (
        '<p class="muted">Files merge in this order: a later file\'s result for the same op, case, dtype and backend '
        "replaces an earlier one. <em>kept</em> counts the results of each file that the report shows.</p>"
    )
    headers = ["#", "file", "backends (version)", "torch", "numpy", "python", "results", "kept"]
    return (
        '<section id="files"><h2>Results files and versions</h2>\n'
        + table(headers, rows, numeric={0, 6, 7})
        + note
        + "</section>"
    )


def _definitions() -> str:
    rows = [[badge(o), esc(NAMES[o]), esc(_MEANING[o])] for o in LISTING]
    rows.append(["", esc(dtype_label("none")), esc(DTYPE_NOTES["none"])])
    return '<section id="outcomes"><h2>What the outcomes mean</h2>\n' + table(["", "outcome", "meaning"], rows) + "</section>"


_MEANING = {
    outcomes.PASS: "the backend returned torch's value, dtype and shape (within the dtype's tolerance)",
    outcomes.RAISES_AS_TORCH: "torch raises here, and so did the backend",
    outcomes.NOT_IMPLEMENTED: "the backend has no method for the op, or does not support the dtype: a gap, not a failure",
    outcomes.XFAIL: "a known failure: in the spec's xfail list, or a divergence the backend declares",
    outcomes.XPASS: "a case marked xfail passed: the spec's xfail entry is stale",
    outcomes.MISMATCH: "a different value, dtype or shape; or a value where torch raises",
    outcomes.WRONG_EXCEPTION: "torch raises here, and the backend raised another exception class (--errors any accepts it)",
    outcomes.ERROR: "the backend raised where torch computes",
    outcomes.TIMEOUT: "the call did not finish in time",
    outcomes.CRASH: "the process running the backend died",
}


def failure_details(result: Result) -> str:
    """A failure's inputs, expected and actual values (around the first differing element) and
    the command that reruns exactly it, from ``Result.details``; empty when the result has none."""
    details = result.details or {}
    if not details:
        return ""
    rows = [("input " + str(i), value) for i, value in enumerate(details.get("inputs", []))]
    rows += [(f"{key}=", value) for key, value in (details.get("kwargs") or {}).items()]
    rows += [
        (label, details[key])
        for key, label in (("expected", "expected"), ("actual", "actual"), ("where", "where"))
        if key in details
    ]
    rows += [("note", details["error"])] if "error" in details else []
    body = "".join(f"<dt>{esc(k)}</dt><dd><code>{esc(v)}</code></dd>" for k, v in rows)
    command = f"<h4>Reproduce this case</h4><pre>{esc(details['reproduce'])}</pre>" if "reproduce" in details else ""
    return f'<h4>Inputs, expected, actual</h4><dl class="facts details">{body}</dl>{command}'


def changes(found: Changes) -> str:
    """The "Changes" section against a baseline (``report --baseline``): regressions, fixed and
    still failing per op, then every regression and every fix by name."""
    lead = (
        f"Against <code>{esc(found.baseline)}</code>: {len(found.regressions)} regressions, "
        f"{len(found.fixed)} fixed, {len(found.still_failing)} still failing."
    )
    rows = [
        [f"<code>{esc(op)}</code>", *(str(len(groups[k])) for k in ("regressions", "fixed", "still_failing"))]
        for op, groups in found.by_op().items()
    ]
    items = [
        f"<li>{badge(r.outcome)} regression <code>{esc(r.op)}[{esc(r.case)}, {esc(r.dtype)}] {esc(r.backend)}</code>: "
        f"{esc(r.message)}</li>"
        for r in found.regressions
    ] + [
        f"<li>fixed <code>{esc(r.op)}[{esc(r.case)}, {esc(r.dtype)}] {esc(r.backend)}</code>: now {esc(r.outcome)}</li>"
        for r in found.fixed
    ]
    listing = f"<ul>{''.join(items)}</ul>" if items else ""
    grid = table(["op", "regressions", "fixed", "still failing"], rows, numeric={1, 2, 3}) if rows else ""
    return f'<section id="changes"><h2>Changes</h2><p>{lead}</p>{grid}{listing}</section>'
