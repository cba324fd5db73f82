"""One routine judges every backend: expected vs actual, with one message shape.

The checks, in order: kind (raise, tensor, sparse, sequence, number), dtype,
shape, then values within the dtype's tolerance (exact for integers and bool),
with NaN where NaN and each infinity where it belongs (for complex values, in the real
and in the imaginary part on its own: ``inf+nanj`` is not ``nan+nanj``). Messages read like
``dtype float64, expected float32`` or, for values,
``Mismatched elements: 1 / 4 (25.0%), greatest absolute difference 1.0 at index (1, 0) (atol 1e-05, rtol 1.3e-06)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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
    kind: str = "value"  # value, dtype, shape or output_type (harness.results.KINDS)
    index: tuple[int, ...] | None = None  # the first differing element, for values
    part: str = ""  # where in the output: "output [1]", "values" (sparse) ...


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
            return Difference(f"expected a sequence of {len(expected)} tensors, got {describe(actual)}", kind="output_type")
        if len(actual) != len(expected):
            return Difference(f"{len(actual)} outputs, expected {len(expected)}", kind="shape")
        for index, (want, got) in enumerate(zip(expected, actual)):
            difference = compare(want, got, tolerance)
            if difference:
                return replace(
                    difference,
                    message=f"output [{index}]: {difference.message}",
                    part=f"[{index}]" + (f".{difference.part}" if difference.part else ""),
                )
        return None
    if isinstance(expected, Raises):
        raise TypeError("a raise is judged by judge_outcome, not compare")
    # A plain Python number (numel).
    if not isinstance(actual, Number) or isinstance(actual, (bool, np.bool_)) != isinstance(expected, bool):
        return Difference(f"expected the number {expected!r}, got {describe(actual)}", kind="output_type")
    if isinstance(expected, int) and not isinstance(actual, (int, np.integer)):
        return Difference(f"expected the int {expected!r}, got {describe(actual)}", kind="dtype")
    return None if actual == expected else Difference(f"{actual!r}, expected {expected!r}", abs(actual - expected))


def _compare_sparse(expected: NeutralSparse, actual: Any, tolerance: Tolerance) -> Difference | None:
    if not isinstance(actual, NeutralSparse):
        return Difference(f"expected a sparse COO tensor, got {describe(actual)}", kind="output_type")
    if tuple(actual.size) != tuple(expected.size):
        return Difference(f"size {tuple(actual.size)}, expected {tuple(expected.size)}", kind="shape")
    for part in ("indices", "values"):
        difference = _compare_tensor(getattr(expected, part), getattr(actual, part), tolerance)
        if difference:
            return replace(difference, message=f"{part}: {difference.message}", part=part)
    return None


def _compare_tensor(expected: NeutralTensor, actual: Any, tolerance: Tolerance) -> Difference | None:
    if not isinstance(actual, NeutralTensor):
        return Difference(f"expected {describe(expected)}, got {describe(actual)}", kind="output_type")
    if actual.dtype != expected.dtype:
        return Difference(f"dtype {actual.dtype}, expected {expected.dtype}", kind="dtype")
    if tuple(actual.shape) != tuple(expected.shape):
        return Difference(f"shape {tuple(actual.shape)}, expected {tuple(expected.shape)}", kind="shape")
    if expected.dtype in QUANTIZED:
        if (actual.scale, actual.zero_point) != (expected.scale, expected.zero_point):
            return Difference(
                f"scale, zero_point ({actual.scale}, {actual.zero_point}), expected ({expected.scale}, {expected.zero_point})"
            )  # a value: the quantization parameters are part of the values
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
    if want.dtype.kind == "c":
        return _compare_complex(want, got, rtol, atol, what)
    bad, diff, rel = _judge_real(want, got, rtol, atol)
    if not bad.any():
        return None
    return _summary(bad, diff, rel, atol, rtol, what)


def _judge_real(want: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bad, absolute difference, relative difference) per element of two float64 arrays."""
    nan_want, nan_got = np.isnan(want), np.isnan(got)
    inf_either = (np.isinf(want) | np.isinf(got)) & ~nan_want & ~nan_got
    finite = ~(nan_want | nan_got | inf_either)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(finite, np.abs(want - got), np.where(nan_want != nan_got, np.inf, 0.0))
        diff = np.where(inf_either & (want != got), np.inf, diff)
        bad = (nan_want != nan_got) | (inf_either & (want != got)) | (finite & (diff > atol + rtol * np.abs(want)))
        rel = np.where(finite, diff / np.maximum(np.abs(want), np.finfo(np.float64).tiny), diff)
    return bad, diff, rel


