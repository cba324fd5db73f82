"""A deliberately buggy backend for the report and docs tests (and tools/screenshots.py).

It subclasses the NumPy backend, defined outside tensorparity's package: its version
must read as its own (its class), not NumPy's. Two bugs, each repeated over many
cases, so that a report has to group them:

- add returns float64 wherever torch returns float32;
- exp raises TypeError("not today") on every input.
"""

from __future__ import annotations

import numpy as np
from tensorparity.backends.numpy_backend import NumpyBackend


class Buggy(NumpyBackend):
    """add widens float32 results to float64; exp always raises."""

    name = "buggy"

    def add(self, input, other, *, alpha=1):
        result = super().add(input, other, alpha=alpha)
        if getattr(result, "dtype", None) == np.float32:
            return result.astype(np.float64)
        return result

    def exp(self, input):
        raise TypeError("not today")
