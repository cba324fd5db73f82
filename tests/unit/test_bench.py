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
