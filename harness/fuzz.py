"""Property-based fuzzing: cases drawn with hypothesis from each op's signature, judged against live torch.

Hypothesis draws a compact plan per case (op, dtype, shapes, which optional
arguments, a values seed); the values come from a seeded NumPy generator with
the dtype's edge values mixed in, which keeps drawing fast. A failure is shrunk
by hypothesis (smaller shapes, simpler dtype, fewer arguments), then its values
are simplified element by element, and it is printed as a YAML case ready to
paste into the op's spec file and as a short Python reproduction.

What to draw lives in the spec: each op's ``signature`` (kinds, fixed dtypes,
choices) and its ``fuzz`` block (the shape family of its tensor arguments).

Where torch itself has no one answer the fuzzer does not draw: circular padding
that wraps past what its negative pads keep (torch reads memory it does not own),
complex extremes (±max parts; torch's vectorized and scalar loops disagree), and
quint4x2 (see ``FUZZ_DTYPES``). The oracle runs torch on one thread: the tensors
are tiny, and its thread pool only adds waits.

One module over 400 lines: what to draw (plans from the signatures), the judging
loop and the shrunk failure's write-up work on the same plan and case records;
from outside, only ``fuzz`` and its report are used.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from tensorparity.backends.base import Backend
from tensorparity.backends.neutral import QUANTIZED, STORAGE, NeutralTensor
from tensorparity.harness.cases import Case
from tensorparity.harness.oracle import TorchBackend, oracle
from tensorparity.harness.runner import call_op, judge_call
from tensorparity.harness.spec import OpSpec, Param, Spec
from tensorparity.harness.values import Raises, edge_values, expected_to_form, neutral_tensor, tensor_values_form

# The seed's dtype rows, quantized ones with drawn scales and zero points; all but quint4x2: torch
# packs it two values a byte, reads any view that starts past its first element from the wrong byte
# and has no 0-d form of it, so it is left to the spec's cases.
FUZZ_DTYPES = [name for name in STORAGE if name != "quint4x2"]


@dataclass
class Plan:
    """What hypothesis draws for one case; everything else follows from it deterministically."""

    op: str
    dtype: str
    shape: tuple[int, ...]
    variant: int  # picks the second operand's broadcast form, the scalar kind ...
    optional: tuple[bool, ...]  # which optional parameters are passed
    values_seed: int


@dataclass
class Failure:
    case: Case
    outcome: str
    message: str
    backend: str
    kind: str = ""  # harness.results.KINDS
    backend_spec: str = ""  # module:Class, what the reproduction loads it by

    def yaml_case(self) -> str:
        """The case as it goes into spec/ops/<op>.yaml, expectation included."""
        import io

        from tensorparity.harness.record import yaml_writer

        yaml = yaml_writer()
        entry = {"name": self.case.name, "note": f"found by tensorparity run --fuzz on {self.backend}: {self.message}"}
        entry["args"] = [_input_form(a) for a in self.case.args]
        if self.case.kwargs:
            entry["kwargs"] = {k: _input_form(v) for k, v in self.case.kwargs.items()}
        entry["expected"] = expected_to_form(self.case.expected)
        buffer = io.StringIO()
        yaml.dump([_flow_inputs(entry)], buffer)
        return buffer.getvalue()

    def python_repro(self) -> str:
        """A script that runs the case on torch and on the backend and prints both sides,
        each in its own try/except: a side that raises shows its exception."""
        args = ", ".join(_python_form(a) for a in self.case.args)
        kwargs = "".join(f", {k}={_python_form(v)}" for k, v in self.case.kwargs.items())
        return "\n".join(
            [
                "import numpy as np",
                "from tensorparity.backends.neutral import STORAGE, NeutralTensor",
                "from tensorparity.backends.registry import load_backend",
                "",
                f"args = ({args},)",
                f"kwargs = dict({kwargs.lstrip(', ')})",
                f'for name in ("torch", "{self.backend_spec or self.backend}"):',
                "    backend = load_backend(name)",
                "    try:",
                f"        out = backend.to_neutral(backend.{self.case.op}(*backend.from_neutral(args), **backend.from_neutral(kwargs)))",
                "    except Exception as error:  # a side that raises shows its exception",
                '        out = f"raises {type(error).__name__}: {error}"',
                "    if isinstance(out, NeutralTensor):",
                '        out = f"{out.dtype}{list(out.shape)} {out.values().tolist()}"',
                "    print(name, out)",
            ]
        )


def _input_form(value: Any) -> Any:
    if isinstance(value, NeutralTensor):
        form = {"tensor": tensor_values_form(value), "dtype": value.dtype}
        if value.array.size == 0:
            form["shape"] = list(value.shape)
        if value.dtype in QUANTIZED:
            form.update(scale=value.scale, zero_point=value.zero_point)
        return form
    if isinstance(value, tuple):
        return [_input_form(v) for v in value]
    if isinstance(value, complex):
        return {"complex": [value.real, value.imag]}
    return value


def _flow_inputs(entry: dict) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from tensorparity.harness.record import flow_style

    def flow(value: Any) -> Any:
        if isinstance(value, dict):
            mapping = CommentedMap((k, flow(v)) for k, v in value.items())
            mapping.fa.set_flow_style()
            return mapping
        if isinstance(value, list):
            sequence = CommentedSeq(flow(v) for v in value)
            sequence.fa.set_flow_style()
            return sequence
        return value

    result = CommentedMap()
    result["name"], result["note"] = entry["name"], entry["note"]
    result["args"] = CommentedSeq(flow(a) for a in entry["args"])
    if "kwargs" in entry:
        result["kwargs"] = flow(entry["kwargs"])
    result["expected"] = flow_style(entry["expected"])
    return result


def _python_form(value: Any) -> str:
    if isinstance(value, NeutralTensor):  # the neutral array itself (complex32: float16 pairs)
        listed = repr(value.array.tolist()).replace("nan", "np.nan").replace("inf", "np.inf")
        array = f"np.array({listed}).astype(STORAGE[{value.dtype!r}])"
        if value.array.size == 0:
            array = f"np.zeros({tuple(value.array.shape)!r}).astype(STORAGE[{value.dtype!r}])"
        qparams = f", {value.scale!r}, {value.zero_point!r}" if value.dtype in QUANTIZED else ""
        return f"NeutralTensor({array}, {value.dtype!r}{qparams})"
    if isinstance(value, tuple):
        return "(" + "".join(f"{_python_form(v)}, " for v in value) + ")"
    return repr(value)


# --- drawing -----------------------------------------------------------------
# Every shape of up to 3 dims of sizes 0..3, fewer and smaller dims first: () (0,) .. (3,) (0, 0) ..
SHAPES = [shape for ndim in range(4) for shape in itertools.product(range(4), repeat=ndim)]


def plans(ops: list[OpSpec]) -> st.SearchStrategy[Plan]:
    names = [op.op for op in ops]
    most_optional = max((sum(p.has_default for p in op.params) for op in ops), default=0)

    def plan(drawn: tuple) -> Plan:
        op, dtype, shape, choice, values_seed = drawn
        variant, optional = choice % 8, choice // 8
        flags = tuple(bool(optional >> i & 1) for i in range(most_optional))
        return Plan(op, dtype, SHAPES[shape], variant, flags, values_seed)

    # Five choices: hypothesis's cost is per choice drawn, and each still shrinks toward the simpler
    # plan (the first op and dtype, fewer and smaller dims, the first variant, no optional arguments).
    return st.tuples(
        st.sampled_from(names),
        st.sampled_from(FUZZ_DTYPES),
        st.integers(0, len(SHAPES) - 1),
        st.integers(0, 8 * 2**most_optional - 1),
        st.integers(0, 2**31 - 1),
    ).map(plan)


class CaseBuilder:
    """Turns a Plan into a concrete Case for the op, following its spec."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._tolerances: dict[str, dict[str, tuple[float, float]]] = {}

    def build(self, plan: Plan, values: dict[int, Any] | None = None) -> Case:
        op = self.spec.ops[plan.op]
        rng = np.random.default_rng(plan.values_seed)
        family = op.fuzz.get("shapes", "elementwise")
        shapes = _family_shapes(family, plan.shape, plan.variant)
        self._tensor_count = 0
        self._values = values or {}
        self._built: list[NeutralTensor] = []
        args, kwargs = [], {}
        optional_flags = iter(plan.optional)
        skipped = False  # an optional parameter left out: every later one goes by keyword
        for param in op.params:
            if param.variadic:
                args.extend(self._variadic(param, plan, rng))
                continue
            if param.has_default and not next(optional_flags, False):
                skipped = True
                continue
            value = self._draw(param, plan, shapes, rng)
            if param.keyword_only or (param.has_default and (kwargs or skipped)):
                kwargs[param.name] = value
            else:
                args.append(value)
        args = _defined_in_torch(op.op, args, kwargs)
        tolerances = self._tolerances.get(op.op)
        if tolerances is None:
            tolerances = {name: (d.rtol, d.atol) for name, d in self.spec.dtypes.items()}
            self._tolerances[op.op] = {**tolerances, **op.tolerance}
            tolerances = self._tolerances[op.op]
        name = f"fuzz_{plan.values_seed}"
        return Case(op.op, name, plan.dtype, None, tuple(args), kwargs, None, tolerances, (), op.path)

    def _tensor(self, shape: tuple[int, ...], dtype: str, rng: np.random.Generator) -> NeutralTensor:
        index = self._tensor_count
        self._tensor_count += 1
        if index in self._values:
            values = self._values[index]
        else:
            values = _draw_values(shape, dtype, rng)
        qparams = {}
        if dtype in QUANTIZED:  # dyadic scales: every backend quantizes them exactly
            qparams = {"scale": float(2.0 ** rng.integers(-2, 2)), "zero_point": int(rng.integers(0, 4))}
        tensor = neutral_tensor(values, dtype, qparams, "")
        self._built.append(tensor)
        return tensor

    def _draw(self, param: Param, plan: Plan, shapes: list[tuple[int, ...]], rng: np.random.Generator) -> Any:
        kind = param.kind
        dtype = param.fixed_dtype or plan.dtype
        first_ndim = len(shapes[0])
        if kind == "tensor":
            shape = shapes[min(self._tensor_count, len(shapes) - 1)]
            if param.fixed_dtype == "int64" and param.name == "indices":
                return self._tensor((max(len(plan.shape), 1), plan.shape[0] if plan.shape else 2), "int64", rng)
            return self._tensor(shape, dtype, rng)
        if kind == "tensor_or_scalar":
            if plan.variant % 4 == 3:
                return _scalar_like(dtype, rng)
            return self._tensor(shapes[min(self._tensor_count, len(shapes) - 1)], dtype, rng)
        if kind == "tensors":
            count = 1 + plan.variant % 3
            return tuple(self._tensor(shapes[0], dtype, rng) for _ in range(count))
        if kind == "scalar":
            return _scalar_like(dtype, rng)
        if kind in ("dim", "int"):
            return int(rng.integers(-max(first_ndim, 1), max(first_ndim, 1))) if plan.variant != 7 else first_ndim + 1
        if kind == "dims":
            return tuple(int(d) for d in rng.permutation(first_ndim))
        if kind == "bool":
            return bool(rng.integers(0, 2))
        if kind == "str":
            choices = param.choices or [
                "",
            ]
            return choices[int(rng.integers(0, len(choices)))]
        if kind == "dtype":
            return FUZZ_DTYPES[int(rng.integers(0, len(FUZZ_DTYPES)))]
        if kind in ("ints", "sizes"):
            return _sizes_for(param, shapes[0], plan.variant, rng)
        raise ValueError(f"cannot fuzz parameter kind {kind!r}")

    def _variadic(self, param: Param, plan: Plan, rng: np.random.Generator) -> list[int]:
        return list(_sizes_for(param, plan.shape, plan.variant, rng))


