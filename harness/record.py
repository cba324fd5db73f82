"""torch as the oracle: record expectations into the spec, and re-check them.

``spec record`` fills in the ``expected`` of every case that has none by
running torch (``harness.oracle``) and writes it back into the op's
YAML, keeping comments and layout (ruamel.yaml round trip). ``spec check``
re-derives every stored expectation live and lists each disagreement, and
checks the seed's printed outputs and recorded errata against torch.

Drift: spec/RECORDED.yaml names the torch that recorded the expectations. Under
another torch, ``spec check`` reports each expectation that differs as drift,
grouped by op, and fails on drift RECORDED.yaml does not list for that version;
``spec record --update`` re-records what differs and moves RECORDED.yaml to the
installed torch (docs/drift.md).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tensorparity.backends.neutral import NeutralSparse, NeutralTensor
from tensorparity.harness.cases import Case, expand_case
from tensorparity.harness.judge import compare, describe
from tensorparity.harness.oracle import TorchBackend, oracle
from tensorparity.harness.spec import CaseSpec, OpSpec, Spec
from tensorparity.harness.values import Raises, build_expected, expected_to_form


# --- record ------------------------------------------------------------------
def record(
    spec: Spec,
    op_ids: list[str] | None = None,
    overwrite: bool = False,
    update: bool = False,
    changes: list[Drift] | None = None,
) -> list[str]:
    """Write torch's expectation into every case lacking one; returns 'op[case, dtype]' of each.

    ``overwrite`` re-records every expectation. ``update`` re-records those the installed
    torch answers differently (beyond their tolerance), appending each to ``changes``;
    with every op updated it also moves spec/RECORDED.yaml to the installed torch.
    """
    yaml = yaml_writer()
    written = []
    torch_backend = TorchBackend()
    for op in spec.ops.values():
        if op_ids and op.op not in op_ids:
            continue
        document = yaml.load(op.path.read_text(encoding="utf-8"))
        changed = False
        for raw_case, case_spec in zip(document["cases"], op.cases):
            for case in expand_case(spec, op, case_spec):
                if case.expected is not None and not (overwrite or update):
                    continue
                live = oracle(case, torch_backend)
                if update and case.expected is not None:
                    if _disagreement(case.expected, live, case.tolerance) is None:
                        continue
                    if changes is not None:
                        changes.append(Drift(op.op, case.label, change(case.expected, live, case.tolerance)))
                form = flow_style(expected_to_form(live))
                if case_spec.swept:
                    raw_case.setdefault("expected", {})[case.dtype] = form
                else:
                    raw_case["expected"] = form
                written.append(case.label)
                changed = True
        if changed:
            with op.path.open("w", encoding="utf-8") as handle:
                yaml.dump(document, handle)
    if update and not op_ids:
        write_recorded(spec.root, torch_version())
    return written


def write_recorded(root: Path, version: str) -> None:
    """spec/RECORDED.yaml names ``version`` as the recording torch; drift accepted for it is gone."""
    path = root / "RECORDED.yaml"
    yaml = yaml_writer()
    document = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if document is None:
        from ruamel.yaml.comments import CommentedMap

        document = CommentedMap()
    document["torch"] = version
    drift = document.get("drift") or {}
    drift.pop(version, None)
    document["drift"] = drift
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)


def yaml_writer() -> Any:
    """A round-trip YAML writer: comments and key order survive, floats read back under YAML 1.1."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.width = 4096  # one line per expectation: clean diffs
    yaml.indent(mapping=2, sequence=4, offset=2)  # the spec's own "  - item" style
    yaml.preserve_quotes = True
    yaml.representer.add_representer(float, _represent_float)
    return yaml


def _represent_float(representer: Any, value: float) -> Any:
    # PyYAML (YAML 1.1) reads 1e-45 as a string: exponent forms always get a dot.
    if value != value:
        text = ".nan"
    elif value in (float("inf"), float("-inf")):
        text = ".inf" if value > 0 else "-.inf"
    else:
        text = repr(value)
        if "e" in text and "." not in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


