"""radon_like and radon_mn: real group sizes, REML recovery, the published reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import integrate
from scipy.special import gammaln

from dgpbench.generators.analyses import reml, reml_variance_components
from dgpbench.generators.glmm import RandomInterceptGLMM
from dgpbench.generators.registry import load_generator
from dgpbench.generators.shipped import data_file


def _real() -> pd.DataFrame:
    with data_file("radon_mn.csv").open() as fh:
        return pd.read_csv(fh)


def test_radon_mn_reml_reproduces_the_published_reference():
    gen = load_generator("radon_mn")
    obs, ref = gen.sample(0)
    assert ref.kind == "reference" and "REML" in ref.source
    fit = reml(obs.frame, "log_radon", ["floor"], "county")
    vc = reml_variance_components(fit)
    table = gen.canonical_analysis(obs.frame, obs.roles).set_index("name")["estimate"]
    got = {"intercept": table["intercept"], "floor": table["floor"], **vc}
    want = {**ref.coefficients, **ref.variance_components}
    assert want == {"intercept": 1.462, "floor": -0.693, "group_sd": 0.3282, "residual_sd": 0.7556}
    for name, value in want.items():
        assert round(got[name], 3) == round(value, 3), name


def test_radon_mn_is_the_real_data_for_every_seed():
    gen = load_generator("radon_mn")
    a, b = gen.sample(0)[0], gen.sample(123)[0]
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    pd.testing.assert_frame_equal(a.frame, _real(), check_exact=True)
    assert a.frame.shape == (919, 5) and a.frame["county"].nunique() == 85


def test_radon_like_uses_the_real_group_sizes_and_floor_share():
    real = _real()
    obs, truth = load_generator("radon_like").sample(0)
    f = obs.frame
    assert list(f.columns) == ["county", "floor", "log_radon"]
    assert np.array_equal(np.bincount(f["county"]), np.bincount(real["county"]))
    sizes = np.bincount(f["county"])
    assert len(sizes) == 85 and sizes.sum() == 919 and (sizes < 5).sum() == 39
    share = real["floor"].mean()
    assert share == pytest.approx(0.1665, abs=1e-3)
    assert abs(f["floor"].mean() - share) < 4 * np.sqrt(share * (1 - share) / 919)
    assert list(truth.group_effects.index) == list(range(85))


def test_radon_like_reml_recovers_the_variance_components():
    """Mean REML estimates over 5 seeds sit within 3 standard errors (from their spread)."""
    gen = load_generator("radon_like")
    est = []
    for seed in range(5):
        obs, truth = gen.sample(seed)
        fit = reml(obs.frame, "log_radon", ["floor"], "county")
        vc = reml_variance_components(fit)
        est.append([fit.fe_params[0], fit.fe_params[1], vc["group_sd"], vc["residual_sd"]])
    est = np.array(est)
    true = np.array([1.462, -0.693, 0.328, 0.756])
    se = est.std(axis=0, ddof=1) / np.sqrt(len(est))
    assert np.all(np.abs(est.mean(axis=0) - true) < 3 * se + 0.01), (est.mean(axis=0), se)


def test_radon_like_group_effects_are_the_draws_behind_the_data():
    obs, truth = load_generator("radon_like", group_sd=1.0, noise_sd=0.1).sample(1)
    f = obs.frame
    resid = f["log_radon"] - 1.462 + 0.693 * f["floor"]
    per_county = resid.groupby(f["county"]).mean()
    # with tiny noise the county mean residual is the county effect
    assert np.allclose(per_county, truth.group_effects, atol=0.5)
    assert np.corrcoef(per_county, truth.group_effects)[0, 1] > 0.95


@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
def test_radon_like_glm_families(family):
    gen = load_generator("radon_like", family=family)
    obs, truth = gen.sample(0)
    y = obs.frame["y"].to_numpy()
    assert obs.roles.outcome == "y" and "log_radon" not in obs.frame
    assert set(truth.variance_components) == {"group_sd"}
    if family == "bernoulli":
        assert set(np.unique(y)) <= {0, 1}
    else:
        assert (y >= 0).all()
    table = gen.canonical_analysis(obs.frame, obs.roles).set_index("name")
    for name, value in truth.coefficients.items():
        assert abs(table.loc[name, "estimate"] - value) < 4 * table.loc[name, "se"], name


@pytest.mark.parametrize("family", ["bernoulli", "poisson"])
def test_glmm_likelihood_matches_brute_force_quadrature(family):
    """Adaptive Gauss-Hermite against scipy's adaptive quadrature, group by group."""
    obs, _ = load_generator("radon_like", family=family).sample(3)
    f = obs.frame[obs.frame["county"] < 12]
    X = sm.add_constant(f[["floor"]].to_numpy(float))
    y = f["y"].to_numpy(float)
    model = RandomInterceptGLMM(y, X, f["county"].to_numpy(), family)
    beta, sd = np.array([1.4, -0.6]), 0.4
    total = 0.0
    for g in np.unique(f["county"]):
        m = (f["county"] == g).to_numpy()
        eta = X[m] @ beta

        def integrand(b, eta=eta, yy=y[m]):  # the textbook pmfs, written out
            lin = eta + b
            if family == "poisson":
                logp = yy * lin - np.exp(lin) - gammaln(yy + 1)
            else:
                p = 1 / (1 + np.exp(-lin))
                logp = yy * np.log(p) + (1 - yy) * np.log1p(-p)
            return np.exp(logp.sum() - b * b / (2 * sd * sd)) / np.sqrt(2 * np.pi * sd * sd)

        total += np.log(integrate.quad(integrand, -6 * sd - 3, 6 * sd + 3, epsabs=0, epsrel=1e-10, limit=200)[0])
    assert model.loglike(np.array([*beta, np.log(sd)])) == pytest.approx(total, abs=1e-4)
