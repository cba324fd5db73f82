"""A reference page per op, rendered from the spec: the seed document, made reproducible.

Each page: what the op does, the torch callable and its signature, the seed's
examples with torch's recorded output (and what the seed printed, and its
errata), the dtypes it computes in and the ones it raises in, every case, and,
given results files, each backend's status. An index links every page; a
dtypes page holds the seed's dtype table. All pages are self-contained HTML.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from tensorparity.harness import results as outcomes
from tensorparity.harness.judge import compare
from tensorparity.harness.reports import pretty
from tensorparity.harness.reports.grid import NAMES, by_backend, coverage, dtype_order, grid, worst
from tensorparity.harness.reports.merge import Merged
from tensorparity.harness.reports.page import anchor, badge, cell_td, document, esc, legend, table
from tensorparity.harness.results import Result
from tensorparity.harness.spec import CaseSpec, OpSpec, Spec
from tensorparity.harness.values import Raises, ValueForm, build_expected

SEED = 'CS4192 Deep Learning coursework by D N R Peiris, General Sir John Kotelawala Defense University, §3 "Tensor Functions"'


def write_site(spec: Spec, out: Path, merged: Merged | None = None) -> list[Path]:
    """Write index.html, dtypes.html and <op>.html for every op into ``out``; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    results = _results_by_op(merged)
    written = []
    for op in spec.ops.values():
        path = out / f"{op.op}.html"
        path.write_text(op_page(spec, op, results.get(op.op, []), merged), encoding="utf-8")
        written.append(path)
    (out / "dtypes.html").write_text(dtypes_page(spec), encoding="utf-8")
    (out / "index.html").write_text(index_page(spec, results, merged), encoding="utf-8")
    return [out / "index.html", out / "dtypes.html", *written]


def _results_by_op(merged: Merged | None) -> dict[str, list[Result]]:
    grouped: dict[str, list[Result]] = {}
    for result in merged.results if merged else ():
        grouped.setdefault(result.op, []).append(result)
    return grouped


# --- what the spec says about dtypes ----------------------------------------
@dataclass(frozen=True)
class DtypeSupport:
    dtype: str
    computes: int  # variants where torch returns a value
    raises: int  # variants where torch raises
    errors: tuple[str, ...]  # the exception types torch raises

    @property
    def status(self) -> str:
        if not self.raises:
            return "computes"
        if not self.computes:
            return "raises"
        return "computes; some cases raise"


def dtype_support(op: OpSpec) -> list[DtypeSupport]:
    """Per dtype the op's cases are filed under: how many compute and how many raise in torch."""
    computes: Counter = Counter()
    raises: Counter = Counter()
    errors: dict[str, list[str]] = {}
    for case in op.cases:
        for dtype, (_, _, expected) in case.variants.items():
            if isinstance(expected, Raises):
                raises[dtype] += 1
                errors.setdefault(dtype, [])
                if expected.error not in errors[dtype]:
                    errors[dtype].append(expected.error)
            else:
                computes[dtype] += 1
    return [DtypeSupport(d, computes[d], raises[d], tuple(errors.get(d, ()))) for d in dtype_order(set(computes) | set(raises))]


def seed_examples(op: OpSpec) -> list[CaseSpec]:
    """The cases the seed document shows: those with a section or a seed print."""
    return [case for case in op.cases if case.section or case.seed_prints is not None]


# --- pages -------------------------------------------------------------------
def _nav(*links: tuple[str, str]) -> str:
    return '<nav class="crumbs">' + " &middot; ".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in links) + "</nav>"


