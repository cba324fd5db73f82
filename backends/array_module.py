"""torch semantics over a NumPy-compatible array module (``xp``).

The NumPy and CuPy backends are this one class with a different ``xp``. Each op
validates as torch does (raising where torch raises; the checks are
``semantics.checks``), computes the result dtype with torch's promotion
(``semantics.promotion``), and then computes with ``xp`` in that dtype, so integer
overflow wraps as torch's does. Where torch computes otherwise, so does the op:
float16 and bfloat16 in float32 where torch does ("opmath"), fused multiply-adds,
matrix products and determinants in torch's order (``kernels``). complex32 and the
quantized dtypes, which ``xp`` lacks, are carried by ``exotic``.

The class is written out by op family, one module each, joined here by plain
inheritance: ``array_base`` (conversion and the helpers every op uses),
``array_elementwise``, ``array_linalg``, ``array_layout``, ``array_reduce`` and
``array_factories``.
"""

from __future__ import annotations

from tensorparity.backends.array_elementwise import ElementwiseOps
from tensorparity.backends.array_factories import FactoryOps
from tensorparity.backends.array_layout import LayoutOps
from tensorparity.backends.array_linalg import LinalgOps
from tensorparity.backends.array_reduce import ReductionOps


class ArrayModuleBackend(ElementwiseOps, LinalgOps, LayoutOps, ReductionOps, FactoryOps):
    """torch's ops written once against the NumPy API; subclasses set ``xp``.

    complex32 and quantized tensors are ``exotic.Exotic`` carriers; every op method
    is decorated ``@exotic.lifted``, which runs the plain op on the carriers where
    torch has a kernel for the dtype and raises where it has none (grad is built
    from the ops).
    """
