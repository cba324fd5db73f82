"""Run cases on backends: convert in, call the op, convert out, judge, record."""

from __future__ import annotations

import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tensorparity.backends.base import Backend, NotImplementedOp, UnsupportedDtype, version_label
from tensorparity.harness import results as outcomes
from tensorparity.harness.cases import Case
from tensorparity.harness.judge import Difference, compare, describe, pick, show
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


@dataclass(frozen=True)
class Verdict:
    """How one call is judged, before xfails and declared divergences apply."""

    outcome: str
    message: str
    max_abs: float | None = None
    max_rel: float | None = None
    kind: str | None = None  # harness.results.KINDS; None when conformant or not implemented
    difference: Difference | None = None  # where the values differ, for the failure's details


def is_not_implemented(raised: BaseException | None) -> bool:
    """Only these mean "not implemented": a missing method (``call_op`` raises NotImplementedOp
    for it), ``NotImplementedOp`` and ``UnsupportedDtype``. A bare NotImplementedError, from a
    library deep inside the call, is an exception like any other."""
    return isinstance(raised, (NotImplementedOp, UnsupportedDtype))


def same_exception(raised: BaseException, expected: str) -> bool:
    """Whether ``raised`` is torch's exception class ``expected`` (by name), or a subclass of it.

    One allowance: where torch itself failed converting its output (``ConversionFailed``)
    any raise matches. Where torch raises NotImplementedError (its "no kernel for this
    dtype"), a backend must raise NotImplementedError too: a plain RuntimeError is the
    wrong class."""
    if expected == "ConversionFailed":
        return True
    names = {cls.__name__ for cls in type(raised).__mro__}
    return expected in names


def accept_any_exception(results: list[Result]) -> list[Result]:
    """``--errors any``: a raise where torch raises passes whatever its exception class."""
    return [
        replace(r, outcome=outcomes.RAISES_AS_TORCH, kind=None, message=f"{r.message} (--errors any)")
        if r.outcome == outcomes.WRONG_EXCEPTION
        else r
        for r in results
    ]


def judge_call(case: Case, raised: BaseException | None, actual: Any) -> Verdict:
    """The verdict on one call: ``raised`` what the call raised (None if it returned ``actual``)."""
    expected = case.expected
    if isinstance(raised, SystemExit):
        return Verdict(outcomes.ERROR, f"called sys.exit({raised.code!r})", kind=outcomes.RAISES_WHERE_TORCH_COMPUTES)
    if is_not_implemented(raised):
        return Verdict(outcomes.NOT_IMPLEMENTED, _text(raised) or "not implemented")
    if isinstance(expected, Raises):
        if raised is not None:
            if same_exception(raised, expected.error):
                return Verdict(outcomes.RAISES_AS_TORCH, f"raised {type(raised).__name__} as torch raises {expected.error}")
            first = (_text(raised).splitlines() or [""])[0]
            return Verdict(
                outcomes.WRONG_EXCEPTION,
                f"raised {type(raised).__name__} where torch raises {expected.error}: {first}".rstrip(": "),
                kind=outcomes.KIND_WRONG_EXCEPTION,
            )
        return Verdict(
            outcomes.MISMATCH,
            f"returned a value where torch raises {expected.error}: {expected.message}".rstrip(": "),
            kind=outcomes.COMPUTES_WHERE_TORCH_RAISES,
        )
    if isinstance(raised, ConversionFailed):
        return Verdict(outcomes.ERROR, (_text(raised).splitlines() or [""])[0], kind=outcomes.RAISES_WHERE_TORCH_COMPUTES)
    if raised is not None:
        message = (f"raised {type(raised).__name__}: {_text(raised)}".splitlines() or [""])[0]
        return Verdict(outcomes.ERROR, message, kind=outcomes.RAISES_WHERE_TORCH_COMPUTES)
    try:
        difference = compare(expected, actual, case.tolerance)
    except Exception as error:  # output so malformed that comparing it fails: wrong, not a harness crash
        message = f"cannot compare the output, {_describe(actual)}: {type(error).__name__}: {_text(error)}"
        return Verdict(outcomes.MISMATCH, message.splitlines()[0], kind=outcomes.OUTPUT_TYPE)
    if difference is None:
        return Verdict(outcomes.PASS, "")
    return Verdict(
        outcomes.MISMATCH,
        difference.message,
        _float(difference.max_abs),
        _float(difference.max_rel),
        difference.kind,
        difference,
    )


def judge_outcome(case: Case, raised: BaseException | None, actual: Any) -> tuple[str, str, float | None, float | None]:
    """(outcome, message, max_abs, max_rel) of one call, before xfails apply (``judge_call`` in short)."""
    verdict = judge_call(case, raised, actual)
    return verdict.outcome, verdict.message, verdict.max_abs, verdict.max_rel


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
        if not is_not_implemented(error) and not isinstance(case.expected, Raises):
            trace = traceback.format_exc()
    duration = time.perf_counter() - started
    verdict = judge_call(case, raised, actual)
    outcome, message = verdict.outcome, verdict.message
    details = failure_details(backend, case, verdict, raised, actual) if verdict.kind is not None else None
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
        verdict.max_abs,
        verdict.max_rel,
        duration,
        case.section,
        version,
        trace,
        verdict.kind,
        details,
    )


def backend_spec(backend: Backend) -> str:
    """``module:Class`` of a backend: what ``--backend`` loads it by from any shell."""
    cls = type(backend)
    return f"{cls.__module__}:{cls.__qualname__}"


def reproduce_command(backend: Backend | str, case: Case) -> str:
    """The command that reruns exactly this case on this backend."""
    import shlex

    from tensorparity.harness.spec import DEFAULT_SPEC

    command = ["tensorparity", "run", "--backend", backend if isinstance(backend, str) else backend_spec(backend)]
    root = Path(case.path).parent.parent if case.path else None
    if root is not None and _resolved(root) != _resolved(DEFAULT_SPEC):
        command += ["--spec", str(root)]
    command += ["--op", case.op, "--case", case.name, "--dtype", case.dtype]
    return shlex.join(command)


def _resolved(path: Path) -> Path:
    try:
        return Path(path).resolve()
    except OSError:  # pragma: no cover
        return Path(path)


def failure_details(backend: Backend, case: Case, verdict: Verdict, raised: BaseException | None, actual: Any) -> dict[str, Any]:
    """What a person triaging needs on one failure: its inputs (abbreviated), the expected and the
    actual value around the first differing element, and the command that reruns exactly it."""
    try:
        difference = verdict.difference
        around = difference.index if difference is not None else None
        want, got, where = case.expected, actual, ""
        if difference is not None and difference.part:
            where = f"output {difference.part}"
            try:
                want, got = pick(want, difference.part), pick(got, difference.part)
            except Exception:  # the actual value is not shaped like the expected one
                want, got = case.expected, actual
        if around is not None:
            where = f"{where} at index {tuple(around)}".strip()
        if raised is not None:
            shown_actual = f"raises {type(raised).__name__}: {(_text(raised).splitlines() or [''])[0]}".rstrip(": ")
        else:
            shown_actual = show(got, around)
        details: dict[str, Any] = {
            "inputs": [show(arg) for arg in case.args],
            "expected": show(want, around),
            "actual": shown_actual,
        }
        if case.kwargs:
            details["kwargs"] = {key: show(value) for key, value in case.kwargs.items()}
        if where:
            details["where"] = where
        details["reproduce"] = reproduce_command(backend, case)
        return details
    except Exception as error:  # never lose the result over how it is shown
        return {"error": f"cannot show this failure: {type(error).__name__}: {_text(error)}"}


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
