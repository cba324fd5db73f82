"""Selecting cases (--case, --dtype) and splitting a run over machines (--shard K/N, merged by report)."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest
from tensorparity.harness.cases import Selection, expand, select
from tensorparity.harness.cli import main
from tensorparity.harness.reports.merge import ResultsFileError, merge_files
from tensorparity.harness.spec import load_spec

# a selection with several ops, two backends and a few hundred cases: small enough for the unit tests
RUN = [
    "run",
    "--no-matrix",
    "--timeout",
    "0",
    "--op",
    "a*",
    "--op",
    "c*",
    "--op",
    "exp",
    "--backend",
    "numpy",
    "--backend",
    "torch",
]


def _strip(results: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "duration_s"} for r in results]


def _ids(path: Path) -> list[tuple[str, str, str, str]]:
    return [(r["op"], r["case"], r["dtype"], r["backend"]) for r in json.loads(path.read_text())["results"]]


def test_case_and_dtype_select_the_matching_records(tmp_path, spec):
    every = expand(spec, ["add", "sub"])
    target = tmp_path / "r.json"
    args = ["run", "--no-matrix", "--timeout", "0", "--op", "add", "--op", "sub", "--json", str(target)]
    assert main([*args, "--case", "seed_*", "--case", "alpha"]) == 0
    wanted = [c for c in every if fnmatch.fnmatchcase(c.name, "seed_*") or c.name == "alpha"]
    assert 0 < len(wanted) < len(every)
    assert _ids(target) == [(c.op, c.name, c.dtype, "numpy") for c in wanted]
    assert main([*args, "--dtype", "int8", "--dtype", "float64"]) == 0
    wanted = [c for c in every if c.dtype in ("int8", "float64")]
    assert 0 < len(wanted) < len(every)
    assert _ids(target) == [(c.op, c.name, c.dtype, "numpy") for c in wanted]
    assert main([*args, "--case", "add-seed_3_1-int64"]) == 0  # a whole case id
    assert _ids(target) == [("add", "seed_3_1", "int64", "numpy")]


def test_shards_split_the_selection_round_robin_and_cover_it_once(spec):
    every = select(spec, Selection(ops=("a*", "c*")))
    for count in (1, 2, 3, 4, 7):
        shards = [select(spec, Selection(ops=("a*", "c*"), shard=(k, count))) for k in range(1, count + 1)]
        assert sorted(len(s) for s in shards)[-1] - sorted(len(s) for s in shards)[0] <= 1  # balanced to one case
        interleaved = [shards[i % count][i // count] for i in range(len(every))]
        assert [c.id for c in interleaved] == [c.id for c in every]


@pytest.fixture(scope="module")
def sharded(tmp_path_factory) -> tuple[Path, list[Path]]:
    """One serial run and the same run as four shards."""
    folder = tmp_path_factory.mktemp("shards")
    serial = folder / "serial.json"
    assert main([*RUN, "--json", str(serial)]) == 0
    shards = []
    for k in range(1, 5):
        shards.append(folder / f"shard{k}.json")
        assert main([*RUN, "--shard", f"{k}/4", "--json", str(shards[-1])]) == 0
    return serial, shards


def test_four_shards_merged_by_report_equal_one_serial_run(sharded, capsys):
    serial, shards = sharded
    expected = json.loads(serial.read_text())["results"]
    assert all(0 < len(json.loads(s.read_text())["results"]) < len(expected) for s in shards)
    for order in (shards, shards[::-1], [shards[2], shards[0], shards[3], shards[1]]):
        merged = merge_files(order)
        assert _strip([r.to_dict() for r in merged.results]) == _strip(expected)  # same records, same order
    capsys.readouterr()
    assert main(["report", *map(str, shards)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"numpy: {len(expected) // 2} cases")
    assert main(["report", str(serial)]) == 0
    assert capsys.readouterr().out == out  # the report of the merged shards is the serial run's


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_a_missing_or_duplicated_shard_is_refused(sharded, capsys):
    _, shards = sharded
    err = _error(capsys, ["report", str(shards[0]), str(shards[1]), str(shards[3])])
    assert "shard 3 of 4 is missing: a run's shards merge only all together" in err
    err = _error(capsys, ["report", *map(str, shards), str(shards[1])])
    assert f"shard 2/4 is given twice: {shards[1]} and {shards[1]}" in err


def _edited(path: Path, folder: Path, edit) -> Path:
    document = json.loads(path.read_text())
    edit(document)
    out = folder / f"edited-{path.name}"
    out.write_text(json.dumps(document))
    return out


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda d: d["versions"].update(torch="1.0.0"), "ran torch 1.0.0"),
        (lambda d: d.update(spec_digest="sha256:" + "0" * 64), "read a spec with digest sha256:000000000000"),
        (lambda d: d["selection"].update(dtypes=["int64"]), "selects --op 'a*' 'c*' 'exp' --dtype 'int64'"),
        (lambda d: d["backends"].reverse(), "ran backends torch"),
    ],
    ids=["torch", "spec", "selection", "backends"],
)
def test_a_shard_of_another_run_is_refused(sharded, tmp_path, capsys, edit, says):
    _, shards = sharded
    other = _edited(shards[2], tmp_path, edit)
    err = _error(capsys, ["report", str(shards[0]), str(shards[1]), str(other), str(shards[3])])
    assert f"{other}: not a shard of the same run as {shards[0]}: " in err and says in err


def test_an_incomplete_shard_is_refused(sharded, tmp_path, capsys):
    _, shards = sharded
    short = _edited(shards[3], tmp_path, lambda d: d["results"].pop())
    err = _error(capsys, ["report", *map(str, shards[:3]), str(short)])
    assert f"{short}: shard 4/4 has " in err and "its share of" in err
    stopped = _edited(shards[1], tmp_path, lambda d: d["run"].update(complete=False, stopped="maxfail"))
    err = _error(capsys, ["report", str(shards[0]), str(stopped), *map(str, shards[2:])])
    assert f"{stopped}: shard 2/4 is incomplete (stopped by --maxfail); finish it with run --resume first" in err
    no_torch = _edited(shards[1], tmp_path, lambda d: d.update(results=[r for r in d["results"] if r["backend"] != "torch"]))
    err = _error(capsys, ["report", str(shards[0]), str(no_torch), *map(str, shards[2:])])
    assert f"{no_torch}: shard 2/4 has 0 results for torch, its share of" in err
    with pytest.raises(ResultsFileError, match="shard 2/3, but .* is a shard of 4"):
        merge_files([*shards, _edited(shards[1], tmp_path, lambda d: d["shard"].update(count=3))])


def test_a_backend_unavailable_on_every_shard_is_left_out(sharded, tmp_path):
    serial, shards = sharded
    numpy_only = [
        _edited(s, tmp_path, lambda d: d.update(results=[r for r in d["results"] if r["backend"] == "numpy"])) for s in shards
    ]
    merged = merge_files(numpy_only)
    expected = [r for r in json.loads(serial.read_text())["results"] if r["backend"] == "numpy"]
    assert _strip([r.to_dict() for r in merged.results]) == _strip(expected)


def test_shards_merge_beside_other_files(sharded, tmp_path):
    serial, shards = sharded
    other = tmp_path / "python.json"
    assert main(["run", "--no-matrix", "--timeout", "0", "--op", "numel", "--backend", "python", "--json", str(other)]) == 0
    merged = merge_files([other, *shards])
    expected = json.loads(other.read_text())["results"] + json.loads(serial.read_text())["results"]
    assert _strip([r.to_dict() for r in merged.results]) == _strip(expected)
    assert [s.path for s in merged.sources] == [str(other), " + ".join(map(str, shards))]


def test_a_shard_resumes_only_as_the_same_shard(sharded, tmp_path, capsys):
    _, shards = sharded
    target = tmp_path / "s.json"
    target.write_bytes(shards[1].read_bytes())
    err = _error(capsys, [*RUN, "--shard", "3/4", "--json", str(target), "--resume"])
    assert "it is shard 2/4, this run is shard 3/4" in err
    assert target.read_bytes() == shards[1].read_bytes()
    assert main([*RUN, "--shard", "2/4", "--json", str(target), "--resume"]) == 0
    assert _strip(json.loads(target.read_text())["results"]) == _strip(json.loads(shards[1].read_text())["results"])


def _collected(shard: str | None) -> list[str]:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TENSORPARITY_SHARD"}
    if shard:
        env["TENSORPARITY_SHARD"] = shard
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "pytest", "tests/conformance/test_conformance.py", "--collect-only", "-q", "-p", "no:xdist"]
    out = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "::test_conformance[" in line]


def test_pytest_shards_split_the_conformance_tests_as_run_does():
    every = _collected(None)
    shards = [_collected(f"{k}/3") for k in (1, 2, 3)]
    assert all(shards) and sorted(sum(shards, [])) == sorted(every)  # each test in exactly one shard
    spec = load_spec()
    first = {f"{c.id}-numpy" for c in select(spec, Selection(shard=(1, 3)))}
    assert {line.split("[", 1)[1].rstrip("]") for line in shards[0] if line.endswith("-numpy]")} == first
