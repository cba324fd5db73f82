"""torch semantics over a NumPy-compatible array module (``xp``).

The NumPy and CuPy backends are this one class with a different ``xp``. Each op
validates as torch does (raising where torch raises), computes the result
dtype with torch's promotion (``backends.promotion``), and then computes with
``xp`` in that dtype, so integer overflow wraps as torch's does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import ml_dtypes
import numpy as np

from backends import promotion
from backends.base import Backend, UnsupportedDtype
from backends.neutral import STORAGE, NeutralSparse, NeutralTensor, dtype_name_of
from backends.shapes import broadcast_shapes, infer_shape, int_sequence, normalize_dim, sizes_argument, view_strides


@dataclass(frozen=True)
class SparseCOO:
    """A sparse COO tensor in array-module form."""

    indices: Any
    values: Any
    size: tuple[int, ...]


class ArrayModuleBackend(Backend):
    """torch's ops written once against the NumPy API; subclasses set ``xp``."""

    xp: Any = np
    # Dtypes xp has no honest form for; tensors of them raise UnsupportedDtype.
    unsupported_dtypes: frozenset[str] = frozenset({"complex32", "quint8", "qint8", "qint32", "quint4x2"})

    # --- conversion -----------------------------------------------------
    def tensor_from_neutral(self, tensor: NeutralTensor) -> Any:
        if tensor.dtype in self.unsupported_dtypes:
            raise UnsupportedDtype(self.name, tensor.dtype)
        return self.xp.asarray(tensor.array)

    def to_host(self, array: Any) -> np.ndarray:
        """A NumPy copy of an ``xp`` array (identity for NumPy)."""
        return np.asarray(array)

    def tensor_to_neutral(self, native: Any) -> NeutralTensor | NeutralSparse | None:
        if isinstance(native, SparseCOO):
            return NeutralSparse(self.tensor_to_neutral(native.indices), self.tensor_to_neutral(native.values), native.size)
        if self._is_tensor(native):
            return NeutralTensor.of(self.to_host(native))
        return None

    # --- helpers ----------------------------------------------------------
    def _dtype(self, name: str) -> Any:
        if name in self.unsupported_dtypes:
            raise UnsupportedDtype(self.name, name)
        return STORAGE[name]

    @staticmethod
    def _name(array: Any) -> str:
        return dtype_name_of(np.empty(0, dtype=array.dtype))

    def _is_tensor(self, value: Any) -> bool:
        # NumPy ufuncs return scalars (np.generic) for 0-d inputs: those are 0-d tensors too.
        return isinstance(value, (self.xp.ndarray, np.generic))

    def _result_type(self, *operands: Any) -> str:
        return promotion.result_type([(self._name(op), op.ndim) if self._is_tensor(op) else op for op in operands])

    def _as(self, operand: Any, dtype: str) -> Any:
        """An operand (tensor or Python number) as an array of ``dtype``."""
        return self.xp.asarray(operand).astype(self._dtype(dtype), copy=False)

    def _binary_operands(self, input: Any, other: Any) -> tuple[Any, Any, str]:
        if not self._is_tensor(input):
            raise TypeError(f"input must be a tensor, got {type(input).__name__}")
        if not (self._is_tensor(other) or promotion.is_python_number(other)):
            raise TypeError(f"other must be a tensor or a number, got {type(other).__name__}")
        dtype = self._result_type(input, other)
        broadcast_shapes(input.shape, self.xp.shape(other))
        return self._as(input, dtype), self._as(other, dtype), dtype

    @staticmethod
    def _check_alpha(alpha: Any, dtype: str) -> None:
        # torch's alpha_check, in its order: a bool alpha needs a bool result, an
        # integral result needs an integral alpha, a complex alpha a complex result.
        if isinstance(alpha, bool) and dtype != "bool":
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
        if promotion.is_integral(dtype) and isinstance(alpha, (float, complex)):
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        if not promotion.is_complex(dtype) and isinstance(alpha, complex):
            raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex number.")

    # --- elementwise arithmetic -------------------------------------------
    def add(self, input: Any, other: Any, *, alpha: Any = 1) -> Any:
        left, right, dtype = self._binary_operands(input, other)
        self._check_alpha(alpha, dtype)
        if dtype == "bool":
            return left | (right & bool(alpha))
        if alpha != 1:
            right = right * self._as(alpha, dtype)
        return self.xp.add(left, right, dtype=self._dtype(dtype))

    def sub(self, input: Any, other: Any, *, alpha: Any = 1) -> Any:
        if (self._is_tensor(input) and input.dtype == np.bool_) or (
            (self._is_tensor(other) and other.dtype == np.bool_) or isinstance(other, bool)
        ):
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported.")
        left, right, dtype = self._binary_operands(input, other)
        self._check_alpha(alpha, dtype)
        if alpha != 1:
            right = right * self._as(alpha, dtype)
        return self.xp.subtract(left, right, dtype=self._dtype(dtype))

    def mul(self, input: Any, other: Any) -> Any:
        left, right, dtype = self._binary_operands(input, other)
        if dtype == "bool":
            return left & right
        return self.xp.multiply(left, right, dtype=self._dtype(dtype))

    def div(self, input: Any, other: Any, *, rounding_mode: str | None = None) -> Any:
        left, right, dtype = self._binary_operands(input, other)
        if rounding_mode is None:
            if promotion.is_integral(dtype):
                dtype = promotion.DEFAULT_FLOAT
                left, right = self._as(left, dtype), self._as(right, dtype)
            return self.xp.true_divide(left, right, dtype=self._dtype(dtype))
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
        if promotion.is_complex(dtype):
            raise RuntimeError(f"div_{rounding_mode}_cpu not implemented for complex")
        if promotion.is_integral(dtype):
            if dtype == "bool":
                raise RuntimeError(f"div_{rounding_mode}_cpu not implemented for 'Bool'")
            if bool((right == 0).any()):
                raise RuntimeError("ZeroDivisionError")
            quotient = self.xp.floor_divide(left, right)
            if rounding_mode == "trunc":
                inexact = (left % right != 0) & ((left < 0) != (right < 0))
                quotient = quotient + inexact.astype(quotient.dtype)
            return quotient
        with np.errstate(divide="ignore", invalid="ignore"):
            if rounding_mode == "trunc":
                return self.xp.trunc(self.xp.true_divide(left, right)).astype(self._dtype(dtype))
            return self.xp.floor_divide(left, right).astype(self._dtype(dtype))

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
        if promotion.is_integral(dtype):
            negative = right < 0
            if bool(negative.any()):
                # torch's powi: 1 ** -n is 1, (-1) ** -n is -1 for odd n and 1 for even n, else 0.
                result = self.xp.power(left, self.xp.where(negative, 0, right).astype(right.dtype), dtype=self._dtype(dtype))
                odd = (right % 2) != 0
                fallback = self.xp.where(left == 1, 1, self.xp.where(left == -1, self.xp.where(odd, -1, 1), 0))
                return self.xp.where(negative, fallback, result).astype(self._dtype(dtype))
        return self.xp.power(left, right, dtype=self._dtype(dtype))

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

    def gt(self, input: Any, other: Any) -> Any:
        return self._compare(input, other, self.xp.greater)

    def lt(self, input: Any, other: Any) -> Any:
        return self._compare(input, other, self.xp.less)

    def where(self, condition: Any, input: Any, other: Any) -> Any:
        # torch still accepts a (deprecated) uint8 condition, nonzero meaning True.
        if not self._is_tensor(condition) or condition.dtype not in (np.bool_, np.uint8):
            raise RuntimeError("where expected condition to be a boolean tensor")
        condition = condition != 0
        operands = [value for value in (input, other)]
        dtype = self._result_type(*operands)
        shape = broadcast_shapes(condition.shape, self.xp.shape(input), self.xp.shape(other))
        result = self.xp.where(condition, self._as(input, dtype), self._as(other, dtype))
        return self.xp.broadcast_to(result, shape).copy()

    def masked_select(self, input: Any, mask: Any) -> Any:
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {self._name(mask)}")
        shape = broadcast_shapes(input.shape, mask.shape)
        return self.xp.broadcast_to(input, shape)[self.xp.broadcast_to(mask, shape)]

    # --- linear algebra -----------------------------------------------------
    def _matmul_checked(self, input: Any, mat2: Any, ndim: int, op: str) -> Any:
        if input.ndim != ndim or mat2.ndim != ndim:
            raise RuntimeError(f"{op}: expected {ndim}-D tensors, got {input.ndim}-D and {mat2.ndim}-D")
        if input.dtype != mat2.dtype:
            raise RuntimeError(f"{op}: expected both operands to have the same dtype")
        if input.shape[:-2] != mat2.shape[:-2] or input.shape[-1] != mat2.shape[-2]:
            raise RuntimeError(f"{op}: shapes {tuple(input.shape)} and {tuple(mat2.shape)} cannot be multiplied")
        if input.dtype == np.bool_:
            raise RuntimeError(f"{op} is not implemented for 'Bool'")
        return self.xp.matmul(input, mat2)

    def mm(self, input: Any, mat2: Any) -> Any:
        return self._matmul_checked(input, mat2, 2, "mm")

    def bmm(self, input: Any, mat2: Any) -> Any:
        return self._matmul_checked(input, mat2, 3, "bmm")

    def det(self, input: Any) -> Any:
        dtype = self._name(input)
        if not (promotion.is_floating(dtype) or promotion.is_complex(dtype)):
            raise RuntimeError(f"linalg.det: Expected a floating point or complex tensor as input. Got {dtype}")
        if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
            raise RuntimeError("linalg.det: A must be batches of square matrices")
        if dtype in ("float16", "bfloat16"):
            raise RuntimeError(f"linalg.det not implemented for '{dtype}'")
        return self.xp.linalg.det(input).astype(input.dtype)

    # --- shape and layout -----------------------------------------------------
    def transpose(self, input: Any, dim0: int, dim1: int) -> Any:
        dim0, dim1 = normalize_dim(dim0, input.ndim), normalize_dim(dim1, input.ndim)  # validates 0-d dims too
        return self.xp.swapaxes(input, dim0, dim1) if input.ndim else input

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

    def view(self, input: Any, *shape: Any) -> Any:
        if not shape:
            raise TypeError("view() missing its size argument")
        shape = infer_shape(sizes_argument(shape), input.size)
        element_strides = [stride // input.itemsize for stride in input.strides]
        if view_strides(input.shape, element_strides, shape) is None:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                "across two contiguous subspaces). Use .reshape(...) instead."
            )
        return self.xp.reshape(input, shape)

    def reshape(self, input: Any, shape: Any) -> Any:
        return self.xp.reshape(input, infer_shape(int_sequence(shape, "reshape(): argument 'shape'"), input.size))

    def cat(self, tensors: Any, dim: int = 0) -> Any:
        tensors = list(tensors)
        if not tensors:
            raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
        dtype = promotion.result_type([(self._name(t), 1) for t in tensors])
        # torch still skips legacy empty 1-d tensors of shape (0,) in cat.
        kept = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
        if any(t.ndim == 0 for t in kept):
            raise RuntimeError("zero-dimensional tensor cannot be concatenated")
        dim = normalize_dim(dim, kept[0].ndim)
        for tensor in kept:
            if tensor.ndim != kept[0].ndim or any(
                a != b for axis, (a, b) in enumerate(zip(tensor.shape, kept[0].shape)) if axis != dim
            ):
                raise RuntimeError("Sizes of tensors must match except in dimension")
        return self.xp.concatenate([self._as(t, dtype) for t in kept], axis=dim)

    def vsplit(self, input: Any, indices_or_sections: Any) -> tuple[Any, ...]:
        if input.ndim < 2:
            raise RuntimeError(
                f"torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with {input.ndim} dimensions!"
            )
        if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
            if indices_or_sections <= 0 or input.shape[0] % indices_or_sections:
                raise RuntimeError(
                    f"torch.vsplit attempted to split along dimension 0, but the size of the dimension "
                    f"{input.shape[0]} is not divisible by the split_size {indices_or_sections}!"
                )
            step = input.shape[0] // indices_or_sections
            return tuple(input[i * step : (i + 1) * step] for i in range(indices_or_sections))
        # Each piece is input[previous:index] with slice semantics (negative bounds wrap, out-of-range clamp).
        bounds = [0, *int_sequence(indices_or_sections, "vsplit(): argument 'indices'"), input.shape[0]]
        return tuple(input[start:stop] for start, stop in zip(bounds, bounds[1:]))

    def repeat(self, input: Any, *sizes: Any) -> Any:
        if not sizes:
            raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
        sizes = sizes_argument(sizes)
        if len(sizes) < input.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
        if any(size < 0 for size in sizes):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}")
        expanded = self.xp.reshape(input, (1,) * (len(sizes) - input.ndim) + input.shape)
        return self.xp.tile(expanded, sizes)

    def pad(self, input: Any, pad: Any, mode: str = "constant", value: Any = None) -> Any:
        pad = sizes_argument((pad,))
        if len(pad) % 2 or len(pad) // 2 > input.ndim:
            raise RuntimeError("Padding length must be divisible by 2 and at most twice the number of dimensions of the input")
        pairs = [(0, 0)] * (input.ndim - len(pad) // 2) + [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
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
        result = self.xp.full(shape, value, dtype=input.dtype)
        result[tuple(slice(max(before, 0), max(before, 0) + cropped.shape[axis]) for axis, (before, _) in enumerate(pairs))] = (
            cropped
        )
        return result

    # --- reductions and scans -------------------------------------------------
    def cumprod(self, input: Any, dim: int, *, dtype: str | None = None) -> Any:
        result_dtype = dtype or ("int64" if promotion.is_integral(self._name(input)) else self._name(input))
        dim = normalize_dim(dim, input.ndim)
        if result_dtype == "bool" and input.ndim and input.size:  # no bool kernel, reached only with elements to scan
            raise RuntimeError("\"cumprod_out_cpu\" not implemented for 'Bool'")
        values = self._as(input, result_dtype)
        if values.ndim == 0:
            return values.copy()
        if result_dtype in ("float16", "bfloat16"):
            # torch scans half precision in float32 and rounds each output once
            return self.xp.cumprod(values.astype(np.float32), axis=dim).astype(self._dtype(result_dtype))
        return self.xp.cumprod(values, axis=dim, dtype=self._dtype(result_dtype))

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
        return self.xp.argmax(input, axis=dim, keepdims=keepdim).astype(np.int64)

    def numel(self, input: Any) -> int:
        return int(input.size)

    # --- factories ------------------------------------------------------------
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
        if promotion.is_integral(dtype):
            # integral dtypes step by the truncated step from the truncated start, in int64 (wrapping).
            values = self.xp.arange(size, dtype=np.int64) * np.int64(int(step)) + np.int64(int(start))
            return values.astype(self._dtype(dtype))
        # torch accumulates start + i * step in double before casting.
        return (self.xp.arange(size, dtype=np.float64) * step + start).astype(self._dtype(dtype))

    def full(self, size: Any, fill_value: Any, *, dtype: str | None = None) -> Any:
        dtype = dtype or promotion.scalar_dtype(fill_value)
        shape = sizes_argument((size,))
        if any(s < 0 for s in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}")
        fill = self._checked_scalar(fill_value, dtype, half_unchecked=math.prod(shape) == 1)
        return self.xp.full(shape, fill, dtype=self._dtype(dtype))

    def _checked_scalar(self, value: Any, dtype: str, half_unchecked: bool = False) -> Any:
        """A Python number as a ``dtype`` scalar, raising where torch's checked conversion overflows.

        ``half_unchecked``: torch fills a one-element float16/bfloat16 tensor without the check (to inf).
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
            if not (half_unchecked and dtype in ("float16", "bfloat16")):
                if any(math.isfinite(p) and abs(p) > limit for p in parts):
                    raise error
            with np.errstate(over="ignore"):
                return np.asarray(complex(*parts) if len(parts) == 2 else parts[0]).astype(storage)
        (part,) = parts
        info = np.iinfo(storage)
        if isinstance(part, float):  # no wrapping from a float: it must lie in the dtype's range
            if not (math.isfinite(part) and info.min <= part <= info.max):
                raise error
            return np.asarray(int(part)).astype(storage)
        if part > info.max or part < (info.min if info.min < 0 else -info.max):
            raise error  # unsigned dtypes let a negative int within -max..max wrap (two's complement)
        return np.asarray(part % (int(info.max) + 1) if info.min == 0 else part).astype(storage)

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
        return SparseCOO(indices.astype(np.int64), values, tuple(size))
