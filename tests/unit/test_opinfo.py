"""torch's OpInfo samples as a suite (harness/opinfo.py, `tensorparity run --suite opinfo`)."""

from __future__ import annotations

import builtins
import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from tensorparity.backends.neutral import NeutralTensor
from tensorparity.harness import opinfo
from tensorparity.harness.cli import main
from tensorparity.harness.runner import run
from wrong_backends import OneElementOffAdd

pytest.importorskip("expecttest")


def _sample(input, *args, **kwargs):
    return SimpleNamespace(input=input, args=args, kwargs=kwargs)


def test_where_view_and_repeat_map_to_the_spec_signatures(spec):
    condition, x, y = torch.tensor([True, False]), torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])
    args, kwargs = opinfo.map_sample(spec.ops["where"], "where", _sample(x, condition, y))
    assert [a.dtype for a in args] == ["bool", "float32", "float32"] and kwargs == {}
    args, _ = opinfo.map_sample(spec.ops["view"], "view", _sample(torch.zeros(2, 3), (3, 2)))
    assert args[1:] == (3, 2)
    args, kwargs = opinfo.map_sample(spec.ops["arange"], "arange", _sample(0, 5, 1, dtype=torch.int16, device="cpu"))
    assert args == (0, 5, 1) and kwargs == {"dtype": "int16"}


@pytest.mark.parametrize(
    ("op", "sample", "reason"),
    [
        ("add", _sample(torch.ones(2), torch.ones(2), out=torch.ones(2)), "keyword 'out' is not in the spec's signature"),
        ("transpose", _sample(torch.ones(2, 2), torch.tensor(0), 1), "a tensor as dim0 (dim)"),
        ("exp", _sample(torch.ones(2, dtype=torch.uint16)), "dtype uint16 is not in the spec's table"),
        ("exp", _sample(torch.ones(2).to_sparse()), "a sparse_coo tensor"),
    ],
)
def test_what_the_spec_cannot_say_is_unmappable(spec, op, sample, reason):
    with pytest.raises(opinfo.Unmappable, match=re.escape(reason)):
        opinfo.map_sample(spec.ops[op], op, sample)


def test_a_non_contiguous_sample_stays_non_contiguous():
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    neutral = opinfo.tensor_to_neutral(base.t())
    assert isinstance(neutral, NeutralTensor) and not neutral.array.flags.c_contiguous
    np.testing.assert_array_equal(neutral.array, base.t().numpy())
    half = opinfo.tensor_to_neutral(base.to(torch.complex32)[:, ::2])
    assert half.dtype == "complex32" and half.array.shape == (3, 2, 2)


def test_the_suite_is_deterministic_and_judged_against_torch(spec):
    first = opinfo.build_suite(spec, ["mm"], dtypes=["float32"])
    second = opinfo.build_suite(spec, ["mm"], dtypes=["float32"])
    assert first.cases and [c.name for c in first.cases] == [c.name for c in second.cases]
    for a, b in zip(first.cases, second.cases):
        np.testing.assert_array_equal(a.args[0].array, b.args[0].array)
    assert all(c.suite == "opinfo" and c.expected is not None for c in first.cases)
    results = run(first.cases, [OneElementOffAdd()])  # mm is not broken there: every sample passes
    assert results and all(r.outcome in ("pass", "raises_as_torch") and r.suite == "opinfo" for r in results)


def test_a_wrong_backend_fails_opinfo_samples(spec):
    suite = opinfo.build_suite(spec, ["add"], dtypes=["int64"], kinds=("sample",))
    results = run(suite.cases, [OneElementOffAdd()])
    assert any(r.failed for r in results) and all(r.case.startswith("opinfo.add.sample.") for r in results)


def test_max_numel_leaves_large_samples_out(spec):
    capped = opinfo.build_suite(spec, ["cumprod"], dtypes=["float32"], max_numel=4)
    assert capped.skipped_large > 0
    assert all(max((np.size(a.array) for a in c.args if isinstance(a, NeutralTensor)), default=0) <= 4 for c in capped.cases)


def test_run_suite_opinfo_writes_suite_on_every_record(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["run", "--suite", "opinfo", "--suite", "spec", "--op", "bmm", "--no-matrix", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "opinfo suite (torch" in printed and "numpy (opinfo suite):" in printed and "numpy (spec suite):" in printed
    document = json.loads(out.read_text())
    assert {r["suite"] for r in document["results"]} == {"spec", "opinfo"}
    assert document["opinfo"]["mapped"] == sum(r["suite"] == "opinfo" for r in document["results"])


def test_missing_extra_is_one_line_exit_2(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_internals(name, *args, **kwargs):
        if name.startswith("torch.testing._internal"):
            raise ModuleNotFoundError("No module named 'expecttest'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_internals)
    assert main(["run", "--suite", "opinfo", "--op", "exp"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tensorparity: --suite opinfo needs torch's test internals and expecttest: pip install -e")
    assert err.count("\n") == 1


def test_old_torch_is_refused(monkeypatch):
    monkeypatch.setattr(torch, "__version__", "2.1.0")
    with pytest.raises(opinfo.OpInfoUnavailable, match="needs torch >= 2.4"):
        opinfo.opinfo_database()


def test_a_declared_difference_is_a_non_strict_xfail(spec):
    import dataclasses

    from tensorparity.backends.numpy_backend import NumpyBackend
    from tensorparity.harness.cases import expand
    from tensorparity.harness.spec import Xfail

    seed = next(c for c in expand(spec, ["add"]) if c.name == "seed_3_1")
    declared = dataclasses.replace(seed, xfails=(Xfail("declared", None, (), (), strict=False),))
    passing, failing = run([declared], [NumpyBackend()])[0], run([declared], [OneElementOffAdd()])[0]
    assert passing.outcome == "pass"  # a strict xfail would make this an xpass, a failure
    assert failing.outcome == "xfail" and failing.message.endswith("(xfail: declared)")
    assert {x.strict for x in opinfo.declared_xfails("pow")} == {False}
