"""did_panel: the source's facts, the options, and the TWFE analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from dgpbench.generators.registry import load_generator


def _pooled_did(frame: pd.DataFrame, t0: int):
    f = frame.assign(post=(frame["time"] >= t0).astype(int))
    return smf.ols("y ~ x + treated + post + treated:post", f).fit()


def test_noise_free_pooled_ols_reproduces_the_source():
    """N = T = 100, tau = 0.5, no noise: cross-term 0.5 (se ~ 0.04), x 1.10."""
    gen = load_generator("did_panel", noise_sd=0.0)
    cross, se, slope = [], [], []
    for seed in range(5):
        fit = _pooled_did(gen.sample(seed)[0].frame, 50)
        cross.append(fit.params["treated:post"])
        se.append(fit.bse["treated:post"])
        slope.append(fit.params["x"])
    # unit effects and the common trend cancel in the DID contrast: only x's error remains
    assert np.allclose(cross, 0.5, atol=2e-3)
    assert all(0.03 < s < 0.05 for s in se) and round(float(np.mean(se)), 2) == 0.04
    assert all(abs(b - 1.1) < 0.04 for b in slope) and abs(np.mean(slope) - 1.1) < 0.016


def test_layout_treatment_and_adoption():
    obs, truth = load_generator("did_panel", n_units=40, n_periods=12).sample(1)
    f = obs.frame
    assert len(f) == 40 * 12
    assert np.array_equal(f["unit"], np.repeat(np.arange(40), 12))
    assert np.array_equal(f["time"], np.tile(np.arange(12), 40))
    # treated is constant per unit; d = treated * [t >= T0], T0 = T // 2 by default
    assert (f.groupby("unit")["treated"].nunique() == 1).all()
    assert np.array_equal(f["d"], f["treated"] * (f["time"] >= 6))
    assert 0 < f["treated"].mean() < 1
    assert truth.coefficients == {"tau": 0.5, "x": 1.1}
    assert np.allclose(truth.mu1 - truth.mu0, 0.5) and np.allclose(truth.y1 - truth.y0, 0.5)


def test_about_half_the_units_are_treated():
    obs, _ = load_generator("did_panel", n_units=2000, n_periods=2).sample(0)
    share = obs.frame.groupby("unit")["treated"].first().mean()
    assert abs(share - 0.5) < 4 * 0.5 / np.sqrt(2000)


def test_noise_free_outcome_is_the_mean_and_has_no_density():
    obs, truth = load_generator("did_panel", n_units=20, n_periods=10, noise_sd=0.0).sample(0)
    assert np.array_equal(truth.y0, truth.mu0) and np.array_equal(truth.y1, truth.mu1)
    assert truth.mean is None and truth.logpdf is None


def test_truth_mean_answers_counterfactual_queries():
    """The conditional mean reads d from the query: d=0 gives mu0, d=1 gives mu1."""
    obs, truth = load_generator(
        "did_panel", n_units=20, n_periods=10, staggered=True, tau_x=0.3, tau_growth=0.1, trend_gap=0.05
    ).sample(4)
    X = obs.frame.drop(columns="y")
    assert np.allclose(truth.mean(X.assign(d=0)), truth.mu0)
    assert np.allclose(truth.mean(X.assign(d=1)), truth.mu1)
    assert np.allclose(truth.sd(X), 1.0)


def test_staggered_adoption_is_absorbing_and_after_t0():
    obs, _ = load_generator("did_panel", n_units=200, n_periods=20, staggered=True, adoption_period=5).sample(2)
    f = obs.frame[obs.frame["treated"] == 1]
    first = f[f["d"] == 1].groupby("unit")["time"].min()
    assert first.min() >= 5 and first.nunique() > 5  # several cohorts
    # once treated, always treated
    assert (f.groupby("unit")["d"].apply(lambda s: np.all(np.diff(s.to_numpy()) >= 0))).all()


def test_heterogeneous_effect_att_is_the_mean_effect_of_treated_rows():
    obs, truth = load_generator("did_panel", n_units=50, n_periods=10, tau_x=1.0, tau_growth=0.2).sample(3)
    f = obs.frame
    d = f["d"].to_numpy() == 1
    effect = truth.mu1 - truth.mu0
    assert truth.coefficients["tau"] == pytest.approx(effect[d].mean())
    expected = 0.5 + 1.0 * f["x"] + 0.2 * np.maximum(f["time"] - 5, 0)
    assert np.allclose(effect, expected)


def test_twfe_recovers_tau_and_a_trend_gap_biases_it():
    gen = load_generator("did_panel")
    obs, truth = gen.sample(0)
    table = gen.canonical_analysis(obs.frame, obs.roles).set_index("name")
    for name in ("tau", "x"):
        assert abs(table.loc[name, "estimate"] - truth.coefficients[name]) < 4 * table.loc[name, "se"]
    # treated units trend up 0.02 per period: TWFE credits ~0.02 * 50 periods to tau
    gen = load_generator("did_panel", trend_gap=0.02)
    obs, truth = gen.sample(0)
    tau = gen.canonical_analysis(obs.frame, obs.roles).set_index("name").loc["tau", "estimate"]
    assert tau - truth.coefficients["tau"] > 0.3


@pytest.mark.parametrize("drop", [0.0, 0.3], ids=["balanced", "unbalanced"])
def test_twfe_equals_the_dummy_regression_with_clustered_se(drop):
    gen = load_generator("did_panel", n_units=12, n_periods=8, staggered=True, tau_x=0.4)
    obs, _ = gen.sample(6)
    frame = obs.frame.sample(frac=1 - drop, random_state=0) if drop else obs.frame
    ours = gen.canonical_analysis(frame, obs.roles).set_index("name")
    ref = smf.ols("y ~ d + x + C(unit) + C(time)", frame).fit(cov_type="cluster", cov_kwds={"groups": frame["unit"]})
    assert np.allclose(ours.loc[["tau", "x"], "estimate"], ref.params[["d", "x"]], rtol=1e-8)
    assert np.allclose(ours.loc[["tau", "x"], "se"], ref.bse[["d", "x"]], rtol=1e-6)


# --------------------------------------------------------------------------- pre_period framing


@pytest.mark.parametrize("options", [{}, {"staggered": True, "tau_growth": 0.1}], ids=["common", "staggered"])
def test_pre_period_framing_is_the_same_draw_fitted_on_the_untreated_rows(options):
    """Same units, periods, x and potential outcomes as the default framing; the rows with
    d = 1 become held-out test rows whose outcome is Y(0); no d column, no treatment role."""
    size = dict(n_units=30, n_periods=12, **options)
    every, every_truth = load_generator("did_panel", **size).sample(5)
    obs, truth = load_generator("did_panel", framing="pre_period", **size).sample(5)
    d = every.frame["d"].to_numpy() == 1
    assert "d" not in obs.frame.columns and obs.roles.treatment is None
    assert (obs.roles.unit, obs.roles.time, obs.roles.covariates) == ("unit", "time", ("x",))
    pd.testing.assert_frame_equal(obs.frame, every.frame.drop(columns="d").assign(y=every_truth.y0))
    assert np.array_equal(obs.split, np.where(d, "test", "train"))
    assert d.any() and (~d).any()
    for f in ("mu0", "mu1", "y0", "y1"):
        assert np.array_equal(getattr(truth, f), getattr(every_truth, f))
    # the fitted rows are observed as in the default framing; a test row's y is its Y(0)
    assert np.array_equal(obs.y[~d], every.y[~d]) and np.array_equal(obs.y[d], truth.y0[d])
    assert truth.coefficients == {"x": 1.1}
    X = obs.frame.drop(columns="y")
    assert np.allclose(truth.mean(X), truth.mu0) and np.allclose(truth.sd(X), 1.0)


def test_pre_period_canonical_analysis_is_twfe_without_treatment():
    """On the fit rows (an unbalanced panel): y ~ x + unit FE + time FE with unit-clustered se."""
    gen = load_generator("did_panel", n_units=16, n_periods=10, framing="pre_period", staggered=True)
    obs, truth = gen.sample(2)
    fit = obs.fit_view().frame
    ours = gen.canonical_analysis(fit, obs.roles).set_index("name")
    assert list(ours.index) == ["x"]
    ref = smf.ols("y ~ x + C(unit) + C(time)", fit).fit(cov_type="cluster", cov_kwds={"groups": fit["unit"]})
    assert ours.loc["x", "estimate"] == pytest.approx(ref.params["x"], rel=1e-8)
    assert ours.loc["x", "se"] == pytest.approx(ref.bse["x"], rel=1e-6)
    assert abs(ours.loc["x", "estimate"] - truth.coefficients["x"]) < 4 * ours.loc["x", "se"]


def test_size_param_names_the_unit_count():
    gen = load_generator("did_panel")
    assert gen.size_param == "n_units" and gen.params.n_units == 100
