"""Worker processes that run cases, so that no backend can take the run down.

A Python thread cannot be stopped, and a backend that segfaults or calls
``os._exit`` ends its interpreter, so cases run in child processes. The parent
streams each worker its cases in chunks over a socket pair and reads one small
framed message per result as it is decided (a case pays a few microseconds of
round trip, not a process start). A worker that gives no result within the
per-case timeout is killed and its case reported ``timeout``; one that dies is
reported ``crash`` on the case it was running. Either way a fresh worker takes
the slot and the cases that were queued behind run there. After ``max_timeouts``
timeouts (or crashes) in a row of one op on one backend, that op's remaining
cases there are reported so without being run: a hanging op costs a few
timeouts, not one per case.

Workers are started with multiprocessing's ``forkserver`` method where the
platform has it (``spawn`` elsewhere): a fresh worker is a fork of a clean server
that has already imported the harness and the backends' modules, so replacing
a dead one costs milliseconds. Nothing here is torch-specific.

Throughput: each worker has a few chunks queued ahead, and while all have, the
parent lets results gather for a millisecond and reads them in one go; a case's
tasks for every backend travel in one chunk, so it is pickled once. Arrays keep
their strides on the way (NumPy would send a strided view as a contiguous copy).
A worker gets the harness's current environment, with OpenMP told not to spin
and, for several workers, each its share of the cores for thread pools. No
worker outlives the harness, even after ``kill -9``: see ``_die_with_parent``.

One module over 400 lines, on purpose: both ends of one private protocol (the
framing, the worker's loop, the parent's scheduling, deadlines and recovery),
whose invariants (message order, chunk accounting) hold only together.
"""

from __future__ import annotations

import contextlib
import copyreg
import ctypes
import functools
import io
import math
import multiprocessing
import os
import pickle
import selectors
import signal
import socket
import struct
import sys
import time
import traceback
import types
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from tensorparity.backends.base import Backend, version_label
from tensorparity.harness import results as outcomes
from tensorparity.harness.results import Result

CHUNK = 32  # the most cases per message to a worker
AHEAD = 4  # chunks handed to a worker at once: it never waits for the parent to be scheduled
START_TIMEOUT = 120.0  # seconds a fresh worker may take to import its backends (with a timeout set)
_HEADER = struct.Struct("!Q")
_PROTOCOL = pickle.HIGHEST_PROTOCOL
_FIELDS = tuple(f.name for f in fields(Result))
_BUFFER = 1 << 20  # socket buffer: most chunks fit whole
_READ = 1 << 16  # bytes read at once (recv allocates what it is asked for: a MiB per call would cost)
_GATHER = 0.001  # seconds the parent lets results gather while every worker has work queued
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

Task = tuple[int, int, Any]  # (task id, index of the backend, case)
# What a worker calls on each case: (backend, case, the backend's version) -> its result (harness.runner.run_case).
CaseRunner = Callable[[Backend, Any, str], Result]


class WorkerError(RuntimeError):
    """A worker could not be started for a backend (not picklable, fails to import there ...)."""


