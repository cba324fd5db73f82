"""new-backend: the scaffolded package installs, is discovered by its entry point, and runs.

README's walkthrough is followed word for word: its `add` is pasted into the stub.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tensorparity.harness.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _tensorparity(site: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(Path(__file__).resolve().parents[2])])}
    return subprocess.run([sys.executable, "-m", "tensorparity", *args], capture_output=True, text=True, env=env)


def _readme_add() -> str:
    match = re.search(r"<!-- scaffold-add -->\s*```python\n(.*?)```", README.read_text(), re.S)
    assert match, "README has the walkthrough's add method"
    return match.group(1)


def test_scaffold_install_discover_run(tmp_path):
    assert main(["new-backend", "mine", "--path", str(tmp_path)]) == 0
    package = tmp_path / "tensorparity-mine"
    assert (package / "pyproject.toml").exists() and (package / "tests" / "test_conformance.py").exists()
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site), str(package)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr

    listed = _tensorparity(site, "backends")
    assert re.search(
        r"^mine\s+mine_backend.backend:MineBackend\s+entry point \(tensorparity-mine\)\s+available", listed.stdout, re.M
    )

    fresh = _tensorparity(site, "run", "--backend", "mine", "--no-matrix")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "not implemented" in fresh.stdout and "pass" not in fresh.stdout.splitlines()[0]

    # README: implement add, see add pass
    backend_file = site / "mine_backend" / "backend.py"
    source = backend_file.read_text()
    stub = re.search(r"    def add\(.*?raise NotImplementedOp\(\"add\"\)\n", source, re.S).group(0)
    backend_file.write_text(source.replace(stub, _readme_add()))
    added = _tensorparity(site, "run", "--backend", "mine", "--op", "add", "--no-matrix")
    assert added.returncode == 0, added.stdout + added.stderr
    first = added.stdout.splitlines()[0]
    assert " pass" in first and "mismatch" not in first and "error" not in first, first


def test_bad_name_is_usage_error(tmp_path, capsys):
    assert main(["new-backend", "Not-A-Name", "--path", str(tmp_path)]) == 2
    assert "must be lowercase" in capsys.readouterr().err


def test_existing_folder_is_not_overwritten(tmp_path):
    assert main(["new-backend", "twice", "--path", str(tmp_path)]) == 0
    assert main(["new-backend", "twice", "--path", str(tmp_path)]) == 2


@pytest.mark.parametrize("op", ["view", "pad", "cumprod"])
def test_stub_signatures_follow_the_spec(spec, op):
    from tensorparity.harness.scaffold import stub

    text = stub(spec.ops[op])
    expected = {
        "view": "def view(self, input: Any, *shape: Any)",
        "pad": "mode: Any = 'constant'",
        "cumprod": "*, dtype: Any = None",
    }[op]
    assert expected in text