def op_page(spec: Spec, op: OpSpec, results: list[Result], merged: Merged | None) -> str:
    ops = {o.op: o.torch for o in spec.ops.values()}
    section = f" &middot; seed &sect;{esc(op.section)}" if op.section else ""
    body = [
        _nav(("index.html", "all ops"), ("dtypes.html", "dtypes")),
        f"<h1><code>{esc(op.op)}</code></h1>",
        f'<p class="lead"><code>{esc(op.torch)}</code>{section} &middot; spec: <code>spec/ops/{esc(op.path.name)}</code></p>',
        f"<p>{esc(op.summary)}</p>",
    ]
    if op.note:
        body.append(f'<p class="muted">{esc(op.note)}</p>')
    body.append("<h2>Signature</h2>")
    body.append(f"<pre>{esc(pretty.signature(op.torch, op.params))}</pre>")
    rows = []
    for p in op.params:
        notes = []
        if p.keyword_only:
            notes.append("keyword-only")
        if p.variadic:
            notes.append("variadic (*args)")
        if p.fixed_dtype:
            notes.append(f"dtype {p.fixed_dtype}")
        if p.choices:
            notes.append("one of " + ", ".join(map(str, p.choices)))
        default = pretty.value(p.default, p.kind) if p.has_default else "required"
        rows.append([f"<code>{esc(p.name)}</code>", esc(p.kind), f"<code>{esc(default)}</code>", esc("; ".join(notes))])
    body.append(table(["parameter", "kind", "default", "notes"], rows))

    examples = seed_examples(op)
    body.append(f"<h2>The seed's examples ({len(examples)})</h2>")
    if examples:
        body.append(
            f'<p class="muted">The cases the seed document (<code>{esc(SEED)}</code>) shows. '
            "<em>torch returns</em> is the expectation recorded from torch (<code>tensorparity spec record</code>) "
            "and re-checked by <code>tensorparity spec check</code>.</p>"
        )
        for case in examples:
            body.append(_example(op, case, ops))
    else:
        body.append('<p class="muted">The seed does not show this op; every case below goes beyond it.</p>')

    body.append("<h2>Dtypes</h2>")
    body.append(
        '<p class="muted">From the recorded expectations: the dtypes this op\'s cases are filed under, and whether torch '
        "computes or raises in them (a dtype absent here is untested, not unsupported).</p>"
    )
    support_rows = [
        [
            f"<code>{esc(s.dtype)}</code>",
            str(s.computes),
            str(s.raises),
            esc(s.status) + (f' <span class="muted">({esc(", ".join(s.errors))})</span>' if s.errors else ""),
        ]
        for s in dtype_support(op)
    ]
    body.append(table(["dtype", "cases computing", "cases raising", "torch"], support_rows, numeric={1, 2}))

    if merged is not None:
        body.append(_status(op, results, merged))
    body.append(_cases(op, results, merged))
    return document(f"{op.op} \u2014 tensorparity", "\n".join(body))


def _example(op: OpSpec, case: CaseSpec, ops: dict[str, str]) -> str:
    parts = [f'<h3 id="{esc(anchor("case", case.name))}"><code>{esc(case.name)}</code>']
    if case.section:
        parts.append(f' <span class="muted">&sect;{esc(case.section)}</span>')
    parts.append("</h3>")
    if case.note:
        parts.append(f"<p>{esc(case.note)}</p>")
    for dtype, (args, kwargs, expected) in case.variants.items():
        label = f" ({esc(dtype)})" if case.swept else ""
        parts.append(f"<h4>Call{label}</h4><pre>{esc(pretty.call(op.torch, op.params, args, kwargs, ops))}</pre>")
        verb = "torch raises" if isinstance(expected, Raises) else "torch returns"
        parts.append(f"<h4>{verb}</h4><pre>{esc(pretty.expectation(expected))}</pre>")
    if case.seed_prints is not None:
        parts.append(_seed_print(case))
    for erratum in case.errata:
        says = yaml.safe_dump(erratum.says, default_flow_style=True, sort_keys=False).strip()
        parts.append(
            '<div class="erratum" style="border-left:4px solid #e53935;padding:4px 10px;margin:8px 0;background:#fff5f5">'
            f"<strong>Erratum.</strong> The seed says: &ldquo;{esc(erratum.claim)}&rdquo; "
            f"(that is, <code>{esc(says)}</code>). torch disagrees: the output above is torch's.</div>"
        )
    return "\n".join(parts)


