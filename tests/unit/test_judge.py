"""The one comparison routine: kinds, dtypes, shapes, tolerances, NaN and inf."""

from __future__ import annotations

import numpy as np
import pytest
from tensorparity.backends.neutral import NeutralSparse, NeutralTensor
from tensorparity.harness.judge import compare

DEFAULTS = {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7), "float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5)}


def tolerance(dtype):
    return DEFAULTS.get(dtype, (0.0, 0.0))


def tensor(values, dtype):
    from tensorparity.harness.values import neutral_tensor

    return neutral_tensor(np.array(values), dtype, {}, "")


def test_equal_tensors_pass():
    assert compare(tensor([1.0, 2.0], "float32"), tensor([1.0, 2.0], "float32"), tolerance) is None


def test_dtype_mismatch():
    difference = compare(tensor([1.0], "float32"), tensor([1.0], "float64"), tolerance)
    assert difference.message == "dtype float64, expected float32"


def test_shape_mismatch():
    difference = compare(tensor([[1.0, 2.0]], "float32"), tensor([1.0, 2.0], "float32"), tolerance)
    assert difference.message == "shape (2,), expected (1, 2)"


@pytest.mark.parametrize(
    ("dtype", "inside", "outside"),
    [("float32", 1e-5, 3e-5), ("float64", 1e-7, 3e-7), ("float16", 1e-3, 4e-3), ("bfloat16", 1e-2, 3e-2)],
)
def test_tolerance_is_per_dtype(dtype, inside, outside):
    # at 1.0, allowed difference is atol + rtol: inside passes, outside fails
    expected = tensor([1.0, 0.0], dtype)
    assert compare(expected, tensor([1.0 + inside * 0.5, 0.0], dtype), tolerance) is None
    if dtype in ("float16", "bfloat16"):  # the step between representable values is coarse
        assert compare(expected, tensor([1.0 + 0.0625, 0.0], dtype), tolerance) is not None
    else:
        assert compare(expected, tensor([1.0 + outside, 0.0], dtype), tolerance) is not None


def test_integers_are_exact():
    difference = compare(tensor([1, 2, 3, 4], "int64"), tensor([1, 2, 3, 5], "int64"), tolerance)
    assert difference.message.startswith("Mismatched elements: 1 / 4 (25.0%), greatest absolute difference 1 at index (3,)")
    assert difference.max_abs == 1.0


def test_bool_is_exact():
    assert compare(tensor([True, False], "bool"), tensor([True, True], "bool"), tolerance) is not None


def test_message_names_index_and_tolerance():
    difference = compare(tensor([[1.0, 2.0], [3.0, 4.0]], "float32"), tensor([[1.0, 2.0], [4.0, 4.0]], "float32"), tolerance)
    assert difference.message == (
        "Mismatched elements: 1 / 4 (25.0%), greatest absolute difference 1 at index (1, 0), "
        "greatest relative difference 0.333333 at index (1, 0) (atol 1e-05, rtol 1.3e-06)"
    )


def test_nan_must_be_where_nan_is():
    expected = tensor([np.nan, 1.0], "float32")
    assert compare(expected, tensor([np.nan, 1.0], "float32"), tolerance) is None
    assert compare(expected, tensor([0.0, 1.0], "float32"), tolerance) is not None
    assert compare(tensor([0.0, 1.0], "float32"), tensor([np.nan, 1.0], "float32"), tolerance) is not None


def test_infinities_must_match_in_sign():
    expected = tensor([np.inf, -np.inf], "float64")
    assert compare(expected, tensor([np.inf, -np.inf], "float64"), tolerance) is None
    assert compare(expected, tensor([-np.inf, -np.inf], "float64"), tolerance) is not None
    assert compare(expected, tensor([1e308, -np.inf], "float64"), tolerance) is not None


def test_complex_compares_both_parts():
    expected = tensor([1 + 2j], "complex64")
    assert compare(expected, tensor([1 + 2j], "complex64"), tolerance) is None
    assert compare(expected, tensor([1 + 3j], "complex64"), tolerance) is not None
    assert compare(tensor([1 + 2j], "complex32"), tensor([1 + 2.5j], "complex32"), tolerance) is not None


def test_quantized_compares_representation_and_parameters():
    def quantized(values, scale, zero_point):
        return NeutralTensor(np.array(values, dtype=np.int8), "qint8", scale, zero_point)

    assert compare(quantized([1, 2], 0.1, 0), quantized([1, 2], 0.1, 0), tolerance) is None
    assert compare(quantized([1, 2], 0.1, 0), quantized([1, 3], 0.1, 0), tolerance) is not None
    assert "scale" in compare(quantized([1, 2], 0.1, 0), quantized([1, 2], 0.2, 0), tolerance).message


def test_sequence_names_the_output():
    expected = (tensor([1.0], "float32"), tensor([2.0], "float32"))
    assert compare(expected, (tensor([1.0], "float32"), tensor([2.0], "float32")), tolerance) is None
    difference = compare(expected, (tensor([1.0], "float32"), tensor([2.5], "float32")), tolerance)
    assert difference.message.startswith("output [1]: Mismatched elements")
    assert compare(expected, (tensor([1.0], "float32"),), tolerance).message == "1 outputs, expected 2"


def test_sparse_checks_size_indices_values():
    def sparse(size, values):
        return NeutralSparse(tensor([[0, 1], [1, 0]], "int64"), tensor(values, "float32"), size)

    assert compare(sparse((2, 3), [1.0, 2.0]), sparse((2, 3), [1.0, 2.0]), tolerance) is None
    assert compare(sparse((2, 3), [1.0, 2.0]), sparse((3, 3), [1.0, 2.0]), tolerance).message == "size (3, 3), expected (2, 3)"
    assert compare(sparse((2, 3), [1.0, 2.0]), sparse((2, 3), [1.0, 9.0]), tolerance).message.startswith("values: ")
    assert "expected a sparse COO tensor" in compare(sparse((2, 3), [1.0, 2.0]), tensor([1.0], "float32"), tolerance).message


def test_python_numbers():
    assert compare(100, 100, tolerance) is None
    assert compare(100, 99, tolerance).message == "99, expected 100"
    assert "expected the int 100" in compare(100, 100.0, tolerance).message
    assert "expected the number 100" in compare(100, tensor([100], "int64"), tolerance).message


@pytest.mark.parametrize("bad", [None, "text", [1.0, 2.0], {"a": 1}, object()])
def test_anything_instead_of_a_tensor_is_a_clean_mismatch(bad):
    difference = compare(tensor([1.0, 2.0], "float32"), bad, tolerance)
    assert difference.message.startswith("expected a tensor of dtype float32 and shape (2,), got ")
