"""Read results files and merge them into one set of results.

Files from several runs and machines merge in the order given: a later file's
result for the same op, case, dtype and backend replaces an earlier one, and
keeps the earlier one's place. Each file's versions are kept (``Source``), and
each merged result remembers which file it came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from tensorparity.harness.results import Result

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "results.schema.json"
_RESULT_FIELDS = tuple(f.name for f in fields(Result))


class ResultsFileError(Exception):
    """A results file that cannot be read, as one line: ``path: key.path: what is wrong``."""


@lru_cache(maxsize=1)
def results_schema() -> dict[str, Any]:
    """The JSON Schema of a results file (shipped as package data)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_document(document: Any, where: str = "results") -> None:
    """Raise ResultsFileError naming the first key that breaks the schema."""
    validator = jsonschema.Draft202012Validator(results_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        key = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in error.absolute_path).lstrip(".")
        raise ResultsFileError(f"{where}: {key + ': ' if key else ''}{error.message}")


@dataclass(frozen=True)
class Source:
    """One results file: where it is, what it ran with, and how many of its results survived the merge."""

    path: str
    versions: dict[str, Any]
    spec: str | None
    count: int
    kept: int = 0


@dataclass
class Merged:
    """Results from one or more files, the latest result per op/case/dtype/backend."""

    sources: list[Source] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)  # per result: index into sources

    def source_of(self, index: int) -> Source:
        return self.sources[self.origin[index]]

    @property
    def backends(self) -> list[str]:
        """Backend names in the order they first appear."""
        return list(dict.fromkeys(result.backend for result in self.results))

    def spec_root(self) -> str | None:
        """The spec folder of the latest file that names one."""
        return next((s.spec for s in reversed(self.sources) if s.spec), None)


def read_document(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsFileError(f"{path}: cannot read: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultsFileError(f"{path}: not a JSON results file: {error}") from None
    validate_document(document, str(path))
    return document


def result_from_dict(entry: dict[str, Any]) -> Result:
    return Result(**{name: entry[name] for name in _RESULT_FIELDS if name in entry})


def merge_documents(documents: list[tuple[str, dict[str, Any]]]) -> Merged:
    """Merge already-read documents, given as (label, document), in order."""
    latest: dict[tuple[str, str, str, str], tuple[Result, int]] = {}
    counts = []
    for index, (_, document) in enumerate(documents):
        counts.append(len(document["results"]))
        for entry in document["results"]:
            result = result_from_dict(entry)
            latest[(result.op, result.case, result.dtype, result.backend)] = (result, index)
    kept = [0] * len(documents)
    merged = Merged()
    for result, index in latest.values():
        merged.results.append(result)
        merged.origin.append(index)
        kept[index] += 1
    merged.sources = [
        Source(label, document["versions"], document.get("spec"), counts[i], kept[i])
        for i, (label, document) in enumerate(documents)
    ]
    return merged


def merge_files(paths: list[Path | str]) -> Merged:
    """Read, validate and merge results files; later files win."""
    return merge_documents([(str(path), read_document(path)) for path in paths])
