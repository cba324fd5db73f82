"""Benchmarks: what each op is timed on, defined once, and an in-process timer.

"The benchmark inputs of op X at size N" live in the ``bench:`` block of
``spec/ops/X.yaml``: the op's arguments in the spec's input forms, where a string
``$NAME`` stands for a size variable. Built in per size: ``$n`` (the size, in
elements) and ``$side`` (the side of a square matrix of about ``n`` elements);
``vars:`` adds an op's own per size. The asv suite (``benchmarks/``) and
``tensorparity bench`` both call :func:`prepare` here, so they time the same call
on the same inputs: the op itself, inputs already converted to the backend's
tensors, the backend's ``synchronize(result)`` called before the clock stops.
"""

from __future__ import annotations

import fnmatch
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tensorparity.backends.base import Backend
from tensorparity.backends.spec_files import OP_IDS
from tensorparity.harness.spec import DEFAULT_MEMORY_LIMIT, OpSpec, SpecError, load_spec
from tensorparity.harness.timing import Timing, causes, load_average, measure, measure_side_by_side

__all__ = ["Timing", "measure", "measure_side_by_side"]  # the timer lives in harness.timing

# Size name -> elements per input tensor. asv and `tensorparity bench` time small,
# medium and large; tiny (4 elements) measures per-call overhead.
SIZES: dict[str, int] = {"tiny": 4, "small": 100, "medium": 10_000, "large": 1_000_000}
DEFAULT_SIZES: tuple[str, ...] = ("small", "medium", "large")
# The backends the asv suite is parametrised over: static, never what is installed.
BACKENDS: tuple[str, ...] = ("numpy", "cupy", "python", "torch")
REFERENCE = "torch"  # every time is also given as a ratio to this backend's
# The largest size a backend is timed at (the pure-Python backend is a reference, not a speed contender).
MAX_ELEMENTS: dict[str, int] = {"python": SIZES["medium"]}
_SIDES = {"tiny": 2, "small": 10, "medium": 100, "large": 1000}


class Unavailable(NotImplementedError):
    """This op, backend and size cannot be timed here (shown as n/a)."""


def size_name(size: int | str) -> str:
    """``large``, ``1000000`` or ``1e6`` -> ``large``; ValueError for a size with no definition."""
    text = str(size).strip()
    if text in SIZES:
        return text
    try:
        number = int(float(text))
    except ValueError:
        number = None
    for name, elements in SIZES.items():
        if elements == number:
            return name
    raise ValueError(f"unknown size {size!r}; one of {', '.join(f'{n} ({e})' for n, e in SIZES.items())}")


def size_variables(op: OpSpec, size: str) -> dict[str, int]:
    """The ``$NAME`` values of ``op``'s bench block at ``size``."""
    variables = {"n": SIZES[size], "side": _SIDES[size]}
    variables.update((op.bench.get("vars") or {}).get(size, {}))
    return variables


def _substitute(form: Any, variables: dict[str, int], path: str, where: str) -> Any:
    if isinstance(form, str) and form.startswith("$") and form != "$sweep":
        if form[1:] not in variables:
            raise SpecError(path, f"unknown size variable {form!r}; defined: {', '.join(sorted(variables))}", key=where)
        return variables[form[1:]]
    if isinstance(form, list):
        return [_substitute(item, variables, path, f"{where}[{i}]") for i, item in enumerate(form)]
    if isinstance(form, dict):
        return {key: _substitute(value, variables, path, f"{where}.{key}") for key, value in form.items()}
    return form


@lru_cache(maxsize=4)
def bench_spec(root: Path | None = None) -> dict[str, OpSpec]:
    """The spec's ops (loaded once per process): op id -> OpSpec with its ``bench`` block."""
    return dict(load_spec(root).ops)


