"""The CuPy GPU backend: the NumPy backend's torch semantics with ``xp = cupy``.

Only what differs from NumPy is here. Without CuPy, or with CuPy but no usable
CUDA device, the backend reports why it is unavailable instead of failing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tensorparity.backends.array_module import ArrayModuleBackend


def _load_cupy() -> tuple[Any, str | None]:
    """(the cupy module, None) when a device is usable, else (None, why not)."""
    try:
        import cupy
    except ImportError as error:  # also raised when CUDA libraries mismatch
        return None, f"cupy is not installed or cannot load its CUDA libraries ({error}); pip install -e '.[cupy]'"
    try:
        if not cupy.is_available():
            return None, "no usable CUDA device (cupy.is_available() is False)"
    except Exception as error:  # noqa: BLE001 - any driver error means unavailable
        return None, f"CUDA is not usable: {error}"
    return cupy, None


class CupyBackend(ArrayModuleBackend):
    name = "cupy"
    # CuPy has no bfloat16 on top of what NumPy lacks.
    unsupported_dtypes = ArrayModuleBackend.unsupported_dtypes | {"bfloat16"}

    def __init__(self) -> None:
        cupy, self._unavailable = _load_cupy()
        self.xp = cupy

    def unavailable_reason(self) -> str | None:
        return self._unavailable

    def version(self) -> str:
        return getattr(self.xp, "__version__", "unavailable")

    def to_host(self, array: Any) -> np.ndarray:
        return self.xp.asnumpy(array)

    def synchronize(self, result: Any) -> None:
        """Return once ``result`` and the work queued before it are computed: CuPy queues
        every op on the current stream in order, so waiting for the stream waits for both."""
        self.xp.cuda.get_current_stream().synchronize()
