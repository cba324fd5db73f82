"""``tensorparity spec record`` and ``tensorparity spec check``: the spec against torch (``harness.record``)."""

from __future__ import annotations

import argparse
from typing import Any

from tensorparity.harness import bench
from tensorparity.harness.cli.common import EXIT_FAIL, EXIT_OK, spec_arguments, usage_error
from tensorparity.harness.record import check, record
from tensorparity.harness.spec import load_spec


def add_parser(commands: Any) -> None:
    spec = commands.add_parser("spec", help="record or check the spec against torch")
    spec_commands = spec.add_subparsers(dest="spec_command", required=True)
    record_parser = spec_commands.add_parser("record", help="fill in missing expectations from torch")
    record_parser.add_argument("--op", action="append", metavar="ID")
    record_parser.add_argument("--overwrite", action="store_true", help="re-record every expectation")
    spec_arguments(record_parser)
    record_parser.set_defaults(handler=record_main)
    check_parser = spec_commands.add_parser("check", help="re-derive every expectation from live torch")
    spec_arguments(check_parser)
    check_parser.set_defaults(handler=check_main)


def record_main(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec, allow_missing=True, memory_limit=args.memory_limit)
    unknown = [op for op in args.op or () if op not in spec.ops]
    if unknown:
        return usage_error(f"--op {unknown[0]!r} is not an op of the spec; one of {', '.join(spec.ops)}")
    written = record(spec, args.op, overwrite=args.overwrite)
    for label in written:
        print(f"recorded {label}")
    print(f"{len(written)} expectations recorded from torch")
    recorded = [op.path for op in spec.ops.values() if not args.op or op.op in args.op]
    load_spec(args.spec, memory_limit=args.memory_limit, files=recorded)  # what was written must load
    return EXIT_OK


def check_main(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec, memory_limit=args.memory_limit)
    for op in spec.ops.values():  # each bench block builds (its size variables, shapes, dtypes)
        if op.bench:
            bench.inputs(op, "tiny", args.memory_limit)
    result = check(spec)
    for line in result.disagreements + result.stale_errata:
        print(f"DISAGREES {line}")
    print(f"Errata of the seed (recorded; torch's truth is in the spec): {len(result.errata)}")
    for line in result.errata:
        print(f"  erratum {line}")
    bad = len(result.disagreements) + len(result.stale_errata)
    print(f"{result.checked} expectations checked against live torch: {bad} disagreement(s) beyond the recorded errata")
    return EXIT_OK if result.ok else EXIT_FAIL
