"""The harness catches deliberately wrong backends, naming op, case and dtype."""

from __future__ import annotations

import pytest
from tensorparity.harness import divergences
from tensorparity.harness.cases import expand
from tensorparity.harness.runner import run
from wrong_backends import LibraryNotImplemented, ListAdd, MissingOps, OneElementOffAdd, RaisingExp, SilentDet, WrongDtypeDiv


def _failures(spec, backend, op):
    results = run(expand(spec, [op]), [backend])
    return [r for r in results if r.failed], results


def test_wrong_dtype_is_caught(spec):
    failures, _ = _failures(spec, WrongDtypeDiv(), "div")
    seed = [r for r in failures if r.case == "seed_3_6"]
    assert seed, "div returning float64 must fail the seed's case"
    assert seed[0].outcome == "mismatch"
    assert seed[0].message == "dtype float64, expected float32"
    assert seed[0].line().startswith("div[seed_3_6, float32] wrong_dtype_div: mismatch: dtype float64")


def test_one_wrong_element_is_caught(spec):
    failures, results = _failures(spec, OneElementOffAdd(), "add")
    seed = next(r for r in failures if r.case == "seed_3_1")
    assert seed.dtype == "int64"
    assert seed.message.startswith("Mismatched elements: 1 / 4 (25.0%), greatest absolute difference 1 at index (1, 1)")
    assert seed.max_abs_error == 1.0
    # cases where torch raises stay conformant: the broken add still raises there
    assert all(r.outcome == "raises_as_torch" for r in results if r.case == "shape_mismatch")


def test_missing_raise_is_caught(spec):
    failures, _ = _failures(spec, SilentDet(), "det")
    int_cases = [r for r in failures if r.dtype.startswith(("int", "uint"))]
    assert int_cases, "det of an int tensor must raise as torch does"
    assert "returned a value where torch raises RuntimeError" in int_cases[0].message


def test_raising_where_torch_computes_is_an_error(spec):
    failures, results = _failures(spec, RaisingExp(), "exp")
    computes = [r for r in failures if r.kind == "raises_where_torch_computes"]
    assert computes and all(r.outcome == "error" for r in computes)
    assert "raised ValueError: exp is broken" in computes[0].message
    assert "Traceback" in computes[0].traceback
    # where torch raises RuntimeError, a ValueError is the wrong exception: a failure too
    wrong = [r for r in failures if r.outcome == "wrong_exception"]
    assert wrong and all(r.kind == "wrong_exception" for r in wrong)
    assert {r.outcome for r in failures} == {"error", "wrong_exception"}


def test_missing_ops_are_not_implemented_not_failures(spec):
    results = run(expand(spec, ["mm", "det"]), [MissingOps()])
    assert not any(r.failed for r in results)
    # a missing method is a gap everywhere, even where torch raises
    assert {r.outcome for r in results if r.op == "det"} == {"not_implemented"}
    # a stub raising NotImplementedOp is a gap, even where torch itself raises NotImplementedError (bool mm)
    mm = {r.dtype: r.outcome for r in results if r.op == "mm"}
    assert mm["float32"] == "not_implemented" and mm["bool"] == "not_implemented"


def test_bare_not_implemented_error_from_a_library_is_an_error(spec):
    """Only a missing method, NotImplementedOp and UnsupportedDtype mean "not implemented"."""
    results = run(expand(spec, ["mm"]), [LibraryNotImplemented()])
    mm = {r.dtype: r for r in results}
    assert mm["float32"].outcome == "error" and mm["float32"].kind == "raises_where_torch_computes"
    assert "raised NotImplementedError: no BLAS for this" in mm["float32"].message
    # torch raises NotImplementedError for bool mm: the same class, so it raises as torch
    assert mm["bool"].outcome == "raises_as_torch"


def test_list_instead_of_tensor_is_a_mismatch(spec):
    failures, _ = _failures(spec, ListAdd(), "add")
    seed = next(r for r in failures if r.case == "seed_3_1")
    assert seed.outcome == "mismatch"
    assert seed.message == "expected a tensor of dtype int64 and shape (2, 2), got a list of 2"


@pytest.mark.parametrize("backend", [WrongDtypeDiv(), OneElementOffAdd(), SilentDet()], ids=lambda b: b.name)
def test_wrong_backend_fails_only_its_op(spec, backend):
    """Every other op still passes: the failure points at the broken op alone."""
    results = run(expand(spec, ["add", "div", "det", "cat"]), [backend])
    # it inherits the NumPy backend's code, and its declared divergences (NumpyBackend.divergences.yaml)
    results = divergences.apply(results, {backend.name: divergences.for_backend(backend)}).results
    assert {r.op for r in results if r.failed} == {
        {"wrong_dtype_div": "div", "one_off_add": "add", "silent_det": "det"}[backend.name]
    }
