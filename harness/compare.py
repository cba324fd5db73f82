"""``tensorparity bench --compare OLD.json NEW.json``: two bench runs side by side, as ``asv compare``.

Per op, size and backend: the ratio of the medians new / old, and whether the change is
beyond the two runs' noise. A change counts when the ratio passes ``factor`` (or 1/factor)
*and* the interquartile ranges of the two figures do not overlap; a figure marked unstable
in either run is shown (``~``) but never counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_FACTOR = 1.1


class CompareError(ValueError):
    """A file that is not a ``tensorparity bench --json`` file."""


@dataclass(frozen=True)
class Change:
    op: str
    size: int
    backend: str
    old_s: float | None
    new_s: float | None
    ratio: float | None  # new / old
    mark: str  # "+" slower, "-" faster, "~" unstable, "x" not comparable, "" unchanged
    note: str = ""


def read(path: Path) -> tuple[dict[str, Any], dict[tuple[str, int, str], dict[str, Any]]]:
    """(environment, (op, size, backend) -> record) of a ``bench --json`` file."""
    try:
        document = json.loads(Path(path).read_text())
        records = {(r["op"], int(r["size"]), r["backend"]): r for r in document["results"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CompareError(f"{path}: not a tensorparity bench --json file ({error})") from None
    return document.get("environment", {}), records


def _stable(record: dict[str, Any]) -> bool:
    if record.get("stable") is not None:
        return bool(record["stable"])
    median = record.get("median_s") or 0.0  # schema 1: no flag, judge by the interquartile range
    return bool(median) and (record["q3_s"] - record["q1_s"]) / median <= 0.10


def compare(
    old: dict[tuple[str, int, str], dict[str, Any]], new: dict[tuple[str, int, str], dict[str, Any]], factor: float = DEFAULT_FACTOR
) -> list[Change]:
    changes = []
    for key in [k for k in new if k in old] + [k for k in old if k not in new]:
        op, size, backend = key
        before, after = old.get(key), new.get(key)
        if before is None or after is None or before["status"] != "ok" or after["status"] != "ok":
            status = lambda r: r["status"] if r else "absent"  # noqa: E731
            if before and after and before["status"] == after["status"]:
                continue  # n/a in both: nothing to compare
            changes.append(Change(op, size, backend, None, None, None, "x", f"{status(before)} -> {status(after)}"))
            continue
        ratio = after["median_s"] / before["median_s"]
        if not (_stable(before) and _stable(after)):
            mark = "~"
        elif ratio > factor and after["q1_s"] > before["q3_s"]:
            mark = "+"
        elif ratio < 1 / factor and after["q3_s"] < before["q1_s"]:
            mark = "-"
        else:
            mark = ""
        changes.append(Change(op, size, backend, before["median_s"], after["median_s"], ratio, mark))
    return changes


def render(changes: list[Change], old_env: dict[str, Any], new_env: dict[str, Any], factor: float, everything: bool = True) -> str:
    """The comparison table (every figure, or only the marked ones) and a summary line."""
    from tensorparity.harness.bench import format_time

    lines = []
    for name in ("torch_threads", "threads_requested", "blas_core_type", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "cpus", "numpy", "torch"):
        if old_env.get(name) != new_env.get(name):
            lines.append(f"note: {name} differs: {old_env.get(name)} -> {new_env.get(name)}")
    table = [["", "op", "size", "backend", "old", "new", "new/old"]]
    for c in changes:
        if everything or c.mark:
            ratio = f"{c.ratio:.2f}" if c.ratio is not None else c.note
            table.append([c.mark, c.op, str(c.size), c.backend, format_time(c.old_s) if c.old_s else "", format_time(c.new_s) if c.new_s else "", ratio])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        lines.append("  ".join(cell.ljust(w) if i < 4 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
    count = {mark: sum(c.mark == mark for c in changes) for mark in "+-~x"}
    worst = max((c for c in changes if c.ratio and c.mark in ("", "+", "-")), key=lambda c: abs(c.ratio - 1), default=None)
    summary = (
        f"{count['+']} slower, {count['-']} faster (by more than {factor:g}x and beyond the runs' noise), "
        f"{count['~']} unstable, {count['x']} not comparable, of {len(changes)}"
    )
    if worst is not None:
        summary += f"; largest steady change {worst.op}[{worst.size}] {worst.backend} {worst.ratio:.2f}"
    lines.append(summary)
    lines.append("marks: + slower, - faster, ~ unstable in either run (not judged), x not comparable")
    return "\n".join(lines)


def main(old_path: Path, new_path: Path, factor: float = DEFAULT_FACTOR, everything: bool = True) -> tuple[str, int]:
    """(the report, the exit status: 1 when any steady figure got slower, else 0)."""
    old_env, old = read(old_path)
    new_env, new = read(new_path)
    changes = compare(old, new, factor)
    return render(changes, old_env, new_env, factor, everything), int(any(c.mark == "+" for c in changes))
