"""Known divergences owned by a backend: the differences from torch its author accepts.

A backend declares them in its own package, in a YAML file next to its module named
after the class, ``<module dir>/<ClassName>.divergences.yaml``, or at the path its
class attribute ``divergences`` names (relative to the module's folder). A subclass
inherits the divergences its base classes declare (their code, bugs included, is its
own too): the files of every class in its MRO are read::

    divergences:
      - op: div
        dtype: [int*, uint8, bool]
        kind: dtype
        reason: integer true division gives float64, our library's default float

Each entry matches results by op, case and dtype (globs, or lists of globs; case and
dtype default to every one) and by the kind of difference the judge found
(``Result.kind``: value, dtype, shape, output_type, raises_where_torch_computes,
computes_where_torch_raises, wrong_exception, timeout, crash). The file's format is
``harness/schemas/divergences.schema.json``; docs/backends.md has the details.

Applied after judging (``apply``): a failing result an entry matches becomes ``xfail``
with the entry's reason. An entry that matches no failure is ``fixed`` when the results
it covers (op, case, dtype) all pass: those results are ``xpass`` under
``--strict-xfail`` (a failure), and stay ``pass`` otherwise, the entry reported as now
passing. An entry that covers no result of an op that ran, or whose results fail with
another kind, is ``stale``. The spec's own ``xfail:`` blocks stay for spec-level facts.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from tensorparity.harness import results as outcomes
from tensorparity.harness.results import Result

SCHEMA_PATH = Path(__file__).parent / "schemas" / "divergences.schema.json"
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DivergencesError(ValueError):
    """A divergences file that cannot be used; the message is one line naming the file and entry."""


@dataclass(frozen=True)
class Entry:
    op: tuple[str, ...]
    case: tuple[str, ...]
    dtype: tuple[str, ...]
    kind: tuple[str, ...]
    reason: str
    index: int  # its position in the file, from 0
    source: str = ""  # the file

    def covers(self, op: str, case: str, dtype: str) -> bool:
        return _any(self.op, op) and _any(self.case, case) and _any(self.dtype, dtype)

    def matches(self, result: Result) -> bool:
        return self.covers(result.op, result.case, result.dtype) and kind_of(result) in self.kind

    def label(self) -> str:
        where = f"op {','.join(self.op)}"
        if self.case != ("*",):
            where += f", case {','.join(self.case)}"
        if self.dtype != ("*",):
            where += f", dtype {','.join(self.dtype)}"
        return f"{self.source}: entry {self.index + 1} ({where}, kind {','.join(self.kind)})"


def _any(globs: tuple[str, ...], name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, glob) for glob in globs)


def kind_of(result: Result) -> str | None:
    """The kind of difference of a result: the judge's, or its outcome's for a timeout or a crash."""
    if result.kind:
        return result.kind
    return {outcomes.TIMEOUT: outcomes.KIND_TIMEOUT, outcomes.CRASH: outcomes.KIND_CRASH}.get(result.outcome)


@dataclass
class Divergences:
    """One backend's declared divergences; ``path`` None when it declares none."""

    backend: str
    entries: list[Entry] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)  # the files read: the class's own first, then its bases'

    def match(self, result: Result) -> Entry | None:
        for entry in self.entries:
            if entry.matches(result):
                return entry
        return None


@dataclass
class Applied:
    """What applying the declared divergences did, per backend."""

    results: list[Result]
    xfailed: dict[str, int] = field(default_factory=dict)  # backend -> results turned xfail
    fixed: list[tuple[str, Entry, int]] = field(default_factory=list)  # (backend, entry, passing results covered)
    stale: list[tuple[str, Entry, str]] = field(default_factory=list)  # (backend, entry, why)
    files: dict[str, list[Path]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The terminal's account of the declared divergences."""
        out = []
        for backend, paths in self.files.items():
            where = ", ".join(str(p) for p in paths)
            out.append(f"{backend}: {self.xfailed.get(backend, 0)} results xfail by declared divergences ({where})")
        for backend, entry, count in self.fixed:
            out.append(f"  {backend}: declared divergence now passes (xpass, {count} results; remove it): {entry.label()}")
        for backend, entry, why in self.stale:
            out.append(f"  {backend}: stale declared divergence ({why}): {entry.label()}")
        return out


def divergences_path(backend_class: type) -> Path | None:
    """Where a class's own divergences file is, whether or not it exists: the path its own
    ``divergences`` attribute names, else ``<ClassName>.divergences.yaml`` beside its module;
    None when its module has no file."""
    module = sys.modules.get(backend_class.__module__)
    module_file = getattr(module, "__file__", None)
    if not module_file:
        return None
    folder = Path(module_file).parent
    declared = backend_class.__dict__.get("divergences")
    if isinstance(declared, (str, Path)):
        return folder / declared
    return folder / f"{backend_class.__name__}.divergences.yaml"


def for_backend(backend: Any) -> Divergences:
    """The divergences ``backend`` declares, its bases' included (none without a file);
    DivergencesError on a bad file, or a ``divergences`` attribute naming a missing one."""
    found = Divergences(backend.name)
    for cls in type(backend).__mro__:
        if cls is object or cls.__module__ == "tensorparity.backends.base":
            continue
        path = divergences_path(cls)
        if path is None or path in found.paths:
            continue
        if not path.is_file():
            if isinstance(cls.__dict__.get("divergences"), (str, Path)):
                raise DivergencesError(f"{path}: no such file (the divergences attribute of {cls.__qualname__})")
            continue
        found.entries += load(path)
        found.paths.append(path)
    return found


def load(path: Path) -> list[Entry]:
    """The entries of a divergences file, validated; DivergencesError (one line) when it is not valid."""
    path = Path(path)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except OSError as error:
        raise DivergencesError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise DivergencesError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise DivergencesError(f"{path}:{where}: not valid YAML: {problem}") from None
    if document is None:
        document = {"divergences": []}
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_schema()).iter_errors(document))
    if error is not None:
        location = list(error.absolute_path)
        if len(location) >= 2 and location[0] == "divergences" and isinstance(location[1], int):
            where = f"entry {location[1] + 1}" + (f", key {'.'.join(map(str, location[2:]))}" if location[2:] else "")
        else:
            where = "key " + ".".join(map(str, location)) if location else "top level"
        raise DivergencesError(f"{path}: {where}: {_short(error.message)}")
    entries = []
    for index, raw in enumerate(document["divergences"]):
        entries.append(
            Entry(
                _tuple(raw["op"]),
                _tuple(raw.get("case", "*")),
                _tuple(raw.get("dtype", "*")),
                _tuple(raw["kind"]),
                raw["reason"].strip(),
                index,
                str(path),
            )
        )
    return entries


