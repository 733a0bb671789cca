"""The conformance checks can fail: each is run against a harness or model that breaks the
invariant it guards."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dgpbench.generators.base import Observed
from dgpbench.models import conformance
from dgpbench.models.registry import MODELS


@pytest.fixture
def case() -> conformance.Case:
    return conformance.make_case(MODELS.get("linear_gaussian"))  # ihdp: it has test rows


def test_truth_check_passes_on_the_real_fit(case):
    conformance.check_truth_not_visible_in_fit(case)


def test_truth_check_catches_test_rows_reaching_fit(case, monkeypatch):
    assert case.observed.mask("test").any()
    monkeypatch.setattr(Observed, "fit_view", lambda self: self)
    with pytest.raises(AssertionError, match="test row"):
        conformance.check_truth_not_visible_in_fit(case)


def test_truth_check_catches_a_counterfactual_column_under_any_name(case, monkeypatch):
    fit_view = Observed.fit_view
    mu1 = np.asarray(case.truth.mu1, float)

    def leaky(self: Observed) -> Observed:
        view = fit_view(self)
        if "extra" in view.frame.columns:  # the view asked for its own fit view
            return view
        frame = view.frame.assign(extra=mu1[self.mask("train", "valid")])
        return Observed(frame, view.roles, view.split)

    monkeypatch.setattr(Observed, "fit_view", leaky)
    with pytest.raises(AssertionError):
        conformance.check_truth_not_visible_in_fit(case)


def test_truth_check_catches_a_changed_seed(case, monkeypatch):
    model_cls = case.model_cls
    fit = model_cls.fit
    monkeypatch.setattr(model_cls, "fit", lambda self, observed, seed=0: fit(self, observed, seed + 1))
    with pytest.raises(AssertionError):
        conformance.check_truth_not_visible_in_fit(case)


class _Broken:
    """A fitted Normal model with one thing broken, as a plugin author might ship it."""

    def __init__(self, inner, breakage: str):
        self.inner, self.breakage = inner, breakage

    def mean(self, X):
        return self.inner.mean(X)

    def sd(self, X):
        return self.inner.sd(X) * (1.25 if self.breakage == "sd_x1.25" else 1.0)

    def sample(self, X, n_samples, rng):
        draws = self.inner.sample(X, n_samples, rng)
        return draws[np.random.default_rng(0).permutation(len(X))] if self.breakage == "permuted" else draws

    def logpdf(self, X, y):
        if self.breakage == "density_sd_x1.25":
            from scipy.stats import norm

            return norm.logpdf(y, self.inner.mean(X), 1.25 * self.inner.sd(X))
        return self.inner.logpdf(X, y)


def _with(case: conformance.Case, breakage: str) -> conformance.Case:
    return conformance.Case(
        case.model_cls, case.generator, case.observed, case.truth, case.params, _Broken(case.fitted, breakage)
    )


@pytest.mark.parametrize(
    "check", [conformance.check_samples_follow_own_moments, conformance.check_samples_follow_own_density]
)
def test_sample_checks_pass_a_coherent_model(case, check):
    check(_with(case, "none"))


@pytest.mark.parametrize("breakage", ["sd_x1.25", "permuted"])
def test_moment_check_catches_a_sampler_that_contradicts_mean_or_sd(case, breakage):
    with pytest.raises(AssertionError, match="samples disagree with mean"):
        conformance.check_samples_follow_own_moments(_with(case, breakage))


@pytest.mark.parametrize("breakage", ["density_sd_x1.25", "permuted"])
def test_density_check_catches_a_sampler_that_contradicts_logpdf(case, breakage):
    with pytest.raises(AssertionError, match="samples disagree with logpdf"):
        conformance.check_samples_follow_own_density(_with(case, breakage))


def test_density_check_reads_integer_outcomes_as_a_pmf():
    """Randomised PIT of Poisson draws under their own pmf is uniform; under a pmf with a
    mean 25 % off it is not."""
    from scipy import stats

    from dgpbench.models.sample_consistency import pit_discrete

    rng = np.random.default_rng(3)
    row = pd.DataFrame({"x": [0.0]})

    class Poisson:
        def __init__(self, rate):
            self.rate = rate

        def logpdf(self, X, y):
            return stats.poisson.logpmf(y, self.rate)

    draws = rng.poisson(4.0, 2000).astype(float)
    pit, mass = pit_discrete(Poisson(4.0), row, draws, rng)
    assert mass == pytest.approx(1.0, abs=1e-6) and stats.kstest(pit, "uniform").pvalue > 1e-3
    pit, _ = pit_discrete(Poisson(5.0), row, draws, rng)
    assert stats.kstest(pit, "uniform").pvalue < 1e-6
