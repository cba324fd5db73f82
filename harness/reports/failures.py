"""What failed, in the shape a reader acts on: per backend, per op, grouped by kind and message.

Twenty-seven cases that all fail with ``dtype float64, expected float32`` are one bug,
not twenty-seven: a ``Group`` gathers the failures of one backend and op whose outcome
is the same and whose messages differ at most in their numbers, shapes and dtype
names (so "expected float32" and "expected complex64" are one group, "Mismatched
elements: 1 / 6" and "1 / 4" too). A group's label is its most common message in
plain words; its dtypes say where it happens.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from tensorparity.backends.neutral import STORAGE
from tensorparity.harness import results as outcomes
from tensorparity.harness.reports.grid import CONFORMANT, dtype_order
from tensorparity.harness.results import Result

# How the kinds of failure are listed: the worst first.
KINDS = (outcomes.CRASH, outcomes.TIMEOUT, outcomes.ERROR, outcomes.MISMATCH, outcomes.WRONG_EXCEPTION, outcomes.XPASS)

_DTYPE_NAMES = "|".join(sorted(map(re.escape, STORAGE), key=len, reverse=True))
_DTYPE = re.compile(rf"\b(?:torch\.)?(?:{_DTYPE_NAMES})\b")
_NUMBER = re.compile(r"(?<![A-Za-z_\d.])[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?%?")
_TUPLE = re.compile(r"[(\[]\s*(?:#\s*,?\s*)*[)\]]")
_WHERE_TORCH_RAISES = re.compile(r"^(returned a value where torch raises \w+)\b.*", re.S)


def message_key(message: str) -> str:
    """The message with what varies from case to case taken out: numbers, shapes, dtype names.

    A value where torch raises is one kind of failure whatever torch's message says.
    """
    text = " ".join(str(message).split())
    text = _WHERE_TORCH_RAISES.sub(r"\1", text)
    text = _DTYPE.sub("<dtype>", text)
    text = _NUMBER.sub("#", text)
    return _TUPLE.sub("(#)", text)


_PLAIN = (
    (re.compile(r"^dtype (\S+), expected (\S+)$"), r"dtype \1 where torch gives \2"),
    (re.compile(r"^shape (.+), expected (.+)$"), r"shape \1 where torch gives \2"),
)


def plain(message: str) -> str:
    """A judge's terse message in plain words: ``dtype float64, expected float32`` ->
    ``dtype float64 where torch gives float32``; other messages as they are."""
    text = " ".join(str(message).split()) or "(no message)"
    for pattern, replacement in _PLAIN:
        text = pattern.sub(replacement, text)
    return text


@dataclass
class Group:
    """Failures of one backend and op with one outcome and one message (up to numbers and dtypes)."""

    backend: str
    op: str
    outcome: str
    key: str
    results: list[Result] = field(default_factory=list)

    @property
    def messages(self) -> Counter:
        return Counter(r.message for r in self.results)

    @property
    def label(self) -> str:
        """The most common message, in plain words."""
        return plain(self.messages.most_common(1)[0][0])

    @property
    def variants(self) -> int:
        """How many other messages the group holds."""
        return len(self.messages) - 1

    @property
    def dtypes(self) -> list[tuple[str, int]]:
        """The dtypes the group's cases are filed under, in table order, with their counts."""
        counts = Counter(r.dtype for r in self.results)
        return [(d, counts[d]) for d in dtype_order(set(counts))]


@dataclass
class OpFailures:
    """One backend's failures of one op."""

    backend: str
    op: str
    results: list[Result]

    @property
    def counts(self) -> Counter:
        return Counter(r.outcome for r in self.results)

    @property
    def kinds(self) -> list[tuple[str, int]]:
        counts = self.counts
        return [(k, counts[k]) for k in KINDS if counts[k]]

    @property
    def groups(self) -> list[Group]:
        found: dict[tuple[str, str], Group] = {}
        for result in self.results:
            key = (result.outcome, message_key(result.message))
            found.setdefault(key, Group(self.backend, self.op, result.outcome, key[1])).results.append(result)
        return sorted(found.values(), key=lambda g: (-len(g.results), KINDS.index(g.outcome), g.key))

    @property
    def by_dtype(self) -> list[tuple[str, list[Result]]]:
        """The op's failures per dtype, in table order: what a heatmap cell links to."""
        found: dict[str, list[Result]] = {}
        for result in self.results:
            found.setdefault(result.dtype, []).append(result)
        return [(d, found[d]) for d in dtype_order(set(found))]


@dataclass
class BackendFailures:
    backend: str
    results: list[Result]  # all of the backend's results
    ops: list[OpFailures]  # the failing ops, alphabetically

    @property
    def failures(self) -> int:
        return sum(len(op.results) for op in self.ops)

    @property
    def counts(self) -> Counter:
        return Counter(r.outcome for op in self.ops for r in op.results)

    @property
    def passing(self) -> int:
        return sum(1 for r in self.results if r.outcome in CONFORMANT)


def failures(grouped: dict[str, list[Result]]) -> list[BackendFailures]:
    """Every backend (failing ones first, most failures first; then the rest in their order) with its failing ops."""
    found = []
    for backend, results in grouped.items():
        by_op: dict[str, list[Result]] = {}
        for result in results:
            if result.failed:
                by_op.setdefault(result.op, []).append(result)
        found.append(BackendFailures(backend, results, [OpFailures(backend, op, by_op[op]) for op in sorted(by_op)]))
    order = {b: i for i, b in enumerate(grouped)}
    return sorted(found, key=lambda b: (b.failures == 0, -b.failures, order[b.backend]))


def backend_order(grouped: dict[str, list[Result]]) -> list[str]:
    """Backends with failures first (most first), then the others in the order they came."""
    return [b.backend for b in failures(grouped)]
