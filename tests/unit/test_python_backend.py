"""The pure-Python backend's own promises: honest dtypes, torch's wraparound and rounding, no NumPy in compute.

Its conformance to the whole spec is tests/conformance/test_conformance.py's job; these tests pin
what the spec checks only indirectly.
"""

from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from tensorparity.backends import pyelementwise, pyfactories, pylayout, pylinalg, pymath, pyreduce, pytensor
from tensorparity.backends.base import UnsupportedDtype
from tensorparity.backends.neutral import STORAGE, Graph, NeutralTensor, Ref, Step
from tensorparity.backends.pytensor import PyTensor, round_bfloat16, round_float16, round_float32
from tensorparity.backends.python_backend import PythonBackend
from tensorparity.backends.registry import load_backend
from tensorparity.backends.spec_files import OP_IDS

BACKEND = PythonBackend()
ROOT = Path(__file__).resolve().parents[2]


def tensor(values: list, dtype: str, shape: tuple[int, ...] | None = None) -> PyTensor:
    """A PyTensor built without NumPy."""
    return PyTensor(list(values), (len(values),) if shape is None else shape, dtype)


def test_registered_and_complete():
    assert isinstance(load_backend("python"), PythonBackend)
    missing = [op for op in OP_IDS if not callable(getattr(BACKEND, op, None))]
    assert missing == []


# --- dtypes it cannot represent honestly --------------------------------------------
@pytest.mark.parametrize("dtype", ["complex32", "quint8", "qint8", "qint32", "quint4x2"])
def test_unsupported_dtypes_raise_unsupported_dtype(dtype):
    if dtype == "complex32":
        neutral = NeutralTensor(np.zeros((3, 2), dtype=np.float16), dtype)
    else:
        neutral = NeutralTensor(np.zeros(3, dtype=np.int32 if dtype == "qint32" else np.uint8), dtype, 0.5, 0)
    with pytest.raises(UnsupportedDtype) as raised:
        BACKEND.tensor_from_neutral(neutral)
    assert raised.value.dtype == dtype
    assert isinstance(raised.value, NotImplementedError)  # the harness reports "not implemented"
    with pytest.raises(UnsupportedDtype):
        BACKEND.full((2,), 1, dtype=dtype)
    with pytest.raises(UnsupportedDtype):
        BACKEND.cumprod(tensor([1.0, 2.0], "float32"), 0, dtype=dtype)


# --- integer wraparound -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("op", "left", "right", "dtype", "expected"),
    [
        ("add", [255, 254], [1, 3], "uint8", [0, 1]),
        ("sub", [0, 1], [1, 3], "uint8", [255, 254]),
        ("add", [127, -128], [1, -1], "int8", [-128, 127]),
        ("mul", [100, -100], [3, 3], "int8", [44, -44]),
        ("mul", [300, 2**15 - 1], [300, 2], "int16", [24464, -2]),
        ("add", [2**31 - 1], [1], "int32", [-(2**31)]),
        ("add", [2**63 - 1], [1], "int64", [-(2**63)]),
        ("mul", [-(2**63)], [-1], "int64", [-(2**63)]),
        ("pow", [3, -3], [5, 5], "int8", [-13, 13]),  # 243 and -243 wrap
    ],
)
def test_integer_results_wrap_as_torch(op, left, right, dtype, expected):
    result = getattr(BACKEND, op)(tensor(left, dtype), tensor(right, dtype))
    assert result.dtype == dtype
    assert result.values() == expected


def test_python_int_operands_wrap_into_the_tensor_dtype():
    # torch casts the number to uint8 (1000 -> 232) before adding; the sum wraps too.
    assert BACKEND.add(tensor([1, 200], "uint8"), 1000).values() == [233, 176]
    assert BACKEND.mul(tensor([1, 2, 100], "uint8"), 3).values() == [3, 6, 44]


def test_cumprod_and_mm_wrap():
    assert BACKEND.cumprod(tensor([100, 3], "int8"), 0, dtype="int8").values() == [100, 44]
    assert BACKEND.cumprod(tensor([2**62, 4], "int64"), 0).values() == [2**62, 0]
    product = BACKEND.mm(tensor([100] * 3, "int8", (1, 3)), tensor([1] * 3, "int8", (3, 1)))
    assert product.values() == [44]


def test_integer_division_by_zero_raises_and_min_over_minus_one_wraps():
    with pytest.raises(RuntimeError):
        BACKEND.div(tensor([1], "int32"), tensor([0], "int32"), rounding_mode="floor")
    assert BACKEND.div(tensor([-128], "int8"), tensor([-1], "int8"), rounding_mode="trunc").values() == [-128]


# --- float rounding matches NumPy's casts --------------------------------------------
SAMPLES = [
    0.1,
    1 / 3,
    -2.5,
    1.0 + 2.0**-24,
    1.0 + 3 * 2.0**-24,
    3.4028235e38,
    3.5e38,
    -1e39,
    1e-40,
    1e-46,
    65504.0,
    65519.0,
    65520.0,
    1e-8,
    6e-8,
    1.0 + 2.0**-11,
    1.0 + 2.0**-8,
    1.0 + 3 * 2.0**-8,
    -0.0,
    math.inf,
    -math.inf,
    math.nan,
    123456.789,
]


