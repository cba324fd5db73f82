"""A conformance run from start to finish, as ``tensorparity run`` does it.

Load the backends, start worker processes when the settings need them (so their
imports overlap loading the spec), load the spec and select its cases, note the
backends that are unavailable here, then either fuzz or run the selected cases.

With ``json``, nothing a user already has is lost: an existing file that is not
a tensorparity results file is refused, as is a log holding an unfinished run's
results (unless resuming it); ``resume`` continues only a run made the same way
(the identity in ``harness.results``), keeping every result it wrote; a new run
over an older results file moves that file aside, as a numbered backup (``r.json.~1~``), when it starts.
Every new result is streamed to the log as it is decided; at the end the
terminal report is printed and the JSON document written whole or not at all
(the log, whose results it now holds, goes). ``maxfail`` stops the run after so
many failures, writing what was decided.

What can stop a run is raised as ``RunError`` (it cannot go ahead: the message
says why, in one line) or ``Interrupted`` (Ctrl-C: the message says what was
kept); a bad spec raises ``SpecError`` from loading it.

Over 400 lines: a run from start to finish, plus the porting steps (declared divergences, --errors, baselines) applied to its results; the porting section is the next candidate for a module of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tensorparity.backends.base import Backend, version_label
from tensorparity.backends.registry import BackendNotFound, load_backend
from tensorparity.harness import report, workers
from tensorparity.harness.cases import Case, Selection, SelectionError, select, select_ops
from tensorparity.harness.progress import Progress
from tensorparity.harness.results import (
    SUITE_SPEC,
    Result,
    ResultLog,
    backup_path,
    identity_difference,
    identity_of,
    log_path,
    read_document,
    read_log_identity,
    read_results,
    results_document,
    spec_digest,
    torch_version,
)
from tensorparity.harness.runner import backend_spec, run, run_case
from tensorparity.harness.spec import DEFAULT_MEMORY_LIMIT, DEFAULT_SPEC, Spec, load_spec


class RunError(Exception):
    """The run cannot go ahead: a backend not found, no op matching, a log that cannot be written ..."""


class Interrupted(Exception):
    """Ctrl-C stopped the run; the message says what was kept."""


class _MaxFail(Exception):
    """``maxfail`` failures were decided: stop the run."""


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
    cases: Sequence[str] | None = None  # globs over case names or ids; None for every case
    dtypes: Sequence[str] | None = None  # dtype names; None for every dtype
    shard: tuple[int, int] | None = None  # (K, N): run shard K of N of the selected cases
    max_timeouts: int = 3  # timeouts (or crashes) in a row of one op on one backend before its other cases are not run; 0: never
    maxfail: int | None = None  # stop after this many failures
    suites: Sequence[str] = (SUITE_SPEC,)  # spec: the spec's cases; opinfo: torch's OpInfo samples (harness/opinfo.py)
    max_numel: int | None = None  # opinfo: leave out samples with a tensor of more elements
    # Porting a backend (issue 13): how results are judged and shown.
    errors: str = "strict"  # "any": a raise where torch raises passes whatever its exception class
    strict_xfail: bool = False  # a declared divergence that now passes is a failure (xpass)
    failures: int | None = 0  # individual failure lines after the grouped summary; None: all
    baseline: Path | None = None  # an earlier results JSON: only regressions against it fail the run
    write_divergences: Path | None = None  # write the current failures as a starting divergences file

    @property
    def suite(self) -> str:
        """Where the cases come from, as the results file records it: spec, opinfo, spec+opinfo."""
        return "+".join(self.suites)

    @property
    def selection(self) -> Selection:
        def patterns(values: Sequence[str] | None) -> tuple[str, ...] | None:
            return tuple(values) if values else None

        return Selection(patterns(self.ops), patterns(self.cases), patterns(self.dtypes), self.shard)


@dataclass
class Verdict:
    """How a run ended: whether every result is conformant, and the named backends unavailable here."""

    conformant: bool
    unavailable: list[str] = field(default_factory=list)


def conformance_run(settings: RunSettings) -> Verdict:
    """Run (or fuzz) as ``settings`` say, printing the report."""
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
    try:
        cases = select(spec, settings.selection) if SUITE_SPEC in settings.suites or settings.fuzz is not None else []
    except SelectionError as error:
        raise RunError(str(error)) from None
    extra: dict[str, Any] = {}
    if "opinfo" in settings.suites and settings.fuzz is None:
        suite = _opinfo_suite(spec, settings)
        cases, extra = cases + suite.cases, {"opinfo": suite.to_dict()}
    if not cases and settings.shard is None:
        raise RunError("no case is selected")
    output = _Output.prepare(settings, spec, loaded) if settings.json and settings.fuzz is None else None
    try:
        # Workers start before the availability checks, so their imports (torch ...) overlap ours.
        pool = (
            workers.WorkerPool(
                loaded,
                jobs=settings.jobs,
                timeout=settings.timeout,
                isolate=settings.isolate,
                max_timeouts=settings.max_timeouts,
                run_case=run_case,
            )
            if use_workers
            else None
        )
        with pool if pool is not None else contextlib.nullcontext():
            if pool is not None:
                pool.start()
            backends, versions, unavailable = _available(loaded, pool)
            if settings.fuzz is not None:
                return Verdict(fuzz_run(spec, backends, settings, porting), unavailable)
            conformant = _run_cases(
                settings, spec, cases, [b.name for b in loaded], backends, versions, pool, output, porting, extra
            )
            return Verdict(conformant, unavailable)
    except workers.WorkerError as error:
        raise RunError(str(error)) from None
    except KeyboardInterrupt:  # before any case ran (while workers started)
        raise Interrupted("interrupted") from None


def _opinfo_suite(spec: Spec, settings: RunSettings) -> Any:
    """torch's OpInfo samples of the selected ops and dtypes as cases (harness/opinfo.py)."""
    from tensorparity.harness.opinfo import OpInfoUnavailable, build_suite

    try:
        suite = build_suite(
            spec,
            list(settings.ops) if settings.ops else None,
            max_numel=settings.max_numel,
            dtypes=list(settings.dtypes) if settings.dtypes else None,
        )
    except OpInfoUnavailable as error:
        raise RunError(str(error)) from None
    print(suite.summary())
    return suite


