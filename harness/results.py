"""The one result record every stage after judging reads, and its JSON layout.

A results document (``run --json FILE``) also records how its run was made (its
*identity*: the suite, each backend's name and ``module:Class``, the selection,
the shard, a digest of the spec, the torch version), so that ``--resume`` and
``report``'s shard merging can tell whether two files come from the same run.
The JSON Lines log a run streams its results to begins with the same identity.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import platform
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

# Outcomes; the first two are conformant, the rest are not, except
# not_implemented (a gap, reported but not a failure) and xfail (a known one).
PASS = "pass"
RAISES_AS_TORCH = "raises_as_torch"
MISMATCH = "mismatch"
WRONG_EXCEPTION = "wrong_exception"  # raised where torch raises, another exception class
ERROR = "error"
NOT_IMPLEMENTED = "not_implemented"
XFAIL = "xfail"
XPASS = "xpass"
TIMEOUT = "timeout"
CRASH = "crash"
OUTCOMES = (PASS, RAISES_AS_TORCH, MISMATCH, WRONG_EXCEPTION, ERROR, NOT_IMPLEMENTED, XFAIL, XPASS, TIMEOUT, CRASH)
FAILING = frozenset({MISMATCH, WRONG_EXCEPTION, ERROR, XPASS, TIMEOUT, CRASH})

# Kinds of difference, set by the judge on every result that is not conformant (Result.kind):
# what a backend's divergences file declares, and what the terminal groups failures by.
VALUE = "value"  # same dtype and shape, values outside the tolerance
DTYPE = "dtype"
SHAPE = "shape"
OUTPUT_TYPE = "output_type"  # not the kind of output torch gives (a list for a tensor, a dense for a sparse ...)
RAISES_WHERE_TORCH_COMPUTES = "raises_where_torch_computes"
COMPUTES_WHERE_TORCH_RAISES = "computes_where_torch_raises"
KIND_WRONG_EXCEPTION = "wrong_exception"
KIND_TIMEOUT = "timeout"
KIND_CRASH = "crash"
KINDS = (
    VALUE,
    DTYPE,
    SHAPE,
    OUTPUT_TYPE,
    RAISES_WHERE_TORCH_COMPUTES,
    COMPUTES_WHERE_TORCH_RAISES,
    KIND_WRONG_EXCEPTION,
    KIND_TIMEOUT,
    KIND_CRASH,
)
SCHEMA_VERSION = 2  # 2 added the run's identity (suite, backends, selection, shard, spec_digest); 1 is still read
SCHEMA_VERSIONS = (1, 2)  # what ``report`` reads
SUITE_SPEC = "spec"  # the spec's own cases (spec/ops/*.yaml)
LOG_HEADER = "tensorparity_log"  # the key of a results log's first line, which holds the run's identity


def printable(text: str) -> str:
    """Control characters from a backend's message shown escaped, never sent to the terminal."""
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode() for c in text)


@dataclass(frozen=True)
class Result:
    op: str
    case: str
    dtype: str
    backend: str
    outcome: str
    message: str = ""
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    duration_s: float = 0.0
    section: str | None = None
    backend_version: str = ""
    traceback: str | None = None
    kind: str | None = None  # one of KINDS when the result is not conformant (xfail included)
    # a failure's inputs, expected, actual and reproduction (harness.runner); a dict, so not hashed
    details: dict[str, Any] | None = field(default=None, hash=False)

    @property
    def id(self) -> str:
        return f"{self.op}-{self.case}-{self.dtype}-{self.backend}"

    @property
    def failed(self) -> bool:
        return self.outcome in FAILING

    def line(self) -> str:
        """The one-line failure message: ``div[seed_3_6, float32] numpy: dtype float64, expected float32``."""
        return f"{self.op}[{self.case}, {self.dtype}] {self.backend}: {self.outcome}: {printable(self.message)}"

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What names a result across runs (``--resume``): op, case, dtype, backend."""
        return (self.op, self.case, self.dtype, self.backend)

    def to_dict(self) -> dict[str, Any]:
        record = {name: getattr(self, name) for name in _FIELDS}
        for name in ("max_abs_error", "max_rel_error"):  # strict JSON has no Infinity or NaN
            value = record[name]
            if isinstance(value, float) and not math.isfinite(value):
                record[name] = None
        return record

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """A result read back from JSON; fields it lacks take their defaults, unknown ones are ignored."""
        return cls(**{name: data[name] for name in _FIELDS if name in data})


_FIELDS = tuple(f.name for f in fields(Result))


def log_path(json_path: Path) -> Path:
    """Where ``--json FILE`` streams results while the run goes: ``r.json`` -> ``r.jsonl``."""
    json_path = Path(json_path)
    if json_path.suffix == ".json":
        return json_path.with_suffix(".jsonl")
    return json_path.with_name(json_path.name + ".jsonl")


class ResultLog:
    """Results as JSON Lines, one per line, each flushed as it is written: a run that is
    interrupted (Ctrl-C, kill, a power cut aside) keeps every result it decided."""

    def __init__(self, path: Path, append: bool = False, identity: dict[str, Any] | None = None) -> None:
        """``identity``: written as the first line of a new log (``read_log_identity`` reads it back)."""
        self.path = Path(path)
        if append and self.path.exists() and self.path.stat().st_size:
            with self.path.open("rb") as existing:  # a line torn by a kill is ended, not glued to the next
                existing.seek(-1, 2)
                torn = existing.read(1) != b"\n"
        else:
            torn = False
        self.file = self.path.open("a" if append else "w", encoding="utf-8")
        if torn:
            self.file.write("\n")
        if identity is not None and not (append and self.path.stat().st_size):
            self.file.write(json.dumps({LOG_HEADER: SCHEMA_VERSION, **identity}) + "\n")
            self.file.flush()
        self.written = 0

    def write(self, result: Result) -> None:
        self.file.write(json.dumps(result.to_dict()) + "\n")
        self.file.flush()
        self.written += 1

    def close(self) -> None:
        self.file.close()


def read_results(path: Path) -> list[Result]:
    """The results in a results JSON document or a JSON Lines log. Lines that do not parse
    (the last one, torn by a kill mid-write) are skipped; a missing file has none."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        rows = document["results"]
    else:
        rows = []
        for line in text.splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    results = []
    for row in rows:
        try:
            results.append(Result.from_dict(row))
        except (TypeError, AttributeError):  # not a result (not an object, or a required field missing)
            continue
    return results


