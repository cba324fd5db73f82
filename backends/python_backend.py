"""The pure-Python backend: torch's ops on ``PyTensor``, computed with the standard library only.

Every op validates as torch does (raising where torch raises), takes its result
dtype from ``backends.promotion`` and its shape rules from ``backends.shapes``,
then computes exactly (integers, then wrapped) or in double precision (floats,
then rounded to the dtype through ``array``/``struct``), so a float32 sum is the
correctly rounded float32 sum, as torch's is. NumPy appears only in the two
conversion methods, which translate the harness's neutral values.
"""

from __future__ import annotations

import math
import operator
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from typing import Any

from tensorparity.backends.base import Backend, UnsupportedDtype
from tensorparity.backends.neutral import STORAGE, NeutralSparse, NeutralTensor
from tensorparity.backends.pymath import (
    argmax_index,
    complex_div,
    complex_exp,
    complex_pow,
    complex_products,
    complex_sqrt,
    float_div,
    float_exp,
    float_floor_div,
    float_pow,
    float_trunc_div,
    fused_multiply_add,
    int_pow,
    largest_finite,
    lu_pivots,
    matmul_float32,
    pad_source,
    safe_map,
    safe_sqrt,
    trunc_int_div,
)
from tensorparity.backends.pytensor import (
    COMPLEXES,
    FLOAT_MAX,
    INT_RANGE,
    ONE,
    PAD,
    REDUCED,
    SUPPORTED,
    ZERO,
    Operand,
    PyTensor,
    cast,
    cast_number,
    checked_number,
    contiguous_strides,
    element_offsets,
    finish,
    gather,
    map2,
    number_dtype,
    round_complex64,
    round_float32,
    take,
    wrap_int,
)
from tensorparity.backends.semantics import checks, promotion
from tensorparity.backends.semantics.shapes import (
    broadcast_shapes,
    normalize_dim,
    pad_pairs,
    repeat_sizes,
    view_strides,
    vsplit_bounds,
)


@dataclass(frozen=True)
class PySparse:
    """A sparse COO tensor: int64 indices (sparse_dim x nnz), values, size. Kept uncoalesced, as torch's."""

    indices: PyTensor
    values: PyTensor
    size: tuple[int, ...]


def _shape_of(value: Any) -> tuple[int, ...]:
    return value.shape if isinstance(value, PyTensor) else ()


def _is_single(value: Any) -> bool:
    return not isinstance(value, PyTensor) or value.numel == 1


def _complex_mul(left: Operand, right: Operand, dtype: str, count: int, flat: bool = True) -> list:
    """Elementwise complex products, as torch's CPU loop computes them: its vectorized kernel
    rounds every partial product (no FMA), while complex128 elements left to its scalar code
    (past the last full pair of 512-bit vectors, or all of a broadcast loop) are fused.
    ``flat``: the operands are same-shape or single values, so the loop is one vectorized run."""
    if dtype == "complex64":
        return complex_products(left, right, count, dtype, fused=False)
    vectorized = count - count % 8 if flat else 0
    if vectorized == count:
        return complex_products(left, right, count, dtype, fused=False)
    left = left if isinstance(left, list) else [left] * count
    right = right if isinstance(right, list) else [right] * count
    head = complex_products(left[:vectorized], right[:vectorized], vectorized, dtype, fused=False)
    return head + complex_products(left[vectorized:], right[vectorized:], count - vectorized, dtype, fused=True)


