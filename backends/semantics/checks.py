"""torch's argument checks, written once for every backend that is not torch.

Each function takes plain facts (shapes, dtype names, ints, Python numbers; a
predicate where a fact is costly and only sometimes needed), never a backend's
tensor, and raises what torch raises where torch raises, or returns what the check
worked out on the way (a normalized dim, an output shape). The NumPy/CuPy and the
pure-Python backends both call these, so each message has one copy
(tests/test_checks.py keeps it so). Shape rules that are checks too live in
``shapes`` (vsplit_bounds, repeat_sizes, pad_pairs), alpha's in ``promotion``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from tensorparity.backends.semantics.promotion import is_complex, is_floating, is_integral
from tensorparity.backends.semantics.shapes import (
    check_sizes,
    infer_shape,
    int_sequence,
    normalize_dim,
    sizes_argument,
    view_strides,
)

# Where an integer division's quotient does not fit: min / -1. torch computes int8 and int16 in
# int and wraps; int32 and int64 trap (SIGFPE), and torch dies.
_TRAPPING_DIVIDEND = {"int32": -(2**31), "int64": -(2**63)}


# --- elementwise ---------------------------------------------------------------
def check_binary_operands(input_is_tensor: bool, input_type: type, other_is_operand: bool, other_type: type) -> None:
    """An elementwise op's ``input`` must be a tensor, its ``other`` a tensor or a Python number."""
    if not input_is_tensor:
        raise TypeError(f"input must be a tensor, got {input_type.__name__}")
    if not other_is_operand:
        raise TypeError(f"other must be a tensor or a number, got {other_type.__name__}")


def check_sub_operands(input_dtype: str | None, other_dtype: str | None) -> None:
    """torch.sub refuses bool operands. ``input_dtype``: the input tensor's dtype (None for no tensor);
    ``other_dtype``: the other tensor's, or a Python number's (a bool's is bool)."""
    if input_dtype == "bool" or other_dtype == "bool":
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported.")


def check_rounding_mode(rounding_mode: Any) -> None:
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


def check_rounding_division(rounding_mode: str, dtype: str) -> None:
    """div with a rounding mode has no complex or bool kernel (``dtype``: the promoted dtype)."""
    if is_complex(dtype) or dtype == "bool":
        raise NotImplementedError(f"div_{rounding_mode}_cpu not implemented for '{dtype}'")


def check_integer_division(
    rounding_mode: str, dtype: str, has_quotients: bool, zero_divisor: bool, min_over_minus_one: Callable[[int], bool]
) -> None:
    """Integer div with a rounding mode, in ``dtype``: a zero divisor raises, where any quotient is
    computed (``has_quotients``: the broadcast shape has elements). int32/int64 min / -1 truncated
    kills torch with SIGFPE; the torch backend raises there instead, and so do we.
    ``min_over_minus_one(low)``: whether some dividend equal to ``low`` meets a divisor of -1
    (asked only for those dtypes)."""
    if has_quotients and zero_divisor:
        raise RuntimeError("ZeroDivisionError")
    low = _TRAPPING_DIVIDEND.get(dtype)
    if rounding_mode == "trunc" and low is not None and min_over_minus_one(low):
        raise RuntimeError("integer overflow in division (torch crashes the process with SIGFPE here)")


def check_integer_power(base_dtype: str, exponent: Any) -> None:
    """torch.pow(Tensor, Number): an integral (or bool) tensor to a negative Python int."""
    if is_integral(base_dtype) and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def check_pow_dtype(dtype: str) -> None:
    """Tensor ** Tensor has no bool kernel (``dtype``: the promoted dtype)."""
    if dtype == "bool":
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")


def check_comparable(dtype: str) -> None:
    """gt and lt have no complex kernel (``dtype``: the promoted dtype)."""
    if is_complex(dtype):
        raise NotImplementedError("comparison is not implemented for complex tensors")


def check_where_condition(condition_dtype: str | None) -> None:
    """torch.where's condition: a bool tensor, or (deprecated, nonzero meaning True) a uint8 one; None: no tensor."""
    if condition_dtype not in ("bool", "uint8"):
        raise RuntimeError("where expected condition to be a boolean tensor")


def check_mask(mask_dtype: str) -> None:
    """masked_select's mask: a bool tensor (``mask_dtype``: its dtype, or what it is instead)."""
    if mask_dtype != "bool":
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask_dtype}")


