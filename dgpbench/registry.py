"""Registries by name with lazy ``"module:Class"`` targets and entry-point plugins.

Built-ins are registered by name with a target string, so listing, suite validation and the
reference estimators never import TensorFlow or PyTorch. Third parties register through the
entry-point groups ``dgpbench.generators``, ``dgpbench.models`` and ``dgpbench.metrics`` or a
``--plugin`` module that calls :meth:`Registry.register` on import. A plugin that fails to
import is kept and listed as unavailable with its reason -- never dropped silently.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dgpbench.errors import BadInput, closest


@dataclass
class Entry:
    name: str
    target: str | Any  # "module:attr" or the object itself
    source: str = "builtin"  # builtin | entry point NAME | plugin MODULE
    error: str | None = None  # why it is unavailable, if it is
    _obj: Any = field(default=None, repr=False)

    def load(self) -> Any:
        if self._obj is None:
            if self.error:
                raise BadInput(f"{self.name!r} is unavailable: {self.error}")
            if isinstance(self.target, str):
                module, _, attr = self.target.partition(":")
                obj = importlib.import_module(module)
                for part in attr.split("."):
                    obj = getattr(obj, part)
                self._obj = obj
            else:
                self._obj = self.target
        return self._obj


class Registry:
    """Name -> lazily imported object, one per layer (generators, models, metrics)."""

    def __init__(self, kind: str, group: str, builtins: dict[str, str] | None = None):
        self.kind = kind
        self.group = group
        self._entries: dict[str, Entry] = {n: Entry(n, t) for n, t in (builtins or {}).items()}
        self._entry_points_loaded = False

    def register(self, name: str, target: Any, *, source: str = "plugin", replace: bool = False) -> None:
        if name in self._entries and not replace and self._entries[name].target is not target:
            raise BadInput(f"{self.kind} {name!r} is already registered (from {self._entries[name].source})")
        self._entries[name] = Entry(name, target, source=source)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in importlib.metadata.entry_points(group=self.group):
            if ep.name in self._entries:
                continue
            self._entries[ep.name] = Entry(ep.name, ep.value, source=f"entry point {ep.value}")

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        self._load_entry_points()
        return [self._entries[n] for n in sorted(self._entries)]

    def entry(self, name: str) -> Entry:
        self._load_entry_points()
        if name not in self._entries:
            raise BadInput(f"unknown {self.kind} {name!r}; {closest(name, self._entries)}")
        return self._entries[name]

    def get(self, name: str) -> Any:
        """The registered object; a plugin that fails to import is marked unavailable."""
        e = self.entry(name)
        try:
            return e.load()
        except BadInput:
            raise
        except Exception as exc:  # import failure of a plugin: keep it listed, say why
            e.error = f"{type(exc).__name__}: {exc}"
            raise BadInput(f"{self.kind} {name!r} could not be imported: {e.error}") from None

    def __contains__(self, name: str) -> bool:
        self._load_entry_points()
        return name in self._entries


def is_plugin_file(spec: str) -> bool:
    """Whether a ``--plugin`` value names a ``.py`` file rather than an importable module."""
    return spec.endswith(".py") or "/" in spec or "\\" in spec


def plugin_spec(spec: str) -> str:
    """The form of a ``--plugin`` value that a worker process can import: a ``.py`` file is
    made absolute (workers may start in another folder), a module name is left as it is."""
    return str(Path(spec).expanduser().resolve()) if is_plugin_file(spec) else spec


def _file_module_name(path: Path) -> str:
    """A stable module name for a plugin file: the same file gets the same name in every process."""
    stem = re.sub(r"\W", "_", path.stem)
    return f"dgpbench_plugin_{stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"


def import_plugin(module: str) -> None:
    """Import a user-named plugin -- a module name or a path to a ``.py`` file -- which
    registers what it offers on import. Importing the same plugin twice does nothing."""
    if is_plugin_file(module):
        _import_file(module)
        return
    try:
        _import_module(module)
    except Exception as exc:
        raise BadInput(f"--plugin {module!r} could not be imported: {type(exc).__name__}: {exc}") from None


def _import_module(name: str) -> None:
    """Import a module by name; one not found is also looked for in the current folder (as
    ``python -m`` would), after everything installed. Spawned workers inherit the path."""
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        cwd = os.getcwd()
        if exc.name != name.partition(".")[0] or cwd in sys.path:
            raise
        sys.path.append(cwd)
        importlib.import_module(name)


def _import_file(spec: str) -> None:
    path = Path(plugin_spec(spec))
    if not path.is_file() or path.suffix != ".py":
        raise BadInput(f"--plugin {spec!r}: no such .py file")
    name = _file_module_name(path)
    if name in sys.modules:
        return
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:  # not for a .py file that exists
        raise BadInput(f"--plugin {spec!r}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module  # before running it, as the import system does
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise BadInput(f"--plugin {spec!r} could not be imported: {type(exc).__name__}: {exc}") from None
