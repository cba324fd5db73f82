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
from tensorparity.backends.semantics import promotion
from tensorparity.backends.semantics.shapes import (
    broadcast_shapes,
    infer_shape,
    int_sequence,
    normalize_dim,
    pad_pairs,
    repeat_sizes,
    sizes_argument,
    view_strides,
    vsplit_bounds,
)

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
        if not self._is_tensor(input):
            raise TypeError(f"input must be a tensor, got {type(input).__name__}")
        if not (self._is_tensor(other) or promotion.is_python_number(other)):
            raise TypeError(f"other must be a tensor or a number, got {type(other).__name__}")
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
        if (self._is_tensor(input) and input.dtype == np.bool_) or (
            (self._is_tensor(other) and other.dtype == np.bool_) or isinstance(other, bool)
        ):
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported.")
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
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
        if promotion.is_complex(dtype):
            raise RuntimeError(f"div_{rounding_mode}_cpu not implemented for complex")
        if promotion.is_integral(dtype):
            if dtype == "bool":
                raise RuntimeError(f"div_{rounding_mode}_cpu not implemented for 'Bool'")
            if bool((right == 0).any()) and math.prod(broadcast_shapes(left.shape, right.shape)):
                raise RuntimeError("ZeroDivisionError")  # only where a quotient is computed
            if rounding_mode == "trunc" and dtype in ("int32", "int64"):
                low = np.iinfo(self._dtype(dtype)).min
                if bool(((left == low) & (right == -1)).any()):  # torch dies of SIGFPE here; the torch backend raises
                    raise RuntimeError("integer overflow in division: torch crashes on min / -1 truncated")
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
            if promotion.is_integral(self._name(input)) and isinstance(exponent, int) and exponent < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
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
        if dtype == "bool":
            raise RuntimeError("\"pow\" not implemented for 'Bool'")
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
        if promotion.is_complex(dtype):
            raise RuntimeError("comparison is not implemented for complex tensors")
        return compare(left, right)

    @exotic.lifted
    def gt(self, input: Any, other: Any) -> Any:
        return self._compare(input, other, self.xp.greater)

    @exotic.lifted
    def lt(self, input: Any, other: Any) -> Any:
        return self._compare(input, other, self.xp.less)

    @exotic.lifted
    def where(self, condition: Any, input: Any, other: Any) -> Any:
        # torch still accepts a (deprecated) uint8 condition, nonzero meaning True.
        if not self._is_tensor(condition) or condition.dtype not in (np.bool_, np.uint8):
            raise RuntimeError("where expected condition to be a boolean tensor")
        if condition.dtype != np.bool_:
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
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {self._name(mask)}")
        if input.shape != mask.shape:
            shape = broadcast_shapes(input.shape, mask.shape)
            input, mask = self.xp.broadcast_to(input, shape), self.xp.broadcast_to(mask, shape)
        # compress over the flat arrays selects what boolean indexing does (the same elements, in C
        # order) without indexing's general machinery: ~8x faster on a random mask at 10^6 elements
        return self.xp.compress(mask.ravel(), input.ravel())

    # --- linear algebra -----------------------------------------------------
    def _matmul_checked(self, input: Any, mat2: Any, ndim: int, op: str) -> Any:
        if input.ndim != ndim or mat2.ndim != ndim:
            raise RuntimeError(f"{op}: expected {ndim}-D tensors, got {input.ndim}-D and {mat2.ndim}-D")
        if input.dtype != mat2.dtype:
            raise RuntimeError(f"{op}: expected both operands to have the same dtype")
        if input.shape[:-2] != mat2.shape[:-2] or input.shape[-1] != mat2.shape[-2]:
            raise RuntimeError(f"{op}: shapes {tuple(input.shape)} and {tuple(mat2.shape)} cannot be multiplied")
        if input.size == 0 or mat2.size == 0:  # no products to sum: torch skips its kernel
            return self.xp.zeros(input.shape[:-1] + mat2.shape[-1:], dtype=input.dtype)
        if input.dtype == np.bool_:
            raise RuntimeError(f"{op} is not implemented for 'Bool'")
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
        dtype = self._name(input)
        if not (promotion.is_floating(dtype) or promotion.is_complex(dtype)):
            raise RuntimeError(f"linalg.det: Expected a floating point or complex tensor as input. Got {dtype}")
        if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
            raise RuntimeError("linalg.det: A must be batches of square matrices")
        if input.size == 0:  # nothing to factor: ones (or an empty batch), without torch's LU kernel
            return self.xp.ones(input.shape[:-2], dtype=input.dtype)
        if dtype in HALF:
            raise RuntimeError(f"linalg.det not implemented for '{dtype}'")
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
        dims = int_sequence(dims, "permute(): argument 'dims'")
        if len(dims) != input.ndim:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not equal to len(dims) = {len(dims)}"
            )
        normalized = [normalize_dim(dim, input.ndim) for dim in dims]
        if len(set(normalized)) != len(normalized):
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return self.xp.transpose(input, normalized)

    @exotic.lifted
    def view(self, input: Any, *shape: Any) -> Any:
        if not shape:
            raise TypeError("view() missing its size argument")
        shape = infer_shape(sizes_argument(shape), input.size)
        if input.flags.c_contiguous:  # a contiguous tensor views as any shape of its size: no stride walk
            return self.xp.reshape(input, shape)
        element_strides = [stride // input.itemsize for stride in input.strides]
        if view_strides(input.shape, element_strides, shape) is None:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                "across two contiguous subspaces). Use .reshape(...) instead."
            )
        return self.xp.reshape(input, shape)

    @exotic.lifted
    def reshape(self, input: Any, shape: Any) -> Any:
        return self.xp.reshape(input, infer_shape(int_sequence(shape, "reshape(): argument 'shape'"), input.size))

    @exotic.lifted
    def cat(self, tensors: Any, dim: int = 0) -> Any:
        tensors = list(tensors)
        if not tensors:
            raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
        if all(t.dtype == tensors[0].dtype for t in tensors):  # the common case: no promotion to walk
            dtype = self._name(tensors[0])
        else:
            dtype = promotion.result_type([(self._name(t), 1) for t in tensors])
        # torch still skips legacy empty 1-d tensors of shape (0,) in cat.
        kept = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]
        if not kept:  # nothing but legacy empties: an empty result, whatever dim is
            return self.xp.zeros((0,), dtype=self._dtype(dtype))
        if any(t.ndim == 0 for t in kept):
            raise RuntimeError("zero-dimensional tensor cannot be concatenated")
        dim = normalize_dim(dim, kept[0].ndim)
        others = kept[0].shape[:dim] + kept[0].shape[dim + 1 :]  # every size but dim's must match (tuples compared at C speed)
        for tensor in kept:
            if tensor.ndim != kept[0].ndim or tensor.shape[:dim] + tensor.shape[dim + 1 :] != others:
                raise RuntimeError("Sizes of tensors must match except in dimension")
        return self.xp.concatenate([self._as(t, dtype) for t in kept], axis=dim)

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
        # torch raises NotImplementedError for the next three; RuntimeError here, since the
        # harness reads a backend's NotImplementedError as a gap of the backend itself.
        if mode not in ("reflect", "replicate", "circular"):
            raise RuntimeError(f"Unrecognised padding mode {mode}")
        if value is not None and value != 0:  # torch accepts value=0 for every mode
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument.')
        padded_dims = len(pad) // 2
        if padded_dims > 3 or input.ndim not in (padded_dims + 1, padded_dims + 2):
            raise RuntimeError(f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.")
        if mode != "circular" and input.dtype == np.bool_:
            raise RuntimeError(
                f"\"{'reflection' if mode == 'reflect' else 'replication'}_pad{padded_dims}d\" not implemented for 'Bool'"
            )
        if mode != "circular" and 0 in input.shape[1 if input.ndim == padded_dims + 2 else 0 :]:
            raise RuntimeError(
                f"Expected {padded_dims + 1}D or {padded_dims + 2}D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: {list(input.shape)}"
            )
        result = input
        for axis, (size, (before, after)) in enumerate(zip(input.shape, pairs)):
            if axis < input.ndim - padded_dims:
                continue
            out_size = size + before + after
            if mode == "reflect" and (before >= size or after >= size):
                raise RuntimeError("Padding size should be less than the corresponding input dimension")
            if mode == "circular" and (before > size or after > size):
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if out_size < 0:
                raise RuntimeError(f"input (W: {size}) is too small. Calculated output W: {out_size}")
            # torch's index map: negative pads crop, positive pads read the (cropped) input.
            out, in_start, out_start = np.arange(out_size), max(0, -before), max(0, before)
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
        if mode != "circular" and all(result.shape[axis] < 1 for axis in range(input.ndim - padded_dims, input.ndim)):
            raise RuntimeError(f"input {tuple(input.shape)} is too small. Calculated output {tuple(result.shape)}")
        return result

    def _pad_constant(self, input: Any, pairs: list[tuple[int, int]], value: Any) -> Any:
        # Negative padding crops; positive padding fills with ``value`` cast to the input dtype.
        if any(max(-before, 0) + max(-after, 0) > size for size, (before, after) in zip(input.shape, pairs)):
            raise RuntimeError("narrow(): length must be non-negative.")  # torch crops each side with narrow()
        cropped = input[tuple(slice(max(-before, 0), size - max(-after, 0)) for size, (before, after) in zip(input.shape, pairs))]
        shape = [size + before + after for size, (before, after) in zip(input.shape, pairs)]
        if any(size < 0 for size in shape):
            raise RuntimeError(f"The input size {tuple(input.shape)} plus negative padding results in a negative output size")
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
        dim = normalize_dim(dim, input.ndim)
        if result_dtype == "bool" and input.ndim and input.size:  # no bool kernel, reached only with elements to scan
            raise RuntimeError("\"cumprod_out_cpu\" not implemented for 'Bool'")
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
        dtype = self._name(input)
        if dtype == "bool" or promotion.is_complex(dtype):
            raise RuntimeError(f"argmax(): does not support {'bool' if dtype == 'bool' else 'complex'} input")
        if dim is None:
            if input.size == 0:
                raise RuntimeError("argmax(): Expected reduction dim to be specified for input.numel() == 0.")
            index = self.xp.asarray(self.xp.argmax(input), dtype=np.int64)
            return self.xp.reshape(index, (1,) * input.ndim) if keepdim else index
        dim = normalize_dim(dim, input.ndim)
        if input.ndim == 0:
            return self.xp.zeros((), dtype=np.int64)
        if input.shape[dim] == 0:
            raise IndexError("argmax(): Expected reduction dim to have non-zero size.")
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
        if dtype == "bool" or promotion.is_complex(dtype):  # torch has no bool or complex arange kernel
            raise RuntimeError(f"\"arange_cpu\" not implemented for '{dtype}'")
        if step == 0 or (dtype == "int64" and int(step) == 0):
            raise RuntimeError("step must be nonzero")
        if not (math.isfinite(start) and math.isfinite(end)):
            raise RuntimeError(f"unsupported range: {start} -> {end}")
        if (end - start) * step < 0:  # checked on the values as given
            raise RuntimeError("upper bound and larger bound inconsistent with step sign")
        if dtype == "int64":
            # torch sizes int64 ranges from start, end and step truncated to int64.
            start, end, step = int(start), int(end), int(step)
            size = (end - start + step - (1 if step > 0 else -1)) // step  # exact integer ceil
        else:
            size = math.ceil((end - start) / step)  # other dtypes size in double
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
        shape = sizes_argument((size,))
        if any(s < 0 for s in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}")
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
        error = RuntimeError(f"value cannot be converted to type {dtype} without overflow")
        parts = [value.real, value.imag] if isinstance(value, complex) else [value]
        if not promotion.is_complex(dtype) and len(parts) == 2:
            if parts[1] != 0:  # a nonzero imaginary part overflows any real dtype
                raise error
            parts = parts[:1]
        if not promotion.is_integral(dtype):
            # floating and complex: a finite value beyond the dtype's max overflows; inf and NaN convert.
            limit = float((ml_dtypes.finfo if dtype == "bfloat16" else np.finfo)(storage).max)
            if dtype == "complex32" and one_element:
                limit = float(np.finfo(np.float16).max)
            overflows = any(math.isfinite(p) and abs(p) > limit for p in parts)
            if overflows and not (one_element and dtype in ("float16", "bfloat16")):
                raise error
            value = complex(*parts) if len(parts) == 2 else parts[0]
            if not overflows:  # no cast to inf to silence: np.errstate alone costs about a microsecond
                return np.asarray(value).astype(storage)
            with np.errstate(over="ignore"):
                return np.asarray(value).astype(storage)
        (part,) = parts
        info = np.iinfo(storage)
        if isinstance(part, float):  # no wrapping from a float: it must lie in the dtype's range
            if not (math.isfinite(part) and info.min <= part <= info.max):
                raise error
            return np.asarray(int(part)).astype(storage)
        if part > info.max or part < (info.min if info.min < 0 else -info.max):
            raise error  # unsigned dtypes let a negative int within -max..max wrap (two's complement)
        return np.asarray(part % (int(info.max) + 1) if info.min == 0 else part).astype(storage)

    @exotic.lifted
    def sparse_coo_tensor(self, indices: Any, values: Any, size: Any = None, *, dtype: str | None = None) -> SparseCOO:
        if indices.ndim != 2:
            raise RuntimeError("indices must be an int64 tensor of shape (sparse_dim, nnz)")
        indices = self._as(indices, "int64")  # torch casts indices of any dtype to int64 (floats truncate)
        if values.ndim == 0 or indices.shape[1] != values.shape[0]:
            raise RuntimeError(
                f"indices and values must have same nnz, but got nnz from indices: {indices.shape[1]}, nnz from values: {values.shape[0] if values.ndim else 0}"
            )
        if indices.size and bool((indices < 0).any()):
            raise RuntimeError("found negative index in indices")
        sparse_dims = indices.shape[0]
        if size is None:
            largest = self.to_host(indices.max(axis=1) + 1) if indices.shape[1] else [0] * sparse_dims
            size = tuple(int(s) for s in largest) + tuple(values.shape[1:])
        else:
            size = sizes_argument((size,))
            if len(size) != sparse_dims + values.ndim - 1:
                raise RuntimeError(
                    f"number of dimensions must be sparse_dim ({sparse_dims}) + dense_dim ({values.ndim - 1}), but got {len(size)}"
                )
            if indices.shape[1] and any(int(m) >= s for m, s in zip(self.to_host(indices.max(axis=1)), size)):
                raise RuntimeError("size is inconsistent with indices")
        values = values.astype(self._dtype(dtype), copy=False) if dtype else values
        return SparseCOO(indices, values, tuple(size))  # indices: int64 already (_as above), no second copy
