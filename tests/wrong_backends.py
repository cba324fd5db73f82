"""Deliberately wrong backends: the harness must catch each one.

Each subclasses the NumPy backend and breaks exactly one op, the way a real
backend author's bug would.
"""

from __future__ import annotations

import numpy as np

from backends.numpy_backend import NumpyBackend


class WrongDtypeDiv(NumpyBackend):
    """div returns float64 where torch gives float32."""

    name = "wrong_dtype_div"

    def div(self, input, other, *, rounding_mode=None):
        return super().div(input, other, rounding_mode=rounding_mode).astype(np.float64)


class OneElementOffAdd(NumpyBackend):
    """add gets the last element wrong by one."""

    name = "one_off_add"

    def add(self, input, other, *, alpha=1):
        result = np.array(super().add(input, other, alpha=alpha))
        if result.size:
            result.reshape(-1)[-1] += 1
        return result


class SilentDet(NumpyBackend):
    """det computes on integer input where torch raises."""

    name = "silent_det"

    def det(self, input):
        return np.asarray(np.linalg.det(np.asarray(input, dtype=np.float64)))


class RaisingExp(NumpyBackend):
    """exp raises where torch computes."""

    name = "raising_exp"

    def exp(self, input):
        raise ValueError("exp is broken")


class MissingOps(NumpyBackend):
    """A backend that lacks ops: they are reported as not implemented."""

    name = "missing_ops"
    det = None  # type: ignore[assignment]

    def mm(self, input, mat2):
        raise NotImplementedError("mm is not written yet")


class ListAdd(NumpyBackend):
    """add returns a Python list where a tensor is due."""

    name = "list_add"

    def add(self, input, other, *, alpha=1):
        return np.asarray(super().add(input, other, alpha=alpha)).tolist()
