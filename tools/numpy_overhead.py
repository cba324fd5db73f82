"""What the NumPy backend's torch-semantics layer costs over the plain NumPy call.

A script (the asv suite is benchmarks/):

    python tools/numpy_overhead.py [--size N]... [--op PATTERN]... [--repeat R]

For each op it times, on the spec's benchmark inputs (harness/bench.py), the
backend method (``NumpyBackend().add(a, b)``: validation, torch's type promotion,
then NumPy) and the plain NumPy call that computes the same thing on the same
arrays (``np.add(a, b)``), side by side, their repeats interleaved. Targets: at
most 10% over the plain call at 10^6 elements, and at most 3 us over it per call
on a 4-element input. An op whose plain call takes the same few microseconds
at any size (a view, numel) is held to the 3 us at 10^6 too: 10% of a
constant-time call is no budget for any argument checking in Python.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from tensorparity.backends.numpy_backend import NumpyBackend
from tensorparity.harness import bench

# op id -> the plain NumPy call on the backend's (already converted) arguments: the
# obvious call a NumPy user would write for what the op computes on the bench inputs.
PLAIN: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: np.add(a, b),
    "sub": lambda a, b: np.subtract(a, b),
    "mul": lambda a, b: np.multiply(a, b),
    "div": lambda a, b: np.true_divide(a, b),
    "pow": lambda a, e: np.power(a, e),
    "exp": lambda a: np.exp(a),
    "gt": lambda a, b: np.greater(a, b),
    "lt": lambda a, b: np.less(a, b),
    "where": lambda c, a, b: np.where(c, a, b),
    "masked_select": lambda a, m: a[m],
    "mm": lambda a, b: np.matmul(a, b),
    "bmm": lambda a, b: np.matmul(a, b),
    "det": lambda a: np.linalg.det(a),
    "transpose": lambda a, d0, d1: np.swapaxes(a, d0, d1),
    "permute": lambda a, dims: np.transpose(a, dims),
    "view": lambda a, *shape: a.reshape(shape),
    "reshape": lambda a, shape: np.reshape(a, shape),
    "cat": lambda tensors, dim=0: np.concatenate(tensors, axis=dim),
    "vsplit": lambda a, sections: np.vsplit(a, sections),
    "repeat": lambda a, *sizes: np.tile(a, sizes),
    "pad": lambda a, pad: np.pad(a, [(pad[2], pad[3]), (pad[0], pad[1])]),
    "cumprod": lambda a, dim: np.cumprod(a, axis=dim),
    "argmax": lambda a: np.argmax(a),
    "numel": lambda a: a.size,
    "arange": lambda n: np.arange(n),
    "full": lambda size, fill: np.full(size, fill, dtype=np.float32),
    # sparse_coo_tensor and grad have no one-call NumPy counterpart
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", help="elements per input (default: 4 and 1000000)")
    parser.add_argument("--op", action="append", metavar="PATTERN", help="glob over op ids")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--min-time", type=float, default=0.05)
    args = parser.parse_args(argv)
    sizes = [bench.size_name(s) for s in args.size or ["tiny", "large"]]
    backend = NumpyBackend()
    ops = bench.bench_spec()
    print(
        f"numpy {np.__version__}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE') or 'unset'}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'op':<18}{'size':>8}{'backend':>12}{'plain':>12}{'overhead':>12}{'':>8}  target")
    misses = 0
    for op in bench.select(args.op):
        for size in sizes:
            call = bench.prepare(backend, op, size)
            if op not in PLAIN:
                backend_time = bench.measure(call, args.repeat, args.min_time).median_s
                print(f"{op:<18}{bench.SIZES[size]:>8}{bench.format_time(backend_time):>12}{'-':>12}")
                continue
            neutral_args, neutral_kwargs = bench.inputs(ops[op], size)
            plain_args, plain_kwargs = backend.from_neutral(neutral_args), backend.from_neutral(neutral_kwargs)
            plain = PLAIN[op]
            timings = bench.measure_side_by_side(
                {"backend": call, "plain": lambda f=plain, a=plain_args, k=plain_kwargs: f(*a, **k)}, args.repeat, args.min_time
            )
            backend_time, plain_time = timings["backend"].median_s, timings["plain"].median_s
            extra = backend_time - plain_time
            relative = extra / plain_time
            if bench.SIZES[size] >= 1_000_000 and plain_time > 10e-6:
                met, target = relative <= 0.10, "<= 10%"
            else:
                met, target = extra <= 3e-6, "<= 3 us"
            misses += not met
            print(
                f"{op:<18}{bench.SIZES[size]:>8}{bench.format_time(backend_time):>12}{bench.format_time(plain_time):>12}"
                f"{bench.format_time(max(extra, 0.0)) if extra >= 0 else '-' + bench.format_time(-extra):>12}"
                f"{relative:>+8.0%}  {target} {'ok' if met else 'MISSED'}"
            )
    print(f"{misses} op x size over target (targets: 10% over plain NumPy at 10^6 elements, 3 us over it otherwise)")
    return 0


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    sys.exit(main())
