"""The pure-Python backend's factories: arange, full and sparse_coo_tensor, and the dtype arguments they take."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tensorparity.backends.base import UnsupportedDtype
from tensorparity.backends.neutral import STORAGE
from tensorparity.backends.pymath import trunc_int_div
from tensorparity.backends.pytensor import (
    REDUCED,
    SUPPORTED,
    PyTensor,
    cast,
    cast_number,
    checked_number,
    finish,
    round_float32,
    wrap_int,
)
from tensorparity.backends.semantics import checks, promotion


@dataclass(frozen=True)
class PySparse:
    """A sparse COO tensor: int64 indices (sparse_dim x nnz), values, size. Kept uncoalesced, as torch's."""

    indices: PyTensor
    values: PyTensor
    size: tuple[int, ...]


def supported_dtype(name: str | None, backend: str) -> str | None:
    """A ``dtype=`` argument: one this backend computes in (or None), else UnsupportedDtype for a torch
    dtype it has no honest form for, else TypeError."""
    if name is None or name in SUPPORTED:
        return name
    if name in STORAGE:
        raise UnsupportedDtype(backend, name)
    raise TypeError(f"unknown dtype {name!r}")


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: str | None = None, backend: str) -> PyTensor:
    if end is None:
        start, end = 0, start
    if not all(promotion.is_python_number(v) and not isinstance(v, complex) for v in (start, end, step)):
        raise TypeError("arange expects real numbers")
    dtype = supported_dtype(dtype, backend) or (
        promotion.DEFAULT_FLOAT if any(isinstance(v, float) for v in (start, end, step)) else "int64"
    )
    # torch validates the numbers as given, then converts them to its accumulate type:
    # int64 for integral dtypes (so a float step of 0.5 truncates to 0), float32 below float32.
    checks.check_arange(start, end, step, dtype)
    integral = promotion.is_integral(dtype)
    if integral:
        xstart, xend, xstep = (checked_number(v, "int64") for v in (start, end, step))
    else:
        xstart, xstep = (cast_number(v, "float32" if dtype in REDUCED else "float64") for v in (start, step))
    if dtype == "int64":  # sized from the truncated numbers, exactly (C's truncating division)
        sign = 1 if xstep > 0 else -1
        size = trunc_int_div(xend - xstart + xstep - sign, xstep)
    else:
        size = math.ceil((float(end) - float(start)) / float(step))
    checks.check_arange_size(size)
    if integral:
        values = cast(wrap_int([xstart + xstep * i for i in range(size)], "int64"), "int64", dtype)
    elif dtype in REDUCED:  # float32 arithmetic, as torch's float accumulate type
        values = finish(round_float32([xstart + v for v in round_float32([xstep * i for i in range(size)])]), dtype)
    else:
        values = finish([xstart + xstep * i for i in range(size)], dtype)
    return PyTensor(values, (size,), dtype)


def full(size: Any, fill_value: Any, *, dtype: str | None = None, backend: str) -> PyTensor:
    if not promotion.is_python_number(fill_value):
        raise TypeError(f"fill_value must be a number, got {type(fill_value).__name__}")
    dtype = supported_dtype(dtype, backend) or promotion.scalar_dtype(fill_value)
    shape = checks.full_shape(size)
    count = math.prod(shape)
    fill = checked_number(fill_value, dtype, one_element=count == 1)
    return PyTensor([fill] * count, shape, dtype)


def sparse_coo_tensor(
    indices: PyTensor, values: PyTensor, size: Any = None, *, dtype: str | None = None, backend: str
) -> PySparse:
    dtype = supported_dtype(dtype, backend)
    checks.check_sparse_indices(indices.shape, values.shape)
    sparse_dims, nnz = indices.shape
    flat = cast(indices.values(), indices.dtype, "int64")  # torch casts any indices to int64; floats truncate
    rows = [flat[d * nnz : (d + 1) * nnz] for d in range(sparse_dims)] if nnz else []
    size = checks.sparse_size(sparse_dims, values.shape, size, list(map(min, rows)), list(map(max, rows)))
    target = dtype or values.dtype
    stored = PyTensor(cast(values.values(), values.dtype, target), values.shape, target)
    return PySparse(PyTensor(list(flat), indices.shape, "int64"), stored, tuple(size))
