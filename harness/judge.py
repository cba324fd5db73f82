"""One routine judges every backend: expected vs actual, with one message shape.

The checks, in order: kind (raise, tensor, sparse, sequence, number), dtype,
shape, then values within the dtype's tolerance (exact for integers and bool),
with NaN where NaN and each infinity where it belongs. Messages read like
``dtype float64, expected float32`` or, for values,
``Mismatched elements: 1 / 4 (25.0%), greatest absolute difference 1.0 at index (1, 0) (atol 1e-05, rtol 1.3e-06)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Number
from typing import Any

import numpy as np
from tensorparity.backends.neutral import PAIRED, QUANTIZED, NeutralSparse, NeutralTensor
from tensorparity.harness.values import Raises

Tolerance = Callable[[str], tuple[float, float]]


@dataclass(frozen=True)
class Difference:
    """Why actual differs from expected; None fields when not about values."""

    message: str
    max_abs: float | None = None
    max_rel: float | None = None


def describe(value: Any) -> str:
    """A short description of any value a backend might return."""
    if isinstance(value, NeutralTensor):
        return f"a tensor of dtype {value.dtype} and shape {tuple(value.shape)}"
    if isinstance(value, NeutralSparse):
        return f"a sparse {value.values.dtype} tensor of size {tuple(value.size)}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"{type(value).__module__}.{type(value).__qualname__}" if not isinstance(value, Number) else f"the number {value!r}"


def compare(expected: Any, actual: Any, tolerance: Tolerance) -> Difference | None:
    """None when ``actual`` matches ``expected``; else the first difference found."""
    if isinstance(expected, NeutralTensor):
        return _compare_tensor(expected, actual, tolerance)
    if isinstance(expected, NeutralSparse):
        return _compare_sparse(expected, actual, tolerance)
    if isinstance(expected, tuple):
        if not isinstance(actual, (tuple, list)):
            return Difference(f"expected a sequence of {len(expected)} tensors, got {describe(actual)}")
        if len(actual) != len(expected):
            return Difference(f"{len(actual)} outputs, expected {len(expected)}")
        for index, (want, got) in enumerate(zip(expected, actual)):
            difference = compare(want, got, tolerance)
            if difference:
                return Difference(f"output [{index}]: {difference.message}", difference.max_abs, difference.max_rel)
        return None
    if isinstance(expected, Raises):
        raise TypeError("a raise is judged by judge_outcome, not compare")
    # A plain Python number (numel).
    if not isinstance(actual, Number) or isinstance(actual, (bool, np.bool_)) != isinstance(expected, bool):
        return Difference(f"expected the number {expected!r}, got {describe(actual)}")
    if isinstance(expected, int) and not isinstance(actual, (int, np.integer)):
        return Difference(f"expected the int {expected!r}, got {describe(actual)}")
    return None if actual == expected else Difference(f"{actual!r}, expected {expected!r}", abs(actual - expected))


def _compare_sparse(expected: NeutralSparse, actual: Any, tolerance: Tolerance) -> Difference | None:
    if not isinstance(actual, NeutralSparse):
        return Difference(f"expected a sparse COO tensor, got {describe(actual)}")
    if tuple(actual.size) != tuple(expected.size):
        return Difference(f"size {tuple(actual.size)}, expected {tuple(expected.size)}")
    for part in ("indices", "values"):
        difference = _compare_tensor(getattr(expected, part), getattr(actual, part), tolerance)
        if difference:
            return Difference(f"{part}: {difference.message}", difference.max_abs, difference.max_rel)
    return None


def _compare_tensor(expected: NeutralTensor, actual: Any, tolerance: Tolerance) -> Difference | None:
    if not isinstance(actual, NeutralTensor):
        return Difference(f"expected {describe(expected)}, got {describe(actual)}")
    if actual.dtype != expected.dtype:
        return Difference(f"dtype {actual.dtype}, expected {expected.dtype}")
    if tuple(actual.shape) != tuple(expected.shape):
        return Difference(f"shape {tuple(actual.shape)}, expected {tuple(expected.shape)}")
    if expected.dtype in QUANTIZED:
        if (actual.scale, actual.zero_point) != (expected.scale, expected.zero_point):
            return Difference(
                f"scale, zero_point ({actual.scale}, {actual.zero_point}), expected ({expected.scale}, {expected.zero_point})"
            )
        return _compare_values(expected.array, actual.array, 0.0, 0.0, "int_repr ")
    rtol, atol = tolerance(expected.dtype)
    want = expected.values() if expected.dtype in PAIRED else expected.array
    got = actual.values() if actual.dtype in PAIRED else actual.array
    return _compare_values(want, got, rtol, atol)


@np.errstate(over="ignore", invalid="ignore", divide="ignore")  # a wild output overflows the differences: reported, not warned
def _compare_values(want: np.ndarray, got: np.ndarray, rtol: float, atol: float, what: str = "") -> Difference | None:
    if want.size == 0:
        return None
    kind = np.result_type(want.dtype, np.float64) if want.dtype.kind in "fcV" or str(want.dtype) == "bfloat16" else None
    if kind is None:  # integers and bool: exact
        bad = np.asarray(want != got)
        if not bad.any():
            return None
        diff = np.abs(want.astype(np.float64) - got.astype(np.float64))
        return _summary(bad, diff, diff / np.maximum(np.abs(want.astype(np.float64)), 1e-300), 0.0, 0.0, what)
    want = want.astype(np.complex128 if want.dtype.kind == "c" else np.float64)
    got = got.astype(want.dtype)
    nan_want, nan_got = np.isnan(want), np.isnan(got)
    inf_either = (np.isinf(want) | np.isinf(got)) & ~nan_want & ~nan_got
    finite = ~(nan_want | nan_got | inf_either)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(finite, np.abs(want - got), np.where(nan_want != nan_got, np.inf, 0.0))
        diff = np.where(inf_either & (want != got), np.inf, diff)
        bad = (nan_want != nan_got) | (inf_either & (want != got)) | (finite & (diff > atol + rtol * np.abs(want)))
        rel = np.where(finite, diff / np.maximum(np.abs(want), np.finfo(np.float64).tiny), diff)
    if not bad.any():
        return None
    return _summary(bad, diff, rel, atol, rtol, what)


def _summary(bad: np.ndarray, diff: np.ndarray, rel: np.ndarray, atol: float, rtol: float, what: str) -> Difference:
    worst_abs = np.unravel_index(int(np.argmax(np.where(bad, diff, -1.0))), bad.shape)
    worst_rel = np.unravel_index(int(np.argmax(np.where(bad, rel, -1.0))), bad.shape)
    count, total = int(bad.sum()), bad.size
    max_abs, max_rel = float(diff[worst_abs]), float(rel[worst_rel])
    message = (
        f"{what}Mismatched elements: {count} / {total} ({100.0 * count / total:.1f}%), "
        f"greatest absolute difference {max_abs:g} at index {_index(worst_abs)}, "
        f"greatest relative difference {max_rel:g} at index {_index(worst_rel)} (atol {atol:g}, rtol {rtol:g})"
    )
    return Difference(message, max_abs, max_rel)


def _index(index: tuple) -> str:
    return str(tuple(int(i) for i in index)) if index else "()"
