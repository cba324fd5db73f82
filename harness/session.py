"""A conformance run from start to finish, as ``tensorparity run`` does it.

Load the backends, start worker processes when the settings need them (so their
imports overlap loading the spec), load and expand the spec, drop the backends
that are unavailable here, then either fuzz or run the spec's cases: with
``resume``, the results an interrupted run left in the JSON document and its
``.jsonl`` log are kept; every new result is streamed to the log as it is
decided; at the end the terminal report is printed and the JSON document
written whole or not at all (the log, whose results it now holds, goes).

What can stop a run is raised as ``RunError`` (it cannot go ahead: the message
says why) or ``Interrupted`` (Ctrl-C: the message says what was kept); a bad
spec raises ``SpecError`` from loading it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tensorparity.backends.base import Backend, version_label
from tensorparity.backends.registry import BackendNotFound, load_backend
from tensorparity.harness import report, workers
from tensorparity.harness.cases import Case, expand, select_ops
from tensorparity.harness.progress import Progress
from tensorparity.harness.results import Result, ResultLog, log_path, read_results, results_document
from tensorparity.harness.runner import run, run_case
from tensorparity.harness.spec import DEFAULT_MEMORY_LIMIT, Spec, load_spec


class RunError(Exception):
    """The run cannot go ahead: a backend not found, no op matching, a log that cannot be written ..."""


class Interrupted(Exception):
    """Ctrl-C stopped the run; the message says what was kept."""


@dataclass(frozen=True)
class RunSettings:
    backends: Sequence[str] = ("numpy",)  # names or module:Class
    ops: Sequence[str] | None = None  # globs over op ids; None for every op
    spec: Path | None = None  # spec folder or one op file; None for the bundled spec
    memory_limit: int = DEFAULT_MEMORY_LIMIT
    json: Path | None = None  # where the results document goes (its log beside it)
    matrix: bool = True  # the op x dtype matrix in the terminal report
    fuzz: int | None = None  # instead of the spec's cases, this many drawn with hypothesis
    seed: int = 0  # the fuzzer's seed
    timeout: float = 10.0  # seconds per case (0: no limit)
    isolate: bool = False  # each backend in worker processes of its own
    jobs: int = 1  # worker processes
    resume: bool = False  # keep the results an interrupted run wrote for ``json``
    # Porting a backend (issue 13): how results are judged and shown.
    errors: str = "strict"  # "any": a raise where torch raises passes whatever its exception class
    strict_xfail: bool = False  # a declared divergence that now passes is a failure (xpass)
    failures: int | None = 0  # individual failure lines after the grouped summary; None: all
    baseline: Path | None = None  # an earlier results JSON: only regressions against it fail the run
    write_divergences: Path | None = None  # write the current failures as a starting divergences file


def conformance_run(settings: RunSettings) -> bool:
    """Run (or fuzz) as ``settings`` say, printing the report; whether everything was conformant."""
    loaded = []
    for name in settings.backends:
        try:
            loaded.append(load_backend(name))
        except BackendNotFound as error:
            raise RunError(str(error)) from None
    porting = _porting_setup(settings, loaded)
    use_workers = settings.fuzz is None and workers.workers_needed(settings.jobs, settings.timeout, settings.isolate)
    if use_workers:
        workers.prestart(loaded, run_case)  # the fork server imports the harness and backends while the spec loads
    spec = load_spec(settings.spec, memory_limit=settings.memory_limit)
    ops = list(settings.ops) if settings.ops is not None else None
    cases = expand(spec, ops)
    if not cases:
        raise RunError(f"no op matches {ops}")
    try:
        # Workers start before the availability checks, so their imports (torch ...) overlap ours.
        pool = (
            workers.WorkerPool(loaded, jobs=settings.jobs, timeout=settings.timeout, isolate=settings.isolate, run_case=run_case)
            if use_workers
            else None
        )
        with pool if pool is not None else contextlib.nullcontext():
            if pool is not None:
                pool.start()
            backends, versions = _available(loaded, pool)
            if settings.fuzz is not None:
                return fuzz_run(spec, backends, settings, porting)
            return _run_cases(settings, spec, cases, backends, versions, pool, porting)
    except workers.WorkerError as error:
        raise RunError(str(error)) from None
    except KeyboardInterrupt:  # before any case ran (while workers started)
        raise Interrupted("interrupted") from None


def _available(loaded: list[Backend], pool: workers.WorkerPool | None) -> tuple[list[Backend], dict[str, str | None]]:
    """The backends available here, each with its version when a worker already told it."""
    backends, versions = [], {}
    for index, backend in enumerate(loaded):
        # a worker's answer, when one hosts the backend: then torch & co. are imported there only
        reason, version = (pool and pool.describe(index)) or (backend.unavailable_reason(), None)
        if reason:
            print(f"{backend.name}: unavailable: {reason}")
            continue
        backends.append(backend)
        versions[backend.name] = version
    return backends, versions


def _run_cases(
    settings: RunSettings,
    spec: Spec,
    cases: list[Case],
    backends: list[Backend],
    versions: dict[str, str | None],
    pool: workers.WorkerPool | None,
    porting: _Porting | None = None,
) -> bool:
    previous: dict[tuple[str, str, str, str], Result] = {}
    log = None
    if settings.json:
        log_file = log_path(settings.json)
        if settings.resume:
            try:
                previous = {r.key: r for source in (settings.json, log_file) for r in read_results(source)}
            except (OSError, UnicodeDecodeError) as error:
                raise RunError(f"cannot read the run to resume: {error}") from None
        try:
            log = ResultLog(log_file, append=settings.resume)
        except OSError as error:
            raise RunError(f"cannot write {log_file}: {error.strerror or error}") from None
    todo = sum(1 for b in backends for c in cases if (c.op, c.name, c.dtype, b.name) not in previous)
    if settings.resume:
        print(
            f"resuming: {len(cases) * len(backends) - todo} results kept from {settings.json} and {log.path}, {todo} cases to run"
        )
    progress = Progress(todo, "run")

    def on_result(result: Result) -> None:
        if log is not None:
            log.write(result)
        progress.advance()

    options = {"jobs": settings.jobs, "timeout": settings.timeout or None, "isolate": settings.isolate}
    try:
        results = run(cases, backends, on_result, previous=previous, pool=pool, **options)
    except KeyboardInterrupt:
        progress.close()
        kept = f"; {log.written} new results kept in {log.path}, run again with --resume to finish" if log else ""
        raise Interrupted(f"interrupted{kept}") from None
    finally:
        if log is not None:
            log.close()
    progress.close()
    porting = porting or _Porting({}, None)
    results, porting_info, conformant = _porting_finish(settings, porting, results, backends)
    print(report.render(results, list(spec.dtypes), show_matrix=settings.matrix, max_failures=settings.failures))
    for line in porting_info.pop("lines"):
        print(line)
    if settings.json:
        run_info = {"jobs": settings.jobs, "timeout_s": settings.timeout or None, "isolate": settings.isolate}
        run_info["resumed"] = len(results) - todo
        document = results_document(
            results,
            {b.name: versions[b.name] or version_label(b) for b in backends},
            spec=str(spec.root),
            run=run_info,
            **porting_info,
        )
        partial = settings.json.with_name(settings.json.name + ".tmp")
        partial.write_text(json.dumps(document, indent=1))
        partial.replace(settings.json)  # whole or not at all
        log.path.unlink(missing_ok=True)  # every result it held is in the document now
    return conformant


# --- porting a backend: declared divergences, --errors, baselines (docs/backends.md) ----------------
@dataclass
class _Porting:
    declared: dict  # backend name -> harness.divergences.Divergences
    baseline: list[Result] | None


def _porting_setup(settings: RunSettings, loaded: list[Backend]) -> _Porting:
    """Each backend's declared divergences and the baseline's results, read before anything runs:
    a bad file stops the run with a one-line RunError naming it."""
    from tensorparity.harness import baseline, divergences

    declared = {}
    for backend in loaded:
        try:
            declared[backend.name] = divergences.for_backend(backend)
        except divergences.DivergencesError as error:
            raise RunError(str(error)) from None
    old = None
    if settings.baseline is not None:
        try:
            old = baseline.load(settings.baseline)
        except baseline.BaselineError as error:
            raise RunError(str(error)) from None
    return _Porting(declared, old)


def _porting_finish(
    settings: RunSettings, porting: _Porting, results: list[Result], backends: list[Backend]
) -> tuple[list[Result], dict, bool]:
    """The results with --errors and the declared divergences applied; the results document's
    extra keys (and "lines" for the terminal); whether the run is conformant."""
    from tensorparity.harness import baseline, divergences
    from tensorparity.harness.runner import accept_any_exception, backend_spec

    if settings.errors == "any":
        results = accept_any_exception(results)
    applied = divergences.apply(results, porting.declared, strict=settings.strict_xfail)
    results = applied.results
    lines = applied.lines()
    extra: dict = {"backend_classes": {b.name: backend_spec(b) for b in backends}}
    extra["divergences"] = {
        name: {
            "files": [str(path) for path in applied.files.get(name, [])],
            "xfail": applied.xfailed.get(name, 0),
            "fixed": [entry.label() for backend, entry, _ in applied.fixed if backend == name],
            "stale": [f"{entry.label()}: {why}" for backend, entry, why in applied.stale if backend == name],
        }
        for name in porting.declared
    }
    if settings.write_divergences is not None:
        try:
            count = divergences.write_starting_file(settings.write_divergences, results)
        except OSError as error:
            raise RunError(f"--write-divergences {settings.write_divergences}: {error.strerror or error}") from None
        lines.append(f"wrote {count} divergence entries (reason TODO) to {settings.write_divergences}")
    conformant = not any(result.failed for result in results)
    if porting.baseline is not None:
        changes = baseline.compare(porting.baseline, results, str(settings.baseline))
        lines += changes.lines()
        extra["baseline"] = baseline.changes_document(changes)
        conformant = not changes.regressions
    return results, {"lines": lines, **extra}, conformant


def fuzz_run(spec: Spec, backends: list[Backend], settings: RunSettings, porting: _Porting | None = None) -> bool:
    """``settings.fuzz`` drawn cases of the selected ops on each backend, the first failure
    shrunk and printed as a spec case and a reproduction; whether none failed."""
    from tensorparity.harness.fuzz import fuzz  # imported here: hypothesis costs a tenth of a second, and only fuzzing needs it

    op_ids = [op.op for op in select_ops(spec, list(settings.ops) if settings.ops is not None else None)]
    conformant = True
    fuzzable = [op for op in op_ids if spec.ops[op].fuzz.get("shapes") != "none"]
    if not fuzzable:
        raise RunError(f"none of {', '.join(op_ids)} is fuzzed (its spec says fuzz: {{shapes: none}})")
    for backend in backends:
        progress = Progress(settings.fuzz, f"fuzz {backend.name}")
        declared = porting.declared.get(backend.name) if porting else None
        found = fuzz(
            spec, backend, settings.fuzz, settings.seed, fuzzable, on_example=progress.advance,
            declared=declared, errors=settings.errors,
        )  # fmt: skip
        progress.close()
        rate = found.examples / max(found.seconds, 1e-9)
        print(f"{backend.name}: {found.summary()} (seed {settings.seed}, {rate:,.0f} cases/s)")
        for known in found.known:
            print(f"  known: {known.op}: {known.count} cases, {known.kind.replace('_', ' ')} ({known.reason_text()})")
        if not found.failures:
            continue
        conformant = False
        for distinct in found.failures:
            failure = distinct.example
            dtypes = " ".join(distinct.dtypes)
            print(f"\n{distinct.op}: {distinct.count} cases, {distinct.kind.replace('_', ' ')}: {dtypes}; shrunk to:")
            print(f"  {failure.case.label} {backend.name}: {failure.outcome}: {failure.message}")
            print(f"\nAs a YAML case for spec/ops/{failure.case.op}.yaml (under cases:):\n")
            print(failure.yaml_case())
            print("As a Python reproduction:\n")
            print(failure.python_repro())
    return conformant
