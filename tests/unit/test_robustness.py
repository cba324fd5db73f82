"""No backend takes a run down, and nothing decided is lost.

A case that hangs is a ``timeout``, one that kills its interpreter a ``crash``,
garbage output a clear mismatch or error; an interrupted run keeps its results
and ``--resume`` finishes it; ``--jobs`` gives the serial results.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tensorparity.backends.neutral import NeutralTensor
from tensorparity.backends.numpy_backend import NumpyBackend
from tensorparity.harness import workers
from tensorparity.harness.cases import expand
from tensorparity.harness.cli import main
from tensorparity.harness.results import Result, ResultLog, log_path, read_results
from tensorparity.harness.runner import run
from wrong_backends import GarbageOutputs, LyingToNeutral, SysExitExp, ThreadsAsVersion, is_seed_tensor_a

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
MODES = pytest.mark.parametrize("timeout", [None, 60], ids=["in-process", "worker"])


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def _json(path: Path) -> list[dict]:
    return json.loads(path.read_text())["results"]


# --- hangs and crashes --------------------------------------------------------


def _first_input(case):
    return case.args[0].array if case.args and isinstance(case.args[0], NeutralTensor) else None


@pytest.mark.parametrize("flags", [[], ["--jobs", "2"]], ids=["serial", "jobs2"])
def test_a_hanging_case_times_out_and_the_run_goes_on(tmp_path, capsys, flags):
    cases = expand_ops(["exp", "add"])
    hangs = [(c.op, c.name, c.dtype) for c in cases if c.op == "exp" and is_seed_tensor_a(_first_input(c))]
    assert ("exp", "seed_3_10", "float32") in hangs
    target = tmp_path / "r.json"
    started = time.monotonic()
    args = [
        "run",
        "--backend",
        "wrong_backends:HangingExp",
        "--op",
        "exp",
        "--op",
        "add",
        "--timeout",
        "2",
        "--no-matrix",
        "--failures",
        "all",
        *flags,
    ]
    assert main([*args, "--json", str(target)]) == 1
    assert time.monotonic() - started < 2 * len(hangs) + 15  # a 2 s timeout per hang, then on
    results = read_results(target)
    timeouts = [r for r in results if r.outcome == "timeout"]
    assert [(r.op, r.case, r.dtype) for r in timeouts] == hangs
    assert timeouts[0].message.startswith("no result within 2 s: the worker was killed")
    assert 2 <= timeouts[0].duration_s < 10
    # every other case ran, in a fresh worker after the hang, and passed
    assert [(r.op, r.case, r.dtype) for r in results] == [(c.op, c.name, c.dtype) for c in cases]
    assert all(not r.failed for r in results if r.outcome != "timeout")
    assert "FAIL exp[seed_3_10, float32] hanging_exp: timeout: no result within 2 s" in capsys.readouterr().out


def _crashing(backend: str, case) -> bool:
    if case.op != "exp":
        return False
    array = _first_input(case)
    return backend == "ExitingExp" or (array is not None and array.dtype == np.float64)


@pytest.mark.parametrize(
    ("backend", "flags", "why"),
    [
        ("ExitingExp", ["--isolate"], "the worker process exited with status 3 while running this case"),
        ("SegfaultingExp", ["--isolate"], "the worker process was killed by signal SIGSEGV while running this case"),
        ("SegfaultingExp", [], "the worker process was killed by signal SIGSEGV while running this case"),
        ("ExitingExp", ["--jobs", "2"], "the worker process exited with status 3 while running this case"),
    ],
    ids=["os_exit-isolate", "segfault-isolate", "segfault", "os_exit-jobs2"],
)
def test_a_backend_that_kills_its_interpreter_is_a_crash_and_the_rest_runs(tmp_path, capsys, backend, flags, why):
    cases = expand_ops(["exp", "add"])
    target = tmp_path / "r.json"
    # --max-timeouts 0: every exp case runs and crashes (cutting an op short is test_an_op_that_keeps_crashing_is_cut_short)
    args = [
        "run",
        "--backend",
        f"wrong_backends:{backend}",
        "--op",
        "exp",
        "--op",
        "add",
        "--no-matrix",
        "--failures",
        "all",
        "--max-timeouts",
        "0",
        *flags,
    ]
    assert main([*args, "--json", str(target)]) == 1
    results = read_results(target)
    assert [(r.op, r.case, r.dtype) for r in results] == [(c.op, c.name, c.dtype) for c in cases]
    crashes = [r for r in results if r.outcome == "crash"]
    assert [(r.case, r.dtype) for r in crashes] == [(c.name, c.dtype) for c in cases if _crashing(backend, c)]
    assert all(r.message.startswith(why) for r in crashes)
    assert all(not r.failed for r in results if r.outcome != "crash")  # the add cases, and exp's others
    assert f"FAIL exp[{crashes[0].case}, {crashes[0].dtype}] {crashes[0].backend}: crash: {why}" in capsys.readouterr().out


def expand_ops(ops):
    from tensorparity.harness.spec import load_spec

    return expand(load_spec(), ops)


def test_a_backend_that_cannot_reach_a_worker_is_one_line_exit_2(capsys):
    assert main(["run", "--backend", "wrong_backends:Unpicklable", "--op", "add", "--no-matrix"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "backend unpicklable cannot be sent to a worker process" in err and "--timeout 0" in err
    assert main(["run", "--backend", "wrong_backends:Unpicklable", "--op", "add", "--no-matrix", "--timeout", "0"]) == 0


# --- garbage from a backend -----------------------------------------------------


@MODES
def test_garbage_outputs_are_clear_mismatches_and_errors(spec, timeout):
    ops = ["add", "sub", "mul", "exp", "mm", "div", "cat", "numel", "gt", "lt"]
    results = run(expand(spec, ops), [GarbageOutputs()], timeout=timeout)
    first = {}
    for result in results:
        first.setdefault((result.op, result.case, result.dtype), result)
    expect = {
        ("add", "seed_3_1", "int64"): ("mismatch", "expected a tensor of dtype int64 and shape (2, 2), got builtins.str"),
        ("sub", "seed_3_2", "int64"): ("mismatch", "shape (1, 4), expected (2, 2)"),
        ("exp", "seed_3_10", "float32"): (
            "mismatch",
            "expected a tensor of dtype float32 and shape (2, 2), got wrong_backends._Opaque",
        ),
        ("mm", "seed_3_4", "int64"): ("error", "to_neutral raised TypeError: NumPy dtype object has no torch counterpart"),
        ("div", "seed_3_6", "float32"): (
            "mismatch",
            "expected a tensor of dtype float32 and shape (2, 2), got builtins.generator",
        ),
        ("cat", "seed_3_11", "int64"): ("mismatch", "expected a tensor of dtype int64 and shape (4, 2), got a list of 2"),
        ("numel", "seed_3_9", "float32"): ("mismatch", "expected the number 100, got wrong_backends._Opaque"),
        ("gt", "seed_3_13", "int64"): ("error", "raised _BadStr: <_BadStr whose str() fails>"),
        ("lt", "seed_3_13", "int64"): ("mismatch", "dtype float64, expected bool"),
    }
    for key, (outcome, message) in expect.items():
        assert (first[key].outcome, first[key].message) == (outcome, message), key
    nan = first[("mul", "basic", "float32")]  # NaN where torch gives numbers
    assert nan.outcome == "mismatch" and nan.message.startswith("Mismatched elements: 6 / 6 (100.0%)")
    # where torch raises, the garbage backend's own exception (_BadStr ...) is the wrong class
    assert {r.outcome for r in results} == {"mismatch", "error", "wrong_exception", "raises_as_torch", "pass"}
    assert {r.op for r in results if r.outcome == "pass"} == {"mul"}  # on integers mul is left right
    assert not any("harness" in r.message for r in results)


@MODES
def test_a_to_neutral_that_lies_or_raises(spec, timeout):
    results = {(r.op, r.case, r.dtype): r for r in run(expand(spec, ["add"]), [LyingToNeutral()], timeout=timeout)}
    ints, floats = results[("add", "seed_3_1", "int64")], results[("add", "alpha_float", "float32")]
    assert (ints.outcome, ints.message) == ("error", "to_neutral raised ValueError: to_neutral is broken for ints")
    assert floats.outcome == "mismatch"
    assert floats.message.startswith("cannot compare the output, a tensor of dtype float32 and shape (3,): ValueError")


@MODES
def test_sys_exit_in_a_backend_is_an_error_on_the_case(spec, timeout):
    results = run(expand(spec, ["exp"]), [SysExitExp()], timeout=timeout)
    computed = [r for r in results if r.outcome != "raises_as_torch"]
    assert computed and all((r.outcome, r.message) == ("error", "called sys.exit(4)") for r in computed)


# --- the same results, however they run -------------------------------------------


def test_workers_give_the_in_process_results_for_the_whole_suite(spec):
    cases = expand(spec)
    backend = NumpyBackend()

    def seen(results):
        return [(r.key, r.outcome, r.message, r.max_abs_error, r.max_rel_error, r.traceback is None) for r in results]

    here = run(cases, [backend])
    assert seen(run(cases, [backend], timeout=60)) == seen(here)
    assert seen(run(cases, [backend], jobs=2, isolate=True)) == seen(here)


def test_jobs_give_the_serial_results_in_the_serial_order(tmp_path):
    args = ["run", "--backend", "numpy", "--backend", "torch", "--op", "a*", "--op", "c*", "--op", "grad", "--no-matrix"]
    serial, parallel = tmp_path / "serial.json", tmp_path / "parallel.json"
    assert main([*args, "--json", str(serial)]) == 0
    assert main([*args, "--json", str(parallel), "--jobs", "2"]) == 0

    def strip(results):
        return [{k: v for k, v in r.items() if k != "duration_s"} for r in results]

    assert strip(_json(parallel)) == strip(_json(serial))
    assert json.loads(parallel.read_text())["run"] == {
        "jobs": 2,
        "timeout_s": 10.0,
        "isolate": False,
        "resumed": 0,
        "max_timeouts": 3,
        "maxfail": None,
        "complete": True,
        "stopped": None,
        "cases": len(expand_ops(["a*", "c*", "grad"])),
    }


def test_each_of_n_workers_gets_its_share_of_the_cores_for_threads(spec, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cases = expand(spec, ["numel"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert {r.backend_version for r in run(cases, [ThreadsAsVersion()], jobs=2)} == {str(max(1, cores // 2))}
    assert {r.backend_version for r in run(cases, [ThreadsAsVersion()], timeout=60)} == {"unset"}  # one worker: as in-process
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # a limit the user set is kept
    assert {r.backend_version for r in run(cases, [ThreadsAsVersion()], jobs=2)} == {"3"}


def test_strided_inputs_reach_a_worker_strided():
    base = np.arange(24.0).reshape(4, 6)
    for array in (base[::2], base.T, base[:, ::-2], np.broadcast_to(np.arange(3), (4, 3)), base[1:3, 2:5]):
        frame = workers._frame(array)
        back = pickle.loads(frame[8:])
        assert back.strides == array.strides and np.array_equal(back, array)
        assert back.flags.writeable == array.flags.writeable


# --- interrupted runs -------------------------------------------------------------


def _descendants(pid: int) -> set[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_an_interrupted_run_keeps_its_results_and_resume_finishes_it(tmp_path, capsys, monkeypatch, stop):
    target = tmp_path / "r.json"
    log = log_path(target)
    args = ["run", "--backend", "wrong_backends:StallingExp", "--op", "add", "--op", "exp", "--json", str(target), "--no-matrix"]
    command = [sys.executable, "-m", "tensorparity", *args, "--timeout", "300"]
    process = subprocess.Popen(  # a session of its own: Ctrl-C reaches the whole process group, as in a terminal
        command,
        cwd=ROOT,
        env=_env(TENSORPARITY_TEST_STALL="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    adds = len(expand_ops(["add"]))
    deadline = time.monotonic() + 120
    while len(read_results(log)) < adds:  # the adds are decided; the first exp blocks
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    family = _descendants(process.pid)
    assert family, "the run has worker processes"
    if stop == signal.SIGINT:
        os.killpg(process.pid, stop)
    else:
        process.send_signal(stop)
    _, err = process.communicate(timeout=60)
    if stop == signal.SIGINT:
        assert process.returncode == 130
        assert f"tensorparity: interrupted; {adds} new results kept in {log}, run again with --resume to finish" in err
    else:
        assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in family):  # no worker outlives its run, even a kill -9
        assert time.monotonic() < deadline, [pid for pid in family if _alive(pid)]
        time.sleep(0.05)
    kept = read_results(log)
    assert [r.op for r in kept] == ["add"] * adds and not target.exists()

    monkeypatch.delenv("TENSORPARITY_TEST_STALL", raising=False)
    assert main([*args, "--resume"]) == 0
    exps = len(expand_ops(["exp"]))
    assert f"resuming: {adds} results kept from {target} and {log}, {exps} cases to run" in capsys.readouterr().out
    document = json.loads(target.read_text())
    results = document["results"]
    assert [(r["op"], r["case"], r["dtype"]) for r in results] == [(c.op, c.name, c.dtype) for c in expand_ops(["add", "exp"])]
    assert results[:adds] == [r.to_dict() for r in kept]  # the old results, as they were (durations too)
    assert document["run"]["resumed"] == adds
    assert not log.exists()
    # resuming a finished run runs nothing and keeps everything
    assert main([*args, "--resume"]) == 0
    assert _json(target) == results


def test_resume_needs_json(capsys):
    assert main(["run", "--resume"]) == 2
    assert "--resume needs --json FILE" in capsys.readouterr().err


def test_bad_jobs_and_timeout_are_usage_errors(capsys):
    assert main(["run", "--jobs", "0"]) == 2
    assert main(["run", "--timeout", "-1"]) == 2


def test_a_torn_log_line_is_skipped_and_appending_starts_a_new_line(tmp_path):
    path = tmp_path / "r.jsonl"
    one = Result("add", "one", "int64", "numpy", "pass", duration_s=0.5)
    two = Result("add", "two", "int64", "numpy", "crash", "died", section="3.1")
    log = ResultLog(path)
    log.write(one)
    log.close()
    with path.open("a") as file:
        file.write('{"op": "add", "case": "tw')  # killed mid-write
    assert read_results(path) == [one]
    log = ResultLog(path, append=True)
    log.write(two)
    log.close()
    assert read_results(path) == [one, two]
    assert read_results(tmp_path / "missing.jsonl") == []
    assert log_path(Path("out/r.json")) == Path("out/r.jsonl") and log_path(Path("r")) == Path("r.jsonl")


# --- bad spec input -------------------------------------------------------------

_OP = """\
op: add
torch: torch.add
summary: s
signature:
  - {name: input, kind: tensor}
  - {name: other, kind: tensor_or_scalar}
