"""How to reproduce one result: the command that reruns it and where its case is written."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tensorparity.backends.registry import known_backends
from tensorparity.harness.results import Result
from tensorparity.harness.spec import DEFAULT_SPEC


@dataclass(frozen=True)
class Repro:
    command: str  # tensorparity run --backend B --op OP
    location: str  # spec/ops/OP.yaml:LINE (the line when the file is at hand)
    case: str
    note: str | None = None  # e.g. the backend is not registered on this machine


def reproduce(result: Result, spec_root: str | None = None) -> Repro:
    """The reproduction of ``result``; ``spec_root`` is the spec folder its run read."""
    root = Path(spec_root) if spec_root else DEFAULT_SPEC
    command = ["tensorparity", "run", "--backend", result.backend, "--op", result.op]
    if _resolved(root) != _resolved(DEFAULT_SPEC):
        command[2:2] = ["--spec", str(root)]
    note = None
    if result.backend not in _registered():
        note = f"backend {result.backend!r} is not registered here: pass its module:Class to --backend"
    line = case_line(str(root / "ops" / f"{result.op}.yaml"), result.case)
    location = f"spec/ops/{result.op}.yaml" + (f":{line}" if line else "")
    exact = (result.details or {}).get("reproduce")  # the run's own: module:Class, --case, --dtype
    if exact:
        return Repro(exact, location, result.case, None)
    return Repro(shlex.join(command), location, result.case, note)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:  # pragma: no cover
        return path


@lru_cache(maxsize=1)
def _registered() -> frozenset[str]:
    return frozenset(known_backends())


@lru_cache(maxsize=256)
def _case_lines(path: str) -> dict[str, int]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, int] = {}
    indent = None  # the cases' own indentation: deeper `- name:` lines are graph steps
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"(\s*)-\s+name:\s*['\"]?([A-Za-z0-9_.]+)['\"]?\s*(#.*)?$", line)
        if match and indent in (None, len(match.group(1))):
            indent = len(match.group(1))
            found.setdefault(match.group(2), number)
    return found


def case_line(path: str, case: str) -> int | None:
    """The line of ``- name: CASE`` in an op file, or None."""
    return _case_lines(path).get(case)
