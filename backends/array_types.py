"""The array module backend's own tensor types that are not ``xp`` arrays.

Its own module so that ``array_module`` and ``exotic`` both import it and neither
imports the other's: the import graph stays acyclic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SparseCOO:
    """A sparse COO tensor in array-module form."""

    indices: Any
    values: Any
    size: tuple[int, ...]