cases:
  - name: one
    args:
      - {tensor: [1.0, 2.0], dtype: float32}
      - {tensor: [3.0, 4.0], dtype: float32}
    expected: {dtype: float32, shape: [2], value: [4.0, 6.0]}
"""
BAD_SPECS = {
    "malformed": (_OP + "  - name: [unclosed\n", "malformed YAML at line"),
    "python-tag": (_OP.replace("name: one", "name: !!python/object/apply:os.system ['true']"), "python/object"),
    "duplicate-case": (_OP + _OP[_OP.index("  - name: one") :], "case 'one': cases[1].name: duplicate case name"),
    "unknown-op": (_OP.replace("op: add", "op: addd"), "op: unknown op 'addd'"),
    "unknown-dtype": (_OP.replace("[1.0, 2.0], dtype: float32", "[1.0, 2.0], dtype: float33"), "unknown dtype 'float33'"),
    "over-memory": (
        _OP.replace("{tensor: [1.0, 2.0], dtype: float32}", "{generate: zeros, shape: [100000, 100000], dtype: float32}"),
        "cases[0].args[0].shape: [100000, 100000] needs more than the memory limit",
    ),
}


@pytest.mark.parametrize("command", [["run"], ["spec", "check"]], ids=["run", "spec-check"])
@pytest.mark.parametrize("kind", list(BAD_SPECS))
def test_a_bad_spec_is_one_line_naming_file_and_key_exit_2(spec_dir, capsys, command, kind):
    text, expected = BAD_SPECS[kind]
    path = spec_dir / "ops" / "broken.yaml"
    path.write_text(text)
    assert main([*command, "--spec", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"tensorparity: {path}: ")
    assert expected in captured.err
    assert "Traceback" not in captured.out + captured.err