def _short(message: str) -> str:
    line = message.splitlines()[0] if message else "invalid"
    return line if len(line) <= 200 else line[:200] + "..."


def _tuple(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@cache
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def xfail_one(result: Result, declared: Divergences) -> Result:
    """One result with the declared divergences applied: xfail when an entry matches its failure."""
    if not result.failed or result.outcome == outcomes.XPASS:
        return result
    entry = declared.match(result)
    if entry is None:
        return result
    return replace(result, outcome=outcomes.XFAIL, message=f"{result.message} (declared divergence: {entry.reason})")


def apply(results: Iterable[Result], declared: dict[str, Divergences], strict: bool = False) -> Applied:
    """The results with each backend's declared divergences applied (see the module's doc)."""
    results = list(results)
    applied = Applied([])
    by_entry: dict[tuple[str, str, int], list[int]] = defaultdict(list)  # covered results
    hits: dict[tuple[str, str, int], int] = defaultdict(int)
    ran_ops: dict[str, set[str]] = defaultdict(set)
    out = list(results)
    for position, result in enumerate(results):
        ran_ops[result.backend].add(result.op)
        divergences = declared.get(result.backend)
        if divergences is None or not divergences.entries:
            continue
        for entry in divergences.entries:
            if entry.covers(result.op, result.case, result.dtype):
                by_entry[(result.backend, entry.source, entry.index)].append(position)
        new = xfail_one(result, divergences)
        if new is not result:
            out[position] = new
            applied.xfailed[result.backend] = applied.xfailed.get(result.backend, 0) + 1
            entry = divergences.match(result)
            hits[(result.backend, entry.source, entry.index)] += 1
    for backend, divergences in declared.items():
        if divergences.paths:
            applied.files[backend] = divergences.paths
        for entry in divergences.entries:
            key = (backend, entry.source, entry.index)
            if hits[key]:
                continue
            if not any(_any(entry.op, op) for op in ran_ops.get(backend, ())):
                continue  # its ops did not run: nothing to say
            covered = [results[i] for i in by_entry[key]]
            if not covered:
                applied.stale.append((backend, entry, "it matches no case that ran"))
                continue
            if all(r.outcome in (outcomes.PASS, outcomes.RAISES_AS_TORCH) for r in covered):
                applied.fixed.append((backend, entry, len(covered)))
                if strict:
                    for i in by_entry[key]:
                        out[i] = replace(
                            out[i],
                            outcome=outcomes.XPASS,
                            message=f"passes but is a declared divergence (--strict-xfail): {entry.reason}",
                        )
                continue
            kinds = sorted({kind_of(r) or "" for r in covered if r.failed} - {""})
            why = f"its cases fail as {', '.join(kinds)}" if kinds else "its cases are not implemented or xfail in the spec"
            applied.stale.append((backend, entry, why))
    applied.results = out
    return applied


def write_starting_file(path: Path, results: Iterable[Result]) -> int:
    """The current failures as a starting divergences file: one entry per op x kind with the
    dtypes listed and reason TODO; the number of entries written. With several backends in
    the run, their failures go in one file (the file is per backend: split it by hand)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for result in results:
        kind = kind_of(result)
        if not result.failed or kind is None:
            continue
        dtypes = groups.setdefault((result.op, kind), [])
        if result.dtype not in dtypes:
            dtypes.append(result.dtype)
    lines = [
        "# Known divergences of this backend from torch (tensorparity run --write-divergences).",
        "# Put this file next to the backend's module as <ClassName>.divergences.yaml, replace each",
        "# TODO with why the difference is accepted, and delete the entries that are bugs to fix.",
        "# Format: harness/schemas/divergences.schema.json in tensorparity; docs/backends.md.",
        "divergences:" + ("" if groups else " []"),
    ]
    for (op, kind), dtypes in groups.items():
        lines += [f"  - op: {_scalar(op)}", f"    dtype: [{', '.join(_scalar(d) for d in dtypes)}]", f"    kind: {kind}"]
        lines.append('    reason: "TODO"')
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(groups)


def _scalar(text: str) -> str:
    return json.dumps(text) if not text.replace("_", "").isalnum() else text
