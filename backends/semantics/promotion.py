"""torch's type promotion, for backends that compute with another library.

Checked against ``torch.promote_types`` and ``torch.result_type`` in
tests/test_promotion.py, pair by pair.
"""

from __future__ import annotations

from typing import Any

CATEGORY = {
    "bool": 0,
    "uint8": 1,
    "int8": 1,
    "int16": 1,
    "int32": 1,
    "int64": 1,
    "float16": 2,
    "bfloat16": 2,
    "float32": 2,
    "float64": 2,
    "complex32": 3,
    "complex64": 3,
    "complex128": 3,
}
_RANK = {  # within a category, the wider dtype wins
    "uint8": 0,
    "int8": 0,
    "int16": 1,
    "int32": 2,
    "int64": 3,
    "float16": 0,
    "bfloat16": 0,
    "float32": 1,
    "float64": 2,
    "complex32": 0,
    "complex64": 1,
    "complex128": 2,
}
_COMPLEX_OF = {"float16": "complex32", "bfloat16": "complex64", "float32": "complex64", "float64": "complex128"}
_REAL_OF = {"complex32": "float16", "complex64": "float32", "complex128": "float64"}

DEFAULT_FLOAT = "float32"  # torch.get_default_dtype()
DEFAULT_COMPLEX = "complex64"


def is_integral(dtype: str, include_bool: bool = True) -> bool:
    return CATEGORY[dtype] == 1 or (include_bool and dtype == "bool")


def is_floating(dtype: str) -> bool:
    return CATEGORY[dtype] == 2


def is_complex(dtype: str) -> bool:
    return CATEGORY[dtype] == 3


def promote_types(first: str, second: str) -> str:
    """torch.promote_types for two dtype names."""
    if first == second:
        return first
    category_a, category_b = CATEGORY[first], CATEGORY[second]
    if category_a != category_b:
        high, low = (first, second) if category_a > category_b else (second, first)
        if is_complex(high) and is_floating(low):
            return _COMPLEX_OF[promote_types(_REAL_OF[high], low)]
        return high
    if {first, second} == {"uint8", "int8"}:
        return "int16"
    if {first, second} == {"float16", "bfloat16"}:
        return "float32"
    if {first, second} == {"complex32", "complex64"} or _RANK[first] != _RANK[second]:
        return first if _RANK[first] > _RANK[second] else second
    return first


def _combine(higher: str | None, lower: str | None) -> str | None:
    """torch's combine_categories: a lower-priority operand only lifts the category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if is_complex(higher):
        return higher
    if is_complex(lower):
        return _COMPLEX_OF[higher] if is_floating(higher) else lower
    if is_floating(higher):
        return higher
    if higher == "bool" or is_floating(lower):
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value: bool | int | float | complex) -> str:
    """The dtype torch gives a Python number taking part in promotion."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return DEFAULT_FLOAT
    return DEFAULT_COMPLEX


def result_type(operands: list[tuple[str, int] | bool | int | float | complex]) -> str:
    """torch.result_type over tensors, given as (dtype, ndim), and Python numbers.

    Priority: tensors with dimensions, then 0-d tensors, then Python numbers.
    """
    dimensioned: str | None = None
    zero_dim: str | None = None
    wrapped: str | None = None
    for operand in operands:
        if isinstance(operand, tuple):
            dtype, ndim = operand
            if ndim > 0:
                dimensioned = dtype if dimensioned is None else promote_types(dimensioned, dtype)
            else:
                zero_dim = dtype if zero_dim is None else promote_types(zero_dim, dtype)
        else:
            dtype = scalar_dtype(operand)
            wrapped = dtype if wrapped is None else promote_types(wrapped, dtype)
    result = _combine(dimensioned, _combine(zero_dim, wrapped))
    if result is None:
        raise ValueError("result_type needs at least one operand")
    return result


def is_python_number(value: Any) -> bool:
    return isinstance(value, (bool, int, float, complex))


def check_alpha(alpha: Any, dtype: str) -> None:
    """torch's alpha_check for add and sub, in its order: a bool alpha needs a bool result,
    an integral result needs an integral alpha, a complex alpha a complex result."""
    if isinstance(alpha, bool) and dtype != "bool":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if is_integral(dtype) and isinstance(alpha, (float, complex)):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if not is_complex(dtype) and isinstance(alpha, complex):
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex number.")
