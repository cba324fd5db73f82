"""What every command shares: exit statuses, the spec options, the one-line usage error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tensorparity.harness.spec import DEFAULT_MEMORY_LIMIT

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it


def spec_arguments(parser: argparse.ArgumentParser) -> None:
    """``--spec`` and ``--memory-limit``, for every command that loads the spec."""
    parser.add_argument("--spec", type=Path, default=None, help="spec folder or one op file (default: the bundled spec/)")
    parser.add_argument("--memory-limit", type=int, default=DEFAULT_MEMORY_LIMIT, help="bytes any one input tensor may take")


def print_error(message: object) -> None:
    """``tensorparity: MESSAGE``, one line on stderr."""
    print(f"tensorparity: {message}", file=sys.stderr)


def usage_error(message: object) -> int:
    """``tensorparity: MESSAGE`` on stderr; the bad-usage exit status."""
    print_error(message)
    return EXIT_USAGE
