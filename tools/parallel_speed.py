"""How fast the suite runs in worker processes, one and two side by side.

A script (the asv suite is benchmarks/):

    python tools/parallel_speed.py [--backend NAME]... [--repeat R] [--spec PATH] [--no-cli]

The whole suite (every case of the spec on each backend, numpy and torch by
default) runs through ``harness.runner.run`` three ways: in this process (no
workers: ``--timeout 0``), in one worker process (the default run), and in two
(``--jobs 2``). Each way is timed R times after a first, warm-up pass (imports,
torch's first calls) and the best time is kept: the figures are the cost of
running cases, not of starting Python. Printed: each time, the worker round trip
per case (one worker minus in-process, per case; target at most 0.2 ms) and the
ratio two workers / one worker (target at most 0.65 on a 2-core machine).

Then, unless --no-cli, the same side by side end to end: ``tensorparity run``
with ``--jobs 1`` and ``--jobs 2`` as fresh commands, start-up included, for
what a user waits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

from tensorparity.backends.registry import load_backend
from tensorparity.harness import workers
from tensorparity.harness.cases import expand
from tensorparity.harness.runner import run, run_case
from tensorparity.harness.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) this process and the processes ``pids`` have used so far (Linux)."""
    total = time.process_time()
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _best(run, repeat: int, pids: list[int] | tuple = ()) -> tuple[float, float, float]:
    """(best, median) wall seconds of ``repeat`` calls, and the median CPU seconds a call used
    here and in ``pids``: a figure the other processes on a busy machine do not move."""
    times, cpu = [], []
    for _ in range(repeat):
        cpu_before = _cpu_seconds(pids)
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
        cpu.append(_cpu_seconds(pids) - cpu_before)
    return min(times), statistics.median(times), statistics.median(cpu)


def measure_runner(backend_names: list[str], repeat: int, spec_path: str | None) -> dict[str, tuple[float, float, float]]:
    backends = [load_backend(name) for name in backend_names]
    workers.prestart(backends, run_case)
    cases = expand(load_spec(spec_path))
    total = len(cases) * len(backends)
    for backend in backends:
        reason = backend.unavailable_reason()
        if reason:
            sys.exit(f"{backend.name} is unavailable here: {reason}")
    times = {}
    run(cases, backends)  # warm-up
    times["in-process"] = _best(lambda: run(cases, backends), repeat)
    for jobs in (1, 2):
        with workers.WorkerPool(backends, jobs=jobs, timeout=10.0, run_case=run_case).start() as pool:
            first = run(cases, backends, pool=pool)  # warm-up: each worker imports and makes its first calls
            assert len(first) == total
            pids = pool.pids()
            times[f"{jobs} worker{'s' if jobs > 1 else ''}"] = _best(
                lambda pool=pool: run(cases, backends, pool=pool), repeat, pids
            )
            assert pool.restarts == 0
    times["cases"] = (total, total, 0.0)
    return times


def measure_cli(backend_names: list[str], repeat: int, spec_path: str | None) -> dict[int, tuple[float, float, float]]:
    command = [sys.executable, "-m", "tensorparity", "run", "--no-matrix"]
    command += [arg for name in backend_names for arg in ("--backend", name)]
    command += ["--spec", spec_path] if spec_path else []
    times = {}
    for jobs in (1, 2):

        def once(jobs=jobs) -> None:
            subprocess.run([*command, "--jobs", str(jobs)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        times[jobs] = _best(once, repeat)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", action="append", help="repeatable; default numpy and torch")
    parser.add_argument("--repeat", type=int, default=7, help="timed passes of each way (default 7; the best is kept)")
    parser.add_argument("--spec", help="a spec folder (default: the bundled spec)")
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end commands")
    args = parser.parse_args()
    names = args.backend or ["numpy", "torch"]
    warnings.simplefilter("ignore")

    times = measure_runner(names, args.repeat, args.spec)
    total = times.pop("cases")[0]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"the whole suite: {total} cases ({' + '.join(names)}), {cores} cores, best (median) of {args.repeat} warm passes")
    for way, (best, median, cpu) in times.items():
        print(f"  {way:<12} {best:7.3f} s ({median:.3f} s) wall, {best / total * 1e6:6.1f} us per case; {cpu:.3f} s CPU in all")
    trip = (times["1 worker"][0] - times["in-process"][0]) / total * 1e6
    trip_cpu = (times["1 worker"][2] - times["in-process"][2]) / total * 1e6
    ratio = times["2 workers"][0] / times["1 worker"][0]
    print(f"  worker round trip: {trip:.1f} us per case wall, {trip_cpu:.1f} us CPU (target <= 200)")
    print(f"  2 workers / 1 worker: {ratio:.2f} (target <= 0.65)")
    if not args.no_cli:
        cli = measure_cli(names, max(1, args.repeat // 2), args.spec)
        print(
            f"end to end, `tensorparity run --backend {' --backend '.join(names)}`, best (median) of {max(1, args.repeat // 2)}:"
        )
        for jobs, (best, median, _) in cli.items():
            print(f"  --jobs {jobs}     {best:7.3f} s ({median:.3f} s)")
        print(f"  --jobs 2 / --jobs 1: {cli[2][0] / cli[1][0]:.2f} (start-up, mostly importing torch, is not parallel)")


if __name__ == "__main__":
    main()
