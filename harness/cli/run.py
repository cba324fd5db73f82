"""``tensorparity run``: the conformance suite on backends (``harness.session`` runs it)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from tensorparity.harness.cases import SelectionError, parse_shard
from tensorparity.harness.cli.common import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    print_error,
    spec_arguments,
    usage_error,
)
from tensorparity.harness.session import Interrupted, RunError, RunSettings, conformance_run


def add_parser(commands: Any) -> None:
    run = commands.add_parser("run", help="run the conformance suite on backends")
    run.add_argument("--backend", action="append", metavar="NAME|module:Class", help="repeatable; default numpy")
    run.add_argument("--op", action="append", metavar="PATTERN", help="glob over op ids, repeatable")
    run.add_argument(
        "--case", action="append", metavar="GLOB", help="glob over case names or ids (add-seed_3_1-int64), repeatable"
    )
    run.add_argument("--dtype", action="append", metavar="NAME", help="only the cases filed under this dtype, repeatable")
    run.add_argument("--shard", metavar="K/N", help="run shard K of N of the selected cases (report merges the shards)")
    run.add_argument("--json", type=Path, metavar="FILE", help="write every result as JSON")
    run.add_argument("--no-matrix", action="store_true", help="skip the op x dtype matrix")
    run.add_argument("--fuzz", type=int, metavar="N", help="instead of the spec's cases, N cases drawn with hypothesis")
    run.add_argument("--seed", type=int, default=0, help="the fuzzer's seed: the same seed replays the same cases")
    run.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="stop a case after this long, as 'timeout' (0: no limit)"
    )
    run.add_argument(
        "--max-timeouts",
        type=int,
        default=3,
        metavar="K",
        help="after K timeouts (or crashes) in a row of one op on one backend, do not run its other cases (default 3; 0: never)",
    )
    run.add_argument("--maxfail", type=int, metavar="N", help="stop after N failures, keeping what was decided")
    run.add_argument("--isolate", action="store_true", help="each backend in worker processes of its own")
    run.add_argument("--jobs", type=int, default=1, metavar="N", help="spread cases over N worker processes")
    run.add_argument("--resume", action="store_true", help="continue the run in --json FILE (made with the same options)")
    run.add_argument(
        "--suite",
        action="append",
        choices=["spec", "opinfo"],
        help="spec (the default): the spec's cases; opinfo: torch's own OpInfo samples of the spec's ops; repeatable",
    )
    run.add_argument(
        "--max-numel", type=int, metavar="N", help="--suite opinfo: leave out samples with a tensor of more than N elements"
    )
    run.add_argument(
        "--allow-unavailable",
        action="store_true",
        help=f"a named backend unavailable here is not an error (else exit status {EXIT_UNAVAILABLE})",
    )
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


def check(args: argparse.Namespace) -> str | None:
    """The first bad option, as one line naming it; None when all are good."""
    if args.resume and not args.json:
        return "--resume needs --json FILE, the run to resume"
    if args.max_numel is not None and args.max_numel < 0:
        return f"--max-numel takes a number of elements, 0 or more; got {args.max_numel}"
    if args.jobs < 1:
        return f"--jobs takes a number of worker processes, 1 or more; got {args.jobs}"
    if not math.isfinite(args.timeout):
        return f"--timeout takes a finite number of seconds (0 for no limit); got {args.timeout}"
    if args.timeout < 0:
        return f"--timeout takes seconds, 0 (no limit) or more; got {args.timeout:g}"
    if args.max_timeouts < 0:
        return f"--max-timeouts takes a count, 0 (never cut an op short) or more; got {args.max_timeouts}"
    if args.maxfail is not None and args.maxfail < 1:
        return f"--maxfail takes a number of failures, 1 or more; got {args.maxfail}"
    if args.fuzz is not None:
        if args.fuzz < 1:
            return f"--fuzz takes a number of cases, 1 or more; got {args.fuzz}"
        clash = [flag for flag, value in (("--case", args.case), ("--dtype", args.dtype), ("--shard", args.shard)) if value]
        clash += [
            flag for flag, value in (("--resume", args.resume), ("--maxfail", args.maxfail), ("--json", args.json)) if value
        ]
        if clash:
            return f"--fuzz draws its own cases: {clash[0]} does not apply to it"
    return None


def main(args: argparse.Namespace) -> int:
    problem = check(args)
    if problem:
        return usage_error(problem)
    try:
        shard = parse_shard(args.shard) if args.shard is not None else None
    except SelectionError as error:
        return usage_error(error)
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
        cases=args.case,
        dtypes=args.dtype,
        shard=shard,
        max_timeouts=args.max_timeouts,
        maxfail=args.maxfail,
        suites=tuple(dict.fromkeys(args.suite or ["spec"])),
        max_numel=args.max_numel,
        errors=args.errors,
        strict_xfail=args.strict_xfail,
        failures=failures,
        baseline=args.baseline,
        write_divergences=args.write_divergences,
    )
    try:
        verdict = conformance_run(settings)
    except RunError as error:
        return usage_error(error)
    except Interrupted as interrupted:
        print_error(interrupted)
        return EXIT_INTERRUPTED
    if verdict.unavailable and not args.allow_unavailable:
        names = ", ".join(verdict.unavailable)
        print_error(f"unavailable here: {names} (exit status {EXIT_UNAVAILABLE}; --allow-unavailable to accept that)")
        return EXIT_UNAVAILABLE
    return EXIT_OK if verdict.conformant else EXIT_FAIL
