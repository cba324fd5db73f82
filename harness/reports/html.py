"""The merged conformance report as one self-contained HTML page.

Sections: the files merged (with their versions), coverage per backend, an
op x dtype heatmap per backend, and every failure, expandable, with its
message, traceback and reproduction.
"""

from __future__ import annotations

from tensorparity.harness import results as outcomes
from tensorparity.harness.baseline import Changes
from tensorparity.harness.reports.grid import LISTING, NAMES, by_backend, coverage, dtype_order, grid
from tensorparity.harness.reports.merge import Merged
from tensorparity.harness.reports.page import anchor, badge, bar, cell_td, document, esc, legend, table
from tensorparity.harness.reports.repro import reproduce
from tensorparity.harness.results import Result

SHORT = 180  # characters of a message shown before a failure is expanded


def render(merged: Merged, title: str = "tensorparity conformance report") -> str:
    grouped = by_backend(merged.results)
    dtypes = dtype_order({r.dtype for r in merged.results})
    index = {id(result): i for i, result in enumerate(merged.results)}
    failures = sum(1 for r in merged.results if r.failed)
    lead = (
        f"{len(merged.results)} results of {len(grouped)} backend{'s' if len(grouped) != 1 else ''} "
        f"from {len(merged.sources)} file{'s' if len(merged.sources) != 1 else ''}; "
        f"{failures} failure{'s' if failures != 1 else ''}."
    )
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="lead">{esc(lead)} Every outcome is judged against torch; the spec is <code>spec/ops/&lt;op&gt;.yaml</code>.</p>',
        _sources(merged),
        _coverage(grouped),
        _heatmaps(grouped, dtypes),
        _failures(merged, grouped, index),
        _definitions(),
    ]
    return document(title, "\n".join(body))


def _sources(merged: Merged) -> str:
    rows = []
    for i, source in enumerate(merged.sources, start=1):
        versions = source.versions
        backends = ", ".join(f"{name} {version}" for name, version in (versions.get("backends") or {}).items())
        rows.append(
            [
                str(i),
                f"<code>{esc(source.path)}</code>",
                esc(versions.get("python")),
                esc(versions.get("torch")),
                esc(versions.get("numpy")),
                esc(backends),
                str(source.count),
                str(source.kept),
            ]
        )
    note = (
        '<p class="muted">Files merge in this order: a later file\'s result for the same op, case, dtype and backend '
        "replaces an earlier one. <em>kept</em> counts the results of each file that the report shows.</p>"
    )
    headers = ["#", "file", "python", "torch", "numpy", "backends", "results", "kept"]
    return "<h2>Results files</h2>\n" + table(headers, rows, numeric={0, 6, 7}) + note


def _coverage(grouped: dict[str, list[Result]]) -> str:
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
                str(cov.total),
                f"{cov.decided} ({cov.percent(cov.decided):.1f}%)",
                f"{cov.passing} ({cov.percent(cov.passing):.1f}%)",
                f"{cov.not_implemented} ({cov.percent(cov.not_implemented):.1f}%)",
                str(cov.failing),
                bar(parts, cov.total) + f'<div class="muted" style="font-size:12px">{esc(counts)}</div>',
            ]
        )
    headers = ["backend", "verdict", "cases", "decided", "passing", "not implemented", "failing", "outcomes"]
    note = (
        '<p class="muted"><em>decided</em>: cases the backend gave a verdict on (all but not implemented); '
        "<em>passing</em>: pass, or raises where torch raises; <em>failing</em>: mismatch, error, xpass, timeout or crash.</p>"
    )
    return "<h2>Coverage</h2>\n" + table(headers, rows, numeric={2, 3, 4, 5, 6}) + note


def _heatmaps(grouped: dict[str, list[Result]], dtypes: list[str]) -> str:
    blocks = []
    for backend, results in grouped.items():
        g = grid(backend, results, dtypes)
        columns = [d for d in dtypes if any(g.cell(op, d) for op in g.ops)]
        head = "".join(f'<th title="{esc(d)}"><div>{esc(d)}</div></th>' for d in columns)
        rows = []
        for op in g.ops:
            cells = []
            for d in columns:
                cell = g.cell(op, d)
                failing = cell is not None and cell.outcome in outcomes.FAILING
                cells.append(cell_td(cell, op, d, anchor("f", backend, op) if failing else None))
            rows.append(f"<tr><th>{esc(op)}</th>{''.join(cells)}</tr>")
        cov = coverage(results)
        verdict = "ok" if cov.conformant else "FAIL"
        blocks.append(
            f'<div class="heatmap" id="{esc(anchor("heat", backend))}"><h3>{esc(backend)} '
            f'<span class="{"verdict-ok" if cov.conformant else "verdict-fail"}">[{verdict}]</span></h3>'
            f'<table class="heat"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
        )
    intro = (
        '<p class="muted">One table per backend: op &times; dtype; each cell shows the worst outcome of that op\'s cases '
        "in that dtype (hover for the counts; a failing cell links to its failures).</p>"
    )
    return f'<h2>Heatmap</h2>\n{intro}{legend()}<div class="heatmaps">{"".join(blocks)}</div>'


