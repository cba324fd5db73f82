"""The array module backend's shape and layout ops: views, cat, vsplit, repeat and pad."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from tensorparity.backends import exotic
from tensorparity.backends.array_base import ArrayModuleBase
from tensorparity.backends.semantics import checks, promotion
from tensorparity.backends.semantics.shapes import normalize_dim, pad_pairs, repeat_sizes, vsplit_bounds


class LayoutOps(ArrayModuleBase):
    """Views (transpose, permute, view, reshape, vsplit) and copies (cat, repeat, pad)."""

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
