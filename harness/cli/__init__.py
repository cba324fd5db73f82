"""The ``tensorparity`` command: argument parsing, and nothing else.

One module per command, each adding its parser and, when it runs, calling the
stage that does the work (``harness.session`` for ``run`` ...).

Exit status: 0 conformant, 1 not conformant, 2 bad usage or a bad spec, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version

from tensorparity.harness.cli import backends, bench, docs, new_backend, report, run, spec
from tensorparity.harness.cli.common import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, usage_error
from tensorparity.harness.spec import SpecError

__all__ = ["EXIT_FAIL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

COMMANDS = (run, spec, backends, new_backend, bench, report, docs)  # in the order --help lists them


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tensorparity", description="Conformance of tensor backends to torch.")
    parser.add_argument("--version", action="version", version=f"tensorparity {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def package_version() -> str:
    """``tensorparity.__version__``, found as it finds it (the harness imports nothing above its layer)."""
    try:
        return version("tensorparity")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except SpecError as error:
        return usage_error(error)
    except BrokenPipeError:  # `tensorparity run | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return EXIT_OK
