"""``dgpbench check --plugin MODULE``: run the conformance checks on a third party's code.

Imports each plugin as ``run --plugin`` does (a module name or a ``.py`` file), takes the
generators and models it registered (the registries' names after the import less those
before), and runs the generator checks (:mod:`dgpbench.generators.conformance`) and the
model checks (:mod:`dgpbench.models.conformance`) on them, printing one row per check with
its reason, as scikit-learn's ``check_estimator`` does. Exit 0 when every check passes (or
does not apply), 1 when one fails, 2 when a plugin cannot be imported or registers nothing
to check. A model is fitted on the first small built-in data set it supports, else on a
draw of a generator the same plugins registered.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from dgpbench.errors import BadInput

if TYPE_CHECKING:
    from dgpbench.generators.conformance import Outcome
    from dgpbench.models.base import Model
    from dgpbench.models.conformance import Case


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "check",
        help="run the generator and model conformance checks on what a plugin registers",
        description="Import each plugin (as `run --plugin` does) and run the conformance checks on the "
        "generators and models it registers; see docs/plugins.md.",
    )
    p.add_argument(
        "--plugin",
        action="append",
        required=True,
        metavar="MODULE",
        help="a module (or .py file) that registers generators/models; it runs with your rights",
    )
    return p


def run(args: argparse.Namespace) -> int:
    from dgpbench.generators.conformance import FAIL, NOT_APPLICABLE, PASS

    generators, models = registered_by(args.plugin)
    results = check_all(generators, models)
    print(format_outcomes(results))
    counts = {s: sum(o.status == s for o in results) for s in (PASS, FAIL, NOT_APPLICABLE)}
    subjects = ", ".join([*(f"generator {g}" for g in generators), *(f"model {m}" for m in models)])
    print(
        f"\n{len(results)} checks on {subjects}: {counts[PASS]} passed, {counts[FAIL]} failed, "
        f"{counts[NOT_APPLICABLE]} not applicable"
    )
    return 1 if counts[FAIL] else 0


def registered_by(plugins: list[str]) -> tuple[list[str], list[str]]:
    """(generator names, model names) the plugins registered on import; bad input when a
    plugin cannot be imported or registers neither."""
    from dgpbench.generators.registry import GENERATORS
    from dgpbench.models.registry import MODELS
    from dgpbench.registry import import_plugin

    generators_before, models_before = set(GENERATORS.names()), set(MODELS.names())
    for plugin in plugins:
        import_plugin(plugin)  # BadInput naming the argument when it cannot be imported
    generators = sorted(set(GENERATORS.names()) - generators_before)
    models = sorted(set(MODELS.names()) - models_before)
    if not generators and not models:
        named = " ".join(f"--plugin {p!r}" for p in plugins)
        raise BadInput(
            f"{named} registered no generator or model to check: a plugin calls GENERATORS.register "
            "(dgpbench.generators.registry) or MODELS.register (dgpbench.models.registry) when imported; "
            "see docs/plugins.md"
        )
    return generators, models


def check_all(generators: list[str], models: list[str]) -> list[Outcome]:
    from dgpbench.generators import conformance as generator_checks
    from dgpbench.generators.registry import GENERATORS
    from dgpbench.models.registry import MODELS

    results: list[Outcome] = []
    for name in generators:
        results += [
            replace(o, subject=f"generator:{name}") for o in generator_checks.outcomes(name, GENERATORS.get(name))
        ]
    for name in models:
        results += model_outcomes(name, MODELS.get(name), generators)
    return results


def model_outcomes(name: str, model_cls: type[Model], generators: list[str]) -> list[Outcome]:
    """Every model check on one model class; the checks its capabilities do not declare are n/a."""
    from dgpbench.generators.conformance import FAIL, NOT_APPLICABLE, Outcome, outcome_of
    from dgpbench.models import conformance

    subject = f"model:{name}"
    try:
        case = _model_case(model_cls, generators)
    except AssertionError as exc:
        return [Outcome("make_case", subject, FAIL, str(exc))]
    except Exception as exc:
        return [Outcome("make_case", subject, FAIL, f"raised {type(exc).__name__}: {exc}")]
    results = []
    for check, fn in conformance.CHECKS.items():
        if not conformance.applies(check, model_cls):
            results.append(Outcome(check, subject, NOT_APPLICABLE, "not for the capabilities it declares"))
            continue
        results.append(outcome_of(check, subject, partial(fn, case)))
    return results


def _model_case(model_cls: type[Model], generators: list[str]) -> Case:
    """The conformance case on the first small built-in data the model supports, else on a
    draw (seed 0, default parameters) of a generator the plugins registered."""
    from dgpbench.generators.registry import load_generator
    from dgpbench.models import conformance

    try:
        return conformance.make_case(model_cls)
    except AssertionError:
        if not generators:
            raise
    params: dict[str, Any] = dict(getattr(model_cls, "smoke_params", {}))
    for generator in generators:
        observed, truth = load_generator(generator).sample(0)
        if model_cls(**params).supports(observed.fit_view())[0]:
            return conformance.Case(model_cls, generator, observed, truth, params)
    built_in = [n for n, _ in conformance.SMALL_DATA]
    raise AssertionError(f"supports none of the small data sets {built_in} nor the plugins' generators {generators}")


def format_outcomes(results: list[Outcome]) -> str:
    """One row per check: check, subject, result, reason (control characters escaped)."""
    from dgpbench.reports.leaderboard import printable

    header = ("check", "subject", "result", "reason")
    rows = [header, *((o.check, printable(o.subject), o.status, printable(o.reason)) for o in results)]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join([*(r[i].ljust(widths[i]) for i in range(3)), r[3]]).rstrip() for r in rows)
