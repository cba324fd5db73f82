"""The ``tensorparity`` command: argument parsing, and nothing else.

Exit status: 0 conformant, 1 not conformant, 2 bad usage or a bad spec, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from tensorparity.harness.spec import DEFAULT_MEMORY_LIMIT, SpecError, load_spec

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it


def _spec_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", type=Path, default=None, help="spec folder or one op file (default: the bundled spec/)")
    parser.add_argument("--memory-limit", type=int, default=DEFAULT_MEMORY_LIMIT, help="bytes any one input tensor may take")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tensorparity", description="Conformance of tensor backends to torch.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the conformance suite on backends")
    run.add_argument("--backend", action="append", metavar="NAME|module:Class", help="repeatable; default numpy")
    run.add_argument("--op", action="append", metavar="PATTERN", help="glob over op ids, repeatable")
    run.add_argument("--json", type=Path, metavar="FILE", help="write every result as JSON")
    run.add_argument("--no-matrix", action="store_true", help="skip the op x dtype matrix")
    run.add_argument("--fuzz", type=int, metavar="N", help="instead of the spec's cases, N cases drawn with hypothesis")
    run.add_argument("--seed", type=int, default=0, help="the fuzzer's seed: the same seed replays the same cases")
    run.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="stop a case after this long, as 'timeout' (0: no limit)"
    )
    run.add_argument("--isolate", action="store_true", help="each backend in worker processes of its own")
    run.add_argument("--jobs", type=int, default=1, metavar="N", help="spread cases over N worker processes")
    run.add_argument("--resume", action="store_true", help="keep the results an interrupted run wrote for --json FILE")
    _spec_argument(run)

    spec = commands.add_parser("spec", help="record or check the spec against torch")
    spec_commands = spec.add_subparsers(dest="spec_command", required=True)
    record = spec_commands.add_parser("record", help="fill in missing expectations from torch")
    record.add_argument("--op", action="append", metavar="ID")
    record.add_argument("--overwrite", action="store_true", help="re-record every expectation")
    _spec_argument(record)
    check = spec_commands.add_parser("check", help="re-derive every expectation from live torch")
    _spec_argument(check)

    commands.add_parser("backends", help="list backends and whether each is available here")
    new_backend = commands.add_parser("new-backend", help="write an installable backend package, every op stubbed")
    new_backend.add_argument("name", help="the backend's name (a Python identifier)")
    new_backend.add_argument("--path", type=Path, default=Path("."), help="where to write it (default: here)")
    _spec_argument(new_backend)

    bench = commands.add_parser("bench", help="time backends side by side on the spec's benchmark inputs")
    bench.add_argument("--backend", action="append", metavar="NAME|module:Class", help="repeatable; default numpy and torch")
    bench.add_argument("--op", action="append", metavar="PATTERN", help="glob over op ids, repeatable")
    bench.add_argument(
        "--size",
        action="append",
        metavar="N",
        help="elements per input: 100, 10000, 1000000 (or small, medium, large; tiny is 4); repeatable",
    )
    bench.add_argument("--repeat", type=int, default=7, help="timed repeats per benchmark (default 7)")
    bench.add_argument("--min-time", type=float, default=0.02, help="seconds one repeat lasts at least (default 0.02)")
    bench.add_argument("--plot", type=Path, metavar="FILE.png", help="a bar chart of each backend's time / torch's")
    bench.add_argument("--json", type=Path, metavar="FILE", help="write every timing as JSON")
    bench.add_argument("--csv", type=Path, metavar="FILE", help="write every timing as CSV")
    _spec_argument(bench)

    report = commands.add_parser("report", help="merge results files into one report: HTML, Markdown, JUnit XML")
    report.add_argument("results", nargs="+", type=Path, metavar="RESULTS.json", help="results files; a later one wins")
    report.add_argument("--html", type=Path, metavar="FILE", help="a self-contained HTML page: heatmaps, coverage, failures")
    report.add_argument("--markdown", type=Path, metavar="FILE", help="the same report as Markdown tables")
    report.add_argument("--junit", type=Path, metavar="FILE", help="JUnit XML, one testcase per result")
    report.add_argument("--title", default="tensorparity conformance report", help="the report's title")

    docs = commands.add_parser("docs", help="a reference page per op, rendered from the spec")
    docs.add_argument("--out", type=Path, default=Path("site"), metavar="DIR", help="where to write the pages (default: site)")
    docs.add_argument("--results", type=Path, action="append", metavar="FILE", help="results files for each backend's status")
    _spec_argument(docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "spec":
            return _record(args) if args.spec_command == "record" else _check(args)
        if args.command == "report":
            return _report(args)
        if args.command == "docs":
            return _docs(args)
        if args.command == "bench":
            return _bench(args)
        if args.command == "new-backend":
            return _new_backend(args)
        return _backends()
    except SpecError as error:
        print(f"tensorparity: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `tensorparity run | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from tensorparity.backends.registry import BackendNotFound, load_backend
    from tensorparity.harness import workers
    from tensorparity.harness.cases import expand

    if args.resume and not args.json:
        print("tensorparity: --resume needs --json FILE, the run to resume", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs < 1 or args.timeout < 0:
        print("tensorparity: --jobs takes 1 or more, --timeout 0 or more seconds", file=sys.stderr)
        return EXIT_USAGE
    loaded = []
    for name in args.backend or ["numpy"]:
        try:
            loaded.append(load_backend(name))
        except BackendNotFound as error:
            print(f"tensorparity: {error}", file=sys.stderr)
            return EXIT_USAGE
    use_workers = args.fuzz is None and workers.workers_needed(args.jobs, args.timeout, args.isolate)
    if use_workers:
        workers.prestart(loaded)  # the fork server imports the harness and backends while the spec loads
    spec = load_spec(args.spec, memory_limit=args.memory_limit)
    cases = expand(spec, args.op)
    if not cases:
        print(f"tensorparity: no op matches {args.op}", file=sys.stderr)
        return EXIT_USAGE
    try:
        # Workers start before the availability checks, so their imports (torch ...) overlap ours.
        pool = workers.WorkerPool(loaded, jobs=args.jobs, timeout=args.timeout, isolate=args.isolate) if use_workers else None
        with pool if pool is not None else contextlib.nullcontext():
            if pool is not None:
                pool.start()
            return _run_cases(args, spec, cases, loaded, pool)
    except workers.WorkerError as error:
        print(f"tensorparity: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before any case ran (while workers started)
        print("tensorparity: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run_cases(args: argparse.Namespace, spec, cases, loaded, pool) -> int:
    from tensorparity.harness import report
    from tensorparity.harness.progress import Progress
    from tensorparity.harness.results import ResultLog, log_path, read_results, results_document
    from tensorparity.harness.runner import run

    backends, versions = [], {}
    for index, backend in enumerate(loaded):
        # a worker's answer, when one hosts the backend: then torch & co. are imported there only
        reason, version = (pool and pool.describe(index)) or (backend.unavailable_reason(), None)
        if reason:
            print(f"{backend.name}: unavailable: {reason}")
            continue
        backends.append(backend)
        versions[backend.name] = version
    if args.fuzz is not None:
        return _fuzz(spec, backends, args)
    previous, log = {}, None
    if args.json:
        log_file = log_path(args.json)
        if args.resume:
            try:
                previous = {r.key: r for source in (args.json, log_file) for r in read_results(source)}
            except (OSError, UnicodeDecodeError) as error:
                print(f"tensorparity: cannot read the run to resume: {error}", file=sys.stderr)
                return EXIT_USAGE
        try:
            log = ResultLog(log_file, append=args.resume)
        except OSError as error:
            print(f"tensorparity: cannot write {log_file}: {error.strerror or error}", file=sys.stderr)
            return EXIT_USAGE
    todo = sum(1 for b in backends for c in cases if (c.op, c.name, c.dtype, b.name) not in previous)
    if args.resume:
        print(f"resuming: {len(cases) * len(backends) - todo} results kept from {args.json} and {log.path}, {todo} cases to run")
    progress = Progress(todo, "run")

    def on_result(result) -> None:
        if log is not None:
            log.write(result)
        progress.advance()

    options = {"jobs": args.jobs, "timeout": args.timeout or None, "isolate": args.isolate}
    try:
        results = run(cases, backends, on_result, previous=previous, pool=pool, **options)
    except KeyboardInterrupt:
        progress.close()
        kept = f"; {log.written} new results kept in {log.path}, run again with --resume to finish" if log else ""
        print(f"tensorparity: interrupted{kept}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if log is not None:
            log.close()
    progress.close()
    print(report.render(results, list(spec.dtypes), show_matrix=not args.no_matrix))
    if args.json:
        run_info = {"jobs": args.jobs, "timeout_s": args.timeout or None, "isolate": args.isolate, "resumed": len(results) - todo}
        versions = {b.name: versions[b.name] or b.version() for b in backends}
        document = results_document(results, versions, spec=str(spec.root), run=run_info)
        partial = args.json.with_name(args.json.name + ".tmp")
        partial.write_text(json.dumps(document, indent=1))
        partial.replace(args.json)  # whole or not at all
        log.path.unlink(missing_ok=True)  # every result it held is in the document now
    return EXIT_FAIL if any(result.failed for result in results) else EXIT_OK


def _fuzz(spec, backends, args: argparse.Namespace) -> int:
    from tensorparity.harness.cases import select_ops
    from tensorparity.harness.fuzz import fuzz
    from tensorparity.harness.progress import Progress

    op_ids = [op.op for op in select_ops(spec, args.op)]
    status = EXIT_OK
    fuzzable = [op for op in op_ids if spec.ops[op].fuzz.get("shapes") != "none"]
    if not fuzzable:
        print(f"tensorparity: none of {', '.join(op_ids)} is fuzzed (its spec says fuzz: {{shapes: none}})", file=sys.stderr)
        return EXIT_USAGE
    for backend in backends:
        progress = Progress(args.fuzz, f"fuzz {backend.name}")
        report = fuzz(spec, backend, args.fuzz, args.seed, fuzzable, on_example=progress.advance)
        progress.close()
        rate = report.examples / max(report.seconds, 1e-9)
        if report.failure is None:
            print(f"{backend.name}: fuzz: {report.examples} cases (seed {args.seed}) all conformant, {rate:,.0f} cases/s")
            continue
        status = EXIT_FAIL
        failure = report.failure
        print(f"{backend.name}: fuzz: FAIL after {report.examples} cases (seed {args.seed}), shrunk to:")
        print(f"  {failure.case.label} {backend.name}: {failure.outcome}: {failure.message}")
        print(f"\nAs a YAML case for spec/ops/{failure.case.op}.yaml (under cases:):\n")
        print(failure.yaml_case())
        print("As a Python reproduction:\n")
        print(failure.python_repro())
    return status


def _record(args: argparse.Namespace) -> int:
    from tensorparity.harness.record import record

    spec = load_spec(args.spec, allow_missing=True, memory_limit=args.memory_limit)
    written = record(spec, args.op, overwrite=args.overwrite)
    for label in written:
        print(f"recorded {label}")
    print(f"{len(written)} expectations recorded from torch")
    recorded = [op.path for op in spec.ops.values() if not args.op or op.op in args.op]
    load_spec(args.spec, memory_limit=args.memory_limit, files=recorded)  # what was written must load
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from tensorparity.harness.record import check

    spec = load_spec(args.spec, memory_limit=args.memory_limit)
    result = check(spec)
    for line in result.disagreements + result.stale_errata:
        print(f"DISAGREES {line}")
    print(f"Errata of the seed (recorded; torch's truth is in the spec): {len(result.errata)}")
    for line in result.errata:
        print(f"  erratum {line}")
    bad = len(result.disagreements) + len(result.stale_errata)
    print(f"{result.checked} expectations checked against live torch: {bad} disagreement(s) beyond the recorded errata")
    return EXIT_OK if result.ok else EXIT_FAIL


def _report(args: argparse.Namespace) -> int:
    from tensorparity.harness import report
    from tensorparity.harness.reports import html, junit, markdown
    from tensorparity.harness.reports.grid import dtype_order
    from tensorparity.harness.reports.merge import ResultsFileError, merge_files

    try:
        merged = merge_files(args.results)
    except ResultsFileError as error:
        print(f"tensorparity: {error}", file=sys.stderr)
        return EXIT_USAGE
    outputs = [(args.html, lambda: html.render(merged, args.title)), (args.markdown, lambda: markdown.render(merged, args.title))]
    outputs.append((args.junit, lambda: junit.render(merged)))
    dtypes = dtype_order({r.dtype for r in merged.results})
    print(report.render(merged.results, dtypes, show_matrix=not any(path for path, _ in outputs), max_failures=10))
    for path, render in outputs:
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(), encoding="utf-8")
            print(f"wrote {path}")
    return EXIT_FAIL if any(result.failed for result in merged.results) else EXIT_OK


def _docs(args: argparse.Namespace) -> int:
    from tensorparity.harness.reports.docs import write_site
    from tensorparity.harness.reports.merge import ResultsFileError, merge_files

    spec = load_spec(args.spec, memory_limit=args.memory_limit)
    try:
        merged = merge_files(args.results) if args.results else None
    except ResultsFileError as error:
        print(f"tensorparity: {error}", file=sys.stderr)
        return EXIT_USAGE
    written = write_site(spec, args.out, merged)
    print(f"wrote {len(written)} pages to {args.out} (open {args.out / 'index.html'})")
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from tensorparity.harness import bench
    from tensorparity.harness.progress import Progress

    try:
        sizes = list(dict.fromkeys(bench.size_name(size) for size in args.size or bench.DEFAULT_SIZES))
    except ValueError as error:
        print(f"tensorparity: {error}", file=sys.stderr)
        return EXIT_USAGE
    ops = bench.select(args.op)
    if not ops:
        print(f"tensorparity: no op matches {args.op}", file=sys.stderr)
        return EXIT_USAGE
    backends = list(dict.fromkeys(args.backend or ["numpy", bench.REFERENCE]))
    if bench.REFERENCE not in backends:
        backends.append(bench.REFERENCE)  # the ratios need it
    bench.bench_spec(args.spec)  # a malformed spec fails here, before any timing
    progress = Progress(len(ops) * len(sizes) * len(backends), "bench")
    rows = bench.run(backends, ops, sizes, args.repeat, args.min_time, args.spec, on_row=lambda row: progress.advance())
    progress.close()
    env = bench.environment()
    print(bench.render(rows, env))
    if args.json:
        bench.write_json(rows, args.json, env)
    if args.csv:
        bench.write_csv(rows, args.csv)
    if args.plot:
        bench.plot(rows, args.plot, env)
    return EXIT_FAIL if any(row.status == "error" for row in rows) else EXIT_OK


def _new_backend(args: argparse.Namespace) -> int:
    from tensorparity.harness.scaffold import scaffold

    try:
        root = scaffold(load_spec(args.spec, memory_limit=args.memory_limit), args.name, args.path)
    except (ValueError, FileExistsError) as error:
        print(f"tensorparity: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {root}: pip install -e {root}, then tensorparity run --backend {args.name}")
    return EXIT_OK


def _backends() -> int:
    from tensorparity.backends.registry import describe_backends

    for info in describe_backends():
        status = "available" if info.unavailable_reason is None else f"unavailable: {info.unavailable_reason}"
        print(f"{info.name:<12} {info.target:<45} {info.source:<28} {status}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