def _same(ours: list[float], theirs: np.ndarray) -> bool:
    return all(
        (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
        for a, b in zip(ours, theirs.astype(np.float64).tolist())
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_float32_rounding_matches_numpy():
    assert _same(round_float32(SAMPLES), np.array(SAMPLES).astype(np.float32))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_float16_rounding_matches_numpy():
    # Through float32 first, as torch converts a double to Half; no sample sits where that differs.
    assert _same(round_float16(SAMPLES), np.array(SAMPLES).astype(np.float16))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_bfloat16_rounding_matches_ml_dtypes():
    assert _same(round_bfloat16(SAMPLES), np.array(SAMPLES).astype(ml_dtypes.bfloat16))
    # round to nearest even on the upper 16 bits: a tie goes to the even neighbour
    assert round_bfloat16([1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8]) == [1.0, 1.0 + 2.0**-6]


def test_arithmetic_rounds_each_result_to_its_dtype():
    assert BACKEND.add(tensor([0.1], "float32"), tensor([0.2], "float32")).values() == [float(np.float32(0.1) + np.float32(0.2))]
    assert BACKEND.mul(tensor([1000.0], "float16"), 100.0).values() == [math.inf]  # 1e5 overflows float16
    assert BACKEND.exp(tensor([100.0], "float32")).values() == [math.inf]
    assert BACKEND.div(tensor([1.0, 0.0], "float64"), tensor([0.0, 0.0], "float64")).values()[0] == math.inf
    assert math.isnan(BACKEND.div(tensor([1.0, 0.0], "float64"), 0.0).values()[1])
    z = BACKEND.mul(tensor([1 / 3 + 0.1j], "complex64"), 3).values()[0]
    assert (z.real, z.imag) == (float(np.float32(1.0)), float(np.float32(np.float32(0.1) * 3)))


def test_complex32_is_not_silently_widened():
    with pytest.raises(UnsupportedDtype):
        BACKEND.arange(3, dtype="complex32")


# --- views share storage as torch's do -----------------------------------------------
def test_views_and_view_refusal():
    x = tensor(list(range(6)), "int64", (2, 3))
    t = BACKEND.transpose(x, 0, 1)
    assert t.data is x.data and t.values() == [0, 3, 1, 4, 2, 5]
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        BACKEND.view(t, 6)
    assert BACKEND.reshape(t, (6,)).values() == [0, 3, 1, 4, 2, 5]
    top, bottom = BACKEND.vsplit(x, 2)
    assert top.data is x.data and bottom.values() == [3, 4, 5]


def test_non_contiguous_neutral_input_keeps_its_layout():
    array = np.arange(6, dtype=np.float32).reshape(2, 3).T  # a transposed view
    native = BACKEND.tensor_from_neutral(NeutralTensor(array, "float32"))
    assert native.strides == (1, 3) and native.values() == array.ravel().tolist()
    with pytest.raises(RuntimeError):
        BACKEND.view(native, 6)
    back = BACKEND.tensor_to_neutral(native)
    assert back.dtype == "float32" and np.array_equal(back.array, array)


def test_round_trip_of_every_supported_dtype():
    for dtype in sorted(pytensor.SUPPORTED):
        values = [1, 0, 1] if dtype == "bool" else [1.5 + 2j, -0.5j, 3] if dtype.startswith("complex") else [1, 2, 3]
        neutral = NeutralTensor(np.asarray(values).astype(STORAGE[dtype]), dtype)
        back = BACKEND.tensor_to_neutral(BACKEND.tensor_from_neutral(neutral))
        assert back.dtype == dtype and np.array_equal(back.array, neutral.array)


def test_grad_works_on_its_tensors():
    graph = Graph(
        {"x": tensor([2.0], "float32", ())},
        (Step("y", "pow", (Ref("x"), 2)), Step("z", "add", (Ref("y"), 3))),
        "z",
        ("x",),
    )
    (gradient,) = BACKEND.grad(graph)
    assert isinstance(gradient, PyTensor) and gradient.dtype == "float32" and gradient.values() == [4.0]


# --- no NumPy in the compute path ---------------------------------------------------------
COMPUTE_MODULES = [
    ROOT / "backends" / name
    for name in (
        "pytensor.py",
        "pymath.py",
        "python_backend.py",
        "pyelementwise.py",
        "pylinalg.py",
        "pylayout.py",
        "pyreduce.py",
        "pyfactories.py",
    )
]
CONVERSION = {"tensor_from_neutral", "tensor_to_neutral"}


def test_numpy_is_named_only_in_the_conversion_methods():
    for path in COMPUTE_MODULES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] in ("numpy", "ml_dtypes", "torch") for m in modules):
                    owner = _enclosing_function(tree, node)
                    assert owner in CONVERSION, f"{path.name}:{node.lineno} imports {modules} in {owner}"
            if isinstance(node, ast.Name) and node.id in ("np", "numpy", "ml_dtypes"):
                owner = _enclosing_function(tree, node)
                assert owner in CONVERSION, f"{path.name}:{node.lineno} uses {node.id} in {owner}"


