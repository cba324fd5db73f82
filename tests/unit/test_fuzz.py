"""The fuzzer finds a planted bug, shrinks it, and prints a case that reproduces it from a spec."""

from __future__ import annotations

import textwrap

from tensorparity.harness.cases import expand
from tensorparity.harness.fuzz import fuzz
from tensorparity.harness.runner import run
from tensorparity.harness.spec import load_spec
from wrong_backends import NegativeInt8Add


def test_fuzz_finds_shrinks_and_prints_a_reproducible_case(spec, spec_dir):
    report = fuzz(spec, NegativeInt8Add(), examples=1500, seed=3, op_ids=["add"])
    assert report.failure is not None, "the planted bug must be found"
    case = report.failure.case
    assert case.op == "add" and case.dtype == "int8"
    first = case.args[0]
    assert (first.array < 0).any()
    assert first.array.size <= 4, "hypothesis shrinks the shape"
    assert set(first.array.ravel().tolist()) <= {0, 1, -1}, "values are simplified"

    # paste the printed YAML case into an op file: it loads and fails again
    header = (spec.ops["add"].path.read_text().split("cases:")[0]) + "cases:\n"
    (spec_dir / "ops" / "add.yaml").write_text(header + report.failure.yaml_case())
    pasted = load_spec(spec_dir)
    results = run(expand(pasted), [NegativeInt8Add()])
    assert [r.outcome for r in results] == ["mismatch"]

    repro = report.failure.python_repro()
    assert "load_backend" in repro and "backend.add(" in repro
    compile(repro, "<repro>", "exec")


def test_same_seed_replays_the_same_cases(spec):
    def drawn(seed):
        seen = []
        fuzz(spec, _Recorder(seen), examples=30, seed=seed, op_ids=["mul"])
        return seen

    assert drawn(11) == drawn(11)
    assert drawn(11) != drawn(12)


class _Recorder(NegativeInt8Add):
    def __init__(self, seen):
        self.seen = seen

    def mul(self, input, other):
        self.seen.append((repr(getattr(input, "tolist", lambda: input)()), repr(other)))
        return super().mul(input, other)


def test_conformant_backend_passes(spec):
    from tensorparity.backends.numpy_backend import NumpyBackend

    report = fuzz(spec, NumpyBackend(), examples=200, seed=5, op_ids=["add", "mul", "sub"])
    assert report.failure is None, textwrap.shorten(report.failure.message if report.failure else "", 300)
