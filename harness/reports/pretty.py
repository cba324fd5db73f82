"""Spec values as torch-like text: the inputs and expectations of a case, and its call.

Works on the loaded (neutral) values, so a generated input shows the values the
harness actually feeds the backend, and a sweep shows each dtype's own values.
Large tensors are summarised the way torch and NumPy print them (``...``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from tensorparity.backends.neutral import QUANTIZED, STORAGE, Graph, NeutralSparse, NeutralTensor, Ref
from tensorparity.harness.spec import Param
from tensorparity.harness.values import Raises

THRESHOLD = 60  # elements shown in full; more are summarised
EDGE = 3


def tensor(value: NeutralTensor) -> str:
    """``tensor([[1, 2], [3, 4]], dtype=torch.int64)``."""
    if value.dtype in QUANTIZED:
        body = _array(np.asarray(value.values()))  # dequantized, as torch prints a quantized tensor
        return (
            f"tensor({body}, size={_shape(value.shape)}, dtype=torch.{value.dtype},\n"
            f"       quantization_scheme=torch.per_tensor_affine, scale={value.scale!r}, zero_point={value.zero_point!r})"
        )
    values = value.values()
    if values.dtype == STORAGE["bfloat16"]:
        values = values.astype(np.float32)
    body = _array(np.asarray(values))
    size = f", size={_shape(value.shape)}" if values.size == 0 or values.size > THRESHOLD else ""
    return f"tensor({body}{size}, dtype=torch.{value.dtype})"


def nest(prefix: str, text: str) -> str:
    """``prefix + text``, with text's continuation lines indented to line up after the prefix."""
    return prefix + text.replace("\n", "\n" + " " * len(prefix))


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _array(values: np.ndarray) -> str:
    if values.ndim == 0:
        return _scalar(values.item())
    if values.dtype == np.bool_:
        formatter = {"bool": lambda b: "True" if b else "False"}
    else:
        formatter = None
    return np.array2string(
        values,
        separator=", ",
        threshold=THRESHOLD,
        edgeitems=EDGE,
        max_line_width=100,
        formatter=formatter,
        floatmode="maxprec",
    ).replace("\n", "\n" + " " * len("tensor("))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, complex):
        return repr(value)
    return repr(value)


def value(item: Any, kind: str | None = None) -> str:
    """An argument or an expectation as text."""
    if isinstance(item, NeutralTensor):
        return tensor(item)
    if isinstance(item, NeutralSparse):
        nnz = item.values.shape[0] if item.values.shape else 0
        pad = " " * len("tensor(")
        return (
            nest("tensor(indices=", tensor(item.indices))
            + ",\n"
            + nest(pad + "values=", tensor(item.values))
            + f",\n{pad}size={_shape(item.size)}, nnz={nnz}, layout=torch.sparse_coo)"
        )
    if isinstance(item, Raises):
        return f"{item.error}: {item.message}" if item.message else item.error
    if isinstance(item, Ref):
        return item.name
    if isinstance(item, str):
        return f"torch.{item}" if kind == "dtype" and item in STORAGE else repr(item)
    if isinstance(item, (list, tuple)):
        items = [value(i, kind="dtype" if kind == "dtype" else None) for i in item]
        trailing = "," if len(items) == 1 else ""
        if kind == "sequence" or any("\n" in i for i in items):  # one item a line, continuation lines aligned
            return "(" + ",\n ".join(i.replace("\n", "\n ") for i in items) + trailing + ")"
        return f"({', '.join(items)}{trailing})"
    if isinstance(item, (bool, int, float, complex)):
        return _scalar(item)
    if item is None:
        return "None"
    return repr(item)


def expectation(expected: Any) -> str:
    """What torch returns (or raises), as text."""
    if isinstance(expected, tuple):
        return value(expected, kind="sequence")
    if isinstance(expected, (bool, int, float, complex)):
        return _scalar(expected)
    return value(expected)


def call(torch_name: str, params: tuple[Param, ...], args: tuple, kwargs: dict, ops: dict[str, str] | None = None) -> str:
    """``torch.add(tensor(...), tensor(...), alpha=3)``; a gradient graph becomes a few lines of Python."""
    if len(args) == 1 and isinstance(args[0], Graph):
        return _graph(args[0], ops or {}, torch_name)
    positional = [p for p in params if not p.keyword_only]
    by_name = {p.name: p for p in params}
    parts = []
    for i, arg in enumerate(args):
        param = positional[min(i, len(positional) - 1)] if positional else None
        parts.append(value(arg, param.kind if param else None))
    for name, arg in kwargs.items():
        parts.append(nest(f"{name}=", value(arg, by_name[name].kind if name in by_name else None)))
    one_line = f"{torch_name}({', '.join(parts)})"
    if len(one_line) <= 100 and "\n" not in one_line:
        return one_line
    return f"{torch_name}(\n" + "".join(nest("    ", p) + ",\n" for p in parts) + ")"


def _graph(graph: Graph, ops: dict[str, str], torch_name: str) -> str:
    lines = []
    for name, item in graph.inputs.items():
        text = value(item)
        if name in graph.wrt and text.endswith(")"):
            text = text[:-1] + ", requires_grad=True)"
        lines.append(nest(f"{name} = ", text))
    for step in graph.steps:
        args = [value(a) for a in step.args] + [f"{k}={value(v)}" for k, v in step.kwargs.items()]
        lines.append(f"{step.name} = {ops.get(step.op, step.op)}({', '.join(args)})")
    wrt = "(" + ", ".join(graph.wrt) + ("," if len(graph.wrt) == 1 else "") + ")"
    extra = f", grad_outputs={value(graph.grad_outputs)}" if graph.grad_outputs is not None else ""
    lines.append(nest(f"{torch_name}(", f"{graph.output}, {wrt}{extra})"))
    return "\n".join(lines)


def signature(torch_name: str, params: tuple[Param, ...]) -> str:
    """``torch.add(input, other, *, alpha=1)``."""
    parts: list[str] = []
    star = False
    for p in params:
        if p.keyword_only and not star and not any(q.variadic for q in params):
            parts.append("*")
            star = True
        text = f"*{p.name}" if p.variadic else p.name
        if p.has_default:
            text += f"={value(p.default, p.kind)}"
        parts.append(text)
    return f"{torch_name}({', '.join(parts)})"
