"""How fast the pure-Python backend computes, against idiomatic pure-Python kernels doing the same work.

Run: ``python tools/python_backend_speed.py`` (options: ``--repeat``, ``--seed``).

Only compute is timed: the backend's tensors are built directly as ``PyTensor``s, so
conversion to and from the harness's neutral NumPy values is left out. Each figure is
the median over ``--repeat`` timeit rounds of the per-call time; the ratio is
backend / idiomatic (the target is 2x at most).

Workloads: elementwise add of 100,000 float64 values, mm of two 64 x 64 float64
matrices, and det of a 64 x 64 float64 matrix by partial-pivot elimination.
"""

from __future__ import annotations

import argparse
import operator
import random
import statistics
import sys
import timeit
from collections.abc import Callable

from tensorparity.backends.pytensor import PyTensor
from tensorparity.backends.python_backend import PythonBackend


# --- idiomatic kernels: what a careful Python programmer writes --------------------
def add_idiomatic(a: list[float], b: list[float]) -> list[float]:
    return list(map(operator.add, a, b))


def mm_idiomatic(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    columns = list(zip(*b))
    mul = operator.mul
    # start at 0.0: sum() keeps its float fast path only when the start is a float
    return [[sum(map(mul, row, column), 0.0) for column in columns] for row in a]


def det_idiomatic(matrix: list[list[float]]) -> float:
    rows = [list(row) for row in matrix]
    n = len(rows)
    det = 1.0
    for k in range(n):
        pivot_row = max(range(k, n), key=lambda i: abs(rows[i][k]))
        if pivot_row != k:
            rows[k], rows[pivot_row] = rows[pivot_row], rows[k]
            det = -det
        pivot = rows[k][k]
        det *= pivot
        if pivot == 0.0:
            return 0.0
        top = rows[k][k + 1 :]
        for i in range(k + 1, n):
            row = rows[i]
            factor = row[k] / pivot
            rows[i][k + 1 :] = [x - factor * t for x, t in zip(row[k + 1 :], top)]
    return det


# --- timing ---------------------------------------------------------------------------
def median_seconds(call: Callable[[], object], repeat: int) -> float:
    """Median per-call seconds over ``repeat`` rounds; each round runs long enough to time."""
    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    return statistics.median(t / number for t in timer.repeat(repeat=repeat, number=number))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timeit rounds per figure (default 7)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    backend = PythonBackend()

    count, n = 100_000, 64
    a = [rng.uniform(-1.0, 1.0) for _ in range(count)]
    b = [rng.uniform(-1.0, 1.0) for _ in range(count)]
    left = [[rng.uniform(-1.0, 1.0) for _ in range(n)] for _ in range(n)]
    right = [[rng.uniform(-1.0, 1.0) for _ in range(n)] for _ in range(n)]
    # Diagonally dominant, so pivoting works but the determinant stays finite.
    square = [[rng.uniform(-1.0, 1.0) + (4.0 if i == j else 0.0) for j in range(n)] for i in range(n)]

    def tensor(rows: list, shape: tuple[int, ...]) -> PyTensor:
        flat = [x for row in rows for x in row] if isinstance(rows[0], list) else list(rows)
        return PyTensor(flat, shape, "float64")

    ta, tb = tensor(a, (count,)), tensor(b, (count,))
    tleft, tright, tsquare = tensor(left, (n, n)), tensor(right, (n, n)), tensor(square, (n, n))

    # The two sides must agree before their speed means anything.
    assert ta and backend.add(ta, tb).values() == add_idiomatic(a, b)
    assert max(abs(x - y) for x, y in zip(backend.mm(tleft, tright).values(), sum(mm_idiomatic(left, right), []))) < 1e-12
    assert abs(backend.det(tsquare).values()[0] / det_idiomatic(square) - 1.0) < 1e-9

    workloads = [
        (f"add {count:,} float64", lambda: backend.add(ta, tb), lambda: add_idiomatic(a, b)),
        (f"mm {n}x{n} float64", lambda: backend.mm(tleft, tright), lambda: mm_idiomatic(left, right)),
        (f"det {n}x{n} float64", lambda: backend.det(tsquare), lambda: det_idiomatic(square)),
    ]
    print(f"Python {sys.version.split()[0]}, median of {args.repeat} rounds, compute only (no neutral conversion)")
    print(f"{'workload':<22} {'backend':>11} {'idiomatic':>11} {'ratio':>7}")
    worst = 0.0
    for name, ours, theirs in workloads:
        mine, idiomatic = median_seconds(ours, args.repeat), median_seconds(theirs, args.repeat)
        worst = max(worst, mine / idiomatic)
        print(f"{name:<22} {mine * 1e3:>8.2f} ms {idiomatic * 1e3:>8.2f} ms {mine / idiomatic:>6.2f}x")
    print(f"worst ratio {worst:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
