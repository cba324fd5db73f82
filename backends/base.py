"""The backend contract: what every backend under test implements.

A backend converts the harness's neutral values (``backends.neutral``) to its
own tensors and back, and has one method per op id, named after it, with the
torch callable's signature. The harness only ever calls
``getattr(backend, case.op)(*args, **kwargs)``; a method a backend lacks, or one
that raises ``NotImplementedError``, is reported as "not implemented".
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import numpy as np
from tensorparity.backends import autodiff
from tensorparity.backends.errors import NotImplementedOp, UnsupportedDtype
from tensorparity.backends.neutral import NeutralSparse, NeutralTensor, map_tensors
from tensorparity.backends.spec_files import OP_IDS

__all__ = ["OP_IDS", "Backend", "NotImplementedOp", "UnsupportedDtype"]

class Backend:
    """Base class of every backend. Subclasses set ``name`` and implement ops.

    Conversion is per tensor: ``tensor_from_neutral`` and ``tensor_to_neutral``.
    Nested arguments (lists of tensors, gradient graphs) are walked here.
    """

    name: str = "base"

    def unavailable_reason(self) -> str | None:
        """Why this backend cannot run here, or None when it can."""
        return None

    def version(self) -> str:
        """The version of the library behind this backend."""
        return "unknown"

    def synchronize(self, result: Any) -> None:
        """Return once ``result``, and every piece of work queued before it, is computed.

        A library that returns before its work is done (CuPy's streams, JAX's
        ``block_until_ready``, a GPU queue) overrides this; ``tensorparity bench`` and the
        asv suite call it on the last result of every timed repeat before the clock stops,
        so a figure is the work's, not its dispatch's. The default does nothing.
        """
        return None

    # --- conversion -----------------------------------------------------
    def tensor_from_neutral(self, tensor: NeutralTensor) -> Any:
        raise NotImplementedError

    def tensor_to_neutral(self, native: Any) -> NeutralTensor | NeutralSparse | None:
        """The neutral form of a native tensor, or None if ``native`` is not one."""
        raise NotImplementedError

    def from_neutral(self, value: Any) -> Any:
        """Convert every neutral tensor inside a (nested) argument."""
        return map_tensors(value, self.tensor_from_neutral)

    def to_neutral(self, value: Any) -> Any:
        """Convert a result: a tensor, a sparse tensor, a tuple of them, or a Python number.

        Anything else is passed through untouched so the judge can name it.
        """
        converted = self.tensor_to_neutral(value)
        if converted is not None:
            return converted
        if isinstance(value, (tuple, list)):
            return type(value)(self.to_neutral(item) for item in value)
        return value

    # --- gradients --------------------------------------------------------
    def grad(self, graph: Any) -> tuple[Any, ...]:
        """Gradients of ``graph.output`` w.r.t. ``graph.wrt`` (torch.autograd.grad).

        The default is reverse mode over this backend's own ops (``backends.autodiff``),
        so a backend that implements the forward ops gets gradients for free.
        """
        return autodiff.grad(self, graph)

    # Helpers the shared autodiff needs beyond the op ids. The defaults go
    # through the neutral NumPy form, so any backend has them; override for speed.
    def sum_to_shape(self, tensor: Any, shape: tuple[int, ...]) -> Any:
        """Sum a broadcast gradient back down to ``shape``."""
        if self.shape_of(tensor) == tuple(shape):
            return tensor

        def reduce(values: np.ndarray) -> np.ndarray:
            extra = values.ndim - len(shape)
            values = values.sum(axis=tuple(range(extra))) if extra > 0 else values
            axes = tuple(i for i, size in enumerate(shape) if size == 1 and values.shape[i] != 1)
            return (values.sum(axis=axes, keepdims=True) if axes else values).reshape(shape)

        return self._through_numpy(tensor, reduce)

    def _through_numpy(self, tensor: Any, compute: Any) -> Any:
        """Apply a NumPy function to a tensor's values, keeping its dtype (complex32 included)."""
        neutral = self.tensor_to_neutral(tensor)
        values = np.asarray(compute(neutral.values()))
        if neutral.dtype == "complex32":
            pairs = np.stack([values.real, values.imag], axis=-1).astype(np.float16)
            return self.tensor_from_neutral(NeutralTensor(pairs, neutral.dtype))
        return self.tensor_from_neutral(NeutralTensor(values.astype(neutral.array.dtype), neutral.dtype))

    def ones_like(self, tensor: Any) -> Any:
        return self._through_numpy(tensor, np.ones_like)

    def zeros_like(self, tensor: Any) -> Any:
        return self._through_numpy(tensor, np.zeros_like)

    def conj(self, tensor: Any) -> Any:
        """The complex conjugate (the tensor itself for real dtypes)."""
        if not self.tensor_to_neutral(tensor).dtype.startswith("complex"):
            return tensor
        return self._through_numpy(tensor, np.conj)

    def log(self, tensor: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._through_numpy(tensor, np.log)

    def sum_dims(self, tensor: Any, dims: tuple[int, ...]) -> Any:
        """Sum over ``dims``, which are removed."""
        return self._through_numpy(tensor, lambda values: values.sum(axis=tuple(dims)))

    def masked_scatter(self, mask: Any, source: Any, shape: tuple[int, ...]) -> Any:
        """A tensor of ``shape`` (source's dtype): source's values where the broadcast mask is True, zeros elsewhere."""
        where = np.broadcast_to(self.tensor_to_neutral(mask).array, shape)

        def scatter(values: np.ndarray) -> np.ndarray:
            result = np.zeros(shape, dtype=values.dtype)
            result[where] = values
            return result

        return self._through_numpy(source, scatter)

    def shape_of(self, tensor: Any) -> tuple[int, ...]:
        return tuple(self.tensor_to_neutral(tensor).shape)

    def cast_like(self, tensor: Any, reference: Any) -> Any:
        """``tensor`` in the dtype of ``reference``."""
        neutral, like = self.tensor_to_neutral(tensor), self.tensor_to_neutral(reference)
        if neutral.dtype == like.dtype:
            return tensor
        return self.tensor_from_neutral(NeutralTensor(np.asarray(neutral.values()).astype(like.array.dtype), like.dtype))


def _top_package(cls: type) -> str:
    return cls.__module__.partition(".")[0]


def version_label(backend: Backend) -> str:
    """The version a report shows for ``backend``: its ``version()``, unless it inherits
    ``version`` from a class of another package (a NumPy backend subclass is not NumPy 2.x):
    then ``mypkg 1.2 (subclass of numpy 2.4.6)``, its own package's version or else its
    ``module:Class`` naming it."""
    cls = type(backend)
    owner = next(k for k in cls.__mro__ if "version" in k.__dict__)
    if owner is cls or _top_package(owner) == _top_package(cls):
        return backend.version()
    try:
        dists = importlib.metadata.packages_distributions().get(_top_package(cls), [])
        own = f"{dists[0]} {importlib.metadata.version(dists[0])}" if dists else None
    except Exception:  # metadata a broken install cannot give
        own = None
    label = own or f"{cls.__module__}:{cls.__qualname__}"
    if owner is Backend:
        return label
    return f"{label} (subclass of {getattr(owner, 'name', owner.__name__)} {backend.version()})"
