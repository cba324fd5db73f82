"""``tensorparity new-backend NAME``: an installable backend package, every op stubbed.

The op stubs are generated from the spec's signatures, so a new op in the spec
is a new stub here without touching this file.
"""

from __future__ import annotations

import keyword
import re
import textwrap
from pathlib import Path

from tensorparity.backends.registry import BUILTIN
from tensorparity.harness.spec import OpSpec, Param, Spec

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "tensorparity-{name}"
version = "0.1.0"
description = "The {name} backend for tensorparity"
requires-python = ">=3.10"
dependencies = ["tensorparity"]

[project.entry-points."tensorparity.backends"]
{name} = "{package}.backend:{cls}"

[tool.setuptools]
packages = ["{package}"]

[tool.setuptools.package-data]
"{package}" = ["*.divergences.yaml"]
"""

BACKEND_HEAD = '''\
"""The {name} backend for tensorparity.

Every op id is a method with torch's signature. Each starts as a stub raising
NotImplementedOp, which tensorparity reports as "not implemented"; replace
them one at a time and run `tensorparity run --backend {name} --op OP`.

The contract (docs/backends.md in tensorparity), in short:
- Arguments arrive as torch passes them. Tensors are your own tensors (made by
  tensor_from_neutral); sizes come both ways, view(x, 3, 2) and view(x, (3, 2));
  a dtype argument is a torch dtype name as a string ("float32", "int64"); lists
  of tensors (cat) arrive as tuples.
- Return your own tensor, a tuple or list of them (vsplit), a Python number
  (numel), or a sparse COO tensor that to_neutral turns into a NeutralSparse;
  a sparse output is compared as indices, then values, then size.
- A dtype you cannot represent honestly: raise UnsupportedDtype(self.name, dtype),
  from a conversion or an op. An op not written yet: NotImplementedOp. Both are
  "not implemented", not failures; every other exception is judged.
- Where torch raises, raise torch's exception class (RuntimeError, IndexError,
  TypeError, ValueError, NotImplementedError): another class is "wrong_exception".
- Accepted differences from torch go in {cls}.divergences.yaml beside this file.
- A library that returns before its work is done overrides synchronize(result).
- grad is inherited: Backend.grad differentiates through these ops. A library
  with its own autodiff overrides grad with tensorparity.backends.autodiff.evaluate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorparity.backends.base import Backend, NotImplementedOp, UnsupportedDtype
from tensorparity.backends.neutral import PAIRED, QUANTIZED, STORAGE, NeutralTensor
from tensorparity.backends.semantics.promotion import is_python_number, result_type


class {cls}(Backend):
    name = "{name}"

    def unavailable_reason(self) -> str | None:
        return None  # say why, when what this backend needs is missing here

    # Tensors cross the boundary as NumPy arrays plus a torch dtype name
    # (backends/neutral.py). This starting point keeps NumPy arrays as its own
    # tensors; replace both methods when your backend has a tensor type of its own.
    def tensor_from_neutral(self, tensor: NeutralTensor) -> Any:
        if tensor.dtype in QUANTIZED or tensor.dtype in PAIRED:
            raise UnsupportedDtype(self.name, tensor.dtype)
        return tensor.array

    def tensor_to_neutral(self, native: Any) -> NeutralTensor | None:
        return NeutralTensor.of(np.asarray(native)) if isinstance(native, (np.ndarray, np.generic)) else None

    @staticmethod
    def numpy_dtype(name: str) -> np.dtype:
        """The NumPy dtype that stands for a torch dtype name (bfloat16 through ml_dtypes)."""
        return STORAGE[name]

    def result_dtype(self, *operands: Any) -> str:
        """torch's type promotion over tensors (of any type tensor_to_neutral knows) and Python
        numbers, as a dtype name. Anything else is a TypeError, never mistaken for a number.
        It converts each tensor to learn its dtype: override it for speed."""
        described = []
        for operand in operands:
            if is_python_number(operand):
                described.append(operand)
                continue
            neutral = self.tensor_to_neutral(operand)
            if neutral is None:
                raise TypeError(f"expected a tensor or a Python number, got {{type(operand).__name__}}")
            described.append((neutral.dtype, len(neutral.shape)))
        return result_type(described)
