"""The pure-Python backend's elementwise ops: arithmetic, powers, exp, comparisons, where, masked_select.

Operands are promoted as torch promotes them (``semantics.promotion``), broadcast, and
computed value by value: exactly for integers (then wrapped to the dtype), in double
for floats (then rounded to the dtype), in torch's order where that order shows.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from itertools import compress, repeat
from typing import Any

from tensorparity.backends.pymath import (
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
    safe_map,
    safe_sqrt,
    trunc_int_div,
)
from tensorparity.backends.pytensor import (
    COMPLEXES,
    ONE,
    REDUCED,
    Operand,
    PyTensor,
    cast,
    cast_number,
    checked_number,
    finish,
    map2,
    number_dtype,
    round_float32,
    wrap_int,
)
from tensorparity.backends.semantics import checks, promotion
from tensorparity.backends.semantics.shapes import broadcast_shapes


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


def _result_type(*operands: Any) -> str:
    return promotion.result_type([(op.dtype, op.ndim) if isinstance(op, PyTensor) else op for op in operands])


def _operand(value: Any, dtype: str, shape: tuple[int, ...], count: int, checked: bool = False) -> Operand:
    """A tensor or number broadcast to ``shape`` and cast to ``dtype``; one value if it has one element."""
    if isinstance(value, PyTensor):
        if value.numel == 1 and count != 1:
            return cast([value.first()], value.dtype, dtype)[0]
        return cast(value.expanded(shape), value.dtype, dtype)
    return checked_number(value, dtype) if checked else cast_number(value, dtype)


def _binary(input: Any, other: Any, opmath_scalar: bool = False) -> tuple[Operand, Operand, str, tuple, int]:
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
    dtype = _result_type(input, other)
    shape = broadcast_shapes(input.shape, _shape_of(other))
    count = math.prod(shape)
    right_dtype = "float32" if opmath_scalar and dtype in REDUCED and _is_single(other) else dtype
    return _operand(input, dtype, shape, count), _operand(other, right_dtype, shape, count), dtype, shape, count


def add(input: Any, other: Any, *, alpha: Any = 1) -> PyTensor:
    return _add(input, other, alpha, operator.add)


def sub(input: Any, other: Any, *, alpha: Any = 1) -> PyTensor:
    checks.check_sub_operands(
        input.dtype if isinstance(input, PyTensor) else None,
        other.dtype if isinstance(other, PyTensor) else promotion.scalar_dtype(other),
    )
    return _add(input, other, alpha, operator.sub)


def _add(input: Any, other: Any, alpha: Any, combine: Callable) -> PyTensor:
    left, right, dtype, shape, count = _binary(input, other)
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


def mul(input: Any, other: Any) -> PyTensor:
    left, right, dtype, shape, count = _binary(input, other, opmath_scalar=True)
    if dtype in COMPLEXES:
        flat = all(_shape_of(operand) == shape or _is_single(operand) for operand in (input, other))
        return PyTensor(_complex_mul(left, right, dtype, count, flat), shape, dtype)
    function = operator.and_ if dtype == "bool" else operator.mul
    return PyTensor(finish(map2(function, left, right, count), dtype), shape, dtype)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> PyTensor:
    checks.check_rounding_mode(rounding_mode)
    dtype = _result_type(input, other) if isinstance(input, PyTensor) else None
    if rounding_mode is None:
        # True division of integers is float division in the default dtype.
        if dtype is not None and promotion.is_integral(dtype):
            input = PyTensor(cast(input.values(), input.dtype, "float32"), input.shape, "float32")
        left, right, dtype, shape, count = _binary(input, other, opmath_scalar=True)
        if dtype in COMPLEXES:
            single = dtype == "complex64"
            values = map2(lambda a, b: complex_div(a, b, single), left, right, count)
        else:
            values = safe_map(operator.truediv, float_div, left, right, count)
        return PyTensor(finish(values, dtype), shape, dtype)
    left, right, dtype, shape, count = _binary(input, other)
    checks.check_rounding_division(rounding_mode, dtype)
    if promotion.is_integral(dtype):
        checks.check_integer_division(
            rounding_mode,
            dtype,
            count > 0,
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


def pow(input: Any, exponent: Any) -> PyTensor:
    if not isinstance(input, PyTensor):
        if not (promotion.is_python_number(input) and isinstance(exponent, PyTensor)):
            raise TypeError("pow expects a tensor base or a tensor exponent")
        dtype = _result_type(input, exponent)
        if not isinstance(input, bool) and input == 1:  # torch short-circuits a (non-bool) base of 1
            return PyTensor([ONE[dtype]] * exponent.numel, exponent.shape, dtype)
        # torch wraps the number in a 0-d tensor of its exact type (double, int64 ...).
        return _pow_tensors(PyTensor([input], (), number_dtype(input)), exponent, dtype)
    if isinstance(exponent, PyTensor):
        return _pow_tensors(input, exponent, _result_type(input, exponent))
    if not promotion.is_python_number(exponent):
        raise TypeError(f"exponent must be a tensor or a number, got {type(exponent).__name__}")
    return _pow_scalar(input, exponent)


def _pow_tensors(base: PyTensor, exponent: PyTensor, dtype: str) -> PyTensor:
    checks.check_pow_dtype(dtype)
    shape = broadcast_shapes(base.shape, exponent.shape)
    count = math.prod(shape)
    left, right = _operand(base, dtype, shape, count), _operand(exponent, dtype, shape, count)
    if promotion.is_integral(dtype):
        values = map2(lambda a, b: int_pow(a, b, dtype), left, right, count)
    else:
        function = (lambda a, b: complex_pow(a, b, dtype == "complex64")) if dtype in COMPLEXES else float_pow
        values = map2(function, left, right, count)
    return PyTensor(finish(values, dtype), shape, dtype)


def _pow_scalar(base: PyTensor, exponent: Any) -> PyTensor:
    checks.check_integer_power(base.dtype, exponent)
    dtype = _result_type(base, exponent)
    values = cast(base.values(), base.dtype, dtype)
    if exponent == 0:  # torch fills ones, even for NaN
        return PyTensor([ONE[dtype]] * base.numel, base.shape, dtype)
    if exponent == 1:
        return PyTensor(values, base.shape, dtype)
    if promotion.is_integral(dtype):
        power = checked_number(exponent, dtype)
        return PyTensor([int_pow(v, power, dtype) for v in values], base.shape, dtype)
    return PyTensor(finish(_float_power(values, exponent, dtype), dtype), base.shape, dtype)


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


def exp(input: PyTensor) -> PyTensor:
    checks.check_tensor_argument("exp", "input", 1, input, isinstance(input, PyTensor))
    dtype = promotion.DEFAULT_FLOAT if promotion.is_integral(input.dtype) else input.dtype
    values = cast(input.values(), input.dtype, dtype)
    if dtype in COMPLEXES:
        return PyTensor(finish(list(map(complex_exp, values)), dtype), input.shape, dtype)
    try:
        results = list(map(math.exp, values))
    except OverflowError:
        results = list(map(float_exp, values))
    return PyTensor(finish(results, dtype), input.shape, dtype)


def _compare(input: Any, other: Any, compare: Callable) -> PyTensor:
    left, right, dtype, shape, count = _binary(input, other)
    checks.check_comparable(dtype)
    return PyTensor(map2(compare, left, right, count), shape, "bool")


def gt(input: Any, other: Any) -> PyTensor:
    return _compare(input, other, operator.gt)


def lt(input: Any, other: Any) -> PyTensor:
    return _compare(input, other, operator.lt)


def where(condition: PyTensor, input: Any, other: Any) -> PyTensor:
    checks.check_where_condition(condition.dtype if isinstance(condition, PyTensor) else None)
    for operand in (input, other):
        if not (isinstance(operand, PyTensor) or promotion.is_python_number(operand)):
            raise TypeError(f"where expected a tensor or a number, got {type(operand).__name__}")
    dtype = _result_type(input, other)
    shape = broadcast_shapes(condition.shape, _shape_of(input), _shape_of(other))
    count = math.prod(shape)
    chosen = _operand(input, dtype, shape, count, checked=True)
    otherwise = _operand(other, dtype, shape, count, checked=True)
    mask = condition.expanded(shape)
    chosen = chosen if isinstance(chosen, list) else repeat(chosen, count)
    otherwise = otherwise if isinstance(otherwise, list) else repeat(otherwise, count)
    return PyTensor([a if c else b for c, a, b in zip(mask, chosen, otherwise)], shape, dtype)


def masked_select(input: PyTensor, mask: PyTensor) -> PyTensor:
    checks.check_mask(mask.dtype if isinstance(mask, PyTensor) else type(mask).__name__)
    shape = broadcast_shapes(input.shape, mask.shape)
    values = list(compress(input.expanded(shape), mask.expanded(shape)))
    return PyTensor(values, (len(values),), input.dtype)
