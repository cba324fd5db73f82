"""torch's own OpInfo samples as a suite: ``tensorparity run --suite opinfo``.

torch's test suite describes each op by an ``OpInfo`` (``torch.testing._internal``),
whose ``sample_inputs``, ``reference_inputs`` and ``error_inputs`` generate the
inputs torch tests itself with. This module turns those of every OpInfo that
maps to a spec op into ordinary ``Case``s: the inputs as neutral values in the
spec op's signature, the expectation torch's live answer (through the torch
backend, on the very neutral inputs a backend gets), the tolerances of the
spec's dtype table and op file. The runner and the judge take them as they
take the spec's own cases; each result names its suite (``Result.suite``).

A sample the spec's signatures cannot express (a keyword the spec op lacks, a
tensor where the spec takes a number, a dtype outside the spec's table, a
sparse or a non-CPU tensor ...) is not run: it is counted and listed as
*unmappable*, with the reason, never as a failure.

Samples are generated with torch's RNG seeded from the OpInfo's name, variant
and dtype, so a selection of ops or dtypes draws the same samples as a full run.

``torch.testing._internal`` is private and imports ``expecttest``: both are
needed only here (``pip install -e ".[opinfo]"``), and the torch versions it was
written against are checked (``SUPPORTED_TORCH``).

Over 400 lines as one idea: mapping each OpInfo sample onto a spec signature; the mapping rules read best side by side.
"""

from __future__ import annotations

import math
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tensorparity.backends.neutral import NeutralTensor
from tensorparity.harness.cases import Case, select_ops
from tensorparity.harness.spec import OpSpec, Spec, first_dtype

SUITES = ("spec", "opinfo")
SUPPORTED_TORCH = ((2, 4), (2, 15))  # the oldest and newest minor versions this mapping was checked against
KINDS = ("sample", "reference", "error")

# OpInfo name -> spec op id. Every variant of a named OpInfo maps (div's rounding
# modes, pad's modes); OpInfos of other names (true_divide, floor_divide ...) are not run.
OPINFO_TO_SPEC = {
    "add": "add",
    "sub": "sub",
    "mul": "mul",
    "div": "div",
    "mm": "mm",
    "bmm": "bmm",
    "transpose": "transpose",
    "arange": "arange",
    "exp": "exp",
    "cat": "cat",
    "view": "view",
    "reshape": "reshape",
    "gt": "gt",
    "lt": "lt",
    "linalg.det": "det",
    "full": "full",
    "masked_select": "masked_select",
    "vsplit": "vsplit",
    "repeat": "repeat",
    "cumprod": "cumprod",
    "permute": "permute",
    "where": "where",
    "nn.functional.pad": "pad",
    "argmax": "argmax",
    "pow": "pow",
}
SKIPPED_VARIANTS = {("bmm", "triton_optimized")}  # a GPU kernel's samples
DROPPED_KWARGS = {"device": "cpu", "requires_grad": False}  # the values samples pass that change nothing on CPU


class OpInfoUnavailable(Exception):
    """torch's OpInfo database cannot be used here; the message says why, in one line."""


class Unmappable(Exception):
    """A sample the spec's signature cannot express; the message says what."""


@dataclass(frozen=True)
class UnmappableSample:
    op: str  # the spec op
    opinfo: str  # OpInfo name and variant
    kind: str  # sample, reference or error
    dtype: str
    index: int
    reason: str

    def line(self) -> str:
        return f"{self.op}[{self.opinfo} {self.kind} {self.index}, {self.dtype}]: {self.reason}"


