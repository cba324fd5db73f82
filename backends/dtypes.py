"""THE dtype table: every fact about each torch dtype, loaded from the spec's dtypes.yaml.

Part of the contract (it imports nothing else of the project). spec/dtypes.yaml is
the one home of these facts; this module only reads them into typed records and
derives the lookups the backends and the harness share.
"""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import numpy as np
import yaml
from tensorparity.backends.spec_files import SPEC_DIR

# torch's promotion categories, lowest first: a higher category wins whatever the widths.
CATEGORIES: tuple[str, ...] = ("bool", "integer", "floating", "complex")


@dataclass(frozen=True)
class Dtype:
    """One row of spec/dtypes.yaml."""

    name: str
    category: str  # bool, integer, floating, complex, quantized
    storage: np.dtype  # the NumPy dtype of its neutral array
    paired: bool  # stored as (real, imag) pairs in a trailing axis (complex32)
    bits: int
    short: str
    rtol: float
    atol: float
    scalar_type: str | None = None  # torch's ScalarType name, as its error messages spell it
    complex: str | None = None  # floating: the complex dtype it promotes to
    real: str | None = None  # complex: the dtype of its parts
    quantized_range: tuple[int, int] | None = None  # quantized: the integer representation's range

    @property
    def quantized(self) -> bool:
        return self.category == "quantized"

    @property
    def int_range(self) -> tuple[int, int] | None:
        """The lowest and highest value of an integer or quantized dtype (None for others)."""
        if self.quantized:
            return self.quantized_range
        if self.category == "integer":
            info = np.iinfo(self.storage)
            return int(info.min), int(info.max)
        return None

    @property
    def finite_max(self) -> float | None:
        """The largest finite value of a floating dtype, or of a complex dtype's parts."""
        part = self.storage if self.category == "floating" or self.paired else None
        if self.category == "complex" and not self.paired:
            part = np.dtype(np.float32 if self.storage == np.complex64 else np.float64)
        if part is None:
            return None
        return float((ml_dtypes.finfo if part == ml_dtypes.bfloat16 else np.finfo)(part).max)


def _storage(name: str) -> np.dtype:
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


def load_dtype_table(path: str | None = None) -> dict[str, Dtype]:
    """The rows of a dtypes.yaml, by torch name, in the file's order (the bundled one by default)."""
    with open(path or SPEC_DIR / "dtypes.yaml", encoding="utf-8") as file:
        rows = yaml.load(file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["dtypes"]  # noqa: S506 - safe
    return {
        name: Dtype(
            name=name,
            category=row["category"],
            storage=_storage(row["storage"]),
            paired=bool(row.get("paired", False)),
            bits=int(row["bits"]),
            short=row["short"],
            rtol=float(row["rtol"]),
            atol=float(row["atol"]),
            scalar_type=row.get("scalar_type"),
            complex=row.get("complex"),
            real=row.get("real"),
            quantized_range=tuple(row["range"]) if "range" in row else None,
        )
        for name, row in rows.items()
    }


DTYPES: dict[str, Dtype] = load_dtype_table()

# Derived lookups, for the hot paths that ask them on every call.
STORAGE: dict[str, np.dtype] = {name: d.storage for name, d in DTYPES.items()}
QUANTIZED: frozenset[str] = frozenset(name for name, d in DTYPES.items() if d.quantized)
PAIRED: frozenset[str] = frozenset(name for name, d in DTYPES.items() if d.paired)
QUANTIZED_RANGE: dict[str, tuple[int, int]] = {name: d.int_range for name, d in DTYPES.items() if d.quantized}
INT_RANGE: dict[str, tuple[int, int]] = {n: d.int_range for n, d in DTYPES.items() if d.category == "integer"}
INTEGERS: tuple[str, ...] = tuple(INT_RANGE)
FLOATING: tuple[str, ...] = tuple(n for n, d in DTYPES.items() if d.category == "floating")
COMPLEX: tuple[str, ...] = tuple(n for n, d in DTYPES.items() if d.category == "complex")


def short_name(dtype: str) -> str:
    """A dtype's column heading (f32, c64, qu4x2); other names as they are."""
    row = DTYPES.get(dtype)
    return row.short if row else dtype
