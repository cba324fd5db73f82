"""``tensorparity spec record`` and ``tensorparity spec check``: the spec against torch (``harness.record``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tensorparity.harness import bench
from tensorparity.harness.cli.common import EXIT_FAIL, EXIT_OK, spec_arguments, usage_error
from tensorparity.harness.record import Drift, check, drift_lines, drift_markdown, record, torch_version
from tensorparity.harness.spec import load_spec


def add_parser(commands: Any) -> None:
    spec = commands.add_parser("spec", help="record or check the spec against torch")
    spec_commands = spec.add_subparsers(dest="spec_command", required=True)
    record_parser = spec_commands.add_parser("record", help="fill in missing expectations from torch")
    record_parser.add_argument("--op", action="append", metavar="ID")
    record_parser.add_argument("--overwrite", action="store_true", help="re-record every expectation")
    record_parser.add_argument(
        "--update",
        action="store_true",
        help="re-record the expectations the installed torch answers differently, list them, and record its version",
    )
    spec_arguments(record_parser)
    record_parser.set_defaults(handler=record_main)
    check_parser = spec_commands.add_parser("check", help="re-derive every expectation from live torch")
    check_parser.add_argument(
        "--drift-markdown", type=Path, metavar="FILE", help="also write the drift as a Markdown page (docs/drift.md)"
    )
    spec_arguments(check_parser)
    check_parser.set_defaults(handler=check_main)


def record_main(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec, allow_missing=True, memory_limit=args.memory_limit)
    unknown = [op for op in args.op or () if op not in spec.ops]
    if unknown:
        return usage_error(f"--op {unknown[0]!r} is not an op of the spec; one of {', '.join(spec.ops)}")
    changes: list[Drift] = []
    written = record(spec, args.op, overwrite=args.overwrite, update=args.update, changes=changes)
    changed = {entry.label: entry.change for entry in changes}
    for label in written:
        print(f"recorded {label}" + (f" (changed: {changed[label]})" if label in changed else ""))
    print(f"{len(written)} expectations recorded from torch {torch_version()}")
    if args.update:
        print(f"{len(changes)} stored expectations changed under torch {torch_version()}")
        if not args.op:
            print(f"spec/RECORDED.yaml: recorded with torch {torch_version()}")
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
    for line in drift_lines(result):
        print(line)
    if args.drift_markdown is not None:
        command = (
            "tensorparity spec check" + (f" --spec {args.spec}" if args.spec else "") + f" --drift-markdown {args.drift_markdown}"
        )
        args.drift_markdown.write_text(drift_markdown(result, command), encoding="utf-8")
    print(f"Errata of the seed (recorded; torch's truth is in the spec): {len(result.errata)}")
    for line in result.errata:
        print(f"  erratum {line}")
    bad = len(result.disagreements) + len(result.stale_errata)
    print(
        f"{result.checked} expectations checked against live torch {result.live_torch}:"
        f" {bad} disagreement(s) beyond the recorded errata"
        + (
            f", {len(result.drift)} drift ({len(result.new_drift)} not recorded)"
            if result.recorded_torch != result.live_torch
            else ""
        )
    )
    return EXIT_OK if result.ok else EXIT_FAIL