@dataclass
class OpInfoSuite:
    """The cases built from OpInfo samples, and what could not be built."""

    cases: list[Case] = field(default_factory=list)
    unmappable: list[UnmappableSample] = field(default_factory=list)
    samples: int = 0
    skipped_large: int = 0  # over --max-numel
    seconds: float = 0.0
    torch_version: str = ""

    def summary(self) -> str:
        reasons = Counter(u.reason.split(":")[0] for u in self.unmappable)
        top = "; ".join(f"{reason} ({count})" for reason, count in reasons.most_common(6))
        capped = f", {self.skipped_large} over --max-numel left out" if self.skipped_large else ""
        return (
            f"opinfo suite (torch {self.torch_version}): {self.samples} samples, {len(self.cases)} mapped,"
            f" {len(self.unmappable)} unmappable{capped}, built in {self.seconds:.1f} s"
            + (f"\n  unmappable: {top}" if top else "")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "torch": self.torch_version,
            "samples": self.samples,
            "mapped": len(self.cases),
            "skipped_large": self.skipped_large,
            "unmappable": [u.__dict__ for u in self.unmappable],
        }


# --- the OpInfo database ------------------------------------------------------
def opinfo_database() -> list[Any]:
    """torch's ``op_db``, or OpInfoUnavailable with the fix in one line."""
    import torch

    version = tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2])
    if not SUPPORTED_TORCH[0] <= version:
        raise OpInfoUnavailable(
            f"--suite opinfo needs torch >= {'.'.join(map(str, SUPPORTED_TORCH[0]))} (OpInfo's sample functions), found {torch.__version__}"
        )
    try:
        from torch.testing._internal.common_methods_invocations import op_db
    except ImportError as error:
        raise OpInfoUnavailable(
            f'--suite opinfo needs torch\'s test internals and expecttest: pip install -e ".[opinfo]" ({error})'
        ) from None
    return op_db


def _seed(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode())


# --- samples -> cases ----------------------------------------------------------
def build_suite(
    spec: Spec,
    op_patterns: list[str] | None = None,
    *,
    max_numel: int | None = None,
    dtypes: list[str] | None = None,
    kinds: tuple[str, ...] = KINDS,
) -> OpInfoSuite:
    """Every OpInfo sample of the selected spec ops as a case, judged against torch's live answer."""
    import torch
    from tensorparity.harness.oracle import TorchBackend

    started = time.perf_counter()
    database = opinfo_database()
    selected = {op.op: op for op in select_ops(spec, op_patterns)}
    suite = OpInfoSuite(torch_version=torch.__version__)
    oracle_backend = TorchBackend()
    torch_dtypes = {name: getattr(torch, name) for name in spec.dtypes if hasattr(torch, name)}
    for info in database:
        op_id = OPINFO_TO_SPEC.get(info.name)
        if op_id not in selected or (info.name, info.variant_test_name) in SKIPPED_VARIANTS:
            continue
        op = selected[op_id]
        label = info.name + (f".{info.variant_test_name}" if info.variant_test_name else "")
        supported = info.supported_dtypes("cpu")
        for dtype, torch_dtype in torch_dtypes.items():
            if torch_dtype not in supported or (dtypes and dtype not in dtypes):
                continue
            for kind in kinds:
                if kind == "error":
                    continue
                for index, sample in _generate(info, kind, torch_dtype, label, dtype):
                    _add(suite, spec, op, info, label, kind, dtype, index, sample, None, oracle_backend, max_numel)
        if "error" in kinds and (not dtypes or "float32" in dtypes):
            for index, error_input in _generate(info, "error", None, label, "none"):
                sample = getattr(error_input, "sample_input", error_input)
                _add(suite, spec, op, info, label, "error", None, index, sample, error_input, oracle_backend, max_numel)
    suite.seconds = time.perf_counter() - started
    return suite


def _generate(info: Any, kind: str, torch_dtype: Any, label: str, dtype: str) -> Iterator[tuple[int, Any]]:
    """(index, sample) of one OpInfo generator, seeded; a generator that fails yields nothing more."""
    import torch

    torch.manual_seed(_seed(label, kind, dtype))
    np.random.seed(_seed(label, kind, dtype) % 2**32)
    try:
        if kind == "sample":
            samples = info.sample_inputs("cpu", torch_dtype, requires_grad=False)
        elif kind == "reference":
            if not info.reference_inputs_func:
                return
            samples = info.reference_inputs("cpu", torch_dtype, requires_grad=False)
        else:
            if not info.error_inputs_func:
                return
            samples = info.error_inputs("cpu")
        yield from enumerate(samples)
    except Exception:  # a sample function that fails on this torch: what it yielded so far stands
        return


