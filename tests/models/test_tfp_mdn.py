"""Mixture density network (TFP): recovery on the data it is made for, determinism, and the
numpy predictive distribution checked against quadrature.

Recovery fits use 5,000 training rows (half the suite's) to keep the file fast on two
cores; tolerances are ones a broken model fails: a constant spread (sd RMSE about 0.26
on heteroscedastic), a single Gaussian on two modes (about 1.5 nats above the oracle), a
mode in the wrong place.
"""

import importlib.util
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import trapezoid

# look the package up without importing it: the model imports TensorFlow itself, quietly
if importlib.util.find_spec("tensorflow_probability") is None:
    pytest.skip("tensorflow-probability is not installed", allow_module_level=True)

from dgpbench.generators.base import Observed, Roles
from dgpbench.generators.registry import load_generator
from dgpbench.models.base import ConditionalDistribution, LogDensity, PotentialOutcomes
from dgpbench.models.registry import load_model
from dgpbench.models.tfp.mdn import MDN

pytestmark = pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning")

GRID = pd.DataFrame({"x": np.linspace(0.1, 1.0, 46)})


def nll_excess(fitted, observed, truth) -> float:
    """Held-out NLL minus the oracle's (an estimate of the KL divergence)."""
    test = observed.mask("test")
    X = observed.frame.loc[test, ["x"]]
    y = observed.y[test]
    return float(np.mean(truth.logpdf(X, y) - fitted.logpdf(X, y)))


@pytest.fixture(scope="module")
def hetero():
    observed, truth = load_generator("heteroscedastic", n=5000, n_test=2000).sample(0)
    return observed, truth, MDN(components=1).fit(observed, seed=0)


@pytest.fixture(scope="module")
def two_mode():
    return load_generator("two_mode_mixture", n=5000, n_test=2000).sample(1)


@pytest.mark.slow
def test_heteroscedastic_sd_recovered(hetero):
    observed, truth, fitted = hetero
    rmse = np.sqrt(np.mean((fitted.sd(GRID) - truth.sd(GRID)) ** 2))
    assert rmse < 0.03
    assert np.sqrt(np.mean((fitted.mean(GRID) - truth.mean(GRID)) ** 2)) < 0.04
    assert nll_excess(fitted, observed, truth) < 0.01
    assert fitted.info["epochs"] < MDN.Params().epochs  # early stopping ended the fit


@pytest.mark.slow
def test_two_mode_needs_two_components(two_mode):
    observed, truth = two_mode
    k1 = MDN(components=1).fit(observed, seed=0)
    k2 = MDN(components=2).fit(observed, seed=0)
    assert nll_excess(k1, observed, truth) > 1.0  # one Gaussian smears over both modes
    assert nll_excess(k2, observed, truth) < 0.03
    w, loc, scale = k2.mixture(GRID)
    x = GRID["x"].to_numpy()
    narrow = np.argmin(scale, axis=1)  # the component with the small sd sits on +x
    rows = np.arange(len(x))
    assert np.abs(loc[rows, narrow] - x).max() < 0.02
    assert np.abs(loc[rows, 1 - narrow] + x).max() < 0.1
    assert np.abs(w[rows, narrow] - 0.5).max() < 0.1
    assert np.abs(scale[rows, narrow] - 0.01).max() < 0.01


def test_predictive_distribution_agrees_with_quadrature(hetero):
    """mean, sd and logpdf are three routes to one density; samples a fourth."""
    _, _, fitted = hetero
    X = pd.DataFrame({"x": [0.2, 0.9]})
    y = np.linspace(-6, 8, 14001)
    for i in range(len(X)):
        row = X.iloc[[i] * len(y)]
        dens = np.exp(fitted.logpdf(row, y))
        mass = trapezoid(dens, y)
        m = trapezoid(y * dens, y)
        sd = np.sqrt(trapezoid((y - m) ** 2 * dens, y))
        assert mass == pytest.approx(1.0, abs=1e-4)
        assert m == pytest.approx(fitted.mean(X)[i], abs=1e-4)
        assert sd == pytest.approx(fitted.sd(X)[i], rel=1e-4)
    draws = fitted.sample(X, 20000, np.random.default_rng(0))
    assert draws.shape == (2, 20000)
    np.testing.assert_allclose(draws.std(axis=1), fitted.sd(X), rtol=0.03)


def small_frame(n=400, seed=0, treatment=False):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, n)
    frame = pd.DataFrame({"x": x})
    y = x + 0.3 * rng.standard_normal(n)
    if treatment:
        frame["t"] = rng.integers(0, 2, n)
        y = y + 2.0 * frame["t"]
    frame["y"] = y
    roles = Roles("y", ("x",), treatment="t" if treatment else None)
    return Observed(frame, roles, np.full(n, "train"))


def test_same_seed_same_fit_and_pickle_roundtrip():
    observed = small_frame()
    X = observed.frame[["x"]]
    a = MDN(**MDN.smoke_params).fit(observed, seed=3)
    b = MDN(**MDN.smoke_params).fit(observed, seed=3)
    c = MDN(**MDN.smoke_params).fit(observed, seed=4)
    np.testing.assert_array_equal(a.mean(X), b.mean(X))
    np.testing.assert_array_equal(a.logpdf(X, observed.y), b.logpdf(X, observed.y))
    assert not np.array_equal(a.mean(X), c.mean(X))
    clone = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(clone.sd(X), a.sd(X))
    assert isinstance(a, ConditionalDistribution) and isinstance(a, LogDensity)


def test_potential_outcomes_set_the_treatment():
    observed = small_frame(n=1500, treatment=True)
    fitted = load_model("mdn", hidden=16, batch_size=0, lr=1e-2).fit(observed, seed=0)
    assert isinstance(fitted, PotentialOutcomes)
    X = observed.frame.drop(columns="y")
    effect = fitted.mu1(X) - fitted.mu0(X)
    assert effect.mean() == pytest.approx(2.0, abs=0.15)
    with pytest.raises(ValueError, match="treatment"):
        MDN(**MDN.smoke_params).fit(small_frame(), seed=0).mu0(X)


def test_valid_rows_are_used_for_early_stopping():
    observed = small_frame(n=500)
    split = np.where(np.arange(500) < 100, "valid", "train")
    labelled = Observed(observed.frame, observed.roles, split)
    a = MDN(**MDN.smoke_params).fit(labelled, seed=0)
    b = MDN(**MDN.smoke_params, valid_fraction=0.5).fit(labelled, seed=0)
    X = observed.frame[["x"]]
    np.testing.assert_array_equal(a.mean(X), b.mean(X))  # the fraction is unused


def test_supports_gives_reasons():
    observed = small_frame()
    assert MDN().supports(observed) == (True, "")
    frame = observed.frame.assign(x=["a"] * len(observed.frame))
    ok, reason = MDN().supports(Observed(frame, observed.roles, observed.split))
    assert not ok and "numeric" in reason
    ok, reason = MDN().supports(Observed(observed.frame, Roles("y"), observed.split))
    assert not ok and reason
