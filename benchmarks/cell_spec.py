"""What a cell is, as values: its identity (:class:`CellSpec`), how it is run
(:class:`RunSettings`) and how a suite names it (:class:`PlannedCell`) -- three things kept apart
so that only the first can change a result's key.

The key hashes each component's name, version and the parameters the suite set (with the
values ``spec()`` gives them after validation), the seed and the dgpbench version. Hashing
the parameters as set, rather than every parameter with its default filled in, keeps the
key of every stored result when a later version adds a parameter, and reproduces the keys
of stores written before cells were built from ``spec()`` -- all 2994 cells of the built-in
suites (a suite that restates a default therefore keeps a key of its own).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dgpbench

DEFAULT_TIME_LIMIT = 600.0
# Resident memory a cell may use, in MB (2**20 bytes): its cell process and every process it
# started, measured together. Fixed rather than a share of the machine's memory, so that a
# cell's status does not depend on where it ran. About 4x the heaviest built-in cell (a
# TensorFlow model: ~170 MB of imports in the cell process, ~550 MB more for TensorFlow and
# its fit), and small enough that a worker per core fits a 16 GB laptop with 4 cores.
DEFAULT_MEMORY_LIMIT = 4096.0


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class ComponentSpec:
    """A generator or a model as identity: registered name, version, the parameters set.

    ``params`` holds JSON values (tuples as lists), as ``spec()`` gives them; treat it as
    read-only.
    """

    name: str
    version: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, component: Any, given: Mapping[str, Any]) -> ComponentSpec:
        """From a built generator or model and the parameters it was built with (``given``):
        its ``spec()``, keeping those parameters, with their validated values."""
        spec = component.spec()
        params = {k: v for k, v in spec["params"].items() if k in given}
        return cls(spec["name"], str(spec["version"]), params)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "params": json.loads(canonical_json(self.params))}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ComponentSpec:
        return cls(doc["name"], str(doc["version"]), dict(doc["params"]))

    def __hash__(self) -> int:
        return hash(canonical_json(self.to_dict()))


@dataclass(frozen=True)
class CellSpec:
    """The identity of one result: which process, which model, which seed."""

    generator: ComponentSpec
    model: ComponentSpec
    seed: int

    def key(self) -> str:
        """sha256 of canonical JSON of names, versions, parameters as set, seed and
        dgpbench version (first 20 hex digits): the key results are stored and resumed by."""
        doc = {
            "g": [self.generator.name, self.generator.version, self.generator.params],
            "m": [self.model.name, self.model.version, self.model.params],
            "seed": self.seed,
            "dgpbench": dgpbench.__version__,
        }
        return hashlib.sha256(canonical_json(doc).encode()).hexdigest()[:20]

    def to_dict(self) -> dict[str, Any]:
        """The document stored in a cell row's ``spec`` column."""
        return {"generator": self.generator.to_dict(), "model": self.model.to_dict(), "seed": self.seed}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> CellSpec:
        return cls(ComponentSpec.from_dict(doc["generator"]), ComponentSpec.from_dict(doc["model"]), int(doc["seed"]))


@dataclass(frozen=True)
class RunSettings:
    """How the cells of a run are run: never part of a key, so changing them reruns nothing.

    ``metrics`` None means every metric; ``plugins`` are imported by a worker before its cell;
    ``time_limit`` (seconds) and ``memory_limit`` (MB of resident memory) bound each cell.
    """

    time_limit: float = DEFAULT_TIME_LIMIT
    metrics: tuple[str, ...] | None = None
    plugins: tuple[str, ...] = ()
    memory_limit: float = DEFAULT_MEMORY_LIMIT

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_limit": self.time_limit,
            "metrics": None if self.metrics is None else list(self.metrics),
            "plugins": list(self.plugins),
            "memory_limit": self.memory_limit,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> RunSettings:
        metrics = doc["metrics"]
        return cls(
            float(doc["time_limit"]),
            None if metrics is None else tuple(metrics),
            tuple(doc["plugins"]),
            float(doc.get("memory_limit", DEFAULT_MEMORY_LIMIT)),
        )


@dataclass(frozen=True)
class PlannedCell:
    """A cell as a suite names it: the spec with the labels its rows are shown under."""

    spec: CellSpec
    generator_label: str
    model_label: str

    def key(self) -> str:
        return self.spec.key()
