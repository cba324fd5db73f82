"""Expand the loaded spec into concrete cases: one per op x case x dtype.

Deterministic: the same spec gives the same cases, in the same order, on every
machine. A case carries everything its judging needs (tolerances, xfails), so
later stages never look back at the spec.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tensorparity.harness.spec import CaseSpec, OpSpec, Spec, Xfail


@dataclass(frozen=True)
class Case:
    op: str
    name: str
    dtype: str
    section: str | None
    args: tuple
    kwargs: dict
    expected: Any  # a neutral value, a Raises, or None before recording
    tolerances: dict[str, tuple[float, float]]  # dtype -> (rtol, atol), overrides applied
    xfails: tuple[Xfail, ...]
    path: Path

    @property
    def id(self) -> str:
        """Readable id, the same in pytest, JSON and reports: ``add-seed_3_1-int64``."""
        return f"{self.op}-{self.name}-{self.dtype}"

    @property
    def label(self) -> str:
        """How failure messages name the case: ``add[seed_3_1, int64]``."""
        return f"{self.op}[{self.name}, {self.dtype}]"

    def tolerance(self, dtype: str) -> tuple[float, float]:
        return self.tolerances.get(dtype, (0.0, 0.0))

    def xfail_reason(self, backend: str) -> str | None:
        for xfail in self.xfails:
            if xfail.matches(backend, self.name, self.dtype):
                return xfail.reason
        return None


def select_ops(spec: Spec, patterns: list[str] | None) -> list[OpSpec]:
    """The ops whose id matches any glob pattern (all of them when none are given)."""
    if not patterns:
        return list(spec.ops.values())
    return [op for op_id, op in spec.ops.items() if any(fnmatch.fnmatchcase(op_id, p) for p in patterns)]


def expand_case(spec: Spec, op: OpSpec, case: CaseSpec) -> list[Case]:
    tolerances = {name: (dtype.rtol, dtype.atol) for name, dtype in spec.dtypes.items()}
    tolerances.update(op.tolerance)
    tolerances.update(case.tolerance)
    return [
        Case(
            op.op,
            case.name,
            dtype,
            case.section or op.section,
            args,
            kwargs,
            expected,
            tolerances,
            case.xfails + op.xfails,
            op.path,
        )
        for dtype, (args, kwargs, expected) in case.variants.items()
    ]


def expand(spec: Spec, op_patterns: list[str] | None = None) -> list[Case]:
    return [c for op in select_ops(spec, op_patterns) for case in op.cases for c in expand_case(spec, op, case)]


class SelectionError(ValueError):
    """A selection that cannot be honoured, as one line naming the flag: ``--op 'nosuch' matches no op``."""


@dataclass(frozen=True)
class Selection:
    """Which of the spec's cases a run takes (``--op``, ``--case``, ``--dtype``, ``--shard``).

    Each filter keeps a case when any of its patterns matches; None keeps every case.
    ``ops`` and ``cases`` are globs (a case pattern matches the case name, ``seed_3_1``,
    or the case id, ``add-seed_3_1-int64``); ``dtypes`` are dtype names. ``shard``
    (K, N) keeps every N-th case of the rest, starting with the K-th (1-based).
    """

    ops: tuple[str, ...] | None = None
    cases: tuple[str, ...] | None = None
    dtypes: tuple[str, ...] | None = None
    shard: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """As the results document records it (``selection``): each filter sorted, without repeats,
        since neither the order of the flags nor a repeat changes which cases run, or their order."""
        return {
            "ops": sorted(set(self.ops)) if self.ops else None,
            "cases": sorted(set(self.cases)) if self.cases else None,
            "dtypes": sorted(set(self.dtypes)) if self.dtypes else None,
        }


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); SelectionError naming ``--shard`` for anything else."""
    k, slash, n = str(text).partition("/")
    try:
        index, count = int(k), int(n)
    except ValueError:
        index = count = 0
    if not slash or count < 1 or not 1 <= index <= count:
        raise SelectionError(f"--shard takes K/N, shard K of N with 1 <= K <= N (e.g. 2/4); got {text!r}")
    return index, count


def unmatched(flag: str, patterns: Sequence[str], names: Sequence[str], what: str, known: str = "") -> None:
    """SelectionError for the first glob in ``patterns`` that matches none of ``names``:
    ``--op 'nosuch': no op matches it (ops: add, ...)``."""
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(name, pattern) for name in names):
            raise SelectionError(f"{flag} {pattern!r}: no {what} matches it ({known or _some(names)})")


def select(spec: Spec, selection: Selection) -> list[Case]:
    """The selected cases in the serial order (shard applied); SelectionError, naming the flag,
    for a pattern or dtype that selects nothing."""
    ops = spec.ops.values()
    if selection.ops:
        unmatched("--op", selection.ops, list(spec.ops), "op", "ops: " + _some(spec.ops, 40))
        ops = select_ops(spec, list(selection.ops))
    cases = [c for op in ops for case in op.cases for c in expand_case(spec, op, case)]
    if selection.cases:
        names = [name for c in cases for name in (c.name, c.id)]
        unmatched("--case", selection.cases, names, "case of the selected ops", "cases: " + _some(c.name for c in cases))
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c.name, p) or fnmatch.fnmatchcase(c.id, p) for p in selection.cases)]
    if selection.dtypes:
        for dtype in selection.dtypes:
            if dtype not in spec.dtypes:
                raise SelectionError(f"--dtype {dtype!r} is not a dtype; one of {', '.join(spec.dtypes)}")
            if not any(c.dtype == dtype for c in cases):
                raise SelectionError(
                    f"--dtype {dtype!r} matches no selected case (dtypes there: {_some(c.dtype for c in cases)})"
                )
        cases = [c for c in cases if c.dtype in selection.dtypes]
    if selection.shard:
        index, count = selection.shard
        cases = cases[index - 1 :: count]
    return cases


def _some(names: Any, most: int = 8) -> str:
    unique = list(dict.fromkeys(names))
    return ", ".join(unique[:most]) + (f" and {len(unique) - most} more" if len(unique) > most else "")
