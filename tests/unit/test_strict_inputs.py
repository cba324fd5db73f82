"""Every bad input is one line naming the flag, file, case or key, and exit 2; an unavailable backend is exit 3."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from tensorparity.backends.neutral import NeutralTensor
from tensorparity.harness.cli import main
from tensorparity.harness.judge import compare

SPEC = Path(__file__).resolve().parents[2] / "spec"


def _status(argv: list[str]) -> int:
    """main's exit status, whether returned or raised (argparse's own errors exit)."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def _one_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("tensorparity: "), captured.err
    assert "Traceback" not in captured.out + captured.err
    return captured.err.removeprefix("tensorparity: ").rstrip("\n")


BAD_RUNS = {
    "jobs-0": (["--jobs", "0"], "--jobs takes a number of worker processes, 1 or more; got 0"),
    "jobs-negative": (["--jobs", "-3"], "--jobs takes a number of worker processes, 1 or more; got -3"),
    "jobs-word": (["--jobs", "many"], "argument --jobs: invalid int value: 'many'"),
    "timeout-negative": (["--timeout", "-1"], "--timeout takes seconds, 0 (no limit) or more; got -1"),
    "timeout-nan": (["--timeout", "nan"], "--timeout takes a finite number of seconds (0 for no limit); got nan"),
    "timeout-inf": (["--timeout", "inf"], "--timeout takes a finite number of seconds (0 for no limit); got inf"),
    "memory-limit": (["--memory-limit", "-5"], "argument --memory-limit: takes a number of bytes, 1 or more; got '-5'"),
    "memory-limit-zero": (["--memory-limit", "0"], "argument --memory-limit: takes a number of bytes, 1 or more; got '0'"),
    "spec-missing": (["--spec", "/no/such/path"], "/no/such/path: not found (expected a spec folder or an op file)"),
    "op-unmatched": (["--op", "add", "--op", "nosuch"], "--op 'nosuch': no op matches it (ops: add, arange,"),
    "case-unmatched": (
        ["--op", "add", "--case", "seed_9_*"],
        "--case 'seed_9_*': no case of the selected ops matches it (cases: seed_3_1,",
    ),
    "dtype-unknown": (["--dtype", "float33"], "--dtype 'float33' is not a dtype; one of float32, float64,"),
    "dtype-unmatched": (
        ["--op", "add", "--case", "seed_3_1", "--dtype", "float32"],
        "--dtype 'float32' matches no selected case (dtypes there: int64)",
    ),
    "shard-zero": (["--shard", "0/4"], "--shard takes K/N, shard K of N with 1 <= K <= N (e.g. 2/4); got '0/4'"),
    "shard-over": (["--shard", "5/4"], "--shard takes K/N, shard K of N with 1 <= K <= N (e.g. 2/4); got '5/4'"),
    "shard-word": (["--shard", "half"], "--shard takes K/N, shard K of N with 1 <= K <= N (e.g. 2/4); got 'half'"),
    "maxfail-0": (["--maxfail", "0"], "--maxfail takes a number of failures, 1 or more; got 0"),
    "resume-without-json": (["--resume"], "--resume needs --json FILE, the run to resume"),
    "fuzz-with-shard": (["--fuzz", "5", "--shard", "1/2"], "--fuzz draws its own cases: --shard does not apply to it"),
    "backend-unknown": (["--backend", "nosuch"], "unknown backend 'nosuch'; known:"),
}


@pytest.mark.parametrize("key", list(BAD_RUNS))
def test_bad_run_input_is_one_line_naming_the_flag_exit_2(capsys, key):
    argv, expected = BAD_RUNS[key]
    assert _status(["run", "--no-matrix", *argv]) == 2
    message = _one_line(capsys)
    assert message.startswith(expected), message
    numbers = {"--jobs", "--timeout", "--memory-limit", "--maxfail"}
    if argv[0] in numbers:  # names the flag in question only (they all once shared one message)
        assert not any(other in message for other in numbers - {argv[0]}), message


def _copy_spec(spec_dir: Path, op: str = "add") -> Path:
    shutil.copy(SPEC / "ops" / f"{op}.yaml", spec_dir / "ops" / f"{op}.yaml")
    return spec_dir / "ops" / f"{op}.yaml"


@pytest.mark.parametrize("command", [["run"], ["spec", "check"]], ids=["run", "spec-check"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- op: add\n", "expected a mapping (key: value lines) at the top, got a list"),
        ("just words\n", "expected a mapping (key: value lines) at the top, got a string"),
    ],
    ids=["empty", "comment-only", "list", "scalar"],
)
def test_an_empty_or_shapeless_spec_file_reads_as_a_sentence(spec_dir, capsys, command, text, expected):
    path = spec_dir / "ops" / "add.yaml"
    path.write_text(text)
    assert _status([*command, "--spec", str(path)]) == 2
    assert _one_line(capsys) == f"{path}: {expected}"


