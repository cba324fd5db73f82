"""Scalar IEEE arithmetic and the loops of the pure-Python backend, standard library only.

Python raises where C's arithmetic returns infinities and NaNs (1.0 / 0.0, math.exp(1e3),
cmath.exp(inf * 1j)); these functions return what torch's C++ kernels return instead, and
the few loops here (LU, float32 matrix products, padding indices) follow torch's kernels
step by step where the order of operations decides where an inf or a NaN appears.
"""

from __future__ import annotations

import cmath
import math
import operator
import struct
from collections.abc import Callable
from typing import Any

from tensorparity.backends.pytensor import INF, INT_RANGE, NAN, PAD, ZERO, Operand, map2, round_complex64, round_float32


def _odd_integer(value: float) -> bool:
    return math.isfinite(value) and value == math.floor(value) and math.fmod(value, 2.0) != 0


def float_div(a: float, b: float) -> float:
    """a / b with IEEE semantics for a zero divisor (Python raises ZeroDivisionError)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def _float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def _same_float(value: float) -> float:
    return value


def complex_div(x: complex, y: complex, single: bool = False) -> complex:
    """torch's c10::complex division (Smith's, scaled by a reciprocal), every step in float32
    when ``single``: 1 / (c + d * (d / c)) overflows for a tiny divisor, as torch's does."""
    r = _float32 if single else _same_float
    a, b, c, d = x.real, x.imag, y.real, y.imag
    if abs(c) >= abs(d):
        if c == 0 and d == 0:  # a zero divisor gives complex infinities and NaNs
            return complex(float_div(a, abs(c)), float_div(b, abs(d)))
        ratio = r(float_div(d, c))
        scale = r(float_div(1.0, r(c + r(d * ratio))))
        return complex(r(r(a + r(b * ratio)) * scale), r(r(b - r(a * ratio)) * scale))
    ratio = r(float_div(c, d))  # also when c or d is NaN
    scale = r(float_div(1.0, r(d + r(c * ratio))))
    return complex(r(r(r(a * ratio) + b) * scale), r(r(r(b * ratio) - a) * scale))


def float_floor_div(a: float, b: float) -> float:
    # Python's float // is torch's div_floor (fmod based); only a zero divisor differs.
    try:
        return a // b
    except ZeroDivisionError:
        return float_div(a, b)


def float_trunc_div(a: float, b: float) -> float:
    quotient = float_div(a, b)
    return math.copysign(float(math.trunc(quotient)), quotient) if math.isfinite(quotient) else quotient


def float_pow(a: float, b: float) -> float:
    """C's pow: math.pow raises where C returns ±inf or NaN."""
    try:
        return math.pow(a, b)
    except OverflowError:
        return -INF if a < 0 and _odd_integer(b) else INF
    except ValueError:
        if a == 0:  # a pole: 0 ** negative
            return math.copysign(INF, a) if _odd_integer(b) else INF
        return NAN  # a negative base to a non-integer power


def float_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def complex_exp(z: complex) -> complex:
    """C99's cexp (torch calls std::exp): cmath raises where C returns infinities or NaNs."""
    try:
        return cmath.exp(z)
    except OverflowError:  # a finite z whose result overflows; scaled by e as cmath does, inf where it must
        scale = float_exp(z.real - 1.0)
        imag = z.imag if z.imag == 0 else scale * math.sin(z.imag) * math.e
        return complex(scale * math.cos(z.imag) * math.e, imag)
    except ValueError:  # an infinite imaginary part: (inf, NaN) for a real part of +inf, else NaN
        return complex(INF if z.real == INF else NAN, NAN)


def complex_log(z: complex) -> complex:
    if z == 0:
        return complex(-INF, math.atan2(z.imag, z.real))
    return cmath.log(z)


def c99_multiply(x: complex, y: complex, single: bool = False) -> complex:
    """C's complex product (libgcc's __muldc3, __mulsc3 when ``single``): the unfused formula,
    then C99 Annex G's recovery of infinities that came out as NaN + NaN i."""
    rnd = (lambda v: round_float32([v])[0]) if single else (lambda v: v)
    a, b, c, d = x.real, x.imag, y.real, y.imag
    ac, bd, ad, bc = rnd(a * c), rnd(b * d), rnd(a * d), rnd(b * c)
    real, imag = rnd(ac - bd), rnd(ad + bc)
    if not (math.isnan(real) and math.isnan(imag)):
        return complex(real, imag)
    recalc = False
    if math.isinf(a) or math.isinf(b):  # x is infinite: box it, and NaNs of y become 0
        a, b = math.copysign(1.0 if math.isinf(a) else 0.0, a), math.copysign(1.0 if math.isinf(b) else 0.0, b)
        c, d = (math.copysign(0.0, v) if math.isnan(v) else v for v in (c, d))
        recalc = True
    if math.isinf(c) or math.isinf(d):
        c, d = math.copysign(1.0 if math.isinf(c) else 0.0, c), math.copysign(1.0 if math.isinf(d) else 0.0, d)
        a, b = (math.copysign(0.0, v) if math.isnan(v) else v for v in (a, b))
        recalc = True
    if not recalc and any(math.isinf(v) for v in (ac, bd, ad, bc)):  # overflow: NaNs become 0
        a, b, c, d = (math.copysign(0.0, v) if math.isnan(v) else v for v in (a, b, c, d))
        recalc = True
    if recalc:
        real, imag = INF * (a * c - b * d), INF * (a * d + b * c)
    return complex(real, imag)


