"""figure_data: which pictures a fitted's capabilities allow, their sizes, and their randomness
(the cell's own named streams: the same for a seed, different across seeds)."""

import json

import numpy as np
import pytest

from dgpbench.benchmarks.scoring import CellData, figure_data
from dgpbench.benchmarks.scoring.figure_arrays import GRID_POINTS, MAX_POINTS
from dgpbench.generators.registry import load_generator
from dgpbench.models.base import Capabilities
from dgpbench.models.oracle import oracle_fitted

SMALL = {
    "heteroscedastic": {"n": 300, "n_test": 3 * MAX_POINTS},  # more test rows than a scatter holds
    "did_panel": {"n_units": 20, "n_periods": 10, "adoption_period": 5},
    "radon_like": {},
    "ihdp": {},
}


def oracle_figures(generator: str, seed: int = 0, caps: Capabilities | None = None, data_seed: int | None = None):
    g = load_generator(generator, **SMALL[generator])
    observed, truth = g.sample(seed if data_seed is None else data_seed)
    data = CellData(g, observed, truth, seed)
    fitted, oracle_caps = oracle_fitted(observed, truth)
    return data, figure_data(data, fitted, oracle_caps if caps is None else caps)


@pytest.mark.parametrize(
    ("generator", "keys"),
    [
        ("heteroscedastic", {"conditional", "samples", "joint_samples"}),
        ("did_panel", {"panel_paths"}),
        ("radon_like", {"group_effects"}),
        ("ihdp", {"ite"}),
    ],
)
def test_each_generator_gets_the_pictures_its_truth_and_roles_allow(generator, keys):
    _, out = oracle_figures(generator)
    assert set(out) == keys
    json.dumps(out)  # stored as JSON


def test_a_panel_without_treatment_gets_no_curve_in_x_alone():
    """The forecast framing has one float covariate and no treatment, but y depends on the
    unit and period too: a curve of y | x would be no curve of the truth."""
    g = load_generator("did_panel", framing="pre_period", **SMALL["did_panel"])
    observed, truth = g.sample(0)
    data = CellData(g, observed, truth, 0)
    fitted, caps = oracle_fitted(observed, truth)
    assert caps.conditional and figure_data(data, fitted, caps) == {}


def test_a_capability_the_fitted_lacks_draws_no_picture():
    _, conditional_only = oracle_figures("heteroscedastic", caps=Capabilities(conditional=True))
    assert set(conditional_only) == {"conditional", "samples"}
    _, joint_only = oracle_figures("heteroscedastic", caps=Capabilities(joint=True))
    assert set(joint_only) == {"joint_samples"}
    assert oracle_figures("heteroscedastic", caps=Capabilities())[1] == {}


def test_curves_on_the_grid_and_scatters_subsampled():
    data, out = oracle_figures("heteroscedastic")
    cond = out["conditional"]
    assert all(len(cond[k]) == GRID_POINTS for k in ("x", "mean", "sd", "true_mean", "true_sd"))
    assert cond["mean"] == cond["true_mean"]  # the oracle's curve is the truth's
    assert np.all(np.diff(cond["x"]) > 0)
    samples = out["samples"]
    assert data.eval_mask.sum() > MAX_POINTS
    assert all(len(samples[k]) == MAX_POINTS for k in ("x", "y_true", "y_model"))
    joint = out["joint_samples"]
    assert len(joint["columns"]) == 2
    assert [len(c) for c in joint["model"] + joint["truth"]] == [MAX_POINTS] * 4


def test_the_scatter_shows_observed_rows_at_their_own_x():
    data, out = oracle_figures("heteroscedastic")
    obs = data.observed
    rows = obs.frame.loc[data.eval_mask]
    pairs = {(round(x, 5), round(y, 5)) for x, y in zip(rows["x"], rows[obs.roles.outcome].astype(float))}
    assert all(p in pairs for p in zip(out["samples"]["x"], out["samples"]["y_true"]))


def test_panel_paths_one_point_per_period_and_the_adoption():
    _, out = oracle_figures("did_panel")
    paths = out["panel_paths"]
    n_periods = SMALL["did_panel"]["n_periods"]
    assert all(len(paths[k]) == n_periods for k in ("t", "observed", "true_y0", "predicted_y0"))
    assert paths["predicted_y0"] == paths["true_y0"]
    assert paths["adoption"] == SMALL["did_panel"]["adoption_period"]


def test_ite_and_group_effects_line_up():
    data, out = oracle_figures("ihdp")
    assert len(out["ite"]["true"]) == min(int(data.eval_mask.sum()), MAX_POINTS)
    assert out["ite"]["predicted"] == out["ite"]["true"]
    data, out = oracle_figures("radon_like")
    ge = out["group_effects"]
    assert len(ge["group"]) == len(ge["true"]) == len(ge["estimate"]) == len(ge["n"])
    assert sum(ge["n"]) == len(data.observed.frame)


def test_same_seed_same_pictures():
    assert oracle_figures("heteroscedastic", 3)[1] == oracle_figures("heteroscedastic", 3)[1]


def test_the_subsample_follows_the_cell_seed():
    """The same draw seen by two cell seeds: the scatter picks different rows."""
    _, a = oracle_figures("heteroscedastic", seed=0, data_seed=5)
    _, b = oracle_figures("heteroscedastic", seed=1, data_seed=5)
    assert a["conditional"] == b["conditional"]  # no randomness in a curve
    assert a["samples"]["x"] != b["samples"]["x"]
    assert a["joint_samples"] != b["joint_samples"]