def _seed_print(case: CaseSpec) -> str:
    """What the seed prints, and whether it agrees with torch's recorded output to the digits it prints."""
    try:
        printed = build_expected(case.seed_prints, "seed.prints")
    except ValueForm:  # the loader validated it; keep the page even if not
        text = yaml.safe_dump(case.seed_prints, default_flow_style=True).strip()
        return f"<h4>The seed prints</h4><pre>{esc(text)}</pre>"
    decimals = case.seed_decimals
    atol = 0.0 if decimals is None else 0.5 * 10.0**-decimals + 1e-12
    expected = next(iter(case.variants.values()))[2]
    digits = f" to {decimals} decimals" if decimals is not None else ""
    try:
        difference = compare(printed, expected, lambda dtype: (0.0, atol))
        verdict = f"agrees with torch{digits}" if difference is None else f"differs from torch{digits}: {difference.message}"
    except Exception as error:  # a print of another kind than the expectation
        verdict = f"cannot be compared with torch's output ({type(error).__name__})"
    return (
        f'<h4>The seed prints <span class="muted">&mdash; {esc(verdict)}</span></h4><pre>{esc(pretty.expectation(printed))}</pre>'
    )


def _status(op: OpSpec, results: list[Result], merged: Merged) -> str:
    parts = ["<h2>Backends</h2>"]
    grouped = by_backend(results)
    if not grouped:
        return parts[0] + '<p class="muted">The results files hold no result for this op.</p>'
    columns = dtype_order({r.dtype for r in results})
    head = "".join(f"<th><div>{esc(d)}</div></th>" for d in columns)
    rows = []
    for backend, items in grouped.items():
        g = grid(backend, items, columns)
        cov = coverage(items)
        cells = "".join(cell_td(g.cell(op.op, d), op.op, d) for d in columns)
        verdict = "ok" if cov.conformant else "FAIL"
        counts = ", ".join(f"{cov.counts[o]} {NAMES[o]}" for o in outcomes.OUTCOMES if cov.counts[o])
        rows.append(
            f'<tr><th>{esc(backend)} <span class="{"verdict-ok" if cov.conformant else "verdict-fail"}">[{verdict}]</span></th>'
            f'{cells}<td style="width:auto;text-align:left;padding-left:10px;border:0" class="muted">{esc(counts)}</td></tr>'
        )
    parts.append(legend())
    parts.append(f'<table class="heat"><thead><tr><th></th>{head}<th></th></tr></thead><tbody>{"".join(rows)}</tbody></table>')
    failed = [r for r in results if r.failed]
    if failed:
        parts.append("<h3>Failures</h3><ul>")
        for r in failed:
            parts.append(
                f"<li>{badge(r.outcome)} <code>{esc(r.backend)}</code> <code>{esc(r.case)}</code>, <code>{esc(r.dtype)}</code>: "
                f"{esc(r.message)}</li>"
            )
        parts.append("</ul>")
    files = ", ".join(f"<code>{esc(s.path)}</code>" for s in merged.sources)
    parts.append(f'<p class="muted">From {files}.</p>')
    return "\n".join(parts)


def _cases(op: OpSpec, results: list[Result], merged: Merged | None) -> str:
    status: dict[tuple[str, str, str], str] = {(r.case, r.dtype, r.backend): r.outcome for r in results}
    backends = list(by_backend(results)) if merged else []
    rows = []
    for case in op.cases:
        for dtype, (_, _, expected) in case.variants.items():
            torch_says = f"raises {expected.error}" if isinstance(expected, Raises) else _kind(expected)
            row = [
                f"<code>{esc(case.name)}</code>",
                f"<code>{esc(dtype)}</code>",
                esc(case.section or ""),
                esc(torch_says),
                esc(case.note or ""),
            ]
            for backend in backends:
                outcome = status.get((case.name, dtype, backend))
                row.append(badge(outcome) if outcome else "")
            rows.append(row)
    headers = ["case", "dtype", "seed \u00a7", "torch", "note", *backends]
    total = sum(len(c.variants) for c in op.cases)
    return f"<h2>All cases ({len(op.cases)} cases, {total} with their dtypes)</h2>\n" + table(headers, rows)