def _available(loaded: list[Backend], pool: workers.WorkerPool | None) -> tuple[list[Backend], dict[str, str | None], list[str]]:
    """The backends available here, each with its version when a worker already told it; the names of the others."""
    backends, versions, unavailable = [], {}, []
    for index, backend in enumerate(loaded):
        # a worker's answer, when one hosts the backend: then torch & co. are imported there only
        reason, version = (pool and pool.describe(index)) or (backend.unavailable_reason(), None)
        if reason:
            print(f"{backend.name}: unavailable: {reason}")
            unavailable.append(backend.name)
            continue
        backends.append(backend)
        versions[backend.name] = version
    return backends, versions, unavailable


def _spec_files(spec: Spec) -> list[Path]:
    dtypes = spec.root / "dtypes.yaml"
    return [dtypes if dtypes.exists() else DEFAULT_SPEC / "dtypes.yaml", *(op.path for op in spec.ops.values())]


@dataclass
class _Output:
    """Where a run's results go (``--json``), checked before anything runs."""

    path: Path
    log_path: Path
    identity: dict[str, Any]
    previous: dict[tuple[str, str, str, str], Result]
    backup: bool  # an earlier results file is there, to move aside as a backup when this run starts

    @classmethod
    def prepare(cls, settings: RunSettings, spec: Spec, loaded: list[Backend]) -> _Output:
        path = Path(settings.json)
        log_file = log_path(path)
        shard = {"index": settings.shard[0], "count": settings.shard[1]} if settings.shard else None
        identity = {
            "suite": settings.suite,
            "backends": [{"name": b.name, "target": backend_spec(b)} for b in loaded],
            "selection": settings.selection.to_dict(),
            "shard": shard,
            "spec_digest": spec_digest(_spec_files(spec)),
            "torch": torch_version(),
        }
        try:
            document = read_document(path)
        except ValueError as error:
            raise RunError(f"--json {path}: the file {error}; it is left as it is: choose another name") from None
        if path.exists() and path.is_dir():
            raise RunError(f"--json {path}: is a folder")
        logged = read_results(log_file)
        log_identity = read_log_identity(log_file)
        log_used = log_file.exists() and log_file.stat().st_size > 0
        previous: dict[tuple[str, str, str, str], Result] = {}
        if settings.resume:
            if document is not None:
                old = identity_of(document)
                if old is None:
                    raise RunError(
                        f"--resume: {path} was written by an older tensorparity that did not record how it was run; "
                        "it is left as it is: run without --resume into another --json file"
                    )
                _check_same(path, old, identity)
            if log_used:
                if log_identity is None:
                    raise RunError(f"--resume: {log_file} is not a tensorparity results log; it is left as it is")
                _check_same(log_file, log_identity, identity)
            previous = {r.key: r for source in (document["results"] if document else [], logged) for r in _results(source)}
        elif log_used and (logged or log_identity is None):
            what = f"holds {len(logged)} results of an unfinished run" if logged else "is not a tensorparity results log"
            hint = "finish it with --resume, or move it away" if logged else "move it away, or choose another --json name"
            raise RunError(f"--json {path}: {log_file} {what}: {hint}")
        return cls(path, log_file, identity, previous, backup=document is not None and not settings.resume)


