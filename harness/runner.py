"""Run cases on backends: convert in, call the op, convert out, judge, record."""

from __future__ import annotations

import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from backends.base import Backend, NotImplementedOp, UnsupportedDtype
from harness import results as outcomes
from harness.cases import Case
from harness.judge import compare
from harness.results import Result
from harness.values import Raises


def call_op(backend: Backend, case: Case) -> Any:
    """The op on ``backend`` with the case's inputs, returned in neutral form."""
    method = getattr(backend, case.op, None)
    if method is None:
        raise NotImplementedOp(f"{backend.name} has no method {case.op!r}")
    args = backend.from_neutral(case.args)
    kwargs = backend.from_neutral(case.kwargs)
    with warnings.catch_warnings():
        # NaN and overflow warnings are the expected behaviour of edge cases, not news.
        warnings.simplefilter("ignore")
        return backend.to_neutral(method(*args, **kwargs))


def judge_outcome(case: Case, raised: BaseException | None, actual: Any) -> tuple[str, str, float | None, float | None]:
    """(outcome, message, max_abs, max_rel) of one call, before xfails apply."""
    expected = case.expected
    if isinstance(raised, NotImplementedError) and not (
        # torch's own NotImplementedError (bool mm ...) is a raise like any other
        isinstance(expected, Raises)
        and expected.error == "NotImplementedError"
        and not isinstance(raised, (UnsupportedDtype, NotImplementedOp))
    ):
        return outcomes.NOT_IMPLEMENTED, str(raised) or "not implemented", None, None
    if isinstance(expected, Raises):
        if raised is not None:
            return outcomes.RAISES_AS_TORCH, f"raised {type(raised).__name__} as torch raises {expected.error}", None, None
        return (
            outcomes.MISMATCH,
            f"returned a value where torch raises {expected.error}: {expected.message}".rstrip(": "),
            None,
            None,
        )
    if raised is not None:
        return outcomes.ERROR, f"raised {type(raised).__name__}: {raised}".splitlines()[0], None, None
    difference = compare(expected, actual, case.tolerance)
    if difference is None:
        return outcomes.PASS, "", None, None
    return outcomes.MISMATCH, difference.message, difference.max_abs, difference.max_rel


def run_case(backend: Backend, case: Case, version: str = "") -> Result:
    started = time.perf_counter()
    raised: BaseException | None = None
    actual = None
    trace = None
    try:
        actual = call_op(backend, case)
    except Exception as error:  # a backend under test may raise anything
        raised = error
        if not isinstance(error, NotImplementedError) and not isinstance(case.expected, Raises):
            trace = traceback.format_exc()
    duration = time.perf_counter() - started
    outcome, message, max_abs, max_rel = judge_outcome(case, raised, actual)
    reason = case.xfail_reason(backend.name)
    if reason is not None and outcome != outcomes.NOT_IMPLEMENTED:
        if outcome in outcomes.FAILING:
            outcome, message = outcomes.XFAIL, f"{message} (xfail: {reason})"
        else:
            outcome, message = outcomes.XPASS, f"passes but is declared xfail: {reason}"
    return Result(
        case.op,
        case.name,
        case.dtype,
        backend.name,
        outcome,
        message,
        max_abs,
        max_rel,
        duration,
        case.section,
        version,
        trace,
    )


def run(cases: Iterable[Case], backends: list[Backend], on_result: Callable[[Result], None] | None = None) -> list[Result]:
    """Every case on every backend, in order; ``on_result`` sees each result as it is decided."""
    cases = list(cases)
    collected = []
    for backend in backends:
        version = backend.version()
        for case in cases:
            result = run_case(backend, case, version)
            collected.append(result)
            if on_result is not None:
                on_result(result)
    return collected
