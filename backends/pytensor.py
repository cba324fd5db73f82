"""PyTensor, the pure-Python backend's tensor, and the per-dtype rounding that keeps it honest.

Standard library only: a tensor is a flat Python list (its storage) read through a
shape, strides and an offset, so transposes, permutes, views and splits share
storage as torch's do, and ``view`` can refuse exactly where torch refuses.

Values are plain Python numbers: ``bool``, ``int`` (wrapped to the dtype's range),
``float`` (rounded to float32, float16 or bfloat16 through ``array``/``struct``
when the dtype is narrower than a double) and ``complex``. Storage is never
mutated once a tensor holds it, which is what lets views share it safely.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import Any

from tensorparity.backends import dtypes
from tensorparity.backends.semantics.checks import scalar_overflows

# From the dtype table; complex32 (float16 pairs) is not represented here.
INT_RANGE: dict[str, tuple[int, int]] = dtypes.INT_RANGE
FLOATS = dtypes.FLOATING
COMPLEXES = tuple(name for name in dtypes.COMPLEX if not dtypes.DTYPES[name].paired)
SUPPORTED = frozenset(("bool", *INT_RANGE, *FLOATS, *COMPLEXES))
REDUCED = frozenset(("float16", "bfloat16"))  # torch computes these in float32 ("opmath")
ZERO: dict[str, Any] = {
    "bool": False,
    **dict.fromkeys(INT_RANGE, 0),
    **dict.fromkeys(FLOATS, 0.0),
    **dict.fromkeys(COMPLEXES, 0j),
}
ONE: dict[str, Any] = {
    "bool": True,
    **dict.fromkeys(INT_RANGE, 1),
    **dict.fromkeys(FLOATS, 1.0),
    **dict.fromkeys(COMPLEXES, 1 + 0j),
}
INF, NAN = math.inf, math.nan
# Finite maxima: torch refuses to convert a finite scalar beyond them ("without overflow").
FLOAT_MAX = {name: dtypes.DTYPES[name].finite_max for name in FLOATS}

_UINT32 = "I" if array("I").itemsize == 4 else "L"  # array's 32-bit unsigned code, for bfloat16's bit rounding


# --- layout -------------------------------------------------------------------
def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def element_offsets(shape: Sequence[int], strides: Sequence[int], offset: int = 0) -> list[int]:
    """The storage index of every element, in C order."""
    positions = [offset]
    for size, stride in zip(shape, strides):
        if size != 1:
            steps = range(0, size * stride, stride) if stride else [0] * size
            positions = [p + s for p in positions for s in steps]
    return positions


def gather(data: list, shape: Sequence[int], strides: Sequence[int], offset: int = 0) -> list:
    """The elements of a strided layout over ``data``, in C order (a new list).

    The last dim is read with slices, the fast path for contiguous and transposed reads alike.
    """
    if not shape:
        return [data[offset]]
    size, stride = shape[-1], strides[-1]
    starts = element_offsets(shape[:-1], strides[:-1], offset)
    if size == 0 or not starts:
        return []
    if stride > 0:
        if len(starts) == 1:
            return data[offset : offset + size * stride : stride]
        span = size * stride
        return [v for p in starts for v in data[p : p + span : stride]]
    return [data[p + k * stride] for p in starts for k in range(size)]


def take(data: list, offset: int, per_dim: Sequence[Sequence[int]], fill: Any = None) -> list:
    """Elements picked by per-dim storage offsets; a negative combined offset picks ``fill``.

    Every dim's offsets are ``index * stride`` (non-negative, since this backend never
    makes negative strides), or a huge negative number where the output is padding.
    """
    positions = [offset]
    for offsets in per_dim:
        positions = [p + o for p in positions for o in offsets]
    if fill is None:
        return [data[p] for p in positions]
    return [data[p] if p >= 0 else fill for p in positions]


PAD = -(2**62)  # an offset that makes any position it takes part in negative: "padding here"


class PyTensor:
    """A strided view over a flat list of Python numbers, with a torch dtype name."""

    __slots__ = ("data", "shape", "dtype", "strides", "offset")

    def __init__(
        self, data: list, shape: Sequence[int], dtype: str, strides: Sequence[int] | None = None, offset: int = 0
    ) -> None:
        self.data = data
        self.shape = tuple(shape)
        self.dtype = dtype
        self.strides = contiguous_strides(self.shape) if strides is None else tuple(strides)
        self.offset = offset

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def is_dense(self) -> bool:
        """True when ``data`` is exactly the elements in C order (no copy needed to read them)."""
        return self.offset == 0 and len(self.data) == self.numel and self.strides == contiguous_strides(self.shape)

    def is_contiguous(self) -> bool:
        """torch's is_contiguous: C-order strides, ignoring dims of size 1 (and the offset)."""
        expected = 1
        for size, stride in zip(reversed(self.shape), reversed(self.strides)):
            if size == 0:
                return True
            if size != 1 and stride != expected:
                return False
            expected *= size
        return True

    def values(self) -> list:
        """The elements in C order. May be the storage itself: never mutate the result."""
        return self.data if self.is_dense() else gather(self.data, self.shape, self.strides, self.offset)

    def first(self) -> Any:
        """The single element of a one-element tensor."""
        return self.data[self.offset]

    def restrided(self, shape: Sequence[int], strides: Sequence[int], offset: int | None = None) -> PyTensor:
        """A view sharing this tensor's storage."""
        return PyTensor(self.data, shape, self.dtype, strides, self.offset if offset is None else offset)

    def expanded(self, shape: Sequence[int]) -> list:
        """The elements broadcast to ``shape`` (already checked to be compatible), in C order."""
        if self.shape == tuple(shape):
            return self.values()
        lead = len(shape) - self.ndim
        strides = [0] * lead + [0 if size == 1 else stride for size, stride in zip(self.shape, self.strides)]
        return gather(self.data, shape, strides, self.offset)

    def __repr__(self) -> str:
        return f"PyTensor({self.dtype}, shape={self.shape}, values={self.values()[:8]!r})"


