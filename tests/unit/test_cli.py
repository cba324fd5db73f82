"""The tensorparity command: exit codes, output, JSON, record and check."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tensorparity.harness.cli import main
from tensorparity.harness.spec import load_spec

import tensorparity

RESULT_FIELDS = {
    "op",
    "case",
    "dtype",
    "backend",
    "outcome",
    "message",
    "max_abs_error",
    "max_rel_error",
    "duration_s",
    "section",
    "backend_version",
    "traceback",
    "kind",
    "details",
}


def test_run_default_backend_is_numpy(capsys):
    assert main(["run", "--op", "add", "--op", "su?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("numpy: ")
    assert "[ok]" in out and "torch:" not in out


def test_run_wrong_backend_exits_1_and_names_the_case(capsys):
    assert main(["run", "--op", "div", "--backend", "wrong_backends:WrongDtypeDiv", "--no-matrix", "--failures", "all"]) == 1
    out = capsys.readouterr().out
    assert "  FAIL div: 123 cases, wrong dtype: " in out  # the grouped summary: one line per op x kind
    assert "FAIL div[seed_3_6, float32] wrong_dtype_div: mismatch: dtype float64, expected float32" in out


def test_run_json_has_every_field(tmp_path):
    target = tmp_path / "r.json"
    assert main(["run", "--op", "add", "--backend", "numpy", "--backend", "torch", "--json", str(target)]) == 0
    document = json.loads(target.read_text())
    assert document["versions"]["torch"] and document["versions"]["numpy"]
    assert set(document["versions"]["backends"]) == {"numpy", "torch"}
    assert document["results"] and all(set(r) == RESULT_FIELDS for r in document["results"])
    assert {r["backend"] for r in document["results"]} == {"numpy", "torch"}


def test_unknown_backend_is_usage_error(capsys):
    assert main(["run", "--backend", "nosuch"]) == 2
    assert "unknown backend 'nosuch'" in capsys.readouterr().err


def test_unknown_op_pattern_is_usage_error(capsys):
    assert main(["run", "--op", "nosuch*"]) == 2


def test_bad_spec_is_one_line_exit_2(tmp_path, capsys):
    broken = tmp_path / "ops" / "broken.yaml"
    broken.parent.mkdir()
    broken.write_text("op: add\ncases: [\n")
    assert main(["spec", "check", "--spec", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.yaml: malformed YAML" in err
    assert main(["run", "--spec", str(broken)]) == 2


def test_spec_check_lists_the_erratum_and_passes(capsys):
    assert main(["spec", "check"]) == 0
    out = capsys.readouterr().out
    assert "§3.8 sparse_coo_tensor" in out and "[3, 3]" in out and "(2, 3)" in out
    assert "0 disagreement(s) beyond the recorded errata" in out


def test_spec_check_fails_on_a_wrong_expectation(spec_dir, capsys):
    (spec_dir / "ops" / "add.yaml").write_text(
        "op: add\ntorch: torch.add\nsummary: s\nsignature:\n  - {name: input, kind: tensor}\n"
        "  - {name: other, kind: tensor_or_scalar}\ncases:\n  - name: wrong\n    args:\n"
        "      - {tensor: [1, 2], dtype: int64}\n      - {tensor: [3, 4], dtype: int64}\n"
        "    expected: {dtype: int64, shape: [2], value: [4, 7]}\n"
    )
    assert main(["spec", "check", "--spec", str(spec_dir)]) == 1
    assert "DISAGREES add.yaml: add[wrong, int64]: stored expectation vs torch" in capsys.readouterr().out


def test_spec_record_fills_in_and_keeps_comments(spec_dir, capsys):
    path = spec_dir / "ops" / "mul.yaml"
    path.write_text(
        "# a comment that must survive\nop: mul\ntorch: torch.mul\nsummary: s\nsignature:\n"
        "  - {name: input, kind: tensor}\n  - {name: other, kind: tensor_or_scalar}\ncases:\n"
        "  - name: ints  # inline comment\n    args:\n      - {tensor: [1, 2], dtype: int64}\n      - 3\n"
        "  - name: swept\n    sweep: [float32, bool]\n    args:\n      - {tensor: [1, 0], dtype: $sweep}\n"
        "      - {tensor: [1, 1], dtype: $sweep}\n"
    )
    assert main(["spec", "record", "--spec", str(spec_dir)]) == 0
    text = path.read_text()
    assert "# a comment that must survive" in text and "# inline comment" in text
    assert "expected: {dtype: int64, shape: [2], value: [3, 6]}" in text
    assert "bool: {dtype: bool, shape: [2], value: [true, false]}" in text
    spec = load_spec(spec_dir)
    assert len(spec.ops["mul"].cases[1].variants) == 2
    assert "3 expectations recorded from torch" in capsys.readouterr().out


def test_backends_lists_builtins(capsys):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "numpy" in out and "tensorparity.backends.numpy_backend:NumpyBackend" in out and "available" in out


def test_backends_has_a_header_row_over_its_columns(capsys):
    assert main(["backends"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["name", "module:Class", "source", "status"]
    numpy_row = next(row for row in rows if row.startswith("numpy "))
    for column, value in (("module:Class", "tensorparity.backends."), ("source", "built-in"), ("status", "available")):
        assert header.index(column) == numpy_row.index(value)


def test_version_prints_the_package_version_and_exits_0():
    completed = subprocess.run([sys.executable, "-m", "tensorparity", "--version"], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"tensorparity {tensorparity.__version__}\n"
    assert re.fullmatch(r"tensorparity \d+\.\d+\.\d+\S*\n", completed.stdout)


def test_python_dash_m_harness():
    completed = subprocess.run(
        [sys.executable, "-m", "tensorparity", "run", "--op", "numel", "--no-matrix"], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("numpy: ")


# --- --backend module:Class from the current directory -------------------------

MYMODULE = """\
from tensorparity.backends.numpy_backend import NumpyBackend


class MyBackend(NumpyBackend):
    name = "mine"
"""


def test_backend_module_in_the_current_directory_is_found_as_python_dash_m_would(tmp_path):
    here = tmp_path / "here"
    here.mkdir()
    (here / "mymodule.py").write_text(MYMODULE)
    # a launcher elsewhere, as the installed `tensorparity` script: sys.path[0] is its folder, not the cwd
    launcher = tmp_path / "bin" / "tensorparity_launcher.py"
    launcher.parent.mkdir()
    launcher.write_text("import sys\n\nfrom tensorparity.harness.cli import main\n\nsys.exit(main())\n")
    for flags in (["--timeout", "0"], ["--jobs", "2"]):  # in this process, and in worker processes
        completed = subprocess.run(
            [sys.executable, str(launcher), "run", "--backend", "mymodule:MyBackend", "--op", "add", "--no-matrix", *flags],
            cwd=here,
            capture_output=True,
            text=True,
        )
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout.startswith("mine: ") and "[ok]" in completed.stdout


def test_a_fork_server_started_earlier_gives_workers_the_current_directory_module(tmp_path, monkeypatch, capsys):
    from tensorparity.harness import workers

    workers.prestart()  # a fork server (where there is one) started before the module's folder was on the path
    (tmp_path / "mymodule_in_workers.py").write_text(MYMODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # restored afterwards: the run puts the cwd in front
    monkeypatch.delitem(sys.modules, "mymodule_in_workers", raising=False)
    try:
        assert main(["run", "--backend", "mymodule_in_workers:MyBackend", "--op", "add", "--no-matrix", "--timeout", "60"]) == 0
    finally:
        sys.modules.pop("mymodule_in_workers", None)
    assert capsys.readouterr().out.startswith("mine: ")
