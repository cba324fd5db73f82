"""The pure-Python backend: torch's ops on ``PyTensor``, computed with the standard library only.

Every op validates as torch does (raising where torch raises; the checks are
``semantics.checks``), takes its result dtype from ``semantics.promotion`` and its
shape rules from ``semantics.shapes``, then computes exactly (integers, then wrapped)
or in double precision (floats, then rounded to the dtype through ``array``/``struct``),
so a float32 sum is the correctly rounded float32 sum, as torch's is. NumPy appears only
in the two conversion methods, which translate the harness's neutral values.

This module holds the class: conversion, the autodiff helpers, and one method per op id,
each calling the plain function that computes the op, by family: ``pyelementwise``
(arithmetic, powers, comparisons, where, masked_select), ``pylinalg`` (mm, bmm, det),
``pylayout`` (views, cat, vsplit, repeat, pad), ``pyreduce`` (cumprod, argmax, numel),
``pyfactories`` (arange, full, sparse_coo_tensor). ``pytensor`` is the tensor and its
rounding, ``pymath`` the IEEE scalar arithmetic and loops.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Sequence
from typing import Any

from tensorparity.backends import pyelementwise, pyfactories, pylayout, pylinalg, pyreduce
from tensorparity.backends.base import Backend, UnsupportedDtype
from tensorparity.backends.neutral import STORAGE, NeutralSparse, NeutralTensor
from tensorparity.backends.pyfactories import PySparse
from tensorparity.backends.pytensor import ONE, SUPPORTED, ZERO, PyTensor, cast, contiguous_strides, element_offsets, finish


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

    # --- elementwise arithmetic (pyelementwise) ---------------------------------------
    def add(self, input: Any, other: Any, *, alpha: Any = 1) -> PyTensor:
        return pyelementwise.add(input, other, alpha=alpha)

    def sub(self, input: Any, other: Any, *, alpha: Any = 1) -> PyTensor:
        return pyelementwise.sub(input, other, alpha=alpha)

    def mul(self, input: Any, other: Any) -> PyTensor:
        return pyelementwise.mul(input, other)

    def div(self, input: Any, other: Any, *, rounding_mode: str | None = None) -> PyTensor:
        return pyelementwise.div(input, other, rounding_mode=rounding_mode)

    def pow(self, input: Any, exponent: Any) -> PyTensor:
        return pyelementwise.pow(input, exponent)

    def exp(self, input: PyTensor) -> PyTensor:
        return pyelementwise.exp(input)

    def gt(self, input: Any, other: Any) -> PyTensor:
        return pyelementwise.gt(input, other)

    def lt(self, input: Any, other: Any) -> PyTensor:
        return pyelementwise.lt(input, other)

    def where(self, condition: PyTensor, input: Any, other: Any) -> PyTensor:
        return pyelementwise.where(condition, input, other)

    def masked_select(self, input: PyTensor, mask: PyTensor) -> PyTensor:
        return pyelementwise.masked_select(input, mask)

    # --- linear algebra (pylinalg) ------------------------------------------------------
    def mm(self, input: PyTensor, mat2: PyTensor) -> PyTensor:
        return pylinalg.mm(input, mat2)

    def bmm(self, input: PyTensor, mat2: PyTensor) -> PyTensor:
        return pylinalg.bmm(input, mat2)

    def det(self, input: PyTensor) -> PyTensor:
        return pylinalg.det(input)

    # --- shape and layout: views share storage (pylayout) -------------------------------
    def transpose(self, input: PyTensor, dim0: int, dim1: int) -> PyTensor:
        return pylayout.transpose(input, dim0, dim1)

    def permute(self, input: PyTensor, dims: Any) -> PyTensor:
        return pylayout.permute(input, dims)

    def view(self, input: PyTensor, *shape: Any) -> PyTensor:
        return pylayout.view(input, *shape)

    def reshape(self, input: PyTensor, shape: Any) -> PyTensor:
        return pylayout.reshape(input, shape)

    def cat(self, tensors: Sequence[PyTensor], dim: int = 0) -> PyTensor:
        return pylayout.cat(tensors, dim)

    def vsplit(self, input: PyTensor, indices_or_sections: Any) -> tuple[PyTensor, ...]:
        return pylayout.vsplit(input, indices_or_sections)

    def repeat(self, input: PyTensor, *sizes: Any) -> PyTensor:
        return pylayout.repeat(input, *sizes)

    def pad(self, input: PyTensor, pad: Any, mode: str = "constant", value: Any = None) -> PyTensor:
        return pylayout.pad(input, pad, mode, value)

    # --- reductions and scans (pyreduce) ------------------------------------------------
    def cumprod(self, input: PyTensor, dim: int, *, dtype: str | None = None) -> PyTensor:
        return pyreduce.cumprod(input, dim, dtype=pyfactories.supported_dtype(dtype, self.name))

    def argmax(self, input: PyTensor, dim: int | None = None, keepdim: bool = False) -> PyTensor:
        return pyreduce.argmax(input, dim, keepdim)

    def numel(self, input: PyTensor) -> int:
        return pyreduce.numel(input)

    # --- factories (pyfactories) ----------------------------------------------------------
    def arange(self, start: Any, end: Any = None, step: Any = 1, *, dtype: str | None = None) -> PyTensor:
        return pyfactories.arange(start, end, step, dtype=dtype, backend=self.name)

    def full(self, size: Any, fill_value: Any, *, dtype: str | None = None) -> PyTensor:
        return pyfactories.full(size, fill_value, dtype=dtype, backend=self.name)

    def sparse_coo_tensor(self, indices: PyTensor, values: PyTensor, size: Any = None, *, dtype: str | None = None) -> PySparse:
        return pyfactories.sparse_coo_tensor(indices, values, size, dtype=dtype, backend=self.name)
