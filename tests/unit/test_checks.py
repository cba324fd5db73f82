"""torch's argument checks: one copy, in backends/semantics, that both reference backends raise.

Each case below breaks one argument rule; the NumPy and the pure-Python backends must both
raise for it, with the same exception and message, raised from backends/semantics (not from
a copy of the check in the backend). A second test reads the backends' source and fails
where a message written in semantics/ is written again in a backend module, or where two
backend modules write the same message.
"""

from __future__ import annotations

import ast
import traceback
from pathlib import Path

import numpy as np
import pytest
import tensorparity.backends
from tensorparity.backends.neutral import NeutralTensor
from tensorparity.backends.numpy_backend import NumpyBackend
from tensorparity.backends.python_backend import PythonBackend
from tensorparity.backends.semantics import checks

BACKENDS_DIR = Path(tensorparity.backends.__file__).resolve().parent  # the backends/ folder, wherever this test lives
SEMANTICS = BACKENDS_DIR / "semantics"
# The contract and the oracle: every other module under backends/ is a reference backend's.
NOT_REFERENCE = {"__init__.py", "base.py", "neutral.py", "autodiff.py", "registry.py", "torch_backend.py"}
REFERENCE_MODULES = sorted(path for path in BACKENDS_DIR.glob("*.py") if path.name not in NOT_REFERENCE)
BACKENDS = [NumpyBackend(), PythonBackend()]


def t(values, dtype: str = "float32", shape: tuple[int, ...] | None = None) -> NeutralTensor:
    array = np.asarray(values, dtype=np.dtype(dtype) if dtype != "bool" else np.bool_)
    return NeutralTensor(array if shape is None else array.reshape(shape), dtype)


def transposed() -> NeutralTensor:
    return NeutralTensor(np.arange(6, dtype=np.float32).reshape(2, 3).T, "float32")


INT32_MIN, INT64_MIN = -(2**31), -(2**63)
M = t([[1.0, 2.0], [3.0, 4.0]])
B3 = t(np.ones((2, 2, 2)))

