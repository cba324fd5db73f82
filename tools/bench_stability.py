"""Can two bench runs be trusted to agree, and does a disturbed run say so?

    python tools/bench_stability.py [--op GLOB]... [--size N] [--threads N] [--busy N] [--out DIR]

1. Two back-to-back runs of ``tensorparity bench --backend numpy --backend torch --size
   1000000 --threads 1``: prints the worst disagreement between them over the figures
   steady in both (target: within 10%), and how many were unstable.
2. ``tensorparity bench --compare`` of those two runs: nothing may be flagged (exit 0); then
   of the first against a copy of the second with one op's NumPy figure planted 2x slower:
   exactly that one is flagged (exit 1).
3. A third run with busy processes beside it (``--busy``, default one per core, started and
   stopped by this script): every figure it disturbed (more than 10% off the mean of the two
   quiet runs) must be marked unstable, not printed as steady.

Prints the load average before each run, and the OPENBLAS_* variables. Exits 1 when a
target is missed. Quote its figures only from an idle machine (load average well below
the core count before the first run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 0.10
MEDIAN = "median_s"


def bench(out: Path, args: argparse.Namespace) -> dict:
    command = ["tensorparity", "bench", "--backend", "numpy", "--backend", "torch", "--size", args.size, "--threads", args.threads]
    for pattern in args.op or []:
        command += ["--op", pattern]
    command += ["--json", str(out)]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed:\n{completed.stderr}")
    print(f"  {' '.join(command)}: {time.perf_counter() - started:.0f} s, load average {load:.2f} before")
    for line in completed.stdout.splitlines():
        if line.startswith(("geomean", "warning")):
            print(f"    {line}")
    return {(r["op"], r["size"], r["backend"]): r for r in json.loads(out.read_text())["results"] if r["status"] == "ok"}


def compare(old: Path, new: Path) -> tuple[int, list[str]]:
    completed = subprocess.run(["tensorparity", "bench", "--compare", str(old), str(new)], capture_output=True, text=True)
    flagged = [line for line in completed.stdout.splitlines() if line[:1] in "+-"]
    return completed.returncode, flagged


def busy() -> None:
    while True:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--op", action="append", metavar="GLOB", help="op ids to time (default: all)")
    parser.add_argument("--size", default="1000000")
    parser.add_argument("--threads", default="1", help="passed to bench --threads (a count, or all)")
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 1, help="busy processes beside the disturbed run (default: one per core)")
    parser.add_argument("--out", type=Path, help="keep the JSON files here")
    args = parser.parse_args()
    folder = args.out or Path(tempfile.mkdtemp(prefix="bench_stability_"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')} OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', 'unset')}"
    )
    failed = False

    print("1. two back-to-back runs")
    a, b = bench(folder / "a.json", args), bench(folder / "b.json", args)
    steady = [k for k in a if k in b and a[k]["stable"] and b[k]["stable"]]
    unsteady = sorted({k for k in a if k in b} - set(steady))
    worst = max(steady, key=lambda k: abs(b[k]["median_s"] / a[k]["median_s"] - 1), default=None)
    if worst is not None:
        gap = b[worst]["median_s"] / a[worst]["median_s"] - 1
        print(f"  worst disagreement over {len(steady)} figures steady in both: {gap:+.1%} ({worst[0]} {worst[2]}); target within {TARGET:.0%}")
        failed |= abs(gap) > TARGET
    both = [k for k in a if k in b]
    if both:
        gaps = sorted(abs(b[k][MEDIAN] / a[k][MEDIAN] - 1) for k in both)
        print(f"  over all {len(both)} figures, steady or not: median disagreement {gaps[len(gaps) // 2]:.1%}, worst {gaps[-1]:.1%}")
    print(f"  unstable in either run: {len(unsteady)}" + (f" ({', '.join(f'{k[0]} {k[2]}' for k in unsteady)})" if unsteady else ""))

    print("2. bench --compare")
    status, flagged = compare(folder / "a.json", folder / "b.json")
    print(f"  the two runs: exit {status}, flagged {flagged or 'nothing'}")
    failed |= status != 0
    # plant a 2x slowdown in one figure steady in both runs (an unstable one is never judged)
    target = next((k for k in steady if k[2] == "numpy"), steady[0] if steady else None)
    if target is None:
        print("  no figure steady in both runs to plant a slowdown in: not checked")
        failed = True
    else:
        document = json.loads((folder / "b.json").read_text())
        for record in document["results"]:
            if (record["op"], record["size"], record["backend"]) == target:
                for key in ("median_s", "q1_s", "q3_s", "min_s", "max_s"):
                    record[key] *= 2
        (folder / "planted.json").write_text(json.dumps(document))
        status, flagged = compare(folder / "a.json", folder / "planted.json")
        print(f"  against {target[0]} {target[2]} planted 2x slower: exit {status}, flagged {len(flagged)}: {flagged}")
        failed |= status != 1 or len(flagged) != 1 or flagged[0].split()[1:4] != [target[0], str(target[1]), target[2]]

    print(f"3. a run with {args.busy} busy process(es) beside it")
    import multiprocessing

    workers = [multiprocessing.Process(target=busy, daemon=True) for _ in range(args.busy)]
    for worker in workers:
        worker.start()
    try:
        c = bench(folder / "c.json", args)
    finally:
        for worker in workers:
            worker.terminate()
            worker.join()
    disturbed = [k for k in c if k in a and k in b and abs(c[k]["median_s"] / ((a[k]["median_s"] + b[k]["median_s"]) / 2) - 1) > TARGET]
    shown_steady = [k for k in disturbed if c[k]["stable"]]
    marked = sum(not r["stable"] for r in c.values())
    print(
        f"  {len(disturbed)} of {len(c)} figures disturbed (over {TARGET:.0%} off the quiet runs), {marked} marked unstable; "
        f"disturbed but printed as steady: {len(shown_steady)}"
        + (f" ({', '.join(f'{k[0]} {k[2]} {c[k][MEDIAN] / a[k][MEDIAN]:.2f}x' for k in shown_steady)})" if shown_steady else "")
    )
    failed |= bool(shown_steady)
    print(f"files in {folder}")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
