"""Drift across torch versions: spec/RECORDED.yaml, `spec check` under another torch, `spec record --update`."""

from __future__ import annotations

import yaml
from tensorparity.harness.cli import main
from tensorparity.harness.record import torch_version
from tensorparity.harness.spec import DEFAULT_SPEC, load_spec

ADD = """op: add
torch: torch.add
summary: s
signature:
  - {name: input, kind: tensor_or_scalar}
  - {name: other, kind: tensor_or_scalar}
cases:
  - name: basic
    args: [{tensor: [1, 2], dtype: int64}, {tensor: [3, 4], dtype: int64}]
    expected: {dtype: int64, shape: [2], value: [4, 7]}
  - name: raising
    args: [{tensor: [1, 2], dtype: int64}, {tensor: [3, 4, 5], dtype: int64}]
    expected: {raises: RuntimeError}
  - name: unchanged
    args: [2, 3]
    expected: {dtype: int64, shape: [], value: 5}
"""


def _spec(spec_dir, recorded="1.0.0", drift=None):
    (spec_dir / "ops" / "add.yaml").write_text(ADD)
    (spec_dir / "RECORDED.yaml").write_text(yaml.safe_dump({"torch": recorded, "drift": drift or {}}))
    return spec_dir


def test_the_bundled_spec_names_its_recording_torch():
    recorded = load_spec(DEFAULT_SPEC).recorded
    assert recorded is not None and recorded.torch == "2.13.0"


def test_check_under_another_torch_lists_drift_by_op_and_fails(spec_dir, capsys):
    _spec(spec_dir)
    assert main(["spec", "check", "--spec", str(spec_dir)]) == 1
    out = capsys.readouterr().out
    assert f"drift: 1 expectations differ from torch 1.0.0's recording under torch {torch_version()}" in out
    assert "  add: 1\n    DRIFT add[basic, int64]: now Mismatched elements: 1 / 2" in out
    assert "DISAGREES" not in out  # under another torch a difference is drift, not a disagreement


def test_drift_recorded_for_this_torch_passes(spec_dir, capsys):
    _spec(spec_dir, drift={torch_version(): ["add[basic, int64]"]})
    assert main(["spec", "check", "--spec", str(spec_dir)]) == 0
    assert "    known add[basic, int64]" in capsys.readouterr().out


def test_drift_recorded_for_another_version_does_not_count(spec_dir, capsys):
    _spec(spec_dir, drift={"0.9.0": ["add[basic, int64]"]})
    assert main(["spec", "check", "--spec", str(spec_dir)]) == 1


def test_same_torch_difference_is_a_disagreement(spec_dir, capsys):
    _spec(spec_dir, recorded=torch_version())
    assert main(["spec", "check", "--spec", str(spec_dir)]) == 1
    out = capsys.readouterr().out
    assert "DISAGREES add.yaml: add[basic, int64]" in out and "drift:" not in out


def test_record_update_rewrites_what_changed_and_the_version(spec_dir, capsys):
    _spec(spec_dir)
    assert main(["spec", "record", "--update", "--spec", str(spec_dir)]) == 0
    out = capsys.readouterr().out
    assert "recorded add[basic, int64] (changed: now Mismatched elements" in out
    assert "1 stored expectations changed under torch" in out
    assert "unchanged" not in out and "raising" not in out  # only what differs is rewritten
    text = (spec_dir / "ops" / "add.yaml").read_text()
    assert "value: [4, 6]" in text and "expected: {raises: RuntimeError}" in text
    assert yaml.safe_load((spec_dir / "RECORDED.yaml").read_text())["torch"] == torch_version()
    assert main(["spec", "check", "--spec", str(spec_dir)]) == 0


def test_drift_markdown(spec_dir, tmp_path, capsys):
    _spec(spec_dir)
    page = tmp_path / "drift.md"
    assert main(["spec", "check", "--spec", str(spec_dir), "--drift-markdown", str(page)]) == 1
    text = page.read_text()
    assert text.startswith(f"# Drift: torch 1.0.0 → torch {torch_version()}")
    assert "Produced by `tensorparity spec check --spec" in text and "| add | 1 |" in text and "- `add[basic, int64]`" in text


def test_malformed_recorded_file_is_one_line_exit_2(spec_dir, capsys):
    _spec(spec_dir)
    (spec_dir / "RECORDED.yaml").write_text("torch: 2.13\n")  # a float, not a version string
    assert main(["spec", "check", "--spec", str(spec_dir)]) == 2
    err = capsys.readouterr().err
    assert "RECORDED.yaml" in err and "torch" in err and err.count("\n") == 1
