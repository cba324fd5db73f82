"""Deliberately wrong backends: the harness must catch each one.

Each subclasses the NumPy backend and breaks exactly one op, the way a real
backend author's bug would.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys
import time

import numpy as np
from tensorparity.backends.base import NotImplementedOp
from tensorparity.backends.neutral import NeutralTensor
from tensorparity.backends.numpy_backend import NumpyBackend


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
        raise NotImplementedOp("mm is not written yet")


class LibraryNotImplemented(NumpyBackend):
    """mm calls a library that raises a bare NotImplementedError: an error, not a gap."""

    name = "library_not_implemented"

    def mm(self, input, mat2):
        raise NotImplementedError("no BLAS for this")


class ListAdd(NumpyBackend):
    """add returns a Python list where a tensor is due."""

    name = "list_add"

    def add(self, input, other, *, alpha=1):
        return np.asarray(super().add(input, other, alpha=alpha)).tolist()


def _det_without_transpose(backend, g, args, kwargs, out):
    """det's VJP with the classic slip: the adjugate where its transpose (the cofactor) belongs."""
    from tensorparity.backends.autodiff import _matrix_transpose, cofactor_matrix

    (a,) = args
    shape = backend.shape_of(a)
    g = backend.reshape(g, (*shape[:-2], 1, 1))
    return (backend.mul(g, _matrix_transpose(backend, cofactor_matrix(backend, a))),)


class WrongDetGradient(NumpyBackend):
    """Forward ops right; det's gradient rule wrong."""

    name = "wrong_det_grad"

    @property
    def vjp_rules(self):
        from tensorparity.backends.autodiff import VJP_RULES

        return {**VJP_RULES, "det": _det_without_transpose}


class NegativeInt8Add(NumpyBackend):
    """add is off by one wherever an int8 input element is negative, and right everywhere else."""

    name = "negative_int8_add"

    def add(self, input, other, *, alpha=1):
        result = super().add(input, other, alpha=alpha)
        if getattr(input, "dtype", None) == np.int8 and np.asarray(result).dtype == np.int8 and (np.asarray(input) < 0).any():
            result = np.where(np.broadcast_to(np.asarray(input) < 0, np.shape(result)), result + np.int8(1), result)
        return result


# --- backends that misbehave beyond a wrong answer: the run must survive each ---


SEED_TENSOR_A = np.array([[1, 2], [3, 4]], dtype=np.float32)  # the seed's tensor_a.float() (exp's case seed_3_10)


def is_seed_tensor_a(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == np.float32 and np.array_equal(value, SEED_TENSOR_A)


class HangingExp(NumpyBackend):
    """exp never returns on the seed's example input (float32 [[1, 2], [3, 4]]): only a per-case timeout stops it."""

    name = "hanging_exp"

    def exp(self, input):
        while is_seed_tensor_a(input):
            time.sleep(3600)
        return super().exp(input)


class ExitingExp(NumpyBackend):
    """exp ends the interpreter with os._exit, as a fatal error in native code would."""

    name = "exiting_exp"

    def exp(self, input):
        os._exit(3)


class SegfaultingExp(NumpyBackend):
    """exp dereferences a null pointer on float64 input: the interpreter dies of SIGSEGV."""

    name = "segfaulting_exp"

    def exp(self, input):
        if getattr(input, "dtype", None) == np.float64:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file from a test
            ctypes.string_at(0)
        return super().exp(input)


class SysExitExp(NumpyBackend):
    """exp calls sys.exit: an error on the case, not the end of the harness."""

    name = "sys_exit_exp"

    def exp(self, input):
        sys.exit(4)


class _Opaque:
    """Not a tensor, not a number, and hostile to inspection."""

    def __eq__(self, other):
        raise RuntimeError("comparing me fails")

    __hash__ = None

    def __len__(self):
        raise RuntimeError("len() fails")

    def __repr__(self):
        raise RuntimeError("repr() fails")


class _BadStr(Exception):
    def __str__(self):
        raise RuntimeError("str() of this exception fails")


class GarbageOutputs(NumpyBackend):
    """Each op returns a different kind of garbage; each must be a mismatch or an error with a clear message."""

    name = "garbage_outputs"

    def add(self, input, other, *, alpha=1):
        return "not a tensor"

    def sub(self, input, other, *, alpha=1):
        return np.asarray(super().sub(input, other, alpha=alpha)).reshape(-1)[None]  # an extra dimension

    def mul(self, input, other):
        result = np.asarray(super().mul(input, other))
        return np.full_like(result, np.nan) if result.dtype.kind in "fc" else result

    def exp(self, input):
        return _Opaque()

    def mm(self, input, mat2):
        return np.array([["a", "b"]], dtype=object)  # to_neutral cannot name this dtype: it raises

    def div(self, input, other, *, rounding_mode=None):
        return (x for x in range(3))

    def cat(self, tensors, dim=0):
        return list(tensors)

    def numel(self, input):
        return _Opaque()

    def gt(self, input, other):
        raise _BadStr()

    def lt(self, input, other):
        return np.float64("nan")


class LyingToNeutral(NumpyBackend):
    """to_neutral returns a neutral tensor whose array is not numbers at all, or raises outright."""

    name = "lying_to_neutral"

    def tensor_to_neutral(self, native):
        converted = super().tensor_to_neutral(native)
        if isinstance(converted, NeutralTensor) and converted.dtype.startswith("float"):
            return NeutralTensor(np.full(converted.array.shape, "x", dtype=object), converted.dtype)
        if isinstance(converted, NeutralTensor) and converted.dtype.startswith("int"):
            raise ValueError("to_neutral is broken for ints")
        return converted


class StallingExp(NumpyBackend):
    """exp blocks forever while TENSORPARITY_TEST_STALL=1 is set, and is correct otherwise:
    a run to interrupt, then to resume."""

    name = "stalling_exp"

    def exp(self, input):
        while os.environ.get("TENSORPARITY_TEST_STALL") == "1":
            time.sleep(3600)
        return super().exp(input)


class Unpicklable(NumpyBackend):
    """Holds a lambda, so it cannot be sent to a worker process."""

    name = "unpicklable"

    def __init__(self):
        self.hook = lambda value: value


class ThreadsAsVersion(NumpyBackend):
    """Reports the OMP_NUM_THREADS its process runs with as its version (what --jobs sets)."""

    name = "threads_as_version"

    def version(self):
        return os.environ.get("OMP_NUM_THREADS", "unset")


class UnavailableHere(NumpyBackend):
    """Says it cannot run on this machine, as the CuPy backend does without a GPU."""

    name = "unavailable_here"

    def unavailable_reason(self):
        return "needs a device this machine lacks"
