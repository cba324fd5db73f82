"""complex32 and the quantized dtypes on an array module that has neither.

torch runs only some ops on these dtypes and raises for the rest. The array
module backend holds such a tensor as an ``Exotic``: a *carrier* array of a
native dtype plus the torch dtype it stands for —

- complex32: complex64 values, each part rounded to float16;
- quint8, qint8, qint32, quint4x2: the integer representation (one element per
  value, quint4x2 in 0..15) plus the scale and zero point.

``SUPPORT`` is the one table of which ops torch runs on each of these dtypes and
how the backend's plain op is lifted onto the carriers (``lift``); any other op
raises as torch does. Everything here is written against ``backend.xp``.

Over 400 lines as one idea: the SUPPORT table and the lift rules it names belong together (each rule is the meaning of a table entry).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
from tensorparity.backends.array_types import SparseCOO
from tensorparity.backends.base import OP_IDS
from tensorparity.backends.dtypes import DTYPES
from tensorparity.backends.neutral import PAIRED, QUANTIZED, QUANTIZED_RANGE, STORAGE, NeutralTensor, complex_array
from tensorparity.backends.semantics import promotion

# How an op is lifted onto the carriers.
CARRY = "carry"  # moves elements: the plain op on the carriers; the result keeps the dtype (and qparams)
COMPUTE = "compute"  # complex32 arithmetic: operands cast to complex32, computed in complex64, rounded back
DEQUANTIZE = "dequantize"  # reads real values: the plain op on the dequantized float32 values; a plain result
REQUANTIZE = "requantize"  # the plain op on dequantized values, quantized again as the first input is
FILL = "fill"  # CARRY, with the ``value`` argument quantized as the input is (constant padding)
KERNEL = "kernel"  # torch has no kernel for the dtype, but skips it where there is nothing to compute
# (empty or 0-d inputs, pow's x ** 0): CARRY, raising where the plain op calls ``reach_kernel()``

_VIEWS = dict.fromkeys(("transpose", "permute", "view", "reshape", "vsplit", "numel"), CARRY)
_COMPARISONS = dict.fromkeys(("gt", "lt"), DEQUANTIZE)
_QUANTIZED = {**_VIEWS, **_COMPARISONS, "repeat": CARRY, "cat": REQUANTIZE, "pad.constant": FILL, "pad.reflect": CARRY}

# Mirrors torch's CPU kernels (torch 2.x): the ops ATen registers for ComplexHalf and
# for the QuantizedCPU dispatch key. ``pad.<mode>`` names one padding mode. An op
# (or mode) not listed for a dtype raises, as torch does; the spec's dtype_matrix
# cases check every entry against torch.
SUPPORT: dict[str, dict[str, str]] = {
    "complex32": {
        **_VIEWS,
        **dict.fromkeys(("add", "sub", "mul"), COMPUTE),
        **dict.fromkeys(("pow", "mm", "bmm", "det", "cumprod"), KERNEL),
        **dict.fromkeys(("where", "masked_select", "cat", "repeat", "pad.constant", "pad.circular", "full"), CARRY),
        "sparse_coo_tensor": CARRY,
    },
    "quint8": _QUANTIZED,
    "qint8": _QUANTIZED,
    "qint32": _QUANTIZED,
    # Two values per byte and no copy kernel: only views and comparisons of contiguous tensors.
    "quint4x2": {**_VIEWS, **_COMPARISONS, "repeat": KERNEL},
}

CARRIER = {"complex32": np.dtype(np.complex64), **{name: STORAGE[name] for name in QUANTIZED}}
# Positional arguments whose dtypes decide a result's dtype, where not all of them do.
_DATA_ARGS = {"sparse_coo_tensor": slice(1, 2), "where": slice(1, 3), "masked_select": slice(0, 1)}


@dataclass(frozen=True, eq=False)
class Exotic:
    """A tensor of a dtype the array module lacks: ``carrier`` (an xp array) stands for ``dtype``."""

    carrier: Any
    dtype: str
    scale: float | None = None
    zero_point: int | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.carrier.shape)

    @property
    def ndim(self) -> int:
        return self.carrier.ndim

    def like(self, carrier: Any) -> Exotic:
        """Another tensor of this dtype (and these qparams) on ``carrier``."""
        return Exotic(carrier, self.dtype, self.scale, self.zero_point)

    def __post_init__(self) -> None:
        if isinstance(self.carrier, np.generic):  # NumPy gives 0-d results as scalars
            object.__setattr__(self, "carrier", np.asarray(self.carrier))


# --- conversion ----------------------------------------------------------------
def from_neutral(xp: Any, tensor: NeutralTensor) -> Exotic:
    if tensor.dtype in PAIRED:
        pairs = tensor.array
        values = _with_layout(pairs[..., 0], complex_array(pairs[..., 0], pairs[..., 1], np.complex64))
        return Exotic(xp.asarray(values), tensor.dtype)
    return Exotic(xp.asarray(tensor.array), tensor.dtype, tensor.scale, tensor.zero_point)


def to_neutral(tensor: Exotic, to_host: Callable[[Any], np.ndarray]) -> NeutralTensor:
    carrier = to_host(tensor.carrier)
    if tensor.dtype in PAIRED:
        return NeutralTensor(np.stack([carrier.real, carrier.imag], axis=-1).astype(np.float16), tensor.dtype)
    if tensor.dtype == "quint4x2" and not _contiguous(carrier):
        raise NotImplementedError("\"copy_kernel\" not implemented for 'QUInt4x2'")  # torch cannot read a strided quint4x2
    return NeutralTensor(np.array(carrier), tensor.dtype, tensor.scale, tensor.zero_point)


def _with_layout(like: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (same shape as ``like``) laid out with ``like``'s strides, so non-contiguous inputs stay so."""
    if like.flags.c_contiguous or like.size == 0 or any(s <= 0 for s in like.strides):
        return values
    unit = like.itemsize * 2  # a complex32 element is a (real, imag) pair of float16
    element_strides = [s // unit for s in like.strides]
    span = 1 + sum((n - 1) * s for n, s in zip(like.shape, element_strides))
    strided = np.lib.stride_tricks.as_strided(
        np.zeros(span, values.dtype), like.shape, [s * values.itemsize for s in element_strides]
    )
    strided[...] = values
    return strided


def _contiguous(array: Any) -> bool:
    return bool(array.flags.c_contiguous)


# --- values ----------------------------------------------------------------------
def round_complex32(xp: Any, values: Any) -> Any:
    """complex64 values with each part rounded to float16 (keeping the layout)."""
    values = xp.asarray(values)  # NumPy gives 0-d results as scalars
    rounded = values.astype(np.complex64, order="K", copy=True)
    rounded.real[...] = values.real.astype(np.float16).astype(np.float32)
    rounded.imag[...] = values.imag.astype(np.float16).astype(np.float32)
    return rounded


def dequantize(xp: Any, tensor: Exotic) -> Any:
    """The real values (q - zero_point) * scale in float32, as torch's kernel: the difference taken in
    int32 (so a qint32 wraps), the product in float32. A 0-d quint4x2 comes out with shape (1,), as in torch."""
    carrier = tensor.carrier
    if tensor.dtype == "quint4x2":
        if not _contiguous(carrier):
            raise NotImplementedError("\"copy_kernel\" not implemented for 'QUInt4x2'")
        carrier = carrier.reshape(carrier.shape or (1,))
    difference = carrier.astype(np.int32) - np.int32(tensor.zero_point)
    return difference.astype(np.float32) * np.float32(tensor.scale)


def quantize(xp: Any, values: Any, like: Exotic) -> Exotic:
    """Real values quantized as ``like``: zero_point + values / scale in float32, rounded half to even, clamped."""
    low, high = QUANTIZED_RANGE[like.dtype]
    levels = xp.rint(np.float32(like.zero_point) + xp.asarray(values, dtype=np.float32) / np.float32(like.scale))
    return like.like(xp.clip(levels.astype(np.float64), low, high).astype(CARRIER[like.dtype]))  # qint32's max is no float32


# --- what a plain op asks while a lifted call runs it --------------------------------
# Per-call state, set by the rules below for the length of one plain call and read by that call:
# context variables, so concurrent calls (threads) and nested ones each see their own, and no
# backend instance carries state between calls.
_MISSING_KERNEL: ContextVar[str | None] = ContextVar("exotic_missing_kernel", default=None)
_ROUND_PRODUCT: ContextVar[Callable[[Any], Any] | None] = ContextVar("exotic_round_product", default=None)


def reach_kernel() -> None:
    """Called by a plain op where it reaches its dtype kernel: raises as torch does while a KERNEL
    rule runs it for a dtype torch has no kernel for; nothing otherwise."""
    missing = _MISSING_KERNEL.get()
    if missing:
        raise NotImplementedError(missing)


def round_product(product: Any) -> Any:
    """A product a plain op is about to add, rounded as torch rounds it in the exotic dtype being
    computed (complex32, under a COMPUTE rule: each part to float16); otherwise the product itself."""
    rounding = _ROUND_PRODUCT.get()
    return product if rounding is None else rounding(product)


# --- lifting ops -------------------------------------------------------------------
def lifted(method: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator of an array module backend's op method, named after its op id: the method
    taking Exotic tensors and dtypes too (``lift``). Every op id but grad is one."""
    if method.__name__ not in OP_IDS or method.__name__ == "grad":
        raise ValueError(f"@lifted decorates an op method named after its op id, not {method.__name__!r}")
    return lift(method.__name__, method)


def lift(op: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` (a plain op of an array module backend) taking Exotic tensors and dtypes too:
    the plain call where no argument is exotic, else the rule SUPPORT gives the dtype, or a raise."""

    @functools.wraps(method)
    def lifted(backend: Any, *args: Any, **kwargs: Any) -> Any:
        if op in _PROMOTING and _promotes_to_complex32(backend, op, args):
            rule = SUPPORT["complex32"].get(op)
            if rule is None:
                raise RuntimeError(_not_implemented(op, {"complex32"}))
            return _RULES[rule](backend, Call(op, method, args, kwargs))
        if _plain(backend.xp.ndarray, args, kwargs):  # nothing exotic can hide in these: no sets built
            return method(backend, *args, **kwargs)
        dtypes = _exotic_dtypes(args, kwargs)
        if not dtypes:
            return method(backend, *args, **kwargs)
        key = f"pad.{args[2] if len(args) > 2 else kwargs.get('mode', 'constant')}" if op == "pad" else op
        rules = {SUPPORT[dtype].get(key) for dtype in dtypes}
        if None in rules or len(rules) > 1:
            raise NotImplementedError(_not_implemented(key, dtypes))
        return _RULES[rules.pop()](backend, Call(op, method, args, kwargs))

    lifted.lifted_op = op  # type: ignore[attr-defined]  # what tests check every op has
    return lifted


@dataclass(frozen=True)
class Call:
    """One call of a plain op, as the lift received it."""

    op: str
    method: Callable[..., Any]
    args: tuple
    kwargs: dict

    def run(self, backend: Any, convert: Callable[[Any], Any], **changed: Any) -> Any:
        """The plain op with ``convert`` applied to each tensor argument (items of tensor lists too)."""

        def each(value: Any) -> Any:
            if isinstance(value, (list, tuple)):
                return type(value)(each(item) for item in value)
            return convert(value) if _is_tensor(backend, value) else value

        kwargs = {**self.kwargs, **changed}
        return self.method(backend, *[each(a) for a in self.args], **{k: each(v) for k, v in kwargs.items()})

    def tensors(self, backend: Any, args: tuple | None = None) -> list[Any]:
        found = []
        for value in (*self.args, *self.kwargs.values()) if args is None else args:
            found += [item for item in (value if isinstance(value, (list, tuple)) else (value,)) if _is_tensor(backend, item)]
        return found

    def first_exotic(self, backend: Any) -> Exotic | None:
        return next((t for t in self.tensors(backend) if isinstance(t, Exotic)), None)


def _not_implemented(op: str, dtypes: set[str]) -> str:
    """torch's message where it has no kernel for an op and these dtypes."""
    return f'"{op}" not implemented for {", ".join(DTYPES[d].scalar_type for d in sorted(dtypes))}'


def _is_tensor(backend: Any, value: Any) -> bool:
    return isinstance(value, Exotic) or backend._is_tensor(value)


_PLAIN_SCALARS = frozenset({int, float, bool, complex, type(None)})


def _plain(ndarray: type, args: tuple, kwargs: dict) -> bool:
    """Whether every argument is, by its exact type, one that cannot be or name an exotic dtype: an
    ``ndarray``, a number, None, a string that is no exotic dtype's name, or a list or tuple of
    ndarrays and ints.

    The common call, checked with a type lookup per argument; anything else (NumPy scalars, Exotic
    tensors, nested lists) takes :func:`_exotic_dtypes`. This is per-call overhead of every op."""
    for value in (*args, *kwargs.values()) if kwargs else args:
        kind = type(value)
        if kind is ndarray or kind in _PLAIN_SCALARS:
            continue
        if kind is str:
            if value in SUPPORT:
                return False
        elif not ((kind is tuple or kind is list) and all(type(item) is ndarray or type(item) is int for item in value)):
            return False
    return True


def _exotic_dtypes(args: tuple, kwargs: dict) -> set[str]:
    found = {kwargs["dtype"]} if kwargs.get("dtype") in SUPPORT else set()
    for value in (*args, *kwargs.values()):
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, Exotic):
                found.add(item.dtype)
    return found


def _carrier(value: Any) -> Any:
    return value.carrier if isinstance(value, Exotic) else value


def _complex32_result(backend: Any, call: Call) -> bool:
    """Whether torch's result is complex32 (rather than a wider dtype) for these operands."""
    if call.kwargs.get("dtype") is not None:
        return call.kwargs["dtype"] == "complex32"
    data = call.args[_DATA_ARGS[call.op]] if call.op in _DATA_ARGS else call.args
    operands = [(t.dtype if isinstance(t, Exotic) else backend._name(t), t.ndim) for t in call.tensors(backend, data)]
    if call.op in _PROMOTING:  # Python numbers take part in these ops' promotion (float16 with 2j is complex32)
        operands += [value for value in data if promotion.is_python_number(value)]
    return bool(operands) and promotion.result_type(operands) == "complex32"


# Ops whose result dtype is the promotion of their operands, Python numbers included.
_PROMOTING = frozenset({"add", "sub", "mul", "div", "pow", "where"})


def _promotes_to_complex32(backend: Any, op: str, args: tuple) -> bool:
    """Whether plain operands give torch a complex32 result: a float16 tensor with a Python complex
    number or a 0-d complex tensor (torch takes float16's complex counterpart). Cheap when they do not."""
    data = args[_DATA_ARGS[op]] if op in _DATA_ARGS else args
    half = complex_ = False
    for value in data:
        if type(value) is complex:
            complex_ = True
        elif backend._is_tensor(value):
            half = half or value.dtype == np.float16
            complex_ = complex_ or value.dtype.kind == "c"
    if not (half and complex_):
        return False
    operands = [(backend._name(v), v.ndim) if backend._is_tensor(v) else v for v in data]
    return promotion.result_type([v for v in operands if isinstance(v, tuple) or promotion.is_python_number(v)]) == "complex32"


def _wrap(backend: Any, result: Any, convert: Callable[[Any], Any]) -> Any:
    """``convert`` each array in a result: a tensor, a tuple of them, or a sparse tensor's values."""
    if isinstance(result, tuple):
        return tuple(_wrap(backend, item, convert) for item in result)
    if isinstance(result, SparseCOO):
        return SparseCOO(result.indices, _wrap(backend, result.values, convert), result.size)
    return convert(result) if backend._is_tensor(result) else result


def _carry(backend: Any, call: Call, kernel: bool = True) -> Any:
    """The plain op on the carriers; a result in the exotic dtype is wrapped back (complex32 rounded).

    ``kernel=False``: torch has no kernel for the dtype, so the plain op raises where it reaches one."""
    exotic = call.first_exotic(backend)
    if exotic is not None and exotic.dtype in QUANTIZED:
        rewrap = lambda array: exotic.like(array) if array.dtype == exotic.carrier.dtype else array  # noqa: E731
    elif _complex32_result(backend, call):
        rewrap = lambda array: Exotic(round_complex32(backend.xp, array), "complex32") if array.dtype.kind == "c" else array  # noqa: E731
    else:  # complex32 promoted to a wider dtype: torch computes in that one, with its kernels
        return call.run(backend, _carrier)
    if kernel:
        return _wrap(backend, call.run(backend, _carrier), rewrap)
    token = _MISSING_KERNEL.set(_not_implemented(call.op, _exotic_dtypes(call.args, call.kwargs)))
    try:
        return _wrap(backend, call.run(backend, _carrier), rewrap)
    finally:
        _MISSING_KERNEL.reset(token)


def _compute(backend: Any, call: Call) -> Any:
    xp = backend.xp
    if not _complex32_result(backend, call):
        return call.run(backend, _carrier)

    # torch casts every operand to complex32 first (Python numbers too), then computes.
    def cast(value: Any) -> Any:
        if isinstance(value, Exotic):
            return value.carrier
        if value.dtype == np.bool_:  # bool stays bool, for torch's bool checks
            return value
        return round_complex32(xp, xp.asarray(value).astype(np.complex64))

    def cast_number(value: Any) -> Any:
        if isinstance(value, (float, complex)):
            rounded = np.complex64(value)
            return complex(float(np.float16(rounded.real)), float(np.float16(rounded.imag)))
        return value

    args = tuple(cast_number(a) for a in call.args)
    kwargs = {k: cast_number(v) for k, v in call.kwargs.items()}
    token = _ROUND_PRODUCT.set(lambda product: round_complex32(xp, product))  # alpha * other, as torch
    try:
        result = Call(call.op, call.method, args, kwargs).run(backend, cast)
    finally:
        _ROUND_PRODUCT.reset(token)
    return Exotic(round_complex32(xp, result), "complex32")


def _dequantized(backend: Any, call: Call) -> Any:
    return call.run(backend, lambda t: dequantize(backend.xp, t) if isinstance(t, Exotic) else t)


def _requantized(backend: Any, call: Call) -> Any:
    first = call.tensors(backend)[0]
    if not all(isinstance(t, Exotic) and t.dtype == first.dtype for t in call.tensors(backend)):
        raise NotImplementedError(f"{call.op}: every tensor must be quantized as {first.dtype}, as torch's quantized {call.op} requires")
    result = call.run(backend, lambda t: dequantize(backend.xp, t))
    return _wrap(backend, result, lambda array: quantize(backend.xp, array, first))


def _filled(backend: Any, call: Call) -> Any:
    bound = inspect.signature(call.method).bind(backend, *call.args, **call.kwargs)
    bound.apply_defaults()
    tensor, value = bound.arguments["input"], bound.arguments["value"]
    if not isinstance(tensor, Exotic):
        raise RuntimeError(f"{call.op}: the fill of a quantized tensor needs a quantized input")
    bound.arguments["value"] = quantize(backend.xp, backend.xp.asarray(0 if value is None else value), tensor).carrier.item()
    return _carry(backend, Call(call.op, call.method, bound.args[1:], bound.kwargs))


_RULES: dict[str, Callable[[Any, Call], Any]] = {
    CARRY: _carry,
    KERNEL: lambda backend, call: _carry(backend, call, kernel=False),
    COMPUTE: _compute,
    DEQUANTIZE: _dequantized,
    REQUANTIZE: _requantized,
    FILL: _filled,
}