def _enclosing_function(tree: ast.AST, target: ast.AST) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(child is target for child in ast.walk(node)):
            return node.name
    return None


def _every_op() -> list:
    f32 = tensor([1.5, -2.0, 0.25, 4.0, 0.5, -1.0], "float32", (2, 3))
    square = tensor([2.0, 1.0, 1.0, 3.0], "float64", (2, 2))
    mask = tensor([True, False, True], "bool")
    return [
        lambda: BACKEND.add(f32, 1.5, alpha=2),
        lambda: BACKEND.sub(f32, f32),
        lambda: BACKEND.mul(f32, tensor([2.0, 0.5, -1.0], "float16")),
        lambda: BACKEND.div(f32, 3),
        lambda: BACKEND.div(tensor([7, -7], "int64"), 2, rounding_mode="trunc"),
        lambda: BACKEND.pow(f32, 3),
        lambda: BACKEND.pow(tensor([1 + 1j], "complex64"), tensor([0.5 - 1j], "complex64")),
        lambda: BACKEND.exp(tensor([1, 2], "int32")),
        lambda: BACKEND.gt(f32, 0),
        lambda: BACKEND.lt(f32, f32),
        lambda: BACKEND.where(tensor([True, False], "bool"), tensor([1, 2], "int8"), 3.5),
        lambda: BACKEND.masked_select(tensor([1, 2, 3], "int64"), mask),
        lambda: BACKEND.mm(square, square),
        lambda: BACKEND.bmm(tensor([1.0] * 8, "bfloat16", (2, 2, 2)), tensor([2.0] * 8, "bfloat16", (2, 2, 2))),
        lambda: BACKEND.det(square),
        lambda: BACKEND.det(tensor([1 + 1j, 2, 3, 4j], "complex128", (2, 2))),
        lambda: BACKEND.transpose(f32, 0, 1),
        lambda: BACKEND.permute(f32, (1, 0)),
        lambda: BACKEND.view(f32, 3, 2),
        lambda: BACKEND.reshape(BACKEND.transpose(f32, 0, 1), (6,)),
        lambda: BACKEND.cat([f32, f32], 1),
        lambda: BACKEND.vsplit(f32, [1]),
        lambda: BACKEND.repeat(f32, 2, 1, 2),
        lambda: BACKEND.pad(f32, (1, 2), "reflect"),
        lambda: BACKEND.pad(f32, (1, -1, 2, 0), value=7.0),
        lambda: BACKEND.cumprod(f32, 1),
        lambda: BACKEND.argmax(f32, 1, keepdim=True),
        lambda: BACKEND.numel(f32),
        lambda: BACKEND.arange(0, 2, 0.25, dtype="float16"),
        lambda: BACKEND.full((2, 2), 3),
        lambda: BACKEND.sparse_coo_tensor(tensor([0, 1, 1, 2, 0, 2], "int64", (2, 3)), tensor([3.0, 4.0, 5.0], "float32")),
    ]


def test_every_op_computes_without_calling_numpy():
    """Run each op on NumPy-free PyTensors and trace every call: none may enter NumPy."""
    calls_into_numpy: list[str] = []

    def profile(frame, event, arg):
        if event == "call" and "numpy" in frame.f_code.co_filename.replace("\\", "/").split("/"):
            calls_into_numpy.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")
        elif event == "c_call" and _owned_by_numpy(arg):
            calls_into_numpy.append(repr(arg))

    ops = _every_op()
    sys.setprofile(profile)
    try:
        results = [op() for op in ops]
    finally:
        sys.setprofile(None)
    assert calls_into_numpy == []
    assert len(results) == len(ops)


def _owned_by_numpy(function: object) -> bool:
    """A C function (a ufunc, a numpy function, an ndarray method) that belongs to NumPy."""
    owners = (
        getattr(function, "__module__", None),
        type(function).__module__,
        type(getattr(function, "__self__", None)).__module__,
        getattr(getattr(function, "__objclass__", None), "__module__", None),
    )
    return any((owner or "").startswith(("numpy", "ml_dtypes")) for owner in owners)


def test_the_trace_would_see_numpy():
    seen: list[object] = []
    sys.setprofile(lambda frame, event, arg: seen.append(arg) if event == "c_call" and _owned_by_numpy(arg) else None)
    try:
        np.add([1.0], [2.0])
        np.zeros(2).sum()
    finally:
        sys.setprofile(None)
    assert len(seen) >= 2


def test_no_numpy_import_in_helper_modules():
    assert not any(name.startswith("numpy") for name in vars(pytensor)), "pytensor must not bind numpy"
    for module in (pymath, pyelementwise, pylinalg, pylayout, pyreduce, pyfactories):
        assert not any(name.startswith("numpy") or name == "np" for name in vars(module)), module.__name__
