"""Metrics on cases whose values are known analytically, and against slow obvious routes."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from dgpbench.benchmarks.metrics import METRICS, Metric, normalised_score, split_key
from dgpbench.benchmarks.metrics import coefficients as co
from dgpbench.benchmarks.metrics import counterfactuals as cf
from dgpbench.benchmarks.metrics import distribution as di
from dgpbench.benchmarks.metrics.base import DIRECTIONS, join_key
from dgpbench.benchmarks.scoring import CellData, score_cell
from dgpbench.benchmarks.scoring.context import ScoringContext
from dgpbench.generators.base import Truth
from dgpbench.generators.registry import load_generator
from dgpbench.models.base import Capabilities
from dgpbench.models.oracle import oracle_fitted
from dgpbench.models.registry import MODELS, load_model
from dgpbench.vocabulary import FACES

# --- likelihood -------------------------------------------------------------------------


@pytest.mark.parametrize(("mu", "s"), [(0.5, 1.0), (0.0, 2.0), (0.5, 2.0)])
def test_nll_excess_estimates_kl_between_normals(mu, s):
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, 400_000)
    kl = np.log(s) + (1 + mu**2) / (2 * s**2) - 0.5  # KL(N(0,1) || N(mu, s^2))
    assert di.nll_excess(stats.norm.logpdf(y, mu, s), stats.norm.logpdf(y, 0, 1)) == pytest.approx(kl, abs=0.005)


# --- CRPS -------------------------------------------------------------------------------


def crps_slow(samples, y):
    """Obvious O(m^2) fair CRPS for one row."""
    m = len(samples)
    t1 = np.mean(np.abs(samples - y))
    t2 = np.sum(np.abs(samples[:, None] - samples[None, :])) / (2 * m * (m - 1))
    return t1 - t2


def test_fair_crps_matches_slow_reference():
    rng = np.random.default_rng(2)
    s = rng.normal(size=(30, 17))
    y = rng.normal(size=30)
    slow = np.mean([crps_slow(s[i], y[i]) for i in range(30)])
    assert di.crps_fair(s, y) == pytest.approx(slow, rel=1e-12)


def test_fair_crps_of_standard_normal_at_zero_is_sqrt2_minus_1_over_sqrt_pi():
    """CRPS(N(0,1), 0) = 2 phi(0) - 1/sqrt(pi) = (sqrt 2 - 1) / sqrt(pi); unbiased even for m = 5."""
    rng = np.random.default_rng(3)
    expected = (np.sqrt(2) - 1) / np.sqrt(np.pi)
    assert di.crps_fair(rng.normal(size=(40_000, 5)), np.zeros(40_000)) == pytest.approx(expected, rel=0.01)
    assert di.crps_fair(rng.normal(size=(4_000, 200)), np.zeros(4_000)) == pytest.approx(expected, rel=0.01)


def test_oracle_expected_crps_is_sigma_over_sqrt_pi():
    """E CRPS(N(mu, s), Y) with Y ~ N(mu, s) equals s / sqrt(pi) (Gneiting & Raftery 2007)."""
    rng = np.random.default_rng(3)
    sigma = 0.4
    n, m = 4000, 50
    samples = rng.normal(0, sigma, (n, m))
    y = rng.normal(0, sigma, n)
    assert di.crps_fair(samples, y) == pytest.approx(sigma / np.sqrt(np.pi), rel=0.03)


def test_fair_crps_agrees_with_closed_form_gaussian_crps():
    rng = np.random.default_rng(4)
    y = rng.normal(size=500)
    mu, s = 0.3, 1.5
    z = (y - mu) / s
    closed = np.mean(s * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi)))
    samples = rng.normal(mu, s, (500, 4000))
    assert di.crps_fair(samples, y) == pytest.approx(closed, rel=0.01)


# --- calibration ------------------------------------------------------------------------


def test_pit_of_the_true_law_is_uniform_and_covers_nominally():
    rng = np.random.default_rng(5)
    n = 20_000
    samples = rng.normal(size=(n, 40))
    y = rng.normal(size=n)
    pit = di.pit_values(samples, y, rng)
    assert stats.kstest(pit, "uniform").pvalue > 0.001
    assert di.pit_ks(pit) < 0.015
    assert di.interval_coverage(pit, 0.9) == pytest.approx(0.9, abs=0.01)
    # an overconfident model (sd halved) is visibly miscalibrated
    pit_bad = di.pit_values(samples * 0.5, y, rng)
    assert di.pit_ks(pit_bad) > 0.1
    assert di.interval_coverage(pit_bad, 0.9) < 0.65


def test_pit_of_an_observation_outside_every_sample_is_in_the_outer_cell():
    rng = np.random.default_rng(6)
    samples = np.tile(np.arange(9.0), (1000, 1))  # m = 9 -> cells of width 1/10
    assert np.all(di.pit_values(samples, np.full(1000, -1.0), rng) < 0.1)
    assert np.all(di.pit_values(samples, np.full(1000, 99.0), rng) > 0.9)


def test_pit_ks_and_coverage_of_an_exactly_uniform_grid():
    n = 1000
    grid = (np.arange(n) + 0.5) / n  # the most uniform sample of size n
    assert di.pit_ks(grid) == pytest.approx(0.5 / n)
    assert di.interval_coverage(grid, 0.9) == 0.9
    assert di.interval_coverage(grid, 0.5) == 0.5
    assert di.pit_ks(np.full(n, 0.5)) == pytest.approx(0.5)  # all mass in the middle


# --- energy distance --------------------------------------------------------------------


def energy_slow(a, b):
    """Obvious O(n^2) U-statistic: 2 mean |a_i - b_j| - mean_{i != j} |a_i - a_j| - mean_{i != j} |b_i - b_j|."""

    def mean_dist(p, q, same):
        d = [np.linalg.norm(x - y) for i, x in enumerate(p) for j, y in enumerate(q) if not (same and i == j)]
        return np.mean(d)

    return 2 * mean_dist(a, b, False) - mean_dist(a, a, True) - mean_dist(b, b, True)


def test_energy_distance_matches_slow_reference():
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(25, 3)), rng.normal(1, 2, size=(30, 3))
    assert di.energy_distance(a, b) == pytest.approx(energy_slow(a, b), rel=1e-9)


def test_energy_distance_is_zero_in_expectation_and_matches_the_shift_closed_form():
    rng = np.random.default_rng(6)
    same = [di.energy_distance(rng.normal(size=(300, 2)), rng.normal(size=(300, 2))) for _ in range(20)]
    assert abs(np.mean(same)) < 0.01
    # X ~ N(0,1), Y ~ N(d,1): 2E|X-Y| - E|X-X'| - E|Y-Y'| with E|W| of W ~ N(m, 2) the folded-normal mean
    d, s = 1.0, np.sqrt(2)

    def e_abs(m):
        return s * np.sqrt(2 / np.pi) * np.exp(-(m**2) / (2 * s**2)) + m * (1 - 2 * stats.norm.cdf(-m / s))

    expected = 2 * e_abs(d) - e_abs(0) - e_abs(0)
    est = np.mean([di.energy_distance(rng.normal(size=2000), rng.normal(size=2000) + d) for _ in range(5)])
    assert est == pytest.approx(expected, rel=0.05)


def test_standardised_energy_distance_does_not_depend_on_units():
    """Rescaling and shifting a column in both samples (metres to millimetres) changes nothing."""
    rng = np.random.default_rng(7)
    model, truth = rng.normal(size=(200, 2)), rng.normal(0.3, 1.2, size=(200, 2))
    units = np.array([1000.0, 1.0]), np.array([5.0, -2.0])
    moved = di.standardised_energy_distance(model * units[0] + units[1], truth * units[0] + units[1])
    assert moved == pytest.approx(di.standardised_energy_distance(model, truth), rel=1e-9)
    # a constant true column is centred, not divided by zero
    const = np.column_stack([truth[:, 0], np.full(200, 3.0)])
    assert np.isfinite(di.standardised_energy_distance(const + 0.1, const))


# --- counterfactuals --------------------------------------------------------------------


def test_pehe_and_ate_error_of_a_known_shift():
    mu0 = np.zeros(100)
    mu1 = np.linspace(0, 2, 100)
    assert cf.sqrt_pehe(mu0, mu1 + 0.3, mu0, mu1) == pytest.approx(0.3)
    assert cf.ate_abs_error(mu0, mu1 + 0.3, mu0, mu1) == pytest.approx(0.3)
    assert cf.rmse(mu0 - 0.3, mu0) == pytest.approx(0.3)


def test_individual_errors_that_cancel_on_average_show_in_pehe_only():
    mu0, mu1 = np.zeros(100), np.ones(100)
    wiggle = np.where(np.arange(100) % 2 == 0, 0.4, -0.4)
    assert cf.sqrt_pehe(mu0, mu1 + wiggle, mu0, mu1) == pytest.approx(0.4)
    assert cf.ate_abs_error(mu0, mu1 + wiggle, mu0, mu1) == pytest.approx(0.0, abs=1e-12)


# --- coefficients -----------------------------------------------------------------------


def test_coefficient_errors_on_a_hand_table():
    est, truth = np.array([1.5, -0.5, 2.0]), np.array([1.0, 0.0, 2.0])
    assert co.error(est, truth).tolist() == [0.5, -0.5, 0.0]
    assert co.abs_error(est, truth).tolist() == [0.5, 0.5, 0.0]
    assert co.covers(est - 0.4, est + 0.4, truth).tolist() == [0.0, 0.0, 1.0]
    assert co.width(est - 0.4, est + 0.4) == pytest.approx([0.8, 0.8, 0.8])


def test_exact_intervals_cover_at_nominal_rate():
    rng = np.random.default_rng(7)
    truth, se, n = 1.0, 0.2, 20_000
    est = rng.normal(truth, se, n)
    z = stats.norm.ppf(0.975)
    assert co.covers(est - z * se, est + z * se, truth).mean() == pytest.approx(0.95, abs=0.005)
    # an estimator with the reference's own se: RMS of |error| / se is 1
    assert np.sqrt(np.mean(co.efficiency(est, truth, se) ** 2)) == pytest.approx(1.0, abs=0.02)


def test_efficiency_of_an_estimate_one_se_off_is_one():
    assert co.efficiency([1.2, 0.8, 1.0], 1.0, [0.2, 0.2, 0.1]).tolist() == pytest.approx([1.0, 1.0, 0.0])
    assert np.isnan(co.efficiency(1.2, 1.0, 0.0))


def test_the_efficiency_metric_divides_by_the_canonical_se():
    """Only coefficients both tables have, and only where the canonical se is positive."""
    ctx = SimpleNamespace(
        coefficients={"a": {"estimate": 1.3}, "b": {"estimate": 0.0}, "c": {"estimate": 5.0}},
        data=SimpleNamespace(canonical={"a": {"se": 0.1}, "b": {"se": 0.0}}),
        truth=SimpleNamespace(coefficients={"a": 1.0, "b": 1.0, "c": 0.0}),
    )
    assert METRICS.get("coef_efficiency").evaluate(ctx) == pytest.approx({"a": 3.0})
    ctx.data.canonical = None
    assert METRICS.get("coef_efficiency").evaluate(ctx) is None


def test_the_energy_metric_standardises_the_rows_it_is_handed():
    rng = np.random.default_rng(8)
    model, truth = rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) * [10.0, 0.1]
    ctx = SimpleNamespace(joint_rows=(model, truth))
    assert METRICS.get("energy_distance").evaluate(ctx) == di.standardised_energy_distance(model, truth)


# --- normalisation and the registry -----------------------------------------------------


def test_normalised_score_endpoints_and_missing_cases():
    assert normalised_score(0.0, 0.0, 2.0) == (1.0, "")
    assert normalised_score(2.0, 0.0, 2.0) == (0.0, "")
    assert normalised_score(1.0, 0.0, 2.0)[0] == pytest.approx(0.5)
    score, why = normalised_score(1.0, 0.5, 0.5)
    assert score is None and why
    assert normalised_score(None, 0.0, 1.0)[0] is None


def test_every_metric_names_a_face_capabilities_truth_fields_and_a_registered_baseline():
    capabilities = {f.name for f in dataclasses.fields(Capabilities)}
    truth_fields = {f.name for f in dataclasses.fields(Truth)}
    for name in METRICS.names():
        m = METRICS.get(name)
        assert m.name == name and m.description
        assert m.face in FACES and m.direction in DIRECTIONS
        assert m.requires and set(m.requires) <= capabilities, name
        assert set(m.truth) <= truth_fields, name
        assert m.naive in MODELS.names(), name


def test_a_metric_is_built_by_keyword_and_checks_its_face():
    fields = dict(direction="lower", requires=("conditional",), truth=(), evaluate=lambda ctx: 0.0)
    with pytest.raises(TypeError):
        Metric(
            "x", "distribution", "lower", ("conditional",), (), lambda ctx: 0.0, "d", "linear_gaussian"
        )  # positional on purpose
    with pytest.raises(ValueError, match="face"):
        Metric(name="x", face="variance", description="d", naive="linear_gaussian", **fields)


def test_metric_keys_round_trip():
    assert split_key(join_key("coef_error", "tau")) == ("coef_error", "tau")
    assert split_key(join_key("crps", None)) == ("crps", None)
    assert join_key("crps", "") == "crps"


# --- Y(0) forecasts (did_panel, framing pre_period) -------------------------------------


def test_imputed_att_error_of_a_known_forecast_bias():
    """y1 = mu1 + e: a forecast off by +0.2 everywhere imputes an ATT 0.2 too low, less the
    mean noise; the exact Y(0) leaves only the mean noise of the treated rows."""
    mu0 = np.linspace(-1, 1, 50)
    mu1 = mu0 + np.linspace(0.0, 1.0, 50)
    e = np.where(np.arange(50) % 2 == 0, 0.1, -0.06)  # mean 0.02
    y1 = mu1 + e
    assert cf.att_imputation_abs_error(mu0, y1, mu0, mu1) == pytest.approx(0.02)
    assert cf.att_imputation_abs_error(mu0 + 0.2, y1, mu0, mu1) == pytest.approx(0.18)
    assert cf.att_imputation_abs_error(mu0 - 0.2, y1, mu0, mu1) == pytest.approx(0.22)


def _forecast_cell(seed: int = 0, **params):
    g = load_generator("did_panel", framing="pre_period", **params)
    observed, truth = g.sample(seed)
    return CellData(g, observed, truth, seed)


def _rows(data, fitted, capabilities) -> dict[str, dict]:
    return {r["metric"]: r for r in score_cell(data, fitted, capabilities)[0]}


def test_forecast_metrics_score_the_mean_of_the_held_out_rows_against_the_truth():
    """The oracle is the floor (RMSE 0, score 1); a forecast shifted by a known amount on the
    held-out rows has that RMSE and imputed-ATT error; the linear Gaussian is the zero."""
    data = _forecast_cell(n_units=30, n_periods=12)
    oracle, caps = oracle_fitted(data.observed, data.truth)
    rows = _rows(data, oracle, caps)
    test = data.observed.mask("test")
    noise = float(np.mean(data.truth.y1[test] - data.truth.mu1[test]))
    assert rows["y0_forecast_rmse"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert rows["y0_forecast_rmse"]["score"] == 1.0 and rows["y0_forecast_rmse"]["face"] == "counterfactuals"
    assert rows["att_forecast_abs_error"]["value"] == pytest.approx(abs(noise), abs=1e-12)
    assert not any(name.startswith(("sqrt_pehe", "ate_", "att_abs", "y0_rmse")) for name in rows)

    class Shifted:  # the true Y(0) law's mean, plus 0.25
        def mean(self, X):
            return data.truth.mean(X) + 0.25

    shifted = ScoringContext(data, Shifted(), Capabilities(conditional=True), "model")
    assert METRICS.get("y0_forecast_rmse").evaluate(shifted) == pytest.approx(0.25)
    assert METRICS.get("att_forecast_abs_error").evaluate(shifted) == pytest.approx(abs(noise - 0.25))

    naive = load_model("linear_gaussian")
    naive_rows = _rows(data, naive.fit(data.observed, 0), naive.capabilities)
    assert naive_rows["y0_forecast_rmse"]["score"] == 0.0
    assert naive_rows["y0_forecast_rmse"]["value"] > 0.5  # blind to the unit effects (sd 1)


def test_forecast_metrics_do_not_apply_where_the_data_has_a_treatment():
    g = load_generator("did_panel", n_units=20, n_periods=10)
    observed, truth = g.sample(0)
    data = CellData(g, observed, truth, 0)
    rows = _rows(data, *oracle_fitted(observed, truth))
    assert "sqrt_pehe_in" in rows and "y0_forecast_rmse" not in rows and "att_forecast_abs_error" not in rows


def test_the_forecast_rmse_decides_the_counterfactual_face_after_sqrt_pehe():
    metrics = [METRICS.get(n) for n in METRICS.names()]
    ranked = sorted((m.primary, m.name) for m in metrics if m.face == "counterfactuals" and m.primary)
    assert [name for _, name in ranked] == ["sqrt_pehe_out", "sqrt_pehe_in", "y0_forecast_rmse"]
