"""nie_wager: setups A-D of Nie & Wager (2021) against the paper's formulas and their
closed-form moments; the overlap knob; and the linear S-learner's sqrt(PEHE) pinned."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy import special

from dgpbench.benchmarks.metrics.counterfactuals import sqrt_pehe
from dgpbench.generators.nie_wager import average_effect, propensity
from dgpbench.generators.registry import load_generator
from dgpbench.models.registry import load_model

SETUPS = ("A", "B", "C", "D")


def _pos(v):
    return np.maximum(v, 0.0)


# The paper's section 6, written out again here: (X law, b, e, tau) per setup, x[j] = X_{j+1}.
PAPER = {
    "A": (
        "uniform",
        lambda x: np.sin(np.pi * x[0] * x[1]) + 2 * (x[2] - 0.5) ** 2 + x[3] + 0.5 * x[4],
        lambda x: np.maximum(0.1, np.minimum(np.sin(np.pi * x[0] * x[1]), 0.9)),
        lambda x: (x[0] + x[1]) / 2,
    ),
    "B": (
        "normal",
        lambda x: np.maximum(np.maximum(0, x[0] + x[1]), x[2]) + _pos(x[3] + x[4]),
        lambda x: 0.5 + 0 * x[0],
        lambda x: x[0] + np.log1p(np.exp(x[1])),
    ),
    "C": (
        "normal",
        lambda x: 2 * np.log1p(np.exp(x[0] + x[1] + x[2])),
        lambda x: 1 / (1 + np.exp(x[1] + x[2])),
        lambda x: 1 + 0 * x[0],
    ),
    "D": (
        "normal",
        lambda x: (_pos(x[0] + x[1] + x[2]) + _pos(x[3] + x[4])) / 2,
        lambda x: 1 / (1 + np.exp(-x[0]) + np.exp(-x[1])),
        lambda x: _pos(x[0] + x[1] + x[2]) - _pos(x[3] + x[4]),
    ),
}


def _normal_mean(f, sd: float = 1.0) -> float:
    """E f(sd Z), Z ~ N(0, 1), by 80-point Gauss-Hermite quadrature."""
    z, w = hermegauss(80)
    return float(np.sum(w * f(sd * z)) / np.sqrt(2 * np.pi))


@pytest.mark.parametrize("setup", SETUPS)
def test_overlap_one_is_the_paper_draw_for_draw(setup):
    """The same seed, drawn in the paper's order (X, then W ~ Bernoulli(e), then eps), gives
    the generator's frame: the setups are the paper's, not approximations of it."""
    n, d, sigma = 400, 7, 2.0
    obs, truth = load_generator("nie_wager", setup=setup, n=300, n_test=100, d=d, sigma=sigma).sample(11)
    law, b, e, tau = PAPER[setup]
    rng = np.random.default_rng(11)
    X = rng.uniform(0, 1, (n, d)) if law == "uniform" else rng.standard_normal((n, d))
    x = X.T
    w = (rng.random(n) < e(x)).astype(int)
    y = b(x) + (w - 0.5) * tau(x) + sigma * rng.standard_normal(n)
    assert list(obs.frame.columns) == [f"x{j}" for j in range(1, d + 1)] + ["w", "y"]
    assert np.array_equal(obs.frame[[f"x{j}" for j in range(1, d + 1)]].to_numpy(), X)
    assert np.array_equal(obs.frame["w"].to_numpy(), w)
    assert np.allclose(obs.y, y, rtol=1e-12, atol=1e-12)
    assert np.allclose(truth.mu0, b(x) - tau(x) / 2) and np.allclose(truth.mu1, b(x) + tau(x) / 2)
    assert np.allclose(truth.y1 - truth.y0, tau(x))
    assert obs.roles.treatment == "w" and (obs.split == "test").sum() == 100


def test_average_effects_are_the_closed_forms():
    assert average_effect("A") == 0.5 and average_effect("C") == 1.0
    assert average_effect("B") == pytest.approx(_normal_mean(lambda z: np.logaddexp(0, z)), abs=1e-9)
    # E max(0, N(0, s^2)) = s / sqrt(2 pi)
    assert average_effect("D") == pytest.approx((np.sqrt(3) - np.sqrt(2)) / np.sqrt(2 * np.pi), abs=1e-12)


# E b(X) where it has a closed form: A E sin(pi U V) = Cin(pi) / pi, E 2 (U - 1/2)^2 = 1/6,
# E U + E U / 2 = 3/4; C 2 E log(1 + e^N(0, 3)); D (sqrt 3 + sqrt 2) / (2 sqrt(2 pi)).
_CIN_PI = np.euler_gamma + np.log(np.pi) - special.sici(np.pi)[1]
BASELINE_MEAN = {
    "A": _CIN_PI / np.pi + 1 / 6 + 3 / 4,
    "C": 2 * _normal_mean(lambda z: np.logaddexp(0, z), np.sqrt(3)),
    "D": (np.sqrt(3) + np.sqrt(2)) / (2 * np.sqrt(2 * np.pi)),
}


@pytest.mark.parametrize("setup", SETUPS)
def test_moments_of_a_large_draw(setup):
    n = 200_000
    obs, truth = load_generator("nie_wager", setup=setup, n=n, n_test=0).sample(1)
    tau, b = truth.mu1 - truth.mu0, (truth.mu1 + truth.mu0) / 2
    assert truth.coefficients == {"tau": average_effect(setup)}
    if setup == "C":
        assert np.allclose(tau, 1.0, rtol=0, atol=1e-12)
    else:
        assert abs(tau.mean() - average_effect(setup)) < 5 * tau.std() / np.sqrt(n)
    if setup in BASELINE_MEAN:
        assert abs(b.mean() - BASELINE_MEAN[setup]) < 5 * b.std() / np.sqrt(n)
    # the treatment share is the mean propensity, 1/2 exactly for B (a trial) and C (symmetry)
    w = obs.frame["w"].to_numpy()
    x = obs.frame[[f"x{j}" for j in range(1, 7)]].to_numpy().T
    share = 0.5 if setup in "BC" else PAPER[setup][2](x).mean()
    assert abs(w.mean() - share) < 5 * 0.5 / np.sqrt(n)
    if setup in "BC":  # W - 1/2 has mean 0 given X, so E y = E b
        resid = obs.y - b
        assert abs(resid.mean()) < 5 * resid.std() / np.sqrt(n)


def test_setup_a_propensity_is_trimmed_at_the_paper_bounds():
    obs, _ = load_generator("nie_wager", setup="A", n=20_000, n_test=0).sample(2)
    x = obs.frame[["x1", "x2"]].to_numpy()
    e = propensity("A", x)
    assert e.min() == 0.1 and e.max() == 0.9
    assert 0 < np.mean(e == 0.1) < 1 and 0 < np.mean(e == 0.9) < 1


@pytest.mark.parametrize("setup", ["A", "C", "D"])
def test_overlap_scales_the_propensity_logit(setup):
    X = np.random.default_rng(0).standard_normal((1_000, 6))
    X = np.abs(X) % 1 if setup == "A" else X
    paper = propensity(setup, X)
    for overlap in (0.25, 0.5, 2.0, 4.0):
        e = propensity(setup, X, overlap)
        assert np.allclose(special.logit(e), special.logit(paper) / overlap)
    lo, hi = propensity(setup, X, 0.5), propensity(setup, X, 2.0)
    assert np.all(np.abs(lo - 0.5) >= np.abs(paper - 0.5) - 1e-12)  # pushed toward 0 and 1
    assert np.all(np.abs(hi - 0.5) <= np.abs(paper - 0.5) + 1e-12)  # pulled toward 1/2
    if setup == "A":
        assert lo.min() == pytest.approx(special.expit(2 * special.logit(0.1)))  # 0.0122


def test_setup_b_stays_a_trial_at_any_overlap():
    X = np.random.default_rng(0).standard_normal((100, 6))
    assert np.all(propensity("B", X, 0.1) == 0.5)


def test_less_overlap_means_more_confounding():
    """Setup D treats rows with large x1 more often; the treated-minus-control gap in x1
    grows as overlap falls and vanishes as it grows (a randomised trial in the limit)."""

    def gap(overlap: float) -> float:
        f = load_generator("nie_wager", setup="D", n=40_000, n_test=0, overlap=overlap).sample(3)[0].frame
        t = f["w"] == 1
        return float(f.loc[t, "x1"].mean() - f.loc[~t, "x1"].mean())

    g = {o: gap(o) for o in (0.25, 1.0, 1000.0)}
    assert g[0.25] > g[1.0] + 0.1 and g[1.0] > 0.1
    assert abs(g[1000.0]) < 5 * np.sqrt(4 / 40_000)


# sqrt(PEHE) of the linear S-learner on the 500 test rows of a 500 + 500 draw, seed 0.
S_LEARNER_PEHE = {"A": 0.2175, "B": 1.1172, "C": 0.1188, "D": 1.4227}


@pytest.mark.parametrize("setup", SETUPS)
def test_s_learner_reproduces_a_linear_s_learner(setup):
    """``s_learner`` through the model API against least squares of y on [1, X, w] written
    here (its effect, the w coefficient, is constant): the same sqrt(PEHE) to 3 decimals,
    and the value itself pinned so that a change to either side shows."""
    obs, truth = load_generator("nie_wager", setup=setup, n=500, n_test=500).sample(0)
    test, train = obs.mask("test"), obs.mask("train")
    fitted = load_model("s_learner").fit(obs, 0)
    X = obs.frame.drop(columns="y").loc[test]
    via_model = sqrt_pehe(fitted.mu0(X), fitted.mu1(X), truth.mu0[test], truth.mu1[test])
    inputs = [c for c in obs.frame.columns if c != "y"]
    design = np.column_stack([np.ones(train.sum()), obs.frame.loc[train, inputs].to_numpy(float)])
    effect = np.linalg.lstsq(design, obs.y[train], rcond=None)[0][1 + inputs.index("w")]
    by_hand = float(np.sqrt(np.mean((effect - (truth.mu1 - truth.mu0)[test]) ** 2)))
    assert abs(via_model - by_hand) < 5e-4
    assert via_model == pytest.approx(S_LEARNER_PEHE[setup], abs=5e-4)
