"""Results -> what a person reads in the terminal: counts, the matrix, each failure."""

from __future__ import annotations

from collections import Counter, defaultdict

from tensorparity.harness import results as outcomes
from tensorparity.harness.results import Result, printable

# One character per matrix cell; the worst outcome of the cell's cases wins.
SYMBOLS = {
    outcomes.PASS: "ok",
    outcomes.RAISES_AS_TORCH: "R",
    outcomes.NOT_IMPLEMENTED: "-",
    outcomes.XFAIL: "xf",
    outcomes.XPASS: "XP",
    outcomes.MISMATCH: "MM",
    outcomes.WRONG_EXCEPTION: "WX",
    outcomes.ERROR: "ER",
    outcomes.TIMEOUT: "TO",
    outcomes.CRASH: "CR",
}
# Outcomes from the mildest to the worst: a matrix cell (here and in reports/grid.py) shows its worst.
SEVERITY = [
    outcomes.RAISES_AS_TORCH,
    outcomes.PASS,
    outcomes.NOT_IMPLEMENTED,
    outcomes.XFAIL,
    outcomes.XPASS,
    outcomes.WRONG_EXCEPTION,
    outcomes.MISMATCH,
    outcomes.ERROR,
    outcomes.TIMEOUT,
    outcomes.CRASH,
]
LEGEND = (
    "ok pass, R raises as torch does, - not implemented, xf xfail, XP xpass, WX wrong exception class, "
    "MM mismatch, ER error, TO timeout, CR crash"
)

# How the grouped summary names each kind of difference (harness.results.KINDS).
KIND_TEXT = {
    outcomes.VALUE: "values differ",
    outcomes.DTYPE: "wrong dtype",
    outcomes.SHAPE: "wrong shape",
    outcomes.OUTPUT_TYPE: "not the kind of output torch gives",
    outcomes.RAISES_WHERE_TORCH_COMPUTES: "raises where torch computes",
    outcomes.COMPUTES_WHERE_TORCH_RAISES: "computes where torch raises",
    outcomes.KIND_WRONG_EXCEPTION: "another exception class than torch's",
    outcomes.KIND_TIMEOUT: "timeout",
    outcomes.KIND_CRASH: "crash",
}


def summary_line(backend: str, results: list[Result]) -> str:
    counts = Counter(result.outcome for result in results)
    parts = [f"{counts[o]} {o.replace('_', ' ')}" for o in outcomes.OUTCOMES if counts[o]]
    verdict = "FAIL" if any(r.failed for r in results) else "ok"
    return f"{backend}: {len(results)} cases: {', '.join(parts) or 'none'} [{verdict}]"


def matrix(results: list[Result], dtypes: list[str]) -> str:
    """Op x dtype for one backend; a blank cell has no case."""
    cells: dict[tuple[str, str], str] = {}
    ops: list[str] = []
    for result in results:
        if result.op not in ops:
            ops.append(result.op)
        key = (result.op, result.dtype)
        current = cells.get(key)
        if current is None or SEVERITY.index(result.outcome) > SEVERITY.index(current):
            cells[key] = result.outcome
    columns = [d for d in dtypes if any((op, d) in cells for op in ops)]
    width = max((len(op) for op in ops), default=2)
    header = " " * width + " " + " ".join(f"{_short(d):>5}" for d in columns)
    rows = [header]
    for op in ops:
        row = " ".join(f"{SYMBOLS.get(cells.get((op, d)), ''):>5}" for d in columns)
        rows.append(f"{op:<{width}} {row}")
    return "\n".join(rows)


def _short(dtype: str) -> str:
    return {
        "complex32": "c32",
        "complex64": "c64",
        "complex128": "c128",
        "bfloat16": "bf16",
        "float16": "f16",
        "float32": "f32",
        "float64": "f64",
        "quint4x2": "qu4x2",
    }.get(dtype, dtype)


def grouped_failures(failures: list[Result]) -> list[str]:
    """One line per op x kind of difference, every failing op shown, dtypes listed, one example:
    ``add: 13 cases, wrong dtype: f32 f16 bf16; e.g. add[seed_3_1, float32]: dtype float64, expected float32``."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in failures:
        kind = result.kind or {outcomes.TIMEOUT: "timeout", outcomes.CRASH: "crash"}.get(result.outcome, result.outcome)
        groups.setdefault((result.op, kind), []).append(result)
    lines = []
    for (op, kind), members in groups.items():
        dtypes = list(dict.fromkeys(_short(r.dtype) for r in members))
        example = members[0]
        what = KIND_TEXT.get(kind, kind.replace("_", " "))
        count = f"{len(members)} case{'s' if len(members) != 1 else ''}"
        lines.append(
            f"  FAIL {op}: {count}, {what}: {' '.join(dtypes)}; "
            f"e.g. {op}[{example.case}, {example.dtype}]: {printable(example.message)}"
        )
    return lines


def render(
    results: list[Result],
    dtypes: list[str],
    show_matrix: bool = True,
    max_failures: int | None = 0,
) -> str:
    """The terminal report: per backend its counts, the matrix, the failures grouped by op and
    kind, then ``max_failures`` individual failure lines (None: all of them)."""
    by_backend: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_backend[result.backend].append(result)
    blocks = []
    for backend, backend_results in by_backend.items():
        lines = [summary_line(backend, backend_results)]
        if show_matrix:
            lines += [matrix(backend_results, dtypes), f"({LEGEND})"]
        failures = [r for r in backend_results if r.failed]
        lines += grouped_failures(failures)
        shown = failures if max_failures is None else failures[:max_failures]
        lines += [f"  FAIL {r.line()}" for r in shown]
        if len(failures) > len(shown) and max_failures:
            lines.append(f"  ... and {len(failures) - len(shown)} more failures (--failures all, or see --json)")
        gaps = Counter(r.op for r in backend_results if r.outcome == outcomes.NOT_IMPLEMENTED)
        if gaps:
            lines.append("  not implemented: " + ", ".join(f"{op} ({n})" for op, n in gaps.items()))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
