"""Load and validate the spec: YAML files -> typed records, or one SpecError.

Every mistake is caught here and named by file, case and key path; nothing
downstream re-checks the spec. YAML is read with a safe loader (the C one when
available): tags that would construct Python objects are rejected and nothing
in a spec is evaluated.

Over 400 lines as one idea: every check of the spec lives here so that nothing downstream re-checks it (the value forms are in values.py). Splitting the signature checks out is a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from tensorparity.backends.neutral import STORAGE, Graph, Step
from tensorparity.backends.spec_files import OP_IDS, SPEC_DIR
from tensorparity.harness.values import Raises, ValueForm, build_expected, build_input

DEFAULT_SPEC = SPEC_DIR  # the bundled spec (backends/spec_files.py finds it)
DEFAULT_MEMORY_LIMIT = 256 * 2**20  # bytes per input tensor
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecError(Exception):
    """A malformed spec, as one line: ``file: case 'name': key.path: what is wrong``."""

    def __init__(self, path: Path | str, message: str, case: str | None = None, key: str | None = None) -> None:
        parts = [str(path)] + ([f"case {case!r}"] if case else []) + ([key] if key else []) + [message]
        super().__init__(": ".join(parts).replace("\r", "\\r").replace("\n", "\\n"))  # one line, always


class _UniqueKeyLoader(_SafeLoader):
    """Safe loading that refuses duplicate mapping keys instead of keeping the last."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _UniqueKeyLoader.construct_mapping)


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(path, f"cannot read: {error}") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SpecError(path, f"malformed YAML{where}: {problem}") from None


@dataclass(frozen=True)
class DtypeSpec:
    name: str
    torch: str
    aliases: tuple[str, ...]
    description: str
    cpu_tensor: str | None
    gpu_tensor: str | None
    category: str
    rtol: float
    atol: float


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    has_default: bool
    default: Any = None
    keyword_only: bool = False
    variadic: bool = False
    fixed_dtype: str | None = None  # e.g. the bool mask of masked_select
    choices: tuple = ()


@dataclass(frozen=True)
class Xfail:
    reason: str
    backend: str | None = None
    dtypes: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()
    strict: bool = True  # False: a declared difference that some inputs show and others not; a pass stays a pass

    def matches(self, backend: str, case: str, dtype: str) -> bool:
        return (
            (self.backend is None or self.backend == backend)
            and (not self.dtypes or dtype in self.dtypes)
            and (not self.cases or case in self.cases)
        )


@dataclass(frozen=True)
class Erratum:
    claim: str
    says: dict


@dataclass(frozen=True)
class CaseSpec:
    """One case as written; ``variants`` maps each dtype it runs in to (args, kwargs, expected)."""

    name: str
    section: str | None
    note: str | None
    variants: dict[str, tuple[tuple, dict, Any]]
    swept: bool
    seed_prints: Any = None
    seed_decimals: int | None = None
    errata: tuple[Erratum, ...] = ()
    tolerance: dict[str, tuple[float, float]] = field(default_factory=dict)
    xfails: tuple[Xfail, ...] = ()
    raw: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class OpSpec:
    op: str
    torch: str
    section: str | None
    summary: str
    params: tuple[Param, ...]
    cases: tuple[CaseSpec, ...]
    path: Path
    tolerance: dict[str, tuple[float, float]] = field(default_factory=dict)
    xfails: tuple[Xfail, ...] = ()
    note: str | None = None
    fuzz: dict = field(default_factory=dict)
    bench: dict = field(default_factory=dict)  # the benchmark inputs per size (harness/bench.py)
    doc: dict = field(default_factory=dict)  # the docs page's formula, parameter descriptions, returns


@dataclass(frozen=True)
class Recorded:
    """spec/RECORDED.yaml: the torch version that recorded the expectations, and accepted drift."""

    torch: str
    drift: dict[str, tuple[str, ...]] = field(default_factory=dict)  # torch version -> op[case, dtype] labels
    path: Path | None = None


def load_recorded(root: Path) -> Recorded | None:
    """``root``/RECORDED.yaml validated, or None where the spec has none."""
    path = root / "RECORDED.yaml"
    if not path.exists():
        return None
    document = load_yaml(path)
    _validate(document, _schema(root, "recorded.schema.yaml"), path)
    drift = {str(version): tuple(labels) for version, labels in (document.get("drift") or {}).items()}
    return Recorded(str(document["torch"]), drift, path)


@dataclass(frozen=True)
class Spec:
    root: Path
    dtypes: dict[str, DtypeSpec]
    ops: dict[str, OpSpec]
    dtype_errata: tuple[dict, ...] = ()
    recorded: Recorded | None = None  # spec/RECORDED.yaml: the torch its expectations come from


