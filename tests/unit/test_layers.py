"""The layers hold and the import graph has no cycle (tools/check_layers.py), and the check can fail."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check_layers", ROOT / "tools" / "check_layers.py")
check_layers = importlib.util.module_from_spec(_spec)
sys.modules["check_layers"] = check_layers
_spec.loader.exec_module(check_layers)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the project's Python packages to plant violations in."""
    for folder in check_layers.PACKAGE_DIRS:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_project_keeps_its_layers() -> None:
    assert check_layers.violations(ROOT) == []


def _planted(tree: Path) -> list[str]:
    """The problems in ``tree`` that the project itself does not have."""
    known = set(check_layers.violations(ROOT))
    return [problem for problem in check_layers.violations(tree) if problem not in known]


def test_a_backend_importing_the_harness_is_caught(tree: Path) -> None:
    (tree / "backends" / "numpy_backend.py").write_text(
        (tree / "backends" / "numpy_backend.py").read_text() + "\nfrom tensorparity.harness import judge\n"
    )
    problems = _planted(tree)
    assert len(problems) == 1
    assert "numpy_backend (reference backend) imports tensorparity.harness.judge (harness)" in problems[0]


def test_the_contract_importing_a_reference_backend_is_caught(tree: Path) -> None:
    (tree / "backends" / "base.py").write_text(
        (tree / "backends" / "base.py").read_text() + "\n\ndef late():\n    from tensorparity.backends import numpy_backend\n"
    )
    problems = _planted(tree)
    assert any("tensorparity.backends.base (contract) imports tensorparity.backends.numpy_backend" in p for p in problems)


def test_a_cycle_is_caught_even_through_a_lazy_import(tree: Path) -> None:
    (tree / "harness" / "planted_a.py").write_text("from tensorparity.harness import planted_b\n")
    (tree / "harness" / "planted_b.py").write_text("def f():\n    from tensorparity.harness import planted_a\n")
    problems = _planted(tree)
    assert problems == ["import cycle: tensorparity.harness.planted_a -> tensorparity.harness.planted_b -> tensorparity.harness.planted_a"]


def test_a_private_import_is_caught(tree: Path) -> None:
    (tree / "harness" / "planted.py").write_text("from tensorparity.harness.judge import _planted_private\n")
    problems = _planted(tree)
    assert problems and "imports the private name _planted_private of tensorparity.harness.judge" in problems[0]


def test_every_package_folder_is_in_the_wheel() -> None:
    """A subpackage missing from pyproject's list would be absent from an installed wheel."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {name for name, path in check_layers.module_files(ROOT).items() if path.name == "__init__.py"}
    assert packages == listed
