"""Run cases on backends: convert in, call the op, convert out, judge, record."""

from __future__ import annotations

import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tensorparity.backends.base import Backend, NotImplementedOp, UnsupportedDtype, version_label
from tensorparity.harness import results as outcomes
from tensorparity.harness.cases import Case
from tensorparity.harness.judge import compare, describe
from tensorparity.harness.results import Result
from tensorparity.harness.values import Raises
from tensorparity.harness.workers import WorkerPool, workers_needed


class ConversionFailed(Exception):
    """The backend's ``to_neutral`` raised on what its op returned."""


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
        output = method(*args, **kwargs)
        try:
            return backend.to_neutral(output)
        except Exception as error:
            # Still a raise of the call (a lazy backend may only raise here), but named as such.
            raise ConversionFailed(f"to_neutral raised {type(error).__name__}: {_text(error)}") from error


def _text(error: BaseException) -> str:
    """``str(error)``, even for an exception whose ``__str__`` itself fails."""
    try:
        return str(error)
    except Exception:
        return f"<{type(error).__name__} whose str() fails>"


def judge_outcome(case: Case, raised: BaseException | None, actual: Any) -> tuple[str, str, float | None, float | None]:
    """(outcome, message, max_abs, max_rel) of one call, before xfails apply."""
    expected = case.expected
    if isinstance(raised, SystemExit):
        return outcomes.ERROR, f"called sys.exit({raised.code!r})", None, None
    if isinstance(raised, NotImplementedError) and not (
        # torch's own NotImplementedError (bool mm ...) is a raise like any other
        isinstance(expected, Raises)
        and expected.error == "NotImplementedError"
        and not isinstance(raised, (UnsupportedDtype, NotImplementedOp))
    ):
        return outcomes.NOT_IMPLEMENTED, _text(raised) or "not implemented", None, None
    if isinstance(expected, Raises):
        if raised is not None:
            return outcomes.RAISES_AS_TORCH, f"raised {type(raised).__name__} as torch raises {expected.error}", None, None
        return (
            outcomes.MISMATCH,
            f"returned a value where torch raises {expected.error}: {expected.message}".rstrip(": "),
            None,
            None,
        )
    if isinstance(raised, ConversionFailed):
        return outcomes.ERROR, (_text(raised).splitlines() or [""])[0], None, None
    if raised is not None:
        return outcomes.ERROR, (f"raised {type(raised).__name__}: {_text(raised)}".splitlines() or [""])[0], None, None
    try:
        difference = compare(expected, actual, case.tolerance)
    except Exception as error:  # output so malformed that comparing it fails: wrong, not a harness crash
        return (
            outcomes.MISMATCH,
            f"cannot compare the output, {_describe(actual)}: {type(error).__name__}: {_text(error)}".splitlines()[0],
            None,
            None,
        )
    if difference is None:
        return outcomes.PASS, "", None, None
    return outcomes.MISMATCH, difference.message, _float(difference.max_abs), _float(difference.max_rel)


def _describe(value: Any) -> str:
    try:
        return describe(value)
    except Exception:
        return f"a {type(value).__qualname__}"


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def run_case(backend: Backend, case: Case, version: str = "") -> Result:
    started = time.perf_counter()
    raised: BaseException | None = None
    actual = None
    trace = None
    try:
        actual = call_op(backend, case)
    except (Exception, SystemExit) as error:  # a backend under test may raise anything, sys.exit() included
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


def run(
    cases: Iterable[Case],
    backends: list[Backend],
    on_result: Callable[[Result], None] | None = None,
    *,
    jobs: int = 1,
    timeout: float | None = None,
    isolate: bool = False,
    previous: Mapping[tuple[str, str, str, str], Result] | None = None,
    pool: WorkerPool | None = None,
) -> list[Result]:
    """Every case on every backend; the results in that order (backend by backend), however they ran.

    ``on_result`` sees each new result as it is decided (in completion order when
    ``jobs`` > 1). With ``jobs`` > 1, ``isolate`` or a ``timeout`` (seconds) the
    cases run in worker processes (``harness.workers``): a hang becomes a
    ``timeout``, a dead interpreter a ``crash``. Otherwise they run here.
    ``previous`` holds results of an earlier run by ``Result.key``: those cases
    are not run again and their old results take their place. ``pool``: run in
    these (already started) workers, whose backends include ``backends``.
    """
    cases = list(cases)
    tasks = [(index, case) for index in range(len(backends)) for case in cases]
    collected: list[Result | None] = [None] * len(tasks)
    todo = []
    for task_id, (index, case) in enumerate(tasks):
        old = previous.get((case.op, case.name, case.dtype, backends[index].name)) if previous else None
        if old is None:
            todo.append(task_id)
        else:
            collected[task_id] = old

    def decided(task_id: int, result: Result) -> None:
        collected[task_id] = result
        if on_result is not None:
            on_result(result)

    if todo and pool is not None:
        where = [pool.index(backend) for backend in backends]
        pool.run([(task_id, where[tasks[task_id][0]], tasks[task_id][1]) for task_id in todo], decided)
    elif todo and workers_needed(jobs, timeout, isolate):
        with WorkerPool(backends, jobs=jobs, timeout=timeout, isolate=isolate, run_case=run_case) as own:
            own.run([(task_id, *tasks[task_id]) for task_id in todo], decided)
    else:
        versions: dict[int, str] = {}
        for task_id in todo:
            index, case = tasks[task_id]
            if index not in versions:
                versions[index] = version_label(backends[index])
            decided(task_id, run_case(backends[index], case, versions[index]))
    return [result for result in collected if result is not None]
