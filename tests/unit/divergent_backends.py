"""Deliberately divergent backends for the porting workflow (issue 13): declared divergences,
baselines, the strict judge and the fuzzer that keeps going.

``PortedBackend`` diverges from torch three ways its author accepts, declared in
``PortedBackend.divergences.yaml`` next to this module, and has one bug it does not declare.
"""

from __future__ import annotations

import numpy as np
from tensorparity.backends.numpy_backend import NumpyBackend
from tensorparity.backends.semantics import promotion


class AcceptedDifferences(NumpyBackend):
    """The three accepted differences, and nothing else."""

    name = "accepted"
    divergences = "PortedBackend.divergences.yaml"  # the class attribute: a file named otherwise

    def div(self, input, other, *, rounding_mode=None):
        if rounding_mode not in (None, "trunc", "floor"):  # torch's class (the NumPy backend raises ValueError)
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}")
        result = super().div(input, other, rounding_mode=rounding_mode)
        if rounding_mode is None and all(
            not hasattr(x, "dtype") or x.dtype.kind in "biu" for x in (input, other)
        ):  # true division of integers: float64, the library's default float
            return np.asarray(result).astype(np.float64)
        return result

    def full(self, size, fill_value, *, dtype=None):
        if dtype == "uint8" and isinstance(fill_value, (int, float)) and not isinstance(fill_value, bool):
            return np.full(tuple(size), min(max(fill_value, 0), 255), dtype=np.uint8)  # saturating cast
        return super().full(size, fill_value, dtype=dtype)

    def _compare(self, input, other, compare):
        left, right, dtype = self._binary_operands(input, other)
        if promotion.is_complex(dtype):  # complex comparison allowed: by the real part
            return compare(np.real(left), np.real(right))
        return compare(left, right)


class PortedBackend(AcceptedDifferences):
    """The accepted differences plus one undeclared bug: mul is off by one in its last element."""

    name = "ported"
    divergences = None  # found by its class name: PortedBackend.divergences.yaml
    broken_kinds = "iuf"

    def mul(self, input, other):
        result = super().mul(input, other)
        if isinstance(result, np.ndarray) and result.size and result.dtype.kind in self.broken_kinds:
            result = result.copy()
            result.reshape(-1)[-1] += 1
        return result


class TypeErrorPad(NumpyBackend):
    """pad raises TypeError for an unknown mode, where torch raises NotImplementedError."""

    name = "type_error_pad"

    def pad(self, input, pad, mode="constant", value=None):
        if mode not in ("constant", "reflect", "replicate", "circular"):
            raise TypeError(f"unknown pad mode {mode!r}")
        return super().pad(input, pad, mode, value)


class TwoBugs(NumpyBackend):
    """Independent bugs in two ops: sub is off by one wherever the first input's element is 2,
    and exp of a float64 tensor returns float32."""

    name = "two_bugs"

    def sub(self, input, other, *, alpha=1):
        result = super().sub(input, other, alpha=alpha)
        if isinstance(result, np.ndarray) and result.dtype.kind in "iuf" and isinstance(input, np.ndarray):
            result = result.copy()
            mask = np.broadcast_to(np.asarray(input) == 2, result.shape)
            result[mask] += 1
        return result

    def exp(self, input):
        result = super().exp(input)
        return result.astype(np.float32) if isinstance(result, np.ndarray) and result.dtype == np.float64 else result


class Regressed(AcceptedDifferences):
    """AcceptedDifferences (the same name, so its results meet a baseline's) with a regression:
    mul is off by one in its last element for int16 alone."""

    name = "accepted"

    def mul(self, input, other):
        result = super().mul(input, other)
        if isinstance(result, np.ndarray) and result.size and result.dtype == np.int16:
            result = result.copy()
            result.reshape(-1)[-1] += 1
        return result


class Conformant(NumpyBackend):
    """Declares PortedBackend's divergences, and has none of them: each is now passing (xpass)."""

    name = "conformant"
    divergences = "PortedBackend.divergences.yaml"


class BadDeclared(NumpyBackend):
    """Its divergences file has an entry without a reason."""

    name = "bad_declared"
    divergences = "BadDeclared.divergences.yaml"


class OwnAutodiff(NumpyBackend):
    """grad by its library's own autodiff: torch's autograd stands in for a library's (JAX's
    vjp ...), over the graph walked by the public ``autodiff.evaluate``, in the few lines
    docs/backends.md shows. ``scale`` plants a bug: every gradient times it."""

    name = "own_autodiff"
    scale = 1

    def grad(self, graph):
        import torch
        from tensorparity.backends.autodiff import evaluate
        from tensorparity.backends.torch_backend import TorchBackend

        library = TorchBackend()  # the library's tensors and ops
        inputs = {name: library.from_neutral(self.to_neutral(value)) for name, value in graph.inputs.items()}
        for name in graph.wrt:
            inputs[name] = inputs[name].detach().requires_grad_(True)
        output = evaluate(library, graph, inputs)[graph.output]
        cotangent = None if graph.grad_outputs is None else library.from_neutral(self.to_neutral(graph.grad_outputs))
        grads = torch.autograd.grad(output, [inputs[name] for name in graph.wrt], grad_outputs=cotangent)
        return tuple(self.from_neutral(library.to_neutral(g * self.scale)) for g in grads)


class WrongOwnAutodiff(OwnAutodiff):
    """OwnAutodiff with every gradient doubled: the grad cases must catch it."""

    name = "wrong_own_autodiff"
    scale = 2
