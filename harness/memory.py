"""``tensorparity bench --memory``: peak memory of one call per op and backend, each in a fresh worker.

Every (op, backend) runs in its own process, forked from a server that has imported torch,
NumPy and the harness, so a figure never includes another op's leftovers. In that process:

- the baseline is its resident size once the spec is loaded and the backend imported (torch,
  the harness and the backend: the ~180 MB that asv's ``peakmem`` figures include);
- ``peak_bytes``: the process's peak resident size while the inputs are built and the op runs
  once (synchronized), less the baseline: asv's ``peakmem`` without torch's own share;
- ``call_native_bytes``: the peak resident size during the call alone, less the resident size
  just before it (the peak is reset first through ``/proc/self/clear_refs``; where that is not
  allowed, the process's peak since it started is used);
- ``call_python_bytes``: tracemalloc's peak during the call: Python objects and NumPy's buffers
  (NumPy reports its allocations to tracemalloc; torch does not).
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class MemoryRow:
    op: str
    size: int
    backend: str
    status: str  # ok, n/a, error
    peak_bytes: int | None = None
    call_native_bytes: int | None = None
    call_python_bytes: int | None = None
    baseline_bytes: int | None = None
    message: str = ""


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _max_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux 4.0+)
        return True
    except OSError:
        return False


def measure_one(backend: str, op: str, size: str, root: Path | None, threads: int | None) -> MemoryRow:
    """One (op, backend) in this process: call it in a fresh worker (:func:`measure`)."""
    from tensorparity.harness import bench
    from tensorparity.harness.timing import threads as limit_threads

    row = MemoryRow(op, bench.SIZES[size], backend, "n/a")
    with limit_threads(threads):
        try:
            bench.bench_spec(root)
            loaded = bench.load(backend)
            row.baseline_bytes = _status_kib("VmRSS") or _max_rss()
            _reset_peak()
            call = bench.prepare(loaded, op, size, root, run=False)
        except NotImplementedError as error:
            row.message = str(error) or "not implemented"
            return row
        except Exception as error:  # a backend under test may raise anything
            row.status, row.message = "error", f"{type(error).__name__}: {error}".splitlines()[0]
            return row
        setup_peak = _status_kib("VmHWM") or _max_rss()
        reset = _reset_peak()
        before = _status_kib("VmRSS") or 0
        tracemalloc.start()
        try:
            call.synchronize(call())
            _, python_peak = tracemalloc.get_traced_memory()
        except NotImplementedError as error:
            row.message = str(error) or "not implemented"
            return row
        except Exception as error:  # noqa: BLE001
            row.status, row.message = "error", f"{type(error).__name__}: {error}".splitlines()[0]
            return row
        finally:
            tracemalloc.stop()
        call_peak = _status_kib("VmHWM") or _max_rss()
    row.status = "ok"
    row.call_python_bytes = python_peak
    row.call_native_bytes = max(call_peak - before, 0) if reset else None
    row.peak_bytes = max(call_peak, setup_peak) - row.baseline_bytes
    if not reset:
        row.message = "peak resident size could not be reset: call_native_bytes unknown"
    return row


def measure(backends: list[str], ops: list[str], size: str = "large", root: Path | None = None, threads: int | None = None) -> list[MemoryRow]:
    """Every op x backend, each in a fresh process forked from a warm fork server."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["torch", "numpy", "tensorparity.harness.bench", "tensorparity.harness.memory"])
    rows = []
    with context.Pool(1, maxtasksperchild=1) as pool:  # a fresh worker for every measurement
        for op in ops:
            for backend in backends:
                rows.append(pool.apply(measure_one, (backend, op, size, root, threads)))
    return rows


def render(rows: list[MemoryRow]) -> str:
    def mib(value: int | None) -> str:
        return f"{value / 2**20:.1f} MiB" if value is not None else ""

    table = [["op", "size", "backend", "peak", "call native", "call python"]]
    for r in rows:
        if r.status == "ok":
            table.append([r.op, str(r.size), r.backend, mib(r.peak_bytes), mib(r.call_native_bytes), mib(r.call_python_bytes)])
        else:
            table.append([r.op, str(r.size), r.backend, r.status, "", ""])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ["  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip() for row in table]
    baselines = [r.baseline_bytes for r in rows if r.baseline_bytes]
    if baselines:
        lines.append(f"peak: above a fresh worker's {mib(min(baselines))} (torch, the spec and the backend loaded), the inputs included")
    for r in rows:
        if r.message and r.status != "ok":
            lines.append(f"  {r.status} {r.op} {r.backend}: {r.message}")
    return "\n".join(lines)


def as_records(rows: list[MemoryRow]) -> list[dict[str, Any]]:
    from dataclasses import asdict

    return [asdict(row) for row in rows]