def _kind(expected: Any) -> str:
    if isinstance(expected, tuple):
        return f"{len(expected)} tensors"
    if hasattr(expected, "dtype") and hasattr(expected, "shape"):
        return f"{expected.dtype} {list(expected.shape)}"
    if hasattr(expected, "size") and hasattr(expected, "indices"):
        return f"sparse {list(expected.size)}"
    return type(expected).__name__


def index_page(spec: Spec, results: dict[str, list[Result]], merged: Merged | None) -> str:
    backends = list(by_backend(merged.results)) if merged else []
    rows = []
    for op in spec.ops.values():
        row = [
            f'<a href="{esc(op.op)}.html"><code>{esc(op.op)}</code></a>',
            esc(op.section or ""),
            f"<code>{esc(op.torch)}</code>",
            esc(op.summary),
            str(sum(len(c.variants) for c in op.cases)),
        ]
        for backend in backends:
            items = [r for r in results.get(op.op, []) if r.backend == backend]
            if not items:
                row.append('<span class="muted">&mdash;</span>')
                continue
            cov = coverage(items)
            row.append(f"{badge(worst(cov.counts))} {cov.passing}/{cov.total}")
        rows.append(row)
    intro = (
        f'<p class="lead">A reference for each op tensorparity checks, rendered from the spec (<code>spec/ops/*.yaml</code>): '
        f"what the op does, the seed document's examples (<code>{esc(SEED)}</code>) with torch's recorded output, "
        "the seed's errata, the dtypes each op computes or raises in"
        + (", and each backend's status from the results files." if merged else ".")
        + "</p>"
    )
    headers = ["op", "seed \u00a7", "torch", "summary", "cases", *[f"{b} (passing)" for b in backends]]
    body = [
        _nav(("dtypes.html", "dtypes")),
        "<h1>tensorparity ops</h1>",
        intro,
        table(headers, rows, numeric={4}),
    ]
    if merged:
        files = ", ".join(f"<code>{esc(s.path)}</code>" for s in merged.sources)
        body.append(f'<p class="muted">Backend status from {files}.</p>')
    return document("tensorparity ops", "\n".join(body))


def dtypes_page(spec: Spec) -> str:
    rows = [
        [
            f"<code>{esc(d.name)}</code>",
            f"<code>{esc(d.torch)}</code>" + "".join(f" <code>{esc(a)}</code>" for a in d.aliases),
            esc(d.description),
            esc(d.category),
            f"<code>{esc(d.cpu_tensor or '')}</code>",
            f"<code>{esc(d.gpu_tensor or '')}</code>",
            esc(f"{d.rtol:g}"),
            esc(f"{d.atol:g}"),
        ]
        for d in spec.dtypes.values()
    ]
    body = [
        _nav(("index.html", "all ops")),
        "<h1>dtypes</h1>",
        '<p class="lead">The seed\'s dtype table (&sect;2, from the PyTorch documentation), as <code>spec/dtypes.yaml</code> holds it, '
        "with the tolerances backends are judged by (torch.testing.assert_close's defaults).</p>",
        table(["dtype", "torch", "description", "category", "CPU tensor", "GPU tensor", "rtol", "atol"], rows),
    ]
    if spec.dtype_errata:
        body.append("<h2>Errata</h2>")
        for erratum in spec.dtype_errata:
            body.append(
                '<div class="erratum" style="border-left:4px solid #e53935;padding:4px 10px;margin:8px 0;background:#fff5f5">'
                f"<strong>&sect;{esc(erratum.get('section', ''))}.</strong> The seed says: &ldquo;{esc(erratum.get('claim', ''))}&rdquo; "
                f"In truth: {esc(erratum.get('truth', ''))}</div>"
            )
    return document("dtypes \u2014 tensorparity", "\n".join(body))
