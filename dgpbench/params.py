"""Typed, validated parameter sets shared by generators and models.

A parameter set is a frozen dataclass whose fields are declared with :func:`param`. The
metadata (help, range, choices) is what ``dgpbench list --format json`` prints and what the
suite validator checks *before* any work starts, so a typo in a suite fails in milliseconds
with the owner, the parameter, the value and what would be valid.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Any

from dgpbench.errors import BadInput, closest


def param(
    default: Any,
    help: str = "",
    *,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    choices: tuple | None = None,
) -> Any:
    """Declare one parameter with its default and its valid range or choices."""
    meta = {"help": help, "ge": ge, "le": le, "gt": gt, "lt": lt, "choices": choices}
    if isinstance(default, (list, dict, set)):
        raise TypeError("parameter defaults must be immutable (use a tuple)")
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class NoParams:
    """The empty parameter set."""


def _type_of(cls: type, field: dataclasses.Field) -> Any:
    hints = typing.get_type_hints(cls)
    return hints[field.name]


def _type_name(tp: Any) -> str:
    if typing.get_origin(tp) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " | ".join(_type_name(a) for a in typing.get_args(tp))
    if tp is type(None):
        return "null"
    if typing.get_origin(tp) is tuple:
        return "list"
    return getattr(tp, "__name__", str(tp))


def _coerce(owner: str, name: str, value: Any, tp: Any) -> Any:
    """Accept a value of the declared type (ints for floats too); refuse anything else."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(owner, name, value, a)
            except BadInput:
                continue
        raise BadInput(f"{owner}: parameter {name!r} = {value!r} has the wrong type; expected {_type_name(tp)}")
    if typing.get_origin(tp) is tuple:
        if not isinstance(value, (list, tuple)):
            raise BadInput(f"{owner}: parameter {name!r} = {value!r} has the wrong type; expected a list")
        inner = args[0] if args else Any
        return tuple(_coerce(owner, name, v, inner) for v in value) if inner is not Any else tuple(value)
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value)
            if not math.isfinite(value):
                raise BadInput(f"{owner}: parameter {name!r} = {value!r} must be a finite number")
            return value
    elif tp is str:
        if isinstance(value, str):
            return value
    elif tp is Any:
        return value
    raise BadInput(f"{owner}: parameter {name!r} = {value!r} has the wrong type; expected {_type_name(tp)}")


def _check_range(owner: str, f: dataclasses.Field, value: Any) -> None:
    m = f.metadata
    if value is None:
        return
    if m.get("choices") is not None and value not in m["choices"]:
        raise BadInput(f"{owner}: parameter {f.name!r} = {value!r} is not one of {list(m['choices'])}")
    vals = value if isinstance(value, tuple) else (value,)
    for v in vals:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            continue
        bad = (
            (m.get("ge") is not None and v < m["ge"])
            or (m.get("le") is not None and v > m["le"])
            or (m.get("gt") is not None and v <= m["gt"])
            or (m.get("lt") is not None and v >= m["lt"])
        )
        if bad:
            raise BadInput(f"{owner}: parameter {f.name!r} = {value!r} is out of range; valid: {range_text(f)}")


def range_text(f: dataclasses.Field) -> str:
    """Human-readable valid range of one parameter field ('' when unconstrained)."""
    m = f.metadata
    if m.get("choices") is not None:
        return "one of " + ", ".join(map(str, m["choices"]))
    lo = f">= {m['ge']}" if m.get("ge") is not None else (f"> {m['gt']}" if m.get("gt") is not None else "")
    hi = f"<= {m['le']}" if m.get("le") is not None else (f"< {m['lt']}" if m.get("lt") is not None else "")
    return " and ".join(x for x in (lo, hi) if x)


def validate(cls: type, owner: str, values: dict[str, Any] | None) -> Any:
    """Build ``cls`` from user values, naming the owner, parameter, value and what is valid."""
    values = dict(values or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name in values:
        if name not in fields:
            raise BadInput(f"{owner}: unknown parameter {name!r}; {closest(name, fields)}")
    out = {}
    for name, value in values.items():
        f = fields[name]
        v = _coerce(owner, name, value, _type_of(cls, f))
        _check_range(owner, f, v)
        out[name] = v
    try:
        obj = cls(**out)
    except (TypeError, ValueError) as exc:  # __post_init__ cross-field checks
        raise BadInput(f"{owner}: {exc}") from None
    return obj


def describe(cls: type) -> list[dict[str, Any]]:
    """Each parameter's name, type, default, valid range and help, for listings and JSON."""
    rows = []
    for f in dataclasses.fields(cls):
        rows.append(
            {
                "name": f.name,
                "type": _type_name(_type_of(cls, f)),
                "default": f.default,
                "range": range_text(f),
                "help": f.metadata.get("help", ""),
            }
        )
    return rows


def as_dict(params: Any) -> dict[str, Any]:
    """Parameters as plain JSON-ready values (tuples become lists)."""
    out = {}
    for f in dataclasses.fields(params):
        v = getattr(params, f.name)
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out
