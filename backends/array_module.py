"""torch semantics over a NumPy-compatible array module (``xp``).

The NumPy and CuPy backends are this one class with a different ``xp``. Each op
validates as torch does (raising where torch raises), computes the result
dtype with torch's promotion (``backends.promotion``), and then computes with
``xp`` in that dtype, so integer overflow wraps as torch's does. Where torch
computes otherwise, so does the op: float16 and bfloat16 in float32 where torch
does ("opmath"), fused multiply-adds, matrix products and determinants in
torch's order (``backends.kernels``). complex32 and the quantized dtypes, which
``xp`` lacks, are carried by ``backends.exotic``.
"""

from __future__ import annotations

import math
from typing import Any

import ml_dtypes
import numpy as np
from tensorparity.backends import exotic, kernels
from tensorparity.backends.array_types import SparseCOO
from tensorparity.backends.base import Backend, UnsupportedDtype
from tensorparity.backends.exotic import Exotic
from tensorparity.backends.neutral import PAIRED, QUANTIZED, STORAGE, NeutralSparse, NeutralTensor, dtype_name_of
from tensorparity.backends.semantics import checks, promotion
from tensorparity.backends.semantics.shapes import broadcast_shapes, normalize_dim, pad_pairs, repeat_sizes, vsplit_bounds

HALF = ("float16", "bfloat16")  # torch computes these in float32 ("opmath") and rounds once
# Where torch's pow(x, 2) is x * x rounded once in the dtype itself, as xp.square is.
_SQUARE = frozenset({"float32", "float64", "uint8", "int8", "int16", "int32", "int64"})

# The torch name of each plain dtype, looked up by the dtype itself: every op asks for it, and
# dtype_name_of (a scan of STORAGE comparing dtypes, on a throwaway empty array) cost about 1 us a call.
_TORCH_NAME: dict[np.dtype, str] = {
    storage: name for name, storage in reversed(STORAGE.items()) if name not in QUANTIZED and name not in PAIRED
}  # reversed: where two names share a storage dtype, the first one in STORAGE wins, as in dtype_name_of


