"""complex32 and the quantized dtypes on the NumPy backend: one table, lifted ops, torch's raises."""

from __future__ import annotations

import numpy as np
import pytest
from tensorparity.backends import exotic
from tensorparity.backends.neutral import NeutralTensor
from tensorparity.backends.numpy_backend import NumpyBackend
from tensorparity.backends.spec_files import OP_IDS


@pytest.fixture(scope="module")
def numpy_backend():
    return NumpyBackend()


def c32(values):
    values = np.asarray(values, dtype=np.complex64)
    return NeutralTensor(np.stack([values.real, values.imag], axis=-1).astype(np.float16), "complex32")


def q(ints, dtype="qint8", scale=0.5, zero_point=1):
    return NeutralTensor(
        np.asarray(ints).astype({"qint8": np.int8, "qint32": np.int32}.get(dtype, np.uint8)), dtype, scale, zero_point
    )


def run(backend, op, *args, **kwargs):
    return backend.to_neutral(getattr(backend, op)(*backend.from_neutral(args), **kwargs))


def test_the_table_names_only_op_ids_and_pad_modes():
    modes = {f"pad.{mode}" for mode in ("constant", "reflect", "replicate", "circular")}
    for dtype, ops in exotic.SUPPORT.items():
        assert set(ops) <= (set(OP_IDS) - {"pad", "grad"}) | modes, dtype
        assert set(ops.values()) <= set(exotic._RULES), dtype


def test_an_op_without_a_torch_kernel_raises(numpy_backend):
    for op, args in [("add", (q([1, 2]), q([3, 4]))), ("exp", (c32([1j]),)), ("cat", ([q([1], "quint4x2")],))]:
        with pytest.raises(RuntimeError, match="not implemented for"):
            run(numpy_backend, op, *args)


def test_complex32_computes_in_complex64_and_rounds_each_part(numpy_backend):
    out = run(numpy_backend, "mul", c32([1.1 + 0.1j]), 1.37)
    assert out.dtype == "complex32"
    # torch casts 1.37 to complex32 first, multiplies in complex64, rounds to float16 parts
    expected = np.complex64(complex(np.float16(1.1), np.float16(0.1))) * np.complex64(np.float16(1.37))
    assert out.values()[0] == complex(np.float16(expected.real), np.float16(expected.imag))


def test_complex32_promotes_like_torch(numpy_backend):
    half = NeutralTensor(np.array([0.5], dtype=np.float16), "float16")
    single = NeutralTensor(np.array([0.5], dtype=np.float32), "float32")
    assert run(numpy_backend, "add", c32([1j]), half).dtype == "complex32"
    assert run(numpy_backend, "add", c32([1j]), single).dtype == "complex64"


def test_a_missing_kernel_is_skipped_where_there_is_nothing_to_compute(numpy_backend):
    empty = NeutralTensor(np.zeros((2, 0, 2), dtype=np.float16), "complex32")
    out = run(numpy_backend, "mm", empty, c32(np.zeros((0, 3))))
    assert out.dtype == "complex32" and out.shape == (2, 3) and not out.values().any()
    with pytest.raises(RuntimeError, match='"mm" not implemented for ComplexHalf'):
        run(numpy_backend, "mm", c32([[1j]]), c32([[1j]]))


def test_quantized_layout_ops_move_the_integer_representation(numpy_backend):
    out = run(numpy_backend, "transpose", q([[1, 2, 3], [4, 5, 6]]), 0, 1)
    assert (out.dtype, out.scale, out.zero_point) == ("qint8", 0.5, 1)
    assert out.array.tolist() == [[1, 4], [2, 5], [3, 6]]


def test_quantized_cat_requantizes_as_the_first_and_pad_quantizes_its_value(numpy_backend):
    out = run(numpy_backend, "cat", [q([1, 3]), q([3, 7], scale=0.25, zero_point=3)])
    # (3 - 3) * 0.25 = 0 and (7 - 3) * 0.25 = 1 quantized as 0 / 0.5 + 1 and 1 / 0.5 + 1
    assert (out.scale, out.zero_point, out.array.tolist()) == (0.5, 1, [1, 3, 1, 3])
    padded = run(numpy_backend, "pad", q([1, 3]), (1, 1), value=1.3)
    assert padded.array.tolist() == [4, 1, 3, 4]  # round(1 + 1.3 / 0.5) = 4


def test_quantized_comparisons_read_real_values(numpy_backend):
    out = run(numpy_backend, "gt", q([1, 3, 5]), 1.2)  # real values 0, 1, 2
    assert out.dtype == "bool" and out.array.tolist() == [False, False, True]


def test_a_strided_quint4x2_cannot_be_read(numpy_backend):
    four_bit = NeutralTensor(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8), "quint4x2", 0.5, 1)
    assert run(numpy_backend, "view", four_bit, 3, 2).array.tolist() == [[1, 2], [3, 4], [5, 6]]
    with pytest.raises(RuntimeError, match="copy_kernel"):
        run(numpy_backend, "transpose", four_bit, 0, 1)


def test_quantize_clamps_and_rounds_half_to_even():
    like = exotic.Exotic(np.zeros(1, dtype=np.uint8), "quint4x2", 0.5, 1)
    assert exotic.quantize(np, np.array([-3.0, 0.25, 0.75, 100.0]), like).carrier.tolist() == [0, 2, 2, 15]


def test_every_op_method_is_lifted_in_the_class_body():
    from tensorparity.backends.array_module import ArrayModuleBackend

    for op in OP_IDS:
        if op != "grad":
            assert getattr(getattr(ArrayModuleBackend, op), "lifted_op", None) == op, op
    with pytest.raises(ValueError):
        exotic.lifted(lambda self: None)  # not an op id


def test_a_lifted_call_leaves_no_state_behind(numpy_backend):
    with pytest.raises(RuntimeError, match='"mm" not implemented for ComplexHalf'):
        run(numpy_backend, "mm", c32([[1j]]), c32([[1j]]))
    exotic.reach_kernel()  # the missing kernel was the call's alone
    assert exotic.round_product(1.5) == 1.5
    assert not {"_missing_kernel", "_round_intermediate"} & set(vars(numpy_backend))
    assert run(numpy_backend, "add", c32([1 + 1j]), c32([2j]), alpha=3).dtype == "complex32"
    assert exotic.round_product(1.5) == 1.5


def test_missing_kernels_do_not_leak_across_threads():
    import threading

    seen: list[object] = []
    started, finish = threading.Event(), threading.Event()

    class Waiting(NumpyBackend):
        @exotic.lifted
        def mm(self, input, mat2):  # complex32 mm: a KERNEL rule runs this with its missing kernel set
            started.set()
            finish.wait(5)
            with pytest.raises(RuntimeError, match='"mm" not implemented for ComplexHalf'):
                exotic.reach_kernel()
            return np.zeros((1, 1), dtype=np.complex64)

    backend = Waiting()
    worker = threading.Thread(target=lambda: seen.append(run(backend, "mm", c32([[1j]]), c32([[1j]]))))
    worker.start()
    started.wait(5)
    try:
        exotic.reach_kernel()  # this thread is not inside the lifted call
    finally:
        finish.set()
        worker.join(5)
    assert len(seen) == 1 and seen[0].dtype == "complex32"
