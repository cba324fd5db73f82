"""The harness's neutral values: what crosses between the harness and a backend.

A tensor is a NumPy array plus the torch dtype name it stands for. NumPy has no
complex32 or quantized dtypes, so some dtypes are stored in a wider or plainer
NumPy form (``STORAGE``, from the dtype table); the torch name says how to read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tensorparity.backends import dtypes

# The storage of each dtype, which are quantized, which are stored as (real, imag) pairs:
# facts of the one dtype table (spec/dtypes.yaml), re-exported here for the neutral form.
STORAGE, QUANTIZED, QUANTIZED_RANGE, PAIRED = dtypes.STORAGE, dtypes.QUANTIZED, dtypes.QUANTIZED_RANGE, dtypes.PAIRED


def complex_array(real: Any, imag: Any, dtype: Any = np.complex128) -> np.ndarray:
    """real + i * imag, element by element (``real + 1j * imag`` would turn 0 + inf i into NaN + inf i)."""
    out = np.empty(np.broadcast_shapes(np.shape(real), np.shape(imag)), dtype=dtype)
    out.real, out.imag = real, imag
    return out


def dtype_name_of(array: np.ndarray) -> str:
    """The torch dtype name of a plain NumPy array (no complex32 or quantized)."""
    for name, storage in STORAGE.items():
        if storage == array.dtype and name not in QUANTIZED and name not in PAIRED:
            return name
    raise TypeError(f"NumPy dtype {array.dtype} has no torch counterpart")


@dataclass(frozen=True, eq=False)
class NeutralTensor:
    """A dense tensor: ``array`` stored as ``STORAGE[dtype]``."""

    array: np.ndarray
    dtype: str
    scale: float | None = None  # quantized dtypes only
    zero_point: int | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape[:-1] if self.dtype in PAIRED else self.array.shape

    @classmethod
    def of(cls, array: np.ndarray) -> NeutralTensor:
        """Wrap a plain NumPy array, naming its dtype the torch way."""
        return cls(np.asarray(array), dtype_name_of(np.asarray(array)))

    def values(self) -> np.ndarray:
        """The values as a NumPy array with ordinary NumPy semantics.

        complex32 becomes complex64; quantized tensors are dequantized.
        """
        if self.dtype in PAIRED:
            return complex_array(self.array[..., 0], self.array[..., 1], np.complex64)
        if self.dtype in QUANTIZED:
            return (self.array.astype(np.float64) - self.zero_point) * self.scale
        return self.array

    def __repr__(self) -> str:
        return f"NeutralTensor({self.dtype}, shape={self.shape})"


@dataclass(frozen=True, eq=False)
class NeutralSparse:
    """A sparse COO tensor: indices (int64, ndim x nnz), values, and size."""

    indices: NeutralTensor
    values: NeutralTensor
    size: tuple[int, ...]


@dataclass(frozen=True)
class Ref:
    """A reference to a named value inside a gradient graph; ``index`` picks one output of a tuple."""

    name: str
    index: int | None = None


@dataclass(frozen=True)
class Step:
    """One op application in a gradient graph: ``name = op(*args, **kwargs)``."""

    name: str
    op: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Graph:
    """An expression graph of spec ops, the argument of the ``grad`` op.

    ``inputs`` maps names to tensors (neutral, or a backend's native ones once
    converted); ``wrt`` names the inputs to differentiate with respect to;
    ``grad_outputs`` is the cotangent of ``output`` (None: an implicit 1 for a
    scalar output, as torch.autograd.grad does).
    """

    inputs: dict[str, Any]
    steps: tuple[Step, ...]
    output: str
    wrt: tuple[str, ...]
    grad_outputs: Any = None


def map_tensors(value: Any, convert: Any) -> Any:
    """Apply ``convert`` to every NeutralTensor inside a nested argument."""
    if isinstance(value, NeutralTensor):
        return convert(value)
    if isinstance(value, (list, tuple)):
        return type(value)(map_tensors(item, convert) for item in value)
    if isinstance(value, dict):
        return {key: map_tensors(item, convert) for key, item in value.items()}
    if isinstance(value, Step):
        return Step(value.name, value.op, map_tensors(value.args, convert), map_tensors(value.kwargs, convert))
    if isinstance(value, Graph):
        return Graph(
            map_tensors(value.inputs, convert),
            map_tensors(value.steps, convert),
            value.output,
            value.wrt,
            map_tensors(value.grad_outputs, convert),
        )
    return value
