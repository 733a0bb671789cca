"""The truth spy through the real cell path finds no truth, and does find it in the cell as it
was (truth kept as a local) and beside a module-level cache of IHDP's counterfactuals.

The spy looks at the whole process (stack and garbage collector), so it runs in a fresh
process (``truth_spy_cells.py``), where no other test's truth is alive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dgpbench.generators.registry import GENERATORS, load_generator
from dgpbench.models.conformance import check_truth_unreachable_during_fit

SCRIPT = Path(__file__).with_name("truth_spy_cells.py")
SMALL = {
    "did_panel": {"n_units": 30, "n_periods": 10},
    "heteroscedastic": {"n": 300, "n_test": 100},
    "two_mode_mixture": {"n": 300, "n_test": 100},
    "ihdp": {"replication": 3},
    "linear": {"n": 300, "n_test": 100},
    "nie_wager": {"n": 300, "n_test": 100},
}
CASES = [(name, SMALL.get(name, {})) for name in GENERATORS.names()] + [("radon_like", {"family": "poisson"})]
CAUGHT = [("leaky_cell", "heteroscedastic", {}), ("leaky_cell", "ihdp", {}), ("cached_cell", "ihdp", {})]


@pytest.fixture(scope="module")
def outcomes() -> dict[tuple[str, str], str]:
    runs = [(path, name, params) for name, params in CASES for path in ("run_cell", "plan")] + CAUGHT
    argv = [x for path, name, params in runs for x in (path, name, json.dumps(params))]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *argv], capture_output=True, text=True, timeout=600, env=dict(os.environ)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    out = {}
    for (path, name, params), row in zip(runs, rows, strict=True):
        out[(path, f"{name}{params or ''}")] = row["outcome"]
    return out


@pytest.mark.parametrize("path", ["run_cell", "plan"])
@pytest.mark.parametrize("name, params", CASES, ids=[f"{n}{p or ''}" for n, p in CASES])
def test_no_truth_reachable_while_a_model_runs(outcomes, path, name, params):
    assert outcomes[(path, f"{name}{params or ''}")] == "passed"


@pytest.mark.parametrize("path, name, params", CAUGHT, ids=[f"{p}-{n}" for p, n, _ in CAUGHT])
def test_the_spy_catches_the_cell_as_it_was(outcomes, path, name, params):
    outcome = outcomes[(path, f"{name}{params or ''}")]
    assert outcome.startswith("failed: truth reachable"), outcome
    expected = "held by a _lru_cache_wrapper" if path == "cached_cell" else "local 'truth'"
    assert expected in outcome


def test_the_check_refuses_to_run_beside_a_live_truth():
    _, truth = load_generator("heteroscedastic", n=10, n_test=0).sample(0)
    with pytest.raises(RuntimeError, match="fresh process"):
        check_truth_unreachable_during_fit(lambda *a: ("ok", ""), "heteroscedastic", {"n": 10, "n_test": 0})
    assert truth.kind == "truth"
