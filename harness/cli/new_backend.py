"""``tensorparity new-backend``: an installable backend package, every op stubbed (``harness.scaffold``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tensorparity.harness.cli.common import EXIT_OK, spec_arguments, usage_error
from tensorparity.harness.scaffold import scaffold
from tensorparity.harness.spec import load_spec


def add_parser(commands: Any) -> None:
    new_backend = commands.add_parser("new-backend", help="write an installable backend package, every op stubbed")
    new_backend.add_argument("name", help="the backend's name (a Python identifier)")
    new_backend.add_argument("--path", type=Path, default=Path("."), help="where to write it (default: here)")
    spec_arguments(new_backend)
    new_backend.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    try:
        root = scaffold(load_spec(args.spec, memory_limit=args.memory_limit), args.name, args.path)
    except (ValueError, FileExistsError) as error:
        return usage_error(error)
    print(f"wrote {root}: pip install -e {root}, then tensorparity run --backend {args.name}")
    return EXIT_OK
