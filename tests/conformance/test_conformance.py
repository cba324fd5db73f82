"""The conformance suite under pytest: one test per op x case x dtype x backend.

Ids read ``test_conformance[add-seed_3_1-int64-numpy]``. Backends are the
reference backends, numpy and python; pick others with TENSORPARITY_BACKENDS
(comma-separated names or module:Class; ``torch`` too); TENSORPARITY_SHARD=K/N
keeps shard K of N of the cases, the split ``tensorparity run --shard`` makes. The torch backend is not
in the default run: its expectations were recorded from torch itself, so those
tests could only fail on drift, which test_spec_check.py (``spec check``) covers.
"""

from __future__ import annotations

import os

import pytest
from tensorparity.backends.registry import load_backend
from tensorparity.harness import divergences
from tensorparity.harness.cases import Selection, parse_shard, select
from tensorparity.harness.runner import run_case
from tensorparity.harness.spec import load_spec

_NAMES = os.environ.get("TENSORPARITY_BACKENDS", "numpy,python").split(",")
_BACKENDS = [load_backend(name.strip()) for name in _NAMES if name.strip()]
_SHARD = os.environ.get("TENSORPARITY_SHARD")
_CASES = select(load_spec(), Selection(shard=parse_shard(_SHARD) if _SHARD else None))
_DECLARED = {backend.name: divergences.for_backend(backend) for backend in _BACKENDS}  # <ClassName>.divergences.yaml
_PARAMS = [pytest.param(case, backend, id=f"{case.id}-{backend.name}") for backend in _BACKENDS for case in _CASES]


@pytest.mark.parametrize(("case", "backend"), _PARAMS)
def test_conformance(case, backend):
    reason = backend.unavailable_reason()
    if reason:
        pytest.skip(f"{backend.name} unavailable: {reason}")
    result = divergences.xfail_one(run_case(backend, case), _DECLARED[backend.name])
    if result.outcome == "not_implemented":
        pytest.skip(f"{backend.name}: not implemented: {result.message}")
    if result.outcome == "xfail":
        pytest.xfail(result.message)
    assert not result.failed, result.line()
