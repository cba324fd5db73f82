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
    parser.add_argument("--plot", type=Path, metavar="FILE.png", help="a bar chart of each backend's time / torch's")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every timing as JSON")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="write every timing as CSV")
    spec_arguments(parser)
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    try:
        sizes = list(dict.fromkeys(bench.size_name(size) for size in args.size or bench.DEFAULT_SIZES))
    except ValueError as error:
        return usage_error(error)
    try:  # as run does: every --op pattern matches an op, every --backend names one
        unmatched("--op", args.op or (), bench.select(None), "op", "ops: " + ", ".join(bench.select(None)))
    except SelectionError as error:
        return usage_error(error)
    ops = bench.select(args.op)
    if not ops:
        return usage_error(f"no op matches {args.op}")
    backends = list(dict.fromkeys(args.backend or ["numpy", bench.REFERENCE]))
    for name in backends:
        try:
            load_backend(name)
        except BackendNotFound as error:
            return usage_error(error)
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