class PythonBackend(Backend):
    """torch's ops over flat Python lists: every op id, torch's dtypes (but complex32 and quantized) and errors."""

    name = "python"

    def version(self) -> str:
        return f"CPython {platform.python_version()}"

    # --- conversion: the only place NumPy is touched ---------------------------
    def tensor_from_neutral(self, tensor: NeutralTensor) -> PyTensor:
        if tensor.dtype not in SUPPORTED:
            raise UnsupportedDtype(self.name, tensor.dtype)
        array = tensor.array
        # bfloat16's NumPy scalars are not Python floats; float32 holds every bfloat16 exactly.
        flat = (array.astype("float32") if tensor.dtype == "bfloat16" else array).ravel().tolist()
        shape, itemsize = tuple(array.shape), array.itemsize
        if array.flags.c_contiguous or array.size == 0 or any(s < 0 or s % itemsize for s in array.strides):
            return PyTensor(flat, shape, tensor.dtype)
        # A transposed or strided input keeps its layout, so view() refuses where torch refuses.
        strides = tuple(s // itemsize for s in array.strides)
        storage = [ZERO[tensor.dtype]] * (1 + sum((n - 1) * s for n, s in zip(shape, strides)))
        for position, value in zip(element_offsets(shape, strides), flat):
            storage[position] = value
        return PyTensor(storage, shape, tensor.dtype, strides)

    def tensor_to_neutral(self, native: Any) -> NeutralTensor | NeutralSparse | None:
        if isinstance(native, PySparse):
            return NeutralSparse(self.tensor_to_neutral(native.indices), self.tensor_to_neutral(native.values), native.size)
        if not isinstance(native, PyTensor):
            return None
        import numpy as np

        if native.dtype == "bfloat16":
            array = np.array(native.values(), dtype=np.float32).astype(STORAGE["bfloat16"])
        else:
            array = np.array(native.values(), dtype=STORAGE[native.dtype])
        return NeutralTensor(array.reshape(native.shape), native.dtype)

    # --- autodiff helpers, natively (the base class would go through NumPy) ----
    def shape_of(self, tensor: PyTensor) -> tuple[int, ...]:
        return tensor.shape

    def ones_like(self, tensor: PyTensor) -> PyTensor:
        return PyTensor([ONE[tensor.dtype]] * tensor.numel, tensor.shape, tensor.dtype)

    def cast_like(self, tensor: PyTensor, reference: PyTensor) -> PyTensor:
        if tensor.dtype == reference.dtype:
            return tensor
        return PyTensor(cast(tensor.values(), tensor.dtype, reference.dtype), tensor.shape, reference.dtype)

    def sum_to_shape(self, tensor: PyTensor, shape: tuple[int, ...]) -> PyTensor:
        shape = tuple(shape)
        if tensor.shape == shape:
            return tensor
        extra = tensor.ndim - len(shape)
        # Each element adds into the output element it broadcast from: stride 0 along summed dims.
        target = contiguous_strides(shape)
        strides = [0] * extra + [0 if size == 1 else stride for size, stride in zip(shape, target)]
        totals = [ZERO[tensor.dtype]] * math.prod(shape)
        for position, value in zip(element_offsets(tensor.shape, strides), tensor.values()):
            totals[position] += value
        return PyTensor(finish(totals, tensor.dtype), shape, tensor.dtype)

    # --- helpers ------------------------------------------------------------------
    def _dtype_argument(self, name: str | None) -> str | None:
        if name is None or name in SUPPORTED:
            return name
        if name in STORAGE:
            raise UnsupportedDtype(self.name, name)
        raise TypeError(f"unknown dtype {name!r}")

    @staticmethod
    def _result_type(*operands: Any) -> str:
        return promotion.result_type([(op.dtype, op.ndim) if isinstance(op, PyTensor) else op for op in operands])

    @staticmethod
    def _operand(value: Any, dtype: str, shape: tuple[int, ...], count: int, checked: bool = False) -> Operand:
        """A tensor or number broadcast to ``shape`` and cast to ``dtype``; one value if it has one element."""
        if isinstance(value, PyTensor):
            if value.numel == 1 and count != 1:
                return cast([value.first()], value.dtype, dtype)[0]
            return cast(value.expanded(shape), value.dtype, dtype)
        return checked_number(value, dtype) if checked else cast_number(value, dtype)

    def _binary(self, input: Any, other: Any, opmath_scalar: bool = False) -> tuple[Operand, Operand, str, tuple, int]:
        """Both operands of an elementwise op, promoted and broadcast: (left, right, dtype, shape, count).

        ``opmath_scalar``: torch's mul and div read a single-element second operand of a
        float16/bfloat16 op in float32, unrounded to the narrow dtype (its ``opmath``).
        """
        checks.check_binary_operands(
            isinstance(input, PyTensor),
            type(input),
            isinstance(other, PyTensor) or promotion.is_python_number(other),
            type(other),
        )
        dtype = self._result_type(input, other)
        shape = broadcast_shapes(input.shape, _shape_of(other))
        count = math.prod(shape)
        right_dtype = "float32" if opmath_scalar and dtype in REDUCED and _is_single(other) else dtype
        return self._operand(input, dtype, shape, count), self._operand(other, right_dtype, shape, count), dtype, shape, count

    # --- elementwise arithmetic -------------------------------------------------
    def add(self, input: Any, other: Any, *, alpha: Any = 1) -> PyTensor:
        return self._add(input, other, alpha, operator.add)

    def sub(self, input: Any, other: Any, *, alpha: Any = 1) -> PyTensor:
        checks.check_sub_operands(
            input.dtype if isinstance(input, PyTensor) else None,
            other.dtype if isinstance(other, PyTensor) else promotion.scalar_dtype(other),
        )
        return self._add(input, other, alpha, operator.sub)

    def _add(self, input: Any, other: Any, alpha: Any, combine: Callable) -> PyTensor:
        left, right, dtype, shape, count = self._binary(input, other)
        promotion.check_alpha(alpha, dtype)
        if dtype == "bool":
            return PyTensor(map2(operator.or_, left, right if alpha else False, count), shape, dtype)
        if dtype in COMPLEXES:
            # torch computes self + alpha * other (sub: -alpha), even for alpha 1: (1 + 0j) * (inf + xj) has a NaN part.
            scale = checked_number(alpha if combine is operator.add else -alpha, dtype)
            right, combine = _complex_mul(scale, right, dtype, count), operator.add
        elif alpha != 1:
            scale = checked_number(alpha, dtype)
            if dtype == "float64":  # torch fuses a + alpha * b (FMA): alpha * b may overflow alone
                sign = 1.0 if combine is operator.add else -1.0
                values = map2(lambda a, b: fused_multiply_add(sign * scale, b, a), left, right, count)
                return PyTensor(values, shape, dtype)
            right = [scale * v for v in right] if isinstance(right, list) else scale * right
            if dtype in REDUCED:  # torch rounds alpha * other to the narrow dtype before adding
                right = finish(right, dtype) if isinstance(right, list) else finish([right], dtype)[0]
        return PyTensor(finish(map2(combine, left, right, count), dtype), shape, dtype)

    def mul(self, input: Any, other: Any) -> PyTensor:
        left, right, dtype, shape, count = self._binary(input, other, opmath_scalar=True)
        if dtype in COMPLEXES:
            flat = all(_shape_of(operand) == shape or _is_single(operand) for operand in (input, other))
            return PyTensor(_complex_mul(left, right, dtype, count, flat), shape, dtype)
        function = operator.and_ if dtype == "bool" else operator.mul
        return PyTensor(finish(map2(function, left, right, count), dtype), shape, dtype)

    def div(self, input: Any, other: Any, *, rounding_mode: str | None = None) -> PyTensor:
        checks.check_rounding_mode(rounding_mode)
        dtype = self._result_type(input, other) if isinstance(input, PyTensor) else None
        if rounding_mode is None:
            # True division of integers is float division in the default dtype.
            if dtype is not None and promotion.is_integral(dtype):
                input = PyTensor(cast(input.values(), input.dtype, "float32"), input.shape, "float32")
            left, right, dtype, shape, count = self._binary(input, other, opmath_scalar=True)
            if dtype in COMPLEXES:
                single = dtype == "complex64"
                values = map2(lambda a, b: complex_div(a, b, single), left, right, count)
            else:
                values = safe_map(operator.truediv, float_div, left, right, count)
            return PyTensor(finish(values, dtype), shape, dtype)
        left, right, dtype, shape, count = self._binary(input, other)
        checks.check_rounding_division(rounding_mode, dtype)
        if promotion.is_integral(dtype):
            checks.check_integer_division(
                rounding_mode,
                dtype,
                count,
                0 in (right if isinstance(right, list) else [right]),
                lambda low: any(map2(lambda a, b: a == low and b == -1, left, right, count)),
            )
            function = operator.floordiv if rounding_mode == "floor" else trunc_int_div
            return PyTensor(wrap_int(map2(function, left, right, count), dtype), shape, dtype)
        if rounding_mode == "floor":
            return PyTensor(finish(map2(float_floor_div, left, right, count), dtype), shape, dtype)
        # trunc(a / b) with the quotient in torch's compute precision (float32 below float64).
        quotients = safe_map(operator.truediv, float_div, left, right, count)
        if dtype != "float64":
            quotients = round_float32(quotients)
        return PyTensor(finish([float_trunc_div(q, 1.0) for q in quotients], dtype), shape, dtype)

    def pow(self, input: Any, exponent: Any) -> PyTensor:
        if not isinstance(input, PyTensor):
            if not (promotion.is_python_number(input) and isinstance(exponent, PyTensor)):
                raise TypeError("pow expects a tensor base or a tensor exponent")
            dtype = self._result_type(input, exponent)
            if not isinstance(input, bool) and input == 1:  # torch short-circuits a (non-bool) base of 1
                return PyTensor([ONE[dtype]] * exponent.numel, exponent.shape, dtype)
            # torch wraps the number in a 0-d tensor of its exact type (double, int64 ...).
            return self._pow_tensors(PyTensor([input], (), number_dtype(input)), exponent, dtype)
        if isinstance(exponent, PyTensor):
            return self._pow_tensors(input, exponent, self._result_type(input, exponent))
        if not promotion.is_python_number(exponent):
            raise TypeError(f"exponent must be a tensor or a number, got {type(exponent).__name__}")
        return self._pow_scalar(input, exponent)

    def _pow_tensors(self, base: PyTensor, exponent: PyTensor, dtype: str) -> PyTensor:
        checks.check_pow_dtype(dtype)
        shape = broadcast_shapes(base.shape, exponent.shape)
        count = math.prod(shape)
        left, right = self._operand(base, dtype, shape, count), self._operand(exponent, dtype, shape, count)
        if promotion.is_integral(dtype):
            values = map2(lambda a, b: int_pow(a, b, dtype), left, right, count)
        else:
            function = (lambda a, b: complex_pow(a, b, dtype == "complex64")) if dtype in COMPLEXES else float_pow
            values = map2(function, left, right, count)
        return PyTensor(finish(values, dtype), shape, dtype)

    def _pow_scalar(self, base: PyTensor, exponent: Any) -> PyTensor:
        checks.check_integer_power(base.dtype, exponent)
        dtype = self._result_type(base, exponent)
        values = cast(base.values(), base.dtype, dtype)
        if exponent == 0:  # torch fills ones, even for NaN
            return PyTensor([ONE[dtype]] * base.numel, base.shape, dtype)
        if exponent == 1:
            return PyTensor(values, base.shape, dtype)
        if promotion.is_integral(dtype):
            power = checked_number(exponent, dtype)
            return PyTensor([int_pow(v, power, dtype) for v in values], base.shape, dtype)
        return PyTensor(finish(self._float_power(values, exponent, dtype), dtype), base.shape, dtype)

    @staticmethod
    def _float_power(values: list, exponent: Any, dtype: str) -> list:
        """torch's pow_tensor_scalar kernels: sqrt, rsqrt and reciprocal for ±0.5 and -1 (not
        float16), repeated products for 2, 3 and -2, and std::pow otherwise."""
        is_complex = dtype in COMPLEXES
        if dtype != "float16" and exponent in (0.5, -0.5, -1):
            if exponent == -1:
                return [float_div(1.0, v) if not is_complex else complex_div(1 + 0j, v, dtype == "complex64") for v in values]
            roots = list(map(complex_sqrt if is_complex else safe_sqrt, values))
            if exponent == 0.5:
                return roots
            return [complex_div(1 + 0j, r, dtype == "complex64") if is_complex else float_div(1.0, r) for r in roots]
        if dtype != "float16" and exponent in (2, 3, -2):
            count = len(values)
            squares = _complex_mul(values, values, dtype, count) if is_complex else [v * v for v in values]
            if exponent == 2:
                return squares
            squares = finish(squares, dtype)  # products round at each step in the dtype, as torch's kernels
            if exponent == 3:
                return _complex_mul(squares, values, dtype, count) if is_complex else [s * v for s, v in zip(squares, values)]
            return [complex_div(1 + 0j, s, dtype == "complex64") if is_complex else float_div(1.0, s) for s in squares]
        if is_complex:
            power = complex(exponent)
            return [complex_pow(v, power, dtype == "complex64") for v in values]
        # float16 and bfloat16 take the exponent in their own dtype; float32 and float64 as a double.
        power = (
            checked_number(exponent, dtype)
            if dtype in REDUCED
            else float(exponent.real if isinstance(exponent, complex) else exponent)
        )
        return [float_pow(v, power) for v in values]

    def exp(self, input: PyTensor) -> PyTensor:
        dtype = promotion.DEFAULT_FLOAT if promotion.is_integral(input.dtype) else input.dtype
        values = cast(input.values(), input.dtype, dtype)
        if dtype in COMPLEXES:
            return PyTensor(finish(list(map(complex_exp, values)), dtype), input.shape, dtype)
        try:
            results = list(map(math.exp, values))
        except OverflowError:
            results = list(map(float_exp, values))
        return PyTensor(finish(results, dtype), input.shape, dtype)

    def _compare(self, input: Any, other: Any, compare: Callable) -> PyTensor:
        left, right, dtype, shape, count = self._binary(input, other)
        checks.check_comparable(dtype)
        return PyTensor(map2(compare, left, right, count), shape, "bool")

    def gt(self, input: Any, other: Any) -> PyTensor:
        return self._compare(input, other, operator.gt)

    def lt(self, input: Any, other: Any) -> PyTensor:
        return self._compare(input, other, operator.lt)

    def where(self, condition: PyTensor, input: Any, other: Any) -> PyTensor:
        checks.check_where_condition(condition.dtype if isinstance(condition, PyTensor) else None)
        for operand in (input, other):
            if not (isinstance(operand, PyTensor) or promotion.is_python_number(operand)):
                raise TypeError(f"where expected a tensor or a number, got {type(operand).__name__}")
        dtype = self._result_type(input, other)
        shape = broadcast_shapes(condition.shape, _shape_of(input), _shape_of(other))
        count = math.prod(shape)
        chosen = self._operand(input, dtype, shape, count, checked=True)
        otherwise = self._operand(other, dtype, shape, count, checked=True)
        mask = condition.expanded(shape)
        chosen = chosen if isinstance(chosen, list) else repeat(chosen, count)
        otherwise = otherwise if isinstance(otherwise, list) else repeat(otherwise, count)
        return PyTensor([a if c else b for c, a, b in zip(mask, chosen, otherwise)], shape, dtype)

    def masked_select(self, input: PyTensor, mask: PyTensor) -> PyTensor:
        checks.check_mask(mask.dtype if isinstance(mask, PyTensor) else type(mask).__name__)
        shape = broadcast_shapes(input.shape, mask.shape)
        values = list(compress(input.expanded(shape), mask.expanded(shape)))
        return PyTensor(values, (len(values),), input.dtype)

    # --- linear algebra ------------------------------------------------------------
    def _matmul_checked(self, input: PyTensor, mat2: PyTensor, ndim: int, op: str) -> PyTensor:
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

    def mm(self, input: PyTensor, mat2: PyTensor) -> PyTensor:
        result = self._matmul_checked(input, mat2, 2, "mm")
        if result.dtype == "complex128":  # zgemm scales its sum by alpha = 1 + 0j: an infinite part makes a NaN
            result = PyTensor(
                complex_products(1 + 0j, result.data, result.numel, "complex128", fused=False), result.shape, "complex128"
            )
        return result

    def bmm(self, input: PyTensor, mat2: PyTensor) -> PyTensor:
        return self._matmul_checked(input, mat2, 3, "bmm")

    def det(self, input: PyTensor) -> PyTensor:
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

    # --- shape and layout: views share storage --------------------------------------
    def transpose(self, input: PyTensor, dim0: int, dim1: int) -> PyTensor:
        first, second = normalize_dim(dim0, input.ndim), normalize_dim(dim1, input.ndim)
        if input.ndim == 0:
            return input.restrided((), ())
        shape, strides = list(input.shape), list(input.strides)
        shape[first], shape[second] = shape[second], shape[first]
        strides[first], strides[second] = strides[second], strides[first]
        return input.restrided(shape, strides)

    def permute(self, input: PyTensor, dims: Any) -> PyTensor:
        order = checks.permute_dims(dims, input.ndim)
        return input.restrided([input.shape[d] for d in order], [input.strides[d] for d in order])

    def view(self, input: PyTensor, *shape: Any) -> PyTensor:
        shape = checks.view_shape(shape, input.numel)
        return input.restrided(shape, checks.checked_view_strides(input.shape, input.strides, shape))

    def reshape(self, input: PyTensor, shape: Any) -> PyTensor:
        shape = checks.reshape_shape(shape, input.numel)
        strides = view_strides(input.shape, input.strides, shape)
        if strides is None:  # no view exists: copy, as torch does
            return PyTensor(input.values(), shape, input.dtype)
        return input.restrided(shape, strides)

    def cat(self, tensors: Sequence[PyTensor], dim: int = 0) -> PyTensor:
        tensors = list(tensors)
        if not all(isinstance(t, PyTensor) for t in tensors):
            raise TypeError("torch.cat(): expected a sequence of Tensors")
        positions, dim = checks.cat_layout([t.shape for t in tensors], dim)
        dtype = promotion.result_type([(t.dtype, 1) for t in tensors])
        if not positions:  # nothing but legacy empties of shape (0,)
            return PyTensor([], (0,), dtype)
        kept = [tensors[position] for position in positions]
        outer = math.prod(kept[0].shape[:dim])
        pieces = [(cast(t.values(), t.dtype, dtype), math.prod(t.shape[dim:])) for t in kept]
        result: list = []
        for o in range(outer):
            for values, chunk in pieces:
                result += values[o * chunk : (o + 1) * chunk]
        shape = list(kept[0].shape)
        shape[dim] = sum(t.shape[dim] for t in kept)
        return PyTensor(result, shape, dtype)

    def vsplit(self, input: PyTensor, indices_or_sections: Any) -> tuple[PyTensor, ...]:
        return tuple(
            input.restrided((stop - start, *input.shape[1:]), input.strides, input.offset + start * input.strides[0])
            for start, stop in vsplit_bounds(input.shape, indices_or_sections)
        )

    def repeat(self, input: PyTensor, *sizes: Any) -> PyTensor:
        sizes = repeat_sizes(sizes, input.ndim)
        lead = len(sizes) - input.ndim
        shape, strides = (1,) * lead + input.shape, (0,) * lead + input.strides
        per_dim = [[(k % n) * s for k in range(n * r)] for n, s, r in zip(shape, strides, sizes)]
        return PyTensor(take(input.data, input.offset, per_dim), [n * r for n, r in zip(shape, sizes)], input.dtype)

    def pad(self, input: PyTensor, pad: Any, mode: str = "constant", value: Any = None) -> PyTensor:
        pairs = pad_pairs(pad, input.ndim)
        if mode == "constant":
            shape = checks.pad_constant_shape(input.shape, pairs)
            # F.pad takes the value as a float, so -3 does not wrap into uint8: it overflows.
            value = 0.0 if value is None else value if isinstance(value, complex) else float(value)
            fill = checked_number(value, input.dtype, one_element=math.prod(shape) == 1)
            per_dim = [
                [(j - before) * stride if 0 <= j - before < size else PAD for j in range(out)]
                for size, stride, (before, _), out in zip(input.shape, input.strides, pairs, shape)
            ]
            return PyTensor(take(input.data, input.offset, per_dim, fill), shape, input.dtype)
        shape = checks.pad_mode_shape(mode, value, len(pad), input.shape, input.dtype, pairs)
        per_dim = [
            [pad_source(mode, j, size, before, after) * stride for j in range(out)]
            for size, stride, (before, after), out in zip(input.shape, input.strides, pairs, shape)
        ]
        # (torch leaves uninitialized memory where a circular pad wraps around nothing; zeros here)
        return PyTensor(take(input.data, input.offset, per_dim, ZERO[input.dtype]), shape, input.dtype)

    # --- reductions and scans ----------------------------------------------------------
    def cumprod(self, input: PyTensor, dim: int, *, dtype: str | None = None) -> PyTensor:
        result_dtype = self._dtype_argument(dtype) or ("int64" if promotion.is_integral(input.dtype) else input.dtype)
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

    def argmax(self, input: PyTensor, dim: int | None = None, keepdim: bool = False) -> PyTensor:
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

    def numel(self, input: PyTensor) -> int:
        if not isinstance(input, PyTensor):
            raise TypeError(f"numel(): argument 'input' must be Tensor, not {type(input).__name__}")
        return input.numel

    # --- factories ------------------------------------------------------------------
    def arange(self, start: Any, end: Any = None, step: Any = 1, *, dtype: str | None = None) -> PyTensor:
        if end is None:
            start, end = 0, start
        if not all(promotion.is_python_number(v) and not isinstance(v, complex) for v in (start, end, step)):
            raise TypeError("arange expects real numbers")
        dtype = self._dtype_argument(dtype) or (
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

    def full(self, size: Any, fill_value: Any, *, dtype: str | None = None) -> PyTensor:
        if not promotion.is_python_number(fill_value):
            raise TypeError(f"fill_value must be a number, got {type(fill_value).__name__}")
        dtype = self._dtype_argument(dtype) or promotion.scalar_dtype(fill_value)
        shape = checks.full_shape(size)
        count = math.prod(shape)
        fill = checked_number(fill_value, dtype, one_element=count == 1)
        return PyTensor([fill] * count, shape, dtype)

    def sparse_coo_tensor(self, indices: PyTensor, values: PyTensor, size: Any = None, *, dtype: str | None = None) -> PySparse:
        dtype = self._dtype_argument(dtype)
        checks.check_sparse_indices(indices.shape, values.shape)
        sparse_dims, nnz = indices.shape
        flat = cast(indices.values(), indices.dtype, "int64")  # torch casts any indices to int64; floats truncate
        rows = [flat[d * nnz : (d + 1) * nnz] for d in range(sparse_dims)] if nnz else []
        size = checks.sparse_size(sparse_dims, values.shape, size, list(map(min, rows)), list(map(max, rows)))
        target = dtype or values.dtype
        stored = PyTensor(cast(values.values(), values.dtype, target), values.shape, target)
        return PySparse(PyTensor(list(flat), indices.shape, "int64"), stored, tuple(size))
