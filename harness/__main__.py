"""``python -m harness`` is the ``tensorparity`` command."""

import sys

from harness.cli import main

sys.exit(main())