# (id, op, args, kwargs): each breaks one rule a semantics function checks.
CASES = [
    ("operands_input", "add", ("x", M), {}),
    ("operands_other", "mul", (M, "x"), {}),
    ("sub_bool_tensor", "sub", (t([True], "bool"), t([1], "int64")), {}),
    ("sub_bool_number", "sub", (t([1], "int64"), True), {}),
    ("rounding_mode", "div", (M, 2), {"rounding_mode": "round"}),
    ("div_floor_bool", "div", (t([True], "bool"), t([True], "bool")), {"rounding_mode": "floor"}),
    ("div_trunc_complex", "div", (t([1j], "complex64"), t([1j], "complex64")), {"rounding_mode": "trunc"}),
    ("div_by_zero", "div", (t([4, 2], "int32"), 0), {"rounding_mode": "floor"}),
    ("div_int32_min_trunc", "div", (t([INT32_MIN, 4], "int32"), t([-1, 2], "int32")), {"rounding_mode": "trunc"}),
    ("div_int64_min_trunc", "div", (t([[INT64_MIN], [4]], "int64"), -1), {"rounding_mode": "trunc"}),
    ("pow_negative_int", "pow", (t([2], "int64"), -1), {}),
    ("pow_bool", "pow", (t([True], "bool"), t([True], "bool")), {}),
    ("gt_complex", "gt", (t([1j], "complex64"), t([1j], "complex64")), {}),
    ("where_condition", "where", (t([1.0]), M, M), {}),
    ("masked_select_mask", "masked_select", (M, t([[1, 0], [1, 0]], "uint8")), {}),
    ("mm_ndim", "mm", (B3, M), {}),
    ("mm_dtype", "mm", (M, t([[1.0, 2.0], [3.0, 4.0]], "float64")), {}),
    ("mm_shapes", "mm", (M, t(np.ones((3, 2)))), {}),
    ("bmm_bool", "bmm", (t(np.ones((1, 2, 2)), "bool"), t(np.ones((1, 2, 2)), "bool")), {}),
    ("det_dtype", "det", (t([[1, 2], [3, 4]], "int64"),), {}),
    ("det_square", "det", (t(np.ones((2, 3))),), {}),
    ("det_half", "det", (t([[1, 2], [3, 4]], "float16"),), {}),
    ("permute_length", "permute", (M, (0,)), {}),
    ("permute_duplicate", "permute", (M, (0, -2)), {}),
    ("permute_type", "permute", (M, 0), {}),
    ("view_missing", "view", (M,), {}),
    ("view_strides", "view", (transposed(), 6), {}),
    ("view_infer", "view", (M, -1, -1), {}),
    ("reshape_size", "reshape", (M, (3, -1)), {}),
    ("transpose_dim", "transpose", (M, 0, 2), {}),
    ("cat_empty", "cat", ([],), {}),
    ("cat_zero_dim", "cat", ([t(1.0), t(2.0)],), {}),
    ("cat_sizes", "cat", ([M, t(np.ones((2, 3)))], 0), {}),
    ("vsplit_sections", "vsplit", (t(np.ones((4, 2))), 3), {}),
    ("repeat_dims", "repeat", (M, 2), {}),
    ("pad_length", "pad", (M, (1, 1, 1)), {}),
    ("pad_narrow", "pad", (M, (-2, -1)), {}),
    ("pad_negative", "pad", (t(np.ones((2, 3))), (-2, -2)), {}),
    ("pad_mode", "pad", (M, (1, 1), "bogus"), {}),
    ("pad_value", "pad", (t(np.ones((1, 3))), (1, 1), "reflect", 2.0), {}),
    ("pad_size", "pad", (t(np.ones(3)), (1, 1, 1, 1), "reflect"), {}),
    ("pad_bool", "pad", (t(np.ones((1, 3)), "bool"), (1, 1), "replicate"), {}),
    ("pad_zero_dims", "pad", (t(np.ones((1, 0))), (1, 1), "reflect"), {}),
    ("pad_reflect_size", "pad", (t(np.ones((1, 3))), (3, 0), "reflect"), {}),
    ("pad_circular_wrap", "pad", (t(np.ones((1, 1, 3))), (4, 0), "circular"), {}),
    ("pad_circular_overlap", "pad", (t(np.ones((1, 1, 3))), (-2, 2), "circular"), {}),
    ("pad_too_small_w", "pad", (t(np.ones((1, 1, 3))), (-2, -2), "circular"), {}),
    ("pad_too_small", "pad", (t(np.ones((1, 3))), (-1, -2), "replicate"), {}),
    ("pad_value_overflow", "pad", (t([1, 2], "uint8"), (1, 1)), {"value": -3}),
    ("cumprod_bool", "cumprod", (t([True, False], "bool"), 0), {"dtype": "bool"}),
    ("cumprod_dim", "cumprod", (M, 2), {}),
    ("argmax_bool", "argmax", (t([True], "bool"),), {}),
    ("argmax_complex", "argmax", (t([1j], "complex64"),), {}),
    ("argmax_empty", "argmax", (t(np.ones(0)),), {}),
    ("argmax_empty_dim", "argmax", (t(np.ones((2, 0))), 1), {}),
    ("arange_bool", "arange", (3,), {"dtype": "bool"}),
    ("arange_step", "arange", (0, 3, 0), {}),
    ("arange_int_step", "arange", (0, 3, 0.5), {"dtype": "int64"}),
    ("arange_range", "arange", (0, float("inf")), {}),
    ("arange_sign", "arange", (0, 3, -1), {}),
    ("arange_size", "arange", (0, 1e30, 1e-30), {}),
    ("full_negative", "full", ((2, -1), 1.0), {}),
    ("full_overflow", "full", ((2,), 300), {"dtype": "int8"}),
    ("full_complex_overflow", "full", ((2,), 1e300), {"dtype": "complex64"}),
    ("full_imaginary", "full", ((2,), 1 + 1j), {"dtype": "float32"}),
    ("sparse_indices", "sparse_coo_tensor", (t([0, 1], "int64"), t([1.0, 2.0])), {}),
    ("sparse_nnz", "sparse_coo_tensor", (t([[0, 1]], "int64"), t([1.0, 2.0, 3.0])), {}),
    ("sparse_negative", "sparse_coo_tensor", (t([[0, 1], [1, -1]], "int64"), t([1.0, 2.0])), {}),
    ("sparse_dims", "sparse_coo_tensor", (t([[0, 1]], "int64"), t([1.0, 2.0]), (2, 2)), {}),
    ("sparse_values", "sparse_coo_tensor", (t([[0, 1]], "int64"), t(np.ones((2, 3))), (2, 4)), {}),
    ("sparse_size", "sparse_coo_tensor", (t([[0, 2]], "int64"), t([1.0, 2.0]), (2,)), {}),
]


