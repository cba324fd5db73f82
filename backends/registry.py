"""Find backends by name: the built-in ones, entry points, or ``module:Class``.

A third-party package registers ``name = "package.module:Class"`` in the
entry-point group ``tensorparity.backends``. A ``module:Class`` given on the
command line is looked for in the current directory first, as ``python -m``
would: ``--backend mymodule:MyBackend`` finds ``./mymodule.py``.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points

from tensorparity.backends.base import Backend

ENTRY_POINT_GROUP = "tensorparity.backends"
BUILTIN: dict[str, str] = {
    "numpy": "tensorparity.backends.numpy_backend:NumpyBackend",
    "torch": "tensorparity.backends.torch_backend:TorchBackend",
    "python": "tensorparity.backends.python_backend:PythonBackend",
    "cupy": "tensorparity.backends.cupy_backend:CupyBackend",
}


class BackendNotFound(LookupError):
    pass


@dataclass(frozen=True)
class BackendInfo:
    name: str
    target: str  # module:Class
    source: str  # built-in, entry point (distribution), or command line
    unavailable_reason: str | None


def known_backends() -> dict[str, tuple[str, str]]:
    """name -> (module:Class, where it came from)."""
    known = {name: (target, "built-in") for name, target in BUILTIN.items()}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in known:
            dist = getattr(getattr(entry, "dist", None), "name", None) or "unknown distribution"
            known[entry.name] = (entry.value, f"entry point ({dist})")
    return known


def import_target(target: str, *, current_directory: bool = False) -> type[Backend]:
    """The class ``module:Class`` names; with ``current_directory``, the current directory is put
    at the front of ``sys.path`` first (and stays there, as under ``python -m``, so that the module's
    own later imports and worker processes find what it finds)."""
    module_name, _, class_name = target.partition(":")
    if not module_name or not class_name:
        raise BackendNotFound(f"backend {target!r} is not a name nor module:Class")
    if current_directory:
        _current_directory_first()
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise BackendNotFound(f"cannot import {module_name!r} for backend {target!r}: {error}") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise BackendNotFound(f"{target!r} is not a tensorparity Backend subclass")
    return cls


def _current_directory_first() -> None:
    cwd = os.getcwd()
    if sys.path[:1] not in ([""], [cwd]):  # "" is the current directory (python -m, python -c)
        sys.path.insert(0, cwd)


def load_backend(name_or_target: str) -> Backend:
    """An instance of the backend a user named on the command line."""
    known = known_backends()
    if name_or_target in known:
        return import_target(known[name_or_target][0])()
    if ":" in name_or_target:
        return import_target(name_or_target, current_directory=True)()
    raise BackendNotFound(f"unknown backend {name_or_target!r}; known: {', '.join(sorted(known))}, or module:Class")


def describe_backends() -> list[BackendInfo]:
    infos = []
    for name, (target, source) in sorted(known_backends().items()):
        try:
            reason = import_target(target)().unavailable_reason()
        except Exception as error:  # a broken plugin is reported, not fatal
            reason = f"failed to load: {error}"
        infos.append(BackendInfo(name, target, source, reason))
    return infos
