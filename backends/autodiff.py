"""Reverse-mode gradients over any backend's own ops: a tape and one VJP rule per op.

A backend that implements the forward ops gets ``grad`` from here without
writing any gradient code: every rule is written in terms of backend ops
(``backend.mul``, ``backend.div`` ...) plus the few helpers on ``Backend``
(``sum_to_shape``, ``ones_like``, ``shape_of``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backends.neutral import Graph, Ref, Step

# A rule gets (backend, cotangent, args, kwargs, output) and returns one
# gradient (or None) per positional argument of the op.
VjpRule = Callable[[Any, Any, tuple, dict, Any], tuple]
VJP_RULES: dict[str, VjpRule] = {}


def vjp(op: str) -> Callable[[VjpRule], VjpRule]:
    def register(rule: VjpRule) -> VjpRule:
        VJP_RULES[op] = rule
        return rule

    return register


def _resolve(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        if value.name not in values:
            raise KeyError(f"graph refers to unknown value {value.name!r}")
        return values[value.name]
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(item, values) for item in value)
    if isinstance(value, dict):
        return {key: _resolve(item, values) for key, item in value.items()}
    return value


def evaluate(backend: Any, graph: Graph, inputs: dict[str, Any], tape: list | None = None) -> dict[str, Any]:
    """Run the graph's steps forward on ``backend``; every named value, by name."""
    values = dict(inputs)
    for step in graph.steps:
        args = _resolve(step.args, values)
        kwargs = _resolve(step.kwargs, values)
        values[step.name] = getattr(backend, step.op)(*args, **kwargs)
        if tape is not None:
            tape.append((step, args, kwargs, values[step.name]))
    if graph.output not in values:
        raise KeyError(f"graph output {graph.output!r} is never computed")
    return values


def _is_differentiable(backend: Any, value: Any) -> bool:
    neutral = backend.tensor_to_neutral(value)
    return neutral is not None and neutral.dtype.startswith(("float", "bfloat", "complex"))


def grad(backend: Any, graph: Graph) -> tuple[Any, ...]:
    """torch.autograd.grad(output, wrt, grad_outputs) computed on the tape."""
    for name in graph.wrt:
        if not _is_differentiable(backend, graph.inputs[name]):
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
    tape: list[tuple[Step, tuple, dict, Any]] = []
    values = evaluate(backend, graph, graph.inputs, tape)
    output = values[graph.output]
    if graph.grad_outputs is None:
        if backend.numel(output) != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        cotangent = backend.ones_like(output)
    else:
        cotangent = graph.grad_outputs
    gradients: dict[str, Any] = {graph.output: cotangent}
    for step, args, kwargs, out in reversed(tape):
        upstream = gradients.pop(step.name, None)
        if upstream is None:
            continue
        rule = VJP_RULES.get(step.op)
        if rule is None:
            raise NotImplementedError(f"no gradient rule for {step.op}")
        for template, contribution in zip(step.args, rule(backend, upstream, args, kwargs, out)):
            if isinstance(template, Ref) and contribution is not None:
                previous = gradients.get(template.name)
                gradients[template.name] = contribution if previous is None else backend.add(previous, contribution)
    missing = [name for name in graph.wrt if name not in gradients]
    if missing:
        raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph.")
    return tuple(_like(backend, gradients[name], graph.inputs[name]) for name in graph.wrt)


def _like(backend: Any, gradient: Any, reference: Any) -> Any:
    """A gradient in the shape and dtype of the input it belongs to."""
    gradient = backend.sum_to_shape(gradient, backend.shape_of(reference))
    return backend.cast_like(gradient, reference)


def _tensor(backend: Any, value: Any) -> bool:
    return backend.tensor_to_neutral(value) is not None


def _reduce(backend: Any, gradient: Any, operand: Any) -> Any:
    return _like(backend, gradient, operand) if _tensor(backend, operand) else None


@vjp("add")
def _add(backend, g, args, kwargs, out):
    alpha = kwargs.get("alpha", 1)
    return _reduce(backend, g, args[0]), _reduce(backend, backend.mul(g, alpha) if alpha != 1 else g, args[1])


@vjp("sub")
def _sub(backend, g, args, kwargs, out):
    return _reduce(backend, g, args[0]), _reduce(backend, backend.mul(g, -kwargs.get("alpha", 1)), args[1])


@vjp("mul")
def _mul(backend, g, args, kwargs, out):
    left, right = args
    return _reduce(backend, backend.mul(g, right), left), _reduce(backend, backend.mul(g, left), right)


@vjp("div")
def _div(backend, g, args, kwargs, out):
    if kwargs.get("rounding_mode") is not None:
        return None, None  # piecewise constant: torch gives zeros, shaped by _zero_missing
    left, right = args
    return (
        _reduce(backend, backend.div(g, right), left),
        _reduce(backend, backend.mul(backend.div(backend.mul(g, out), right), -1), right),
    )


@vjp("exp")
def _exp(backend, g, args, kwargs, out):
    return (_reduce(backend, backend.mul(g, out), args[0]),)


@vjp("pow")
def _pow(backend, g, args, kwargs, out):
    base, exponent = args
    if _tensor(backend, exponent):
        raise NotImplementedError("gradient of pow with a tensor exponent")
    if exponent == 0:
        return (_reduce(backend, backend.mul(g, 0), base), None)
    return (_reduce(backend, backend.mul(backend.mul(g, exponent), backend.pow(base, exponent - 1)), base), None)
