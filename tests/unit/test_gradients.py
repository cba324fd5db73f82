"""Gradient conformance: every differentiable op has a VJP rule and a case, and a wrong rule is caught."""

from __future__ import annotations

from tensorparity.backends.autodiff import VJP_RULES
from tensorparity.harness.cases import expand
from tensorparity.harness.runner import run
from wrong_backends import WrongDetGradient

DIFFERENTIABLE = {
    "add",
    "sub",
    "mul",
    "mm",
    "transpose",
    "div",
    "exp",
    "cat",
    "view",
    "reshape",
    "det",
    "masked_select",
    "bmm",
    "vsplit",
    "repeat",
    "cumprod",
    "permute",
    "where",
    "pad",
    "pow",
}


def test_every_differentiable_op_has_a_rule():
    assert DIFFERENTIABLE <= set(VJP_RULES)


def test_every_differentiable_op_has_a_gradient_case(spec):
    graphs = [variant[0][0] for case in spec.ops["grad"].cases for variant in case.variants.values()]
    covered = {step.op for graph in graphs for step in graph.steps}
    assert DIFFERENTIABLE <= covered


def test_gradient_cases_cover_float_and_complex(spec):
    dtypes = {case.dtype for case in expand(spec, ["grad"])}
    assert {"float32", "float64", "complex64", "complex128"} <= dtypes


def test_wrong_vjp_rule_is_reported_on_that_op(spec):
    results = run(expand(spec, ["grad"]), [WrongDetGradient()])
    failed = {r.case for r in results if r.failed}
    assert "det_vjp" in failed
    assert all("det" in case for case in failed), failed  # nothing else is blamed
    message = next(r.message for r in results if r.case == "det_vjp" and r.failed)
    assert message.startswith("output [0]: Mismatched elements")