def flow_style(form: Any) -> Any:
    """An expectation form laid out as the spec writes it: one line per tensor expectation ({dtype: .., shape: .., value: ..}); nesting in block style."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(form, dict):
        mapping = CommentedMap((key, flow_style(value)) for key, value in form.items())
        if form.keys() & {"value", "raises", "python", "real"}:
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(form, list):
        sequence = CommentedSeq(flow_style(item) for item in form)
        if not any(isinstance(item, dict) for item in form):
            sequence.fa.set_flow_style()
        return sequence
    return form


# --- check -------------------------------------------------------------------
@dataclass(frozen=True)
class Drift:
    """One stored expectation that another torch version answers differently."""

    op: str
    label: str  # op[case, dtype]
    change: str  # how it changed, in one line
    known: bool = False  # listed in spec/RECORDED.yaml's drift for this torch version
    kind: str = ""  # kind_of_change()


@dataclass(frozen=True)
class CheckReport:
    disagreements: list[str]  # stored expectation or seed print vs torch: each is a failure
    errata: list[str]  # the seed's recorded mistakes, confirmed against torch
    stale_errata: list[str]  # errata torch no longer contradicts: each is a failure
    checked: int
    drift: list[Drift] = field(default_factory=list)  # under a torch other than the recording one
    recorded_torch: str | None = None  # spec/RECORDED.yaml's version
    live_torch: str = ""  # the torch checked against (local build tag dropped)

    @property
    def new_drift(self) -> list[Drift]:
        return [entry for entry in self.drift if not entry.known]

    @property
    def ok(self) -> bool:
        return not self.disagreements and not self.stale_errata and not self.new_drift


def torch_version() -> str:
    """The installed torch's version without its local build tag: ``2.13.0+cpu`` is ``2.13.0``."""
    import torch

    return torch.__version__.split("+")[0]


def _exact(dtype: str) -> tuple[float, float]:
    return (0.0, 0.0)


def check(spec: Spec) -> CheckReport:
    disagreements, errata, stale, drift = [], [], [], []
    checked = 0
    torch_backend = TorchBackend()
    live_torch = torch_version()
    recorded = spec.recorded
    drifting = recorded is not None and recorded.torch != live_torch  # differences are drift, not disagreements
    accepted = set(recorded.drift.get(live_torch, ())) if recorded is not None else set()
    for op in spec.ops.values():
        for case_spec in op.cases:
            cases = expand_case(spec, op, case_spec)
            for case in cases:
                checked += 1
                live = oracle(case, torch_backend)
                problem = _disagreement(case.expected, live, case.tolerance)
                if problem and drifting:
                    drift.append(
                        Drift(
                            op.op,
                            case.label,
                            change(case.expected, live, case.tolerance),
                            case.label in accepted,
                            kind_of_change(case.expected, live),
                        )
                    )
                elif problem:
                    disagreements.append(f"{op.path.name}: {case.label}: stored expectation vs torch: {problem}")
            live = oracle(cases[0], torch_backend)
            disagreements += _check_seed_print(op, case_spec, cases[0], live)
            for erratum in case_spec.errata:
                line = f"§{case_spec.section or op.section} {op.op}[{case_spec.name}]: the seed says {erratum.claim!r}"
                if _claim_holds(erratum.says, live):
                    stale.append(f"{op.path.name}: {line}, and torch agrees: not an erratum")
                else:
                    errata.append(f"{line}; torch gives {_summarize(live, erratum.says)}")
    for entry in spec.dtype_errata:
        errata.append(f"§{entry['section']} dtypes: the seed says {entry['claim']!r}; {entry['truth']}")
    return CheckReport(disagreements, errata, stale, checked, drift, recorded.torch if recorded else None, live_torch)


def kind_of_change(stored: Any, live: Any) -> str:
    """The kind of a change, for the summary: ``raises RuntimeError → NotImplementedError``, ``value changed``..."""
    if isinstance(stored, Raises) and isinstance(live, Raises):
        return f"raises {stored.error} → raises {live.error}"
    if isinstance(stored, Raises):
        return f"raises {stored.error} → returns a value"
    if isinstance(live, Raises):
        return f"returns a value → raises {live.error}"
    return "value changed"


def change(stored: Any, live: Any, tolerance: Any) -> str:
    """How torch's live answer differs from the stored one, in one line."""
    if isinstance(stored, Raises) and isinstance(live, Raises):
        return f"raised {stored.error}, now raises {live.error}: {_short(live.message)}"
    if isinstance(stored, Raises):
        return f"raised {stored.error}, now returns {describe(live)}"
    if isinstance(live, Raises):
        return f"returned {describe(stored)}, now raises {live.error}: {_short(live.message)}"
    difference = compare(stored, live, tolerance)
    # the judge's words: "shape (3,), expected (4,)" is the live answer, then the recorded one
    return f"now {difference.message} by the recording" if difference else "equal within tolerance"


