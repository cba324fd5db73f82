"""Read results files and merge them into one set of results.

Files from several runs and machines merge in the order given: a later file's
result for the same op, case, dtype and backend replaces an earlier one, and
keeps the earlier one's place. Each file's versions are kept (``Source``), and
each merged result remembers which file it came from.

The shards of one run (``run --shard K/N``) merge into that run's full result,
in its serial order, at the place of the first shard given: every shard once,
each complete, all from the same run (suite, backends, selection, spec, torch),
or ``ResultsFileError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from tensorparity.harness.results import SCHEMA_VERSIONS, Result, identity_difference, identity_of

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
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ResultsFileError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ResultsFileError(f"{path}: not a JSON results file: {error}") from None
    if not text.strip():
        raise ResultsFileError(f"{path}: the file is empty")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ResultsFileError(f"{path}: not a JSON results file: {error}") from None
    if not isinstance(document, dict):
        raise ResultsFileError(
            f"{path}: expected a JSON object at the top (a tensorparity results file), got {type(document).__name__}"
        )
    version = document.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version not in SCHEMA_VERSIONS:
        raise ResultsFileError(
            f"{path}: schema_version {version}: written by another tensorparity; this one reads {', '.join(map(str, SCHEMA_VERSIONS))}"
        )
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
    """Read, validate and merge results files; later files win. The shards of a run become that run's whole result."""
    return merge_documents(join_shards([(str(path), read_document(path)) for path in paths]))


_SAME_RUN = ("suite", "backends", "selection", "spec_digest", "torch")


def join_shards(documents: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """``documents`` with the shards of a run joined into one document, in the serial order,
    at the place of the first shard; ResultsFileError for a mixed, incomplete or partial set."""
    shards = [(label, document) for label, document in documents if document.get("shard")]
    if not shards:
        return documents
    first_label, first = shards[0]
    count = first["shard"]["count"]
    by_index: dict[int, tuple[str, dict[str, Any]]] = {}
    for label, document in shards:
        difference = identity_difference(identity_of(first) or {}, identity_of(document) or {}, _SAME_RUN, (first_label, label))
        if difference:
            raise ResultsFileError(f"{label}: not a shard of the same run as {first_label}: {difference}")
        shard = document["shard"]
        if shard["count"] != count:
            raise ResultsFileError(f"{label}: shard {shard['index']}/{shard['count']}, but {first_label} is a shard of {count}")
        if shard["index"] in by_index:
            raise ResultsFileError(f"shard {shard['index']}/{count} is given twice: {by_index[shard['index']][0]} and {label}")
        if document.get("run", {}).get("stopped"):
            raise ResultsFileError(
                f"{label}: shard {shard['index']}/{count} is incomplete (stopped by --{document['run']['stopped']}); "
                "finish it with run --resume first"
            )
        by_index[shard["index"]] = (label, document)
    missing = [str(k) for k in range(1, count + 1) if k not in by_index]
    if missing:
        raise ResultsFileError(f"shard {', '.join(missing)} of {count} is missing: a run's shards merge only all together")
    ordered = [by_index[k] for k in range(1, count + 1)]
    total = sum(document["run"]["cases"] for _, document in ordered)
    results = []
    for backend in [b["name"] for b in first["backends"]]:
        lists = []
        if not any(r["backend"] == backend for _, document in ordered for r in document["results"]):
            continue  # unavailable on every machine (run --allow-unavailable): no results to merge
        for k, (label, document) in enumerate(ordered, 1):
            mine = [r for r in document["results"] if r["backend"] == backend]
            expected = len(range(k - 1, total, count))
            if len(mine) != expected or document["run"]["cases"] != expected:
                raise ResultsFileError(
                    f"{label}: shard {k}/{count} has {len(mine)} results for {backend}, its share of {total} cases is {expected}"
                )
            lists.append(mine)
        results += [lists[i % count][i // count] for i in range(total)]
    joined = {key: value for key, value in first.items() if key not in ("shard", "results")}
    joined.update(shard=None, results=results)
    joined["run"] = {**first["run"], "cases": total}
    label = " + ".join(label for label, _ in ordered)
    place = documents.index(shards[0])
    rest = [entry for entry in documents if not entry[1].get("shard")]
    before = sum(1 for entry in documents[:place] if not entry[1].get("shard"))
    return rest[:before] + [(label, joined)] + rest[before:]
