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
            c = rows[op][b]
            total[b].update(c)
            total_s[b] += seconds[op, b]
            rate = f"{100 * c['ok'] / c['mapped']:.1f}%" if c["mapped"] else "-"
            cells += [
                str(c["mapped"]),
                f"{c['ok']} ({rate})",
                str(c["fail"]),
                str(c["xfail"]),
                str(c["not_implemented"]),
                f"{seconds[op, b]:.2f}",
            ]
        print("| " + " | ".join(cells) + " |")
    cells = ["**total**", str(sum(unmappable.values()))]
    for b in backends:
        c = total[b]
        rate = f"{100 * c['ok'] / c['mapped']:.2f}%" if c["mapped"] else "-"
        cells += [
            str(c["mapped"]),
            f"{c['ok']} ({rate})",
            str(c["fail"]),
            str(c["xfail"]),
            str(c["not_implemented"]),
            f"{total_s[b]:.1f}",
        ]
    print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
