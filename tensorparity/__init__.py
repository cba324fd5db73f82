"""tensorparity: does a tensor backend behave exactly like torch, and how fast is it?

One import name. ``tensorparity.backends`` is the backend contract (what a third-party
backend imports); ``tensorparity.harness`` loads the spec, runs, judges, times and reports.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tensorparity")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
