"""Where the bundled spec lives, and the op ids it defines (one per file in spec/ops/).

Part of the contract: it imports nothing else of the project. The op ids are the
names of the files ``spec/ops/*.yaml``; adding an op is adding its file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def bundled_spec() -> Path:
    """The spec folder: $TENSORPARITY_SPEC, the checkout's spec/, or the copy a wheel installs."""
    if os.environ.get("TENSORPARITY_SPEC"):
        return Path(os.environ["TENSORPARITY_SPEC"])
    checkout = Path(__file__).resolve().parent.parent / "spec"
    installed = Path(sys.prefix) / "share" / "tensorparity" / "spec"
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


SPEC_DIR = bundled_spec()


def op_ids(spec_dir: Path = SPEC_DIR) -> tuple[str, ...]:
    """The op ids a spec folder defines, in name order: the stems of its ops/*.yaml."""
    return tuple(sorted(path.stem for path in (spec_dir / "ops").glob("*.yaml")))


# Every op id of the bundled spec; a backend method of each name is the op.
OP_IDS: tuple[str, ...] = op_ids()
