"""Suite files: schema, loading and validation before any work (YAML in ``suite_input``).

Every problem is reported as :class:`~dgpbench.errors.BadInput` naming the file, the key
path (``models[1].params.components``) and the closest valid names, so the CLI can exit 2
with one line instead of a traceback. Hostile input (an oversized file, an alias bomb, a
million cells, text that cannot be stored or printed) is refused by the limits of
:mod:`dgpbench.benchmarks.suite_input`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dgpbench.benchmarks import suite_breakages as breakages
from dgpbench.benchmarks import suite_input as limits
from dgpbench.benchmarks.cell_spec import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT
from dgpbench.errors import BadInput, closest

TOP_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "description": str,
    "seeds": list,
    "time_limit": (int, float),
    "memory_limit": (int, float),
    "generators": list,
    "models": list,
    "metrics": (str, list),
    "max_cells": int,
}
REQUIRED = ("name", "seeds", "generators", "models")
ENTRY_KEYS = ("name", "label", "params", "seeds", "generators", "breaks", "sweep")
MAX_SEED = 2**32 - 1
MAX_PARAM_INT = 2**53
MAX_MEMORY_LIMIT = 2**20  # MB: 1 TiB, beyond any machine a cell runs on


@dataclass(frozen=True)
class Sweep:
    """Where a generator entry came from when the suite swept one parameter (key ``sweep``):
    the label the suite wrote (the family of entries), the parameter, this entry's value and
    whether the parameter is the generator's sample size (``Generator.size_param``). Stored
    with the run (``runs.suite_json``): reports draw recovery curves from a size sweep and
    difficulty curves from any other."""

    family: str
    param: str
    value: Any
    size: bool

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "param": self.param, "value": self.value, "size": self.size}


@dataclass(frozen=True)
class Entry:
    """One generator or model of a suite: registered name, display label, parameters, and
    (generators only) seeds replacing the suite's, e.g. one seed per IHDP replication."""

    name: str
    label: str
    params: dict[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] | None = None
    # models only (key `generators`): the generator labels it runs on; a listed name that is
    # no label covers every entry of that generator
    on: tuple[str, ...] | None = None
    # models only (key `breaks`): this entry is a deliberately broken variant of the model
    # entry labelled ``model``, and ``face`` must catch it -- by ranking it below that model
    # beyond noise (``catch: worse``) or by the leak alarm (``catch: suspect``). Stored with
    # the run (``runs.suite_json``), so the report's sensitivity section reads it from there.
    breaks: dict[str, str] | None = None
    # generators only: one value of a swept parameter (its params hold that value)
    sweep: Sweep | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    seeds: tuple[int, ...]
    generators: tuple[Entry, ...]
    models: tuple[Entry, ...]
    metrics: tuple[str, ...] | None  # None = all
    time_limit: float = DEFAULT_TIME_LIMIT
    description: str = ""
    source: str = "<dict>"
    max_cells: int | None = None  # the suite's own cell limit (``suite_input.MAX_CELLS`` otherwise)
    memory_limit: float = DEFAULT_MEMORY_LIMIT  # MB of resident memory per cell (``cell_spec``)

    def hash(self) -> str:
        """Stable hash of what the suite asks for (not of its formatting, description or limit)."""
        doc = {k: v for k, v in self.to_dict().items() if k not in ("description", "max_cells")}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        def entry(e: Entry) -> dict[str, Any]:
            return {
                "name": e.name,
                "label": e.label,
                "params": e.params,
                **({"seeds": list(e.seeds)} if e.seeds else {}),
                **({"generators": list(e.on)} if e.on else {}),
                **({"breaks": dict(e.breaks)} if e.breaks else {}),
                **({"sweep": e.sweep.to_dict()} if e.sweep else {}),
            }

        return {
            "name": self.name,
            "description": self.description,
            "seeds": list(self.seeds),
            "time_limit": self.time_limit,
            "metrics": "all" if self.metrics is None else list(self.metrics),
            "generators": [entry(e) for e in self.generators],
            "models": [entry(e) for e in self.models],
            **({"max_cells": self.max_cells} if self.max_cells else {}),
            # only when set otherwise: the hash (and so the run a resume continues) of every
            # suite written before the key existed stays what it was
            **({"memory_limit": self.memory_limit} if self.memory_limit != DEFAULT_MEMORY_LIMIT else {}),
        }


