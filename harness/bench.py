"""Benchmarks: what each op is timed on, defined once, and an in-process timer.

"The benchmark inputs of op X at size N" live in the ``bench:`` block of
``spec/ops/X.yaml``: the op's arguments in the spec's input forms, where a string
``$NAME`` stands for a size variable. Built in per size: ``$n`` (the size, in
elements) and ``$side`` (the side of a square matrix of about ``n`` elements);
``vars:`` adds an op's own per size. The asv suite (``benchmarks/``) and
``tensorparity bench`` both call :func:`prepare` here, so they time the same call
on the same inputs: the op itself, inputs already converted to the backend's
tensors, the backend's ``synchronize(result)`` called before the clock stops.

Over 400 lines: benchmark inputs, the run over ops x sizes x backends, and the table and plot; the timer is in timing.py, comparison in compare.py, memory in memory.py. The table and plot are the next candidates to move out.
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
    from tensorparity.harness.spec import build_graph
    from tensorparity.harness.values import ValueForm, build_input

    size = size_name(size)
    if not op.bench:
        raise SpecError(op.path, "the op has no bench block", key="bench")
    variables = size_variables(op, size)
    block = _substitute({k: v for k, v in op.bench.items() if k != "vars"}, variables, op.path, "bench")
    try:
        if "graph" in block:
            return (build_graph(block["graph"], None, memory_limit),), {}
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


# --- the plot: each ratio with its spread; unstable figures marked, not trusted -------
UNSTABLE = 0.10  # a timing whose spread (half its interquartile range) is over this share of its median
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")  # Okabe-Ito: safe for colour-blind readers


def ratio_range(row: Row, reference: Row) -> tuple[float, float]:
    """The spread of ``row``'s ratio to ``reference``: from its first quartile over torch's third
    to its third over torch's first (the repeats are interleaved, so the quartiles bound the ratio)."""
    return row.q1_s / reference.q3_s, row.q3_s / reference.q1_s


def unstable(row: Row, reference: Row) -> bool:
    """Whether either timing behind a ratio is marked unstable by the timer (``stable`` False:
    the table's ``~``, see harness.timing), or, for rows without that mark, spreads over
    UNSTABLE of its median (the ``±`` the table prints)."""
    return any(
        r.stable is False or (r.stable is None and ((r.q3_s - r.q1_s) / 2 / r.median_s > UNSTABLE if r.median_s else True))
        for r in (row, reference)
    )


def _ticks(limit: float) -> list[float]:
    """Round ratios between 1 / limit and limit: 1, 2, 5 per decade, finer when the range is narrow."""
    found = sorted(m * 10.0**e for e in range(-9, 10) for m in (1, 2, 5) if 1 / limit <= m * 10.0**e <= limit)
    if len(found) < 5:
        found = sorted({*found, *(t for t in (0.5, 0.67, 0.8, 0.9, 1.1, 1.25, 1.5, 2.0) if 1 / limit <= t <= limit)})
    return found