# --- conversion of Python numbers --------------------------------------------------
def scalar_overflows(
    value: bool | int | float | complex, dtype: str, low: float, high: float, *, one_element: bool = False
) -> bool:
    """torch's checked conversion of a Python number to ``dtype`` (full's fill value, F.pad's value,
    alpha): raises where ``value`` lies beyond the dtype's range, which the caller gives as numbers,
    ``low`` and ``high``: an integral dtype's integer range, or the finite extremes of a floating
    dtype (of each part of a complex one). inf and NaN convert to floating dtypes; an unsigned dtype
    lets a negative int within -high..high wrap; a float must lie in an integral dtype's range.

    ``one_element``: the value fills a one-element tensor, which torch fills unchecked where it is
    float16 or bfloat16 (the cast makes ±inf). Returns whether the value overflows, which it can
    only do there without raising."""
    if dtype == "bool" or isinstance(value, bool):
        return False
    if isinstance(value, complex) and not is_complex(dtype):
        if value.imag != 0:  # a nonzero imaginary part overflows any real dtype
            raise RuntimeError(f"value cannot be converted to type {dtype} without overflow")
        value = value.real
    if is_integral(dtype):
        if isinstance(value, float):  # no wrapping from a float
            overflows = not (math.isfinite(value) and low <= value <= high)
        else:
            overflows = value > high or value < (low if low < 0 else -high)
    elif isinstance(value, complex):
        overflows = any(math.isfinite(part) and not low <= part <= high for part in (value.real, value.imag))
    else:  # compared in double, as torch converts the Scalar to double first
        value = float(value)
        overflows = math.isfinite(value) and not low <= value <= high
    if overflows and not (one_element and dtype in ("float16", "bfloat16")):
        raise RuntimeError(f"value cannot be converted to type {dtype} without overflow")
    return overflows


# --- linear algebra ---------------------------------------------------------------
def check_matmul(
    op: str, ndim: int, input_shape: Sequence[int], input_dtype: str, mat2_shape: Sequence[int], mat2_dtype: str
) -> None:
    """mm (``ndim`` 2) and bmm (3): matching dims, dtypes and inner sizes; no bool kernel, which torch
    only reaches where there are products to sum."""
    input_shape, mat2_shape = tuple(input_shape), tuple(mat2_shape)
    if len(input_shape) != ndim or len(mat2_shape) != ndim:
        raise RuntimeError(f"{op}: expected {ndim}-D tensors, got {len(input_shape)}-D and {len(mat2_shape)}-D")
    if input_dtype != mat2_dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {input_dtype} != {mat2_dtype}")
    if input_shape[:-2] != mat2_shape[:-2] or input_shape[-1] != mat2_shape[-2]:
        raise RuntimeError(f"{op}: shapes {input_shape} and {mat2_shape} cannot be multiplied")
    if input_dtype == "bool" and math.prod(input_shape) and math.prod(mat2_shape):
        raise NotImplementedError(f"{op} is not implemented for 'Bool'")


def check_det(dtype: str, shape: Sequence[int]) -> None:
    """linalg.det: batches of square floating or complex matrices; no half-precision LU kernel,
    which torch skips (and its dtype check with it) for an empty input."""
    if not (is_floating(dtype) or is_complex(dtype)):
        raise RuntimeError(f"linalg.det: Expected a floating point or complex tensor as input. Got {dtype}")
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise RuntimeError("linalg.det: A must be batches of square matrices")
    if dtype in ("float16", "bfloat16") and math.prod(shape):
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{dtype}'")


# --- shape and layout ---------------------------------------------------------------
def permute_dims(dims: Any, ndim: int) -> list[int]:
    """torch.permute's dims, normalized: one per dim of the input, no dim twice."""
    dims = int_sequence(dims, "permute(): argument 'dims'")
    if len(dims) != ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired "
            f"ordering of dimensions i.e. input.dim() = {ndim} is not equal to len(dims) = {len(dims)}"
        )
    order = [normalize_dim(dim, ndim) for dim in dims]
    if len(set(order)) != len(order):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return order


def view_shape(shape: Sequence, numel: int) -> tuple[int, ...]:
    """Tensor.view(*shape)'s shape (one -1 inferred) for a tensor of ``numel`` elements."""
    if not shape:
        raise TypeError("view() missing its size argument")
    return infer_shape(sizes_argument(shape), numel)


