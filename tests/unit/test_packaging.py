"""Installed, the project is one import name: tensorparity (checked from outside the repository)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _python(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["harness", "backends"])
def test_no_generic_top_level_names(tmp_path: Path, name: str) -> None:
    result = _python(tmp_path, "-c", f"import {name}")
    assert result.returncode != 0 and f"No module named '{name}'" in result.stderr


def test_the_contract_is_one_import(tmp_path: Path) -> None:
    code = "from tensorparity.backends import Backend, NotImplementedOp, UnsupportedDtype, NeutralTensor, OP_IDS, DTYPES; print(len(OP_IDS), len(DTYPES))"
    result = _python(tmp_path, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["28", "17"]


def test_python_m_tensorparity_runs_and_says_its_version(tmp_path: Path) -> None:
    run = _python(tmp_path, "-m", "tensorparity", "run", "--op", "add", "--no-matrix")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("numpy: 153 cases")
    version = _python(tmp_path, "-m", "tensorparity", "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip().startswith("tensorparity ")
