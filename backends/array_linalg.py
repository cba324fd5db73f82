"""The array module backend's linear algebra: mm, bmm and det, in torch's order where it shows (``kernels``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from tensorparity.backends import exotic, kernels
from tensorparity.backends.array_base import HALF, ArrayModuleBase
from tensorparity.backends.semantics import checks


class LinalgOps(ArrayModuleBase):
    """Matrix products and determinants."""

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
