"""--json and --resume never lose a result: only the same run resumes, foreign files are refused, old ones kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tensorparity.harness.cases import expand
from tensorparity.harness.cli import main
from tensorparity.harness.results import LOG_HEADER, SCHEMA_VERSION, log_path, read_log_identity, read_results
from tensorparity.harness.spec import load_spec

RUN = ["run", "--no-matrix", "--timeout", "0"]  # in-process: these tests are about files, not workers


def _strip(results: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "duration_s"} for r in results]


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tensorparity: "), err
    return err


@pytest.fixture
def finished(tmp_path: Path) -> Path:
    """A finished run of add and sub on numpy."""
    target = tmp_path / "n.json"
    assert main([*RUN, "--op", "add", "--op", "sub", "--json", str(target)]) == 0
    return target


def test_the_document_records_how_the_run_was_made(finished):
    document = json.loads(finished.read_text())
    assert document["schema_version"] == SCHEMA_VERSION == 2
    assert document["suite"] == "spec"
    assert document["backends"] == [{"name": "numpy", "target": "tensorparity.backends.numpy_backend:NumpyBackend"}]
    assert document["selection"] == {"ops": ["add", "sub"], "cases": None, "dtypes": None}
    assert document["shard"] is None
    assert document["spec_digest"].startswith("sha256:") and len(document["spec_digest"]) == 71
    assert document["run"]["complete"] is True and document["run"]["cases"] == len(document["results"])
    assert not log_path(finished).exists()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (["--op", "add"], "it selects --op 'add' 'sub', this run selects --op 'add'"),
        (
            ["--op", "add", "--op", "sub", "--backend", "python"],
            "this run ran backends python (tensorparity.backends.python_backend:PythonBackend)",
        ),
        (["--op", "add", "--op", "sub", "--dtype", "int64"], "this run selects --op 'add' 'sub' --dtype 'int64'"),
        (["--op", "add", "--op", "sub", "--shard", "1/2"], "it is no shard, this run is shard 1/2"),
    ],
    ids=["fewer-ops", "other-backend", "dtype", "shard"],
)
def test_resuming_another_run_is_refused_and_the_file_untouched(finished, capsys, change, says):
    before = finished.read_bytes()
    capsys.readouterr()
    assert main([*RUN, *change, "--json", str(finished), "--resume"]) == 2
    err = _one_line_error(capsys)
    assert f"--resume: {finished} comes from another run (it " in err and says in err and "it is left as it is" in err
    assert finished.read_bytes() == before
    assert not log_path(finished).exists()


def test_resuming_over_another_spec_is_refused(spec_dir, tmp_path, capsys):
    shutil.copy(Path(__file__).parents[2] / "spec" / "ops" / "add.yaml", spec_dir / "ops" / "add.yaml")
    target = tmp_path / "r.json"
    assert main([*RUN, "--spec", str(spec_dir), "--json", str(target)]) == 0
    before = target.read_bytes()
    path = spec_dir / "ops" / "add.yaml"
    path.write_text(path.read_text() + "\n# an edit\n")
    capsys.readouterr()
    assert main([*RUN, "--spec", str(spec_dir), "--json", str(target), "--resume"]) == 2
    assert "read a spec with digest sha256:" in _one_line_error(capsys)
    assert target.read_bytes() == before


@pytest.mark.parametrize("resume", [[], ["--resume"]], ids=["run", "resume"])
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"name": "my-package", "version": "1.0"}\n', "is not a tensorparity results file (no schema_version and results)"),
        (b"some notes, not JSON\n", "is not a tensorparity results file (not JSON)"),
        (b"", "is empty, not a tensorparity results file"),
    ],
    ids=["other-json", "not-json", "empty"],
)
def test_json_over_a_file_that_is_not_a_results_file_is_refused(tmp_path, capsys, resume, content, says):
    target = tmp_path / "package.json"
    target.write_bytes(content)
    assert main([*RUN, "--op", "add", "--json", str(target), *resume]) == 2
    err = _one_line_error(capsys)
    assert f"--json {target}: the file {says}; it is left as it is" in err
    assert target.read_bytes() == content
    assert not log_path(target).exists()


def test_resuming_a_file_of_the_first_schema_is_refused_and_report_still_reads_it(finished, capsys):
    document = json.loads(finished.read_text())
    old = {key: document[key] for key in ("versions", "spec", "results")}
    old["schema_version"] = 1
    old["run"] = {"jobs": 1, "timeout_s": None, "isolate": False, "resumed": 0}
    finished.write_text(json.dumps(old))
    before = finished.read_bytes()
    capsys.readouterr()
    assert main([*RUN, "--op", "add", "--op", "sub", "--json", str(finished), "--resume"]) == 2
    assert "was written by an older tensorparity that did not record how it was run" in _one_line_error(capsys)
    assert finished.read_bytes() == before
    assert main(["report", str(finished)]) == 0


def test_a_new_run_over_a_results_file_keeps_the_old_one_as_a_backup(finished, capsys):
    before = finished.read_bytes()
    capsys.readouterr()
    assert main([*RUN, "--op", "add", "--json", str(finished)]) == 0
    backup = finished.with_name("n.json.~1~")
    assert f"kept the previous {finished} as {backup}" in capsys.readouterr().out
    assert backup.read_bytes() == before
    assert {r["op"] for r in json.loads(finished.read_text())["results"]} == {"add"}
    assert main([*RUN, "--op", "sub", "--json", str(finished)]) == 0  # a second time: a second backup
    assert backup.read_bytes() == before
    assert {r["op"] for r in json.loads(finished.with_name("n.json.~2~").read_text())["results"]} == {"add"}


def test_an_unfinished_runs_log_is_never_truncated(finished, capsys):
    log = log_path(finished)
    document = json.loads(finished.read_text())
    header = {LOG_HEADER: 2, **{k: document[k] for k in ("suite", "backends", "selection", "shard", "spec_digest")}}
    header["torch"] = document["versions"]["torch"]
    lines = [json.dumps(header)] + [json.dumps(r) for r in document["results"][:5]]
    log.write_text("\n".join(lines) + "\n")
    before = log.read_bytes()
    capsys.readouterr()
    assert main([*RUN, "--op", "add", "--op", "sub", "--json", str(finished)]) == 2
    assert f"{log} holds 5 results of an unfinished run: finish it with --resume" in _one_line_error(capsys)
    assert log.read_bytes() == before
    log.write_text("my own notes\n")
    assert main([*RUN, "--op", "add", "--op", "sub", "--json", str(finished)]) == 2
    assert "is not a tensorparity results log" in _one_line_error(capsys)
    assert log.read_text() == "my own notes\n"


def test_the_log_begins_with_the_runs_identity_and_reading_results_skips_it(tmp_path, monkeypatch):
    import tensorparity.harness.session as session

    target = tmp_path / "r.json"
    seen = {}

    def keep_log(*args, **kwargs):  # look at the log before the document replaces it
        seen["identity"] = read_log_identity(log_path(target))
        seen["results"] = read_results(log_path(target))
        return original(*args, **kwargs)

    original = session._write
    monkeypatch.setattr(session, "_write", keep_log)
    assert main([*RUN, "--op", "numel", "--json", str(target)]) == 0
    document = json.loads(target.read_text())
    assert seen["identity"]["selection"] == {"ops": ["numel"], "cases": None, "dtypes": None}
    assert seen["identity"]["spec_digest"] == document["spec_digest"]
    assert [r.to_dict() for r in seen["results"]] == document["results"]


def test_resume_keeps_results_of_a_backend_unavailable_on_this_machine(tmp_path, capsys, monkeypatch):
    from tensorparity.backends.torch_backend import TorchBackend

    target = tmp_path / "r.json"
    args = [*RUN, "--op", "numel", "--backend", "numpy", "--backend", "torch", "--json", str(target)]
    assert main(args) == 0
    full = json.loads(target.read_text())["results"]
    document = json.loads(target.read_text())
    document["results"] = [r for r in full if r["backend"] == "torch" or r["case"] != full[0]["case"]]  # numpy unfinished
    target.write_text(json.dumps(document))
    monkeypatch.setattr(TorchBackend, "unavailable_reason", lambda self: "no torch on this machine")
    capsys.readouterr()
    assert main([*args, "--resume"]) == 3  # torch named and unavailable: exit 3, and its results are kept
    assert "torch: unavailable: no torch on this machine" in capsys.readouterr().out
    assert _strip(json.loads(target.read_text())["results"]) == _strip(full)


def test_maxfail_stops_writes_what_was_decided_and_resume_finishes(tmp_path, capsys):
    serial = tmp_path / "serial.json"
    args = [*RUN, "--op", "add", "--backend", "wrong_backends:OneElementOffAdd"]
    assert main([*args, "--json", str(serial)]) == 1
    full = json.loads(serial.read_text())["results"]
    failing = [i for i, r in enumerate(full) if r["outcome"] in ("mismatch", "error", "xpass", "timeout", "crash")]
    assert len(failing) > 3
    target = tmp_path / "r.json"
    capsys.readouterr()
    assert main([*args, "--maxfail", "3", "--json", str(target)]) == 1
    assert f"stopped after 3 failures (--maxfail 3); {len(full) - failing[2] - 1} cases not run" in capsys.readouterr().out
    document = json.loads(target.read_text())
    assert _strip(document["results"]) == _strip(full[: failing[2] + 1])  # the serial prefix up to the third failure
    assert document["run"]["complete"] is False and document["run"]["maxfail"] == 3 and document["run"]["stopped"] == "maxfail"
    assert main([*args, "--json", str(target), "--resume"]) == 1
    document = json.loads(target.read_text())
    assert _strip(document["results"]) == _strip(full) and document["run"]["complete"] is True
    assert document["run"]["resumed"] == failing[2] + 1


@pytest.mark.parametrize("flags", [[], ["--timeout", "60", "--jobs", "2"]], ids=["in-process", "jobs2"])
def test_maxfail_with_workers_keeps_every_decided_result(tmp_path, flags):
    target = tmp_path / "r.json"
    args = ["run", "--no-matrix", "--op", "add", "--op", "sub", "--backend", "wrong_backends:OneElementOffAdd", *flags]
    assert main([*args, "--maxfail", "2", "--json", str(target)]) == 1
    results = json.loads(target.read_text())["results"]
    assert sum(r["outcome"] == "mismatch" for r in results) == 2
    assert main([*args, "--json", str(target), "--resume"]) == 1
    cases = expand(load_spec(), ["add", "sub"])
    assert [(r.op, r.case, r.dtype) for r in read_results(target)] == [(c.op, c.name, c.dtype) for c in cases]


def test_an_interrupted_new_run_over_a_results_file_resumes_itself_and_keeps_the_old(finished, capsys, monkeypatch):
    import tensorparity.harness.session as session

    before = finished.read_bytes()
    real_run = session.run

    def interrupted(cases, backends, on_result, **options):
        real_run(cases[:5], backends, on_result, **options)
        raise KeyboardInterrupt

    monkeypatch.setattr(session, "run", interrupted)
    args = [*RUN, "--op", "add", "--json", str(finished)]
    assert main(args) == 130
    backup = finished.with_name("n.json.~1~")
    assert backup.read_bytes() == before and not finished.exists()  # moved aside when the new run started
    assert len(read_results(log_path(finished))) == 5
    monkeypatch.setattr(session, "run", real_run)
    capsys.readouterr()
    assert main([*args, "--resume"]) == 0
    assert "resuming: 5 results kept" in capsys.readouterr().out
    cases = expand(load_spec(), ["add"])
    assert [(r.op, r.case, r.dtype) for r in read_results(finished)] == [(c.op, c.name, c.dtype) for c in cases]
    assert backup.read_bytes() == before


def test_the_order_of_the_flags_does_not_make_another_run(finished, capsys):
    assert main([*RUN, "--op", "sub", "--op", "add", "--op", "add", "--json", str(finished), "--resume"]) == 0
    assert "resuming: " in capsys.readouterr().out