def _schema(root: Path, name: str) -> dict:
    schema_path = root / "schema" / name
    if not schema_path.exists():
        schema_path = DEFAULT_SPEC / "schema" / name
    return load_yaml(schema_path)


def _validate(document: Any, schema: dict, path: Path) -> None:
    if document is None:
        raise SpecError(path, "the file is empty")
    if not isinstance(document, dict):
        raise SpecError(path, f"expected a mapping (key: value lines) at the top, got {_kind(document)}")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(document))
    if error is None:
        return
    keys = list(error.absolute_path)
    case = None
    if len(keys) >= 2 and keys[0] == "cases" and isinstance(keys[1], int) and isinstance(document, dict):
        entry = document["cases"][keys[1]]
        case = entry.get("name") if isinstance(entry, dict) else None
    raise SpecError(path, error.message, case=case, key=_key_path(keys) or None)


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _key_path(keys: list) -> str:
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def load_dtypes(path: Path, root: Path) -> tuple[dict[str, DtypeSpec], tuple[dict, ...]]:
    document = load_yaml(path)
    _validate(document, _schema(root, "dtypes.schema.yaml"), path)
    dtypes = {}
    for name, row in document["dtypes"].items():
        if name not in STORAGE:
            raise SpecError(path, f"unknown dtype {name!r}", key=f"dtypes.{name}")
        dtypes[name] = DtypeSpec(
            name,
            row["torch"],
            tuple(row.get("aliases", ())),
            row["description"],
            row.get("cpu_tensor"),
            row.get("gpu_tensor"),
            row["category"],
            float(row["rtol"]),
            float(row["atol"]),
        )
    return dtypes, tuple(document.get("errata", ()))


def load_spec(
    root: Path | str | None = None,
    *,
    allow_missing: bool = False,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    files: list[Path] | None = None,
) -> Spec:
    """Load ``root`` (a spec folder, or one op file) into a validated Spec.

    ``allow_missing`` lets cases without a stored expectation through (for ``spec record``).
    """
    root = Path(root) if root is not None else DEFAULT_SPEC
    if not root.exists():
        raise SpecError(root, "not found (expected a spec folder or an op file)")
    if root.is_file():
        files, root = [root], root.parent.parent if root.parent.name == "ops" else root.parent
    dtypes_path = root / "dtypes.yaml"
    if not dtypes_path.exists():
        dtypes_path = DEFAULT_SPEC / "dtypes.yaml"
    try:
        dtypes, dtype_errata = load_dtypes(dtypes_path, root)
    except SpecError:
        raise
    except Exception as error:  # a row the loader did not foresee
        raise SpecError(dtypes_path, f"malformed dtype table ({type(error).__name__}: {error})") from None
    files = files if files is not None else sorted((root / "ops").glob("*.yaml"))
    if not files:
        raise SpecError(root, "no op files (expected ops/*.yaml)")
    op_schema = _schema(root, "op.schema.yaml")
    ops: dict[str, OpSpec] = {}
    for path in files:
        try:
            op = _load_op(path, op_schema, dtypes, allow_missing, memory_limit)
        except SpecError:
            raise
        except Exception as error:  # as above, for the rest of the file
            raise SpecError(path, f"malformed op file ({type(error).__name__}: {error})") from None
        if op.op in ops:
            raise SpecError(path, f"op {op.op!r} is already defined in {ops[op.op].path}", key="op")
        ops[op.op] = op
    return Spec(root, dtypes, ops, dtype_errata, load_recorded(root))


def _load_op(path: Path, schema: dict, dtypes: dict, allow_missing: bool, memory_limit: int) -> OpSpec:
    document = load_yaml(path)
    _validate(document, schema, path)
    if document["op"] not in OP_IDS:
        raise SpecError(path, f"unknown op {document['op']!r}; one of {', '.join(OP_IDS)}", key="op")
    for i, p in enumerate(document["signature"]):
        if "dtype" in p and p["dtype"] not in dtypes:
            raise SpecError(path, f"unknown dtype {p['dtype']!r}", key=f"signature[{i}].dtype")
    for name in document.get("doc", {}).get("params", {}):
        if name not in {p["name"] for p in document["signature"]}:
            raise SpecError(path, f"describes {name!r}, which the signature does not list", key=f"doc.params.{name}")
    _check_bench(document.get("bench") or {}, document["signature"], dtypes, path)
    params = tuple(
        Param(
            p["name"],
            p["kind"],
            "default" in p,
            p.get("default"),
            p.get("keyword_only", False),
            p.get("variadic", False),
            p.get("dtype"),
            tuple(p.get("choices", ())),
        )
        for p in document["signature"]
    )
    names: set[str] = set()
    cases = []
    for index, raw in enumerate(document["cases"]):
        if raw["name"] in names:
            raise SpecError(path, "duplicate case name", case=raw["name"], key=f"cases[{index}].name")
        names.add(raw["name"])
        try:
            cases.append(_load_case(path, raw, index, params, dtypes, allow_missing, memory_limit))
        except SpecError:
            raise
        except Exception as error:  # a value form the builders did not foresee: still one line, never a traceback
            raise SpecError(
                path, f"malformed case ({type(error).__name__}: {error})", case=raw["name"], key=f"cases[{index}]"
            ) from None
    return OpSpec(
        document["op"],
        document["torch"],
        document.get("section"),
        document["summary"],
        params,
        tuple(cases),
        path,
        _tolerance(document.get("tolerance"), dtypes, path, None, "tolerance"),
        _xfails(document.get("xfail", ()), dtypes, path, None, "xfail"),
        document.get("note"),
        document.get("fuzz", {}),
        bench=document.get("bench", {}),
        doc=document.get("doc", {}),
    )