def inputs(op: OpSpec, size: int | str, memory_limit: int = DEFAULT_MEMORY_LIMIT) -> tuple[tuple, dict]:
    """(args, kwargs) in neutral form: op ``op``'s benchmark inputs at ``size``."""
    from tensorparity.harness.spec import _build_graph
    from tensorparity.harness.values import ValueForm, build_input

    size = size_name(size)
    if not op.bench:
        raise SpecError(op.path, "the op has no bench block", key="bench")
    variables = size_variables(op, size)
    block = _substitute({k: v for k, v in op.bench.items() if k != "vars"}, variables, op.path, "bench")
    try:
        if "graph" in block:
            return (_build_graph(block["graph"], None, memory_limit),), {}
        args = build_input(block.get("args", []), None, memory_limit, "bench.args")
        kwargs = {k: build_input(v, None, memory_limit, f"bench.kwargs.{k}") for k, v in (block.get("kwargs") or {}).items()}
    except ValueForm as error:
        raise SpecError(op.path, str(error), key=error.path) from None
    return args, kwargs


def load(backend: str | Backend) -> Backend:
    """A backend by name (or as given), available here, else :class:`Unavailable`."""
    if isinstance(backend, str):
        from tensorparity.backends.registry import BackendNotFound, load_backend

        try:
            backend = load_backend(backend)
        except BackendNotFound as error:
            raise Unavailable(str(error)) from None
    reason = backend.unavailable_reason()
    if reason:
        raise Unavailable(f"{backend.name} is unavailable: {reason}")
    return backend


def prepare(backend: str | Backend, op: str, size: int | str, root: Path | None = None, run: bool = True) -> Prepared:
    """A no-argument call of ``op`` on ``backend`` at ``size``, inputs converted, run once already
    (and synchronized) unless ``run`` is False.

    Raises :class:`Unavailable` (a NotImplementedError: asv's n/a) for a backend that
    is missing here, a size above the backend's cap, or an op or dtype it lacks.
    """
    backend = load(backend)
    size = size_name(size)
    cap = MAX_ELEMENTS.get(backend.name)
    if cap is not None and SIZES[size] > cap:
        raise Unavailable(f"{backend.name} is timed up to {cap} elements")
    ops = bench_spec(root)
    if op not in ops:
        raise Unavailable(f"no op {op!r} in the spec")
    method = getattr(backend, op, None)
    if method is None:
        raise Unavailable(f"{backend.name} has no method {op!r}")
    args, kwargs = inputs(ops[op], size)
    call = Prepared(method, backend.from_neutral(args), backend.from_neutral(kwargs), backend.synchronize)
    if run:
        call.synchronize(call())  # a backend lacking the op or dtype raises NotImplementedError here
    return call


class Prepared:
    """One op's call on its inputs, and its backend's ``synchronize(result)``.

    Calling it returns the op's result, perhaps before the work is done (an
    asynchronous backend); whoever times it passes the last result of a repeat to
    ``synchronize`` before stopping the clock (:mod:`harness.timing` does)."""

    def __init__(self, method: Callable[..., Any], args: Any, kwargs: dict, synchronize: Callable[[Any], None]) -> None:
        self.method, self.args, self.kwargs, self.synchronize = method, args, kwargs, synchronize

    def __call__(self) -> Any:
        return self.method(*self.args, **self.kwargs)


# --- a benchmark run ----------------------------------------------------------------
DEFAULT_MAX_TIME = 1.0  # seconds one op and size may spend re-measuring unsteady figures
DEFAULT_THREADS = 1  # threads per library: the most reproducible figures on a small, shared machine


@dataclass
class Row:
    op: str
    size: int
    backend: str
    status: str  # ok, n/a, error
    median_s: float | None = None
    q1_s: float | None = None
    q3_s: float | None = None
    min_s: float | None = None
    number: int | None = None
    repeat: int | None = None
    ratio_to_torch: float | None = None
    message: str = ""
    max_s: float | None = None
    stable: bool | None = None  # None: not timed
    wait: float | None = None  # share of the median repeat spent waiting for a CPU
    attempts: int | None = None
    cause: str = ""  # why an unstable figure is unstable, likeliest first


def select(patterns: Iterable[str] | None) -> list[str]:
    """Op ids matching any glob (every op id when none are given)."""
    patterns = list(patterns or [])
    return [op for op in OP_IDS if not patterns or any(fnmatch.fnmatchcase(op, p) for p in patterns)]


