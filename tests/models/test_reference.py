"""Reference estimators, naive baselines and the oracle: recovery on the data they are built
for, hand-computed values, and the contract (declared capabilities work, same seed same
result, fit never sees truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from dgpbench.generators.base import Observed, Roles
from dgpbench.generators.registry import load_generator
from dgpbench.models import baselines, reference
from dgpbench.models.base import PROTOCOLS
from dgpbench.models.oracle import oracle_fitted
from dgpbench.models.registry import load_model

REFERENCE_MODELS = ["ols", "twfe", "mixedlm", "linear_gaussian", "diff_in_means", "s_learner"]


def _observed(frame: pd.DataFrame, **roles) -> Observed:
    return Observed(frame, Roles(**roles), np.full(len(frame), "train"))


def _toy(n: int = 200, seed: int = 0) -> Observed:
    """Cross-section with a covariate, a binary treatment, a group and an integer column."""
    rng = np.random.default_rng(seed)
    x, t, g = rng.normal(size=n), rng.integers(0, 2, n), rng.integers(0, 8, n)
    y = 1.0 + 0.8 * x + 2.0 * t + 0.5 * (g - 3.5) + rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "t": t, "g": g, "y": y})
    return _observed(frame, outcome="y", covariates=("x",), treatment="t", group="g")


def _inputs(observed: Observed) -> pd.DataFrame:
    return observed.frame.drop(columns=observed.roles.outcome)


def _coef(fitted, name: str) -> pd.Series:
    table = fitted.coefficients()
    return table.set_index("name").loc[name]


# --------------------------------------------------------------------------- twfe


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_twfe_recovers_tau_on_did_panel(seed):
    observed, truth = load_generator("did_panel").sample(seed)
    fitted = load_model("twfe").fit(observed, seed)
    tau = _coef(fitted, "tau")
    assert abs(tau.estimate - truth.coefficients["tau"]) < 0.12
    assert tau.lower <= truth.coefficients["tau"] <= tau.upper
    assert abs(_coef(fitted, "x").estimate - truth.coefficients["x"]) < 0.05
    # Y(0) of treated post-adoption rows: the counterfactual the panel is scored on
    treated = observed.frame["d"].to_numpy() == 1
    X = _inputs(observed)[treated]
    assert np.sqrt(np.mean((fitted.mu0(X) - truth.mu0[treated]) ** 2)) < 0.3
    np.testing.assert_allclose(fitted.mu1(X) - fitted.mu0(X), tau.estimate)
    # the tolerance has teeth: pooled OLS, blind to the time trend, misses tau
    assert abs(_coef(load_model("ols").fit(observed), "tau").estimate - truth.coefficients["tau"]) > 0.12


def test_twfe_is_exact_on_the_noise_free_source_panel():
    observed, truth = load_generator("did_panel", noise_sd=0.0, n_units=30, n_periods=20).sample(0)
    fitted = load_model("twfe").fit(observed)
    assert _coef(fitted, "tau").estimate == pytest.approx(0.5, abs=1e-8)
    X = _inputs(observed)
    np.testing.assert_allclose(fitted.mu0(X), truth.mu0, atol=1e-8)
    np.testing.assert_allclose(fitted.mu1(X), truth.mu1, atol=1e-8)
    assert np.isfinite(fitted.logpdf(X, observed.y)).all()


def test_twfe_fitted_values_equal_the_dummy_regression_on_an_unbalanced_panel():
    observed, _ = load_generator("did_panel", n_units=12, n_periods=8, staggered=True).sample(3)
    keep = np.random.default_rng(0).random(len(observed.frame)) > 0.2
    observed = observed.subset(keep)
    fitted = load_model("twfe").fit(observed)
    lsdv = sm.OLS.from_formula("y ~ d + x + C(unit) + C(time)", observed.frame).fit()
    np.testing.assert_allclose(fitted.mean(_inputs(observed)), lsdv.fittedvalues, atol=1e-8)
    assert _coef(fitted, "tau").estimate == pytest.approx(lsdv.params["d"], abs=1e-8)


# --------------------------------------------------------------------------- twfe, forecast framing


def _forecast(fitted, observed: Observed) -> tuple[np.ndarray, np.ndarray]:
    """The fitted mean on the held-out post-adoption rows (the forecast of Y(0)) and the mask."""
    test = observed.mask("test")
    return np.asarray(fitted.mean(_inputs(observed)[test]), float), test


def test_twfe_forecasts_y0_exactly_on_the_noise_free_panel_from_the_untreated_rows():
    """No noise, staggered adoption, growing effects: unit effects come from each unit's own
    pre-adoption rows, period effects from the units not (yet) treated, so Y(0) and the
    imputed ATT are exact; the model never saw a treated row."""
    gen = load_generator(
        "did_panel", noise_sd=0.0, n_units=30, n_periods=20, framing="pre_period", staggered=True, tau_growth=0.1
    )
    observed, truth = gen.sample(1)
    fitted = load_model("twfe").fit(observed)
    forecast, test = _forecast(fitted, observed)
    assert test.sum() > 20
    np.testing.assert_allclose(forecast, truth.mu0[test], atol=1e-8)
    att = np.mean(truth.y1[test] - forecast)
    assert att == pytest.approx(np.mean(truth.mu1[test] - truth.mu0[test]), abs=1e-8)
    assert list(fitted.coefficients()["name"]) == ["x"] and _coef(fitted, "x").estimate == pytest.approx(1.1)
    with pytest.raises(ValueError, match="treatment"):
        fitted.mu0(_inputs(observed))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_twfe_forecast_of_y0_and_imputed_att_on_a_noisy_panel(seed):
    """60 units x 30 periods, noise sd 1: a unit effect estimated from 15 pre-adoption rows
    (se 0.26) and a period effect from ~30 control units (se 0.18) make the forecast RMSE
    about sqrt(1/15 + 1/30) = 0.32; the imputed ATT errs by ~0.06. The pooled linear
    Gaussian, blind to the unit effects (sd 1), and a panel whose treated units trend apart
    (the forecast extrapolates a level, not their trend) both fail these tolerances."""
    params = dict(n_units=60, n_periods=30, framing="pre_period")
    observed, truth = load_generator("did_panel", **params).sample(seed)
    forecast, test = _forecast(load_model("twfe").fit(observed, seed), observed)
    rmse = np.sqrt(np.mean((forecast - truth.mu0[test]) ** 2))
    att_error = abs(np.mean(truth.y1[test] - forecast) - np.mean(truth.mu1[test] - truth.mu0[test]))
    assert 0.2 < rmse < 0.45 and att_error < 0.2
    pooled, _ = _forecast(load_model("linear_gaussian").fit(observed, seed), observed)
    assert np.sqrt(np.mean((pooled - truth.mu0[test]) ** 2)) > 0.7
    observed, truth = load_generator("did_panel", trend_gap=0.03, **params).sample(seed)
    forecast, test = _forecast(load_model("twfe").fit(observed, seed), observed)
    assert abs(np.mean(truth.y1[test] - forecast) - np.mean(truth.mu1[test] - truth.mu0[test])) > 0.3


def test_ols_runs_in_the_forecast_framing_and_recovers_x():
    observed, truth = load_generator("did_panel", n_units=60, n_periods=30, framing="pre_period").sample(0)
    fitted = load_model("ols").fit(observed)
    x = _coef(fitted, "x")
    assert x.lower <= truth.coefficients["x"] <= x.upper and x.se < 0.05
    ok, reason = load_model("diff_in_means").supports(observed.fit_view())
    assert not ok and "treatment" in reason


# --------------------------------------------------------------------------- mixedlm


def test_mixedlm_reproduces_the_radon_reference():
    observed, _ = load_generator("radon_mn").sample(0)
    fitted = load_model("mixedlm").fit(observed)
    assert _coef(fitted, "intercept").estimate == pytest.approx(1.462, abs=5e-4)
    assert _coef(fitted, "floor").estimate == pytest.approx(-0.693, abs=5e-4)
    components = fitted.variance_components()
    assert components["group_sd"] == pytest.approx(0.3282, abs=5e-4)
    assert components["residual_sd"] == pytest.approx(0.7556, abs=5e-4)
    effects = fitted.group_effects()
    assert len(effects) == observed.frame["county"].nunique()
    # the conditional mean of a home is its fixed part plus its county's BLUP
    row = _inputs(observed).iloc[[0]]
    expected = 1.462 - 0.693 * row["floor"].iloc[0] + effects[row["county"].iloc[0]]
    assert fitted.mean(row)[0] == pytest.approx(expected, abs=2e-3)


def test_mixedlm_unseen_group_has_zero_effect_and_marginal_sd():
    observed = _toy()
    fitted = load_model("mixedlm").fit(observed)
    new = pd.DataFrame({"x": [0.0], "t": [0], "g": [99]})
    intercept = _coef(fitted, "intercept").estimate
    assert fitted.mean(new)[0] == pytest.approx(intercept)
    c = fitted.variance_components()
    assert fitted.sd(new)[0] == pytest.approx(np.hypot(c["group_sd"], c["residual_sd"]))


def test_mixedlm_takes_string_group_labels():
    """Iris's species are strings: each row's mean is its group's BLUP added to the fixed part."""
    observed = _toy()
    observed = Observed(observed.frame.assign(g=observed.frame["g"].map("g{}".format)), observed.roles, observed.split)
    fitted = load_model("mixedlm").fit(observed)
    numeric = load_model("mixedlm").fit(_toy())
    X = _inputs(observed)
    np.testing.assert_allclose(fitted.mean(X), numeric.mean(_inputs(_toy())), rtol=1e-6)
    assert np.isfinite(fitted.sd(X)).all()