def _results(rows: list[Any]) -> list[Result]:
    found = []
    for row in rows:
        if isinstance(row, Result):
            found.append(row)
            continue
        try:
            found.append(Result.from_dict(row))
        except (TypeError, AttributeError):
            continue
    return found


def _check_same(path: Path, old: dict[str, Any], new: dict[str, Any]) -> None:
    difference = identity_difference(old, new)
    if difference:
        raise RunError(
            f"--resume: {path} comes from another run ({difference}); it is left as it is: "
            "resume with the same options, or run into another --json file"
        )


def _run_cases(
    settings: RunSettings,
    spec: Spec,
    cases: list[Case],
    names: list[str],
    backends: list[Backend],
    versions: dict[str, str | None],
    pool: workers.WorkerPool | None,
    output: _Output | None,
    porting: _Porting | None = None,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Run ``cases`` on ``backends`` (the available ones of the backends ``names``); whether all conform."""
    previous = output.previous if output else {}
    log = None
    if output:
        if output.backup and output.path.exists():
            # This run replaces the file: the earlier one moves aside now, so that an interrupted
            # run's --resume continues this run, never mixes in the earlier one's results.
            backup = backup_path(output.path)
            try:
                os.rename(output.path, backup)
            except OSError as error:
                raise RunError(f"--json {output.path}: cannot keep it as {backup}: {error.strerror or error}") from None
            print(f"kept the previous {output.path} as {backup}")
        try:
            log = ResultLog(output.log_path, append=settings.resume, identity=output.identity)
        except OSError as error:
            raise RunError(f"cannot write {output.log_path}: {error.strerror or error}") from None
    todo = sum(1 for b in backends for c in cases if (c.op, c.name, c.dtype, b.name) not in previous)
    if settings.resume:
        print(f"resuming: {len(previous)} results kept from {output.path} and {log.path}, {todo} cases to run")
    progress = Progress(todo, "run")
    decided: dict[tuple[str, str, str, str], Result] = {}
    failures = 0

    def on_result(result: Result) -> None:
        nonlocal failures
        if log is not None:
            log.write(result)
        decided[result.key] = result
        progress.advance()
        failures += result.failed
        if settings.maxfail and failures >= settings.maxfail:
            raise _MaxFail

    options = {"jobs": settings.jobs, "timeout": settings.timeout or None, "isolate": settings.isolate}
    stopped = False
    try:
        run(cases, backends, on_result, previous=previous, pool=pool, **options)
    except _MaxFail:
        stopped = True
    except KeyboardInterrupt:
        progress.close()
        kept = f"; {log.written} new results kept in {log.path}, run again with --resume to finish" if log else ""
        raise Interrupted(f"interrupted{kept}") from None
    finally:
        if log is not None:
            log.close()
    progress.close()
    known = {**previous, **decided}
    # in the serial order; a backend unavailable here keeps the results an earlier run had for it
    results = [known[key] for name in names for c in cases if (key := (c.op, c.name, c.dtype, name)) in known]
    porting = porting or _Porting({}, None)
    results, porting_info, conformant = _porting_finish(settings, porting, results, backends)
    print(report.render(results, list(spec.dtypes), show_matrix=settings.matrix, max_failures=settings.failures))
    for line in porting_info.pop("lines"):
        print(line)
    if len(settings.suites) > 1 or "opinfo" in settings.suites:
        for backend in backends:  # each suite on its own line: the spec's cases and torch's samples
            for suite in settings.suites:
                mine = [r for r in results if r.backend == backend.name and r.suite == suite]
                print(report.summary_line(f"{backend.name} ({suite} suite)", mine))
    if stopped:
        left = sum(1 for b in backends for c in cases if (c.op, c.name, c.dtype, b.name) not in known)
        print(f"stopped after {failures} failures (--maxfail {settings.maxfail}); {left} cases not run")
    if output:
        complete = not stopped and len(results) == len(cases) * len(names)
        _write(
            settings, spec, output, results, backends, versions,
            complete=complete, stopped="maxfail" if stopped else None, resumed=len(previous), cases=len(cases),
            extra={**porting_info, **(extra or {})},
        )  # fmt: skip
    return conformant


def _write(
    settings: RunSettings,
    spec: Spec,
    output: _Output,
    results: list[Result],
    backends: list[Backend],
    versions: dict[str, str | None],
    *,
    complete: bool,
    stopped: str | None,
    resumed: int,
    cases: int,
    extra: dict[str, Any],
) -> None:
    """The results document, whole or not at all; never with fewer results than the run kept."""
    kept = {r.key for r in results}
    lost = [key for key in output.previous if key not in kept]
    if lost:  # pragma: no cover - the identity check makes this impossible; a last guard
        raise RunError(f"--json {output.path}: not written: it would lose {len(lost)} of the results it had")
    run_info = {
        "jobs": settings.jobs,
        "timeout_s": settings.timeout or None,
        "isolate": settings.isolate,
        "resumed": resumed,
        "max_timeouts": settings.max_timeouts,
        "maxfail": settings.maxfail,
        "complete": complete,
        "stopped": stopped,
        "cases": cases,
    }
    identity = {key: value for key, value in output.identity.items() if key != "torch"}
    document = results_document(
        results,
        {b.name: versions[b.name] or version_label(b) for b in backends},
        spec=str(spec.root),
        **identity,
        run=run_info,
        **extra,
    )
    try:
        # A fresh temporary name beside the target (never a user's file), renamed over it: whole or not at all.
        handle, name = tempfile.mkstemp(prefix=f".{output.path.name}.", suffix=".partial", dir=output.path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as partial:
            partial.write(json.dumps(document, indent=1))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(name, 0o666 & ~umask)  # as an ordinary file would be, not mkstemp's 0600
        Path(name).replace(output.path)
    except OSError as error:
        raise RunError(f"cannot write {output.path}: {error.strerror or error}; the results are in {output.log_path}") from None
    output.log_path.unlink(missing_ok=True)  # every result it held is in the document now


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
    from tensorparity.harness.runner import accept_any_exception

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
