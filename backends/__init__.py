"""The backend contract: what a third-party backend imports.

    from tensorparity.backends import Backend, NotImplementedOp, UnsupportedDtype

The contract core is ``base`` (the Backend class), ``errors``, ``neutral`` (the values
that cross between the harness and a backend), ``dtypes`` (the one dtype table),
``spec_files`` (the op ids), ``autodiff`` (the shared gradient tape and graph
evaluator) and ``registry`` (finding backends by name); it imports nothing else of
the project. ``semantics`` holds torch's rules the reference backends share; the
reference backends themselves (numpy_backend, cupy_backend, python_backend,
torch_backend) are modules beside it.
"""

from tensorparity.backends.base import Backend
from tensorparity.backends.dtypes import DTYPES, Dtype
from tensorparity.backends.errors import NotImplementedOp, UnsupportedDtype
from tensorparity.backends.neutral import Graph, NeutralSparse, NeutralTensor, Ref, Step
from tensorparity.backends.spec_files import OP_IDS

__all__ = [
    "DTYPES",
    "OP_IDS",
    "Backend",
    "Dtype",
    "Graph",
    "NeutralSparse",
    "NeutralTensor",
    "NotImplementedOp",
    "Ref",
    "Step",
    "UnsupportedDtype",
]