def checked_view_strides(old_shape: Sequence[int], old_strides: Sequence[int], new_shape: Sequence[int]) -> list[int]:
    """The strides of a view of the old layout as ``new_shape`` (strides in elements), where one exists."""
    strides = view_strides(old_shape, old_strides, new_shape)
    if strides is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead."
        )
    return strides


def reshape_shape(shape: Any, numel: int) -> tuple[int, ...]:
    """torch.reshape's shape argument (a tuple of ints, one -1 inferred) for ``numel`` elements."""
    return infer_shape(int_sequence(shape, "reshape(): argument 'shape'"), numel)


def cat_layout(shapes: Sequence[Sequence[int]], dim: int) -> tuple[list[int], int]:
    """torch.cat of tensors of ``shapes``: (the positions of the tensors it joins, the dim normalized).

    torch still skips legacy empty 1-d tensors of shape (0,), and checks nothing more where
    nothing else is left: ([], 0). The others must agree in all sizes but ``dim``'s."""
    if not shapes:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    kept = [position for position, shape in enumerate(shapes) if tuple(shape) != (0,)]
    if not kept:
        return kept, 0
    if any(len(shapes[position]) == 0 for position in kept):
        raise RuntimeError("zero-dimensional tensor cannot be concatenated")
    first = tuple(shapes[kept[0]])
    dim = normalize_dim(dim, len(first))
    others = first[:dim] + first[dim + 1 :]
    for position in kept:
        shape = tuple(shapes[position])
        if len(shape) != len(first) or shape[:dim] + shape[dim + 1 :] != others:
            raise RuntimeError("Sizes of tensors must match except in dimension")
    return kept, dim


def pad_constant_shape(shape: Sequence[int], pairs: Sequence[tuple[int, int]]) -> list[int]:
    """F.pad's output shape in constant mode: negative pads crop (torch narrows each side), positive ones fill."""
    if any(max(-before, 0) + max(-after, 0) > size for size, (before, after) in zip(shape, pairs)):
        raise RuntimeError("narrow(): length must be non-negative.")
    out_shape = [size + before + after for size, (before, after) in zip(shape, pairs)]
    if any(size < 0 for size in out_shape):
        raise RuntimeError(f"The input size {tuple(shape)} plus negative padding results in a negative output size")
    return out_shape


def pad_mode_shape(
    mode: str, value: Any, pad_length: int, shape: Sequence[int], dtype: str, pairs: Sequence[tuple[int, int]]
) -> list[int]:
    """F.pad's output shape in reflect, replicate or circular mode, the last ``pad_length // 2`` dims padded.

    torch raises NotImplementedError for an unknown mode, a value, and a pad length the mode has no
    kernel for; RuntimeError here, since the harness reads a backend's NotImplementedError as a gap
    of the backend itself."""
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:  # torch accepts value=0 for every mode
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    ndim, padded_dims = len(shape), pad_length // 2
    if padded_dims > 3 or ndim not in (padded_dims + 1, padded_dims + 2):
        raise NotImplementedError(f"Padding size {pad_length} is not supported for {ndim}D input tensor.")
    if mode != "circular" and dtype == "bool":
        raise NotImplementedError(
            f"\"{'reflection' if mode == 'reflect' else 'replication'}_pad{padded_dims}d\" not implemented for 'Bool'"
        )
    if mode != "circular" and 0 in shape[1 if ndim == padded_dims + 2 else 0 :]:
        raise RuntimeError(
            f"Expected {padded_dims + 1}D or {padded_dims + 2}D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: {list(shape)}"
        )
    out_shape = [size + before + after for size, (before, after) in zip(shape, pairs)]
    first = ndim - padded_dims
    for size, (before, after), out in list(zip(shape, pairs, out_shape))[first:]:
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError("Padding size should be less than the corresponding input dimension")
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        kept = size - max(-before, 0) - max(-after, 0)
        if mode == "circular" and 0 < kept < max(before, after) and math.prod(out_shape):
            # torch copies the wrap from its own output, and refuses where the two overlap
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location."
            )
        if out < 0:
            raise RuntimeError(f"input (W: {size}) is too small. Calculated output W: {out}")
    if mode != "circular" and all(out < 1 for out in out_shape[first:]):
        raise RuntimeError(f"input {tuple(shape)} is too small. Calculated output {tuple(out_shape)}")
    return out_shape


