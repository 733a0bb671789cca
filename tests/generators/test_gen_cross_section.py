"""heteroscedastic and two_mode_mixture: the source's facts against closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dgpbench.generators.registry import load_generator


def _bins(x: np.ndarray, k: int = 9):
    edges = np.linspace(0.1, 1.0, k + 1)
    return [(x >= lo) & (x < hi) for lo, hi in zip(edges[:-1], edges[1:])]


def test_heteroscedastic_layout_and_split():
    obs, truth = load_generator("heteroscedastic").sample(0)
    assert list(obs.frame.columns) == ["x", "y"]
    assert (obs.split == "train").sum() == 10_000 and (obs.split == "test").sum() == 2_000
    x = obs.frame["x"].to_numpy()
    assert x.min() >= 0.1 and x.max() < 1.0
    assert truth.coefficients == {"intercept": 0.0, "x": 1.0}


def test_heteroscedastic_sd_per_x_bin_is_x():
    obs, _ = load_generator("heteroscedastic", n=20_000, n_test=0).sample(1)
    x, y = obs.frame["x"].to_numpy(), obs.y
    for m in _bins(x):
        resid = y[m] - x[m]
        expected = np.sqrt(np.mean(x[m] ** 2))  # sd of x*z over the bin
        assert abs(resid.mean()) < 4 * expected / np.sqrt(m.sum())
        assert resid.std() == pytest.approx(expected, rel=0.06)


def test_heteroscedastic_oracle_nll_is_the_closed_form():
    """Mean -log p(y | x) of the truth equals 1/2 ln(2 pi e x^2) on average over x."""
    obs, truth = load_generator("heteroscedastic", n=20_000, n_test=0).sample(2)
    X, y = obs.frame[["x"]], obs.y
    nll = -truth.logpdf(X, y)
    closed = 0.5 * np.log(2 * np.pi * np.e * obs.frame["x"].to_numpy() ** 2)
    assert abs(nll.mean() - closed.mean()) < 4 * nll.std() / np.sqrt(len(nll))
    assert np.allclose(truth.logpdf(X, y), stats.norm.logpdf(y, X["x"], X["x"]))


def test_heteroscedastic_ols_slope_is_one():
    gen = load_generator("heteroscedastic")
    obs, _ = gen.sample(3)
    table = gen.canonical_analysis(obs.frame, obs.roles).set_index("name")
    assert abs(table.loc["x", "estimate"] - 1.0) < 4 * table.loc["x", "se"]
    assert abs(table.loc["intercept", "estimate"]) < 4 * table.loc["intercept", "se"]


def test_mixture_mode_weights_and_locations():
    """Half the rows sit on the narrow ridge y ~ N(x, 0.01); the rest on N(-x, x)."""
    obs, truth = load_generator("two_mode_mixture", n=20_000, n_test=0).sample(0)
    x, y = obs.frame["x"].to_numpy(), obs.y
    band = 0.04  # 4 sd of the narrow mode
    near = np.abs(y - x) < band
    # expected share in the band, counting the wide mode's few visitors exactly
    p_narrow = stats.norm.cdf(4) - stats.norm.cdf(-4)
    p_wide = stats.norm.cdf((2 * x + band) / x) - stats.norm.cdf((2 * x - band) / x)
    expected = 0.5 * p_narrow + 0.5 * p_wide.mean()
    assert abs(near.mean() - expected) < 4 * np.sqrt(expected * (1 - expected) / len(x))
    assert abs(expected - 0.5) < 0.02  # so the share is the weight 0.5
    # the narrow ridge: centred on x with sd 0.01
    assert abs((y[near] - x[near]).mean()) < 1e-3
    assert (y[near] - x[near]).std() == pytest.approx(0.01, rel=0.1)
    # the wide mode: centred on -x with sd x (its median is barely moved by the band)
    z = (y[~near] + x[~near]) / x[~near]
    assert abs(np.median(z)) < 0.05
    assert stats.iqr(z) / 1.349 == pytest.approx(1.0, rel=0.06)


def test_mixture_weight_parameter_moves_mass_and_slope():
    obs, truth = load_generator("two_mode_mixture", n=20_000, n_test=0, weight=0.8).sample(0)
    x, y = obs.frame["x"].to_numpy(), obs.y
    assert abs((np.abs(y - x) < 0.04).mean() - 0.8) < 0.03
    assert truth.coefficients["x"] == pytest.approx(0.6)


def test_mixture_mean_is_zero_and_sd_closed_form():
    obs, truth = load_generator("two_mode_mixture", n=20_000, n_test=0).sample(1)
    X = obs.frame[["x"]]
    x = X["x"].to_numpy()
    assert np.allclose(truth.mean(X), 0.0)
    assert np.allclose(truth.sd(X), np.sqrt(1.5 * x**2 + 0.5 * 0.01**2))
    dens = 0.5 * stats.norm.pdf(obs.y, x, 0.01) + 0.5 * stats.norm.pdf(obs.y, -x, x)
    assert np.allclose(truth.logpdf(X, obs.y), np.log(dens))


# --------------------------------------------------------------------------- difficulty knobs

E_X2 = (1.0 - 0.1**3) / (3 * 0.9)  # E[x^2] for x ~ U(0.1, 1) = 0.37


def _x_moment(k: float) -> float:
    return (1.0 - 0.1 ** (k + 1)) / ((k + 1) * 0.9)


@pytest.mark.parametrize("h", [0.0, 0.5, 2.5])
def test_heteroscedasticity_strength_sets_sd_c_x_to_the_h_at_fixed_average_variance(h):
    """sd(x) = c_h x^h with c_h^2 = E[x^2] / E[x^2h]: per-bin residual sd and the pooled
    residual variance E[x^2] = 0.37 checked on draws, the oracle NLL against its closed form."""
    obs, truth = load_generator("heteroscedastic", n=40_000, n_test=0, hetero=h).sample(4)
    x, y = obs.frame["x"].to_numpy(), obs.y
    c = np.sqrt(E_X2 / _x_moment(2 * h))
    resid = y - x
    for m in _bins(x):
        expected = c * np.sqrt(np.mean(x[m] ** (2 * h)))
        assert resid[m].std() == pytest.approx(expected, rel=0.06)
    # a fourth moment 3 E[sd^4] sets the standard error of the pooled variance
    se = np.sqrt((3 * c**4 * _x_moment(4 * h) - E_X2**2) / len(x))
    assert abs(np.mean(resid**2) - E_X2) < 4 * se
    assert np.allclose(truth.sd(obs.frame[["x"]]), c * x**h)
    # E[-log p] = 1/2 ln(2 pi e) + ln c + h E[ln x], E[ln x] = ((ln 1 - 1) - (0.1 ln 0.1 - 0.1)) / 0.9
    e_log_x = (-1.0 - (0.1 * np.log(0.1) - 0.1)) / 0.9
    nll = -truth.logpdf(obs.frame[["x"]], y)
    closed = 0.5 * np.log(2 * np.pi * np.e) + np.log(c) + h * e_log_x
    assert abs(nll.mean() - closed) < 4 * nll.std() / np.sqrt(len(nll))


def test_zero_heteroscedasticity_is_constant_sd_and_the_default_is_the_source():
    x = np.linspace(0.1, 0.99, 7)
    flat = load_generator("heteroscedastic", n=10, hetero=0.0).sample(0)[1]
    assert np.allclose(flat.sd(pd.DataFrame({"x": x})), np.sqrt(0.37))
    source = load_generator("heteroscedastic", n=10).sample(0)[1]
    assert np.array_equal(source.sd(pd.DataFrame({"x": x})), x)  # c_1 = 1 exactly, sd = x bit for bit


@pytest.mark.parametrize(("w", "s"), [(0.5, 0.0), (0.3, 2.5)])
def test_mode_separation_moves_both_modes_and_the_closed_form_moments(w, s):
    """Narrow ridge at +s x (sd 0.01), wide mode at -s x (sd x): mean (2w - 1) s x and
    variance w (0.01^2 + s^2 x^2) + (1 - w)(1 + s^2) x^2 - mean^2, checked per x bin."""
    obs, truth = load_generator("two_mode_mixture", n=40_000, n_test=0, weight=w, separation=s).sample(2)
    x, y = obs.frame["x"].to_numpy(), obs.y
    X = obs.frame[["x"]]
    mean = (2 * w - 1) * s * x
    var = w * (0.01**2 + (s * x) ** 2) + (1 - w) * (1 + s**2) * x**2 - mean**2
    assert np.allclose(truth.mean(X), mean) and np.allclose(truth.sd(X), np.sqrt(var))
    assert truth.coefficients["x"] == pytest.approx((2 * w - 1) * s)
    for m in _bins(x):
        assert abs(y[m].mean() - mean[m].mean()) < 5 * np.sqrt(var[m].mean() / m.sum())
        assert y[m].var() == pytest.approx(var[m].mean() + mean[m].var(), rel=0.1)
    dens = w * stats.norm.pdf(y, s * x, 0.01) + (1 - w) * stats.norm.pdf(y, -s * x, x)
    assert np.allclose(truth.logpdf(X, y), np.log(dens))
    # the ridge: a share w of the rows (plus the wide mode's visitors) within 4 sd of +s x
    near = np.abs(y - s * x) < 0.04
    p_wide = stats.norm.cdf((2 * s * x + 0.04) / x) - stats.norm.cdf((2 * s * x - 0.04) / x)
    expected = w * (stats.norm.cdf(4) - stats.norm.cdf(-4)) + (1 - w) * p_wide.mean()
    assert abs(near.mean() - expected) < 4 * np.sqrt(expected * (1 - expected) / len(x))


def test_cross_sections_name_n_as_their_size():
    for name in ("heteroscedastic", "two_mode_mixture"):
        gen = load_generator(name)
        assert gen.size_param == "n" and gen.params.n == 10_000
