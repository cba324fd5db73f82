"""Bugs the spec missed before issue 15: each is planted in a copy of the NumPy backend.

torch's OpInfo samples found these disagreements; the spec's own cases must
catch each one now, without the OpInfo suite.
"""

from __future__ import annotations

import numpy as np
from tensorparity.backends.numpy_backend import NumpyBackend


class AccumulatingArange(NumpyBackend):
    """Float arange adds the step to a running value in the output dtype: start, start + step, ..."""

    name = "accumulating_arange"

    def arange(self, start, end=None, step=1, *, dtype=None):
        result = super().arange(start, end, step, dtype=dtype)
        if result.dtype.kind != "f" or result.size < 2:
            return result
        first = result[0]
        steps = np.full(result.size - 1, step, dtype=result.dtype)
        return np.concatenate([[first], first + np.cumsum(steps, dtype=result.dtype)]).astype(result.dtype)


class ComplexZeroToZeroIsOne(NumpyBackend):
    """Complex 0 ** 0 with a tensor exponent is 1 (torch: nan+nanj), as NumPy's power gives it."""

    name = "complex_zero_pow_one"

    def pow(self, input, exponent):
        result = super().pow(input, exponent)
        if not (isinstance(result, np.ndarray | np.generic) and result.dtype.kind == "c"):
            return result
        if isinstance(input, np.ndarray | np.generic) and isinstance(exponent, np.ndarray | np.generic):
            zero = np.broadcast_to((np.asarray(input) == 0) & (np.asarray(exponent) == 0), np.shape(result))
            result = np.where(zero, np.ones((), dtype=result.dtype), result)
        return result


class Float64NumberPlusTensor(NumpyBackend):
    """torch.add(5.1, t) with a Python float as input computes in float64, whatever t's dtype."""

    name = "float64_number_add"

    def add(self, input, other, *, alpha=1):
        if isinstance(input, float) and isinstance(other, np.ndarray):
            return np.add(np.float64(input), other.astype(np.float64) * alpha)
        return super().add(input, other, alpha=alpha)
