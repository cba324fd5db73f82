"""backends.promotion agrees with torch's own type promotion, pair by pair."""

from __future__ import annotations

import itertools

import pytest
import torch
from tensorparity.backends.semantics.promotion import CATEGORY, promote_types, result_type

DTYPES = list(CATEGORY)


@pytest.mark.parametrize(("first", "second"), list(itertools.product(DTYPES, DTYPES)))
def test_promote_types_matches_torch(first, second):
    expected = str(torch.promote_types(getattr(torch, first), getattr(torch, second))).removeprefix("torch.")
    assert promote_types(first, second) == expected


SCALARS = [True, 2, 2.5, 1 + 2j]


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "complex32"])
@pytest.mark.parametrize("scalar", SCALARS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("ndim", [0, 1])
def test_result_type_with_python_scalar_matches_torch(dtype, scalar, ndim):
    tensor = torch.zeros((2,) * ndim, dtype=getattr(torch, dtype))
    expected = str(torch.result_type(tensor, scalar)).removeprefix("torch.")
    assert result_type([(dtype, ndim), scalar]) == expected


@pytest.mark.parametrize(("dimensioned", "zero_dim"), list(itertools.product(DTYPES, DTYPES)))
def test_result_type_with_zero_dim_tensor_matches_torch(dimensioned, zero_dim):
    a = torch.zeros(2, dtype=getattr(torch, dimensioned))
    b = torch.zeros((), dtype=getattr(torch, zero_dim))
    expected = str(torch.result_type(a, b)).removeprefix("torch.")
    assert result_type([(dimensioned, 1), (zero_dim, 0)]) == expected
