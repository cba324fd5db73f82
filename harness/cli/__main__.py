"""``python -m tensorparity.harness.cli`` is the ``tensorparity`` command too."""

import sys

from tensorparity.harness.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
