"""The spec's value forms, both ways: YAML inputs and expectations <-> neutral values.

Inputs:
  {tensor: <nested list | {real, imag}>, dtype: NAME, shape?: [..], layout?: {..}, scale?, zero_point?}
  {generate: arange|random|zeros|ones|edge, shape: [..], dtype: NAME, seed?: INT, layout?: {..}}
  scale and zero_point on either form: a quantized tensor's, its values then being the integer
  representation; with dtype $sweep they apply only where the swept dtype is quantized.
  {complex: [re, im]}        a Python complex number
  {ref: NAME}                a named value inside a gradient graph
  plain YAML numbers, bools, strings and lists stay Python values (lists become tuples).
Expectations:
  {dtype, shape, value}  {raises: NAME, message?}  {sequence: [..]}
  {sparse: {indices, values, size}}  {python: NUMBER}
Every builder raises ``ValueForm`` with the key path below the value it was given.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import ml_dtypes
import numpy as np
from tensorparity.backends.dtypes import DTYPES
from tensorparity.backends.neutral import (
    PAIRED,
    QUANTIZED,
    QUANTIZED_RANGE,
    STORAGE,
    NeutralSparse,
    NeutralTensor,
    Ref,
    complex_array,
)

SWEEP = "$sweep"  # stands for the dtype a sweep case is expanded over
GENERATORS = ("arange", "random", "zeros", "ones", "edge")
TENSOR_KEYS = {"tensor", "generate", "dtype", "shape", "layout", "seed", "scale", "zero_point"}


class ValueForm(ValueError):
    """A malformed value; ``path`` is the key path inside the value."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Raises:
    """The expectation that the op raises; ``error`` is torch's exception type."""

    error: str
    message: str = ""


# --- inputs ---------------------------------------------------------------
def build_input(form: Any, dtype: str | None, memory_limit: int, path: str = "") -> Any:
    """A neutral value from an input form; ``dtype`` replaces ``$sweep``."""
    if isinstance(form, dict):
        if "tensor" in form or "generate" in form:
            return _build_tensor(form, dtype, memory_limit, path)
        if set(form) == {"complex"}:
            real, imag = _pair(form["complex"], f"{path}.complex")
            return complex(real, imag)
        if set(form) <= {"ref", "index"} and isinstance(form.get("ref"), str):
            index = form.get("index")
            if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
                raise ValueForm(f"{path}.index", "must be an int")
            return Ref(form["ref"], index)
        raise ValueForm(path, f"unknown value form with keys {sorted(form)}")
    if isinstance(form, list):
        return tuple(build_input(item, dtype, memory_limit, f"{path}[{i}]") for i, item in enumerate(form))
    if form is None or isinstance(form, (bool, int, float, str)):
        return dtype if form == SWEEP else form
    raise ValueForm(path, f"unsupported value {form!r}")


def _pair(value: Any, path: str) -> tuple[float, float]:
    if not (isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)):
        raise ValueForm(path, "must be [real, imag]")
    return float(value[0]), float(value[1])


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shape(value: Any, path: str) -> tuple[int, ...]:
    if not (isinstance(value, list) and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value)):
        raise ValueForm(path, "must be a list of non-negative ints")
    return tuple(value)


def _dtype_of(form: dict, dtype: str | None, path: str) -> str:
    name = form.get("dtype")
    if name == SWEEP:
        if dtype is None:
            raise ValueForm(f"{path}.dtype", "$sweep outside a case with a sweep")
        name = dtype
    if not isinstance(name, str) or name not in STORAGE:
        raise ValueForm(f"{path}.dtype", f"unknown dtype {name!r}")
    return name


