"""Compare a run with an earlier one (``--baseline OLD.json``): regressions, fixed, still failing.

Results are matched by ``Result.key`` (op, case, dtype, backend). A *regression* fails
now and did not fail in the baseline (or was not in it); *fixed* failed in the baseline
and does not fail now; *still failing* fails in both. A result in the baseline whose case
did not run now is left out: a run of one op says nothing about the others. Only
regressions fail a run that has a baseline.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tensorparity.harness.results import Result, read_results


class BaselineError(ValueError):
    """A baseline file that cannot be read; the message is one line naming it."""


@dataclass
class Changes:
    regressions: list[Result] = field(default_factory=list)  # the new results
    fixed: list[Result] = field(default_factory=list)  # the new results
    still_failing: list[Result] = field(default_factory=list)  # the new results
    baseline: str = ""

    def by_op(self) -> dict[str, dict[str, list[Result]]]:
        """op -> {"regressions"|"fixed"|"still_failing": results}, ops in first-seen order."""
        table: dict[str, dict[str, list[Result]]] = defaultdict(lambda: {"regressions": [], "fixed": [], "still_failing": []})
        for what in ("regressions", "fixed", "still_failing"):
            for result in getattr(self, what):
                table[result.op][what].append(result)
        return dict(table)

    def lines(self) -> list[str]:
        """The terminal's account: a count line, then every regression and every fix, per op."""
        out = [
            f"against {self.baseline}: {len(self.regressions)} regressions, {len(self.fixed)} fixed, "
            f"{len(self.still_failing)} still failing"
        ]
        for op, groups in self.by_op().items():
            counts = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in groups.items() if v)
            out.append(f"  {op}: {counts}")
            out += [f"    REGRESSION {r.line()}" for r in groups["regressions"]]
            out += [f"    fixed {r.op}[{r.case}, {r.dtype}] {r.backend}: now {r.outcome}" for r in groups["fixed"]]
        return out


def load(path: Path) -> list[Result]:
    """The results of a baseline file (a results JSON document); BaselineError when it is not one."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"--baseline {path}: no such file") from None
    except OSError as error:
        raise BaselineError(f"--baseline {path}: cannot read: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError):
        raise BaselineError(f"--baseline {path}: not a results JSON file (tensorparity run --json)") from None
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        raise BaselineError(f"--baseline {path}: not a results JSON file: it has no 'results' list")
    return read_results(path)


def compare(old: list[Result], new: list[Result], baseline: str = "") -> Changes:
    """What changed from ``old`` to ``new``."""
    before = {result.key: result for result in old}
    changes = Changes(baseline=baseline)
    for result in new:
        previous = before.get(result.key)
        was_failing = previous is not None and previous.failed
        if result.failed:
            (changes.still_failing if was_failing else changes.regressions).append(result)
        elif was_failing:
            changes.fixed.append(result)
    return changes


def changes_document(changes: Changes) -> dict:
    """The changes as JSON, for the results document (``baseline`` key)."""
    return {
        "file": changes.baseline,
        "regressions": [list(r.key) for r in changes.regressions],
        "fixed": [list(r.key) for r in changes.fixed],
        "still_failing": len(changes.still_failing),
    }