def run(
    backends: list[str | Backend],
    ops: list[str],
    sizes: list[str],
    repeat: int = 7,
    min_time: float = 0.02,
    root: Path | None = None,
    on_row: Callable[[Row], None] | None = None,
    max_time: float = DEFAULT_MAX_TIME,
) -> list[Row]:
    """Time every op x size x backend; a combination that cannot run here is an n/a row.

    A backend is a name (or ``module:Class``) or an instance; its rows carry its name."""
    loaded: dict[str, Backend | Unavailable] = {}
    for given in backends:
        name = given if isinstance(given, str) else given.name
        try:
            loaded[name] = load(given)
        except Unavailable as error:
            loaded[name] = error
    rows = []
    for op in ops:
        for size in sizes:
            found = [_prepare_row(backend, name, op, size, root) for name, backend in loaded.items()]
            calls = {row.backend: call for row, call in found if call is not None}
            try:
                timings = measure_side_by_side(calls, repeat, min_time, max_time)
            except Exception:  # noqa: BLE001 - one backend failed while timed: time each alone to name it
                timings = {}
                for row, call in found:
                    if call is not None:
                        try:
                            timings[row.backend] = measure(call, repeat, min_time, max_time)
                        except Exception as error:  # a backend under test may raise anything
                            row.status, row.message = "error", f"{type(error).__name__}: {error}".splitlines()[0]
            now = load_average()
            for row, _ in found:
                if row.backend in timings and row.status == "ok":
                    _fill(row, timings[row.backend], now)
                rows.append(row)
                if on_row is not None:
                    on_row(row)
    add_ratios(rows)
    return rows


def _fill(row: Row, timing: Timing, load: float | None) -> None:
    row.median_s, row.q1_s, row.q3_s, row.min_s, row.max_s = timing.median_s, timing.q1_s, timing.q3_s, timing.min_s, timing.max_s
    row.number, row.repeat, row.wait, row.attempts = timing.number, timing.repeat, timing.wait, timing.attempts
    row.stable = timing.stable
    if not timing.stable:
        row.cause = "; ".join(causes(timing, load))


def _prepare_row(backend: Backend | Unavailable, name: str, op: str, size: str, root) -> tuple[Row, Callable | None]:
    """The row of one op, size and backend, and its prepared call (None: n/a or error)."""
    row = Row(op, SIZES[size], name, "n/a")
    if isinstance(backend, Unavailable):
        row.message = str(backend)
        return row, None
    try:
        call = prepare(backend, op, size, root)
    except NotImplementedError as error:
        row.message = str(error) or "not implemented"
        return row, None
    except SpecError:
        raise
    except Exception as error:  # a backend under test may raise anything
        row.status, row.message = "error", f"{type(error).__name__}: {error}".splitlines()[0]
        return row, None
    row.status = "ok"
    return row, call


def add_ratios(rows: list[Row]) -> None:
    reference = {(r.op, r.size): r.median_s for r in rows if r.backend == REFERENCE and r.status == "ok"}
    for row in rows:
        base = reference.get((row.op, row.size))
        if row.status == "ok" and base:
            row.ratio_to_torch = row.median_s / base


def geomeans(rows: list[Row], best: bool = False) -> dict[tuple[str, int], tuple[float, int]]:
    """(backend, size) -> (geometric mean of its time / torch's over the ops both ran, how many ops).

    Of the medians; ``best``: of the fastest repeats, which a busy machine disturbs least."""
    reference = {(r.op, r.size): r.min_s for r in rows if r.backend == REFERENCE and r.status == "ok"}
    found: dict[tuple[str, int], list[float]] = {}
    for row in rows:
        if row.backend != REFERENCE and row.ratio_to_torch:
            ratio = row.min_s / reference[(row.op, row.size)] if best else row.ratio_to_torch
            found.setdefault((row.backend, row.size), []).append(ratio)
    return {key: (math.exp(sum(map(math.log, ratios)) / len(ratios)), len(ratios)) for key, ratios in found.items()}