def _compare_complex(want: np.ndarray, got: np.ndarray, rtol: float, atol: float, what: str) -> Difference | None:
    """Finite elements by the modulus of the difference (as torch.testing.assert_close); an element
    with a NaN or an infinity in either part, in either array, part by part: NaN where NaN, each
    infinity where it belongs, in the real and the imaginary part each (assert_close calls an
    element NaN when either part is, so it takes inf+nanj for nan+nanj)."""
    finite = np.isfinite(want) & np.isfinite(got)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(finite, np.abs(want - got), 0.0)
        rel = np.where(finite, diff / np.maximum(np.abs(want), np.finfo(np.float64).tiny), 0.0)
        bad = finite & (diff > atol + rtol * np.abs(want))
    bad_real, _, _ = _judge_real(want.real, got.real, rtol, atol)
    bad_imag, _, _ = _judge_real(want.imag, got.imag, rtol, atol)
    part_bad = ~finite & (bad_real | bad_imag)
    bad = bad | part_bad
    diff = np.where(part_bad, np.inf, diff)
    rel = np.where(part_bad, np.inf, rel)
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
    first = np.unravel_index(int(np.argmax(bad.reshape(-1))), bad.shape) if bad.ndim else ()
    return Difference(message, max_abs, max_rel, index=tuple(int(i) for i in first))


def _index(index: tuple) -> str:
    return str(tuple(int(i) for i in index)) if index else "()"


# --- showing values: a failure's inputs, expected and actual, abbreviated --------------------------
SHOWN = 8  # elements shown of a tensor, around the first differing one


def show(value: Any, around: tuple[int, ...] | None = None, limit: int = SHOWN) -> str:
    """``value`` in a line a person reads: a tensor as dtype, shape and its elements (past
    ``limit`` of them, a window around the element at ``around``, else the first ones)."""
    if isinstance(value, Raises):
        return f"raises {value.error}" + (f": {value.message}" if value.message else "")
    if isinstance(value, NeutralTensor):
        return _show_tensor(value, around, limit)
    if isinstance(value, NeutralSparse):
        return (
            f"sparse(size={tuple(int(s) for s in value.size)}, indices={_show_tensor(value.indices, None, limit)}, "
            f"values={_show_tensor(value.values, None, limit)})"
        )
    if isinstance(value, (tuple, list)):
        inner = ", ".join(show(item, None, limit) for item in value[:limit])
        more = f", ... {len(value) - limit} more" if len(value) > limit else ""
        return f"({inner}{more})" if isinstance(value, tuple) else f"[{inner}{more}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={show(item, None, limit)}" for key, item in value.items()) + "}"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _show_tensor(tensor: NeutralTensor, around: tuple[int, ...] | None, limit: int) -> str:
    try:
        values = np.asarray(tensor.values()).reshape(-1)
    except Exception:  # a malformed tensor from a backend: its raw array
        values = np.asarray(tensor.array).reshape(-1)
    shape = tuple(int(s) for s in tensor.shape)
    head = f"{tensor.dtype}{list(shape)}"
    if tensor.dtype in QUANTIZED:
        head += f"(scale={tensor.scale}, zero_point={tensor.zero_point})"
    if values.size <= limit:
        return f"{head} {_elements(values)}"
    flat = int(np.ravel_multi_index(around, shape)) if around and len(around) == len(shape) else 0
    start = max(0, min(flat - limit // 2, values.size - limit))
    window = values[start : start + limit]
    prefix = "... " if start else ""
    suffix = " ..." if start + limit < values.size else ""
    where = f" elements {start}..{start + limit - 1} of {values.size}:"
    return f"{head}{where} {prefix}{_elements(window)}{suffix}"


def _elements(values: np.ndarray) -> str:
    return "[" + ", ".join(_element(v) for v in values.tolist()) + "]"


def _element(value: Any) -> str:
    if isinstance(value, complex):
        return f"{_element(value.real)}{'+' if not str(value.imag).startswith('-') else ''}{_element(value.imag)}j"
    return repr(value)


def pick(value: Any, part: str) -> Any:
    """The piece of an output a Difference's ``part`` names (``[1]``, ``values``, ``[0].indices``)."""
    for step in [p for p in part.replace("]", "]|").replace(".", "|").split("|") if p]:
        if step.startswith("["):
            value = value[int(step[1:-1])]
        else:
            value = getattr(value, step)
    return value