'''

TEST = '''\
"""The tensorparity conformance suite on this backend: nothing may fail but the divergences
it declares ({package}/{cls}.divergences.yaml)."""

from tensorparity.backends.registry import load_backend
from tensorparity.harness import divergences
from tensorparity.harness.cases import expand
from tensorparity.harness.runner import run
from tensorparity.harness.spec import load_spec


def test_conformance():
    backend = load_backend("{name}")
    applied = divergences.apply(run(expand(load_spec()), [backend]), {{backend.name: divergences.for_backend(backend)}})
    failures = [result.line() for result in applied.results if result.failed]
    assert not failures, "\\n".join(failures[:20])
'''

DIVERGENCES = """\
# Known divergences of the {name} backend from torch: the differences you accept.
# tensorparity reads this file (next to the backend's module, named after its class)
# and files the results an entry matches as xfail, with its reason. Start one from a
# run: tensorparity run --backend {name} --write-divergences {cls}.divergences.yaml
#
# divergences:
#   - op: div                      # op ids (globs, or a list of globs)
#     dtype: [int*, uint8, bool]   # optional: dtypes, default every one
#     case: "*"                    # optional: case names, default every one
#     kind: dtype                  # value, dtype, shape, output_type, raises_where_torch_computes,
#                                  # computes_where_torch_raises, wrong_exception, timeout, crash
#     reason: integer true division gives float64, our default float
divergences: []
"""

README = """\
# tensorparity-{name}

A tensorparity backend. Install it next to tensorparity and it is found by its
entry point:

    pip install -e .
    tensorparity backends              # lists {name}
    tensorparity run --backend {name}   # every op "not implemented" until you write it
    pytest                             # the conformance suite on this backend
"""


def package_name(name: str) -> str:
    return f"{name}_backend"


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Backend"


def check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name):
        raise ValueError(f"backend name {name!r} must be lowercase letters, digits and _ (a Python identifier)")
    if name in BUILTIN:  # the built-in would shadow the plugin: `run --backend NAME` would never reach it
        raise ValueError(f"backend name {name!r} is a built-in backend's; choose another name")


def _parameter(param: Param) -> str:
    if param.variadic:
        return f"*{param.name}: Any"
    default = "" if not param.has_default else f" = {param.default!r}"
    return f"{param.name}: Any{default}"


def stub(op: OpSpec) -> str:
    """A method with the op's torch signature, raising NotImplementedError."""
    positional = [_parameter(p) for p in op.params if not p.keyword_only]
    keyword_only = [_parameter(p) for p in op.params if p.keyword_only]
    params = ["self", *positional]
    if keyword_only:
        params += (["*"] if not any(p.variadic for p in op.params) else []) + keyword_only
    return textwrap.indent(
        f'def {op.op}({", ".join(params)}) -> Any:\n    """{op.torch}"""\n    raise NotImplementedOp("{op.op}")\n',
        "    ",
    )


def scaffold(spec: Spec, name: str, path: Path) -> Path:
    """Write the package for backend ``name`` under ``path``; returns its folder."""
    check_name(name)
    root = path / f"tensorparity-{name}"
    if root.exists():
        raise FileExistsError(f"{root} already exists")
    package, cls = package_name(name), class_name(name)
    (root / package).mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(name=name, package=package, cls=cls))
    (root / "README.md").write_text(README.format(name=name))
    (root / package / "__init__.py").write_text(f'"""The {name} backend for tensorparity."""\n')
    # grad is inherited: Backend.grad differentiates through the backend's own ops.
    ops = sorted((op for op in spec.ops.values() if op.op != "grad"), key=lambda op: op.op)
    stubs = "\n".join(stub(op) for op in ops)
    (root / package / "backend.py").write_text(BACKEND_HEAD.format(name=name, cls=cls) + "\n" + stubs)
    (root / "tests" / "test_conformance.py").write_text(TEST.format(name=name, package=package, cls=cls))
    (root / package / f"{cls}.divergences.yaml").write_text(DIVERGENCES.format(name=name, cls=cls))
    return root
