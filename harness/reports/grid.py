"""The op x dtype matrix of one backend, and its coverage counts.

A cell holds every outcome of that op's cases in that dtype; it shows the worst
(the same order as the terminal report: a crash outranks a mismatch outranks a
pass). Ops run alphabetically, dtypes in the order of the seed's dtype table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tensorparity.backends.neutral import STORAGE
from tensorparity.harness import results as outcomes
from tensorparity.harness.report import LEGEND, SEVERITY, SYMBOLS
from tensorparity.harness.results import Result

__all__ = ["LEGEND", "SYMBOLS", "Cell", "Coverage", "Grid", "coverage", "dtype_label", "dtype_order", "grid", "worst"]

NAMES = {
    outcomes.PASS: "pass",
    outcomes.RAISES_AS_TORCH: "raises as torch",
    outcomes.NOT_IMPLEMENTED: "not implemented",
    outcomes.XFAIL: "xfail",
    outcomes.XPASS: "xpass",
    outcomes.MISMATCH: "mismatch",
    outcomes.WRONG_EXCEPTION: "wrong exception",
    outcomes.ERROR: "error",
    outcomes.TIMEOUT: "timeout",
    outcomes.CRASH: "crash",
}
CONFORMANT = frozenset({outcomes.PASS, outcomes.RAISES_AS_TORCH})
# The order outcomes are listed in legends and counts: good news first.
LISTING = tuple(outcomes.OUTCOMES)


# Column labels that are not dtype names, and what they mean.
DTYPE_LABELS = {"none": "no dtype"}
DTYPE_NOTES = {
    "none": "no dtype: cases with no tensor to take a dtype from, such as cat([]) or exp(2.0), both of which torch refuses",
}


def dtype_label(dtype: str) -> str:
    """A column's label: the dtype's name, or what a label outside the dtype table stands for."""
    return DTYPE_LABELS.get(dtype, dtype)


def worst(found: Counter | list[str]) -> str:
    return max(found, key=SEVERITY.index)


def dtype_order(dtypes: set[str] | list[str]) -> list[str]:
    """The dtypes present, in the seed's table order; labels outside it (``none``) last."""
    known = [d for d in STORAGE if d in dtypes]
    return known + sorted(set(dtypes) - set(known))


@dataclass
class Cell:
    counts: Counter = field(default_factory=Counter)
    results: list[Result] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return worst(self.counts)

    def title(self, op: str, dtype: str) -> str:
        """``add, int64: 3 cases: 2 pass, 1 mismatch``."""
        parts = [f"{self.counts[o]} {NAMES[o]}" for o in LISTING if self.counts[o]]
        n = sum(self.counts.values())
        return f"{op}, {dtype}: {n} case{'s' if n != 1 else ''}: {', '.join(parts)}"


@dataclass
class Grid:
    backend: str
    ops: list[str]
    dtypes: list[str]
    cells: dict[tuple[str, str], Cell]

    def cell(self, op: str, dtype: str) -> Cell | None:
        return self.cells.get((op, dtype))


def grid(backend: str, results: list[Result], dtypes: list[str] | None = None) -> Grid:
    """The matrix of one backend's results; ``dtypes`` fixes the columns (e.g. shared by every backend)."""
    cells: dict[tuple[str, str], Cell] = {}
    for result in results:
        cell = cells.setdefault((result.op, result.dtype), Cell())
        cell.counts[result.outcome] += 1
        cell.results.append(result)
    ops = sorted({op for op, _ in cells})
    columns = dtypes if dtypes is not None else dtype_order({d for _, d in cells})
    return Grid(backend, ops, columns, cells)


@dataclass(frozen=True)
class Coverage:
    """How much of the suite a backend decides and passes.

    ``decided``: cases with a verdict, i.e. all but not implemented; ``passing``:
    pass or raises where torch raises; ``failing``: the failing outcomes.
    """

    total: int
    decided: int
    passing: int
    not_implemented: int
    failing: int
    xfail: int
    counts: Counter

    @property
    def conformant(self) -> bool:
        return self.failing == 0

    def percent(self, n: int) -> float:
        return 100.0 * n / self.total if self.total else 0.0


def coverage(results: list[Result]) -> Coverage:
    counts = Counter(result.outcome for result in results)
    total = len(results)
    return Coverage(
        total=total,
        decided=total - counts[outcomes.NOT_IMPLEMENTED],
        passing=sum(counts[o] for o in CONFORMANT),
        not_implemented=counts[outcomes.NOT_IMPLEMENTED],
        failing=sum(counts[o] for o in outcomes.FAILING),
        xfail=counts[outcomes.XFAIL],
        counts=counts,
    )


def by_backend(results: list[Result]) -> dict[str, list[Result]]:
    grouped: dict[str, list[Result]] = {}
    for result in results:
        grouped.setdefault(result.backend, []).append(result)
    return grouped
