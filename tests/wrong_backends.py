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


def _det_without_transpose(backend, g, args, kwargs, out):
    """det's VJP with the classic slip: the adjugate where its transpose (the cofactor) belongs."""
    from backends.autodiff import _matrix_transpose, cofactor_matrix

    (a,) = args
    shape = backend.shape_of(a)
    g = backend.reshape(g, (*shape[:-2], 1, 1))
    return (backend.mul(g, _matrix_transpose(backend, cofactor_matrix(backend, a))),)


class WrongDetGradient(NumpyBackend):
    """Forward ops right; det's gradient rule wrong."""

    name = "wrong_det_grad"

    @property
    def vjp_rules(self):
        from backends.autodiff import VJP_RULES

        return {**VJP_RULES, "det": _det_without_transpose}


class NegativeInt8Add(NumpyBackend):
    """add is off by one wherever an int8 input element is negative, and right everywhere else."""

    name = "negative_int8_add"

    def add(self, input, other, *, alpha=1):
        result = super().add(input, other, alpha=alpha)
        if getattr(input, "dtype", None) == np.int8 and np.asarray(result).dtype == np.int8 and (np.asarray(input) < 0).any():
            result = np.where(np.broadcast_to(np.asarray(input) < 0, np.shape(result)), result + np.int8(1), result)
        return result
