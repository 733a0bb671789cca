"""score_cell on generators with a closed-form truth: the oracle scored as a model is the
floor (score 1), the naive baseline scored as a model is the zero, and a capability the
model lacks yields no row."""

import math

import pytest

from dgpbench.benchmarks.metrics import METRICS, split_key
from dgpbench.benchmarks.scoring import CellData, score_cell
from dgpbench.generators.registry import load_generator
from dgpbench.models.base import Capabilities
from dgpbench.models.oracle import oracle_fitted
from dgpbench.models.registry import load_model

ROW_FIELDS = {"face", "metric", "value", "oracle", "naive", "score", "note"}
SMALL = {
    "heteroscedastic": {"n": 300, "n_test": 200},
    "did_panel": {"n_units": 20, "n_periods": 10, "adoption_period": 5},
    "radon_like": {},
}


def cell_data(generator: str, seed: int = 0) -> CellData:
    g = load_generator(generator, **SMALL[generator])
    observed, truth = g.sample(seed)
    return CellData(g, observed, truth, seed)


def metric_of(row: dict):
    return METRICS.get(split_key(row["metric"])[0])


@pytest.mark.parametrize("generator", sorted(SMALL))
def test_the_oracle_scored_as_a_model_is_the_floor(generator):
    data = cell_data(generator)
    rows, _ = score_cell(data, *oracle_fitted(data.observed, data.truth))
    assert rows
    normalised = [r for r in rows if r["score"] is not None]
    assert normalised, "no row was normalisable: the test would prove nothing"
    for r in rows:
        assert set(r) == ROW_FIELDS
        assert r["face"] == metric_of(r).face
        if r["oracle"] is not None:
            assert r["value"] == r["oracle"], r["metric"]
    assert all(r["score"] == 1.0 for r in normalised)
    # where it is missing, the row says why
    assert all(r["note"] for r in rows if r["score"] is None)


NAIVE_ON = [("heteroscedastic", "linear_gaussian"), ("did_panel", "diff_in_means")]


@pytest.mark.parametrize(("generator", "naive"), NAIVE_ON)
def test_the_naive_baseline_scored_as_a_model_scores_zero(generator, naive):
    data = cell_data(generator)
    model = load_model(naive)
    rows, _ = score_cell(data, model.fit(data.observed, data.seed), model.capabilities)
    own = [r for r in rows if metric_of(r).naive == naive]
    assert own
    for r in own:
        assert r["value"] == r["naive"], r["metric"]
    scored = [r for r in own if r["score"] is not None]
    assert scored and all(r["score"] == 0.0 for r in scored)


def test_a_capability_the_model_lacks_produces_no_row():
    data = cell_data("heteroscedastic")
    oracle, caps = oracle_fitted(data.observed, data.truth)
    assert caps.joint and caps.log_density  # the truth offers them...
    rows, _ = score_cell(data, oracle, Capabilities(conditional=True))  # ...the "model" does not
    metrics = {split_key(r["metric"])[0] for r in rows}
    assert {"crps", "pit_ks", "coverage_error_90", "sd_rmse"} <= metrics
    assert not metrics & {"energy_distance", "nll_excess", "coef_abs_error", "coef_error"}
    assert score_cell(data, oracle, Capabilities()) == ([], [])


def test_only_the_suites_metrics_are_scored():
    data = cell_data("heteroscedastic")
    rows, _ = score_cell(data, *oracle_fitted(data.observed, data.truth), ("crps", "coef_error"))
    assert {split_key(r["metric"])[0] for r in rows} == {"crps", "coef_error"}
    assert all(r["note"] == "not normalised" for r in rows if r["metric"].startswith("coef_error"))


def test_per_coefficient_metrics_are_keyed_by_the_coefficient():
    data = cell_data("did_panel")
    rows, _ = score_cell(data, *oracle_fitted(data.observed, data.truth), ("coef_abs_error",))
    assert {split_key(r["metric"])[1] for r in rows} == set(data.truth.coefficients)


def test_estimates_sit_beside_their_truth():
    data = cell_data("radon_like")
    oracle, caps = oracle_fitted(data.observed, data.truth)
    _, estimates = score_cell(data, oracle, caps)
    by_name = {e["name"]: e for e in estimates}
    assert set(by_name) == set(data.truth.coefficients) | set(data.truth.variance_components)
    for name, true_value in data.truth.coefficients.items():
        e = by_name[name]
        assert e["estimate"] == pytest.approx(true_value) and e["truth"] == true_value
        assert e["lower"] == pytest.approx(true_value) == e["upper"]  # the oracle's se is 0
    for name, true_value in data.truth.variance_components.items():
        e = by_name[name]
        assert e["estimate"] == true_value and e["lower"] is None and e["truth_kind"] == "truth"


def test_scores_are_the_same_for_the_same_seed_and_move_with_it():
    def crps(seed):
        data = cell_data("heteroscedastic", seed)
        model = load_model("linear_gaussian")
        rows, _ = score_cell(data, model.fit(data.observed, seed), model.capabilities, ("crps",))
        return rows[0]["value"]

    assert crps(0) == crps(0)
    assert crps(0) != crps(1)
    assert math.isfinite(crps(0))
