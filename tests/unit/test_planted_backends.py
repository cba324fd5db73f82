"""The spec alone catches the bugs torch's OpInfo samples found (issue 15), planted one by one."""

from __future__ import annotations

import pytest
from planted_backends import AccumulatingArange, ComplexZeroToZeroIsOne, Float64NumberPlusTensor
from tensorparity.harness.cases import expand
from tensorparity.harness.runner import run


@pytest.mark.parametrize(
    ("backend", "op", "cases"),
    [
        (AccumulatingArange(), "arange", {"long_float_range", "long_float_range_descending"}),
        (ComplexZeroToZeroIsOne(), "pow", {"complex_zero_to_zero", "complex_zero_to_zero_0d"}),
        (Float64NumberPlusTensor(), "add", {"number_input_float"}),
    ],
    ids=lambda value: getattr(value, "name", None) or (value if isinstance(value, str) else None),
)
def test_planted_bug_is_caught_by_the_spec(spec, backend, op, cases):
    results = run(expand(spec, [op]), [backend])
    failed = {r.case for r in results if r.failed}
    assert cases <= failed, f"{backend.name}: the spec's cases {sorted(cases - failed)} pass a planted bug"
    messages = {r.case: r.message for r in results if r.failed}
    if op == "add":
        assert messages["number_input_float"] == "dtype float64, expected float32"
    else:
        assert all(messages[case].startswith("Mismatched elements") for case in cases)
