"""Where the order of torch's CPU arithmetic shows, that order, written against any array module ``xp``.

Matrix products and determinants whose inputs hold inf, NaN or values near the
largest float come out as torch's kernels make them (which products are summed
first, which operations are fused, which pivots LAPACK takes), not as NumPy's
BLAS or its ``linalg.det`` would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# The width of torch's CPU vectors where a kernel's answer depends on which elements share one:
# 32 bytes, as measured with the x86 torch 2.13 wheel (on an AVX-512 machine, arange still works
# in 16 halves a vector). Another build or CPU may differ; the spec pins no such answer.
VECTOR_BYTES = 32


def matmul_in_order(xp: Any, input: Any, mat2: Any) -> Any:
    """out[i, j] = sum over k of input[i, k] * mat2[k, j], from zero in order of k (torch's kernel for
    small products); complex products by the textbook formula, each operation rounded (as BLAS does;
    NumPy's fused multiply-add gives -inf where BLAS gives NaN)."""
    shape = input.shape[:-1] + mat2.shape[-1:]
    if input.dtype.kind != "c":
        out = xp.zeros(shape, dtype=input.dtype)
        for k in range(input.shape[-1]):
            out = out + input[..., :, k : k + 1] * mat2[..., k : k + 1, :]
        return out
    real, imag = xp.zeros(shape, dtype=input.real.dtype), xp.zeros(shape, dtype=input.real.dtype)
    for k in range(input.shape[-1]):
        a, b = input[..., :, k : k + 1], mat2[..., k : k + 1, :]
        real = real + (a.real * b.real - a.imag * b.imag)  # (a + bi)(c + di) = (ac - bd) + (ad + bc)i
        imag = imag + (a.real * b.imag + a.imag * b.real)
    out = xp.empty(shape, dtype=input.dtype)
    out.real[...], out.imag[...] = real, imag
    return out


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def select_bits(xp: Any, condition: Any, left: Any, right: Any, shape: tuple[int, ...]) -> Any:
    """where(condition, left, right) for operands of one dtype, broadcast to ``shape``, as a branch-free
    bit select on the elements' bits viewed as unsigned ints: out = right ^ ((left ^ right) & mask), with
    mask all ones where the condition holds. The bits are copied, never computed on, so the result is
    np.where's exactly (NaN payloads and -0.0 included). None for a dtype with no unsigned int of its
    width (complex128).

    np.where branches per element; on a random condition the branch mispredicts half the time, and
    this runs ~10x faster at 10^6 elements.
    """
    unsigned = _UNSIGNED.get(left.dtype.itemsize)
    if unsigned is None:
        return None
    mask = xp.broadcast_to(condition, shape).astype(unsigned)  # 0 or 1 (a bool converts by truth)
    xp.negative(mask, out=mask)  # 0 or all ones: unsigned negation wraps
    right_bits = xp.broadcast_to(right, shape).view(unsigned)  # same width: a view of any layout
    out = xp.bitwise_xor(xp.broadcast_to(left, shape).view(unsigned), right_bits)
    out &= mask
    out ^= right_bits
    return out.view(left.dtype)


def det_by_lu(xp: Any, input: Any) -> Any:
    """torch's det: LU with partial pivoting (as LAPACK's getf2: the first largest |x|, a NaN never
    larger; a column divided by its pivot, left alone under a zero pivot), then the product of U's
    diagonal and the permutation's sign; batched over the leading dims.

    LAPACK reads memory column-major, and torch hands it a real row-major matrix as it is: for a
    C-contiguous real input it factors the transpose (the same determinant, but other NaNs and
    infinities). Complex inputs it factors as they are.
    """
    n = input.shape[-1]
    row_major = input.strides[-1] == input.itemsize and (n < 2 or input.strides[-2] == n * input.itemsize)
    row_major = row_major and input.dtype.kind != "c"
    a = input.reshape((-1,) + input.shape[-2:])
    a = (xp.swapaxes(a, -1, -2) if row_major else a).copy()
    batch = xp.arange(a.shape[0])
    sign = xp.ones(a.shape[0], dtype=a.dtype)
    tiny = float(np.finfo(a.dtype).tiny)  # LAPACK's sfmin: 1 / tiny does not overflow
    for k in range(n):
        column = a[:, k:, k]
        size = xp.abs(column.real) + xp.abs(column.imag) if column.dtype.kind == "c" else xp.abs(column)
        pivot = xp.argmax(xp.where(xp.isnan(size), -1.0, size), axis=-1) + k
        pivot = xp.where(xp.isnan(size[:, 0]), k, pivot)  # i?amax keeps a leading NaN
        rows = a[batch, pivot].copy()
        a[batch, pivot] = a[:, k]
        a[:, k] = rows
        sign = xp.where(pivot != k, -sign, sign)
        head = a[:, k, k][:, None]
        below = a[:, k + 1 :, k]
        with np.errstate(all="ignore"):
            scaled = below / head
            if a.dtype.kind == "c":  # a complex head too small to invert: |head|^2 underflows to 0
                naive = below * xp.conj(head) / (head.real * head.real + head.imag * head.imag)
                scaled = xp.where(xp.abs(head) >= tiny, scaled, naive)
            a[:, k + 1 :, k] = multipliers = xp.where(head != 0, scaled, below)
            a[:, k + 1 :, k + 1 :] -= multipliers[:, :, None] * a[:, k, None, k + 1 :]
    with np.errstate(all="ignore"):
        det = xp.prod(xp.diagonal(a, axis1=-2, axis2=-1), axis=-1) * sign
    return det.reshape(input.shape[:-2]).astype(input.dtype, copy=False)


def det_by_blocked_lu(xp: Any, input: Any, block: int = 64) -> Any:
    """det_by_lu for finite real matrices, as LAPACK's getrf computes it: right-looking blocked LU.

    Each panel of ``block`` columns is factored as in det_by_lu (the same pivots: the first largest
    |x|), its rows swapped across the whole matrix; then U12 = L11^-1 A12 by forward substitution and
    the trailing update A22 -= L21 U12 as one matrix product, which BLAS runs at full speed (det_by_lu
    makes n elementwise passes over the trailing matrix instead: about 5x slower at n = 1000). The
    sums round in another order than det_by_lu's, as getrf's do.

    None when a factor overflows to inf or NaN: det_by_lu's rules for those (NaN pivots, zero heads)
    are not followed here.
    """
    n = input.shape[-1]
    row_major = input.strides[-1] == input.itemsize and (n < 2 or input.strides[-2] == n * input.itemsize)
    a = input.reshape((-1,) + input.shape[-2:])
    a = (xp.swapaxes(a, -1, -2) if row_major else a).copy()  # the layout LAPACK factors, as det_by_lu
    batch = xp.arange(a.shape[0])
    sign = xp.ones(a.shape[0], dtype=a.dtype)
    with np.errstate(all="ignore"):
        for start in range(0, n, block):
            stop = min(start + block, n)
            for k in range(start, stop):  # the panel, column by column; updates stay inside it
                pivot = xp.argmax(xp.abs(a[:, k:, k]), axis=-1) + k
                swapped = pivot != k
                if bool(swapped.any()):
                    rows = a[batch, pivot].copy()
                    a[batch, pivot] = a[:, k]
                    a[:, k] = rows
                    sign = xp.where(swapped, -sign, sign)
                head = a[:, k, k][:, None]
                below = a[:, k + 1 :, k]
                a[:, k + 1 :, k] = multipliers = xp.where(head != 0, below / head, below)
                a[:, k + 1 :, k + 1 : stop] -= multipliers[:, :, None] * a[:, k, None, k + 1 : stop]
            if stop == n:
                break
            for row in range(start + 1, stop):  # U12 = L11^-1 A12 (L11 unit lower triangular)
                a[:, row, None, stop:] -= a[:, row, None, start:row] @ a[:, start:row, stop:]
            a[:, stop:, stop:] -= a[:, stop:, start:stop] @ a[:, start:stop, stop:]
        if not bool(xp.isfinite(a).all()):
            return None
        det = xp.prod(xp.diagonal(a, axis1=-2, axis2=-1), axis=-1) * sign
    return det.reshape(input.shape[:-2]).astype(input.dtype, copy=False)


def arange_half(xp: Any, start: float, step: float, size: int, dtype: Any) -> Any:
    """torch's arange in float16 or bfloat16: start + i * step in float32, but its vectorized loop (two
    vectors at a time, the rest element by element) starts each vector from ``start + i * step``
    rounded to the half dtype and adds j * step to that, so rounding error shows per vector."""
    width = VECTOR_BYTES // np.dtype(dtype).itemsize
    index = xp.arange(size, dtype=np.int64)
    first = (index // width) * width  # each element's vector's first index
    start, step = np.float32(start), np.float32(step)
    base = (start + step * first.astype(np.float32)).astype(dtype).astype(np.float32)
    vectorized = base + (index - first).astype(np.float32) * step
    elementwise = start + step * index.astype(np.float32)
    return xp.where(index < size // (2 * width) * (2 * width), vectorized, elementwise).astype(dtype)
