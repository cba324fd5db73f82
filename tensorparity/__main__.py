"""``python -m tensorparity`` is the ``tensorparity`` command."""

import sys

from tensorparity.harness.cli import main

if __name__ == "__main__":
    sys.exit(main())
