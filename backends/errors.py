"""The exceptions of the contract that mean "not implemented", whatever else a backend raises."""

from __future__ import annotations


class NotImplementedOp(NotImplementedError):
    """Raised by (or for) a backend that has not written an op yet: always "not implemented"."""


class UnsupportedDtype(NotImplementedError):
    """Raised by a backend for a dtype it cannot represent honestly."""

    def __init__(self, backend: str, dtype: str) -> None:
        super().__init__(f"unsupported dtype {dtype} on backend {backend}")
        self.dtype = dtype
