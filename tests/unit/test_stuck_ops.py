"""An op that keeps hanging or crashing on a backend is cut short: a few timeouts, not one per case."""

from __future__ import annotations

import json
import time

import pytest
from tensorparity.harness.cases import expand
from tensorparity.harness.cli import main
from tensorparity.harness.spec import load_spec


def _cases(ops):
    return [(c.op, c.name, c.dtype) for c in expand(load_spec(), ops)]


@pytest.mark.parametrize("flags", [[], ["--jobs", "2"]], ids=["serial", "jobs2"])
def test_an_op_that_hangs_on_every_case_costs_three_timeouts(tmp_path, capsys, monkeypatch, flags):
    monkeypatch.setenv("TENSORPARITY_TEST_STALL", "1")  # StallingExp's exp blocks on every case
    target = tmp_path / "r.json"
    args = ["run", "--backend", "wrong_backends:StallingExp", "--op", "exp", "--op", "add", "--timeout", "2", "--no-matrix"]
    started = time.monotonic()
    assert main([*args, *flags, "--failures", "all", "--json", str(target)]) == 1
    elapsed = time.monotonic() - started
    assert elapsed < 20, elapsed  # 63 exp cases x 2 s would be over two minutes
    results = json.loads(target.read_text())["results"]
    assert [(r["op"], r["case"], r["dtype"]) for r in results] == _cases(["exp", "add"])  # every case decided, in order
    adds = [r for r in results if r["op"] == "add"]
    assert adds and all(r["outcome"] in ("pass", "raises_as_torch", "xfail") for r in adds)
    exps = [r for r in results if r["op"] == "exp"]
    assert {r["outcome"] for r in exps} == {"timeout"}
    ran = [r for r in exps if r["message"].startswith("no result within 2 s")]
    cut = [r for r in exps if r["message"] == "not run: exp timed out 3 times in a row on stalling_exp"]
    assert len(ran) + len(cut) == len(exps)
    assert 3 <= len(ran) <= 3 + 2 * len(flags)  # with 2 workers, the other may be running an exp case when the third times out
    assert all(r["duration_s"] == 0 for r in cut)
    if not flags:
        assert exps[:3] == ran and exps[3:] == cut  # the first three ran; the rest did not
    assert (
        "FAIL exp[dtype_matrix, bool] stalling_exp: timeout: not run: exp timed out 3 times in a row" in capsys.readouterr().out
    )


def test_max_timeouts_sets_how_many_in_a_row(tmp_path, monkeypatch):
    monkeypatch.setenv("TENSORPARITY_TEST_STALL", "1")
    target = tmp_path / "r.json"
    args = [
        "run",
        "--backend",
        "wrong_backends:StallingExp",
        "--op",
        "exp",
        "--timeout",
        "1",
        "--max-timeouts",
        "1",
        "--no-matrix",
    ]
    assert main([*args, "--json", str(target)]) == 1
    results = json.loads(target.read_text())["results"]
    assert results[0]["message"].startswith("no result within 1 s")
    assert {r["message"] for r in results[1:]} == {"not run: exp timed out 1 times in a row on stalling_exp"}
    assert json.loads(target.read_text())["run"]["max_timeouts"] == 1


def test_fewer_timeouts_in_a_row_than_the_limit_cut_nothing(tmp_path):
    """HangingExp hangs on one exp case only: with --max-timeouts 2 the other exp cases run and pass."""
    target = tmp_path / "r.json"
    args = [
        "run",
        "--backend",
        "wrong_backends:HangingExp",
        "--op",
        "exp",
        "--timeout",
        "2",
        "--max-timeouts",
        "2",
        "--no-matrix",
    ]
    assert main([*args, "--json", str(target)]) == 1
    results = json.loads(target.read_text())["results"]
    assert [r["outcome"] for r in results].count("timeout") == 1
    assert not any(r["message"].startswith("not run") for r in results)
    assert all(r["outcome"] in ("pass", "raises_as_torch", "xfail") for r in results if r["outcome"] != "timeout")


def test_an_op_that_keeps_crashing_is_cut_short(tmp_path, capsys):
    target = tmp_path / "r.json"
    args = ["run", "--backend", "wrong_backends:ExitingExp", "--op", "exp", "--op", "add", "--no-matrix", "--isolate"]
    assert main([*args, "--json", str(target)]) == 1
    results = json.loads(target.read_text())["results"]
    assert [(r["op"], r["case"], r["dtype"]) for r in results] == _cases(["exp", "add"])
    exps = [r for r in results if r["op"] == "exp"]
    assert {r["outcome"] for r in exps} == {"crash"}
    assert all(r["message"].startswith("the worker process exited with status 3 while running this case") for r in exps[:3])
    assert {r["message"] for r in exps[3:]} == {"not run: exp crashed 3 times in a row on exiting_exp"}
    assert all(r["outcome"] in ("pass", "raises_as_torch", "xfail") for r in results if r["op"] == "add")


def test_bad_max_timeouts_is_one_line_exit_2(capsys):
    assert main(["run", "--max-timeouts", "-1"]) == 2
    err = capsys.readouterr().err
    assert err == "tensorparity: --max-timeouts takes a count, 0 (never cut an op short) or more; got -1\n"