@pytest.mark.parametrize("command", [["run"], ["spec", "check"]], ids=["run", "spec-check"])
def test_a_dtype_typo_in_a_bench_block_is_caught(spec_dir, capsys, command):
    path = _copy_spec(spec_dir)
    path.write_text(path.read_text().replace("dtype: float32, seed: 1}", "dtype: flaot32, seed: 1}", 1))
    assert "flaot32" in path.read_text()
    assert _status([*command, "--spec", str(spec_dir)]) == 2
    assert _one_line(capsys) == f"{path}: bench.args[0].dtype: unknown dtype 'flaot32'"


def test_spec_check_builds_every_bench_block(spec_dir, capsys):
    path = _copy_spec(spec_dir)
    path.write_text(path.read_text().replace("shape: [$n], dtype: float32, seed: 1", "shape: [$nn], dtype: float32, seed: 1", 1))
    assert _status(["spec", "check", "--spec", str(spec_dir)]) == 2
    assert _one_line(capsys).startswith(f"{path}: bench.args[0].shape[0]: unknown size variable '$nn'")


def test_spec_record_of_an_unknown_op_is_one_line_exit_2(spec_dir, capsys):
    _copy_spec(spec_dir)
    assert _status(["spec", "record", "--spec", str(spec_dir), "--op", "nosuch"]) == 2
    assert _one_line(capsys) == "--op 'nosuch' is not an op of the spec; one of add"


@pytest.mark.parametrize("name", ["numpy", "torch", "python", "cupy"])
def test_new_backend_refuses_a_built_in_name(tmp_path, capsys, name):
    assert _status(["new-backend", name, "--path", str(tmp_path)]) == 2
    assert _one_line(capsys) == f"backend name {name!r} is a built-in backend's; choose another name"
    assert not any(tmp_path.iterdir())


def test_the_judge_reports_overflowing_differences_without_warnings():
    cases = [
        (np.array([0, 1], dtype=np.int64), np.array([2**62, 1], dtype=np.int64), "int64"),
        (np.array([1e308, 1.0]), np.array([-1e308, 1.0]), "float64"),
    ]
    for want, got, dtype in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a NumPy RuntimeWarning would raise here
            difference = compare(NeutralTensor(want, dtype), NeutralTensor(got, dtype), lambda name: (0.0, 0.0))
        assert difference is not None and difference.message.startswith("Mismatched elements: 1 / 2")


# --- exit status CI can trust ---------------------------------------------------------


def test_an_unavailable_backend_is_exit_3_unless_allowed(tmp_path, capsys):
    args = ["run", "--op", "numel", "--no-matrix", "--backend", "numpy", "--backend", "wrong_backends:UnavailableHere"]
    assert main(args) == 3
    captured = capsys.readouterr()
    assert "unavailable_here: unavailable: needs a device this machine lacks" in captured.out
    assert "numpy: " in captured.out  # the available backend still ran
    assert captured.err == (
        "tensorparity: unavailable here: unavailable_here (exit status 3; --allow-unavailable to accept that)\n"
    )
    assert main([*args, "--allow-unavailable"]) == 0
    assert "unavailable_here: unavailable: needs a device this machine lacks" in capsys.readouterr().out


def test_cupy_without_a_gpu_is_exit_3():
    from tensorparity.backends.cupy_backend import CupyBackend

    if CupyBackend().unavailable_reason() is None:
        pytest.skip("CuPy has a GPU here")
    assert main(["run", "--backend", "cupy", "--op", "add", "--no-matrix"]) == 3


def test_bench_rejects_unknown_backends_and_ops_as_run_does(capsys):
    for argv in (["--backend", "nosuch"], ["--op", "add", "--op", "nosuch"]):
        assert _status(["run", *argv]) == 2
        from_run = _one_line(capsys)
        assert _status(["bench", "--size", "100", "--repeat", "1", *argv]) == 2
        assert _one_line(capsys) == from_run


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "the file is empty"),
        ("[1, 2]", "expected a JSON object at the top (a tensorparity results file), got list"),
        ('{"schema_version": 9, "versions": {}, "results": []}', "schema_version 9: written by another tensorparity"),
    ],
    ids=["empty", "list", "future-schema"],
)
def test_report_reads_a_bad_results_file_as_a_sentence(tmp_path, capsys, content, expected):
    path = tmp_path / "r.json"
    path.write_text(content)
    assert _status(["report", str(path)]) == 2
    assert _one_line(capsys).startswith(f"{path}: {expected}")


def test_report_without_files_is_one_line_exit_2(capsys):
    assert _status(["report"]) == 2
    assert _one_line(capsys) == "the following arguments are required: RESULTS.json"