# --------------------------------------------------------------------------- naive baselines


def test_linear_gaussian_logpdf_is_the_normal_logpdf_at_its_mean_and_sd():
    observed = _toy()
    fitted = load_model("linear_gaussian").fit(observed)
    X = _inputs(observed)
    mean, sd = fitted.mean(X), fitted.sd(X)
    np.testing.assert_allclose(fitted.logpdf(X, observed.y), stats.norm.logpdf(observed.y, mean, sd))
    ols = sm.OLS(observed.y, sm.add_constant(observed.frame[["x", "t"]])).fit()
    np.testing.assert_allclose(mean, ols.fittedvalues)
    assert sd[0] == pytest.approx(np.sqrt(ols.scale))


def test_linear_gaussian_pools_completely_and_samples_whole_rows():
    observed = _toy()
    fitted = load_model("linear_gaussian").fit(observed)
    assert fitted.variance_components()["group_sd"] == 0.0
    effects = fitted.group_effects()
    assert sorted(effects.index) == sorted(observed.frame["g"].unique()) and (effects == 0).all()
    rows = fitted.sample_rows(500, np.random.default_rng(0))
    assert list(rows.columns) == observed.roles.columns()
    assert set(rows["t"]) <= {0, 1} and rows["g"].between(0, 7).all()


