"""A reference page per op, rendered from the spec: what the op computes, in plain words.

Each page: what the op computes (a formula), its signature, each parameter described,
what it returns and in which dtype, the examples of the source text the suite was
written from with torch's own output (and what the source text printed, and where its
prose is wrong), the dtypes torch computes and raises in, and every case, collapsed,
with its inputs and torch's output; given results files, each backend's status with
links to its failures. The descriptive facts (formula, parameters, returns) are the
``doc:`` block of each ``spec/ops/<op>.yaml``.

With results, the site also holds the conformance report (``report.html``): op pages
link to their failures there, and the report links back to the op pages. An index
links every page; a dtypes page holds the dtype table. All pages are self-contained
HTML with a legend.

Over 400 lines as one idea: the reference site's pages (index, dtypes, one per op); value formatting is in pretty.py, page furniture in page.py.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from tensorparity.backends.neutral import NeutralSparse, NeutralTensor
from tensorparity.harness import results as outcomes
from tensorparity.harness.judge import compare
from tensorparity.harness.reports import html as report_html
from tensorparity.harness.reports import pretty
from tensorparity.harness.reports.failures import failures
from tensorparity.harness.reports.grid import DTYPE_NOTES, by_backend, dtype_label, dtype_order, grid
from tensorparity.harness.reports.merge import Merged
from tensorparity.harness.reports.page import anchor, badge, cell_td, document, esc, legend, scroll, share, table
from tensorparity.harness.results import Result
from tensorparity.harness.spec import CaseSpec, OpSpec, Param, Spec
from tensorparity.harness.values import Raises, ValueForm, build_expected

SEED = 'CS4192 Deep Learning coursework by D N R Peiris, General Sir John Kotelawala Defense University, §3 "Tensor Functions"'


def write_site(spec: Spec, out: Path, merged: Merged | None = None) -> list[Path]:
    """Write index.html, dtypes.html and <op>.html for every op into ``out`` (and, given results,
    the conformance report, report.html, linked both ways); return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    results = _results_by_op(merged)
    report = REPORT if merged is not None else None
    written = []
    for op in spec.ops.values():
        path = out / f"{op.op}.html"
        path.write_text(op_page(spec, op, results.get(op.op, []), merged, report), encoding="utf-8")
        written.append(path)
    (out / "dtypes.html").write_text(dtypes_page(spec, merged is not None), encoding="utf-8")
    (out / "index.html").write_text(index_page(spec, results, merged, report), encoding="utf-8")
    pages = [out / "index.html", out / "dtypes.html", *written]
    if merged is not None:
        (out / REPORT).write_text(report_html.render(merged, docs=""), encoding="utf-8")
        pages.append(out / REPORT)
    return pages


REPORT = "report.html"  # the conformance report, written beside the pages when there are results

# A parameter's kind in the spec, in plain words.
KINDS = {
    "tensor": "tensor",
    "tensor_or_scalar": "tensor or number",
    "tensors": "sequence of tensors",
    "scalar": "number",
    "int": "int",
    "ints": "int(s)",
    "dim": "int (a dimension)",
    "dims": "ints (dimensions)",
    "dtype": "torch.dtype",
    "str": "str",
    "bool": "bool",
    "graph": "computation",
    "sizes": "ints (sizes)",
}


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
    """The cases the source text shows: those with a section or a printed output."""
    return [case for case in op.cases if case.section or case.seed_prints is not None]


# --- shared pieces -------------------------------------------------------------
def _nav(*links: tuple[str, str]) -> str:
    return '<nav class="crumbs">' + " &middot; ".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in links) + "</nav>"