def _build_tensor(form: dict, sweep_dtype: str | None, memory_limit: int, path: str) -> NeutralTensor:
    unknown = set(form) - TENSOR_KEYS
    if unknown:
        raise ValueForm(path, f"unknown key {sorted(unknown)[0]!r}")
    dtype = _dtype_of(form, sweep_dtype, path)
    shape = _shape(form["shape"], f"{path}.shape") if "shape" in form else None
    if shape is not None and math.prod(shape) * STORAGE[dtype].itemsize > memory_limit:
        raise ValueForm(f"{path}.shape", f"{list(shape)} needs more than the memory limit of {memory_limit} bytes")
    if "generate" in form:
        if shape is None:
            raise ValueForm(path, "generate needs a shape")
        values = generate(form["generate"], shape, dtype, form.get("seed", 0), f"{path}.generate")
    else:
        values = _literal(form["tensor"], dtype, f"{path}.tensor")
        if shape is not None:
            if values.size != math.prod(shape):
                raise ValueForm(f"{path}.shape", f"{list(shape)} does not hold the {values.size} values given")
            values = values.reshape(shape)
    if values.nbytes > memory_limit:
        raise ValueForm(path, f"tensor needs more than the memory limit of {memory_limit} bytes")
    if dtype not in QUANTIZED and form.get("dtype") != SWEEP and ({"scale", "zero_point"} & set(form)):
        raise ValueForm(path, f"scale and zero_point belong to quantized dtypes, not {dtype}")
    tensor = neutral_tensor(values, dtype, form, path)
    if dtype == "quint4x2" and not tensor.shape:
        raise ValueForm(path, "quint4x2 packs two values a byte: torch has no 0-d form of it")
    if "layout" in form:  # after the cast, which would copy into C order
        if dtype == "quint4x2":
            raise ValueForm(f"{path}.layout", "quint4x2 packs two values a byte: torch has no strided form of it")
        array = _layout(tensor.array, form["layout"], f"{path}.layout")
        tensor = NeutralTensor(array, tensor.dtype, tensor.scale, tensor.zero_point)
    return tensor


def _literal(value: Any, dtype: str, path: str) -> np.ndarray:
    if isinstance(value, dict):
        if set(value) != {"real", "imag"}:
            raise ValueForm(path, "a complex literal has exactly the keys real and imag")
        real, imag = _literal(value["real"], "float64", f"{path}.real"), _literal(value["imag"], "float64", f"{path}.imag")
        if real.shape != imag.shape:
            raise ValueForm(path, "real and imag differ in shape")
        return complex_array(real, imag)
    try:
        array = np.array(value, dtype=object)
    except ValueError as error:
        raise ValueForm(path, f"not a rectangular nested list: {error}") from None
    for item in array.flat:
        if not isinstance(item, (int, float, bool)):
            raise ValueForm(path, f"element {item!r} is not a number")
    if array.dtype == object and array.size and isinstance(array.flat[0], list):
        raise ValueForm(path, "not a rectangular nested list")
    kind = (
        np.complex128
        if dtype.startswith("complex")
        else np.float64
        if array.size and any(isinstance(i, float) for i in array.flat)
        else None
    )
    return np.array(array.tolist(), dtype=kind) if array.size else np.array(array.tolist(), dtype=np.float64)


def _layout(values: np.ndarray, layout: Any, path: str) -> np.ndarray:
    """Non-contiguous inputs: ``{transpose: [d0, d1]}`` or ``{step: [s0, s1, ..]}`` (a strided slice)."""
    if not isinstance(layout, dict) or len(layout) != 1:
        raise ValueForm(path, "layout is one of {transpose: [d0, d1]} or {step: [..]}")
    if "transpose" in layout:
        dims = layout["transpose"]
        if not (
            isinstance(dims, list)
            and len(dims) == 2
            and all(isinstance(d, int) and -values.ndim <= d < values.ndim for d in dims)
        ):
            raise ValueForm(f"{path}.transpose", "must be two dims of the tensor")
        return np.swapaxes(values, *dims)
    if "step" in layout:
        steps = layout["step"]
        if not (isinstance(steps, list) and len(steps) <= values.ndim and all(isinstance(s, int) and s > 0 for s in steps)):
            raise ValueForm(f"{path}.step", "must be positive ints, one per leading dim")
        return values[tuple(slice(None, None, s) for s in steps)]
    raise ValueForm(path, f"unknown layout {next(iter(layout))!r}")


