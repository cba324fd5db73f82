"""The asv suite, generated from the spec: every op id x backend x size.

The inputs of each op at each size are the ``bench:`` block of its
``spec/ops/<op>.yaml``, built by ``harness.bench`` — the same call that
``tensorparity bench`` times. Params are static (the op ids of backends/base.py,
the backend names, the sizes), never what is installed: a combination that
cannot run here (no CuPy or GPU, the pure-Python backend above its cap, an op or
dtype a backend lacks) raises NotImplementedError in ``setup``, which asv shows
as n/a. Every timed call ends with its backend's ``synchronize(result)``
(``Backend.synchronize``): an asynchronous backend (CuPy's stream) is timed to
completion, and its queued work never drains into the next benchmark's figure.
"""

from __future__ import annotations

from pathlib import Path

from tensorparity.backends.spec_files import OP_IDS
from tensorparity.harness import bench
from tensorparity.harness.spec import DEFAULT_SPEC

# The installed harness's spec; from a wheel (asv's own environments) the working tree's.
SPEC = DEFAULT_SPEC if DEFAULT_SPEC.is_dir() else Path(__file__).resolve().parent.parent / "spec"

OPS = list(OP_IDS)
BACKENDS = list(bench.BACKENDS)
SIZES = [bench.SIZES[name] for name in bench.DEFAULT_SIZES]  # 100, 10_000, 1_000_000


def _preload() -> None:
    """Load the spec and import every backend once, at import: asv's forkserver then
    hands each benchmark process a warm interpreter instead of paying for it in setup."""
    bench.bench_spec(SPEC)
    for name in BACKENDS:
        try:
            bench.load(name)
        except NotImplementedError:
            pass


_preload()


class Ops:
    """Wall time of one call of the op, inputs already in the backend's tensors."""

    params = [OPS, BACKENDS, SIZES]
    param_names = ["op", "backend", "size"]
    timeout = 300

    def setup(self, op: str, backend: str, size: int) -> None:
        self.call = bench.prepare(backend, op, size, SPEC)  # NotImplementedError: n/a

    def time_op(self, op: str, backend: str, size: int) -> None:
        self.call.synchronize(self.call())


class PeakMemory:
    """Peak resident memory of the process around one call at the large size (10^6 elements).

    asv reports the whole process's peak, torch's own ~180 MB included; ``tensorparity bench
    --memory`` measures the same in a fresh worker with that baseline subtracted."""

    params = [OPS, BACKENDS]
    param_names = ["op", "backend"]
    timeout = 300

    def setup(self, op: str, backend: str) -> None:
        self.call = bench.prepare(backend, op, "large", SPEC)

    def peakmem_op(self, op: str, backend: str) -> None:
        self.call.synchronize(self.call())
