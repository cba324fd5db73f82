"""Benchmarks: every op id has benchmark inputs, and `tensorparity bench` runs and writes its files.

No timing is asserted: these check the definitions and the plumbing, not speed.
"""

from __future__ import annotations

import json
import math
import warnings

import pytest
from tensorparity.backends.base import Backend
from tensorparity.backends.spec_files import OP_IDS
from tensorparity.harness import bench
from tensorparity.harness.cli import main
from tensorparity.harness.spec import SpecError, load_spec


def test_every_op_id_has_bench_inputs_at_every_size(spec):
    assert set(spec.ops) == set(OP_IDS)
    for op in spec.ops.values():
        assert op.bench, f"{op.path} has no bench block"
        for size, elements in bench.SIZES.items():
            args, kwargs = bench.inputs(op, size)
            tensors = [t for t in _tensors((args, kwargs))]
            assert tensors or op.op in ("arange", "full"), f"{op.op} at {size} has no tensor input"
            if tensors:  # "size N" means the largest input holds about N elements
                largest = max(math.prod(t.shape) for t in tensors)
                assert elements / 2 <= largest <= 2 * elements, (op.op, size, largest)


def _tensors(value):
    from tensorparity.backends.neutral import Graph, NeutralTensor

    if isinstance(value, NeutralTensor):
        yield value
    elif isinstance(value, Graph):
        yield from _tensors(list(value.inputs.values()))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        yield from _tensors(list(value.values()))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_every_benchmark_runs_at_the_small_size(backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for op in OP_IDS:
            bench.prepare(backend, op, "small")  # runs the op once; raises if it cannot


def test_asv_params_are_static_and_cover_every_op_id():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "ops.py"
    module_spec = importlib.util.spec_from_file_location("asv_benchmarks_ops", path)
    ops = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(ops)
    assert ops.Ops.params == [list(OP_IDS), ["numpy", "cupy", "python", "torch"], [100, 10_000, 1_000_000]]
    assert ops.PeakMemory.params == [list(OP_IDS), ["numpy", "cupy", "python", "torch"]]


def test_unavailable_backend_and_capped_size_are_not_implemented():
    class Missing(Backend):
        name = "missing"

        def unavailable_reason(self):
            return "not here"

    with pytest.raises(NotImplementedError, match="not here"):
        bench.prepare(Missing(), "add", "small")
    with pytest.raises(NotImplementedError, match="up to 10000"):
        bench.prepare("python", "add", 1_000_000)
    with pytest.raises(NotImplementedError):
        bench.prepare("no_such_backend", "add", "small")
    with pytest.raises(NotImplementedError, match="has no method"):
        bench.prepare(Missing.__base__(), "add", "small")


def test_sizes_by_name_or_count():
    assert bench.size_name("large") == bench.size_name(1_000_000) == bench.size_name("1e6") == "large"
    with pytest.raises(ValueError, match="unknown size"):
        bench.size_name(12345)


def test_an_unknown_size_variable_is_a_spec_error(spec_dir):
    (spec_dir / "ops" / "add.yaml").write_text(
        "op: add\ntorch: torch.add\nsummary: s\nsignature:\n  - {name: input, kind: tensor}\n  - {name: other, kind: tensor_or_scalar}\n"
        "bench:\n  args: [{generate: random, shape: [$nope], dtype: float32}, 1]\n"
        "cases:\n  - {name: one, args: [{tensor: [1], dtype: int64}, 1], expected: {dtype: int64, shape: [1], value: [2]}}\n"
    )
    op = load_spec(spec_dir).ops["add"]
    with pytest.raises(SpecError, match=r"add.yaml: bench.args\[0\].shape\[0\]: unknown size variable '\$nope'"):
        bench.inputs(op, "small")


def test_bench_command_prints_the_table_and_writes_json_csv_png(tmp_path, capsys):
    json_path, csv_path, png_path = tmp_path / "b.json", tmp_path / "b.csv", tmp_path / "b.png"
    status = main(
        "bench --backend numpy --backend cupy --op add --size 100 --repeat 2 --min-time 0.001".split()
        + ["--json", str(json_path), "--csv", str(csv_path), "--plot", str(png_path)]
    )
    assert status == 0
    out = capsys.readouterr().out
    header, row = out.splitlines()[1:3]
    assert header.split() == ["op", "size", "numpy", "/torch", "cupy", "/torch", "torch"]
    assert row.split()[:2] == ["add", "100"] and "n/a" in row  # cupy: no GPU here (or a ratio with one)
    assert "geomean numpy/torch at 100:" in out
    document = json.loads(json_path.read_text())
    assert document["environment"]["numpy"] and "OPENBLAS_CORETYPE" in document["environment"]
    by_backend = {r["backend"]: r for r in document["results"]}
    assert set(by_backend) == {"numpy", "cupy", "torch"}
    assert by_backend["numpy"]["status"] == "ok" and by_backend["numpy"]["median_s"] > 0
    assert by_backend["numpy"]["ratio_to_torch"] > 0 and by_backend["torch"]["ratio_to_torch"] == pytest.approx(1.0)
    if by_backend["cupy"]["status"] == "n/a":
        assert by_backend["cupy"]["median_s"] is None and "cupy" in by_backend["cupy"]["message"]
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("op,size,backend,status,median_s") and len(lines) == 4
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_command_usage_errors(capsys):
    assert main(["bench", "--size", "7"]) == 2
    assert "unknown size" in capsys.readouterr().err
    assert main(["bench", "--op", "nosuch*"]) == 2
    assert "no op matches" in capsys.readouterr().err


def test_measure_reports_median_and_quartiles():
    timing = bench.measure(lambda: sum(range(10)), repeat=5, min_time=0.001)
    assert timing.repeat == 5 and timing.number >= 1
    assert timing.min_s <= timing.q1_s <= timing.median_s <= timing.q3_s


# --- synchronisation, noise, threads, comparison, memory ----------------------------
@pytest.fixture
def deferred():
    from async_backends import DeferredBackend

    backend = DeferredBackend()
    yield backend
    backend.close()


def _by_backend(rows):
    return {row.backend: row for row in rows}


def test_an_asynchronous_backend_is_timed_to_completion_and_torch_is_not_charged_for_it(deferred):
    """ops that return before their 20 ms of work is done are timed at 20 ms or more, and the
    queued work does not land in torch's figure: it stays near a run without the backend."""
    alone = _by_backend(bench.run(["torch"], ["add"], ["small"], repeat=5, min_time=0.005, max_time=0))["torch"]
    rows = _by_backend(bench.run([deferred, "torch"], ["add"], ["small"], repeat=5, min_time=0.005, max_time=0))
    assert deferred.synchronized >= 5  # every repeat, not just the warm-up
    assert rows["deferred"].status == "ok" and rows["deferred"].median_s >= 0.02
    assert rows["deferred"].min_s >= 0.02
    # generous: a noisy machine moves a 3 us figure, undrained work multiplies it by 100 or more
    assert rows["torch"].median_s < 10 * alone.median_s + 50e-6, (rows["torch"].median_s, alone.median_s)


def test_the_bench_command_synchronizes_a_backend_named_by_module_and_class(capsys):
    assert main(["bench", "--backend", "async_backends:DeferredBackend", "--op", "add", "--size", "100", "--repeat", "3", "--min-time", "0.001"]) == 0
    line = capsys.readouterr().out.splitlines()[2]
    cell = line.split()[2:4]  # "21.3 ms" or "~21.3 ms"
    assert cell[1] == "ms" and float(cell[0].lstrip("~")) >= 20, line


def test_every_timed_repeat_ends_with_synchronize():
    calls, synced = [], []

    def call():
        calls.append(1)
        return len(calls)

    call.synchronize = synced.append
    timing = bench.measure(call, repeat=4, min_time=0.001)
    # one synchronize per repeat (and per calibration loop), always on the last result of the loop
    assert len(synced) >= 4 and synced[-1] == len(calls)
    assert timing.repeat == 4


def test_unknown_backend_or_op_is_a_one_line_usage_error(capsys):
    for argv in (["bench", "--backend", "nosuch"], ["bench", "--op", "add", "--op", "nosuch"], ["bench", "--backend", "nosuch_module:Nope"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "nosuch" in err, err


def test_a_figure_whose_repeats_disagree_is_remeasured_then_marked_unstable():
    import time

    count = [0]

    def call():  # repeats alternate 2 ms and 6 ms: an interquartile range far above 10%
        count[0] += 1
        time.sleep(0.002 if count[0] % 2 else 0.006)

    timing = bench.measure(call, repeat=7, min_time=0.001, max_time=0.3)
    assert timing.number == 1 and timing.attempts > 1
    assert not timing.stable
    from tensorparity.harness.timing import causes

    assert any("too few calls per repeat (1)" in cause for cause in causes(timing, load=0.0, ncores=2))


def test_stability_rules_and_their_causes():
    from tensorparity.harness.timing import Timing, causes

    steady = Timing(1e-3, 0.98e-3, 1.03e-3, 0.97e-3, 100, 7, 1.1e-3, 0.0)
    assert steady.stable and steady.iqr == pytest.approx(0.05)
    spread = Timing(1e-3, 0.9e-3, 1.2e-3, 0.8e-3, 100, 7, 2e-3, 0.0)
    assert not spread.stable
    waited = Timing(1e-3, 0.99e-3, 1.01e-3, 0.98e-3, 100, 7, 1.1e-3, 0.3)
    assert not waited.stable  # steady repeats, but each lost 30% of its time to another process
    assert causes(waited, load=0.1, ncores=2)[0].startswith("other processes took the CPU (30%")
    assert "load average above the cores (3.5 on 2)" in causes(spread, load=3.5, ncores=2)
    tiny = Timing(1e-10, 0.5e-10, 2e-10, 1e-10, 100, 7, 3e-10, 0.0)
    assert any("timer's resolution" in c for c in causes(tiny, load=0.1, ncores=2))
    # one call of a 200 us op, preempted while calibrating, looked long enough to fill a 20 ms repeat
    short = Timing(200e-6, 199e-6, 201e-6, 198e-6, 1, 7, 202e-6, 0.0, 1, 0.02)
    assert not short.stable and "the calibration was disturbed" in causes(short, load=0.1, ncores=2)[0]


def test_unstable_figures_are_marked_in_table_json_and_csv(tmp_path):
    rows = [
        bench.Row("add", 100, "numpy", "ok", 2e-6, 1.5e-6, 2.6e-6, 1.4e-6, 1000, 7, 2.0, "", 3e-6, False, 0.0, 3, "too few calls per repeat (1)"),
        bench.Row("add", 100, "torch", "ok", 1e-6, 0.99e-6, 1.01e-6, 0.98e-6, 1000, 7, 1.0, "", 1.1e-6, True, 0.0, 1, ""),
        bench.Row("mm", 100, "numpy", "ok", 4e-6, 3.99e-6, 4.01e-6, 3.9e-6, 1000, 7, 4.0, "", 4.1e-6, True, 0.0, 1, ""),
        bench.Row("mm", 100, "torch", "ok", 1e-6, 0.99e-6, 1.01e-6, 0.98e-6, 1000, 7, 1.0, "", 1.1e-6, True, 0.0, 1, ""),
    ]
    text = bench.render(rows)
    assert "~2 us ±28%" in text and "~1 us" not in text
    assert "geomean numpy/torch at 100: 2.83 over 2 ops, 1 unstable" in text
    assert text.splitlines()[-1] == "warning: 1 of 4 figures unstable (~), likely: too few calls per repeat (1)"
    bench.write_json(rows, tmp_path / "b.json", {})
    records = json.loads((tmp_path / "b.json").read_text())["results"]
    assert [r["stable"] for r in records] == [False, True, True, True]
    bench.write_csv(rows, tmp_path / "b.csv")
    header, first = (tmp_path / "b.csv").read_text().splitlines()[:2]
    assert "stable" in header.split(",") and "False" in first.split(",")


def test_threads_are_set_for_torch_and_every_pool_then_restored():
    import torch
    from tensorparity.harness.timing import thread_pools, threads

    before = torch.get_num_threads()
    with threads(1):
        pools = thread_pools()
        assert pools["torch"] == 1
        assert pools["pools"] and all(pool["threads"] == 1 for pool in pools["pools"])
        env = bench.environment(1)
        assert env["threads_requested"] == 1 and env["torch_threads"] == 1
        assert "OPENBLAS_L2_SIZE" in env and "blas_core_type" in env
        assert "threads: torch 1" in bench.describe(env)
    assert torch.get_num_threads() == before


def _record(op, backend, median, spread=0.02, stable=True):
    return {
        "op": op, "size": 1000000, "backend": backend, "status": "ok", "median_s": median,
        "q1_s": median * (1 - spread), "q3_s": median * (1 + spread), "min_s": median * (1 - 2 * spread), "stable": stable,
    }  # fmt: skip


def _run_file(path, records, **environment):
    path.write_text(json.dumps({"schema_version": 2, "environment": environment, "results": records}))
    return path


def test_compare_flags_a_planted_slowdown_and_nothing_else(tmp_path, capsys):
    import random

    generator = random.Random(3)
    base = {(op, b): 10 ** generator.uniform(-6, -2) for op in OP_IDS for b in ("numpy", "torch")}
    # two runs of the same code: medians within a few per cent of each other
    old = [_record(op, b, t * generator.uniform(0.97, 1.03)) for (op, b), t in base.items()]
    same = [_record(op, b, t * generator.uniform(0.97, 1.03)) for (op, b), t in base.items()]
    a, b = _run_file(tmp_path / "a.json", old), _run_file(tmp_path / "b.json", same)
    assert main(["bench", "--compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-2].startswith("0 slower, 0 faster")

    planted = [dict(r, **{k: r[k] * 2 for k in ("median_s", "q1_s", "q3_s", "min_s")}) if (r["op"], r["backend"]) == ("mm", "numpy") else r for r in same]
    c = _run_file(tmp_path / "c.json", planted)
    assert main(["bench", "--compare", str(a), str(c)]) == 1
    out = capsys.readouterr().out
    flagged = [line for line in out.splitlines() if line.startswith("+")]
    assert len(flagged) == 1 and flagged[0].split()[1:4] == ["mm", "1000000", "numpy"], out
    assert out.splitlines()[-2].startswith("1 slower, 0 faster")


def test_compare_does_not_judge_unstable_figures_nor_noise(tmp_path, capsys):
    old = [_record("add", "numpy", 1e-3), _record("mm", "numpy", 1e-3), _record("exp", "numpy", 1e-3, spread=0.2)]
    new = [_record("add", "numpy", 2e-3, stable=False), _record("mm", "numpy", 0.5e-3), _record("exp", "numpy", 1.15e-3, spread=0.2)]
    a, b = _run_file(tmp_path / "a.json", old, torch_threads=1), _run_file(tmp_path / "b.json", new, torch_threads=2)
    assert main(["bench", "--compare", str(a), str(b), "--factor", "1.1"]) == 0  # nothing steady got slower
    out = capsys.readouterr().out
    marks = {line.split()[1]: line.split()[0] for line in out.splitlines() if line[:1] in "+-~x"}
    assert marks == {"add": "~", "mm": "-"}  # exp: 15% slower, but within the two runs' spread
    assert "note: torch_threads differs: 1 -> 2" in out
    assert main(["bench", "--compare", str(a), str(tmp_path / "missing.json")]) == 2


def test_peak_memory_in_a_fresh_worker_without_torchs_baseline():
    from tensorparity.harness import memory

    rows = {row.backend: row for row in memory.measure(["numpy", "python"], ["add"], "large", threads=1)}
    numpy_row = rows["numpy"]
    assert numpy_row.status == "ok", numpy_row.message
    # two float32 inputs of 10^6 elements and the result: 12 MB, not torch's ~180 MB baseline
    assert 8e6 <= numpy_row.peak_bytes < 150e6, numpy_row
    assert numpy_row.call_python_bytes >= 3.9e6  # NumPy's buffers are traced: the 4 MB result
    assert numpy_row.baseline_bytes > 50e6  # the fresh worker had torch imported
    assert rows["python"].status == "n/a"  # timed up to 10^4 elements


def test_the_cupy_backend_waits_for_its_stream_on_every_repeat():
    """CuPy tested on the CPU through a NumPy stand-in for the module (as test_cupy_backend.py)."""
    import types

    import numpy as np
    from tensorparity.backends.cupy_backend import CupyBackend

    waits = []
    stream = types.SimpleNamespace(synchronize=lambda: waits.append(1))
    names = {name: getattr(np, name) for name in dir(np) if not name.startswith("_")}
    cuda = types.SimpleNamespace(get_current_stream=lambda: stream)
    backend = CupyBackend()
    backend.xp, backend._unavailable = types.SimpleNamespace(**names, asnumpy=np.asarray, cuda=cuda, __version__="stand-in"), None
    rows = bench.run([backend], ["add"], ["small"], repeat=3, min_time=0.001, max_time=0)
    assert rows[0].backend == "cupy" and rows[0].status == "ok", rows[0].message
    assert len(waits) >= 1 + 1 + 3  # the first call, the calibration, every repeat
