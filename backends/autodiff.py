"""Reverse-mode gradients over any backend's own ops: a tape and one VJP rule per op.

A backend that implements the forward ops gets ``grad`` from here without
writing any gradient code: every rule is written in terms of backend ops
(``backend.mul``, ``backend.mm`` ...) plus the few helpers on ``Backend``
(``sum_to_shape``, ``sum_dims``, ``zeros_like``, ``conj``, ``log``,
``masked_scatter``, ``cast_like``, ``shape_of``), whose defaults go through
the neutral NumPy form. Complex gradients follow torch's convention: for a
holomorphic f, the gradient is ``grad_output * conj(f'(z))``.

Over 400 lines as one idea: the tape and one short VJP rule per differentiable op; splitting the rules from the tape would separate a rule from the walk that calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from tensorparity.backends.errors import NotImplementedOp
from tensorparity.backends.neutral import Graph, NeutralTensor, Ref, Step

# A rule gets (backend, cotangent, args, kwargs, output) and returns one
# gradient (or None) per positional argument of the op; a tuple argument
# (cat's tensors) gets a tuple of gradients.
VjpRule = Callable[[Any, Any, tuple, dict, Any], tuple]
VJP_RULES: dict[str, VjpRule] = {}  # a backend may hold its own table as ``vjp_rules``


def vjp(op: str) -> Callable[[VjpRule], VjpRule]:
    def register(rule: VjpRule) -> VjpRule:
        VJP_RULES[op] = rule
        return rule

    return register


# --- the tape ------------------------------------------------------------------
# The public graph evaluator: a backend with an autodiff of its own overrides ``grad`` with
# ``evaluate`` (docs/backends.md shows the few lines), and need not walk the graph itself.
def resolve(value: Any, values: dict[str, Any]) -> Any:
    """``value`` with every ``Ref`` inside it (nested in lists, tuples and dicts) replaced by
    the named value in ``values`` (``Ref(name, index)``: that item of a tuple output)."""
    if isinstance(value, Ref):
        if value.name not in values:
            raise KeyError(f"graph refers to unknown value {value.name!r}")
        found = values[value.name]
        return found if value.index is None else found[value.index]
    if isinstance(value, (list, tuple)):
        return type(value)(resolve(item, values) for item in value)
    if isinstance(value, dict):
        return {key: resolve(item, values) for key, item in value.items()}
    return value


_resolve = resolve  # the name it had when it was private


def evaluate(backend: Any, graph: Graph, inputs: dict[str, Any] | None = None, tape: list | None = None) -> dict[str, Any]:
    """Run the graph's steps forward on ``backend``; every named value, by name
    (``values[graph.output]`` is the output).

    ``inputs``: the graph's inputs as the backend's tensors (default ``graph.inputs``,
    already converted by the harness); pass them marked for your library's autodiff
    (``requires_grad``, traced ...). ``tape``: a list that gets ``(step, args, kwargs,
    output)`` for each step, in order."""
    values = dict(graph.inputs if inputs is None else inputs)
    for step in graph.steps:
        args = resolve(step.args, values)
        kwargs = resolve(step.kwargs, values)
        method = getattr(backend, step.op, None)
        if method is None:
            raise NotImplementedOp(f"{backend.name} has no method {step.op!r}")
        values[step.name] = method(*args, **kwargs)
        if tape is not None:
            tape.append((step, args, kwargs, values[step.name]))
    if graph.output not in values:
        raise KeyError(f"graph output {graph.output!r} is never computed")
    return values


def _dtype_of(backend: Any, value: Any) -> str | None:
    neutral = backend.tensor_to_neutral(value)
    return neutral.dtype if isinstance(neutral, NeutralTensor) else None


def _is_differentiable(backend: Any, value: Any) -> bool:
    dtype = _dtype_of(backend, value)
    return dtype is not None and dtype.startswith(("float", "bfloat", "complex"))


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
        if isinstance(upstream, dict):  # pieces of a tuple output; unused pieces get zeros
            upstream = tuple(upstream.get(i, None) for i in range(len(out)))
            upstream = tuple(backend.zeros_like(o) if g is None else g for g, o in zip(upstream, out))
        rule = getattr(backend, "vjp_rules", VJP_RULES).get(step.op)
        if rule is None:
            raise RuntimeError(f"{step.op} is not differentiable")
        _accumulate(backend, gradients, step.args, rule(backend, upstream, args, kwargs, out))
    missing = [name for name in graph.wrt if name not in gradients]
    if missing:
        raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph.")
    return tuple(_like(backend, gradients[name], graph.inputs[name]) for name in graph.wrt)


def _accumulate(backend: Any, gradients: dict[str, Any], templates: Any, contributions: Any) -> None:
    """Add each contribution to the gradient of the Ref it flows back to."""
    for template, contribution in zip(templates, contributions):
        if contribution is None:
            continue
        if isinstance(template, (list, tuple)):
            _accumulate(backend, gradients, template, contribution)
        elif isinstance(template, Ref):
            if template.index is not None:
                pieces = gradients.setdefault(template.name, {})
                previous = pieces.get(template.index)
                pieces[template.index] = contribution if previous is None else backend.add(previous, contribution)
            else:
                previous = gradients.get(template.name)
                gradients[template.name] = contribution if previous is None else backend.add(previous, contribution)


def _like(backend: Any, gradient: Any, reference: Any) -> Any:
    """A gradient in the shape and dtype of the input it belongs to (broadcasts summed back)."""
    gradient = backend.sum_to_shape(gradient, backend.shape_of(reference))
    return backend.cast_like(gradient, reference)


def _tensor(backend: Any, value: Any) -> bool:
    return backend.tensor_to_neutral(value) is not None


def _reduce(backend: Any, gradient: Any, operand: Any) -> Any:
    """The gradient for ``operand``, or None when it is a number or not differentiable."""
    return _like(backend, gradient, operand) if _is_differentiable(backend, operand) else None


def _conj(backend: Any, value: Any) -> Any:
    return backend.conj(value) if _tensor(backend, value) else (value.conjugate() if isinstance(value, complex) else value)


# --- elementwise -----------------------------------------------------------------
@vjp("add")
def _add(backend, g, args, kwargs, out):
    alpha = kwargs.get("alpha", 1)
    return _reduce(backend, g, args[0]), _reduce(backend, backend.mul(g, _conj(backend, alpha)) if alpha != 1 else g, args[1])


@vjp("sub")
def _sub(backend, g, args, kwargs, out):
    alpha = kwargs.get("alpha", 1)
    return _reduce(backend, g, args[0]), _reduce(backend, backend.mul(g, -_conj(backend, alpha)), args[1])


@vjp("mul")
def _mul(backend, g, args, kwargs, out):
    left, right = args
    return (
        _reduce(backend, backend.mul(g, _conj(backend, right)), left),
        _reduce(backend, backend.mul(g, _conj(backend, left)), right),
    )


@vjp("div")
def _div(backend, g, args, kwargs, out):
    left, right = args
    if kwargs.get("rounding_mode") is not None:  # piecewise constant: zero gradient, as torch gives
        return _reduce(backend, backend.zeros_like(g), left), _reduce(backend, backend.zeros_like(g), right)
    right_conj = _conj(backend, right)
    return (
        _reduce(backend, backend.div(g, right_conj), left),
        _reduce(backend, backend.mul(backend.div(backend.mul(g, _conj(backend, out)), right_conj), -1), right),
    )


@vjp("exp")
def _exp(backend, g, args, kwargs, out):
    return (_reduce(backend, backend.mul(g, _conj(backend, out)), args[0]),)


@vjp("pow")
def _pow(backend, g, args, kwargs, out):
    base, exponent = args
    base_grad = None
    if _is_differentiable(backend, base):
        if not _tensor(backend, exponent) and exponent == 0:
            base_grad = backend.zeros_like(g)
        else:
            # d/da a**e = e * a**(e - 1)
            derivative = backend.mul(
                backend.pow(base, backend.sub(exponent, 1) if _tensor(backend, exponent) else exponent - 1), exponent
            )
            base_grad = backend.mul(g, _conj(backend, derivative))
    exponent_grad = None
    if _is_differentiable(backend, exponent):
        # d/de a**e = a**e * log(a)
        log_base = backend.log(base) if _tensor(backend, base) else backend.log(backend.mul(backend.ones_like(exponent), base))
        exponent_grad = backend.mul(g, _conj(backend, backend.mul(out, log_base)))
    return (
        _reduce(backend, base_grad, base) if base_grad is not None else None,
        _reduce(backend, exponent_grad, exponent) if exponent_grad is not None else None,
    )


@vjp("where")
def _where(backend, g, args, kwargs, out):
    condition, left, right = args
    zeros = backend.zeros_like(g)
    return (
        None,
        _reduce(backend, backend.where(condition, g, zeros), left),
        _reduce(backend, backend.where(condition, zeros, g), right),
    )


@vjp("masked_select")
def _masked_select(backend, g, args, kwargs, out):
    input, mask = args
    # g holds one value per True of the broadcast mask: put each back where it came from.
    scattered = backend.masked_scatter(mask, g, backend.shape_of(backend.where(mask, input, input)))
    return _reduce(backend, scattered, input), None


# --- linear algebra -----------------------------------------------------------------
def _matrix_transpose(backend: Any, x: Any) -> Any:
    ndim = len(backend.shape_of(x))
    return backend.transpose(x, ndim - 2, ndim - 1)


def _adjoint(backend: Any, x: Any) -> Any:
    return backend.conj(_matrix_transpose(backend, x))


@vjp("mm")
def _mm(backend, g, args, kwargs, out):
    a, b = args
    return backend.mm(g, _adjoint(backend, b)), backend.mm(_adjoint(backend, a), g)


@vjp("bmm")
def _bmm(backend, g, args, kwargs, out):
    a, b = args
    return backend.bmm(g, _adjoint(backend, b)), backend.bmm(_adjoint(backend, a), g)


@vjp("det")
def _det(backend, g, args, kwargs, out):
    (a,) = args
    # d det(A) / dA is the cofactor matrix, det(A) inv(A)^T where A is invertible. torch 2.13
    # computes the latter and returns a zero gradient wherever det(A) == 0 exactly (although the
    # cofactor matrix of a rank n-1 matrix is not zero); we follow torch.
    cofactor = cofactor_matrix(backend, a)
    shape = backend.shape_of(a)
    g = backend.reshape(g, (*shape[:-2], 1, 1))
    singular = np.asarray(backend.tensor_to_neutral(out).values() == 0).reshape((*shape[:-2], 1, 1))
    singular = backend.tensor_from_neutral(NeutralTensor(np.broadcast_to(singular, shape).copy(), "bool"))
    gradient = backend.mul(g, backend.conj(cofactor))
    return (backend.where(singular, backend.zeros_like(gradient), gradient),)


def cofactor_matrix(backend: Any, a: Any) -> Any:
    """Each entry's cofactor, from the backend's own det of each minor."""
    neutral = backend.tensor_to_neutral(a)
    matrices = np.asarray(neutral.array)
    n = matrices.shape[-1]
    if n == 0:
        return a
    if n == 1:
        return backend.ones_like(a)
    entries = []
    for row in range(n):
        for column in range(n):
            minor = np.delete(np.delete(matrices, row, axis=-2), column, axis=-1)
            minor_det = backend.det(backend.tensor_from_neutral(NeutralTensor(np.ascontiguousarray(minor), neutral.dtype)))
            entries.append(backend.mul(minor_det, (-1) ** (row + column)))
    stacked = backend.cat([backend.reshape(e, (*backend.shape_of(e), 1)) for e in entries], -1)
    return backend.reshape(stacked, backend.shape_of(a))


# --- shape and layout -----------------------------------------------------------------
@vjp("transpose")
def _transpose(backend, g, args, kwargs, out):
    _, dim0, dim1 = args
    return backend.transpose(g, dim0, dim1), None, None


@vjp("permute")
def _permute(backend, g, args, kwargs, out):
    input, dims = args
    ndim = len(backend.shape_of(input))
    inverse = [0] * ndim
    for position, dim in enumerate(dims):
        inverse[dim % max(ndim, 1)] = position
    return backend.permute(g, tuple(inverse)), None


@vjp("view")
def _view(backend, g, args, kwargs, out):
    return (backend.reshape(g, backend.shape_of(args[0])),) + (None,) * (len(args) - 1)


@vjp("reshape")
def _reshape(backend, g, args, kwargs, out):
    return backend.reshape(g, backend.shape_of(args[0])), None


@vjp("cat")
def _cat(backend, g, args, kwargs, out):
    tensors = args[0]
    dim = kwargs.get("dim", args[1] if len(args) > 1 else 0)
    sizes = [backend.shape_of(t) for t in tensors]
    kept = [s for s in sizes if s != (0,)]  # torch skips legacy empty 1-d tensors
    ndim = len(kept[0]) if kept else 1
    dim = dim % ndim
    pieces = iter(split_along(backend, g, dim, [s[dim] for s in kept]))
    grads = tuple(backend.zeros_like(t) if s == (0,) and kept else next(pieces) for t, s in zip(tensors, sizes))
    return (grads,) + (None,) * (len(args) - 1)


def split_along(backend: Any, x: Any, dim: int, lengths: list[int]) -> list[Any]:
    """Split ``x`` into pieces of ``lengths`` along ``dim``, with vsplit (which splits dim 0)."""
    shape = backend.shape_of(x)
    order = [dim] + [d for d in range(len(shape)) if d != dim]
    moved = backend.permute(x, tuple(order))
    moved_shape = backend.shape_of(moved)
    flat = backend.reshape(moved, (moved_shape[0], int(np.prod(moved_shape[1:]))))
    bounds = list(np.cumsum(lengths)[:-1])
    pieces = backend.vsplit(flat, [int(b) for b in bounds]) if len(lengths) > 1 else (flat,)
    inverse = [order.index(d) for d in range(len(shape))]
    return [
        backend.permute(backend.reshape(piece, (length, *moved_shape[1:])), tuple(inverse))
        for piece, length in zip(pieces, lengths)
    ]


@vjp("vsplit")
def _vsplit(backend, g, args, kwargs, out):
    return backend.cat(list(g), 0), None


@vjp("repeat")
def _repeat(backend, g, args, kwargs, out):
    input = args[0]
    sizes = tuple(args[1]) if len(args) == 2 and isinstance(args[1], (list, tuple)) else tuple(args[1:])
    shape = backend.shape_of(input)
    padded = (1,) * (len(sizes) - len(shape)) + tuple(shape)
    # view the output as (repeat_0, size_0, repeat_1, size_1, ...) and sum the repeat axes
    split_shape = tuple(v for pair in zip(sizes, padded) for v in pair)
    summed = backend.sum_dims(backend.reshape(g, split_shape), tuple(range(0, 2 * len(sizes), 2)))
    return (backend.reshape(summed, shape),) + (None,) * (len(args) - 1)


@vjp("pad")
def _pad(backend, g, args, kwargs, out):
    pad = args[1]
    mode = kwargs.get("mode", args[2] if len(args) > 2 else "constant")
    if mode != "constant":
        raise NotImplementedError(f"gradient of pad in {mode} mode")
    # constant padding is undone by negative padding, which crops
    return (backend.pad(g, tuple(-p for p in pad)),) + (None,) * (len(args) - 1)


@vjp("cumprod")
def _cumprod(backend, g, args, kwargs, out):
    input = args[0]
    dim = args[1] if len(args) > 1 else kwargs["dim"]
    shape = backend.shape_of(input)
    if not shape:
        return g, None
    dim %= len(shape)
    length = shape[dim]
    # d out_j / d x_k = prod_{i <= j, i != k} x_i for j >= k: the cumprod of x with x_k set to 1.
    # Exact with zeros in x (where dividing out by x_k would not be).
    ones = backend.ones_like(input)
    total = backend.zeros_like(input)
    conj_g = g
    for k in range(length):
        position = _one_hot(backend, input, dim, k)
        without_k = backend.where(position, ones, input)
        products = backend.cumprod(without_k, dim)
        later = _from(backend, input, dim, k)  # j >= k
        contribution = backend.mul(conj_g, backend.conj(backend.where(later, products, backend.zeros_like(products))))
        summed = backend.sum_dims(contribution, (dim,))
        total = backend.where(position, backend.reshape(summed, _keepdim(shape, dim)), total)
    return (total, None)


def _keepdim(shape: tuple[int, ...], dim: int) -> tuple[int, ...]:
    return tuple(1 if d == dim else s for d, s in enumerate(shape))


def _positions(backend: Any, like: Any, dim: int, select: Callable[[np.ndarray], np.ndarray]) -> Any:
    shape = backend.shape_of(like)
    index = np.arange(shape[dim]).reshape(
        _keepdim(tuple(1 for _ in shape), dim)[:dim] + (shape[dim],) + (1,) * (len(shape) - dim - 1)
    )
    mask = np.broadcast_to(select(index), shape).copy()
    return backend.tensor_from_neutral(NeutralTensor(mask, "bool"))


def _one_hot(backend: Any, like: Any, dim: int, k: int) -> Any:
    return _positions(backend, like, dim, lambda index: index == k)


def _from(backend: Any, like: Any, dim: int, k: int) -> Any:
    return _positions(backend, like, dim, lambda index: index >= k)
