"""The one result record every stage after judging reads, and its JSON layout."""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass
from typing import Any

# Outcomes; the first two are conformant, the rest are not, except
# not_implemented (a gap, reported but not a failure) and xfail (a known one).
PASS = "pass"
RAISES_AS_TORCH = "raises_as_torch"
MISMATCH = "mismatch"
ERROR = "error"
NOT_IMPLEMENTED = "not_implemented"
XFAIL = "xfail"
XPASS = "xpass"
TIMEOUT = "timeout"
CRASH = "crash"
OUTCOMES = (PASS, RAISES_AS_TORCH, MISMATCH, ERROR, NOT_IMPLEMENTED, XFAIL, XPASS, TIMEOUT, CRASH)
FAILING = frozenset({MISMATCH, ERROR, XPASS, TIMEOUT, CRASH})
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Result:
    op: str
    case: str
    dtype: str
    backend: str
    outcome: str
    message: str = ""
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    duration_s: float = 0.0
    section: str | None = None
    backend_version: str = ""
    traceback: str | None = None

    @property
    def id(self) -> str:
        return f"{self.op}-{self.case}-{self.dtype}-{self.backend}"

    @property
    def failed(self) -> bool:
        return self.outcome in FAILING

    def line(self) -> str:
        """The one-line failure message: ``div[seed_3_6, float32] numpy: dtype float64, expected float32``."""
        return f"{self.op}[{self.case}, {self.dtype}] {self.backend}: {self.outcome}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def versions(backend_versions: dict[str, str]) -> dict[str, Any]:
    import numpy

    try:
        import torch

        torch_version = torch.__version__
    except ImportError:  # pragma: no cover
        torch_version = None
    return {
        "python": platform.python_version(),
        "torch": torch_version,
        "numpy": numpy.__version__,
        "backends": backend_versions,
    }


def results_document(results: list[Result], backend_versions: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "versions": versions(backend_versions),
        **extra,
        "results": [result.to_dict() for result in results],
    }
