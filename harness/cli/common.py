"""What every command shares: exit statuses, the spec options, the one-line usage error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from tensorparity.harness.spec import DEFAULT_MEMORY_LIMIT

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_UNAVAILABLE = 3  # run: a backend named on the command line is unavailable here (without --allow-unavailable)
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it


def _memory_limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"takes a number of bytes, 1 or more; got {text!r}")
    return value


def spec_arguments(parser: argparse.ArgumentParser) -> None:
    """``--spec`` and ``--memory-limit``, for every command that loads the spec. A bad value of
    any of the command's options is then one line on stderr (``tensorparity: argument --memory-limit: ...``), exit 2."""
    parser.add_argument("--spec", type=Path, default=None, help="spec folder or one op file (default: the bundled spec/)")
    parser.add_argument(
        "--memory-limit", type=_memory_limit, default=DEFAULT_MEMORY_LIMIT, help="bytes any one input tensor may take"
    )
    one_line_errors(parser)


def one_line_errors(parser: argparse.ArgumentParser) -> None:
    """``parser``'s own errors (a bad or missing value) as one line, exit 2, without the usage block."""

    def error(message: str) -> NoReturn:
        print_error(message)
        sys.exit(EXIT_USAGE)

    parser.error = error  # type: ignore[method-assign]


def print_error(message: object) -> None:
    """``tensorparity: MESSAGE``, one line on stderr."""
    print(f"tensorparity: {message}", file=sys.stderr)


def usage_error(message: object) -> int:
    """``tensorparity: MESSAGE`` on stderr; the bad-usage exit status."""
    print_error(message)
    return EXIT_USAGE
