"""What every op of the array module backend stands on: ``xp``, conversion, dtypes, operands.

``ArrayModuleBase`` holds the state and helpers the op families share; the ops are its
subclasses in array_elementwise, array_linalg, array_layout, array_reduce and
array_factories, joined into ``ArrayModuleBackend`` in array_module.
"""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np
from tensorparity.backends import exotic
from tensorparity.backends.array_types import SparseCOO
from tensorparity.backends.base import Backend, UnsupportedDtype
from tensorparity.backends.exotic import Exotic
from tensorparity.backends.neutral import PAIRED, QUANTIZED, STORAGE, NeutralSparse, NeutralTensor, dtype_name_of
from tensorparity.backends.semantics import checks, promotion
from tensorparity.backends.semantics.shapes import broadcast_shapes

HALF = ("float16", "bfloat16")  # torch computes these in float32 ("opmath") and rounds once

# The torch name of each plain dtype, looked up by the dtype itself: every op asks for it, and
# dtype_name_of (a scan of STORAGE comparing dtypes, on a throwaway empty array) cost about 1 us a call.
_TORCH_NAME: dict[np.dtype, str] = {
    storage: name for name, storage in reversed(STORAGE.items()) if name not in QUANTIZED and name not in PAIRED
}  # reversed: where two names share a storage dtype, the first one in STORAGE wins, as in dtype_name_of


class ArrayModuleBase(Backend):
    """The array module backend's conversion and helpers; subclasses set ``xp``."""

    xp: Any = np
    # Dtypes xp has no honest form for; tensors of them raise UnsupportedDtype.
    unsupported_dtypes: frozenset[str] = frozenset()

    # --- conversion -----------------------------------------------------
    def tensor_from_neutral(self, tensor: NeutralTensor) -> Any:
        if tensor.dtype in self.unsupported_dtypes:
            raise UnsupportedDtype(self.name, tensor.dtype)
        if tensor.dtype in exotic.SUPPORT:
            return exotic.from_neutral(self.xp, tensor)
        return self.xp.asarray(tensor.array)

    def to_host(self, array: Any) -> np.ndarray:
        """A NumPy copy of an ``xp`` array (identity for NumPy)."""
        return np.asarray(array)

    def tensor_to_neutral(self, native: Any) -> NeutralTensor | NeutralSparse | None:
        if isinstance(native, SparseCOO):
            return NeutralSparse(self.tensor_to_neutral(native.indices), self.tensor_to_neutral(native.values), native.size)
        if isinstance(native, Exotic):
            return exotic.to_neutral(native, self.to_host)
        if self._is_tensor(native):
            return NeutralTensor.of(self.to_host(native))
        return None

    # --- helpers ----------------------------------------------------------
    def _dtype(self, name: str) -> Any:
        """The xp dtype computing in torch dtype ``name`` (an exotic dtype's carrier)."""
        if name in self.unsupported_dtypes:
            raise UnsupportedDtype(self.name, name)
        return exotic.CARRIER.get(name) or STORAGE[name]

    @staticmethod
    def _name(array: Any) -> str:
        name = _TORCH_NAME.get(array.dtype)
        return name if name is not None else dtype_name_of(np.empty(0, dtype=array.dtype))  # raises TypeError

    def _is_tensor(self, value: Any) -> bool:
        # NumPy ufuncs return scalars (np.generic) for 0-d inputs: those are 0-d tensors too.
        return isinstance(value, (self.xp.ndarray, np.generic))

    def _result_type(self, *operands: Any) -> str:
        if len(operands) == 2:
            # The common case, two arrays of one dtype, is that dtype whatever their dims: no walk
            # through torch's promotion categories.
            first, second = operands
            ndarray = self.xp.ndarray
            if isinstance(first, ndarray) and isinstance(second, ndarray) and first.dtype == second.dtype:
                return self._name(first)
        return promotion.result_type([(self._name(op), op.ndim) if self._is_tensor(op) else op for op in operands])

    def _as(self, operand: Any, dtype: str) -> Any:
        """An operand (tensor or Python number) as an array of ``dtype``: the operand itself if it is one."""
        target = self._dtype(dtype)
        if isinstance(operand, self.xp.ndarray) and operand.dtype == target:
            return operand  # what asarray + astype(copy=False) return too, without the two calls
        return self.xp.asarray(operand).astype(target, copy=False)

    def _binary_operands(self, input: Any, other: Any) -> tuple[Any, Any, str]:
        checks.check_binary_operands(
            self._is_tensor(input), type(input), self._is_tensor(other) or promotion.is_python_number(other), type(other)
        )
        dtype = self._result_type(input, other)
        other_shape = getattr(other, "shape", ())  # a Python number broadcasts with any shape
        if other_shape != input.shape:  # torch's check and message; equal shapes need neither
            broadcast_shapes(input.shape, other_shape)
        return self._as(input, dtype), self._as(other, dtype), dtype

    def _checked_scalar(self, value: Any, dtype: str, one_element: bool = False) -> Any:
        """A Python number as a ``dtype`` scalar, raising where torch's checked conversion overflows.

        ``one_element``: torch fills a one-element float16/bfloat16 tensor without the check (to inf),
        and checks a one-element complex32 against float16's range (others only against float32's).
        """
        storage = self._dtype(dtype)
        if dtype == "bool" or isinstance(value, bool):
            return np.asarray(bool(value) if dtype == "bool" else int(value)).astype(storage)
        if promotion.is_integral(dtype):
            info = np.iinfo(storage)
            checks.scalar_overflows(value, dtype, int(info.min), int(info.max))
            part = value.real if isinstance(value, complex) else value  # no imaginary part: checked
            if isinstance(part, float):
                return np.asarray(int(part)).astype(storage)
            return np.asarray(part % (int(info.max) + 1) if info.min == 0 else part).astype(storage)  # two's complement
        limit = float((ml_dtypes.finfo if dtype == "bfloat16" else np.finfo)(storage).max)
        if dtype == "complex32" and one_element:
            limit = float(np.finfo(np.float16).max)
        overflows = checks.scalar_overflows(value, dtype, -limit, limit, one_element=one_element)
        if isinstance(value, complex) and not promotion.is_complex(dtype):
            value = value.real  # no imaginary part: checked
        if not overflows:  # no cast to inf to silence: np.errstate alone costs about a microsecond
            return np.asarray(value).astype(storage)
        with np.errstate(over="ignore"):
            return np.asarray(value).astype(storage)