def builtin_suites() -> list[str]:
    folder = resources.files("dgpbench.benchmarks") / "suites"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def resolve(suite: str) -> tuple[str, str]:
    """(source name, YAML text) of a built-in suite name or a path to a YAML file."""
    if suite in builtin_suites():
        path = resources.files("dgpbench.benchmarks") / "suites" / f"{suite}.yaml"
        return f"suites/{suite}.yaml", path.read_text()
    p = Path(suite)
    if p.is_file():
        try:
            limits.check_size(p.stat().st_size, str(p))  # before reading a file of any size
            return str(p), p.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"{p}: cannot read suite file: {exc}") from None
    raise BadInput(f"suite {suite!r} is neither a built-in suite nor a file; {closest(suite, builtin_suites())}")


def load(suite: str) -> Suite:
    """Load and validate a suite by built-in name or path."""
    source, text = resolve(suite)
    return parse(text, source)


def parse(text: str, source: str = "<string>") -> Suite:
    return validate(limits.load_yaml(text, source), source)


def _key(k: Any) -> str:
    """A key as the user wrote it, or its repr when that would not print on one clear line."""
    return k if isinstance(k, str) and k and k.isprintable() and k.strip() == k else repr(k)


def _check_numbers(value: Any, source: str, key: str, depth: int = 0) -> None:
    """Refuse numbers no parameter can mean: integers beyond 2**53 (they do not survive a
    JSON round trip into cell keys and the store) and anything nested absurdly deep."""
    if depth > 20:
        raise _fail(source, key, "is nested too deeply")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_PARAM_INT:
        raise _fail(
            source,
            key,
            f"an integer of {int(value.bit_length() * 0.30103) + 1} digits is too large "
            f"(at most {MAX_PARAM_INT} in magnitude)",
        )
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_numbers(v, source, f"{key}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_numbers(v, source, f"{key}.{_key(k)}", depth + 1)


def _fail(source: str, key: str, msg: str) -> BadInput:
    return BadInput(f"{source}: {key}: {msg}")


def _entries(doc: dict, kind: str, source: str, generators: tuple[Entry, ...] = ()) -> tuple[Entry, ...]:
    from dgpbench.generators.registry import GENERATORS
    from dgpbench.models.registry import MODELS
    from dgpbench.params import validate as validate_params

    registry = GENERATORS if kind == "generators" else MODELS
    items = doc[kind]
    if not items:
        raise _fail(source, kind, "must list at least one entry")
    out, labels = [], set()
    for i, item in enumerate(items):
        key = f"{kind}[{i}]"
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            raise _fail(source, key, f"must be a mapping with keys {list(ENTRY_KEYS)}, got {type(item).__name__}")
        for k in item:
            if k not in ENTRY_KEYS:
                raise _fail(source, f"{key}.{_key(k)}", f"unknown key; {closest(str(k), ENTRY_KEYS)}")
        name = item.get("name")
        if not isinstance(name, str):
            raise _fail(source, f"{key}.name", "is required and must be a string")
        if name not in registry:
            raise _fail(source, f"{key}.name", f"unknown {registry.kind} {name!r}; {closest(name, registry.names())}")
        label = item.get("label", name)
        if not isinstance(label, str) or not label.strip():
            raise _fail(source, f"{key}.label", "must be a non-empty string")
        limits.check_printable(label, source, f"{key}.label")
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise _fail(source, f"{key}.params", f"must be a mapping, got {type(params).__name__}")
        try:
            _check_numbers(params, source, f"{key}.params")
            cls = registry.get(name)
            validate_params(cls.Params, f"{registry.kind} {name!r}", params)
        except BadInput as exc:
            raise _fail(source, f"{key}.params", str(exc)) from None
        sweep = item.get("sweep")
        if sweep is not None and kind != "generators":
            raise _fail(source, f"{key}.sweep", "only generators may be swept")
        members: list[tuple[str, dict[str, Any], Sweep | None]] = (
            [(label, dict(params), None)] if sweep is None else [*_swept(sweep, cls, label, params, source, key)]
        )
        for member in [m for m, *_ in members] + ([label] if sweep is not None else []):  # a family is a label
            if member in labels:
                raise _fail(source, f"{key}.label", f"label {member!r} is used twice; give each entry its own label")
            labels.add(member)
        seeds = item.get("seeds")
        if seeds is not None:
            if kind != "generators":
                raise _fail(source, f"{key}.seeds", "only generators may override the suite's seeds")
            seeds = _seeds(seeds, source, f"{key}.seeds")
        on = item.get("generators")
        if on is not None:
            if kind != "models":
                raise _fail(source, f"{key}.generators", "only models may be restricted to some generators")
            on = _covered(on, generators, source, f"{key}.generators")
        breaks = item.get("breaks")
        if breaks is not None:
            if kind != "models":
                raise _fail(source, f"{key}.breaks", "only models may be broken variants")
            breaks = breakages.entry(breaks, cls, source, f"{key}.breaks")
        out += [Entry(name, member, p, seeds, on, breaks, swept) for member, p, swept in members]
    return tuple(out)


def _swept(
    sweep: Any, cls: Any, label: str, params: dict, source: str, key: str
) -> list[tuple[str, dict[str, Any], Sweep]]:
    """A generator entry's ``sweep: {PARAM: [values...]}`` as one (label, params, Sweep) per
    value: the label ``{label}@{param}={value}``, the params those written plus the value, so
    each cell's key is the key of the same entry written out by hand."""
    from dataclasses import fields

    from dgpbench.params import validate as validate_params

    if isinstance(sweep, dict) and len(sweep) > 1:
        names = ", ".join(_key(k) for k in sweep)
        raise _fail(source, f"{key}.sweep", f"sweeps {len(sweep)} parameters ({names}); write one entry per parameter")
    if not isinstance(sweep, dict) or not sweep:
        raise _fail(source, f"{key}.sweep", "must be a mapping of one parameter to a list of values: {n: [500, 2000]}")
    ((param, values),) = sweep.items()
    where = f"{key}.sweep.{_key(param)}"
    known = [f.name for f in fields(cls.Params)]
    if param not in known:
        raise _fail(source, where, f"unknown parameter of generator {cls.name!r}; {closest(str(param), known)}")
    if param in params:
        raise _fail(source, where, f"{param!r} is also set in params; set it in one place")
    if not isinstance(values, list) or not values:
        raise _fail(source, where, "must be a non-empty list of values")
    size = getattr(cls, "size_param", None) == param
    out, seen = [], set()
    for j, value in enumerate(values):
        _check_numbers(value, source, f"{where}[{j}]")
        try:
            validate_params(cls.Params, f"generator {cls.name!r}", {**params, param: value})
        except BadInput as exc:
            raise _fail(source, f"{where}[{j}]", str(exc)) from None
        shown = value if isinstance(value, str) else json.dumps(value)
        if shown in seen:
            raise _fail(source, f"{where}[{j}]", f"{shown} is listed twice")
        seen.add(shown)
        member = f"{label}@{param}={shown}"
        limits.check_printable(member, source, f"{where}[{j}]")
        out.append((member, {**params, param: value}, Sweep(label, param, value, size)))
    return out


def _covered(on: Any, generators: tuple[Entry, ...], source: str, key: str) -> tuple[str, ...]:
    """A model entry's ``generators``: the labels of the entries it runs on. A label names
    its entry, a sweep's family label every entry of the sweep, and a registered name that is
    neither every entry of that generator."""
    if not isinstance(on, list) or not on or not all(isinstance(x, str) for x in on):
        raise _fail(source, key, "must be a non-empty list of generator labels or names")
    labels = {g.label for g in generators}
    families = {g.sweep.family for g in generators if g.sweep}
    valid = labels | families | {g.name for g in generators}
    for j, x in enumerate(on):
        if x not in valid:
            raise _fail(source, f"{key}[{j}]", f"{x!r} is no generator of this suite; {closest(x, valid)}")

    def covers(x: str, g: Entry) -> bool:
        if x in labels:
            return g.label == x
        if x in families:
            return g.sweep is not None and g.sweep.family == x
        return g.name == x

    return tuple(sorted({g.label for g in generators for x in on if covers(x, g)}))


def _checked_models(doc: dict, source: str, generators: tuple[Entry, ...]) -> tuple[Entry, ...]:
    models = _entries(doc, "models", source, generators)
    breakages.check(models, source)
    return models


def _seeds(seeds: Any, source: str, key: str) -> tuple[int, ...]:
    if not isinstance(seeds, list) or not seeds:
        raise _fail(source, key, "must be a non-empty list of seeds")
    for i, s in enumerate(seeds):
        if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s <= MAX_SEED:
            raise _fail(source, f"{key}[{i}]", f"{s!r} is not an integer from 0 to {MAX_SEED}")
    if len(set(seeds)) != len(seeds):
        raise _fail(source, key, "lists a seed twice")
    return tuple(seeds)


def validate(doc: Any, source: str = "<dict>") -> Suite:
    """Check everything a run needs before it starts; raise BadInput naming the key."""
    from dgpbench.benchmarks.metrics import METRICS

    if not isinstance(doc, dict):
        raise BadInput(f"{source}: a suite must be a mapping with keys {list(TOP_KEYS)}, got {type(doc).__name__}")
    for k in doc:
        if k not in TOP_KEYS:
            raise _fail(source, _key(k), f"unknown key; {closest(str(k), TOP_KEYS)}")
    for k in REQUIRED:
        if k not in doc:
            raise _fail(source, k, "is required")
    for k, tp in TOP_KEYS.items():
        if k in doc and (not isinstance(doc[k], tp) or isinstance(doc[k], bool)):
            raise _fail(source, k, f"has the wrong type {type(doc[k]).__name__}")
    limits.check_text(doc, source)
    name = doc["name"]
    if not name.strip():
        raise _fail(source, "name", "must not be empty")
    limits.check_printable(name, source, "name")
    max_cells = limits.max_cells(doc.get("max_cells"), source)
    seeds = _seeds(doc["seeds"], source, "seeds")
    time_limit = _bounded(doc, "time_limit", DEFAULT_TIME_LIMIT, 7 * 24 * 3600, "seconds", source)
    memory_limit = _bounded(doc, "memory_limit", DEFAULT_MEMORY_LIMIT, MAX_MEMORY_LIMIT, "MB", source)
    metrics = doc.get("metrics", "all")
    if isinstance(metrics, str):
        if metrics != "all":
            raise _fail(source, "metrics", f"{metrics!r}: write 'all' or a list of metric names")
        metric_names = None
    else:
        if not metrics:
            raise _fail(source, "metrics", "must list at least one metric (or say 'all')")
        for i, m in enumerate(metrics):
            if not isinstance(m, str) or m not in METRICS:
                raise _fail(source, f"metrics[{i}]", f"unknown metric {m!r}; {closest(str(m), METRICS.names())}")
        metric_names = tuple(metrics)
    gens = _entries(doc, "generators", source)
    models = _checked_models(doc, source, gens)
    limits.check_cells(_n_cells(gens, models, seeds), max_cells, source)
    return Suite(
        name=name,
        description=doc.get("description", "") or "",
        seeds=tuple(seeds),
        generators=gens,
        models=models,
        metrics=metric_names,
        time_limit=time_limit,
        source=source,
        max_cells=max_cells,
        memory_limit=memory_limit,
    )


def _bounded(doc: dict, key: str, default: float, high: float, unit: str, source: str) -> float:
    """``doc[key]`` (or ``default``) as a float in (0, high]; no float() of a huge int."""
    value = doc.get(key, default)
    if not 0 < value <= high or not math.isfinite(value):
        shown = f"{value!r}" if abs(value) < 1e30 or value != value else "a huge number"
        raise _fail(source, key, f"{shown} must be a number of {unit} in (0, {high:.0f}]")
    return float(value)


def _n_cells(generators: tuple[Entry, ...], models: tuple[Entry, ...], seeds: tuple[int, ...]) -> int:
    """The cells a suite asks for: each generator entry's seeds times the models that run on
    it (an upper bound of the plan, which also drops pairs a model does not support)."""
    return sum(len(g.seeds or seeds) * sum(m.on is None or g.label in m.on for m in models) for g in generators)