def unstable_ratios(rows: list[Row]) -> dict[tuple[str, int], int]:
    """(backend, size) -> how many of its ratios to torch involve an unstable figure (its or torch's)."""
    reference = {(r.op, r.size): r.stable for r in rows if r.backend == REFERENCE and r.status == "ok"}
    found: dict[tuple[str, int], int] = {}
    for row in rows:
        if row.backend != REFERENCE and row.ratio_to_torch:
            unsteady = row.stable is False or reference.get((row.op, row.size)) is False
            found[(row.backend, row.size)] = found.get((row.backend, row.size), 0) + unsteady
    return found


def environment(threads: int | None = None) -> dict[str, Any]:
    """What the figures depend on: versions, the threads and BLAS core type in use, the
    OpenBLAS overrides, the machine's cores and load. ``threads``: what ``--threads`` asked."""
    import platform

    import numpy
    import torch
    from tensorparity.harness.timing import cores, thread_pools

    pools = thread_pools()
    core_types = [p["core_type"] for p in pools["pools"] if p["library"] == "openblas" and p["core_type"]]
    load = load_average()
    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "torch_threads": pools["torch"],
        "threads_requested": threads,
        "thread_pools": pools["pools"],
        "blas_core_type": core_types[0] if core_types else None,
        "cpus": os.cpu_count(),
        "cores": cores(),
        "load_average": round(load, 2) if load is not None else None,
        "machine": platform.machine(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
    }


def describe(env: dict[str, Any]) -> str:
    """The table's header line: versions, threads in use, BLAS core type, overrides, load."""
    pools = ", ".join(
        f"{p['library']} {p['threads']}" + (f" ({p['core_type']})" if p.get("core_type") else "") for p in env.get("thread_pools", [])
    )
    load = env.get("load_average")
    return (
        f"python {env['python']}, numpy {env['numpy']}, torch {env['torch']}; "
        f"threads: torch {env['torch_threads']}" + (f", {pools}" if pools else "") + "; "
        f"{env['cpus']} CPUs" + (f", load {load:.2f}" if load is not None else "") + "; "
        f"OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE'] or 'unset'} OPENBLAS_L2_SIZE={env.get('OPENBLAS_L2_SIZE') or 'unset'}"
    )


# --- output ------------------------------------------------------------------------
def format_time(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:.0f} {unit}"
    return "n/a"  # pragma: no cover


def render(rows: list[Row], env: dict[str, Any] | None = None) -> str:
    """One line per op and size: each backend's median (± half the IQR; ``~``: unstable) and its
    ratio to torch; the geometric means; one warning line when a figure is unstable."""
    backends = list(dict.fromkeys(r.backend for r in rows))
    by_key = {(r.op, r.size, r.backend): r for r in rows}
    keys = list(dict.fromkeys((r.op, r.size) for r in rows))
    header = ["op", "size"]
    for name in backends:
        header += [name] + ([] if name == REFERENCE else [f"/{REFERENCE}"])
    table = [header]
    for op, size in keys:
        line = [op, str(size)]
        for name in backends:
            row = by_key[(op, size, name)]
            if row.status == "ok":
                mark = "~" if row.stable is False else ""
                cell = f"{mark}{format_time(row.median_s)} ±{(row.q3_s - row.q1_s) / 2 / row.median_s:.0%}"
            else:
                cell = row.status
            line.append(cell)
            if name != REFERENCE:
                line.append(f"{row.ratio_to_torch:.2f}" if row.ratio_to_torch else "")
        table.append(line)
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths))).rstrip()
        for line in table
    ]
    out = []
    if env:
        out.append(describe(env))
    out += lines
    best = geomeans(rows, best=True)
    unsteady = unstable_ratios(rows)
    for (name, size), (mean, count) in sorted(geomeans(rows).items()):
        flaky = unsteady.get((name, size), 0)
        out.append(
            f"geomean {name}/{REFERENCE} at {size}: {mean:.2f} over {count} ops, {flaky} unstable"
            f" (of the best times: {best[(name, size)][0]:.2f})"
        )
    unstable = [r for r in rows if r.stable is False]
    if unstable:
        counts: dict[str, int] = {}
        for row in unstable:
            for cause in dict.fromkeys(c.split(" (")[0] for c in row.cause.split("; ")):
                counts[cause] = counts.get(cause, 0) + 1
        likely = ", ".join(f"{cause} ({n})" for cause, n in sorted(counts.items(), key=lambda item: -item[1]))
        waited = max((r.wait or 0.0) for r in unstable)
        detail = f"; up to {waited:.0%} of a repeat spent waiting for a CPU" if waited > 0.05 else ""
        load = f"; load average {env['load_average']:.1f} on {env['cores']} cores" if env and env.get("load_average") is not None else ""
        out.append(f"warning: {len(unstable)} of {sum(r.status == 'ok' for r in rows)} figures unstable (~), likely: {likely}{detail}{load}")
    reasons = dict.fromkeys((r.backend, r.message) for r in rows if r.status == "n/a")
    for name, message in reasons:
        out.append(f"  n/a {name}: {message}")
    problems = [r for r in rows if r.status == "error"]
    for row in problems:
        out.append(f"  ERROR {row.op}[{row.size}] {row.backend}: {row.message}")
    return "\n".join(out)