def _failures(merged: Merged, grouped: dict[str, list[Result]], index: dict[int, int]) -> str:
    parts = ["<h2>Failures</h2>"]
    spec_root = merged.spec_root()
    any_failure = False
    for backend, results in grouped.items():
        failed = [r for r in results if r.failed]
        known = [r for r in results if r.outcome == outcomes.XFAIL]
        missing = [r for r in results if r.outcome == outcomes.NOT_IMPLEMENTED]
        if not (failed or known or missing):
            continue
        parts.append(f"<h3>{esc(backend)}: {len(failed)} failure{'s' if len(failed) != 1 else ''}</h3>")
        any_failure = any_failure or bool(failed)
        by_op: dict[str, list[Result]] = {}
        for result in failed:
            by_op.setdefault(result.op, []).append(result)
        for op in sorted(by_op):
            items = "".join(_failure(r, merged, index, spec_root) for r in by_op[op])
            command = reproduce(by_op[op][0], spec_root).command
            parts.append(
                f'<div class="opgroup" id="{esc(anchor("f", backend, op))}"><h4>{esc(op)} '
                f'<span class="muted">({len(by_op[op])}) &mdash; rerun: <code>{esc(command)}</code></span></h4>{items}</div>'
            )
        if known:
            items = "".join(_failure(r, merged, index, spec_root) for r in known)
            parts.append(f"<details><summary>{len(known)} known failure(s) (xfail in the spec)</summary>{items}</details>")
        if missing:
            counts: dict[str, int] = {}
            for r in missing:
                counts[r.op] = counts.get(r.op, 0) + 1
            listing = ", ".join(f"<code>{esc(op)}</code> ({n})" for op, n in sorted(counts.items()))
            parts.append(f'<p class="muted">Not implemented ({len(missing)} cases): {listing}</p>')
    if not any_failure:
        parts.append('<p class="verdict-ok">No failures: every backend is conformant.</p>')
    return "\n".join(parts)


def _failure(result: Result, merged: Merged, index: dict[int, int], spec_root: str | None) -> str:
    source = merged.source_of(index[id(result)])
    repro = reproduce(result, spec_root)
    message = result.message or "(no message)"
    short = message if len(message) <= SHORT else message[: SHORT - 1] + "\u2026"
    facts = [
        ("outcome", badge(result.outcome) + " " + esc(NAMES[result.outcome])),
        ("message", f"<code>{esc(message)}</code>"),
    ]
    if result.max_abs_error is not None or result.max_rel_error is not None:
        facts.append(("greatest error", esc(f"absolute {result.max_abs_error}, relative {result.max_rel_error}")))
    facts += [
        ("seed section", esc(result.section or "\u2014")),
        ("duration", esc(f"{result.duration_s * 1000:.3f} ms")),
        ("backend version", esc(result.backend_version or "\u2014")),
        ("results file", f"<code>{esc(source.path)}</code>"),
        ("case", f"<code>{esc(result.case)}</code> in <code>{esc(repro.location)}</code>"),
    ]
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    traceback = f"<h4>Traceback</h4><pre>{esc(result.traceback)}</pre>" if result.traceback else ""
    note = f'<p class="muted">{esc(repro.note)}</p>' if repro.note else ""
    return (
        f'<details class="failure" id="{esc(anchor("r", result.id))}"><summary>{badge(result.outcome)} '
        f"<code>{esc(result.op)}[{esc(result.case)}, {esc(result.dtype)}]</code> "
        f'<span class="msg">{esc(short)}</span></summary><div class="body"><dl class="facts">{dl}</dl>'
        f"{failure_details(result)}{traceback}"
        f"<h4>Reproduce</h4><pre>{esc(repro.command)}\n# case {esc(repro.case)} in {esc(repro.location)}</pre>{note}</div></details>"
    )


def _definitions() -> str:
    rows = [[badge(o), esc(NAMES[o]), esc(_MEANING[o])] for o in LISTING]
    return "<h2>Outcomes</h2>\n" + table(["", "outcome", "meaning"], rows)


_MEANING = {
    outcomes.PASS: "the backend returned torch's value, dtype and shape (within the dtype's tolerance)",
    outcomes.RAISES_AS_TORCH: "torch raises here, and so did the backend",
    outcomes.NOT_IMPLEMENTED: "the backend has no method for the op, or does not support the dtype: a gap, not a failure",
    outcomes.XFAIL: "a known failure, recorded in the spec's xfail list",
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