def _check_bench(bench: dict, signature: list, dtypes: dict, path: Path) -> None:
    """The dtype names in a ``bench:`` block (its sizes are checked where it is built, harness/bench.py)."""

    def walk(form: Any, where: str) -> None:
        if isinstance(form, dict):
            name = form.get("dtype")
            if ("tensor" in form or "generate" in form) and isinstance(name, str) and name not in dtypes:
                raise SpecError(path, f"unknown dtype {name!r}", key=f"{where}.dtype")
            for key, value in form.items():
                walk(value, f"{where}.{key}")
        elif isinstance(form, list):
            for i, item in enumerate(form):
                walk(item, f"{where}[{i}]")

    for part in ("args", "kwargs", "graph"):
        walk(bench.get(part), f"bench.{part}")
    kinds = {p["name"]: p["kind"] for p in signature}
    for name, value in (bench.get("kwargs") or {}).items():
        if kinds.get(name) == "dtype" and isinstance(value, str) and value not in dtypes:
            raise SpecError(path, f"unknown dtype {value!r}", key=f"bench.kwargs.{name}")


def _tolerance(raw: dict | None, dtypes: dict, path: Path, case: str | None, key: str) -> dict[str, tuple[float, float]]:
    result = {}
    for name, pair in (raw or {}).items():
        if name == "reason":
            continue
        if name not in dtypes:
            raise SpecError(path, f"unknown dtype {name!r}", case=case, key=f"{key}.{name}")
        result[name] = (float(pair["rtol"]), float(pair["atol"]))
    return result


def _xfails(raw: Any, dtypes: dict, path: Path, case: str | None, key: str) -> tuple[Xfail, ...]:
    result = []
    for i, entry in enumerate(raw):
        for name in entry.get("dtypes", ()):
            if name not in dtypes:
                raise SpecError(path, f"unknown dtype {name!r}", case=case, key=f"{key}[{i}].dtypes")
        result.append(Xfail(entry["reason"], entry.get("backend"), tuple(entry.get("dtypes", ())), tuple(entry.get("cases", ()))))
    return tuple(result)


def _load_case(path, raw, index, params, dtypes, allow_missing, memory_limit) -> CaseSpec:
    name = raw["name"]
    key = f"cases[{index}]"

    def fail(message: str, where: str) -> SpecError:
        return SpecError(path, message, case=name, key=f"{key}.{where}" if where else key)

    sweep = raw.get("sweep")
    for i, dtype in enumerate(sweep or ()):
        if dtype not in dtypes:
            raise fail(f"unknown dtype {dtype!r}", f"sweep[{i}]")
    if "graph" in raw and ("args" in raw or "kwargs" in raw):
        raise fail("a case has args or a graph, not both", "graph")
    expected_raw = raw.get("expected")
    variants: dict[str, tuple[tuple, dict, Any]] = {}
    for dtype in sweep or [None]:
        try:
            if "graph" in raw:
                args, kwargs = (build_graph(raw["graph"], dtype, memory_limit),), {}
            else:
                args = build_input(raw.get("args", []), dtype, memory_limit, "args")
                kwargs = {k: build_input(v, dtype, memory_limit, f"kwargs.{k}") for k, v in (raw.get("kwargs") or {}).items()}
        except ValueForm as error:
            raise fail(str(error), error.path) from None
        _check_arity(params, args, kwargs, dtypes, fail)
        expected_form = expected_raw.get(dtype) if (sweep and isinstance(expected_raw, dict)) else expected_raw
        where = f"expected.{dtype}" if sweep else "expected"
        if expected_form is None:
            if not allow_missing:
                raise fail("missing expectation (run `tensorparity spec record`)", where)
            expected = None
        else:
            try:
                expected = build_expected(expected_form, where)
            except ValueForm as error:
                raise fail(str(error), error.path) from None
        label = dtype or raw.get("dtype") or first_dtype(args) or _expected_dtype(expected) or "none"
        variants[label] = (args, kwargs, expected)
    if sweep and isinstance(expected_raw, dict):
        stray = set(expected_raw) - set(sweep)
        if stray:
            raise fail(f"expectation for {sorted(stray)[0]!r}, which the sweep does not list", "expected")
    seed = raw.get("seed") or {}
    errata = tuple(Erratum(e["claim"], e["says"]) for e in raw.get("errata", ()))
    return CaseSpec(
        name,
        raw.get("section"),
        raw.get("note"),
        variants,
        bool(sweep),
        seed.get("prints"),
        seed.get("decimals"),
        errata,
        _tolerance(raw.get("tolerance"), dtypes, path, name, f"{key}.tolerance"),
        _xfails(raw.get("xfail", ()), dtypes, path, name, f"{key}.xfail"),
        raw,
    )


