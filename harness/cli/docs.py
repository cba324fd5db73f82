"""``tensorparity docs``: a reference page per op, rendered from the spec (``harness.reports.docs``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tensorparity.harness.cli.common import EXIT_OK, spec_arguments, usage_error
from tensorparity.harness.reports.docs import write_site
from tensorparity.harness.reports.merge import ResultsFileError, merge_files
from tensorparity.harness.spec import load_spec


def add_parser(commands: Any) -> None:
    docs = commands.add_parser("docs", help="a reference page per op, rendered from the spec")
    docs.add_argument("--out", type=Path, default=Path("site"), metavar="DIR", help="where to write the pages (default: site)")
    docs.add_argument("--results", type=Path, action="append", metavar="FILE", help="results files for each backend's status")
    spec_arguments(docs)
    docs.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec, memory_limit=args.memory_limit)
    try:
        merged = merge_files(args.results) if args.results else None
    except ResultsFileError as error:
        return usage_error(error)
    written = write_site(spec, args.out, merged)
    print(f"wrote {len(written)} pages to {args.out} (open {args.out / 'index.html'})")
    return EXIT_OK