def _add(suite, spec, op, info, label, kind, dtype, index, sample, error_input, oracle_backend, max_numel) -> None:
    from tensorparity.harness.oracle import oracle

    suite.samples += 1
    where = (op.op, label, kind, dtype or "none", index)
    try:
        args, kwargs = map_sample(op, info.name, sample)
        if max_numel is not None and _largest(args, kwargs) > max_numel:
            suite.skipped_large += 1
            return
        filed = dtype or first_dtype((args, kwargs)) or "none"
        name = f"opinfo.{label.replace('nn.functional.', '').replace('linalg.', '')}.{kind}.{index}"
        tolerances = {n: (d.rtol, d.atol) for n, d in spec.dtypes.items()}
        tolerances.update(op.tolerance)
        xfails = tuple(x for x in op.xfails if not x.cases) + declared_xfails(op.op)
        case = Case(op.op, name, filed, None, args, kwargs, None, tolerances, xfails, op.path, suite="opinfo")
        expected = oracle(case, oracle_backend)
        _check_replay(info, sample, error_input, expected, kind)
    except Unmappable as reason:
        suite.unmappable.append(UnmappableSample(where[0], where[1], where[2], where[3], where[4], str(reason)))
        return
    suite.cases.append(Case(op.op, name, filed, None, args, kwargs, expected, tolerances, xfails, op.path, suite="opinfo"))


def _check_replay(info: Any, sample: Any, error_input: Any, expected: Any, kind: str) -> None:
    """torch on the neutral inputs must answer as torch on the sample itself: raise as it raises."""
    from tensorparity.harness.values import Raises

    if isinstance(expected, Raises) and expected.error in ("ConversionFailed", "UnsupportedDtype", "NotImplementedOp"):
        raise Unmappable(f"the torch backend cannot replay it: {expected.error}")
    try:
        info.op(sample.input, *sample.args, **sample.kwargs)
        raised = None
    except Exception as error:
        raised = error
    if (raised is None) != (not isinstance(expected, Raises)):
        what = f"raises {type(raised).__name__}" if raised is not None else "computes"
        raise Unmappable(f"torch {what} on the sample but not on its neutral form")


def _largest(*values: Any) -> int:
    """The element count of the largest tensor among ``values`` (nested in lists, tuples, dicts)."""
    largest = 0
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, NeutralTensor):
            largest = max(largest, math.prod(value.shape))
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return largest


# Differences torch's samples show that are declared, not bugs to fix: (op, backend, dtypes, reason). Non-strict
# xfails: a sample that differs is xfail with the reason, one that agrees stays a pass.
DECLARED = [
    (
        "mul",
        None,
        ("complex64",),
        "torch's complex64 products that overflow depend on which of its CPU code paths takes each element (vectorized"
        " kernel or scalar remainder, FMA-contracted or not), by length and layout; a backend follows one of them"
        " (spec: mul[complex_overflow])",
    ),
    (
        "pow",
        "python",
        ("complex64",),
        "the pure-Python backend computes complex pow in double (cmath) and rounds once; torch's complex64 pow computes"
        " exp(b * log(a)) in float32 and differs by 2-4e-6 relative on some samples, beyond complex64's rtol of 1.3e-6",
    ),
]


def declared_xfails(op: str) -> tuple:
    from tensorparity.harness.spec import Xfail

    return tuple(Xfail(reason, backend, dtypes, (), strict=False) for name, backend, dtypes, reason in DECLARED if name == op)


