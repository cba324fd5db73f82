"""Shape rules torch applies before any op computes: dims, -1 inference, views.

Pure Python over ints, shared by every backend that is not torch itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def normalize_dim(dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) as a non-negative index; 0-d tensors accept -1 and 0."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-bound}, {bound - 1}], but got {dim})")
    return dim % bound


def sizes_argument(sizes: Sequence) -> tuple[int, ...]:
    """``f(*sizes)`` accepts ``f(2, 3)`` and ``f((2, 3))`` alike, as torch does."""
    if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
        sizes = sizes[0]
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"sizes must be ints, got {type(size).__name__}")
    return tuple(sizes)


def int_sequence(value: object, what: str) -> tuple[int, ...]:
    """A ``tuple of ints`` argument (``torch.permute``'s dims, ``torch.reshape``'s shape): a bare int,
    a bool or a float element raises TypeError, as torch's argument parser does."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be tuple of ints, not {type(value).__name__}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise TypeError(f"{what} must be tuple of ints, but found element of type {type(item).__name__}")
    return tuple(value)


def infer_shape(shape: Sequence[int], numel: int) -> tuple[int, ...]:
    """Resolve one -1 in ``shape`` so it holds ``numel`` elements, or raise as torch."""
    shape = tuple(shape)
    unknown = [i for i, size in enumerate(shape) if size == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if any(size < -1 for size in shape):
        raise RuntimeError(f"invalid shape dimension {min(shape)}")
    known = math.prod(size for size in shape if size != -1)
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1 :]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def view_strides(old_shape: Sequence[int], old_strides: Sequence[int], new_shape: Sequence[int]) -> list[int] | None:
    """Strides of ``new_shape`` as a view of the old layout, or None if no view exists.

    A port of ATen's ``computeStride`` (aten/src/ATen/TensorUtils.cpp); strides in elements.
    """
    old_shape, old_strides, new_shape = list(old_shape), list(old_strides), list(new_shape)
    if not old_shape:
        return [1] * len(new_shape)
    numel = math.prod(old_shape)
    if numel == 0 and old_shape == new_shape:
        return old_strides
    new_strides = [0] * len(new_shape)
    if numel == 0:
        for view_d in range(len(new_shape) - 1, -1, -1):
            new_strides[view_d] = 1 if view_d == len(new_shape) - 1 else max(new_shape[view_d + 1], 1) * new_strides[view_d + 1]
        return new_strides
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        chunk_ends = tensor_d == 0 or (
            old_shape[tensor_d - 1] != 1 and old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride
        )
        if chunk_ends:
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    return new_strides if view_d == -1 else None


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """NumPy/torch broadcasting of shapes, raising as torch does."""
    ndim = max((len(shape) for shape in shapes), default=0)
    result = []
    for axis in range(ndim):
        sizes = {shape[len(shape) - ndim + axis] for shape in shapes if len(shape) - ndim + axis >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise RuntimeError(f"shapes {[tuple(s) for s in shapes]} cannot be broadcast together")
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def vsplit_bounds(shape: Sequence[int], indices_or_sections: Any) -> list[tuple[int, int]]:
    """The (start, stop) rows of each piece of torch.vsplit, raising as torch does.

    Sections must divide the rows evenly; indices cut with slice semantics
    (negative bounds count from the end, out-of-range ones clamp, a stop never precedes its start).
    """
    if len(shape) < 2:
        raise RuntimeError(
            f"torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with {len(shape)} dimensions!"
        )
    size = shape[0]
    if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
        sections = indices_or_sections
        if sections <= 0 or size % sections:
            raise RuntimeError(
                f"torch.vsplit attempted to split along dimension 0, but the size of the dimension {size} "
                f"is not divisible by the split_size {sections}!"
            )
        step = size // sections
        return [(i * step, (i + 1) * step) for i in range(sections)]
    cuts = list(int_sequence(indices_or_sections, "vsplit(): argument 'indices'"))
    bounds = []
    for start, stop in zip([0, *cuts], [*cuts, size]):
        start = min(max(start + size if start < 0 else start, 0), size)
        stop = max(min(max(stop + size if stop < 0 else stop, 0), size), start)
        bounds.append((start, stop))
    return bounds


def repeat_sizes(sizes: Sequence, ndim: int) -> tuple[int, ...]:
    """Tensor.repeat(*sizes)'s sizes, checked as torch checks them."""
    if not sizes:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    sizes = sizes_argument(sizes)
    if len(sizes) < ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    return check_sizes(sizes)


def check_sizes(sizes: tuple[int, ...]) -> tuple[int, ...]:
    """The sizes of a tensor to create, which must not be negative."""
    if any(size < 0 for size in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}")
    return sizes


def pad_pairs(pad: Any, ndim: int) -> list[tuple[int, int]]:
    """F.pad's flat (last dim first) pad list as one (before, after) pair per dim, first dim first."""
    pad = sizes_argument((pad,))
    if len(pad) % 2 or len(pad) // 2 > ndim:
        raise RuntimeError("Padding length must be divisible by 2 and at most twice the number of dimensions of the input")
    return [(0, 0)] * (ndim - len(pad) // 2) + [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