def _defined_in_torch(op: str, args: list, kwargs: dict) -> list:
    """The drawn arguments, minus combinations where torch reads memory it does not own (its answer
    is garbage, no spec): circular padding that wraps around more than the part its negative pads keep
    (torch checks the pads against the uncropped size only) has its negative pads set to 0."""
    if op == "pad" and (args[2] if len(args) > 2 else kwargs.get("mode")) == "circular":
        tensor, pad = args[0], list(args[1])
        for i in range(0, len(pad) - 1, 2):
            size = tensor.shape[-1 - i // 2] if i // 2 < len(tensor.shape) else 1
            kept = size - max(0, -pad[i]) - max(0, -pad[i + 1])
            if kept < size and (kept < 1 or max(pad[i], pad[i + 1]) > kept):
                pad[i], pad[i + 1] = max(0, pad[i]), max(0, pad[i + 1])
        return [tensor, tuple(pad), *args[2:]]
    return args


def _family_shapes(family: str, shape: tuple[int, ...], variant: int) -> list[tuple[int, ...]]:
    """The shapes of an op's tensor arguments, from one drawn shape."""
    if family == "matmul":
        n, k, m = (*shape, 2, 2, 2)[:3]
        return [(n, k), (k, m) if variant != 5 else (k + 1, m)]
    if family == "batch_matmul":
        b, n, k = (*shape, 2, 2, 2)[:3]
        return [(b, n, k), (b, k, n) if variant != 5 else (b, k + 1, n)]
    if family == "square":
        n = shape[-1] if shape else 2
        return [(*shape[:-1], n, n) if shape else (2, 2)]
    if family == "elementwise":
        other = shape[variant % 2 :] if variant < 4 else tuple(1 if i == variant % 3 else s for i, s in enumerate(shape))
        return [shape, other, shape]
    return [shape, shape, shape]


def _draw_values(shape: tuple[int, ...], dtype: str, rng: np.random.Generator) -> np.ndarray:
    count = math.prod(shape)
    if dtype == "bool":
        return rng.integers(0, 2, count).astype(bool).reshape(shape)
    if dtype in ("uint8", "int8", "int16", "int32", "int64") or dtype in QUANTIZED:  # quantized: the integers
        low = 0 if dtype in ("uint8", "quint8", "quint4x2") else -9
        values = rng.integers(low, 10, count).astype(np.float64)
    else:
        values = np.round(rng.uniform(-4, 4, count), 2)
        if dtype.startswith("complex"):
            values = values + 1j * np.round(rng.uniform(-4, 4, count), 2)
    edges = _fuzz_edges(dtype)
    mask = rng.random(count) < 0.15  # some of every tensor are the dtype's edge values
    if mask.any():
        values = values.astype(edges.dtype if edges.dtype.kind == "c" else values.dtype)
        values[mask] = edges[rng.integers(0, len(edges), int(mask.sum()))]
    return values.reshape(shape)


@functools.cache
def _fuzz_edges(dtype: str) -> np.ndarray:
    """The dtype's edge values, less the complex ones with a ±max part. A complex product or a BLAS sum
    that overflows on its way to an infinity has no one answer in torch: its vectorized loops (no fused
    multiply-add) give NaN where its scalar loops give ±inf, so the result depends on the element's
    position, the layout and the CPU; the spec's edge cases pin the products that are defined."""
    edges = edge_values(dtype)
    if edges.dtype.kind != "c":
        return edges
    largest = float(np.finfo({"complex32": np.float16, "complex64": np.float32}.get(dtype, np.float64)).max)
    return edges[(np.abs(edges.real) != largest) & (np.abs(edges.imag) != largest)]


def _scalar_like(dtype: str, rng: np.random.Generator) -> Any:
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return bool(rng.integers(0, 2))
    if kind == 1:
        return int(rng.integers(-3, 4))
    return float(np.round(rng.uniform(-3, 3), 2))


def _sizes_for(param: Param, shape: tuple[int, ...], variant: int, rng: np.random.Generator) -> tuple[int, ...]:
    """Size lists for view/reshape (same numel, maybe -1), repeat (>= ndim entries), pad (pairs)."""
    role = param.name
    numel = math.prod(shape)
    if role in ("shape",):
        if variant == 6:
            return (numel + 1,)
        if numel and variant % 2:
            return (-1,) if variant < 4 else (1, -1)
        return tuple(reversed(shape)) if variant == 2 and shape and numel else (numel,)
    if role in ("sizes", "repeats"):
        return tuple(int(s) for s in rng.integers(0, 3, len(shape) + variant % 2))
    if role == "pad":
        pairs = max(1, min(len(shape), 1 + variant % 2))
        return tuple(int(p) for p in rng.integers(-1, 3, 2 * pairs))
    if role in ("size",):
        return tuple(shape)
    if role == "indices_or_sections":
        return 1 + variant % 3 if variant < 5 else tuple(sorted(int(i) for i in rng.integers(0, 4, 2)))
    return tuple(int(s) for s in rng.integers(0, 3, len(shape)))


# --- running -----------------------------------------------------------------
@dataclass
class Distinct:
    """One distinct failure: an op and a kind of difference, every drawn case that showed it,
    and one example shrunk by hypothesis and simplified element by element."""

    op: str
    kind: str
    count: int = 0
    dtypes: list[str] = field(default_factory=list)
    example: Failure | None = None
    known: str | None = None  # the declared divergence's reason, when the backend declares it

    def reason_text(self) -> str:
        return f"declared: {self.known}" if self.known is not None else "new"


@dataclass
class FuzzReport:
    examples: int
    failures: list[Distinct]  # new (undeclared) distinct failures, each with a shrunk example
    seconds: float
    known: list[Distinct] = field(default_factory=list)  # failures the backend declares as divergences
    ops: list[str] = field(default_factory=list)

    @property
    def failure(self) -> Failure | None:
        """The first new distinct failure's shrunk example (None when there is none)."""
        return self.failures[0].example if self.failures else None

    def summary(self) -> str:
        failing_ops = len({d.op for d in self.failures})
        return (
            f"fuzz: {self.examples} cases, {len(self.failures)} distinct failures in {failing_ops} ops, {len(self.known)} known"
        )


def fuzz(
    spec: Spec,
    backend: Backend,
    examples: int,
    seed: int,
    op_ids: list[str] | None = None,
    on_example: Callable[[], None] | None = None,
    declared: Any = None,
    errors: str = "strict",
) -> FuzzReport:
    """Draw ``examples`` cases, split across the selected ops, each op searched on its own.

    The search goes on after a failure: every failure is grouped by op and kind of
    difference (dtypes listed), and one example of each distinct failure is shrunk. Failures
    that ``declared`` (a ``harness.divergences.Divergences``) matches are counted as known,
    not reported as new. ``errors="any"``: another exception class than torch's passes."""
    import time

    ops = [op for op in spec.ops.values() if op.fuzz.get("shapes") != "none" and (not op_ids or op.op in op_ids)]
    if not ops:
        raise ValueError("no fuzzable op selected")
    from tensorparity.harness.runner import backend_spec

    builder = CaseBuilder(spec)
    torch_backend = TorchBackend()
    where = backend_spec(backend)
    found: dict[tuple[str, str], Distinct] = {}

    def judge(case: Case) -> Failure | None:
        expected = oracle(case, torch_backend)
        case = _with_expected(case, expected)
        raised, actual = None, None
        try:
            actual = call_op(backend, case)
        except Exception as error:  # noqa: BLE001 - a backend may raise anything
            raised = error
        verdict = judge_call(case, raised, actual)
        if verdict.outcome == "wrong_exception" and errors == "any":
            return None
        if verdict.outcome in ("mismatch", "error", "wrong_exception"):
            return Failure(case, verdict.outcome, verdict.message, backend.name, verdict.kind or "", where)
        return None

    def known_reason(failure: Failure) -> str | None:
        if declared is None:
            return None
        from tensorparity.harness.results import Result

        result = Result(failure.case.op, failure.case.name, failure.case.dtype, backend.name, failure.outcome, kind=failure.kind)
        entry = declared.match(result)
        return entry.reason if entry is not None else None

    import torch  # imported now, so that the rate measures cases, not the import

    # The drawn tensors are tiny: torch's thread pool only adds fork-and-join waits (milliseconds on a
    # busy machine, for some quantized kernels), never a different answer.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    total = 0
    started = time.perf_counter()
    try:
        share, extra = divmod(examples, len(ops))
        for position, op in enumerate(ops):
            budget = share + (1 if position < extra else 0)
            total += _search_op(op, budget, seed, builder, judge, known_reason, found, on_example)
    finally:
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - started
    new = [d for d in found.values() if d.known is None]
    known = [d for d in found.values() if d.known is not None]
    return FuzzReport(total, new, seconds, known, [op.op for op in ops])


def _search_op(
    op: OpSpec,
    budget: int,
    seed: int,
    builder: CaseBuilder,
    judge: Callable[[Case], Failure | None],
    known_reason: Callable[[Failure], str | None],
    found: dict[tuple[str, str], Distinct],
    on_example: Callable[[], None] | None,
) -> int:
    """Search one op with ``budget`` drawn cases; the number drawn. Each round runs hypothesis
    until a failure of a kind not seen yet, which it shrinks; the next round goes on with the
    cases left (a fresh seed), the kinds already found counting as passes."""
    drawn = 0
    rounds = 0
    state: dict[str, Any] = {}
    while drawn < budget:
        state.update(generated=0, target=None, examples=[])

        @hypothesis_seed(seed * 1000 + rounds)
        @settings(
            max_examples=budget - drawn,
            database=None,
            deadline=None,
            derandomize=False,
            print_blob=False,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate, Phase.shrink],
            report_multiple_bugs=False,
        )
        @given(plans([op]))
        def property_holds(plan: Plan) -> None:
            target = state["target"]
            if target is None:  # still drawing: every case counts
                state["generated"] += 1
                if on_example:
                    on_example()
            failure = judge(builder.build(plan))
            if failure is None:
                return
            key = (failure.case.op, failure.kind)
            if target is None:
                distinct = found.get(key)
                if distinct is None:
                    distinct = found[key] = Distinct(key[0], key[1], known=known_reason(failure))
                distinct.count += 1
                if failure.case.dtype not in distinct.dtypes:
                    distinct.dtypes.append(failure.case.dtype)
                if distinct.known is not None or distinct.example is not None:
                    return  # declared by the backend, or already shrunk: keep searching
                state["target"] = target = key
            if key != target:
                return  # shrinking: only the same distinct failure counts
            state["examples"].append(failure)
            raise AssertionError(failure.message)

        try:
            property_holds()
        except AssertionError:
            pass
        drawn += state["generated"]
        rounds += 1
        if state["target"] is None:
            break  # the budget is spent, or hypothesis ran out of distinct cases
        target = state["target"]
        smallest = min(state["examples"], key=_size)

        def same(case: Case, target: tuple[str, str] = target) -> Failure | None:
            failure = judge(case)
            return failure if failure is not None and (failure.case.op, failure.kind) == target else None

        found[target].example = _simplify(smallest, same)
        if state["generated"] == 0:
            break
    return drawn