# --- rounding to a dtype --------------------------------------------------------
def round_float32(values: list) -> list:
    # array('f') stores each double as the nearest float (C's conversion: round to
    # nearest even, out of range to ±inf), exactly numpy's and torch's float32 cast.
    return array("f", values).tolist()


def _half(value: float) -> float:
    try:
        return struct.unpack("<e", struct.pack("<e", value))[0]
    except OverflowError:  # struct refuses what rounds past 65504; IEEE says ±inf
        return math.copysign(INF, value)


def round_float16(values: list) -> list:
    # Through float32 first, as torch converts a double to Half (c10::Half takes a float).
    values = round_float32(values)
    count = len(values)
    try:
        return list(struct.unpack(f"<{count}e", struct.pack(f"<{count}e", *values)))
    except OverflowError:
        return [_half(v) for v in values]


def round_bfloat16(values: list) -> list:
    # torch's c10::BFloat16: round the float32 bits to the nearest even upper 16 bits; NaN stays NaN.
    bits = array(_UINT32)
    bits.frombytes(array("f", values).tobytes())
    rounded = array(
        _UINT32,
        [(b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000 if b & 0x7FFFFFFF <= 0x7F800000 else 0x7FC00000 for b in bits],
    )
    result = array("f")
    result.frombytes(rounded.tobytes())
    return result.tolist()


def round_complex64(values: list) -> list:
    real = round_float32([v.real for v in values])
    imag = round_float32([v.imag for v in values])
    return list(map(complex, real, imag))


def wrap_int(values: list, dtype: str) -> list:
    """Two's-complement wraparound into the dtype's range, as torch's integer arithmetic."""
    low, high = INT_RANGE[dtype]
    if not values or (low <= min(values) and max(values) <= high):
        return values
    mask = high - low
    return [((v - low) & mask) + low for v in values]


def _same(values: list) -> list:
    return values


ROUND: dict[str, Callable[[list], list]] = {
    "bool": _same,
    "float64": _same,
    "complex128": _same,
    "float32": round_float32,
    "float16": round_float16,
    "bfloat16": round_bfloat16,
    "complex64": round_complex64,
    **{name: (lambda values, name=name: wrap_int(values, name)) for name in INT_RANGE},
}


def finish(values: list, dtype: str) -> list:
    """Results computed exactly (ints) or in double (floats), brought to the dtype."""
    return ROUND[dtype](values)


# --- casts ----------------------------------------------------------------------
def _float_to_int(value: float, target: str) -> int:
    """torch's float to integer cast on x86: truncate; below 64 bits through int32, whose
    out-of-range (and NaN) result is int32's minimum, then keep the low bits."""
    wide = "int64" if target == "int64" else "int32"
    low, high = INT_RANGE[wide]
    if not math.isfinite(value) or not low <= math.trunc(value) <= high:
        return low
    return int(value)


def cast(values: list, source: str, target: str) -> list:
    """Values of dtype ``source`` as dtype ``target`` (torch's tensor.to(dtype))."""
    if source == target:
        return values
    if target == "bool":
        return [v != 0 for v in values]
    if source in COMPLEXES and target not in COMPLEXES:  # torch drops the imaginary part
        values, source = [v.real for v in values], "float64"
    if target in INT_RANGE:
        if source in FLOATS:
            values = [_float_to_int(v, target) for v in values]
        elif source == "bool":
            values = list(map(int, values))
        return wrap_int(values, target)
    if target in FLOATS:
        return finish(values if source in FLOATS else list(map(float, values)), target)
    return finish(list(map(complex, values)), target)


def number_dtype(value: Any) -> str:
    """The dtype a Python number is read as before casting (its exact C type)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        if not INT_RANGE["int64"][0] <= value <= INT_RANGE["int64"][1]:
            raise OverflowError("int too big to convert")  # as torch refuses Python ints beyond int64
        return "int64"
    return "float64" if isinstance(value, float) else "complex128"


def cast_number(value: Any, target: str) -> Any:
    """A Python number as the dtype ``target``, wrapped or rounded as a tensor cast would."""
    return cast([value], number_dtype(value), target)[0]


def checked_number(value: Any, target: str, one_element: bool = False) -> Any:
    """torch's Scalar.to<T>(): like ``cast_number`` but refusing values the dtype cannot hold
    (``checks.scalar_overflows``; ``one_element``: the value fills a one-element tensor)."""
    number_dtype(value)  # refuses Python ints beyond int64
    if target in INT_RANGE:
        low, high = INT_RANGE[target]
    elif target != "bool":  # floating, or complex: each part in the range of its float dtype
        high = FLOAT_MAX[target] if target in FLOAT_MAX else FLOAT_MAX["float32" if target == "complex64" else "float64"]
        low = -high
    else:
        low, high = 0, 1
    scalar_overflows(value, target, low, high, one_element=one_element)
    return cast_number(value, target)


Operand = Any  # a list of values, or one value standing for every element


def map2(function: Callable[[Any, Any], Any], left: Any, right: Any, count: int) -> list:
    """``function`` over two operands, each a list of ``count`` values or one repeated value."""
    left_many, right_many = isinstance(left, list), isinstance(right, list)
    if left_many and right_many:
        return list(map(function, left, right))
    if left_many:
        return list(map(function, left, repeat(right, count)))
    if right_many:
        return list(map(function, repeat(left, count), right))
    return [function(left, right)] * count