def read_log_identity(path: Path) -> dict[str, Any] | None:
    """The identity on a results log's first line; None when the file is missing or has none."""
    try:
        with Path(path).open(encoding="utf-8") as file:
            first = file.readline()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        header = json.loads(first)
    except ValueError:
        return None
    if not isinstance(header, dict) or LOG_HEADER not in header:
        return None
    return {key: value for key, value in header.items() if key != LOG_HEADER}


def read_document(path: Path) -> dict[str, Any] | None:
    """The results document at ``path``; None when the file does not exist. ValueError, saying
    why in a few words, for a file that exists and is not a tensorparity results document."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ValueError(f"cannot be read ({error.strerror or error})") from None
    if not data.strip():
        raise ValueError("is empty, not a tensorparity results file")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("is not a tensorparity results file (not JSON)") from None
    if not (isinstance(document, dict) and isinstance(document.get("results"), list) and "schema_version" in document):
        raise ValueError("is not a tensorparity results file (no schema_version and results)")
    return document


IDENTITY_KEYS = ("suite", "backends", "selection", "shard", "spec_digest", "torch")


def identity_of(document: dict[str, Any]) -> dict[str, Any] | None:
    """How the run behind a results document was made; None for a file that does not say (schema 1)."""
    if not all(key in document for key in IDENTITY_KEYS[:-1]):
        return None
    identity = {key: document[key] for key in IDENTITY_KEYS[:-1]}
    identity["torch"] = (document.get("versions") or {}).get("torch")
    return identity


def identity_difference(
    old: dict[str, Any],
    new: dict[str, Any],
    keys: tuple[str, ...] = IDENTITY_KEYS,
    names: tuple[str, str] = ("it", "this run"),
) -> str | None:
    """What differs between two runs' identities, as a phrase (``it ran ..., this run ...``,
    ``names`` naming the two); None if nothing does."""
    for key in keys:
        if old.get(key) != new.get(key):
            return f"{names[0]} {_describe_identity(key, old.get(key))}, {names[1]} {_describe_identity(key, new.get(key))}"
    return None


def _describe_identity(key: str, value: Any) -> str:
    if key == "suite":
        return f"ran the {value!r} suite"
    if key == "backends":
        return "ran backends " + (", ".join(f"{b['name']} ({b['target']})" for b in value or []) or "none")
    if key == "selection":
        value = value or {}
        flags = [
            f"--{flag} {' '.join(repr(p) for p in value[name])}"
            for name, flag in (("ops", "op"), ("cases", "case"), ("dtypes", "dtype"))
            if value.get(name)
        ]
        return "selects " + (" ".join(flags) if flags else "every case")
    if key == "shard":
        return f"is shard {value['index']}/{value['count']}" if value else "is no shard"
    if key == "spec_digest":
        return f"read a spec with digest {str(value)[:19]}"
    return f"ran torch {value}"


def spec_digest(files: list[Path]) -> str:
    """A digest of the spec's files (by name and content, so the same spec on another machine has the same)."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: (Path(p).parent.name, Path(p).name)):
        digest.update(f"{Path(path).parent.name}/{Path(path).name}\0".encode())
        digest.update(Path(path).read_bytes())
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def backup_path(path: Path) -> Path:
    """The first free numbered backup name beside ``path``: ``r.json.~1~``, ``r.json.~2~`` ..."""
    path = Path(path)
    number = 1
    while (candidate := path.with_name(f"{path.name}.~{number}~")).exists():
        number += 1
    return candidate


def torch_version() -> str | None:
    torch_module = sys.modules.get("torch")
    if torch_module is not None:
        return str(torch_module.__version__)
    try:  # importing torch for its version alone would cost a second
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return None


def versions(backend_versions: dict[str, str]) -> dict[str, Any]:
    import numpy

    return {
        "python": platform.python_version(),
        "torch": torch_version(),
        "numpy": numpy.__version__,
        "backends": backend_versions,
    }


def results_document(results: list[Result], backend_versions: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "versions": versions(backend_versions),
        **extra,
        "results": [result.to_dict() for result in results],
    }
