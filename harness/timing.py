"""The in-process timer behind ``tensorparity bench``: every repeat synchronized, noise measured.

A figure is the median of ``repeat`` repeats, each ``number`` calls long (calibrated so a
repeat lasts ``min_time``), the backends' repeats interleaved (a, b, a, b, ...). The last
result of every repeat is passed to its backend's ``synchronize(result)`` before the clock
stops, so an asynchronous backend is timed to completion and its queued work never lands
in the next backend's figure.

Each figure carries its dispersion and is checked (as pyperf checks its runs):

- the interquartile range of its repeats above :data:`STEADY_SPREAD` (10%) of the median, or
- its median repeat spent more than :data:`STEADY_WAIT` (5%) of its time waiting for a CPU
  (runnable but not running: another process had the core), as the kernel counts it in
  ``/proc/thread-self/schedstat``, or
- its repeats lasted under half the ``min_time`` they were calibrated for (the calibration
  was disturbed)

makes it unsteady. An unsteady figure is measured again, within ``max_time`` seconds per
op and size; one still unsteady then is marked unstable (``stable`` False) and
:func:`causes` names the likely reasons.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STEADY_SPREAD = 0.10  # interquartile range / median above which a figure is unsteady
STEADY_WAIT = 0.05  # share of the median repeat spent waiting for a CPU above which it was disturbed
FEW_CALLS = 5  # calls per repeat below which one slow call moves a repeat
RESOLUTION = time.get_clock_info("perf_counter").resolution
_SCHEDSTAT = Path("/proc/thread-self/schedstat")


@dataclass(frozen=True)
class Timing:
    median_s: float
    q1_s: float
    q3_s: float
    min_s: float
    number: int  # calls per repeat
    repeat: int
    max_s: float = 0.0
    wait: float = 0.0  # share of the median repeat's time spent waiting for a CPU
    attempts: int = 1  # measurements taken (1 + re-measurements)
    min_time: float = 0.0  # what a repeat was calibrated to last

    @property
    def short(self) -> bool:
        """Repeats lasting under half of ``min_time``: the calibration was disturbed (a call
        slowed by another process made one call look long enough to fill a repeat)."""
        return self.median_s * self.number < self.min_time / 2

    @property
    def spread(self) -> float:
        """Half the interquartile range, relative to the median (the table's ±)."""
        return (self.q3_s - self.q1_s) / 2 / self.median_s if self.median_s else 0.0

    @property
    def iqr(self) -> float:
        """The interquartile range relative to the median."""
        return (self.q3_s - self.q1_s) / self.median_s if self.median_s else 0.0

    @property
    def stable(self) -> bool:
        return self.iqr <= STEADY_SPREAD and self.wait <= STEADY_WAIT and not self.short


def cores() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def load_average() -> float | None:
    """The one-minute load average, or None where the system has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def causes(timing: Timing, load: float | None = None, ncores: int | None = None) -> list[str]:
    """The likely reasons an unstable figure is unstable, most likely first."""
    found = []
    ncores = ncores or cores()
    if timing.wait > STEADY_WAIT:
        found.append(f"other processes took the CPU ({timing.wait:.0%} of a repeat spent waiting for one)")
    if load is not None and load > ncores:
        found.append(f"load average above the cores ({load:.1f} on {ncores})")
    if timing.short:
        found.append(f"repeats shorter than the {timing.min_time:g} s asked for ({timing.number} calls): the calibration was disturbed")
    if timing.median_s < RESOLUTION or timing.median_s * timing.number < 1000 * RESOLUTION:
        found.append(f"below the timer's resolution ({RESOLUTION * 1e9:.0f} ns)")
    if timing.number < FEW_CALLS:
        found.append(f"too few calls per repeat ({timing.number})")
    return found or ["no cause found: the op's own variance (allocation, caches, CPU frequency)"]


def _run_delay() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (0.0 where unknown)."""
    try:
        return int(_SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _no_sync(result: Any) -> None:
    return None


def synchronizer(call: Callable[[], Any]) -> Callable[[Any], None]:
    """The call's ``synchronize(result)`` (``harness.bench.prepare`` sets it), else a no-op."""
    return getattr(call, "synchronize", None) or _no_sync


def _loop(call: Callable[[], Any], number: int, synchronize: Callable[[Any], None]) -> tuple[float, float]:
    """(wall seconds, seconds spent waiting for a CPU) of ``number`` calls, the last result synchronized."""
    waited = _run_delay()
    started = time.perf_counter()
    result = None
    for _ in range(number):
        result = call()
    synchronize(result)  # the clock stops when the work is done, not when it is queued
    elapsed = time.perf_counter() - started
    return elapsed, _run_delay() - waited


def _calibrate(call: Callable[[], Any], min_time: float, synchronize: Callable[[Any], None]) -> int:
    """How many calls one repeat makes to last ``min_time``; the calibration runs are the warm-up.
    Time spent waiting for a CPU does not count: a preempted call is not a long one."""
    number = 1
    while True:
        elapsed, waited = _loop(call, number, synchronize)
        elapsed = max(elapsed - waited, elapsed / 10)
        if elapsed >= min_time or number >= 10**7:
            return number
        number = max(number * 2, min(int(number * min_time / max(elapsed, 1e-9) * 1.2), number * 100))


def _summarize(times: list[float], waits: list[float], number: int, min_time: float) -> Timing:
    times = sorted(times)
    quartiles = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
    median = statistics.median(times)
    return Timing(median, quartiles[0], quartiles[2], times[0], number, len(times), times[-1], statistics.median(waits), 1, min_time)


def _interleaved(calls: dict[str, Callable[[], Any]], numbers: dict[str, int], repeat: int, min_time: float) -> dict[str, Timing]:
    times: dict[str, list[float]] = {name: [] for name in calls}
    waits: dict[str, list[float]] = {name: [] for name in calls}
    syncs = {name: synchronizer(call) for name, call in calls.items()}
    for _ in range(max(repeat, 1)):
        for name, call in calls.items():
            elapsed, waited = _loop(call, numbers[name], syncs[name])
            times[name].append(elapsed / numbers[name])
            waits[name].append(waited / elapsed if elapsed > 0 else 0.0)
    return {name: _summarize(times[name], waits[name], numbers[name], min_time) for name in calls}


def measure(call: Callable[[], Any], repeat: int = 7, min_time: float = 0.02, max_time: float = 0.0) -> Timing:
    """Per-call time of ``call``: warm up and calibrate ``number`` so one repeat takes
    ``min_time``, then ``repeat`` timed repeats (garbage collection off, as timeit)."""
    return measure_side_by_side({"call": call}, repeat, min_time, max_time)["call"]


def measure_side_by_side(
    calls: dict[str, Callable[[], Any]], repeat: int = 7, min_time: float = 0.02, max_time: float = 0.0
) -> dict[str, Timing]:
    """:func:`measure` for several calls, their repeats interleaved, so that a change in the
    machine's load falls on all of them alike and their ratios hold.

    An unsteady figure (:attr:`Timing.stable` False) is measured again, the unsteady ones
    interleaved, while the next attempt fits in ``max_time`` seconds; a steady attempt
    replaces it, else the least dispersed attempt is kept (``stable`` False)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        numbers = {name: _calibrate(call, min_time, synchronizer(call)) for name, call in calls.items()}  # and warm up
        started = time.perf_counter()
        timings = _interleaved(calls, numbers, repeat, min_time)
        first = time.perf_counter() - started
        deadline = started + max_time
        while True:
            unsteady = {name: call for name, call in calls.items() if not timings[name].stable}
            if not unsteady:
                break
            estimate = first * len(unsteady) / len(calls)
            if time.perf_counter() + estimate > deadline:
                break
            for name in unsteady:
                if timings[name].short:  # calibrated while disturbed: calibrate again
                    numbers[name] = _calibrate(calls[name], min_time, synchronizer(calls[name]))
            again = _interleaved(unsteady, numbers, repeat, min_time)
            for name, timing in again.items():
                attempts = timings[name].attempts + 1
                keep = timing if timing.stable or timing.iqr + timing.wait < timings[name].iqr + timings[name].wait else timings[name]
                timings[name] = _with_attempts(keep, attempts)
    finally:
        if enabled:
            gc.enable()
    return timings


def _with_attempts(timing: Timing, attempts: int) -> Timing:
    from dataclasses import replace

    return replace(timing, attempts=attempts)


# --- threads ---------------------------------------------------------------------------
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def threads(count: int | None) -> Iterator[None]:
    """Within: torch's intra-op threads and every loaded BLAS and OpenMP pool (threadpoolctl)
    at ``count``, and the same in the environment of processes started meanwhile.
    None leaves each library's own choice. Restored on exit."""
    if count is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    before_torch = torch.get_num_threads()
    before_env = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(_THREAD_VARIABLES, str(count)))
    limits = threadpool_limits(limits=count)
    torch.set_num_threads(count)
    try:
        yield
    finally:
        limits.restore_original_limits()
        torch.set_num_threads(before_torch)
        for name, value in before_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def thread_pools() -> dict[str, Any]:
    """The threads actually in use: torch's, and each loaded BLAS/OpenMP pool with its core type."""
    import torch

    pools = []
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            pools.append(
                {
                    "library": info.get("internal_api"),
                    "file": Path(info.get("filepath") or "").name,
                    "version": info.get("version"),
                    "threads": info.get("num_threads"),
                    "core_type": info.get("architecture"),
                }
            )
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        pass
    return {"torch": torch.get_num_threads(), "pools": pools}