def _links(report: str | None, *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    links = [("index.html", "all ops"), ("dtypes.html", "dtypes"), *extra]
    if report:
        links.append((report, "conformance report"))
    return tuple(links)


def _page_legend(with_results: bool) -> str:
    marks = (
        '<span class="item long"><strong>computes</strong>: torch returns a value</span>'
        '<span class="item long"><strong>raises</strong>: torch raises an error, and a conformant backend must too</span>'
    )
    if not with_results:
        return f'<div class="legend" role="note"><span class="item"><strong>Legend:</strong></span>{marks}</div>'
    counts = '<span class="item long"><span class="badge o-pass">ok n/m</span> n of m cases pass (or raise as torch does)</span>'
    return legend(counts + marks)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- an op's page --------------------------------------------------------------
def op_page(spec: Spec, op: OpSpec, results: list[Result], merged: Merged | None, report: str | None = None) -> str:
    ops = {o.op: o.torch for o in spec.ops.values()}
    doc = op.doc or {}
    examples = seed_examples(op)
    sections = [("definition", "What it computes"), ("parameters", "Parameters"), ("returns", "Returns")]
    sections += [("examples", "Examples"), ("dtypes", "Dtypes")]
    if merged is not None:
        sections.append(("status", "Backends"))
    sections.append(("cases", "All cases"))
    toc = " &middot; ".join(f'<a href="#{key}">{esc(text)}</a>' for key, text in sections)
    body = [
        _nav(*_links(report)),
        f'<h1><code>{esc(op.op)}</code> <span class="muted">&mdash; <code>{esc(op.torch)}</code></span></h1>',
        f'<p class="lead">{esc(op.summary)}</p>',
        f'<nav class="toc" aria-label="contents"><strong>On this page:</strong> {toc}</nav>',
        _page_legend(merged is not None),
        '<h2 id="definition">What it computes</h2>',
    ]
    if doc.get("formula"):
        body.append(f'<div class="formula">{esc(doc["formula"])}</div>')
    if op.note:
        body.append(f"<p>{esc(plain_words(op.note))}</p>")
    body.append(f"<p>Called as:</p><pre>{esc(pretty.signature(op.torch, op.params))}</pre>")

    body.append('<h2 id="parameters">Parameters</h2>')
    body.append(_parameters(op))
    body.append('<h2 id="returns">Returns</h2>')
    body.append(f"<p>{esc(_sentence(doc['returns']))}</p>" if doc.get("returns") else '<p class="muted">Not described.</p>')

    body.append(f'<h2 id="examples">Examples ({len(examples)})</h2>')
    if examples:
        body.append(
            '<p class="muted">The examples of the source text these checks were written from'
            + (f" (its section {esc(op.section)})" if op.section else "")
            + ", each run in torch: <em>torch returns</em> is torch's own output, recorded and checked again against "
            "live torch. Where the source text prints an output, it is compared with torch's; where its prose is "
            "wrong, an erratum says so.</p>"
        )
        for case in examples:
            body.append(_example(op, case, ops))
    else:
        body.append('<p class="muted">The source text has no example of this op; the cases below are the examples.</p>')

    body.append('<h2 id="dtypes">Dtypes</h2>')
    body.append(_dtypes(op))
    if merged is not None:
        body.append(_status(op, results, merged, report))
    body.append(_cases(op, results, merged, ops))
    return document(f"{op.op} \u2014 tensorparity", "\n".join(body))


def _sentence(text: str) -> str:
    text = " ".join(str(text).split())
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _parameters(op: OpSpec) -> str:
    """Each parameter as a term and its description, as a reference lists them: reads on a phone too."""
    described = (op.doc or {}).get("params", {})
    items = []
    for p in op.params:
        facts = [_kind(p)]
        facts.append(f"default {pretty.value(p.default, p.kind)}" if p.has_default else "required")
        facts += _param_notes(p)
        text = esc(_sentence(described[p.name])) if p.name in described else '<span class="muted">Not described.</span>'
        items.append(f'<dt><code>{esc(p.name)}</code> <span class="muted">({esc(", ".join(facts))})</span></dt><dd>{text}</dd>')
    return f'<dl class="params">{"".join(items)}</dl>'


def _kind(p: Param) -> str:
    kind = KINDS.get(p.kind, p.kind)
    if p.fixed_dtype:
        kind = f"{p.fixed_dtype} {kind}"
    return kind


def _param_notes(p: Param) -> list[str]:
    notes = []
    if p.keyword_only:
        notes.append(f"keyword only: {p.name}=\u2026")
    if p.variadic:
        notes.append("separate arguments or one sequence")
    if p.choices:
        notes.append("one of " + ", ".join(pretty.value(c) for c in p.choices))
    return notes


def plain_words(text: str) -> str:
    """Spec prose for a reader who never saw the repository: "the seed" is the source text, "§3.1" section 3.1."""
    for pattern, replacement in _PLAIN_WORDS:
        text = pattern.sub(replacement, text)
    return text


_PLAIN_WORDS = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bthe seed print\b", "the source text's printed output"),
        (r"\bThe seed\b", "The source text"),
        (r"\bthe seed\b", "the source text"),
        (r"\bseed's\b", "source text's"),
        ("\u00a7\\s*(\\d+(?:\\.\\d+)*)", r"section \1"),
    )
)


