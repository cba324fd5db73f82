"""A backend whose ops return before their work is done, to test that bench waits for it.

``DeferredBackend.add`` queues 20 ms of work on a worker thread and returns at once;
``synchronize(result)`` waits until that result, and so everything queued before it
(the queue is in order), is computed. The work keeps the CPU busy (a spin, holding the
GIL much of the time), as real queued work would: a bench that did not wait for it would
time the dispatch only, and the queue would drain into the next backend's clock.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from tensorparity.backends.base import Backend
from tensorparity.backends.neutral import NeutralTensor

WORK_S = 0.02


class Pending:
    """A result whose values exist once ``done`` is set."""

    def __init__(self, values: Any) -> None:
        self.values = values
        self.done = threading.Event()


class DeferredBackend(Backend):
    name = "deferred"

    def __init__(self) -> None:
        self.synchronized = 0
        self._queue: queue.Queue[Pending | None] = queue.Queue()
        self._stopped = False
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            pending = self._queue.get()
            if pending is None:
                return
            if not self._stopped:  # once stopped, a queue left by a broken bench drains at once
                end = time.perf_counter() + WORK_S
                while time.perf_counter() < end:
                    pass
            pending.done.set()

    def close(self) -> None:
        self._stopped = True
        self._queue.put(None)
        self._thread.join(10)

    def tensor_from_neutral(self, tensor: NeutralTensor) -> Any:
        return tensor.array

    def tensor_to_neutral(self, native: Any) -> NeutralTensor | None:
        return None  # results are never judged here

    def add(self, input: Any, other: Any, *, alpha: Any = 1) -> Pending:
        result = Pending(None)
        self._queue.put(result)
        return result

    def synchronize(self, result: Any) -> None:
        self.synchronized += 1
        result.done.wait()
