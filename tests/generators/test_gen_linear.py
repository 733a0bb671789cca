"""linear: y = 0.1 + 1.5 x + eps against its closed-form moments and its OLS recovery."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dgpbench.generators.registry import load_generator


def test_layout_split_and_truth():
    gen = load_generator("linear")
    obs, truth = gen.sample(0)
    assert list(obs.frame.columns) == ["x", "y"] and gen.size_param == "n"
    assert (obs.split == "train").sum() == 1_000 and (obs.split == "test").sum() == 1_000
    assert obs.split[:1_000].tolist() == ["train"] * 1_000
    assert truth.kind == "truth" and truth.coefficients == {"intercept": 0.1, "x": 1.5}


def test_joint_moments_are_the_closed_form():
    """x ~ N(0, 1), y = 0.1 + 1.5 x + eps: E y = 0.1, var y = 1.5^2 + 1 = 3.25, cov(x, y) = 1.5."""
    obs, _ = load_generator("linear", n=200_000, n_test=0).sample(1)
    x, y = obs.frame["x"].to_numpy(), obs.y
    n = len(x)
    assert abs(x.mean()) < 5 / np.sqrt(n) and x.var() == pytest.approx(1.0, abs=5 * np.sqrt(2 / n))
    assert abs(y.mean() - 0.1) < 5 * np.sqrt(3.25 / n)
    assert y.var() == pytest.approx(3.25, abs=5 * 3.25 * np.sqrt(2 / n))
    # var of the product x*y's mean: E[x^2 y^2] - 1.5^2 = 1.5^2 * 3 + 1 + 0.1^2 - 2.25 = 5.51
    assert np.cov(x, y)[0, 1] == pytest.approx(1.5, abs=5 * np.sqrt(5.51 / n))


def test_conditional_law_is_normal_around_the_line():
    obs, truth = load_generator("linear", n=500, n_test=0).sample(2)
    X, y = obs.frame[["x"]], obs.y
    line = 0.1 + 1.5 * X["x"].to_numpy()
    assert np.allclose(truth.mean(X), line) and np.allclose(truth.sd(X), 1.0)
    assert np.allclose(truth.logpdf(X, y), stats.norm.logpdf(y, line, 1.0))


@pytest.mark.parametrize("source", ["observed", "fresh rows"])
def test_ols_recovers_both_coefficients(source):
    """Both routes a model takes to the coefficients (its own table, or the canonical
    analysis of its synthetic rows) land within 4 se of 0.1 and 1.5, and at n = 20,000 that
    band is narrow enough (se ~ 0.007) to reject a slope or intercept off by 0.05."""
    gen = load_generator("linear", n=20_000, n_test=0)
    obs, truth = gen.sample(3)
    frame = obs.frame if source == "observed" else truth.sample_rows(20_000, np.random.default_rng(4))
    table = gen.canonical_analysis(frame, obs.roles).set_index("name")
    assert list(table.index) == ["intercept", "x"]
    for name, value in truth.coefficients.items():
        est, se = table.loc[name, "estimate"], table.loc[name, "se"]
        assert abs(est - value) < 4 * se and 4 * se < 0.05, name
        assert se == pytest.approx(1 / np.sqrt(20_000), rel=0.1)  # sd(eps) / (sqrt(n) sd(x)), both 1