def neutral_tensor(values: np.ndarray, dtype: str, form: dict, path: str) -> NeutralTensor:
    """Store plain values in the neutral form of ``dtype`` (keeping any strides); a quantized
    dtype takes its ``scale`` and ``zero_point`` from ``form``."""
    if dtype in QUANTIZED:
        if "scale" not in form or "zero_point" not in form:
            raise ValueForm(path, f"a {dtype} tensor needs scale and zero_point (values are its integer representation)")
        low, high = QUANTIZED_RANGE[dtype]
        if values.size and not (low <= np.min(values) and np.max(values) <= high):
            raise ValueForm(path, f"a {dtype} integer representation lies in {low}..{high}")
        return NeutralTensor(_cast(values, STORAGE[dtype]), dtype, float(form["scale"]), int(form["zero_point"]))
    if dtype in PAIRED:
        values = np.asarray(values, dtype=np.complex64)
        return NeutralTensor(np.stack([values.real, values.imag], axis=-1).astype(np.float16), dtype)
    return NeutralTensor(_cast(values, STORAGE[dtype]), dtype)


def _cast(values: np.ndarray, storage: np.dtype) -> np.ndarray:
    """Cast keeping strides, so layouts survive (astype would copy to C order)."""
    if values.dtype == storage:
        return values
    if np.issubdtype(storage, np.integer) and values.dtype.kind == "f":
        values = np.trunc(values)
    with np.errstate(invalid="ignore", over="ignore"):
        if np.issubdtype(storage, np.integer) and values.dtype.kind in "fc":
            # wrap out-of-range values as torch's casts do for integers
            values = np.real(values).astype(np.int64) if values.dtype.kind == "c" else values.astype(np.int64)
        if storage == np.bool_ and values.dtype.kind == "c":
            values = values != 0
        out = np.empty_like(values, dtype=storage, order="K")
        out[...] = values.astype(storage) if values.dtype.kind == "c" and storage.kind != "c" else values
    return out


