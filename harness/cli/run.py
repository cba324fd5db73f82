"""``tensorparity run``: the conformance suite on backends (``harness.session`` runs it)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tensorparity.harness.cli.common import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, print_error, spec_arguments, usage_error
from tensorparity.harness.session import Interrupted, RunError, RunSettings, conformance_run


def add_parser(commands: Any) -> None:
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
    # porting a backend that does not conform yet (docs/backends.md)
    run.add_argument(
        "--errors", choices=("strict", "any"), default="strict",
        help="where torch raises: strict (default) wants torch's exception class, any accepts any exception",
    )  # fmt: skip
    run.add_argument("--strict-xfail", action="store_true", help="a declared divergence that now passes is a failure (xpass)")
    run.add_argument(
        "--failures", default="0", metavar="N|all", help="print N individual failure lines after the grouped summary (default 0)"
    )
    run.add_argument(
        "--baseline", type=Path, metavar="OLD.json", help="compare with an earlier --json run: only regressions fail"
    )
    run.add_argument(
        "--write-divergences", type=Path, metavar="FILE", help="write the current failures as a starting divergences file"
    )
    spec_arguments(run)
    run.set_defaults(handler=main)


def failures_count(text: str) -> int | None:
    """--failures N|all: a count, None for all; ValueError otherwise."""
    if text == "all":
        return None
    count = int(text)
    if count < 0:
        raise ValueError(text)
    return count


def main(args: argparse.Namespace) -> int:
    if args.resume and not args.json:
        return usage_error("--resume needs --json FILE, the run to resume")
    if args.jobs < 1 or args.timeout < 0:
        return usage_error("--jobs takes 1 or more, --timeout 0 or more seconds")
    try:
        failures = failures_count(args.failures)
    except ValueError:
        return usage_error(f"--failures takes a number of lines or 'all', not {args.failures!r}")
    settings = RunSettings(
        backends=args.backend or ["numpy"],
        ops=args.op,
        spec=args.spec,
        memory_limit=args.memory_limit,
        json=args.json,
        matrix=not args.no_matrix,
        fuzz=args.fuzz,
        seed=args.seed,
        timeout=args.timeout,
        isolate=args.isolate,
        jobs=args.jobs,
        resume=args.resume,
        errors=args.errors,
        strict_xfail=args.strict_xfail,
        failures=failures,
        baseline=args.baseline,
        write_divergences=args.write_divergences,
    )
    try:
        conformant = conformance_run(settings)
    except RunError as error:
        return usage_error(error)
    except Interrupted as interrupted:
        print_error(interrupted)
        return EXIT_INTERRUPTED
    return EXIT_OK if conformant else EXIT_FAIL
