"""Every stored expectation against live torch: ``tensorparity spec check`` as one test.

This replaces running the torch backend over its own recordings case by case: both
fail only where torch's answer drifted from the recording (or a recording is wrong).
"""

from __future__ import annotations

from tensorparity.harness.record import check
from tensorparity.harness.spec import load_spec


def test_every_expectation_agrees_with_live_torch() -> None:
    report = check(load_spec())
    assert report.checked >= 2500
    assert not report.disagreements, "\n".join(report.disagreements[:20])
    assert not report.stale_errata, "\n".join(report.stale_errata)