def build_graph(raw: dict, dtype: str | None, memory_limit: int) -> Graph:
    """A gradient graph from its spec form (inputs, steps, output, wrt); ``dtype`` replaces ``$sweep``."""
    inputs = {n: build_input(v, dtype, memory_limit, f"graph.inputs.{n}") for n, v in raw["inputs"].items()}
    known = set(inputs)
    steps = []
    for i, step in enumerate(raw["steps"]):
        if step["op"] not in OP_IDS or step["op"] == "grad":
            raise ValueForm(f"graph.steps[{i}].op", f"unknown op {step['op']!r}")
        args = build_input(step.get("args", []), dtype, memory_limit, f"graph.steps[{i}].args")
        kwargs = {
            k: build_input(v, dtype, memory_limit, f"graph.steps[{i}].kwargs.{k}") for k, v in (step.get("kwargs") or {}).items()
        }
        for ref in _refs((args, kwargs)):
            if ref not in known:
                raise ValueForm(f"graph.steps[{i}].args", f"refers to {ref!r}, which is not defined before this step")
        known.add(step["name"])
        steps.append(Step(step["name"], step["op"], args, kwargs))
    if raw["output"] not in known:
        raise ValueForm("graph.output", f"{raw['output']!r} is not a step or input")
    for name in raw["wrt"]:
        if name not in inputs:
            raise ValueForm("graph.wrt", f"{name!r} is not a graph input")
    grad_outputs = build_input(raw["grad_outputs"], dtype, memory_limit, "graph.grad_outputs") if "grad_outputs" in raw else None
    return Graph(inputs, tuple(steps), raw["output"], tuple(raw["wrt"]), grad_outputs)


def _refs(value: Any) -> list[str]:
    from tensorparity.backends.neutral import Ref

    if isinstance(value, Ref):
        return [value.name]
    if isinstance(value, (list, tuple)):
        return [r for item in value for r in _refs(item)]
    if isinstance(value, dict):
        return [r for item in value.values() for r in _refs(item)]
    return []


def _check_arity(params: tuple[Param, ...], args: tuple, kwargs: dict, dtypes: dict, fail: Any) -> None:
    positional = [p for p in params if not p.keyword_only]
    variadic = any(p.variadic for p in positional)
    fixed = [p for p in positional if not p.variadic]
    required = [p for p in fixed if not p.has_default]
    if len(args) < len(required) and not kwargs.keys() >= {p.name for p in required[len(args) :]}:
        raise fail(
            f"takes at least {len(required)} positional arguments ({', '.join(p.name for p in required)}), got {len(args)}",
            "args",
        )
    if not variadic and len(args) > len(fixed):
        raise fail(f"takes at most {len(fixed)} positional arguments, got {len(args)}", "args")
    by_name = {p.name: p for p in params}
    for name, value in kwargs.items():
        if name not in by_name or by_name[name].variadic:
            raise fail(f"unknown keyword argument {name!r}", f"kwargs.{name}")
        if name in {p.name for p in fixed[: len(args)]}:
            raise fail(f"argument {name!r} given both positionally and by keyword", f"kwargs.{name}")
        if by_name[name].kind == "dtype" and value is not None and value not in dtypes:
            raise fail(f"unknown dtype {value!r}", f"kwargs.{name}")


def first_dtype(value: Any) -> str | None:
    """The dtype of the first tensor inside a (nested) argument: what a case without a dtype is filed under."""
    from tensorparity.backends.neutral import NeutralTensor

    if isinstance(value, NeutralTensor):
        return value.dtype
    if isinstance(value, Graph):
        return first_dtype(list(value.inputs.values()))
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for item in value:
            found = first_dtype(item)
            if found:
                return found
    return None


def _expected_dtype(expected: Any) -> str | None:
    if isinstance(expected, Raises) or expected is None:
        return None
    return first_dtype(expected) or getattr(getattr(expected, "values", None), "dtype", None)


def total_cases(spec: Spec) -> int:
    return sum(len(case.variants) for op in spec.ops.values() for case in op.cases)
