"""torch's type promotion, for backends that compute with another library.

Checked against ``torch.promote_types`` and ``torch.result_type`` in
tests/test_promotion.py, pair by pair.
"""

from __future__ import annotations

from typing import Any

from tensorparity.backends.dtypes import CATEGORIES, DTYPES

# From the dtype table: each dtype's category as a number (bool 0 < integer 1 < floating 2 <
# complex 3), its width, which wins within a category, and its complex and real counterparts.
CATEGORY = {name: CATEGORIES.index(d.category) for name, d in DTYPES.items() if d.category in CATEGORIES}
_BITS = {name: d.bits for name, d in DTYPES.items()}
_COMPLEX_OF = {name: d.complex for name, d in DTYPES.items() if d.complex}
_REAL_OF = {name: d.real for name, d in DTYPES.items() if d.real}

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
    if _BITS[first] != _BITS[second]:
        return first if _BITS[first] > _BITS[second] else second
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