class ArrayModuleBackend(Backend):
    """torch's ops written once against the NumPy API; subclasses set ``xp``.

    complex32 and quantized tensors are ``exotic.Exotic`` carriers; every op method
    is decorated ``@exotic.lifted``, which runs the plain op on the carriers where
    torch has a kernel for the dtype and raises where it has none (grad is built
    from the ops).
    """

    xp: Any = np
    # Dtypes xp has no honest form for; tensors of them raise UnsupportedDtype.
    unsupported_dtypes: frozenset[str] = frozenset()

    # --- conversion -----------------------------------------------------
    def tensor_from_neutral(self, tensor: NeutralTensor) -> Any:
        if tensor.dtype in self.unsupported_dtypes:
            raise UnsupportedDtype(self.name, tensor.dtype)
        if tensor.dtype in exotic.SUPPORT:
            return exotic.from_neutral(self.xp, tensor)
        return self.xp.asarray(tensor.array)

    def to_host(self, array: Any) -> np.ndarray:
        """A NumPy copy of an ``xp`` array (identity for NumPy)."""
        return np.asarray(array)

    def tensor_to_neutral(self, native: Any) -> NeutralTensor | NeutralSparse | None:
        if isinstance(native, SparseCOO):
            return NeutralSparse(self.tensor_to_neutral(native.indices), self.tensor_to_neutral(native.values), native.size)
        if isinstance(native, Exotic):
            return exotic.to_neutral(native, self.to_host)
        if self._is_tensor(native):
            return NeutralTensor.of(self.to_host(native))
        return None

    # --- helpers ----------------------------------------------------------
    def _dtype(self, name: str) -> Any:
        """The xp dtype computing in torch dtype ``name`` (an exotic dtype's carrier)."""
        if name in self.unsupported_dtypes:
            raise UnsupportedDtype(self.name, name)
        return exotic.CARRIER.get(name) or STORAGE[name]

    @staticmethod
    def _name(array: Any) -> str:
        name = _TORCH_NAME.get(array.dtype)
        return name if name is not None else dtype_name_of(np.empty(0, dtype=array.dtype))  # raises TypeError

    def _is_tensor(self, value: Any) -> bool:
        # NumPy ufuncs return scalars (np.generic) for 0-d inputs: those are 0-d tensors too.
        return isinstance(value, (self.xp.ndarray, np.generic))

    def _result_type(self, *operands: Any) -> str:
        if len(operands) == 2:
            # The common case, two arrays of one dtype, is that dtype whatever their dims: no walk
            # through torch's promotion categories.
            first, second = operands
            ndarray = self.xp.ndarray
            if isinstance(first, ndarray) and isinstance(second, ndarray) and first.dtype == second.dtype:
                return self._name(first)
        return promotion.result_type([(self._name(op), op.ndim) if self._is_tensor(op) else op for op in operands])

    def _as(self, operand: Any, dtype: str) -> Any:
        """An operand (tensor or Python number) as an array of ``dtype``: the operand itself if it is one."""
        target = self._dtype(dtype)
        if isinstance(operand, self.xp.ndarray) and operand.dtype == target:
            return operand  # what asarray + astype(copy=False) return too, without the two calls
        return self.xp.asarray(operand).astype(target, copy=False)

    def _binary_operands(self, input: Any, other: Any) -> tuple[Any, Any, str]:
        checks.check_binary_operands(
            self._is_tensor(input), type(input), self._is_tensor(other) or promotion.is_python_number(other), type(other)
        )
        dtype = self._result_type(input, other)
        other_shape = getattr(other, "shape", ())  # a Python number broadcasts with any shape
        if other_shape != input.shape:  # torch's check and message; equal shapes need neither
            broadcast_shapes(input.shape, other_shape)
        return self._as(input, dtype), self._as(other, dtype), dtype

    # --- elementwise arithmetic -------------------------------------------
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
                math.prod(broadcast_shapes(left.shape, right.shape)),
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

    # --- linear algebra -----------------------------------------------------
    def _matmul_checked(self, input: Any, mat2: Any, ndim: int, op: str) -> Any:
        checks.check_matmul(op, ndim, input.shape, self._name(input), mat2.shape, self._name(mat2))
        if input.size == 0 or mat2.size == 0:  # no products to sum: torch skips its kernel
            return self.xp.zeros(input.shape[:-1] + mat2.shape[-1:], dtype=input.dtype)
        exotic.reach_kernel()
        dtype = input.dtype
        if self._name(input) in HALF:  # torch accumulates half precision in float32, rounding each output once
            input, mat2 = input.astype(np.float32), mat2.astype(np.float32)
        small = input.shape[-1] * input.shape[-2] * mat2.shape[-1] < 400
        if dtype.kind in "fcV" and (small or not (self.xp.isfinite(input).all() and self.xp.isfinite(mat2).all())):
            # torch's naive kernel for small products (and our best guess at BLAS with inf or NaN):
            # each output summed from zero in order of k, so inf, NaN and overflow land as in torch.
            return kernels.matmul_in_order(self.xp, input, mat2).astype(dtype, copy=False)
        return self.xp.matmul(input, mat2).astype(dtype, copy=False)  # a fresh array: cast only from float32

    @exotic.lifted
    def mm(self, input: Any, mat2: Any) -> Any:
        return self._matmul_checked(input, mat2, 2, "mm")

    @exotic.lifted
    def bmm(self, input: Any, mat2: Any) -> Any:
        return self._matmul_checked(input, mat2, 3, "bmm")

    @exotic.lifted
    def det(self, input: Any) -> Any:
        checks.check_det(self._name(input), input.shape)
        if input.size == 0:  # nothing to factor: ones (or an empty batch), without torch's LU kernel
            return self.xp.ones(input.shape[:-2], dtype=input.dtype)
        exotic.reach_kernel()
        if input.dtype.kind == "f" and input.shape[-1] >= 128 and bool(self.xp.isfinite(input).all()):
            # Blocked LU, its trailing updates in BLAS, as LAPACK's getrf (O(n^3) in xp.matmul, not in
            # n elementwise passes); None where the factors overflow, for the kernel's inf and NaN rules.
            det = kernels.det_by_blocked_lu(self.xp, input)
            if det is not None:
                return det
        return kernels.det_by_lu(self.xp, input)  # NumPy's det answers 0 for any singular U, scales out overflow

    # --- shape and layout -----------------------------------------------------
    @exotic.lifted
    def transpose(self, input: Any, dim0: int, dim1: int) -> Any:
        dim0, dim1 = normalize_dim(dim0, input.ndim), normalize_dim(dim1, input.ndim)  # validates 0-d dims too
        return self.xp.swapaxes(input, dim0, dim1) if input.ndim else input

    @exotic.lifted
    def permute(self, input: Any, dims: Any) -> Any:
        return self.xp.transpose(input, checks.permute_dims(dims, input.ndim))

    @exotic.lifted
    def view(self, input: Any, *shape: Any) -> Any:
        shape = checks.view_shape(shape, input.size)
        if not input.flags.c_contiguous:  # a contiguous tensor views as any shape of its size: no stride walk
            checks.checked_view_strides(input.shape, [stride // input.itemsize for stride in input.strides], shape)
        return self.xp.reshape(input, shape)

    @exotic.lifted
    def reshape(self, input: Any, shape: Any) -> Any:
        return self.xp.reshape(input, checks.reshape_shape(shape, input.size))

    @exotic.lifted
    def cat(self, tensors: Any, dim: int = 0) -> Any:
        tensors = list(tensors)
        kept, dim = checks.cat_layout([t.shape for t in tensors], dim)
        if all(t.dtype == tensors[0].dtype for t in tensors):  # the common case: no promotion to walk
            dtype = self._name(tensors[0])
        else:
            dtype = promotion.result_type([(self._name(t), 1) for t in tensors])
        if not kept:  # nothing but legacy empties of shape (0,): an empty result, whatever dim is
            return self.xp.zeros((0,), dtype=self._dtype(dtype))
        return self.xp.concatenate([self._as(tensors[k], dtype) for k in kept], axis=dim)

    @exotic.lifted
    def vsplit(self, input: Any, indices_or_sections: Any) -> tuple[Any, ...]:
        return tuple(input[start:stop] for start, stop in vsplit_bounds(input.shape, indices_or_sections))

    @exotic.lifted
    def repeat(self, input: Any, *sizes: Any) -> Any:
        sizes = repeat_sizes(sizes, input.ndim)
        expanded = self.xp.reshape(input, (1,) * (len(sizes) - input.ndim) + input.shape)
        if expanded.size and math.prod(sizes):  # copies elements: torch's copy kernel runs
            exotic.reach_kernel()
        return self.xp.tile(expanded, sizes)

    @exotic.lifted
    def pad(self, input: Any, pad: Any, mode: str = "constant", value: Any = None) -> Any:
        pairs = pad_pairs(pad, input.ndim)
        if mode == "constant":
            return self._pad_constant(input, pairs, 0 if value is None else value)
        out_shape = checks.pad_mode_shape(mode, value, len(pad), input.shape, self._name(input), pairs)
        result = input
        for axis in range(input.ndim - len(pad) // 2, input.ndim):  # the padded dims
            size, (before, after) = input.shape[axis], pairs[axis]
            # torch's index map: negative pads crop, positive pads read the (cropped) input.
            out, in_start, out_start = np.arange(out_shape[axis]), max(0, -before), max(0, before)
            if mode == "circular":
                kept = size - max(0, -before) - max(0, -after)
                index = in_start + (out - out_start) % max(kept, 1)
            elif mode == "reflect":
                index = np.where(
                    out < before, 2 * before - out, np.where(out < size + before, out, 2 * (size + before - 1) - out)
                )
                index = index - out_start + in_start
            else:
                index = np.clip(out, before, size + before - 1) - out_start + in_start
            result = self.xp.take(result, self.xp.asarray(index), axis=axis)
        return result

    def _pad_constant(self, input: Any, pairs: list[tuple[int, int]], value: Any) -> Any:
        # Negative padding crops; positive padding fills with ``value`` cast to the input dtype.
        shape = checks.pad_constant_shape(input.shape, pairs)
        cropped = input[tuple(slice(max(-before, 0), size - max(-after, 0)) for size, (before, after) in zip(input.shape, pairs))]
        if all(before <= 0 and after <= 0 for before, after in pairs):
            return cropped.copy()  # nothing to fill: the value is never converted
        # F.pad's value is a float, converted (checked, as fill_ does) to the dtype
        fill = self._checked_scalar(float(value), self._name(input), one_element=math.prod(shape) == 1)
        interior = tuple(slice(max(before, 0), max(before, 0) + cropped.shape[axis]) for axis, (before, _) in enumerate(pairs))
        if math.prod(shape) < 65536:
            result = self.xp.full(shape, fill, dtype=input.dtype)
            result[interior] = cropped
            return result
        # A large output: write each element once, the interior from the input and only the borders
        # with the value (full() wrote the interior twice); the slabs overlap only in the corners.
        result = self.xp.empty(shape, dtype=input.dtype)
        result[interior] = cropped
        fill = self.xp.asarray(fill)  # an xp scalar: CuPy assigns no NumPy array
        for axis, span in enumerate(interior):
            if span.start:
                result[(slice(None),) * axis + (slice(0, span.start),)] = fill
            if span.stop < shape[axis]:
                result[(slice(None),) * axis + (slice(span.stop, None),)] = fill
        return result

    # --- reductions and scans -------------------------------------------------
    @exotic.lifted
    def cumprod(self, input: Any, dim: int, *, dtype: str | None = None) -> Any:
        result_dtype = dtype or ("int64" if promotion.is_integral(self._name(input)) else self._name(input))
        dim = checks.cumprod_dim(dim, input.shape, result_dtype)
        values = self._as(input, result_dtype)
        if values.ndim == 0 or values.size == 0:  # nothing to scan: torch skips its kernel
            return values.copy()
        exotic.reach_kernel()
        # torch scans in its accumulate type and rounds each output once: float32 for half precision,
        # double for float32 (max * 2 * 0 is 0, not NaN), complex<double> for complex64
        wide = {"float16": np.float32, "bfloat16": np.float32, "float32": np.float64, "complex64": np.complex128}
        values = values.astype(wide.get(result_dtype, values.dtype), copy=True)  # our own: scanned in place below
        if promotion.is_complex(result_dtype):
            # torch multiplies from one, so even the first output is (1 + 0i) * x (inf + NaN i for inf + xi)
            values = self.xp.moveaxis(values, dim, 0)
            outputs, product = [], self.xp.ones(values.shape[1:], dtype=values.dtype)
            for value in values:
                product = product * value
                outputs.append(product)
            return self.xp.moveaxis(self.xp.stack(outputs), 0, dim).astype(self._dtype(result_dtype))
        if self.xp is np and values.size // values.shape[dim] >= 256:
            # np.cumprod runs one scalar loop per scan. With many independent scans, one vectorised
            # multiply per step along dim, in place, makes the same products in the same order (so
            # the same bits) 2-3x faster at 1000 x 1000. Few scans (a Python loop step per element
            # or so), or a GPU (a kernel launch per step): xp.cumprod.
            steps = list(self.xp.moveaxis(values, dim, 0))  # views into values, one per step along dim
            for previous, current in zip(steps, steps[1:]):
                self.xp.multiply(previous, current, out=current)
            return values.astype(self._dtype(result_dtype), copy=False)
        return self.xp.cumprod(values, axis=dim).astype(self._dtype(result_dtype), copy=False)

    @exotic.lifted
    def argmax(self, input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
        dim = checks.argmax_dim(self._name(input), input.shape, dim)
        if dim is None:
            index = self.xp.asarray(self.xp.argmax(input), dtype=np.int64)
            return self.xp.reshape(index, (1,) * input.ndim) if keepdim else index
        if input.ndim == 0:
            return self.xp.zeros((), dtype=np.int64)
        return self.xp.argmax(input, axis=dim, keepdims=keepdim).astype(np.int64, copy=False)  # already int64 (intp)

    @exotic.lifted
    def numel(self, input: Any) -> int:
        return int(input.size)

    # --- factories ------------------------------------------------------------
    @exotic.lifted
    def arange(self, start: Any, end: Any = None, step: Any = 1, *, dtype: str | None = None) -> Any:
        if end is None:
            start, end = 0, start
        if dtype is None:
            dtype = promotion.DEFAULT_FLOAT if any(isinstance(v, float) for v in (start, end, step)) else "int64"
        checks.check_arange(start, end, step, dtype)
        if dtype == "int64":
            # torch sizes int64 ranges from start, end and step truncated to int64.
            start, end, step = int(start), int(end), int(step)
            size = (end - start + step - (1 if step > 0 else -1)) // step  # exact integer ceil
        else:
            size = math.ceil((end - start) / step)  # other dtypes size in double
        checks.check_arange_size(size)
        # In place, each pass skipped where it is the identity, and cast only to another dtype: one
        # pass over the values for arange(n), not three passes and a copy.
        if promotion.is_integral(dtype):
            # integral dtypes step by the truncated step from the truncated start, in int64 (wrapping).
            values = self.xp.arange(size, dtype=np.int64)
            if int(step) != 1:
                values *= np.int64(int(step))
            if int(start) != 0:
                values += np.int64(int(start))
            return values.astype(self._dtype(dtype), copy=False)
        if dtype in HALF:
            return kernels.arange_half(self.xp, start, step, size, self._dtype(dtype))
        # torch accumulates start + i * step in double before casting.
        values = self.xp.arange(size, dtype=np.float64)
        if step != 1:
            values *= step
        if not (start == 0 and step > 0):  # 0 * a negative step is -0.0, which + 0 turns to +0.0, as in torch
            values += start
        return values.astype(self._dtype(dtype), copy=False)

    @exotic.lifted
    def full(self, size: Any, fill_value: Any, *, dtype: str | None = None) -> Any:
        dtype = dtype or promotion.scalar_dtype(fill_value)
        shape = checks.full_shape(size)
        fill = self._checked_scalar(fill_value, dtype, one_element=math.prod(shape) == 1)
        return self.xp.full(shape, fill, dtype=self._dtype(dtype))

    def _checked_scalar(self, value: Any, dtype: str, one_element: bool = False) -> Any:
        """A Python number as a ``dtype`` scalar, raising where torch's checked conversion overflows.

        ``one_element``: torch fills a one-element float16/bfloat16 tensor without the check (to inf),
        and checks a one-element complex32 against float16's range (others only against float32's).
        """
        storage = self._dtype(dtype)
        if dtype == "bool" or isinstance(value, bool):
            return np.asarray(bool(value) if dtype == "bool" else int(value)).astype(storage)
        if promotion.is_integral(dtype):
            info = np.iinfo(storage)
            checks.scalar_overflows(value, dtype, int(info.min), int(info.max))
            part = value.real if isinstance(value, complex) else value  # no imaginary part: checked
            if isinstance(part, float):
                return np.asarray(int(part)).astype(storage)
            return np.asarray(part % (int(info.max) + 1) if info.min == 0 else part).astype(storage)  # two's complement
        limit = float((ml_dtypes.finfo if dtype == "bfloat16" else np.finfo)(storage).max)
        if dtype == "complex32" and one_element:
            limit = float(np.finfo(np.float16).max)
        overflows = checks.scalar_overflows(value, dtype, -limit, limit, one_element=one_element)
        if isinstance(value, complex) and not promotion.is_complex(dtype):
            value = value.real  # no imaginary part: checked
        if not overflows:  # no cast to inf to silence: np.errstate alone costs about a microsecond
            return np.asarray(value).astype(storage)
        with np.errstate(over="ignore"):
            return np.asarray(value).astype(storage)

    @exotic.lifted
    def sparse_coo_tensor(self, indices: Any, values: Any, size: Any = None, *, dtype: str | None = None) -> SparseCOO:
        checks.check_sparse_indices(indices.shape, values.shape)
        indices = self._as(indices, "int64")  # torch casts indices of any dtype to int64 (floats truncate)
        nnz = indices.shape[1]
        minima = self.to_host(indices.min(axis=1)).tolist() if nnz else []
        maxima = self.to_host(indices.max(axis=1)).tolist() if nnz else []
        size = checks.sparse_size(indices.shape[0], values.shape, size, minima, maxima)
        values = values.astype(self._dtype(dtype), copy=False) if dtype else values
        return SparseCOO(indices, values, size)  # indices: int64 already (_as above), no second copy