def _example(op: OpSpec, case: CaseSpec, ops: dict[str, str]) -> str:
    title = plain_words(case.note) if case.note else case.name
    parts = [f'<h3 id="{esc(anchor("example", case.name))}">{esc(title)}</h3>']
    if case.section:
        parts.append(f'<p class="muted">Section {esc(case.section)} of the source text; case <code>{esc(case.name)}</code>.</p>')
    for dtype, (args, kwargs, expected) in case.variants.items():
        label = f" ({esc(dtype_label(dtype))})" if case.swept else ""
        parts.append(f"<h4>Call{label}</h4><pre>{esc(pretty.call(op.torch, op.params, args, kwargs, ops))}</pre>")
        verb = "torch raises" if isinstance(expected, Raises) else "torch returns"
        parts.append(f"<h4>{verb}</h4><pre>{esc(pretty.expectation(expected))}</pre>")
    printed = _printed(case)
    if printed is not None:
        parts.append(printed[0])
    for erratum in case.errata:
        parts.append(_erratum(case, erratum, printed[1] if printed else None))
    return "\n".join(parts)


def _printed(case: CaseSpec) -> tuple[str, Any] | None:
    """What the source text prints, and whether it agrees with torch's recorded output to the digits it prints."""
    if case.seed_prints is None:
        return None
    try:
        printed = build_expected(case.seed_prints, "seed.prints")
    except ValueForm:  # the loader validated it; keep the page even if not
        text = yaml.safe_dump(case.seed_prints, default_flow_style=True).strip()
        return f"<h4>The source text prints</h4><pre>{esc(text)}</pre>", None
    decimals = case.seed_decimals
    atol = 0.0 if decimals is None else 0.5 * 10.0**-decimals + 1e-12
    expected = next(iter(case.variants.values()))[2]
    digits = f" to the {decimals} decimals it shows" if decimals is not None else ""
    try:
        difference = compare(printed, expected, lambda dtype: (0.0, atol))
        agrees = difference is None
        verdict = (
            f"its printed output agrees with torch{digits}"
            if agrees
            else f"its printed output differs from torch{digits}: {difference.message}"
        )
    except Exception as error:  # a print of another kind than the expectation
        agrees = False
        verdict = f"its printed output cannot be compared with torch's ({type(error).__name__})"
    if case.errata and agrees:
        verdict += " (its prose does not: see the erratum below)"
    return (
        f"<h4>The source text prints</h4><p>{esc(_sentence(verdict))}</p><pre>{esc(pretty.expectation(printed))}</pre>",
        printed,
    )


def _facet(value: Any, key: str) -> str | None:
    """One facet (size, shape, dtype, value) of a value, as text; None when it has no such facet."""
    if isinstance(value, Raises):
        return None
    if key == "size" and isinstance(value, NeutralSparse):
        return pretty.value(tuple(value.size))
    if key in ("shape", "size") and isinstance(value, NeutralTensor):
        return pretty.value(tuple(value.shape))
    if key == "dtype" and isinstance(value, NeutralTensor):
        return f"torch.{value.dtype}"
    if key == "value":
        return pretty.expectation(value)
    return None


def _erratum(case: CaseSpec, erratum: Any, printed: Any) -> str:
    expected = next(iter(case.variants.values()))[2]
    claims = []
    for key, claimed in erratum.says.items():
        said = yaml.safe_dump(claimed, default_flow_style=True).strip()
        truth = _facet(expected, key)
        shown = _facet(printed, key) if printed is not None else None
        sentence = f"the text says the {key} is {said}"
        if truth is not None:
            if shown is not None and shown == truth:
                sentence += f"; its own printed output and torch both give {truth}"
            elif shown is not None:
                sentence += f"; its printed output gives {shown}, and torch gives {truth}"
            else:
                sentence += f"; torch gives {truth}"
        claims.append(sentence)
    return (
        '<div class="erratum"><strong>Erratum.</strong> The source text says: '
        f"&ldquo;{esc(erratum.claim)}&rdquo; That is wrong: {esc('; '.join(claims))}. "
        "The output shown above is torch's.</div>"
    )


