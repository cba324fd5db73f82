"""torch as the oracle: its answer for a case, a neutral value or ``Raises``.

The one harness module that imports a backend, torch's: ``spec record`` and
``spec check`` (``harness.record``) and the fuzzer (``harness.fuzz``) ask torch
through it. Every other harness module sees backends through the contract only.
"""

from __future__ import annotations

from typing import Any

from tensorparity.backends.torch_backend import TorchBackend
from tensorparity.harness.cases import Case
from tensorparity.harness.runner import call_op
from tensorparity.harness.values import Raises

__all__ = ["TorchBackend", "oracle"]


def oracle(case: Case, torch_backend: TorchBackend | None = None) -> Any:
    """torch's answer for a case: a neutral value, or Raises."""
    torch_backend = torch_backend or TorchBackend()
    try:
        return call_op(torch_backend, case)
    except Exception as error:  # torch raising is an answer, not a failure
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        if len(message) > 200 and ". " in message:  # the dispatcher's long explanations: their first sentence
            message = message[: message.index(". ") + 1]
        return Raises(type(error).__name__, message)
