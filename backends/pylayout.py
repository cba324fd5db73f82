"""The pure-Python backend's shape and layout ops: views share their input's storage, as torch's do;
cat, repeat and pad copy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tensorparity.backends.pymath import pad_source
from tensorparity.backends.pytensor import PAD, ZERO, PyTensor, cast, checked_number, take
from tensorparity.backends.semantics import checks, promotion
from tensorparity.backends.semantics.shapes import normalize_dim, pad_pairs, repeat_sizes, view_strides, vsplit_bounds


def transpose(input: PyTensor, dim0: int, dim1: int) -> PyTensor:
    first, second = normalize_dim(dim0, input.ndim), normalize_dim(dim1, input.ndim)
    if input.ndim == 0:
        return input.restrided((), ())
    shape, strides = list(input.shape), list(input.strides)
    shape[first], shape[second] = shape[second], shape[first]
    strides[first], strides[second] = strides[second], strides[first]
    return input.restrided(shape, strides)


def permute(input: PyTensor, dims: Any) -> PyTensor:
    order = checks.permute_dims(dims, input.ndim)
    return input.restrided([input.shape[d] for d in order], [input.strides[d] for d in order])


def view(input: PyTensor, *shape: Any) -> PyTensor:
    shape = checks.view_shape(shape, input.numel)
    return input.restrided(shape, checks.checked_view_strides(input.shape, input.strides, shape))


def reshape(input: PyTensor, shape: Any) -> PyTensor:
    shape = checks.reshape_shape(shape, input.numel)
    strides = view_strides(input.shape, input.strides, shape)
    if strides is None:  # no view exists: copy, as torch does
        return PyTensor(input.values(), shape, input.dtype)
    return input.restrided(shape, strides)


def cat(tensors: Sequence[PyTensor], dim: int = 0) -> PyTensor:
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


def vsplit(input: PyTensor, indices_or_sections: Any) -> tuple[PyTensor, ...]:
    return tuple(
        input.restrided((stop - start, *input.shape[1:]), input.strides, input.offset + start * input.strides[0])
        for start, stop in vsplit_bounds(input.shape, indices_or_sections)
    )


def repeat(input: PyTensor, *sizes: Any) -> PyTensor:
    sizes = repeat_sizes(sizes, input.ndim)
    lead = len(sizes) - input.ndim
    shape, strides = (1,) * lead + input.shape, (0,) * lead + input.strides
    per_dim = [[(k % n) * s for k in range(n * r)] for n, s, r in zip(shape, strides, sizes)]
    return PyTensor(take(input.data, input.offset, per_dim), [n * r for n, r in zip(shape, sizes)], input.dtype)


def pad(input: PyTensor, pad: Any, mode: str = "constant", value: Any = None) -> PyTensor:
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