def _dtypes(op: OpSpec) -> str:
    support = dtype_support(op)
    computes = [s for s in support if s.computes and not s.raises]
    raises = [s for s in support if s.raises and not s.computes]
    mixed = [s for s in support if s.raises and s.computes]

    def names(items: list[DtypeSupport]) -> str:
        return ", ".join(f"<code>{esc(dtype_label(s.dtype))}</code>" for s in items) or '<span class="muted">none</span>'

    errors = sorted({e for s in raises for e in s.errors})
    lines = [
        f"<li><strong>Computes in</strong> {names(computes)}.</li>",
        f"<li><strong>Raises in</strong> {names(raises)}"
        + (f' <span class="muted">({esc(", ".join(errors))})</span>' if errors else "")
        + ".</li>",
    ]
    if mixed:
        detail = ", ".join(
            f"<code>{esc(dtype_label(s.dtype))}</code> ({s.raises} of {s.computes + s.raises} raise: {esc(', '.join(s.errors))})"
            for s in mixed
        )
        lines.append(f"<li><strong>Computes, with some cases raising</strong> (bad shapes or arguments): {detail}.</li>")
    notes = "".join(f'<p class="muted"><em>{esc(DTYPE_NOTES[s.dtype])}</em>.</p>' for s in support if s.dtype in DTYPE_NOTES)
    rows = [[f"<code>{esc(dtype_label(s.dtype))}</code>", str(s.computes), str(s.raises), esc(s.status)] for s in support]
    counts = table(["dtype", "cases computing", "cases raising", "torch"], rows, numeric={1, 2}, sticky=True)
    return (
        "<p class=\"muted\">From torch's recorded behaviour on this op's cases. A dtype absent here is untested, "
        f'not unsupported; see <a href="dtypes.html">dtypes</a> for what each one is.</p><ul>{"".join(lines)}</ul>{notes}'
        f'<details class="case"><summary>Cases per dtype</summary><div class="body">{counts}</div></details>'
    )


def _status(op: OpSpec, results: list[Result], merged: Merged, report: str | None) -> str:
    parts = ['<h2 id="status">Backends</h2>']
    grouped = by_backend(results)
    if not grouped:
        return parts[0] + '<p class="muted">The results files hold no result for this op.</p>'
    found = {b.backend: b for b in failures(grouped)}
    columns = dtype_order({r.dtype for r in results})
    head = "".join(f'<th title="{esc(DTYPE_NOTES.get(d, d))}"><div>{esc(dtype_label(d))}</div></th>' for d in columns)
    rows = []
    for backend, items in grouped.items():
        g = grid(backend, items, columns)
        counts = Counter(r.outcome for r in items)
        cells = "".join(
            cell_td(g.cell(op.op, d), op.op, d, url=_failure_url(report, backend, op.op, d, g.cell(op.op, d))) for d in columns
        )
        rows.append(f'<tr><th>{esc(backend)} <span class="share">{share(counts)}</span></th>{cells}</tr>')
    parts.append(
        '<p class="muted">Each backend\'s cases of this op: the share that passes, then per dtype the worst outcome '
        "(hover for the counts)"
        + (", a failing cell linking to its failures in the conformance report" if report else "")
        + ".</p>"
    )
    parts.append(scroll(f'<table class="heat"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'))
    for backend in grouped:
        b = found[backend]
        op_failures = next((o for o in b.ops if o.op == op.op), None)
        if op_failures is None:
            continue
        link = (
            f' &mdash; <a href="{esc(report)}#{esc(report_html.op_anchor(backend, op.op))}">each case, with its reproduction</a>'
            if report
            else ""
        )
        groups = "".join(
            f"<li>{badge(g.outcome)} <strong>{len(g.results)} &times;</strong> {esc(g.label)}"
            + (f" (and {_plural(g.variants, 'similar message')})" if g.variants else "")
            + f': <span class="muted">{esc(", ".join(dtype_label(d) for d, _ in g.dtypes))}</span></li>'
            for g in op_failures.groups
        )
        parts.append(f"<h3>{esc(backend)}: {esc(_plural(len(op_failures.results), 'failure'))}{link}</h3><ul>{groups}</ul>")
    files = ", ".join(f"<code>{esc(s.path)}</code>" for s in merged.sources)
    parts.append(f'<p class="muted">From {files}.</p>')
    return "\n".join(parts)