def _with_expected(case: Case, expected: Any) -> Case:
    from dataclasses import replace

    return replace(case, expected=expected)


def _size(failure: Failure) -> tuple[int, int]:
    tensors = [a for a in list(failure.case.args) + list(failure.case.kwargs.values()) if isinstance(a, NeutralTensor)]
    return (sum(t.array.size for t in tensors), len(failure.case.args) + len(failure.case.kwargs))


def _simplify(failure: Failure, judge: Callable[[Case], Failure | None]) -> Failure:
    """Make each element of each tensor as plain as it can be while the case still fails."""
    from dataclasses import replace

    case = failure.case
    args = list(case.args)
    for position, arg in enumerate(args):
        if not isinstance(arg, NeutralTensor) or arg.dtype in QUANTIZED:
            continue
        flat = np.array(arg.array, copy=True).reshape(-1)
        for index in range(flat.size):
            original = flat[index]
            for simpler in (0, 1, -1):
                if original == simpler:
                    break
                try:
                    flat[index] = simpler
                except (ValueError, OverflowError):
                    continue
                candidate = replace(
                    case,
                    args=tuple(
                        args[:position] + [NeutralTensor(flat.reshape(arg.array.shape).copy(), arg.dtype)] + args[position + 1 :]
                    ),
                )
                found = judge(candidate)
                if found is not None:
                    case, failure = found.case, found
                    args = list(case.args)
                    break
                flat[index] = original
    return failure


__all__ = ["fuzz", "FuzzReport", "Distinct", "Failure", "CaseBuilder", "Plan", "Raises"]
