"""heteroscedastic and two_mode_mixture: the source's facts against closed forms."""

from __future__ import annotations

import numpy as np
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