def _failure_url(report: str | None, backend: str, op: str, dtype: str, cell: Any) -> str | None:
    """Where the report holds one backend's failures of ``op`` in ``dtype``; None when none failed."""
    if not report or cell is None or cell.outcome not in outcomes.FAILING:
        return None
    return f"{report}#{report_html.cell_anchor(backend, op, dtype)}"


def _case_kind(case: CaseSpec) -> str:
    if case.section or case.seed_prints is not None:
        return "From the source text"
    raising = [isinstance(expected, Raises) for _, _, expected in case.variants.values()]
    if case.swept and len(case.variants) > 1:
        return "Over many dtypes"
    if all(raising):
        return "Where torch raises"
    return "Other cases"


_CASE_KINDS = ("From the source text", "Over many dtypes", "Other cases", "Where torch raises")


def _cases(op: OpSpec, results: list[Result], merged: Merged | None, ops: dict[str, str]) -> str:
    status: dict[tuple[str, str, str], str] = {(r.case, r.dtype, r.backend): r.outcome for r in results}
    backends = list(by_backend(results)) if merged else []
    total = sum(len(c.variants) for c in op.cases)
    parts = [
        f'<h2 id="cases">All cases ({len(op.cases)}, {total} with their dtypes)</h2>',
        '<p class="muted">Every case the suite runs for this op, by kind. Expand one for its inputs and torch\'s output'
        + (", and how each backend did in each dtype" if backends else ", per dtype")
        + ".</p>",
    ]
    grouped: dict[str, list[CaseSpec]] = {}
    for case in op.cases:
        grouped.setdefault(_case_kind(case), []).append(case)
    for kind in _CASE_KINDS:
        cases = grouped.get(kind)
        if not cases:
            continue
        parts.append(f"<h3>{esc(kind)} ({len(cases)})</h3>")
        parts += [_case(op, case, status, backends, ops) for case in cases]
    return "\n".join(parts)


def _case(op: OpSpec, case: CaseSpec, status: dict, backends: list[str], ops: dict[str, str]) -> str:
    variants = list(case.variants.items())
    raising = sum(1 for _, (_, _, expected) in variants if isinstance(expected, Raises))
    torch_says = "torch raises" if raising == len(variants) else "torch computes" if not raising else f"torch raises in {raising}"
    badges = "".join(
        f' <span class="share" title="{esc(backend)}">{esc(backend)}: '
        + share(Counter(status[(case.name, d, backend)] for d, _ in variants if (case.name, d, backend) in status))
        + "</span>"
        for backend in backends
    )
    dtype_count = f"{_plural(len(variants), 'dtype')}, " if case.swept else f"{dtype_label(variants[0][0])}, "
    summary = (
        f"<code>{esc(case.name)}</code> "
        + (f"&mdash; {esc(plain_words(case.note))} " if case.note else "")
        + f'<span class="muted">({esc(dtype_count + torch_says)})</span>{badges}'
    )
    dtype, (args, kwargs, expected) = variants[0]
    shown = f" (for {esc(dtype_label(dtype))}; in each dtype below the inputs have that dtype)" if case.swept else ""
    verb = "torch raises" if isinstance(expected, Raises) else "torch returns"
    body = [
        f"<h4>Call{shown}</h4><pre>{esc(pretty.call(op.torch, op.params, args, kwargs, ops))}</pre>",
        f"<h4>{verb}</h4><pre>{esc(pretty.expectation(expected))}</pre>",
    ]
    if len(variants) > 1 or backends:
        rows = []
        for d, (_, _, exp) in variants:
            row = [f"<code>{esc(dtype_label(d))}</code>", esc(_outline(exp))]
            for backend in backends:
                outcome = status.get((case.name, d, backend))
                row.append(badge(outcome) if outcome else "")
            rows.append(row)
        body.append(table(["dtype", "torch gives", *backends], rows, sticky=True))
    return (
        f'<details class="case" id="{esc(anchor("case", case.name))}"><summary>{summary}</summary>'
        f'<div class="body">{"".join(body)}</div></details>'
    )