def frame(rows: list[Row]) -> Any:
    import pandas

    return pandas.DataFrame([asdict(row) for row in rows], columns=[f for f in Row.__dataclass_fields__])


SCHEMA_VERSION = 2  # 2: stable, max_s, wait, attempts, cause; threads and load in the environment


def write_json(rows: list[Row], path: Path, env: dict[str, Any]) -> None:
    import json

    results = json.loads(frame(rows).to_json(orient="records"))  # pandas writes NaN as null
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "environment": env, "results": results}, indent=1))


def write_csv(rows: list[Row], path: Path) -> None:
    frame(rows).to_csv(path, index=False)


def plot(rows: list[Row], path: Path, env: dict[str, Any] | None = None) -> None:
    """A bar chart of each backend's time / torch's, one panel per size, log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    data = frame(rows)
    data = data[data.backend != REFERENCE]
    sizes = sorted(data["size"].unique())
    backends = list(dict.fromkeys(data.backend))
    ops = list(dict.fromkeys(data.op))
    figure, axes = plt.subplots(
        len(sizes), 1, figsize=(max(6.0, 0.45 * len(ops) * max(len(backends), 1) + 2), 3.2 * len(sizes)), squeeze=False
    )
    width = 0.8 / max(len(backends), 1)
    for axis, size in zip(axes[:, 0], sizes):
        at_size = data[data["size"] == size]
        extremes: list[float] = []
        for i, name in enumerate(backends):
            ratios = at_size[at_size.backend == name].set_index("op").reindex(ops)["ratio_to_torch"]
            positions = [k + (i - (len(backends) - 1) / 2) * width for k in range(len(ops))]
            values = ratios.to_numpy(dtype=float)
            ran = values == values  # NaN: not run here
            # bars grow from the torch line: up when slower, down when faster
            axis.bar([x for x, keep in zip(positions, ran) if keep], values[ran] - 1.0, width, bottom=1.0, label=name)
            for x, value, keep in zip(positions, values, ran):
                if not keep:
                    axis.text(x, 1.0, "n/a", rotation=90, ha="center", va="bottom", fontsize=7, color="gray")
                elif len(ops) * len(backends) <= 64:
                    label = f"{value:.2g}" if value < 10 else f"{value:.0f}"
                    axis.text(x, value, label, ha="center", va="bottom" if value >= 1 else "top", fontsize=7)
            extremes += [abs(math.log10(v)) for v in values[ran] if v > 0]
        axis.axhline(1.0, color="black", linewidth=0.8)
        axis.set_yscale("log")
        reach = max([math.log10(2.0), *extremes]) * 1.25  # symmetric about 1, room for the labels
        axis.set_ylim(10**-reach, 10**reach)
        axis.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.yaxis.set_minor_formatter(ticker.NullFormatter())
        axis.set_ylabel(f"time / {REFERENCE}")
        axis.set_title(f"{size:,} elements (below 1: faster than {REFERENCE})", fontsize=10)
        axis.set_xticks(range(len(ops)))
        axis.set_xticklabels(ops, rotation=45, ha="right", fontsize=8)
        axis.legend(fontsize=8)
    if env:
        figure.suptitle(f"tensorparity bench: numpy {env['numpy']}, torch {env['torch']}, {env['cpus']} CPUs", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