def _short(message: str, limit: int = 120) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def drift_lines(report: CheckReport) -> list[str]:
    """The drift, grouped by op, as ``spec check`` prints it."""
    if not report.drift:
        return []
    known = len(report.drift) - len(report.new_drift)
    lines = [
        f"drift: {len(report.drift)} expectations differ from torch {report.recorded_torch}'s recording"
        f" under torch {report.live_torch} ({known} of them listed in spec/RECORDED.yaml, {len(report.new_drift)} not)"
    ]
    for op, entries in _by_op(report.drift).items():
        lines.append(f"  {op}: {len(entries)}")
        lines += [f"    {'known ' if e.known else 'DRIFT '}{e.label}: {e.change}" for e in entries]
    return lines


def _by_op(entries: list[Drift]) -> dict[str, list[Drift]]:
    grouped: dict[str, list[Drift]] = {}
    for entry in entries:
        grouped.setdefault(entry.op, []).append(entry)
    return dict(sorted(grouped.items()))


def drift_markdown(report: CheckReport, command: str) -> str:
    """The drift as a Markdown page (docs/drift.md): what changed, op by op, with the command and date."""
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"# Drift: torch {report.recorded_torch} → torch {report.live_torch}",
        "",
        f"The spec's expectations were recorded with torch {report.recorded_torch} (spec/RECORDED.yaml).",
        f"Re-derived under torch {report.live_torch}, {len(report.drift)} of {report.checked} differ.",
        "",
        f"Produced by `{command}` on {today}.",
        "",
        "A value change reads as the judge words it: `now shape (3,), expected (4,)` is torch"
        f" {report.live_torch}'s answer, then the recorded one. To accept drift without re-recording, list its labels under"
        f" `drift: {{'{report.live_torch}': [...]}}` in spec/RECORDED.yaml; to move the spec to torch {report.live_torch},"
        " run `tensorparity spec record --update` under it.",
        "",
        "| op | expectations that differ |",
        "| --- | --- |",
    ]
    grouped = _by_op(report.drift)
    out += [f"| {op} | {len(entries)} |" for op, entries in grouped.items()]
    kinds: dict[str, int] = {}
    for entry in report.drift:
        kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
    out += ["", "| kind of change | expectations |", "| --- | --- |"]
    out += [f"| {kind} | {count} |" for kind, count in sorted(kinds.items(), key=lambda item: -item[1])]
    for op, entries in grouped.items():
        out += ["", f"## {op}", ""]
        out += [f"- `{e.label}`{' (known)' if e.known else ''}: {e.change.replace('|', '/')}" for e in entries]
    return "\n".join(out) + "\n"


def _disagreement(stored: Any, live: Any, tolerance: Any) -> str | None:
    if isinstance(stored, Raises) or isinstance(live, Raises):
        if isinstance(stored, Raises) and isinstance(live, Raises):
            return None if stored.error == live.error else f"raises {stored.error}, torch raises {live.error}"
        return f"stored {_kind(stored)}, torch gives {_kind(live)}"
    difference = compare(stored, live, tolerance)
    return difference.message if difference else None


def _kind(value: Any) -> str:
    return f"a raise of {value.error}" if isinstance(value, Raises) else "a value"


def _check_seed_print(op: OpSpec, case_spec: CaseSpec, case: Case, live: Any) -> list[str]:
    """The seed's printed output must agree with torch to the digits it prints."""
    if case_spec.seed_prints is None:
        return []
    decimals = case_spec.seed_decimals
    printed = build_expected(case_spec.seed_prints, "seed.prints")
    atol = 0.0 if decimals is None else 0.5 * 10.0**-decimals + 1e-12
    difference = compare(printed, live, lambda dtype: (0.0, atol))
    if difference is None:
        return []
    return [f"{op.path.name}: {case.label}: the seed prints a different output than torch: {difference.message}"]


def _claim_holds(says: dict, live: Any) -> bool:
    """Does torch's live output agree with the keys the seed's claim names?"""
    if "size" in says:
        return isinstance(live, NeutralSparse) and list(live.size) == list(says["size"])
    if "shape" in says:
        return isinstance(live, NeutralTensor) and list(live.shape) == list(says["shape"])
    if "dtype" in says:
        return isinstance(live, NeutralTensor) and live.dtype == says["dtype"]
    if "value" in says:
        return isinstance(live, NeutralTensor) and np.array_equal(live.values(), np.array(says["value"]))
    return False


def _summarize(live: Any, says: dict) -> str:
    if isinstance(live, NeutralSparse):
        return f"size {tuple(live.size)}"
    if isinstance(live, NeutralTensor):
        return f"shape {tuple(live.shape)}, dtype {live.dtype}" if "value" not in says else f"{live.values().tolist()}"
    return repr(live)


def spec_files(spec: Spec) -> list[Path]:
    return [op.path for op in spec.ops.values()]
