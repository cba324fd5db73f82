"""The NumPy reference backend: torch semantics on ``numpy.ndarray``."""

from __future__ import annotations

import numpy as np
from tensorparity.backends.array_module import ArrayModuleBackend


class NumpyBackend(ArrayModuleBackend):
    """torch's ops computed with NumPy; every op id, torch's dtypes and errors."""

    name = "numpy"
    xp = np

    def version(self) -> str:
        return np.__version__
