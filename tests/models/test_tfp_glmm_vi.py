"""Random-intercept GLMM by VI (TFP): recovery of the radon reference and of radon_like's
truth for the three families, interval behaviour, determinism, predictive consistency.

Tolerances are ones a broken model fails: the source's run (residual sd fixed at 1) misses
the county sd by 10-15 % and the floor effect by 3 %; a surrogate that ignores the
correlation of the intercept with the group effects gives intervals a third as wide.
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
from dgpbench.models.base import Coefficients, ConditionalDistribution, VarianceComponents
from dgpbench.models.registry import load_model
from dgpbench.models.tfp._glmm_start import moment_start
from dgpbench.models.tfp.glmm_vi import GlmmVI, _design

pytestmark = pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning")

REF = {"intercept": 1.462, "floor": -0.693, "group_sd": 0.3282, "residual_sd": 0.7556}


@pytest.fixture(scope="module")
def radon():
    observed, truth = load_generator("radon_mn").sample(0)
    return observed, GlmmVI().fit(observed, seed=0)


@pytest.mark.slow
def test_radon_mn_matches_the_reml_reference(radon):
    _, fitted = radon
    coef = fitted.coefficients().set_index("name")["estimate"]
    vc = fitted.variance_components()
    assert coef["intercept"] == pytest.approx(REF["intercept"], rel=0.01)
    assert coef["floor"] == pytest.approx(REF["floor"], rel=0.01)
    assert vc["group_sd"] == pytest.approx(REF["group_sd"], rel=0.05)
    assert vc["residual_sd"] == pytest.approx(REF["residual_sd"], rel=0.01)


def test_radon_mn_group_effects_and_intervals(radon):
    observed, fitted = radon
    effects = fitted.group_effects()
    assert isinstance(effects, pd.Series) and len(effects) == 85
    assert list(effects.index) == sorted(observed.frame["county"].unique())
    assert abs(effects.mean()) < 0.05  # centred on zero: the intercept carries the level
    table = fitted.coefficients().set_index("name")
    # REML's standard errors are 0.053 (intercept) and 0.067 (floor): posterior sds must be
    # of that size, not the conditional sds a mean-field surrogate of the raw effects gives
    assert 0.04 < table.loc["intercept", "se"] < 0.07
    assert 0.05 < table.loc["floor", "se"] < 0.09
    narrow = fitted.coefficients(level=0.9).set_index("name")
    assert (narrow["upper"] - narrow["lower"] < table["upper"] - table["lower"]).all()


def test_start_is_close_to_reml_without_tensorflow():
    """The numpy moment start (mixed-model equations + EM = ML) lands near REML already."""
    observed, _ = load_generator("radon_mn").sample(0)
    X, y, g, labels = _design(observed)
    st = moment_start("normal", X, y, g, len(labels))
    assert st.beta == pytest.approx([REF["intercept"], REF["floor"]], rel=0.01)
    assert st.sds == pytest.approx([REF["group_sd"], REF["residual_sd"]], rel=0.03)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
def test_radon_like_glm_families_recover_fixed_effects(family):
    observed, truth = load_generator("radon_like", family=family).sample(2)
    fitted = GlmmVI(family=family, steps=500).fit(observed, seed=0)
    table = fitted.coefficients().set_index("name")
    for name, value in truth.coefficients.items():
        z = (table.loc[name, "estimate"] - value) / table.loc[name, "se"]
        assert abs(z) < 3, (name, z)
    assert "residual_sd" not in fitted.variance_components()
    assert fitted.variance_components()["group_sd"] == pytest.approx(0.328, abs=0.2)
    X = observed.frame.drop(columns=observed.roles.outcome)
    mean = fitted.mean(X)
    assert mean.mean() == pytest.approx(observed.y.mean(), rel=0.05)
    draws = fitted.sample(X, 2, np.random.default_rng(0))
    assert set(np.unique(draws)) <= ({0.0, 1.0} if family == "bernoulli" else set(range(10_000)))


def test_predictive_distribution_agrees_with_quadrature(radon):
    observed, fitted = radon
    X = pd.DataFrame({"county": [0, 50, 999], "floor": [0, 1, 0]})  # 999: an unseen county
    y = np.linspace(-5, 8, 2601)
    for i in range(len(X)):
        dens = np.exp(fitted.logpdf(X.iloc[[i] * len(y)], y))
        m = trapezoid(y * dens, y)
        assert trapezoid(dens, y) == pytest.approx(1.0, abs=1e-4)
        assert m == pytest.approx(fitted.mean(X)[i], abs=1e-4)
        assert np.sqrt(trapezoid((y - m) ** 2 * dens, y)) == pytest.approx(fitted.sd(X)[i], rel=1e-4)
    coef = fitted.coefficients().set_index("name")["estimate"]
    assert fitted.mean(X)[2] == pytest.approx(coef["intercept"], abs=0.03)  # new county: no effect
    assert fitted.sd(X)[2] > fitted.sd(X)[0]  # ... but its effect's spread counts


def test_same_seed_same_fit_and_pickle_roundtrip():
    observed, _ = load_generator("radon_like").sample(0)
    params = GlmmVI.smoke_params
    a = GlmmVI(**params).fit(observed, seed=5)
    b = GlmmVI(**params).fit(observed, seed=5)
    pd.testing.assert_frame_equal(a.coefficients(), b.coefficients())
    pd.testing.assert_series_equal(a.group_effects(), b.group_effects())
    assert a.variance_components() == b.variance_components()
    clone = pickle.loads(pickle.dumps(a))
    X = observed.frame.drop(columns=observed.roles.outcome)
    np.testing.assert_array_equal(clone.logpdf(X, observed.y), a.logpdf(X, observed.y))
    for proto in (Coefficients, VarianceComponents, ConditionalDistribution):
        assert isinstance(a, proto)


def test_supports_gives_reasons():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"g": rng.integers(0, 5, 50), "x": rng.normal(size=50), "y": rng.normal(size=50)})
    grouped = Observed(frame, Roles("y", ("x",), group="g"), np.full(50, "train"))
    assert load_model("glmm_vi").supports(grouped) == (True, "")
    ok, reason = GlmmVI().supports(Observed(frame, Roles("y", ("x",)), np.full(50, "train")))
    assert not ok and "group" in reason
    ok, reason = GlmmVI(family="bernoulli").supports(grouped)
    assert not ok and "0/1" in reason
    ok, reason = GlmmVI(family="poisson").supports(grouped)
    assert not ok and "integer" in reason
