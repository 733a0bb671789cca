"""Run in a fresh process by ``test_truth_unreachable.py``: the truth spy through several cell
paths, one line of JSON per (path, generator) on stdout.

Paths: ``run_cell`` (the harness), ``plan`` (the planner asking ``supports``), and two written
here the way the code was before issue 12, which the check must catch: ``leaky_cell`` keeps
the truth as a local while the model fits (and hands it the generator's seed), and
``cached_cell`` runs the real cell with IHDP's truth columns cached beside the observed ones
at module level, as ``generators/shipped.py`` did.

Usage: python truth_spy_cells.py PATH GENERATOR [PARAMS_JSON] ...  (triples)
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from typing import Any

from dgpbench.benchmarks import runner, suite
from dgpbench.benchmarks.cell import run_cell
from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, RunSettings
from dgpbench.generators import shipped
from dgpbench.generators.registry import load_generator
from dgpbench.models.conformance import check_truth_unreachable_during_fit
from dgpbench.models.registry import load_model


def harness_cell(generator: str, params: dict[str, Any], model: str, seed: int) -> tuple[str, str]:
    spec = CellSpec(ComponentSpec(generator, "1", params), ComponentSpec(model, "1", {}), seed)
    result = run_cell(spec, RunSettings(metrics=("coef_error",)))
    return result.status, result.error


def planner(generator: str, params: dict[str, Any], model: str, seed: int) -> tuple[str, str]:
    the_suite = suite.Suite(
        "spy", (seed,), (suite.Entry(generator, generator, params),), (suite.Entry(model, model),), None
    )
    planned = runner.plan(the_suite)
    if planned.skipped:
        return "skipped", planned.skipped[0][1]
    return "ok", ""


def leaky_cell(generator: str, params: dict[str, Any], model: str, seed: int) -> tuple[str, str]:
    """The cell as it was: sample, keep the truth as a local, fit with the generator's seed."""
    gen = load_generator(generator, **params)
    observed, truth = gen.sample(seed)
    m = load_model(model)
    ok, reason = m.supports(observed)
    if not ok:
        return "skipped", reason
    try:
        m.fit(observed, seed)
    except AssertionError as exc:
        return "error", str(exc)
    return "ok", str(truth.kind)


@lru_cache(maxsize=10)
def _old_ihdp_array(replication: int):
    """The old shipped cache: all 30 columns, counterfactuals included, one array."""
    import numpy as np

    with shipped.data_file("ihdp", f"ihdp_npci_{replication}.csv").open("r", encoding="utf-8") as fh:
        values = np.loadtxt(fh, delimiter=",", dtype=float)
    values.flags.writeable = False
    return values


def cached_cell(generator: str, params: dict[str, Any], model: str, seed: int) -> tuple[str, str]:
    _old_ihdp_array(params.get("replication", 1))  # filled by an earlier cell of the worker
    return harness_cell(generator, params, model, seed)


PATHS = {"run_cell": harness_cell, "plan": planner, "leaky_cell": leaky_cell, "cached_cell": cached_cell}


def main(argv: list[str]) -> None:
    for i in range(0, len(argv), 3):
        path, generator, params = argv[i], argv[i + 1], json.loads(argv[i + 2])
        try:
            check_truth_unreachable_during_fit(PATHS[path], generator, params)
            outcome = "passed"
        except AssertionError as exc:
            outcome = f"failed: {exc}"
        print(json.dumps({"path": path, "generator": generator, "outcome": outcome}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
