"""``tensorparity backends``: every backend known here and whether it is available (``backends.registry``)."""

from __future__ import annotations

import argparse
from typing import Any

from tensorparity.backends.registry import describe_backends
from tensorparity.harness.cli.common import EXIT_OK


def add_parser(commands: Any) -> None:
    backends = commands.add_parser("backends", help="list backends and whether each is available here")
    backends.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    rows = [("name", "module:Class", "source", "status")]
    for info in describe_backends():
        status = "available" if info.unavailable_reason is None else f"unavailable: {info.unavailable_reason}"
        rows.append((info.name, info.target, info.source, status))
    # columns at least as wide as they always were, wider where a name, target or source needs it
    widths = [max(minimum, *(len(row[column]) for row in rows)) for column, minimum in enumerate((12, 45, 28))]
    for name, target, source, status in rows:
        print(f"{name:<{widths[0]}} {target:<{widths[1]}} {source:<{widths[2]}} {status}")
    return EXIT_OK