def context() -> Any:
    """The multiprocessing context workers start in: forkserver where it exists, else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def prestart(backends: Sequence[Backend] = (), run_case: CaseRunner | None = None) -> None:
    """Start the fork server now, importing the harness (``run_case``'s module) and the backends'
    modules, so that the first worker starts fast. Call early (before loading the spec) to overlap
    the imports. Does nothing once a server runs, or where there is no fork server."""
    ctx = context()
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver  # here: only where the platform has a fork server

    harness = ["tensorparity.harness.workers", *([run_case.__module__] if run_case is not None else [])]
    modules = [*harness, *dict.fromkeys(type(b).__module__ for b in backends)]
    ctx.set_forkserver_preload([m for m in modules if m != "__main__"])
    forkserver.ensure_running()


# --- framing ----------------------------------------------------------------


def _reduce_array(array: np.ndarray) -> Any:
    """Pickle an array keeping its strides: NumPy would send a non-contiguous view as a
    contiguous copy, and the spec's strided inputs (``layout``) must reach a backend as such."""
    if array.flags.c_contiguous or array.flags.f_contiguous or array.dtype.hasobject or not array.dtype.itemsize:
        return array.__reduce__()
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not root.flags.c_contiguous or not root.dtype.itemsize:
        return array.__reduce__()  # no plain buffer underneath: NumPy's contiguous copy
    offset = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    flat = root.reshape(-1).view(np.uint8)
    return _rebuild_strided, (flat, array.dtype, offset, array.shape, array.strides, bool(array.flags.writeable))


def _rebuild_strided(flat: np.ndarray, dtype: np.dtype, offset: int, shape: tuple, strides: tuple, writeable: bool) -> np.ndarray:
    array = np.ndarray(shape, dtype, buffer=flat, offset=offset, strides=strides)
    array.flags.writeable = writeable
    return array


_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[np.ndarray] = _reduce_array


def _frame(message: Any) -> bytes:
    buffer = io.BytesIO()
    buffer.write(b"\0" * _HEADER.size)
    pickler = pickle.Pickler(buffer, _PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(message)
    data = buffer.getbuffer()
    _HEADER.pack_into(data, 0, len(data) - _HEADER.size)
    del data
    return buffer.getvalue()


def _read_frame(stream: Any) -> Any:
    """The next message from a blocking binary stream; None at end of stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


# --- the worker's side ------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when its parent dies, so none outlives a killed run
    (kill -9 included), even one stuck in native code.

    Under forkserver the parent is the fork server, which lives while any process holds its
    "alive" pipe: the harness does, and so would every worker, by inheritance. Closing the
    worker's copies lets the server end with the harness, and the kernel then ends the worker.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    from multiprocessing import forkserver, parent_process  # here: on Linux only, as the prctl

    server = getattr(forkserver, "_forkserver", None)
    sentinel = getattr(parent_process(), "_sentinel", None)  # a copy of the same pipe
    for fd in {getattr(server, "_forkserver_alive_fd", None), sentinel}:
        if isinstance(fd, int):
            with contextlib.suppress(OSError):
                os.close(fd)
    if server is not None:
        server._forkserver_alive_fd = None
    if os.getppid() == 1:  # pragma: no cover - the parent died before the prctl took hold
        os._exit(1)


def _call(method: Callable[[], Any]) -> Any:
    try:
        return method()
    except Exception as error:  # a backend under test may raise anything
        return f"{method.__name__}() raised {type(error).__name__}: {error}"


def worker_main(sock: socket.socket) -> None:
    """A worker: read the backends, then chunks of cases; send back one result per case."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    stream = sock.makefile("rb")

    def send(message: Any) -> None:
        sock.sendall(_frame(message))

    try:
        message = _read_frame(stream)
        if message is None:
            return
        os.environ.clear()  # before the backends import their libraries
        os.environ.update(message[2])
        backends: dict[int, Backend] = message[1]
        run_case: CaseRunner = message[3]
        info = {}
        for index, backend in backends.items():  # plain str: torch's version is a str subclass that needs torch
            reason, version = _call(backend.unavailable_reason), _call(functools.partial(version_label, backend))
            info[index] = (None if reason is None else str(reason), str(version))
    except Exception:
        send(("setup_error", traceback.format_exc()))
        return
    send(("ready", info))
    versions = {index: version for index, (_, version) in info.items()}
    while True:
        message = _read_frame(stream)
        if message is None or message[0] == "stop":
            return
        for task_id, index, case in message[1]:
            try:
                result = run_case(backends[index], case, versions[index])
            except Exception:  # a harness bug: reported on the case, the worker goes on
                result = Result(
                    case.op, case.name, case.dtype, backends[index].name, outcomes.ERROR,
                    "the harness failed on this case", duration_s=0.0, section=case.section,
                    backend_version=versions[index], traceback=traceback.format_exc(),
                )  # fmt: skip
            send(("result", task_id, tuple(getattr(result, name) for name in _FIELDS)))


# --- the parent's side ------------------------------------------------------


@dataclass
class _Chunk:
    tasks: deque[Task]
    end: int  # offset in the worker's output stream where this chunk's frame ends
    written_at: float | None = None  # when its last byte went out


@dataclass
class _Worker:
    process: Any
    sock: socket.socket
    group: tuple[int, ...]  # the backends it hosts
    started: float
    ready: bool = False
    inbuf: bytearray = field(default_factory=bytearray)
    outbuf: bytearray = field(default_factory=bytearray)
    queued: int = 0  # bytes ever queued for the worker
    written: int = 0  # bytes ever written to it
    chunks: deque[_Chunk] = field(default_factory=deque)
    last_event: float = 0.0  # when it last reported (ready or a result)
    dead: bool = False

    def case_started(self) -> float | None:
        """When the worker began its current case, as the parent can bound it; None when idle."""
        if not self.ready or not self.chunks or self.chunks[0].written_at is None:
            return None
        return max(self.last_event, self.chunks[0].written_at)


class WorkerPool:
    """``jobs`` worker slots running tasks for ``backends``.

    Without ``isolate`` a worker hosts every backend; with it, a worker hosts one
    backend only, and a slot gets a fresh worker when it moves to another backend.
    ``timeout`` (seconds, None for none) bounds each case. After ``max_timeouts``
    consecutive timeouts of one op on one backend (or as many crashes), its
    remaining cases are decided ``timeout`` (``crash``) without running; 0: never.
    ``run_case`` is what a worker calls on each case (``harness.runner.run_case``;
    a module-level function: it is sent by name).
    """

    def __init__(
        self,
        backends: Sequence[Backend],
        jobs: int = 1,
        timeout: float | None = None,
        isolate: bool = False,
        max_timeouts: int = 3,
        *,
        run_case: CaseRunner,
    ) -> None:
        self.backends = list(backends)
        self.run_case = run_case
        self.max_timeouts = max(0, int(max_timeouts))
        self._streaks: dict[tuple[str, int], tuple[str, int]] = {}  # (op, backend) -> (timeout or crash, how many in a row)
        self._cut: dict[tuple[str, int], str] = {}  # (op, backend) -> the outcome its cases now get without running
        self.jobs = max(1, int(jobs))
        self.timeout = timeout if timeout and 0 < timeout < math.inf else None
        self.isolate = isolate
        self.versions: dict[int, str] = {}
        self.info: dict[int, tuple[str | None, str]] = {}  # what workers found: (unavailable reason, version)
        self.restarts = 0  # workers replaced after a timeout or crash
        self._slots: list[_Worker | None] = [None] * self.jobs
        self._retired: list[_Worker] = []  # stopped politely, not yet joined
        self._closed = False
        self._pending: deque[tuple[tuple[int, ...], list[Task]]] = deque()  # (group, tasks) chunks to hand out
        self._everything = tuple(range(len(self.backends)))
        self._remaining = 0
        self._selector = selectors.DefaultSelector()
        self._ctx = context()
        prestart(self.backends, run_case)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: Any, *_: Any) -> None:
        self.close(kill=kind is not None)

    def start(self) -> WorkerPool:
        """Start every slot's worker now, so that their imports overlap the caller's own work.
        (``run`` starts them anyway.) Isolated, slot k starts on backend k, wrapping around."""
        for slot, worker in enumerate(self._slots):
            if worker is None and self.backends:
                self._slots[slot] = self._start(self._group(slot % len(self.backends)))
        return self

    def describe(self, index: int) -> tuple[str | None, str] | None:
        """(unavailable reason, version) of backend ``index`` as a started worker found it, waiting
        for the worker to be ready; None when no worker hosts it yet (ask the backend itself)."""
        worker = next((w for w in self._slots if w is not None and not w.dead and index in w.group), None)
        if worker is None:
            return None
        while not worker.ready and not worker.dead:
            self._step()
        return self.info.get(index)

    def pids(self) -> list[int]:
        """The process ids of the workers running now."""
        return [worker.process.pid for worker in self._slots if worker is not None and not worker.dead]

    def index(self, backend: Backend) -> int:
        """The position of ``backend`` (this very object) among the pool's backends."""
        for index, candidate in enumerate(self.backends):
            if candidate is backend:
                return index
        raise ValueError(f"backend {backend.name} is not one of this pool's")

    # --- running ----------------------------------------------------------

    def run(self, tasks: Sequence[Task], decided: Callable[[int, Result], None]) -> None:
        """Run every task; ``decided(task_id, result)`` as each result comes (in any order across workers)."""
        if not self.isolate:  # a case's tasks side by side: one chunk, so the case is pickled once for every backend
            first: dict[int, int] = {}
            for position, task in enumerate(tasks):
                first.setdefault(id(task[2]), position)
            tasks = sorted(tasks, key=lambda task: first[id(task[2])])  # stable: the backends keep their order
        self._pending = deque(self._chunks(tasks))
        self._remaining = len(tasks)
        self._decided = decided
        try:
            while self._remaining:
                self._feed()
                if self._pending and all(w is None or len(w.chunks) >= AHEAD - 1 for w in self._slots):
                    # Every worker has cases queued: let results gather, then read them in one go
                    # (a wakeup per result would cost the parent more than the case costs).
                    time.sleep(_GATHER)
                self._step()
        except BaseException:  # Ctrl-C, or an error: no worker is left running a case
            self.close(kill=True)
            raise

    def _step(self) -> None:
        """Wait for the workers' next words (or the next deadline) and act on them."""
        for key, mask in self._selector.select(self._wait()):
            worker = key.data
            if mask & selectors.EVENT_WRITE and not worker.dead:
                self._write(worker)
            if mask & selectors.EVENT_READ and not worker.dead:
                self._read(worker)
        self._check_deadlines()

    def _group(self, backend_index: int) -> tuple[int, ...]:
        """The backends a worker running this backend's cases hosts."""
        return (backend_index,) if self.isolate else self._everything

    def _chunks(self, tasks: Sequence[Task]) -> list[tuple[tuple[int, ...], list[Task]]]:
        """Consecutive tasks of one group, at most CHUNK; smaller for few tasks, so all slots get some."""
        size = max(1, min(CHUNK, -(-len(tasks) // (self.jobs * AHEAD))))
        chunks: list[tuple[tuple[int, ...], list[Task]]] = []
        for task in tasks:
            group = self._group(task[1])
            if chunks and len(chunks[-1][1]) < size and chunks[-1][0] == group:
                chunks[-1][1].append(task)
            else:
                chunks.append((group, [task]))
        return chunks

    def _feed(self) -> None:
        """Start workers where slots are empty and hand each its next chunks."""
        for slot, worker in enumerate(self._slots):
            if worker is None:
                if not self._pending:
                    continue
                worker = self._slots[slot] = self._start(self._pending[0][0])
            while len(worker.chunks) < AHEAD and self._pending:
                if self._pending[0][0] == worker.group:
                    chunk = self._pending.popleft()[1]
                else:  # isolated: the first chunk of this worker's backend, if any is left
                    found = next((i for i, (group, _) in enumerate(self._pending) if group == worker.group), None)
                    if found is None:
                        break
                    chunk = self._pending[found][1]
                    del self._pending[found]
                self._send(worker, ("run", chunk), chunk)
            if not worker.chunks and self._pending:  # isolated: this slot moves on to another backend
                self._stop(worker)
                self._slots[slot] = None
                return self._feed()

    def _thread_limits(self) -> dict[str, str]:
        """Settings for the backends' thread pools in a worker (a value the user set wins).

        OpenMP's idle threads spin, by default, on the cores the harness and the other
        workers need: measured on 2 cores, a torch worker's spinning made the suite 5x
        slower. Workers wait passively instead. With several workers, each gets its share
        of the cores (as joblib does), so that N pools of every core's threads do not fight.
        """
        limits = {"OMP_WAIT_POLICY": "PASSIVE"}
        if self.jobs > 1:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
            limits.update(dict.fromkeys(_THREAD_VARIABLES, str(max(1, cores // self.jobs))))
        return limits

    def _start(self, group: tuple[int, ...]) -> _Worker:
        try:
            environment = {**self._thread_limits(), **os.environ}  # the harness's as it is now, not the fork server's
            setup = _frame(("setup", {index: self.backends[index] for index in group}, environment, self.run_case))
        except Exception as error:
            names = ", ".join(self.backends[i].name for i in group)
            raise WorkerError(
                f"backend {names} cannot be sent to a worker process ({type(error).__name__}: {error}); "
                "run it in this process with --timeout 0"
            ) from None
        ours, theirs = socket.socketpair()
        for sock in (ours, theirs):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _BUFFER)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _BUFFER)
        process = self._ctx.Process(target=worker_main, args=(theirs,), name="tensorparity-worker", daemon=True)
        # A worker needs nothing from the parent's main script; without this, multiprocessing
        # would re-run that script in the worker (or fail to find it: python -c, stdin).
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            process.start()
        finally:
            sys.modules["__main__"] = main
        theirs.close()
        ours.setblocking(False)
        worker = _Worker(process, ours, group, started=time.monotonic())
        self._selector.register(ours, selectors.EVENT_READ, worker)
        worker.outbuf += setup
        worker.queued += len(setup)
        self._write(worker)
        return worker

    def _send(self, worker: _Worker, message: Any, tasks: list[Task]) -> None:
        data = _frame(message)
        worker.outbuf += data
        worker.queued += len(data)
        worker.chunks.append(_Chunk(deque(tasks), worker.queued))
        self._write(worker)

    def _write(self, worker: _Worker) -> None:
        if worker.outbuf:
            try:
                sent = worker.sock.send(worker.outbuf)
            except BlockingIOError:
                sent = 0
            except OSError:  # the worker is gone; reading will tell how
                sent = len(worker.outbuf)
            del worker.outbuf[:sent]
            worker.written += sent
            now = time.monotonic()
            for chunk in worker.chunks:
                if chunk.written_at is None and chunk.end <= worker.written:
                    chunk.written_at = now
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if worker.outbuf else 0)
        if self._selector.get_key(worker.sock).events != events:
            self._selector.modify(worker.sock, events, worker)

    def _read(self, worker: _Worker) -> None:
        try:
            data = worker.sock.recv(_READ)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._lost(worker)
            return
        buffer = worker.inbuf
        buffer += data
        now = time.monotonic()
        messages, offset = [], 0
        with memoryview(buffer) as view:
            while len(buffer) - offset >= _HEADER.size:
                (size,) = _HEADER.unpack_from(buffer, offset)
                end = offset + _HEADER.size + size
                if len(buffer) < end:
                    break
                messages.append(pickle.loads(view[offset + _HEADER.size : end]))
                offset = end
        del buffer[:offset]
        for message in messages:
            self._receive(worker, message, now)

    def _receive(self, worker: _Worker, message: tuple, now: float) -> None:
        kind = message[0]
        if kind == "result":
            chunk = worker.chunks[0]
            task = chunk.tasks.popleft()
            task_id = task[0]
            if not chunk.tasks:
                worker.chunks.popleft()
            worker.last_event = now
            if task_id != message[1]:  # pragma: no cover - a worker answers its cases in order
                raise RuntimeError(f"worker answered task {message[1]}, expected {task_id}")
            self._remaining -= 1
            result = Result(*message[2])
            self._streaks.pop((result.op, task[1]), None)
            self._decided(task_id, result)
        elif kind == "ready":
            worker.ready, worker.last_event = True, now
            for index, (reason, version) in message[1].items():
                self.versions[index] = str(version)
                self.info[index] = (None if reason is None else str(reason), str(version))
        else:  # setup_error
            self._kill(worker)
            names = ", ".join(self.backends[i].name for i in worker.group)
            last = message[1].strip().splitlines()[-1]
            raise WorkerError(f"a worker process could not set up backend {names}: {last}")

    # --- failures ---------------------------------------------------------

    def _wait(self) -> float | None:
        """Seconds until the earliest deadline; None to wait for input alone."""
        if self.timeout is None:
            return None
        now, waits = time.monotonic(), []
        for worker in self._slots:
            if worker is None:
                continue
            started = worker.case_started()
            if started is not None:
                waits.append(started + self.timeout - now)
            elif not worker.ready:
                waits.append(worker.started + max(START_TIMEOUT, self.timeout) - now)
        return max(0.0, min(waits)) if waits else None

    def _check_deadlines(self) -> None:
        if self.timeout is None:
            return
        now = time.monotonic()
        for worker in self._slots:
            if worker is None or worker.dead:
                continue
            started = worker.case_started()
            if started is not None and now - started >= self.timeout:
                self._fail(worker, outcomes.TIMEOUT, f"no result within {self.timeout:g} s: the worker was killed", now - started)
            elif not worker.ready and now - worker.started >= max(START_TIMEOUT, self.timeout):
                self._kill(worker)
                names = ", ".join(self.backends[i].name for i in worker.group)
                raise WorkerError(
                    f"a worker process for backend {names} did not start within {max(START_TIMEOUT, self.timeout):g} s"
                )

    def _lost(self, worker: _Worker) -> None:
        """The worker's end of the socket closed: it died."""
        code = self._kill(worker)
        if not worker.ready:
            names = ", ".join(self.backends[i].name for i in worker.group)
            raise WorkerError(f"a worker process for backend {names} {_exit_description(code)} while starting")
        started = worker.case_started()
        elapsed = time.monotonic() - started if started is not None else 0.0
        self._fail(worker, outcomes.CRASH, f"the worker process {_exit_description(code)} while running this case", elapsed)

    def _fail(self, worker: _Worker, outcome: str, message: str, elapsed: float) -> None:
        """Report the worker's current case as ``outcome``; its other cases go back to the queue."""
        self._kill(worker)
        self._slots[self._slots.index(worker)] = None
        self.restarts += 1
        tasks = [task for chunk in worker.chunks for task in chunk.tasks]
        if not tasks:
            return
        task_id, index, case = tasks[0]
        backend = self.backends[index]
        version = self.versions.get(index, "")
        suffix = "; a fresh worker runs the cases after it"
        result = Result(
            case.op, case.name, case.dtype, backend.name, outcome, message + suffix, None, None, elapsed, case.section, version
        )
        self._remaining -= 1
        self._decided(task_id, result)
        key = (case.op, index)
        kind, count = self._streaks.get(key, (outcome, 0))
        count = count + 1 if kind == outcome else 1
        self._streaks[key] = (outcome, count)
        if self.max_timeouts and count >= self.max_timeouts and key not in self._cut:
            self._cut[key] = outcome
            self._pending = deque((group, kept) for group, chunk in self._pending if (kept := self._skip_cut(chunk)))
        self._pending.extendleft(reversed(self._chunks(self._skip_cut(tasks[1:]))))

    def _skip_cut(self, tasks: list[Task]) -> list[Task]:
        """``tasks`` less those of an op cut short on their backend, which are decided here, unrun."""
        kept = []
        for task in tasks:
            task_id, index, case = task
            outcome = self._cut.get((case.op, index))
            if outcome is None:
                kept.append(task)
                continue
            backend = self.backends[index].name
            how = "timed out" if outcome == outcomes.TIMEOUT else "crashed"
            message = f"not run: {case.op} {how} {self.max_timeouts} times in a row on {backend}"
            result = Result(
                case.op, case.name, case.dtype, backend, outcome, message, None, None, 0.0, case.section,
                self.versions.get(index, ""),
            )  # fmt: skip
            self._remaining -= 1
            self._decided(task_id, result)
        return kept

    def _kill(self, worker: _Worker) -> int | None:
        """Stop the worker's process for good; its exit code."""
        if not worker.dead:
            worker.dead = True
            self._selector.unregister(worker.sock)
            worker.sock.close()
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        return worker.process.exitcode

    def _stop(self, worker: _Worker) -> None:
        """Ask an idle worker to end (it exits when it reads this or the end of the socket)."""
        if worker.dead:
            return
        try:
            worker.sock.setblocking(True)
            worker.sock.settimeout(1.0)
            worker.sock.sendall(bytes(worker.outbuf) + _frame(("stop",)))
        except OSError:
            pass
        worker.dead = True
        self._selector.unregister(worker.sock)
        worker.sock.close()
        self._retired.append(worker)

    def close(self, kill: bool = False) -> None:
        """End every worker: politely (they finish reading and exit) unless ``kill``."""
        if self._closed:
            return
        self._closed = True
        retired = self._retired
        workers = [w for w in self._slots if w is not None]
        self._slots = [None] * self.jobs
        for worker in workers:
            if kill:
                self._kill(worker)
            else:
                self._stop(worker)
        deadline = time.monotonic() + 2.0
        for worker in workers + retired:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1)
        self._retired = []
        self._selector.close()


def _exit_description(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def workers_needed(jobs: int, timeout: float | None, isolate: bool) -> bool:
    """Whether a run with these settings needs worker processes at all."""
    return jobs > 1 or isolate or bool(timeout and 0 < timeout < math.inf)
