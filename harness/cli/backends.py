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
    for info in describe_backends():
        status = "available" if info.unavailable_reason is None else f"unavailable: {info.unavailable_reason}"
        print(f"{info.name:<12} {info.target:<45} {info.source:<28} {status}")
    return EXIT_OK