def complex_pow(a: complex, b: complex, single: bool = False) -> complex:
    """std::pow for complex numbers as torch computes it (glibc's cpow): cexp(b * clog(a)),
    in float for complex64 (``single``)."""
    log = complex_log(a)
    if single:
        log = complex(*round_float32([log.real, log.imag]))
    return complex_exp(c99_multiply(b, log, single))


def fused_multiply_add(x: float, y: float, z: float) -> float:
    """x * y + z as C++'s contracted (FMA) arithmetic gives it, up to rounding: x * y may
    overflow on its own while x * y + z does not (and an infinite z then wins, no inf - inf)."""
    product = x * y
    if math.isinf(product) and math.isfinite(x) and math.isfinite(y):
        if not math.isfinite(z):
            return z
        # the exact product is finite: compute at a quarter of the scale, then scale back
        scaled = math.ldexp(x, -2) * y + math.ldexp(z, -2)
        try:
            return math.ldexp(scaled, 2)
        except OverflowError:
            return math.copysign(INF, scaled)
    return product + z


def complex_products(left: Any, right: Any, count: int, dtype: str, fused: bool = True) -> list:
    """Complex products as torch computes them: (ac - bd) + (ad + bc)i in float32 for complex64,
    so a partial product can overflow to inf, and inf - inf make NaN, where torch's do.

    ``fused``: c10::complex's scalar code, whose first product of each part is contracted
    (FMA); unfused: the vectorized and BLAS kernels, every partial product rounded.
    """
    left = left if isinstance(left, list) else [left] * count
    right = right if isinstance(right, list) else [right] * count
    if dtype == "complex64" and not fused:
        a, b = [z.real for z in left], [z.imag for z in left]
        c, d = [z.real for z in right], [z.imag for z in right]
        ac, bd = round_float32(list(map(operator.mul, a, c))), round_float32(list(map(operator.mul, b, d)))
        ad, bc = round_float32(list(map(operator.mul, a, d))), round_float32(list(map(operator.mul, b, c)))
        return list(map(complex, round_float32(list(map(operator.sub, ac, bd))), round_float32(list(map(operator.add, ad, bc)))))
    if not fused:  # Python's complex product is the unfused formula in double
        return list(map(operator.mul, left, right))
    if dtype == "complex64":  # a float32 product is exact in double: only bd and bc round first
        bd = round_float32([x.imag * y.imag for x, y in zip(left, right)])
        bc = round_float32([x.imag * y.real for x, y in zip(left, right)])
        real = round_float32([x.real * y.real - p for x, y, p in zip(left, right, bd)])
        imag = round_float32([x.real * y.imag + p for x, y, p in zip(left, right, bc)])
        return list(map(complex, real, imag))
    products = list(map(operator.mul, left, right))
    for i, z in enumerate(products):
        if not (math.isfinite(z.real) and math.isfinite(z.imag)):
            x, y = left[i], right[i]
            products[i] = complex(
                fused_multiply_add(x.real, y.real, -(x.imag * y.imag)), fused_multiply_add(x.real, y.imag, x.imag * y.real)
            )
    return products


def complex_sqrt(z: complex) -> complex:
    return cmath.sqrt(z)


def int_pow(base: int, exponent: int, dtype: str) -> int:
    """torch's powi: wrapping powers; a negative exponent gives 1, ±1 or 0."""
    if exponent < 0:
        if base == 1:
            return 1
        if base == -1:
            return -1 if exponent % 2 else 1
        return 0
    low, high = INT_RANGE[dtype]
    value = pow(base, exponent, high - low + 1)  # modular: huge exponents stay cheap
    return value if value <= high else value - (high - low + 1)