def _raise(backend, op: str, args: tuple, kwargs: dict) -> BaseException:
    with pytest.raises(Exception) as raised:  # which exception is what the test compares
        backend.to_neutral(getattr(backend, op)(*backend.from_neutral(args), **backend.from_neutral(kwargs)))
    return raised.value


@pytest.mark.parametrize(("op", "args", "kwargs"), [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_both_backends_raise_the_one_check(op, args, kwargs):
    errors = [_raise(backend, op, args, kwargs) for backend in BACKENDS]
    assert len({(type(error), str(error)) for error in errors}) == 1, errors
    for backend, error in zip(BACKENDS, errors):
        origin = Path(traceback.extract_tb(error.__traceback__)[-1].filename).resolve()
        assert origin.parent == SEMANTICS, f"{backend.name} raised {error!r} from {origin.name}, not from backends/semantics"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_narrow_integers_wrap_on_min_over_minus_one():
    # torch computes int8 and int16 in int: -128 // -1 is 128, wrapped back to -128.
    for backend in BACKENDS:
        args = backend.from_neutral((t([-128, 4], "int8"), t([-1, 2], "int8")))
        out = backend.to_neutral(backend.div(*args, rounding_mode="trunc"))
        assert out.array.tolist() == [-128, 2]


def test_scalar_overflows_reads_the_range_it_is_given():
    assert checks.scalar_overflows(-3, "uint8", 0, 255) is False  # a negative int wraps into an unsigned dtype
    assert checks.scalar_overflows(1e5, "float16", -65504.0, 65504.0, one_element=True) is True  # torch: inf
    assert checks.scalar_overflows(float("inf"), "float32", -3.4e38, 3.4e38) is False
    with pytest.raises(RuntimeError, match="int8 without overflow"):
        checks.scalar_overflows(2.5e3, "int8", -128, 127)
    with pytest.raises(RuntimeError, match="float16 without overflow"):
        checks.scalar_overflows(1e5, "float16", -65504.0, 65504.0)


# --- one copy of each message ---------------------------------------------------------
EXCEPTIONS = {"RuntimeError", "TypeError", "ValueError", "IndexError", "NotImplementedError"}


def _template(node: ast.expr) -> str | None:
    """A message as written: a string, or an f-string with each replacement field as {}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


def messages(path: Path) -> set[str]:
    """The message of every exception a module constructs (RuntimeError("...") and friends)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in EXCEPTIONS and node.args:
            template = _template(node.args[0])
            # a message of its own: more than placeholders and punctuation
            if template is not None and sum(c.isalpha() for c in template.replace("{}", "")) >= 8:
                found.add(template)
    return found


def test_the_scan_sees_the_messages():
    shared = messages(SEMANTICS / "checks.py")
    assert "ZeroDivisionError" in shared
    assert "{}: expected {}-D tensors, got {}-D and {}-D" in shared
    assert len(shared) >= 40


def test_no_message_of_semantics_is_written_again_in_a_backend():
    shared = set().union(*(messages(path) for path in SEMANTICS.glob("*.py")))
    for path in REFERENCE_MODULES:
        copies = messages(path) & shared
        assert not copies, f"backends/{path.name} repeats checks from backends/semantics: {sorted(copies)}"


def test_no_two_backend_modules_write_the_same_message():
    seen: dict[str, str] = {}
    for path in REFERENCE_MODULES:
        for message in messages(path):
            assert message not in seen, f"{message!r} is written in backends/{seen[message]} and backends/{path.name}"
            seen[message] = path.name
