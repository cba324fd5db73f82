"""The CuPy backend: unavailable without a GPU (a message and exit status 3, a pytest skip), and its
CuPy-specific code tested on the CPU through a NumPy stand-in for the cupy module."""

from __future__ import annotations

import types

import numpy as np
import pytest
from tensorparity.backends.cupy_backend import CupyBackend
from tensorparity.harness.cases import expand
from tensorparity.harness.cli import main
from tensorparity.harness.runner import run


def test_unavailable_is_reported_and_exits_3_unless_allowed(capsys):
    backend = CupyBackend()
    if backend.unavailable_reason() is None:
        pytest.skip("a CUDA device is usable here: the conformance suite runs on it instead")
    assert main(["run", "--backend", "cupy", "--op", "add"]) == 3  # a CI job on the wrong machine must not pass
    out = capsys.readouterr().out
    assert out.startswith("cupy: unavailable: ")
    assert main(["run", "--backend", "cupy", "--op", "add", "--allow-unavailable"]) == 0
    assert capsys.readouterr().out.startswith("cupy: unavailable: ")


def test_conformance_on_gpu():
    backend = CupyBackend()
    reason = backend.unavailable_reason()
    if reason:
        pytest.skip(f"cupy unavailable: {reason}")
    from tensorparity.harness.spec import load_spec

    failures = [r.line() for r in run(expand(load_spec()), [backend]) if r.failed]
    assert not failures, "\n".join(failures[:20])


def _numpy_as_cupy() -> types.SimpleNamespace:
    """Just enough of cupy's API over NumPy: the module functions, asnumpy, and streams."""
    stream = types.SimpleNamespace(synchronize=lambda: None)
    cuda = types.SimpleNamespace(get_current_stream=lambda: stream)
    names = {name: getattr(np, name) for name in dir(np) if not name.startswith("_")}
    return types.SimpleNamespace(**names, asnumpy=np.asarray, cuda=cuda, __version__="stand-in")


@pytest.fixture
def cupy_on_cpu(monkeypatch):
    backend = CupyBackend()
    backend.xp = _numpy_as_cupy()
    backend._unavailable = None
    return backend


def test_shared_array_module_code_passes_through_the_cupy_class(spec, cupy_on_cpu):
    results = run(expand(spec, ["add", "mm", "cumprod", "where", "vsplit", "sparse_coo_tensor"]), [cupy_on_cpu])
    assert not [r.line() for r in results if r.failed]
    # CuPy has no bfloat16: those cells are not implemented, never wrong
    bfloat16 = [r for r in results if r.dtype == "bfloat16"]
    assert all(r.outcome in ("not_implemented", "raises_as_torch") for r in bfloat16)
    cupy_on_cpu.synchronize(results[-1])