# --- loops ---------------------------------------------------------------------
def safe_map(fast: Callable, safe: Callable, left: Operand, right: Operand, count: int) -> list:
    """``fast`` (a plain operator) over the operands; ``safe`` when Python raises where IEEE does not."""
    try:
        return map2(fast, left, right, count)
    except (ZeroDivisionError, OverflowError, ValueError):
        return map2(safe, left, right, count)


def safe_sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else math.nan  # NaN also for NaN; sqrt(-0.0) stays -0.0


def trunc_int_div(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def largest_finite(values: list) -> float:
    parts = (
        [abs(v) for v in values]
        if not values or not isinstance(values[0], complex)
        else [abs(p) for v in values for p in (v.real, v.imag)]
    )
    return max((p for p in parts if p < math.inf), default=0.0)


def matmul_float32(rows: list, columns: list, dtype: str) -> list:
    """rows x columns accumulated one k at a time, every product and partial sum rounded to
    float32 (complex64), as torch's kernels (bfloat16's too, in float32): where a product or
    partial sum overflows to inf, torch's does too."""
    n, m = len(rows), len(columns)
    rounding = round_complex64 if dtype == "complex64" else round_float32
    total = [ZERO[dtype]] * (n * m)
    for t in range(len(rows[0]) if rows else 0):
        lefts = [row[t] for row in rows for _ in range(m)]
        rights = [column[t] for column in columns] * n
        products = (
            complex_products(lefts, rights, n * m, dtype, fused=False)
            if dtype == "complex64"
            else round_float32(list(map(operator.mul, lefts, rights)))
        )
        total = rounding(list(map(operator.add, total, products)))
    return total


def pad_source(mode: str, j: int, size: int, before: int, after: int) -> int:
    """The input index torch's reflect/replicate/circular kernels read for output index ``j``;
    a negative pad crops that side first."""
    k = j - before
    if mode == "replicate":
        return min(max(k, 0), size - 1)
    if mode == "reflect":
        return -k if k < 0 else 2 * (size - 1) - k if k >= size else k
    # circular wraps within what is left after cropping
    kept = size - max(-before, 0) - max(-after, 0)
    if kept <= 0:
        return PAD
    return max(-before, 0) + (j - max(before, 0)) % kept


def argmax_index(values: list) -> int:
    # torch treats NaN as the largest value and returns the first maximal index.
    for index, value in enumerate(values):
        if value != value:
            return index
    return values.index(max(values))


def lu_pivots(flat: list, n: int, rounding: Callable[[list], list] | None, magnitude: Callable) -> tuple[list, int]:
    """det by LU with partial pivoting, as LAPACK's getf2: the pivot is the first row of greatest
    magnitude in the column, the multipliers are scaled by 1/pivot (not when the pivot is 0), and
    the rank-1 update skips columns whose pivot-row entry is 0 (as ?ger does), so infinities
    and NaNs spread as torch's do. ``rounding`` (float32 or complex64) rounds every product and
    difference, unfused, as torch's float32 LU does. Returns the pivots and the permutation's sign.
    """
    rows = [flat[i * n : (i + 1) * n] for i in range(n)]
    tiny = 1.1754943508222875e-38 if rounding is not None else 2.2250738585072014e-308  # LAPACK's sfmin
    pivots, sign = [], 1
    while rows:
        magnitudes = [magnitude(row[0]) for row in rows]
        best = max(range(len(rows)), key=magnitudes.__getitem__)  # the first largest; NaN only if first
        if best:
            rows[0], rows[best] = rows[best], rows[0]
            sign = -sign
        top, rest = rows[0], rows[1:]
        pivot = top[0]
        pivots.append(pivot)
        factors = [row[0] for row in rest]
        if abs(pivot) >= tiny:  # scale by the reciprocal, as LAPACK does for a pivot no smaller than sfmin
            inverse = 1 / pivot if rounding is None else rounding([1 / pivot])[0]
            factors = [f * inverse for f in factors] if rounding is None else rounding([f * inverse for f in factors])
        elif pivot != 0:  # a subnormal pivot: divide, since its reciprocal overflows
            factors = [f / pivot for f in factors] if rounding is None else rounding([f / pivot for f in factors])
        tail = top[1:]
        skip = 0 in tail  # ?ger leaves a column alone where the pivot row holds 0 (no 0 * inf there)
        if rounding is None and not skip:
            rows = [[x - f * t for x, t in zip(row[1:], tail)] for f, row in zip(factors, rest)]
        elif rounding is None:
            rows = [[x - f * t if t != 0 else x for x, t in zip(row[1:], tail)] for f, row in zip(factors, rest)]
        else:
            rows = [
                rounding([x - p if t != 0 else x for x, p, t in zip(row[1:], rounding([f * t for t in tail]), tail)])
                for f, row in zip(factors, rest)
            ]
    return pivots, sign