def _outline(expected: Any) -> str:
    """What torch gives, in a few words: ``float32, shape (2, 3)``, ``raises RuntimeError: ...``."""
    if isinstance(expected, Raises):
        message = expected.message if len(expected.message) <= 120 else expected.message[:119] + "\u2026"
        return f"raises {expected.error}" + (f": {message}" if message else "")
    if isinstance(expected, tuple):
        return (
            f"a tuple of {_plural(len(expected), 'tensor')}: "
            + "; ".join(_outline(e) for e in expected[:4])
            + ("; \u2026" if len(expected) > 4 else "")
        )
    if isinstance(expected, NeutralSparse):
        return f"sparse {expected.values.dtype}, size {pretty.value(tuple(expected.size))}"
    if isinstance(expected, NeutralTensor):
        return f"{expected.dtype}, shape {pretty.value(tuple(expected.shape))}"
    return f"{type(expected).__name__} {pretty.expectation(expected)}"


# --- the index and the dtypes page ----------------------------------------------
def index_page(spec: Spec, results: dict[str, list[Result]], merged: Merged | None, report: str | None = None) -> str:
    backends = list(by_backend(merged.results)) if merged else []
    rows = []
    for op in spec.ops.values():
        row = [
            f'<a href="{esc(op.op)}.html"><code>{esc(op.op)}</code></a>',
            f"<code>{esc(op.torch)}</code>",
            esc(op.summary),
            str(sum(len(c.variants) for c in op.cases)),
        ]
        for backend in backends:
            items = [r for r in results.get(op.op, []) if r.backend == backend]
            if not items:
                row.append('<span class="muted">&mdash;</span>')
                continue
            counts = Counter(r.outcome for r in items)
            cell = share(counts)
            if report and any(r.failed for r in items):
                cell = f'<a href="{esc(report)}#{esc(report_html.op_anchor(backend, op.op))}">{cell}</a>'
            row.append(cell)
        rows.append(row)
    intro = (
        '<p class="lead">A reference for each op tensorparity checks against torch: what it computes, its parameters, '
        "what it returns and in which dtype, examples with torch's own output, and every case"
        + (", with each backend's results." if merged else ".")
        + "</p>"
    )
    headers = ["op", "torch", "what it computes", "cases", *backends]
    body = [
        _nav(*(_links(report)[1:])),
        "<h1>tensorparity ops</h1>",
        intro,
        _page_legend(merged is not None),
    ]
    if merged:
        body.append(
            '<p class="muted">Per backend: <em>ok</em> the cases that pass (or raise where torch raises) of all the op\'s '
            "cases, then the others by outcome; a failing op links to its failures in the "
            f'<a href="{esc(report)}">conformance report</a>.</p>'
            if report
            else ""
        )
    body.append(table(headers, rows, numeric={3}, sticky=True))
    body.append(
        f'<p class="muted">The examples on each page come from the source text the checks were written from '
        f"(<cite>{esc(SEED)}</cite>).</p>"
    )
    if merged:
        files = ", ".join(f"<code>{esc(s.path)}</code>" for s in merged.sources)
        body.append(f'<p class="muted">Backend results from {files}.</p>')
    return document("tensorparity ops", "\n".join(body))


def dtypes_page(spec: Spec, with_results: bool = False) -> str:
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
        _nav(("index.html", "all ops"), *(((REPORT, "conformance report"),) if with_results else ())),
        "<h1>dtypes</h1>",
        '<p class="lead">The dtypes tensorparity checks, from the PyTorch documentation\'s table, with the tolerances '
        "a backend's values are judged by (those of torch.testing.assert_close): a value passes when "
        "|actual &minus; expected| &le; atol + rtol &times; |expected|.</p>",
        _page_legend(with_results),
        table(["dtype", "torch", "description", "category", "CPU tensor", "GPU tensor", "rtol", "atol"], rows, sticky=True),
        f'<p class="muted"><em>{esc(DTYPE_NOTES["none"])}</em>; op pages list such cases under that name.</p>',
    ]
    if spec.dtype_errata:
        body.append("<h2>Errata</h2>")
        for erratum in spec.dtype_errata:
            section = erratum.get("section", "")
            body.append(
                '<div class="erratum">'
                f"<strong>Erratum{esc(f' (section {section})' if section else '')}.</strong> The source text says: "
                f"&ldquo;{esc(erratum.get('claim', ''))}&rdquo; In truth: {esc(erratum.get('truth', ''))}</div>"
            )
    return document("dtypes \u2014 tensorparity", "\n".join(body))