# --- reductions and scans ---------------------------------------------------------------
def cumprod_dim(dim: int, shape: Sequence[int], result_dtype: str) -> int:
    """cumprod's dim, normalized; no bool kernel, which torch reaches only with elements to scan."""
    dim = normalize_dim(dim, len(shape))
    if result_dtype == "bool" and len(shape) and math.prod(shape):
        raise NotImplementedError("\"cumprod_out_cpu\" not implemented for 'Bool'")
    return dim


def argmax_dim(dtype: str, shape: Sequence[int], dim: int | None) -> int | None:
    """argmax's dim, normalized (None: over all elements); no bool or complex kernel, and a
    reduction needs elements (a 0-d input needs none: its argmax is 0)."""
    if dtype == "bool" or is_complex(dtype):
        raise RuntimeError(f"argmax(): does not support {'bool' if dtype == 'bool' else 'complex'} input")
    if dim is None:
        if math.prod(shape) == 0:
            raise IndexError("argmax(): Expected reduction dim to be specified for input.numel() == 0.")
        return None
    dim = normalize_dim(dim, len(shape))
    if len(shape) and shape[dim] == 0:
        raise IndexError("argmax(): Expected reduction dim to have non-zero size.")
    return dim


# --- factories -----------------------------------------------------------------------
def check_arange(start: float, end: float, step: float, dtype: str) -> None:
    """torch.arange's checks on its numbers, as given (before any conversion to ``dtype``)."""
    if dtype == "bool" or is_complex(dtype):  # no bool or complex kernel
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{dtype}'")
    if step == 0 or (dtype == "int64" and int(step) == 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")


def check_arange_size(size: int) -> None:
    """The number of elements torch.arange computed from its numbers must be an int64."""
    if size < 0 or size > 2**63 - 1:
        raise RuntimeError("invalid size, possible overflow?")


def full_shape(size: Any) -> tuple[int, ...]:
    """torch.full's size argument, checked."""
    return check_sizes(sizes_argument((size,)))


def check_sparse_indices(indices_shape: Sequence[int], values_shape: Sequence[int]) -> None:
    """torch.sparse_coo_tensor: indices of shape (sparse_dim, nnz), one value (a slice of values) per index."""
    if len(indices_shape) != 2:
        raise RuntimeError("indices must be an int64 tensor of shape (sparse_dim, nnz)")
    if len(values_shape) == 0 or indices_shape[1] != values_shape[0]:
        raise RuntimeError(
            f"indices and values must have same nnz, but got nnz from indices: {indices_shape[1]}, "
            f"nnz from values: {values_shape[0] if len(values_shape) else 0}"
        )


def sparse_size(
    sparse_dims: int, values_shape: Sequence[int], size: Any, minima: Sequence[int], maxima: Sequence[int]
) -> tuple[int, ...]:
    """torch.sparse_coo_tensor's size: ``size`` checked against the indices and values, or (None)
    inferred from them. ``minima`` and ``maxima``: each sparse dim's least and greatest index (the
    indices as int64), empty where there are no indices (nnz 0)."""
    for dim, least in enumerate(minima):
        if least < 0:
            raise RuntimeError(f"found negative index {least} for dim {dim}")
    dense = tuple(values_shape[1:])
    if size is None:
        return (tuple(int(m) + 1 for m in maxima) if len(maxima) else (0,) * sparse_dims) + dense
    size = sizes_argument((size,))
    if len(size) != sparse_dims + len(dense):
        raise RuntimeError(
            f"number of dimensions must be sparse_dim ({sparse_dims}) + dense_dim ({len(dense)}), but got {len(size)}"
        )
    if tuple(size[sparse_dims:]) != dense:
        raise RuntimeError(
            f"values has incorrect size, expected {[values_shape[0], *size[sparse_dims:]]}, got {list(values_shape)}"
        )
    if len(maxima) and any(largest >= bound for largest, bound in zip(maxima, size)):
        raise RuntimeError("size is inconsistent with indices")
    return tuple(size)


def check_tensor_argument(op: str, name: str, position: int, value: Any, is_tensor: bool) -> None:
    """torch's argument parser: a Python value where only a Tensor will do is a TypeError."""
    if not is_tensor:
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")