def test_linear_gaussian_without_treatment_or_group():
    frame = _toy().frame[["x", "y"]]
    observed = _observed(frame, outcome="y", covariates=("x",))
    model = load_model("linear_gaussian")
    assert model.supports(observed) == (True, "")
    fitted = model.fit(observed)
    with pytest.raises(ValueError, match="treatment"):
        fitted.mu0(_inputs(observed))
    assert fitted.group_effects().empty


def test_diff_in_means_on_a_hand_made_frame():
    frame = pd.DataFrame({"t": [0, 0, 0, 1, 1, 1], "y": [1.0, 2.0, 3.0, 5.0, 7.0, 9.0]})
    fitted = load_model("diff_in_means").fit(_observed(frame, outcome="y", treatment="t"))
    np.testing.assert_allclose(fitted.mu0(frame), 2.0)
    np.testing.assert_allclose(fitted.mu1(frame), 7.0)
    tau = _coef(fitted, "tau")
    se = np.sqrt(1 / 3 + 4 / 3)  # variances 1 and 4, three rows per arm
    df = (5 / 3) ** 2 / ((1 / 3) ** 2 / 2 + (4 / 3) ** 2 / 2)  # Welch-Satterthwaite: 50/17
    half = stats.t.ppf(0.975, df) * se
    assert (tau.estimate, tau.se) == pytest.approx((5.0, se))
    assert (tau.lower, tau.upper) == pytest.approx((5.0 - half, 5.0 + half))


def test_s_learner_effect_is_the_treatment_coefficient():
    observed = _toy()
    fitted = load_model("s_learner").fit(observed)
    X = _inputs(observed)
    slope = sm.OLS(observed.y, sm.add_constant(observed.frame[["x", "t"]])).fit().params["t"]
    np.testing.assert_allclose(fitted.mu1(X) - fitted.mu0(X), slope)


