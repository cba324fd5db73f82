"""``python -m harness`` is the ``tensorparity`` command."""

import sys

from harness.cli import main

if __name__ == "__main__":
    sys.exit(main())