def generate(kind: Any, shape: tuple[int, ...], dtype: str, seed: Any, path: str) -> np.ndarray:
    """Deterministic inputs: the same kind, shape, dtype and seed give the same values everywhere."""
    if kind not in GENERATORS:
        raise ValueForm(path, f"unknown generator {kind!r}; one of {', '.join(GENERATORS)}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueForm(path, "seed must be an int")
    count = math.prod(shape)
    if kind == "arange":
        return np.arange(count, dtype=np.float64).reshape(shape)
    if kind in ("zeros", "ones"):
        return np.full(shape, 0.0 if kind == "zeros" else 1.0)
    rng = np.random.default_rng(seed)
    if kind == "edge":
        pool = edge_values(dtype)
        return np.array([pool[i % len(pool)] for i in range(count)], dtype=pool.dtype).reshape(shape)
    category = _category(dtype)
    if category == "bool":
        return rng.random(shape) < 0.5
    if category == "unsigned":
        return rng.integers(0, 10, shape).astype(np.float64)
    if category == "signed":
        return rng.integers(-5, 6, shape).astype(np.float64)
    real = np.round(rng.uniform(-2.0, 2.0, shape), 3)
    if category == "complex":
        return real + 1j * np.round(rng.uniform(-2.0, 2.0, shape), 3)
    return real


def _category(dtype: str) -> str:
    row = DTYPES[dtype]
    if row.int_range is not None:
        return "unsigned" if row.int_range[0] == 0 else "signed"
    return {"floating": "float"}.get(row.category, row.category)  # bool, float, complex


@functools.cache
def edge_values(dtype: str) -> np.ndarray:
    """The edge values of a dtype: NaN, ±inf, -0.0, subnormals, extremes; integer min and max (read-only)."""
    pool = _edge_values(dtype)
    pool.flags.writeable = False
    return pool


def _edge_values(dtype: str) -> np.ndarray:
    category = _category(dtype)
    if category == "bool":
        return np.array([True, False])
    if category in ("signed", "unsigned"):
        low, high = DTYPES[dtype].int_range
        return np.array([low, high, 0, 1, low + 1, high - 1], dtype=np.int64)
    real_dtype = DTYPES[dtype].real or dtype
    info = ml_dtypes.finfo(STORAGE[real_dtype])  # numpy's finfo does not know bfloat16
    pool = np.array([np.nan, np.inf, -np.inf, -0.0, float(info.smallest_subnormal), float(info.max), -float(info.max), 1.0])
    if category != "complex":
        return pool
    return pool.astype(np.complex128) + np.array([complex(0.0, x) for x in pool[::-1]])  # 1j * inf would make nan


# --- expectations -----------------------------------------------------------
def build_expected(form: Any, path: str = "expected") -> Any:
    """The neutral value (or Raises) a stored expectation stands for."""
    if not isinstance(form, dict):
        raise ValueForm(path, "an expectation is a mapping")
    if "raises" in form:
        if not isinstance(form["raises"], str) or set(form) - {"raises", "message"}:
            raise ValueForm(path, "a raise is {raises: ExceptionName, message?: text}")
        return Raises(form["raises"], str(form.get("message", "")))
    if "sequence" in form:
        if not isinstance(form["sequence"], list):
            raise ValueForm(f"{path}.sequence", "must be a list of expectations")
        return tuple(build_expected(item, f"{path}.sequence[{i}]") for i, item in enumerate(form["sequence"]))
    if "sparse" in form:
        sparse = form["sparse"]
        if not isinstance(sparse, dict) or set(sparse) != {"indices", "values", "size"}:
            raise ValueForm(f"{path}.sparse", "needs exactly indices, values and size")
        return NeutralSparse(
            build_expected(sparse["indices"], f"{path}.sparse.indices"),
            build_expected(sparse["values"], f"{path}.sparse.values"),
            _shape(sparse["size"], f"{path}.sparse.size"),
        )
    if "python" in form:
        if not isinstance(form["python"], (bool, int, float)):
            raise ValueForm(f"{path}.python", "must be a number")
        return form["python"]
    missing = {"dtype", "shape", "value"} - set(form)
    if missing:
        raise ValueForm(path, f"a tensor expectation needs {sorted(missing)[0]!r}")
    unknown = set(form) - {"dtype", "shape", "value", "scale", "zero_point"}
    if unknown:
        raise ValueForm(path, f"unknown key {sorted(unknown)[0]!r}")
    return _build_tensor({"tensor": form["value"], **{k: form[k] for k in form if k != "value"}}, None, 2**62, path)


def expected_to_form(value: Any) -> Any:
    """The YAML form of a neutral result, as ``spec record`` writes it."""
    if isinstance(value, Raises):
        return {"raises": value.error, "message": value.message} if value.message else {"raises": value.error}
    if isinstance(value, NeutralSparse):
        return {
            "sparse": {
                "indices": expected_to_form(value.indices),
                "values": expected_to_form(value.values),
                "size": list(value.size),
            }
        }
    if isinstance(value, (tuple, list)):
        return {"sequence": [expected_to_form(item) for item in value]}
    if isinstance(value, NeutralTensor):
        form: dict[str, Any] = {"dtype": value.dtype, "shape": list(value.shape), "value": tensor_values_form(value)}
        if value.dtype in QUANTIZED:
            form.update(scale=value.scale, zero_point=value.zero_point)
        return form
    if isinstance(value, (bool, int, float)):
        return {"python": value}
    raise TypeError(f"cannot store a {type(value).__name__} as an expectation")


def tensor_values_form(tensor: NeutralTensor) -> Any:
    """Nested lists of plain Python numbers; floats in their shortest exact form."""
    values = tensor.values() if tensor.dtype in PAIRED else tensor.array
    if tensor.dtype in QUANTIZED:
        return tensor.array.tolist()
    if values.dtype.kind == "c":
        real_dtype = np.float16 if tensor.dtype in PAIRED else values.real.dtype
        return {"real": _float_list(values.real, real_dtype), "imag": _float_list(values.imag, real_dtype)}
    if DTYPES[tensor.dtype].category == "floating":
        return _float_list(values, values.dtype)
    return values.tolist()


def _float_list(values: np.ndarray, dtype: Any) -> Any:
    def short(x: float) -> float:
        # The shortest decimal that reads back to the same value of ``dtype``.
        if not math.isfinite(x):
            return x
        text = repr(np.array(x, dtype=dtype).item()) if dtype == np.float64 else str(np.array(x).astype(dtype))
        candidate = float(text)
        return candidate if np.array(candidate).astype(dtype) == np.array(x).astype(dtype) else x

    flat = [short(float(x)) for x in np.asarray(values, dtype=np.float64).ravel()]
    return np.array(flat, dtype=object).reshape(values.shape).tolist() if values.ndim else flat[0]
