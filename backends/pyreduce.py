"""The pure-Python backend's reductions and scans: cumprod, argmax, numel."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from tensorparity.backends.pymath import argmax_index, complex_products
from tensorparity.backends.pytensor import COMPLEXES, INT_RANGE, ONE, PyTensor, cast, finish, gather, round_float32, wrap_int
from tensorparity.backends.semantics import checks, promotion


def cumprod(input: PyTensor, dim: int, *, dtype: str | None = None) -> PyTensor:
    result_dtype = dtype or ("int64" if promotion.is_integral(input.dtype) else input.dtype)
    dim = checks.cumprod_dim(dim, input.shape, result_dtype)
    values = cast(input.values(), input.dtype, result_dtype)
    if input.ndim == 0 or not values:
        return PyTensor(values, input.shape, result_dtype)
    # torch accumulates in acc_type: int64 for integers, double for float32, float32 for float16/bfloat16.
    accumulate: Callable[[list], list] = {
        **dict.fromkeys(INT_RANGE, lambda acc: wrap_int(acc, "int64")),
        "float16": round_float32,
        "bfloat16": round_float32,
    }.get(result_dtype, lambda acc: acc)
    size, inner = input.shape[dim], math.prod(input.shape[dim + 1 :])
    result = list(values)
    for base in range(0, len(values), size * inner):
        # torch starts from 1 and multiplies every element in, the first one too (1 * (x + inf j) has a NaN).
        running = [ONE[result_dtype]] * inner
        for k in range(size):
            start = base + k * inner
            row = values[start : start + inner]
            # complex accumulates in complex<double>, whatever the dtype
            products = (
                complex_products(running, row, inner, "complex128")
                if result_dtype in COMPLEXES
                else list(map(operator.mul, running, row))
            )
            running = accumulate(products)
            result[start : start + inner] = running
    return PyTensor(finish(result, result_dtype), input.shape, result_dtype)


def argmax(input: PyTensor, dim: int | None = None, keepdim: bool = False) -> PyTensor:
    dim = checks.argmax_dim(input.dtype, input.shape, dim)
    if dim is None:
        return PyTensor([argmax_index(input.values())], (1,) * input.ndim if keepdim else (), "int64")
    if input.ndim == 0:
        return PyTensor([0], (), "int64")
    # Read the reduced dim last, so each run of shape[dim] values is one reduction.
    order = [d for d in range(input.ndim) if d != dim] + [dim]
    values = gather(input.data, [input.shape[d] for d in order], [input.strides[d] for d in order], input.offset)
    size = input.shape[dim]
    indices = [argmax_index(values[i : i + size]) for i in range(0, len(values), size)]
    shape = list(input.shape)
    if keepdim:
        shape[dim] = 1
    else:
        del shape[dim]
    return PyTensor(indices, shape, "int64")


def numel(input: PyTensor) -> int:
    if not isinstance(input, PyTensor):
        raise TypeError(f"numel(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.numel