def map_sample(op: OpSpec, opinfo_name: str, sample: Any) -> tuple[tuple, dict]:
    """(args, kwargs) for the spec op from an OpInfo SampleInput; Unmappable where the signature cannot say it."""
    positional = [sample.input, *sample.args]
    kwargs = dict(sample.kwargs)
    for name, harmless in DROPPED_KWARGS.items():
        if name in kwargs and (kwargs[name] == harmless or str(kwargs[name]) == str(harmless)):
            del kwargs[name]
    if opinfo_name == "where":  # OpInfo's where is lambda self, condition, other: torch.where(condition, self, other)
        if len(positional) != 3:
            raise Unmappable("where without condition and other")
        positional = [positional[1], positional[0], positional[2]]
    if opinfo_name in ("view", "repeat") and len(positional) == 2 and isinstance(positional[1], (tuple, list)) and positional[1]:
        positional = [positional[0], *positional[1]]  # x.view(shape): the spec's variadic *shape
    params = {p.name: p for p in op.params}
    fixed = [p for p in op.params if not p.keyword_only and not p.variadic]
    variadic = next((p for p in op.params if p.variadic), None)
    if len(positional) > len(fixed) and variadic is None:
        raise Unmappable(f"{len(positional)} positional arguments, the spec's signature takes {len(fixed)}")
    for name in kwargs:
        if name not in params:
            raise Unmappable(f"keyword {name!r} is not in the spec's signature")
    args = tuple(
        to_neutral(value, fixed[i] if i < len(fixed) else variadic, f"argument {i}") for i, value in enumerate(positional)
    )
    mapped = {name: to_neutral(value, params[name], name) for name, value in kwargs.items()}
    return args, mapped


def to_neutral(value: Any, param: Any, where: str) -> Any:
    """A sample's value as the spec's input forms build it: tensors neutral, sizes tuples, dtypes names."""
    import torch

    kind = param.kind if param is not None else ""
    if isinstance(value, torch.Tensor):
        if kind not in ("tensor", "tensor_or_scalar", "tensors"):
            raise Unmappable(f"a tensor as {param.name if param else where} ({kind})")
        return tensor_to_neutral(value)
    if isinstance(value, torch.dtype):
        name = str(value).removeprefix("torch.")
        if name not in _dtype_names():
            raise Unmappable(f"dtype {name} is not in the spec's table")
        return name
    if isinstance(value, (torch.Size, list, tuple)):
        return tuple(to_neutral(item, param, where) if not _plain(item) else item for item in value)
    if value is None or isinstance(value, (bool, int, float, complex, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    raise Unmappable(f"a {type(value).__name__} as {param.name if param else where}")


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, complex, str))


def _dtype_names() -> set[str]:
    from tensorparity.backends.neutral import STORAGE

    return set(STORAGE)


def tensor_to_neutral(tensor: Any) -> NeutralTensor:
    """A torch tensor as a NeutralTensor that keeps its values, dtype and strides (a non-contiguous sample stays so)."""
    import ml_dtypes
    import torch

    if tensor.layout != torch.strided:
        raise Unmappable(f"a {str(tensor.layout).removeprefix('torch.')} tensor")
    if tensor.device.type != "cpu":
        raise Unmappable(f"a tensor on {tensor.device}")
    tensor = tensor.detach().resolve_conj().resolve_neg()
    dtype = str(tensor.dtype).removeprefix("torch.")
    if dtype not in _dtype_names() or tensor.is_quantized:
        raise Unmappable(f"dtype {dtype} is not in the spec's table")
    if any(stride < 0 for stride in tensor.stride()) or (tensor.numel() > 1 and 0 in tensor.stride()):
        tensor = tensor.contiguous()  # expanded (stride 0) inputs: their values, contiguous
    if dtype == "bfloat16":
        view = tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    elif dtype == "complex32":
        view = torch.view_as_real(tensor).numpy() if tensor.numel() else np.zeros((*tensor.shape, 2), np.float16)
    else:
        view = tensor.numpy()
    return NeutralTensor(_copy_keeping_strides(view), dtype)


def _copy_keeping_strides(view: np.ndarray) -> np.ndarray:
    if view.ndim == 0 or view.flags.c_contiguous or view.size == 0 or any(s <= 0 for s in view.strides):
        return np.array(view, copy=True)
    itemsize = view.itemsize
    span = sum((n - 1) * s for n, s in zip(view.shape, view.strides)) // itemsize + 1
    buffer = np.zeros(span, dtype=view.dtype)
    copy = np.lib.stride_tricks.as_strided(buffer, view.shape, view.strides)
    copy[...] = view
    return copy
