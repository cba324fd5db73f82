"""The pure-Python backend's linear algebra: mm, bmm and det, summed and factored in torch's order."""

from __future__ import annotations

import math
import operator
from typing import Any

from tensorparity.backends.pymath import complex_products, largest_finite, lu_pivots, matmul_float32
from tensorparity.backends.pytensor import (
    COMPLEXES,
    FLOAT_MAX,
    ONE,
    ZERO,
    PyTensor,
    cast_number,
    finish,
    round_complex64,
    round_float32,
)
from tensorparity.backends.semantics import checks


def _matmul_checked(input: PyTensor, mat2: PyTensor, ndim: int, op: str) -> PyTensor:
    checks.check_matmul(op, ndim, input.shape, input.dtype, mat2.shape, mat2.dtype)
    *batch, n, k = input.shape
    m = mat2.shape[-1]
    left, right, zero = input.values(), mat2.values(), ZERO[input.dtype]
    # Sums in double are exact enough, unless a float32 product or partial sum could overflow.
    slow = input.dtype in ("float32", "bfloat16", "complex64") and (
        largest_finite(left) * largest_finite(right) * 2 * k >= FLOAT_MAX["float32"]
    )
    mul = operator.mul
    result: list = []
    for b in range(math.prod(batch)):
        rows = [left[(b * n + i) * k : (b * n + i + 1) * k] for i in range(n)]
        block = right[b * k * m : (b + 1) * k * m]
        columns = [block[j::m] for j in range(m)]
        if slow:
            result += matmul_float32(rows, columns, input.dtype)
        else:
            result += [sum(map(mul, row, column), zero) for row in rows for column in columns]
    return PyTensor(finish(result, input.dtype), (*batch, n, m), input.dtype)


def mm(input: PyTensor, mat2: PyTensor) -> PyTensor:
    result = _matmul_checked(input, mat2, 2, "mm")
    if result.dtype == "complex128":  # zgemm scales its sum by alpha = 1 + 0j: an infinite part makes a NaN
        result = PyTensor(
            complex_products(1 + 0j, result.data, result.numel, "complex128", fused=False), result.shape, "complex128"
        )
    return result


def bmm(input: PyTensor, mat2: PyTensor) -> PyTensor:
    return _matmul_checked(input, mat2, 3, "bmm")


def det(input: PyTensor) -> PyTensor:
    dtype = input.dtype
    checks.check_det(dtype, input.shape)
    n = input.shape[-1]
    values = input.values()
    rounding = {"float32": round_float32, "complex64": round_complex64}.get(dtype)
    # LAPACK's i?amax picks complex pivots by |re| + |im|.
    magnitude = (lambda z: abs(z.real) + abs(z.imag)) if dtype in COMPLEXES else abs
    batches = math.prod(input.shape[:-2])
    matrices = [values[b * n * n : (b + 1) * n * n] for b in range(batches)]
    if dtype not in COMPLEXES and input.is_contiguous():
        # torch factors A^T of a contiguous real A (LAPACK wants column-major; det(A^T) = det(A)),
        # which decides the pivots, and so where an inf or NaN spreads.
        matrices = [[x for i in range(n) for x in matrix[i::n]] for matrix in matrices]

    def product(a: Any, b: Any) -> Any:
        # torch's det is sign * prod(diagonal of LU), the product from 1 in the dtype's arithmetic
        if dtype in COMPLEXES:
            return complex_products([a], [b], 1, dtype)[0]
        return a * b if rounding is None else rounding([a * b])[0]

    dets = []
    for matrix in matrices:
        pivots, sign = lu_pivots(matrix, n, rounding, magnitude)
        total = ONE[dtype]
        for pivot in pivots:
            total = product(total, pivot)
        dets.append(product(cast_number(sign, dtype), total))
    return PyTensor(finish(dets, dtype), input.shape[:-2], dtype)
