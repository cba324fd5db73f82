"""Shared fixtures: the bundled spec, loaded once, and throwaway copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tensorparity.harness.spec import DEFAULT_SPEC, Spec, load_spec


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    """A writable copy of the bundled spec's dtypes and schemas, with no op files."""
    root = tmp_path / "spec"
    (root / "ops").mkdir(parents=True)
    shutil.copy(DEFAULT_SPEC / "dtypes.yaml", root / "dtypes.yaml")
    shutil.copytree(DEFAULT_SPEC / "schema", root / "schema")
    return root