def figure(rows: list[Row], env: dict[str, Any] | None = None) -> Any:
    """The bar chart of each backend's time / torch's, one panel per size, as a matplotlib Figure.

    A bar grows from 1 (torch's time) on a log axis symmetric about 1 and scaled to the
    stable figures and their error bars (the quartile range of the ratio). An unstable
    figure (its or torch's spread over 10% of the median) is hatched, has no say in the
    axis range, and is clipped at the axis edge with its value printed.
    """
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    reference = {(r.op, r.size): r for r in rows if r.backend == REFERENCE and r.status == "ok"}
    shown = [r for r in rows if r.backend != REFERENCE]
    sizes = sorted({r.size for r in shown})
    backends = list(dict.fromkeys(r.backend for r in shown))
    ops = list(dict.fromkeys(r.op for r in shown))
    by_key = {(r.op, r.size, r.backend): r for r in shown}
    fig, axes = plt.subplots(
        len(sizes), 1, figsize=(max(6.0, 0.45 * len(ops) * max(len(backends), 1) + 2), 3.4 * len(sizes) + 0.6), squeeze=False
    )
    width = 0.8 / max(len(backends), 1)
    any_unstable = False
    for axis, size in zip(axes[:, 0], sizes):
        bars = []  # (x, backend index, value, lo, hi, unstable) or (x, i, None, ...) for n/a
        reach = math.log10(1.5)
        for i, name in enumerate(backends):
            for k, op in enumerate(ops):
                x = k + (i - (len(backends) - 1) / 2) * width
                row, ref = by_key.get((op, size, name)), reference.get((op, size))
                if row is None or ref is None or not row.ratio_to_torch:
                    bars.append((x, i, None, None, None, False))
                    continue
                lo, hi = ratio_range(row, ref)
                shaky = unstable(row, ref)
                bars.append((x, i, row.ratio_to_torch, lo, hi, shaky))
                if not shaky:
                    reach = max(reach, *(abs(math.log10(v)) for v in (row.ratio_to_torch, lo, hi) if v > 0))
        limit = 10 ** (reach * 1.15)  # symmetric about 1, room for the labels
        for x, i, value, lo, hi, shaky in bars:
            colour = PALETTE[i % len(PALETTE)]
            if value is None:
                axis.text(x, 1.0, "n/a", rotation=90, ha="center", va="bottom", fontsize=7, color="#555555")
                continue
            any_unstable = any_unstable or shaky
            drawn = min(max(value, 1 / limit), limit)
            axis.bar(
                x,
                drawn - 1.0,
                width,
                bottom=1.0,
                color=colour if not shaky else "none",
                edgecolor=colour,
                hatch="////" if shaky else None,
                linewidth=1.0,
                label=backends[i],
            )
            if not shaky:
                axis.errorbar(
                    x, value, yerr=[[value - lo], [hi - value]], fmt="none", ecolor="#222222", elinewidth=0.9, capsize=2
                )
            if len(ops) * len(backends) <= 64 or shaky:
                label = (f"{value:.2g}" if value < 10 else f"{value:.0f}") + ("?" if shaky else "")
                if drawn != value:  # clipped: the value inside the axis, at its edge, with an arrow
                    label += " \u2193" if value < 1 else " \u2191"
                    place, align = (drawn * 1.08, "bottom") if value < 1 else (drawn / 1.08, "top")
                elif shaky:
                    place, align = drawn, "bottom" if value >= 1 else "top"
                else:
                    place, align = (hi, "bottom") if value >= 1 else (lo, "top")
                axis.annotate(
                    label,
                    (x, place),
                    xytext=(0, 2 if align == "bottom" else -2),
                    textcoords="offset points",
                    ha="center",
                    va=align,
                    fontsize=7,
                    color="#000000" if not shaky else "#5c4400",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85} if shaky else None,
                )
        axis.axhline(1.0, color="black", linewidth=0.8)
        axis.set_yscale("log")
        axis.set_ylim(1 / limit, limit)
        axis.yaxis.set_major_locator(ticker.FixedLocator(_ticks(limit)))
        axis.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.yaxis.set_minor_formatter(ticker.NullFormatter())
        axis.set_ylabel(f"time / {REFERENCE}")
        axis.set_title(f"{size:,} elements (below 1: faster than {REFERENCE})", fontsize=10)
        axis.set_xticks(range(len(ops)))
        axis.set_xticklabels(ops, rotation=45, ha="right", fontsize=8)
        handles, labels = axis.get_legend_handles_labels()
        unique = dict(zip(labels, handles))
        if unique:
            axis.legend(unique.values(), unique.keys(), fontsize=8)
    if env:
        fig.suptitle(f"tensorparity bench: numpy {env['numpy']}, torch {env['torch']}, {env['cpus']} CPUs", fontsize=10)
    note = "Error bars: the ratio's quartile range (the backend's q1 / torch's q3 to its q3 / torch's q1)."
    if any_unstable:
        note += (
            f" Hatched, with '?': unstable, the backend's or torch's spread (half the interquartile range) is over "
            f"{UNSTABLE:.0%} of its median; rerun before trusting it. It does not set the axis range; past it, it is "
            "clipped, its value printed with an arrow."
        )
    lines = textwrap.wrap(note, width=int(fig.get_figwidth() * 15))
    fig.text(0.01, 0.005, "\n".join(lines), fontsize=7, ha="left", va="bottom", color="#333333")
    fig.tight_layout(rect=(0, (0.11 * len(lines) + 0.05) / fig.get_figheight(), 1, 1))
    return fig


def plot(rows: list[Row], path: Path, env: dict[str, Any] | None = None) -> None:
    """A bar chart of each backend's time / torch's, one panel per size, log scale (see :func:`figure`)."""
    import matplotlib.pyplot as plt

    fig = figure(rows, env)
    fig.savefig(path, dpi=110)
    plt.close(fig)
