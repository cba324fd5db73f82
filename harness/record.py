"""torch as the oracle: record expectations into the spec, and re-check them.

``spec record`` fills in the ``expected`` of every case that has none by
running torch (``harness.oracle``) and writes it back into the op's
YAML, keeping comments and layout (ruamel.yaml round trip). ``spec check``
re-derives every stored expectation live and lists each disagreement, and
checks the seed's printed outputs and recorded errata against torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tensorparity.backends.neutral import NeutralSparse, NeutralTensor
from tensorparity.harness.cases import Case, expand_case
from tensorparity.harness.judge import compare
from tensorparity.harness.oracle import TorchBackend, oracle
from tensorparity.harness.spec import CaseSpec, OpSpec, Spec
from tensorparity.harness.values import Raises, build_expected, expected_to_form


# --- record ------------------------------------------------------------------
def record(spec: Spec, op_ids: list[str] | None = None, overwrite: bool = False) -> list[str]:
    """Write torch's expectation into every case lacking one; returns 'op[case, dtype]' of each."""
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
                if case.expected is not None and not overwrite:
                    continue
                form = flow_style(expected_to_form(oracle(case, torch_backend)))
                if case_spec.swept:
                    raw_case.setdefault("expected", {})[case.dtype] = form
                else:
                    raw_case["expected"] = form
                written.append(case.label)
                changed = True
        if changed:
            with op.path.open("w", encoding="utf-8") as handle:
                yaml.dump(document, handle)
    return written


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
class CheckReport:
    disagreements: list[str]  # stored expectation or seed print vs torch: each is a failure
    errata: list[str]  # the seed's recorded mistakes, confirmed against torch
    stale_errata: list[str]  # errata torch no longer contradicts: each is a failure
    checked: int

    @property
    def ok(self) -> bool:
        return not self.disagreements and not self.stale_errata


def _exact(dtype: str) -> tuple[float, float]:
    return (0.0, 0.0)


def check(spec: Spec) -> CheckReport:
    disagreements, errata, stale = [], [], []
    checked = 0
    torch_backend = TorchBackend()
    for op in spec.ops.values():
        for case_spec in op.cases:
            cases = expand_case(spec, op, case_spec)
            for case in cases:
                checked += 1
                live = oracle(case, torch_backend)
                problem = _disagreement(case.expected, live, case.tolerance)
                if problem:
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
    return CheckReport(disagreements, errata, stale, checked)


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