@pytest.mark.parametrize(
    "name, roles, needs",
    [
        ("twfe", dict(outcome="y", covariates=("x",), treatment="t"), "unit"),
        ("mixedlm", dict(outcome="y", covariates=("x",)), "group"),
        ("diff_in_means", dict(outcome="y", covariates=("x",)), "treatment"),
        ("s_learner", dict(outcome="y", covariates=("x",), group="g"), "treatment"),
    ],
)
def test_supports_names_the_missing_role(name, roles, needs):
    ok, reason = load_model(name).supports(_observed(_toy().frame, **roles))
    assert not ok and needs in reason


def test_supports_refuses_non_numeric_covariates():
    frame = _toy().frame.assign(x=lambda f: f["x"].astype(str))
    ok, reason = load_model("ols").supports(_observed(frame, outcome="y", covariates=("x",)))
    assert not ok and "'x'" in reason


# --------------------------------------------------------------------------- oracle


def test_oracle_offers_truth_and_its_potential_outcomes_are_the_truth_arrays():
    observed, truth = load_generator("did_panel", n_units=10, n_periods=6).sample(0)
    fitted, caps = oracle_fitted(observed, truth)
    assert caps.potential_outcomes and caps.coefficients and caps.conditional
    assert not caps.joint and not caps.variance_components
    rows = _inputs(observed).iloc[[5, 0, 17]]  # a slice keeps the RangeIndex labels
    np.testing.assert_array_equal(fitted.mu0(rows), truth.mu0[[5, 0, 17]])
    np.testing.assert_array_equal(fitted.mu1(rows), truth.mu1[[5, 0, 17]])
    table = fitted.coefficients().set_index("name")
    assert (table["se"] == 0).all() and (table["lower"] == table["estimate"]).all()
    assert fitted.sample(rows, 4, np.random.default_rng(0)).shape == (3, 4)
    with pytest.raises(ValueError, match="RangeIndex"):
        fitted.mu0(rows.set_index(pd.Index([10_000, 1, 2])))


# --------------------------------------------------------------------------- contract


def _data_for(name: str) -> Observed:
    if name == "twfe":
        return load_generator("did_panel", n_units=12, n_periods=8).sample(0)[0]
    return _toy()


def _outputs(fitted, capabilities, X: pd.DataFrame, y: np.ndarray) -> list:
    """Everything each declared capability returns, with samplers on a fixed rng."""
    out = []
    for cap in capabilities.names():
        assert isinstance(fitted, PROTOCOLS[cap]), cap
    if capabilities.conditional:
        out += [fitted.mean(X), fitted.sd(X), fitted.sample(X, 3, np.random.default_rng(1))]
    if capabilities.log_density:
        out.append(fitted.logpdf(X, y))
    if capabilities.joint:
        out.append(fitted.sample_rows(5, np.random.default_rng(1)).to_numpy(float))
    if capabilities.potential_outcomes:
        out += [fitted.mu0(X), fitted.mu1(X)]
    if capabilities.coefficients:
        out.append(fitted.coefficients()[["estimate", "se", "lower", "upper"]].to_numpy())
    if capabilities.variance_components:
        out += [np.array(list(fitted.variance_components().values())), fitted.group_effects().to_numpy()]
    return out


@pytest.mark.parametrize("name", REFERENCE_MODELS)
def test_declared_capabilities_work_and_same_seed_gives_same_result(name):
    model, observed = load_model(name), _data_for(name)
    X = _inputs(observed)
    first = _outputs(model.fit(observed, 7), model.capabilities, X, observed.y)
    second = _outputs(model.fit(observed, 7), model.capabilities, X, observed.y)
    assert first and all(np.isfinite(a).all() for a in first)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", REFERENCE_MODELS)
def test_fit_is_blind_to_test_rows(name):
    """Test rows cannot reach the fit: garbling their outcome and treatment changes nothing."""
    observed = _data_for(name)
    split = np.where(np.random.default_rng(3).random(len(observed.frame)) < 0.2, "test", "train")
    clean = Observed(observed.frame, observed.roles, split)
    garbled = observed.frame.copy()
    test = split == "test"
    garbled.loc[test, observed.roles.outcome] = 1e6
    if observed.roles.treatment is not None:
        garbled.loc[test, observed.roles.treatment] = 1 - garbled.loc[test, observed.roles.treatment]
    model = load_model(name)
    X = _inputs(observed)
    a = _outputs(model.fit(clean, 0), model.capabilities, X, observed.y)
    b = _outputs(model.fit(Observed(garbled, observed.roles, split), 0), model.capabilities, X, observed.y)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert type(load_model(name)).__module__ in (reference.__name__, baselines.__name__)
