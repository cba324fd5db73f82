"""The figures of an OpInfo run for docs/opinfo.md: per op, samples, mapped, passed, time.

    tensorparity run --suite opinfo --backend numpy --backend python --json opinfo.json
    python tools/opinfo_figures.py opinfo.json

Prints Markdown tables: one row per op (and a total) with, per backend, the mapped
samples that conform (pass or raise as torch), those that fail, the declared
differences (xfail), the gaps (not implemented) and the time spent in the backend.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict

CONFORM = {"pass", "raises_as_torch"}
FAILING = {"mismatch", "error", "xpass", "timeout", "crash"}


def main(path: str) -> None:
    document = json.loads(open(path, encoding="utf-8").read())
    info = document.get("opinfo", {})
    results = [r for r in document["results"] if r.get("suite") == "opinfo"]
    backends = list(dict.fromkeys(r["backend"] for r in results))
    unmappable = Counter(u["op"] for u in info.get("unmappable", []))
    rows: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    seconds: dict[tuple[str, str], float] = defaultdict(float)
    for r in results:
        bucket = "ok" if r["outcome"] in CONFORM else "fail" if r["outcome"] in FAILING else r["outcome"]
        rows[r["op"]][r["backend"]][bucket] += 1
        rows[r["op"]][r["backend"]]["mapped"] += 1
        seconds[r["op"], r["backend"]] += r.get("duration_s") or 0.0
    print(
        f"torch {info.get('torch', '?')}: {info.get('samples', '?')} samples, {info.get('mapped', '?')} mapped,"
        f" {len(info.get('unmappable', []))} unmappable, {info.get('skipped_large', 0)} over --max-numel"
    )
    print()
    head = "| op | unmappable | " + " | ".join(f"{b}: mapped | pass | fail | xfail | n/i | s" for b in backends) + " |"
    print(head)
    print("|" + " --- |" * (2 + 6 * len(backends)))
    total: dict[str, Counter] = defaultdict(Counter)
    total_s: dict[str, float] = defaultdict(float)
    for op in sorted(rows):
        cells = [op, str(unmappable.get(op, 0))]
        for b in backends:
            total[b].update(rows[op][b])
            total_s[b] += seconds[op, b]
            cells += _cells(rows[op][b], seconds[op, b], rate_digits=1, seconds_digits=2)
        print("| " + " | ".join(cells) + " |")
    cells = ["**total**", str(sum(unmappable.values()))]
    for b in backends:
        cells += _cells(total[b], total_s[b], rate_digits=2, seconds_digits=1)
    print("| " + " | ".join(cells) + " |")


def _cells(counts: Counter, seconds: float, rate_digits: int, seconds_digits: int) -> list[str]:
    """One backend's columns: mapped, pass (share), fail, xfail, not implemented, seconds."""
    rate = f"{100 * counts['ok'] / counts['mapped']:.{rate_digits}f}%" if counts["mapped"] else "-"
    return [
        str(counts["mapped"]),
        f"{counts['ok']} ({rate})",
        str(counts["fail"]),
        str(counts["xfail"]),
        str(counts["not_implemented"]),
        f"{seconds:.{seconds_digits}f}",
    ]

if __name__ == "__main__":
    main(sys.argv[1])
