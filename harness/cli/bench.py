"""``tensorparity bench``: backends timed side by side on the spec's benchmark inputs (``harness.bench``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tensorparity.backends.registry import BackendNotFound, load_backend
from tensorparity.harness import bench
from tensorparity.harness.cases import SelectionError, unmatched
from tensorparity.harness.cli.common import EXIT_FAIL, EXIT_OK, spec_arguments, usage_error
from tensorparity.harness.progress import Progress


def _threads(text: str) -> int | None:
    if text == "all":
        return None
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("--threads takes a count of 1 or more, or 'all'")
    return value


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("bench", help="time backends side by side on the spec's benchmark inputs")
    parser.add_argument("--backend", action="append", metavar="NAME|module:Class", help="repeatable; default numpy and torch")
    parser.add_argument("--op", action="append", metavar="PATTERN", help="glob over op ids, repeatable")
    parser.add_argument(
        "--size",
        action="append",
        metavar="N",
        help="elements per input: 100, 10000, 1000000 (or small, medium, large; tiny is 4); repeatable",
    )
    parser.add_argument("--repeat", type=int, default=7, help="timed repeats per benchmark (default 7)")
    parser.add_argument("--min-time", type=float, default=0.02, help="seconds one repeat lasts at least (default 0.02)")
    parser.add_argument(
        "--max-time",
        type=float,
        default=bench.DEFAULT_MAX_TIME,
        help=f"seconds each op and size may spend re-measuring unsteady figures (default {bench.DEFAULT_MAX_TIME:g}; 0: never)",
    )
    parser.add_argument(
        "--threads",
        type=_threads,
        default=bench.DEFAULT_THREADS,
        metavar="N|all",
        help=f"threads for torch and every BLAS/OpenMP pool (default {bench.DEFAULT_THREADS}; all: each library's own choice)",
    )
    parser.add_argument("--memory", action="store_true", help="peak memory per op and backend (at 10^6 elements) instead of time")
    parser.add_argument(
        "--compare", nargs=2, type=Path, metavar=("OLD.json", "NEW.json"), help="compare two --json files; exit 1 if anything got slower"
    )
    parser.add_argument("--factor", type=float, default=1.1, help="with --compare: the ratio new/old that counts as slower (default 1.1)")
    parser.add_argument("--plot", type=Path, metavar="FILE.png", help="a bar chart of each backend's time / torch's")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every timing as JSON")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="write every timing as CSV")
    spec_arguments(parser)
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    if args.compare:
        return _compare(args)
    try:
        sizes = list(dict.fromkeys(bench.size_name(size) for size in args.size or bench.DEFAULT_SIZES))
    except ValueError as error:
        return usage_error(error)
    try:  # as run does: every --op pattern matches an op, every --backend names one
        unmatched("--op", args.op or (), bench.select(None), "op", "ops: " + ", ".join(bench.select(None)))
    except SelectionError as error:
        return usage_error(error)
    ops = bench.select(args.op)
    backends = list(dict.fromkeys(args.backend or ["numpy", bench.REFERENCE]))
    for name in backends:
        try:
            load_backend(name)
        except BackendNotFound as error:
            return usage_error(error)
    if args.memory:
        return _memory(args, backends, ops, sizes if args.size else ["large"])
    if bench.REFERENCE not in backends:
        backends.append(bench.REFERENCE)  # the ratios need it
    bench.bench_spec(args.spec)  # a malformed spec fails here, before any timing
    from tensorparity.harness.timing import threads

    with threads(args.threads):
        progress = Progress(len(ops) * len(sizes) * len(backends), "bench")
        rows = bench.run(
            backends, ops, sizes, args.repeat, args.min_time, args.spec, on_row=lambda row: progress.advance(), max_time=args.max_time
        )
        progress.close()
        env = bench.environment(args.threads)
    print(bench.render(rows, env))
    if args.json:
        bench.write_json(rows, args.json, env)
    if args.csv:
        bench.write_csv(rows, args.csv)
    if args.plot:
        bench.plot(rows, args.plot, env)
    return EXIT_FAIL if any(row.status == "error" for row in rows) else EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from tensorparity.harness import compare

    try:
        report, status = compare.main(*args.compare, factor=args.factor)
    except compare.CompareError as error:
        return usage_error(error)
    print(report)
    return status


def _memory(args: argparse.Namespace, backends: list[str], ops: list[str], sizes: list[str]) -> int:
    import json

    from tensorparity.harness import memory
    from tensorparity.harness.timing import threads

    bench.bench_spec(args.spec)
    rows = [row for size in sizes for row in memory.measure(backends, ops, size, args.spec, args.threads)]
    with threads(args.threads):
        env = bench.environment(args.threads)  # the threads the workers ran with
    print(memory.render(rows))
    if args.json:
        args.json.write_text(json.dumps({"schema_version": bench.SCHEMA_VERSION, "environment": env, "memory": memory.as_records(rows)}, indent=1))
    if args.csv:
        import csv

        with args.csv.open("w", newline="") as handle:
            records = memory.as_records(rows)
            writer = csv.DictWriter(handle, fieldnames=list(records[0]) if records else ["op"])
            writer.writeheader()
            writer.writerows(records)
    return EXIT_FAIL if any(row.status == "error" for row in rows) else EXIT_OK
