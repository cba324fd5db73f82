"""Expand the loaded spec into concrete cases: one per op x case x dtype.

Deterministic: the same spec gives the same cases, in the same order, on every
machine. A case carries everything its judging needs (tolerances, xfails), so
later stages never look back at the spec.
"""

from __future__ import annotations

import fnmatch
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
    suite: str = "spec"  # where the case comes from: the spec's YAML, or torch's OpInfo samples (harness/opinfo.py)

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
        xfail = self.xfail(backend)
        return xfail.reason if xfail is not None else None

    def xfail(self, backend: str) -> Xfail | None:
        for xfail in self.xfails:
            if xfail.matches(backend, self.name, self.dtype):
                return xfail
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
