"""The array module backend's elementwise ops: arithmetic, powers, exp, comparisons, where, masked_select."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from tensorparity.backends import exotic, kernels
from tensorparity.backends.array_base import HALF, ArrayModuleBase
from tensorparity.backends.semantics import checks, promotion
from tensorparity.backends.semantics.shapes import broadcast_shapes

# Where torch's pow(x, 2) is x * x rounded once in the dtype itself, as xp.square is.
_SQUARE = frozenset({"float32", "float64", "uint8", "int8", "int16", "int32", "int64"})


class ElementwiseOps(ArrayModuleBase):
    """Elementwise ops in torch's promoted dtype, in float32 for float16/bfloat16 where torch computes so."""

    @exotic.lifted
    def add(self, input: Any, other: Any, *, alpha: Any = 1) -> Any:
        left, right, dtype = self._binary_operands(input, other)
        promotion.check_alpha(alpha, dtype)
        if dtype == "bool":
            return left | (right & bool(alpha))
        return self._plus_scaled(self.xp.add, left, right, alpha, dtype)

    def _plus_scaled(self, ufunc: Any, left: Any, right: Any, alpha: Any, dtype: str) -> Any:
        """left + alpha * right (``ufunc`` add or subtract) as torch's add and sub kernels compute it."""
        if promotion.is_complex(dtype):
            # always multiplied, so (1 + 0i) * (-inf + 0i) = -inf + NaN i
            scaled = right * self._as(alpha, dtype)
            return ufunc(left, exotic.round_product(scaled))
        if alpha == 1:
            return ufunc(left, right, dtype=self._dtype(dtype))
        if dtype in ("float32", "float64"):
            # one fused multiply-add: alpha * right is not rounded (nor overflows) on its own
            wide = np.float64 if dtype == "float32" else getattr(self.xp, "longdouble", np.float64)
            fused = ufunc(left.astype(wide), self._as(alpha, dtype).astype(wide) * right.astype(wide))
            return fused.astype(self._dtype(dtype))
        return ufunc(left, right * self._as(alpha, dtype), dtype=self._dtype(dtype))  # integers wrap; halves round twice

    @exotic.lifted
    def sub(self, input: Any, other: Any, *, alpha: Any = 1) -> Any:
        checks.check_sub_operands(
            self._name(input) if self._is_tensor(input) else None,
            self._name(other) if self._is_tensor(other) else promotion.scalar_dtype(other),
        )
        left, right, dtype = self._binary_operands(input, other)
        promotion.check_alpha(alpha, dtype)
        return self._plus_scaled(self.xp.subtract, left, right, alpha, dtype)

    @exotic.lifted
    def mul(self, input: Any, other: Any) -> Any:
        left, right, dtype = self._binary_operands(input, other)
        if dtype == "bool":
            return left & right
        if dtype in HALF and math.prod(self.xp.shape(other)) == 1:
            return self._half_by_scalar(self.xp.multiply, left, other, dtype)
        return self.xp.multiply(left, right, dtype=self._dtype(dtype))

    def _half_by_scalar(self, ufunc: Any, left: Any, other: Any, dtype: str) -> Any:
        """torch's float16/bfloat16 mul and div by a one-element ``other``: computed in float32 with
        ``other``'s own value, not ``other`` rounded to the half dtype first."""
        scalar = self.xp.asarray(other).astype(np.float32)
        return ufunc(left.astype(np.float32), scalar).astype(self._dtype(dtype))

    @exotic.lifted
    def div(self, input: Any, other: Any, *, rounding_mode: str | None = None) -> Any:
        left, right, dtype = self._binary_operands(input, other)
        if rounding_mode is None:
            if promotion.is_integral(dtype):  # integers divide as floats: each operand cast from its own value
                dtype = promotion.DEFAULT_FLOAT
                left, right = self._as(input, dtype), self._as(other, dtype)
            if dtype in HALF and math.prod(self.xp.shape(other)) == 1:
                return self._half_by_scalar(self.xp.true_divide, left, other, dtype)
            return self.xp.true_divide(left, right, dtype=self._dtype(dtype))
        checks.check_rounding_mode(rounding_mode)
        checks.check_rounding_division(rounding_mode, dtype)
        if promotion.is_integral(dtype):
            checks.check_integer_division(
                rounding_mode,
                dtype,
                bool(left.size and right.size),  # operands of broadcastable shapes: the quotients' shape has elements
                bool((right == 0).any()),
                lambda low: bool(((left == low) & (right == -1)).any()),
            )
            quotient = self.xp.floor_divide(left, right)
            if rounding_mode == "trunc":
                inexact = (left % right != 0) & ((left < 0) != (right < 0))
                quotient = quotient + inexact.astype(quotient.dtype)
            return quotient
        if dtype in HALF and math.prod(self.xp.shape(other)) == 1:  # in float32, by the divisor's own value
            left, right = left.astype(np.float32), self.xp.asarray(other).astype(np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            if rounding_mode == "trunc":
                return self.xp.trunc(self.xp.true_divide(left, right)).astype(self._dtype(dtype))
            return self.xp.floor_divide(left, right).astype(self._dtype(dtype))

    @exotic.lifted
    def pow(self, input: Any, exponent: Any) -> Any:
        if self._is_tensor(input) and promotion.is_python_number(exponent):
            # torch.pow(Tensor, Number): an integral (or bool) tensor to a negative int raises;
            # x ** 0 (or False) fills ones and x ** 1 (or True) copies x, in the promoted dtype.
            dtype = self._result_type(input, exponent)
            checks.check_integer_power(self._name(input), exponent)
            if exponent == 0:
                return self.xp.ones(input.shape, dtype=self._dtype(dtype))
            if exponent == 1:
                return self._as(input, dtype).copy()
            if type(exponent) is int and exponent == 2 and dtype in _SQUARE:  # not True: bool takes the general path
                # torch squares as x * x; np.power with a 0-d exponent takes the general pow loop (~3x slower).
                exotic.reach_kernel()
                return self.xp.square(self._as(input, dtype))
            return self._power(*self._binary_operands(input, exponent))
        if promotion.is_python_number(input) and self._is_tensor(exponent):
            # torch.pow(Number, Tensor): a non-bool base equal to 1 fills ones, else Tensor ** Tensor.
            dtype = self._result_type(input, exponent)
            if not isinstance(input, bool) and input == 1:
                return self.xp.ones(exponent.shape, dtype=self._dtype(dtype))
            return self._power(self._as(input, dtype), self._as(exponent, dtype), dtype)
        return self._power(*self._binary_operands(input, exponent))

    def _power(self, left: Any, right: Any, dtype: str) -> Any:
        """Tensor ** Tensor in ``dtype``, as torch's pow kernel."""
        checks.check_pow_dtype(dtype)
        exotic.reach_kernel()
        if promotion.is_integral(dtype):
            negative = right < 0
            if bool(negative.any()):
                # torch's powi: 1 ** -n is 1, (-1) ** -n is -1 for odd n and 1 for even n, else 0.
                result = self.xp.power(left, self.xp.where(negative, 0, right).astype(right.dtype), dtype=self._dtype(dtype))
                odd = (right % 2) != 0
                fallback = self.xp.where(left == 1, 1, self.xp.where(left == -1, self.xp.where(odd, -1, 1), 0))
                return self.xp.where(negative, fallback, result).astype(self._dtype(dtype))
        return self.xp.power(left, right, dtype=self._dtype(dtype))

    @exotic.lifted
    def exp(self, input: Any) -> Any:
        checks.check_tensor_argument("exp", "input", 1, input, self._is_tensor(input))
        dtype = self._name(input)
        if promotion.is_integral(dtype):
            dtype = promotion.DEFAULT_FLOAT
        return self.xp.exp(self._as(input, dtype))

    def _compare(self, input: Any, other: Any, compare: Any) -> Any:
        left, right, dtype = self._binary_operands(input, other)
        checks.check_comparable(dtype)
        return compare(left, right)

    @exotic.lifted
    def gt(self, input: Any, other: Any) -> Any:
        return self._compare(input, other, self.xp.greater)

    @exotic.lifted
    def lt(self, input: Any, other: Any) -> Any:
        return self._compare(input, other, self.xp.less)

    @exotic.lifted
    def where(self, condition: Any, input: Any, other: Any) -> Any:
        checks.check_where_condition(self._name(condition) if self._is_tensor(condition) else None)
        if condition.dtype != np.bool_:  # a (deprecated) uint8 condition: nonzero means True
            condition = condition != 0
        dtype = self._result_type(input, other)
        shape = broadcast_shapes(condition.shape, self.xp.shape(input), self.xp.shape(other))
        left, right = self._as(input, dtype), self._as(other, dtype)
        if self.xp is np and math.prod(shape) >= 4096:
            # np.where branches on each element and mispredicts on a random mask (~10x slower than
            # this). A GPU has no such branch: CuPy takes xp.where.
            selected = kernels.select_bits(self.xp, condition, left, right, shape)
            if selected is not None:
                return selected
        return self.xp.where(condition, left, right)  # a fresh array of the broadcast shape

    @exotic.lifted
    def masked_select(self, input: Any, mask: Any) -> Any:
        checks.check_mask(self._name(mask))
        if input.shape != mask.shape:
            shape = broadcast_shapes(input.shape, mask.shape)
            input, mask = self.xp.broadcast_to(input, shape), self.xp.broadcast_to(mask, shape)
        # compress over the flat arrays selects what boolean indexing does (the same elements, in C
        # order) without indexing's general machinery: ~8x faster on a random mask at 10^6 elements
        return self.xp.compress(mask.ravel(), input.ravel())
