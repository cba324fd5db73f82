"""Porting a backend that does not conform yet (issue 13): divergences the backend declares,
baselines, the strict judge, triage output and the fuzzer that keeps going, each against a
deliberately divergent fixture backend (divergent_backends.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tensorparity.backends.neutral import NeutralTensor
from tensorparity.harness import divergences
from tensorparity.harness.cases import expand
from tensorparity.harness.cli import main
from tensorparity.harness.judge import compare
from tensorparity.harness.runner import judge_call, run
from tensorparity.harness.values import Raises

HERE = Path(__file__).parent
OPS = ["--op", "div", "--op", "full", "--op", "gt", "--op", "lt", "--op", "mul"]


def _run(capsys, *args):
    code = main(["run", "--no-matrix", "--timeout", "0", *args])
    return code, capsys.readouterr().out


# --- declared divergences --------------------------------------------------------------------
def test_declared_divergences_xfail_and_an_undeclared_bug_alone_fails(capsys, tmp_path):
    code, out = _run(capsys, "--backend", "divergent_backends:AcceptedDifferences", *OPS, "--json", str(tmp_path / "a.json"))
    assert code == 0, out
    document = json.loads((tmp_path / "a.json").read_text())
    xfails = [r for r in document["results"] if r["outcome"] == "xfail"]
    assert {(r["op"], r["kind"]) for r in xfails} == {
        ("div", "dtype"),
        ("full", "value"),
        ("full", "computes_where_torch_raises"),
        ("gt", "computes_where_torch_raises"),
        ("lt", "computes_where_torch_raises"),
    }
    assert all("declared divergence: " in r["message"] for r in xfails)
    assert any("saturates into uint8" in r["message"] for r in xfails if r["op"] == "full")
    assert document["divergences"]["accepted"]["xfail"] == len(xfails)

    code, out = _run(capsys, "--backend", "divergent_backends:PortedBackend", *OPS)
    assert code == 1
    grouped = [line for line in out.splitlines() if line.startswith("  FAIL ")]
    assert grouped and all(line.startswith("  FAIL mul: ") for line in grouped), out
    assert "values differ" in grouped[0] and "e.g. mul[" in grouped[0]


def test_a_declared_divergence_that_passes_is_xpass_and_fails_only_when_strict(capsys):
    code, out = _run(capsys, "--backend", "divergent_backends:Conformant", *OPS)
    assert code == 0, out
    assert out.count("declared divergence now passes (xpass") == 3
    # it inherits NumpyBackend's declared divergences too (NumpyBackend.divergences.yaml)
    assert "NumpyBackend.divergences.yaml" in out
    code, out = _run(capsys, "--backend", "divergent_backends:Conformant", *OPS, "--strict-xfail")
    assert code == 1 and " xpass" in out


def test_stale_entries_are_reported(spec, tmp_path):
    path = tmp_path / "stale.yaml"
    path.write_text(
        "divergences:\n"
        "  - {op: div, case: no_such_case, kind: dtype, reason: renamed away}\n"
        "  - {op: div, dtype: float32, kind: value, reason: the cases fail otherwise or pass}\n"
        "  - {op: exp, kind: value, reason: exp did not run}\n"
    )
    from divergent_backends import AcceptedDifferences

    declared = divergences.Divergences("accepted", divergences.load(path), [path])
    applied = divergences.apply(run(expand(spec, ["div"]), [AcceptedDifferences()]), {"accepted": declared})
    assert [(entry.index, why) for _, entry, why in applied.stale] == [(0, "it matches no case that ran")]
    assert [entry.index for _, entry, _ in applied.fixed] == [1]  # float32 div passes: now passing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("divergences:\n  - {op: div, kind: dtype}\n", "entry 1: 'reason' is a required property"),
        ("divergences:\n  - {op: div, kind: dtype, reason: ok}\n  - {op: div, kind: color, reason: ok}\n", "entry 2, key kind"),
        ("divergences:\n  - {op: div, kind: dtype, reason: '  '}\n", "entry 1, key reason"),
        ("divergences:\n  - {op: div, kind: dtype, reason: x, dtypes: [f32]}\n", "entry 1: Additional properties"),
        ("divergences: [\n", "not valid YAML"),
        ("other: 1\n", "top level"),
        ("divergences:\n  - !!python/object:os.system {op: div}\n", "not valid YAML"),
    ],
)
def test_bad_divergences_files_are_one_line_errors_naming_file_and_entry(tmp_path, text, message):
    path = tmp_path / "X.divergences.yaml"
    path.write_text(text)
    with pytest.raises(divergences.DivergencesError) as caught:
        divergences.load(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_bad_divergences_file_exits_2_before_running(capsys):
    assert main(["run", "--backend", "divergent_backends:BadDeclared", "--op", "div", "--timeout", "0"]) == 2
    err = capsys.readouterr().err
    assert "BadDeclared.divergences.yaml: entry 2: 'reason' is a required property" in err


def test_write_divergences_gives_a_valid_starting_file(capsys, tmp_path):
    target = tmp_path / "start.yaml"
    code, out = _run(capsys, "--backend", "divergent_backends:PortedBackend", *OPS, "--write-divergences", str(target))
    assert code == 1 and f"to {target}" in out
    entries = divergences.load(target)
    assert [(e.op, e.kind, e.reason) for e in entries] == [(("mul",), ("value",), "TODO")]
    assert set(entries[0].dtype) >= {"int64", "float32", "uint8"}


# --- baselines ---------------------------------------------------------------------------------
def test_baseline_lists_exactly_the_regressions_then_the_fixes(capsys, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert _run(capsys, "--backend", "divergent_backends:AcceptedDifferences", *OPS, "--json", str(a))[0] == 0
    code, out = _run(capsys, "--backend", "divergent_backends:Regressed", *OPS, "--json", str(b), "--baseline", str(a))
    assert code == 1
    failing = {(r["op"], r["case"], r["dtype"]) for r in json.loads(b.read_text())["results"] if r["outcome"] == "mismatch"}
    assert failing and {op for op, _, _ in failing} == {"mul"}
    listed = set(re.findall(r"REGRESSION (\w+)\[(\w+), (\w+)\]", out))
    assert listed == failing
    assert f"against {a}: {len(failing)} regressions, 0 fixed" in out

    code, out = _run(capsys, "--backend", "divergent_backends:AcceptedDifferences", *OPS, "--baseline", str(b))
    assert code == 0
    assert set(re.findall(r"fixed (\w+)\[(\w+), (\w+)\]", out)) == failing
    assert "0 regressions" in out

    # the report command: the same changes, exit 1 on regressions, a changes section in Markdown and HTML
    md, page = tmp_path / "r.md", tmp_path / "r.html"
    assert main(["report", str(b), "--baseline", str(a), "--markdown", str(md), "--html", str(page)]) == 1
    assert "## Changes" in md.read_text() and "regressions" in md.read_text()
    assert 'id="changes"' in page.read_text()
    # each failure in the HTML report: its inputs, expected and actual, and the command for exactly it
    assert "Inputs, expected, actual" in page.read_text()
    assert "--backend divergent_backends:Regressed --op mul --case" in page.read_text()
    assert "`tensorparity run --backend divergent_backends:Regressed --op mul --case" in md.read_text()
    assert main(["report", str(a), "--baseline", str(b)]) == 0
    capsys.readouterr()


def test_a_missing_baseline_exits_2(capsys, tmp_path):
    assert main(["run", "--op", "add", "--timeout", "0", "--baseline", str(tmp_path / "nope.json")]) == 2
    assert "--baseline" in capsys.readouterr().err


# --- the strict judge ----------------------------------------------------------------------------
def test_another_exception_class_is_wrong_exception_unless_errors_any(capsys):
    code, out = _run(capsys, "--backend", "divergent_backends:TypeErrorPad", "--op", "pad", "--failures", "all")
    assert code == 1
    assert "pad[unknown_mode, float32] type_error_pad: wrong_exception: raised TypeError where torch raises" in out
    code, out = _run(capsys, "--backend", "divergent_backends:TypeErrorPad", "--op", "pad", "--errors", "any")
    assert code == 0, out


def test_inf_nan_is_not_nan_nan_in_a_complex_value():
    def tensor(value):
        return NeutralTensor(np.array([value], dtype=np.complex128), "complex128")

    def tolerance(dtype):
        return (1e-7, 1e-7)

    inf_nan, nan_nan = complex(np.inf, np.nan), complex(np.nan, np.nan)
    assert compare(tensor(inf_nan), tensor(nan_nan), tolerance) is not None
    assert compare(tensor(nan_nan), tensor(inf_nan), tolerance) is not None
    assert compare(tensor(complex(1, np.nan)), tensor(complex(np.nan, np.nan)), tolerance) is not None
    assert compare(tensor(complex(-np.inf, 1)), tensor(complex(np.inf, 1)), tolerance) is not None
    assert compare(tensor(inf_nan), tensor(inf_nan), tolerance) is None
    assert compare(tensor(complex(np.inf, 1.0)), tensor(complex(np.inf, 1.0 + 1e-9)), tolerance) is None


def test_inf_nan_against_nan_nan_is_a_mismatch_through_the_judge(spec):
    case = next(c for c in expand(spec, ["exp"]) if c.dtype == "complex128")
    expected = NeutralTensor(np.array([complex(np.inf, np.nan)]), "complex128")
    verdict = judge_call(replace(case, expected=expected), None, NeutralTensor(np.array([complex(np.nan, np.nan)]), "complex128"))
    assert (verdict.outcome, verdict.kind) == ("mismatch", "value")


def test_raises_need_torchs_class(spec):
    case = replace(next(c for c in expand(spec, ["pad"]) if c.name == "unknown_mode"), expected=Raises("RuntimeError"))
    assert judge_call(case, KeyError("bogus"), None).outcome == "wrong_exception"
    assert judge_call(case, RuntimeError("bogus"), None).outcome == "raises_as_torch"

    class Subclass(RuntimeError):
        pass

    assert judge_call(case, Subclass("bogus"), None).outcome == "raises_as_torch"


# --- triage: each failure's details in JSON ------------------------------------------------------
def test_every_failure_carries_inputs_expected_actual_and_a_reproduction(capsys, tmp_path):
    out_json = tmp_path / "r.json"
    _run(capsys, "--backend", "divergent_backends:PortedBackend", "--op", "mul", "--json", str(out_json))
    document = json.loads(out_json.read_text())
    assert document["backend_classes"] == {"ported": "divergent_backends:PortedBackend"}
    failures = [r for r in document["results"] if r["outcome"] == "mismatch"]
    assert failures
    for result in failures:
        details = result["details"]
        assert details["inputs"] and details["expected"] and details["actual"] and details["where"].startswith("at index")
        assert details["reproduce"] == (
            f"tensorparity run --backend divergent_backends:PortedBackend --op mul --case {result['case']} --dtype {result['dtype']}"
        )
    big = next(r for r in failures if r["case"] == "seed_3_3" and r["dtype"] == "int64")
    assert big["details"]["expected"] != big["details"]["actual"]


# --- the fuzzer that keeps going ------------------------------------------------------------------
def _python_blocks(out: str) -> list[str]:
    blocks = []
    for chunk in out.split("As a Python reproduction:\n\n")[1:]:
        lines = []
        for line in chunk.splitlines():
            if not line and lines and lines[-1].startswith("    print("):
                break
            lines.append(line)
        blocks.append("\n".join(lines).strip())
    return blocks


def test_fuzz_reports_both_independent_bugs_shrunk_with_reproductions_that_run(capsys):
    code = main(
        [
            "run",
            "--backend",
            "divergent_backends:TwoBugs",
            "--op",
            "sub",
            "--op",
            "exp",
            "--op",
            "add",
            "--fuzz",
            "2000",
            "--seed",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert re.search(r"two_bugs: fuzz: 2000 cases, 2 distinct failures in 2 ops, 0 known", out), out
    assert re.search(r"^exp: \d+ cases?, dtype", out, re.M) and re.search(r"^sub: \d+ cases?, value", out, re.M)
    assert "add:" not in out
    blocks = _python_blocks(out)
    assert len(blocks) == 2
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    for block in blocks:
        ran = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, env=env, timeout=120)
        assert ran.returncode == 0, ran.stderr
        lines = ran.stdout.splitlines()
        assert lines[0].startswith("torch ") and lines[1].startswith("divergent_backends:TwoBugs ")
    sub = [b for b in blocks if "backend.sub(" in b][0]
    assert sub.count("NeutralTensor(") <= 3, "shrunk"


def test_fuzz_reproduction_shows_both_sides_when_torch_raises(capsys):
    code = main(["run", "--backend", "wrong_backends:SilentDet", "--op", "det", "--fuzz", "300", "--seed", "2"])
    out = capsys.readouterr().out
    assert code == 1
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    sides = []
    for block in _python_blocks(out):
        ran = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, env=env, timeout=120)
        assert ran.returncode == 0, ran.stderr
        sides.append(ran.stdout.splitlines())
    # det of an int tensor: torch raises, the backend computes; both sides are shown
    assert any(
        t.startswith("torch raises RuntimeError") and not b.startswith("wrong_backends:SilentDet raises") for t, b in sides
    )
    assert all(b.startswith("wrong_backends:SilentDet ") for _, b in sides)


def test_fuzz_counts_declared_divergences_as_known(capsys):
    code = main(["run", "--backend", "divergent_backends:AcceptedDifferences", "--op", "div", "--fuzz", "400", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"accepted: fuzz: 400 cases, 0 distinct failures in 0 ops, 1 known", out), out
    assert "known: div:" in out and "integer true division" in out


# --- a backend with its own autodiff: the public graph evaluator ---------------------------------
def test_a_backend_with_its_own_autodiff_overrides_grad_with_evaluate(spec):
    from divergent_backends import OwnAutodiff, WrongOwnAutodiff

    results = run(expand(spec, ["grad"]), [OwnAutodiff()])
    assert results and not [r.line() for r in results if r.failed]
    assert sum(r.outcome == "pass" for r in results) > 10
    wrong = run(expand(spec, ["grad"]), [WrongOwnAutodiff()])
    assert [r for r in wrong if r.outcome == "mismatch" and r.kind == "value"]


def test_resolve_and_evaluate_are_public():
    from tensorparity.backends.autodiff import evaluate, resolve
    from tensorparity.backends.neutral import Graph, Ref, Step
    from tensorparity.backends.numpy_backend import NumpyBackend

    assert resolve([Ref("a"), {"k": (Ref("b", 1),)}], {"a": 1, "b": (2, 3)}) == [1, {"k": (3,)}]
    graph = Graph({"x": np.array([1.0, 2.0], dtype=np.float32)}, (Step("y", "mul", (Ref("x"), Ref("x")), {}),), "y", ("x",))
    assert evaluate(NumpyBackend(), graph)["y"].tolist() == [1.0, 4.0]


# --- the scaffold ------------------------------------------------------------------------------
def test_scaffold_writes_an_empty_divergences_file_and_a_result_dtype_for_any_array(spec, tmp_path):
    from tensorparity.harness.scaffold import scaffold

    root = scaffold(spec, "porting", tmp_path)
    declared = root / "porting_backend" / "PortingBackend.divergences.yaml"
    assert divergences.load(declared) == []
    sys.path.insert(0, str(root))
    try:
        from porting_backend.backend import PortingBackend
    finally:
        sys.path.remove(str(root))
    backend = PortingBackend()
    assert divergences.for_backend(backend).paths == [declared]
    assert backend.result_dtype(np.zeros(3, np.int32), 2.5) == "float32"
    assert backend.result_dtype(np.int64(1), np.zeros(2, np.int8)) == "int8"  # a 0-d tensor yields to a dimensioned one

    class OtherArray:  # not a tensor this backend knows: never read as a Python number
        pass

    with pytest.raises(TypeError, match="OtherArray"):
        backend.result_dtype(np.zeros(2), OtherArray())
