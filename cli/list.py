"""``dgpbench list``: what is registered (generators, models, metrics) and the built-in suites.

A plugin that fails to import is listed as unavailable with its reason, never dropped.
Sensitivity models (deliberately broken variants and their yardsticks) are listed apart,
under their own heading, with what each breaks and the face that must catch it; in JSON
their rows carry a ``sensitivity`` object.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from dgpbench.errors import BadInput

KINDS = ("generators", "models", "metrics", "suites")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("list", help="list generators, models, metrics or suites")
    p.add_argument("what", nargs="?", default="all", choices=["all", *KINDS])
    p.add_argument("--format", default="table", choices=["table", "json"])
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE")
    return p


def run(args: argparse.Namespace) -> int:
    from dgpbench.registry import import_plugin

    for p in args.plugin:
        import_plugin(p)
    kinds = list(KINDS) if args.what == "all" else [args.what]
    listing = {k: _listing(k) for k in kinds}
    if args.format == "json":
        print(json.dumps(listing if args.what == "all" else listing[args.what], indent=1, default=str))
    else:
        for k in kinds:
            _print_listing(k, listing[k])
    return 0


def _listing(what: str) -> list[dict[str, Any]]:
    if what == "suites":
        from dgpbench.benchmarks.suite import builtin_suites, load

        return [{"name": n, "description": load(n).description} for n in builtin_suites()]
    if what == "metrics":
        return _metrics()
    return _classes(what)


def _metrics() -> list[dict[str, Any]]:
    from dgpbench.benchmarks.metrics import METRICS

    out: list[dict[str, Any]] = []
    for e in METRICS.entries():
        try:
            m = METRICS.get(e.name)
        except BadInput as exc:
            out.append({"name": e.name, "unavailable": str(exc)})
            continue
        out.append(
            {
                "name": m.name,
                "description": m.description,
                "face": m.face,
                "direction": m.direction,
                "requires": list(m.requires),
                "truth": list(m.truth),
                "naive": m.naive,
                "citation": m.citation,
            }
        )
    return out


def _classes(what: str) -> list[dict[str, Any]]:
    """Registered generators or models with their parameters (name, type, default, range)."""
    from dgpbench.params import describe
    from dgpbench.registry import Registry

    registry: Registry
    if what == "generators":
        from dgpbench.generators.registry import GENERATORS as registry
    else:
        from dgpbench.models.registry import MODELS as registry
    out: list[dict[str, Any]] = []
    for e in registry.entries():
        try:
            cls = registry.get(e.name)
        except BadInput as exc:
            out.append({"name": e.name, "source": e.source, "unavailable": str(exc)})
            continue
        row = {
            "name": e.name,
            "description": cls.description,
            "version": cls.version,
            "parameters": describe(cls.Params),
            "source": e.source,
        }
        if what == "models":
            row["capabilities"] = list(cls.capabilities.names())
            sensitivity = _sensitivity(cls)
            if sensitivity:
                row["sensitivity"] = sensitivity
        out.append(row)
    return out


def _sensitivity(cls: Any) -> dict[str, str] | None:
    """What a sensitivity model is for (None for an ordinary model), as its class declares."""
    from dgpbench.models.sensitivity import is_sensitivity_only

    if not is_sensitivity_only(cls):
        return None
    if cls.breakage is None:
        return {"role": cls.sensitivity_role}
    b = cls.breakage
    return {"breaks": b.what, "face": b.face, "catch": b.catch}


SENSITIVITY_HEADING = "sensitivity variants (not ordinary models: only beside the correct model they break)"


def _print_listing(what: str, rows: list[dict[str, Any]]) -> None:
    _print_rows(what, [r for r in rows if "sensitivity" not in r])
    apart = [r for r in rows if "sensitivity" in r]
    if apart:
        _print_rows(SENSITIVITY_HEADING, apart)


def _print_rows(heading: str, rows: list[dict[str, Any]]) -> None:
    print(f"{heading}:")
    for r in rows:
        if "unavailable" in r:
            print(f"  {r['name']:<18} UNAVAILABLE  {r['unavailable']}")
            continue
        extra = f" [{r['face']}]" if "face" in r else ""
        caps = f"  ({', '.join(r['capabilities'])})" if r.get("capabilities") else ""
        print(f"  {r['name']:<18} {r['description']}{extra}{caps}")
        if "sensitivity" in r:
            why = r["sensitivity"]
            said = why.get("role") or f"breaks: {why['breaks']}; caught by: {why['face']} ({why['catch']})"
            print(f"      {said}")
        for prm in r.get("parameters", []):
            rng = f" [{prm['range']}]" if prm["range"] else ""
            print(f"      {prm['name']}: {prm['type']} = {prm['default']!r}{rng}")
