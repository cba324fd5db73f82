"""The array module backend's factories: arange, full and sparse_coo_tensor."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from tensorparity.backends import exotic, kernels
from tensorparity.backends.array_base import HALF, ArrayModuleBase
from tensorparity.backends.array_types import SparseCOO
from tensorparity.backends.semantics import checks, promotion


class FactoryOps(ArrayModuleBase):
    """Tensors made from numbers and sizes."""

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
