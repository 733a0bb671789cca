"""Metrics on cases whose values are known analytically, and against slow obvious routes."""

import numpy as np
import pytest
from scipy import stats

from dgpbench.benchmarks.metrics import METRICS, normalised_score
from dgpbench.benchmarks.metrics import coefficients as co
from dgpbench.benchmarks.metrics import counterfactuals as cf
from dgpbench.benchmarks.metrics import distribution as di


def test_oracle_nll_is_half_log_2_pi_e_sigma_squared():
    rng = np.random.default_rng(0)
    sigma = 0.7
    y = rng.normal(0, sigma, 200_000)
    nll = -np.mean(stats.norm.logpdf(y, 0, sigma))
    assert nll == pytest.approx(0.5 * np.log(2 * np.pi * np.e * sigma**2), abs=0.005)
    assert di.nll_excess(stats.norm.logpdf(y, 0, sigma), stats.norm.logpdf(y, 0, sigma)) == 0.0


def test_nll_excess_estimates_kl_between_normals():
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, 400_000)
    kl = np.log(2.0) + (1 + 0.5**2) / (2 * 4) - 0.5  # KL(N(0,1) || N(0.5, 2^2))
    assert di.nll_excess(stats.norm.logpdf(y, 0.5, 2), stats.norm.logpdf(y, 0, 1)) == pytest.approx(kl, abs=0.005)


def crps_slow(samples, y):
    """Obvious O(m^2) fair CRPS for one row."""
    m = len(samples)
    t1 = np.mean(np.abs(samples - y))
    t2 = np.sum(np.abs(samples[:, None] - samples[None, :])) / (2 * m * (m - 1))
    return t1 - t2


def test_fair_crps_matches_slow_reference():
    rng = np.random.default_rng(2)
    s = rng.normal(size=(30, 17))
    y = rng.normal(size=30)
    slow = np.mean([crps_slow(s[i], y[i]) for i in range(30)])
    assert di.crps_fair(s, y) == pytest.approx(slow, rel=1e-12)


def test_oracle_expected_crps_is_sigma_over_sqrt_pi():
    """E CRPS(N(mu, s), Y) with Y ~ N(mu, s) equals s / sqrt(pi) (Gneiting & Raftery 2007)."""
    rng = np.random.default_rng(3)
    sigma = 0.4
    n, m = 4000, 50
    samples = rng.normal(0, sigma, (n, m))
    y = rng.normal(0, sigma, n)
    assert di.crps_fair(samples, y) == pytest.approx(sigma / np.sqrt(np.pi), rel=0.03)


def test_fair_crps_agrees_with_closed_form_gaussian_crps():
    rng = np.random.default_rng(4)
    y = rng.normal(size=500)
    mu, s = 0.3, 1.5
    z = (y - mu) / s
    closed = np.mean(s * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi)))
    samples = rng.normal(mu, s, (500, 4000))
    assert di.crps_fair(samples, y) == pytest.approx(closed, rel=0.01)


def test_pit_from_same_distribution_is_uniform_and_covers_nominally():
    rng = np.random.default_rng(5)
    n = 20_000
    samples = rng.normal(size=(n, 40))
    y = rng.normal(size=n)
    pit = di.pit_values(samples, y, rng)
    assert di.pit_ks(pit) < 0.015
    assert di.interval_coverage(pit, 0.9) == pytest.approx(0.9, abs=0.01)
    # an overconfident model (sd halved) is visibly miscalibrated
    pit_bad = di.pit_values(samples * 0.5, y, rng)
    assert di.pit_ks(pit_bad) > 0.1
    assert di.interval_coverage(pit_bad, 0.9) < 0.65


def test_energy_distance_is_zero_in_expectation_and_grows_with_shift():
    rng = np.random.default_rng(6)
    same = [di.energy_distance(rng.normal(size=(300, 2)), rng.normal(size=(300, 2))) for _ in range(20)]
    assert abs(np.mean(same)) < 0.01
    # 1-D closed form for a pure location shift d between N(0,1) samples: 2E|Z+d| - 2E|Z| with Z~N(0,2)
    d = 1.0
    s = np.sqrt(2)
    e_abs = lambda mu: s * np.sqrt(2 / np.pi) * np.exp(-(mu**2) / (2 * s**2)) + mu * (1 - 2 * stats.norm.cdf(-mu / s))  # noqa: E731
    expected = 2 * e_abs(d) - 2 * e_abs(0)
    est = np.mean([di.energy_distance(rng.normal(size=2000), rng.normal(size=2000) + d) for _ in range(5)])
    assert est == pytest.approx(expected, rel=0.05)


def test_pehe_of_a_known_shift():
    mu0 = np.zeros(100)
    mu1 = np.linspace(0, 2, 100)
    assert cf.sqrt_pehe(mu0, mu1 + 0.3, mu0, mu1) == pytest.approx(0.3)
    assert cf.ate_abs_error(mu0, mu1 + 0.3, mu0, mu1) == pytest.approx(0.3)
    assert cf.sqrt_pehe(mu0, mu1, mu0, mu1) == 0


def test_exact_intervals_cover_at_nominal_rate():
    rng = np.random.default_rng(7)
    truth, se, n = 1.0, 0.2, 20_000
    est = rng.normal(truth, se, n)
    z = stats.norm.ppf(0.975)
    cover = co.covers(est - z * se, est + z * se, truth)
    assert cover.mean() == pytest.approx(0.95, abs=0.005)
    # efficiency of an estimator with the reference's own se: RMS of |error|/se = 1
    assert np.sqrt(np.mean(co.efficiency(est, truth, se) ** 2)) == pytest.approx(1.0, abs=0.02)


def test_normalised_score_endpoints_and_missing_cases():
    assert normalised_score(0.0, 0.0, 2.0) == (1.0, "")
    assert normalised_score(2.0, 0.0, 2.0) == (0.0, "")
    assert normalised_score(1.0, 0.0, 2.0)[0] == pytest.approx(0.5)
    score, why = normalised_score(1.0, 0.5, 0.5)
    assert score is None and why
    assert normalised_score(None, 0.0, 1.0)[0] is None


def test_every_metric_declares_face_direction_and_needs():
    for name in METRICS.names():
        m = METRICS.get(name)
        assert m.name == name and m.face and m.direction and m.requires and m.description
