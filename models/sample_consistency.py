"""Do a model's samples follow its own mean, sd and density? Monte Carlo tests per row.

Every conditional model has samples, and the distribution face is scored from them (CRPS),
while the NLL reads ``logpdf`` and the calibration reads ``mean``/``sd``: a sampler that
contradicts its own moments or density would be scored on two different distributions.

* Moments: per row, ``N_DRAWS`` samples; the z-score of the sample mean against ``mean()``
  (standard error s / sqrt(k)) and of the sample sd against ``sd()`` (delta-method standard
  error sqrt((m4 - s^4) / k) / (2 s), with the sample's own fourth central moment m4, so
  heavy tails and mixtures widen it). Each must lie within a Bonferroni bound: the normal
  quantile of ``ALPHA / (2 * tests)``, so the whole check has false-alarm rate ``ALPHA``.
* Density (models with ``log_density``): per row, the CDF is integrated numerically from
  ``exp(logpdf)`` (trapezoids over the sorted samples and a uniform grid reaching half the
  samples' range past either end), its total mass must be 1 within ``MASS_TOL``, and the
  PIT values F(samples) must pass a Kolmogorov-Smirnov test of uniformity at ``ALPHA``
  over the rows (Bonferroni). Integer outcomes (Bernoulli, Poisson: support 0, 1, ...) use
  the pmf and the randomised PIT F(y - 1) + V (F(y) - F(y - 1)), uniform under the model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

N_DRAWS = 2000
N_ROWS = 60  # rows tested for moments
N_DENSITY_ROWS = 12  # rows tested for the density (each integrates a few thousand logpdfs)
ALPHA = 1e-3
MASS_TOL = 0.02


def bonferroni_z(tests: int, alpha: float = ALPHA) -> float:
    """The two-sided normal bound that keeps ``tests`` z-tests' family-wise rate at ``alpha``."""
    return float(stats.norm.isf(alpha / (2 * tests)))


def moment_z(samples: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z of the sample mean, z of the sample sd) per row of ``samples`` (rows x draws).

    A row whose samples are all equal has no sampling error: its z is 0 where the model's
    value matches to 1e-9 (relative) and infinite where it does not."""
    k = samples.shape[1]
    m = samples.mean(axis=1)
    s = samples.std(axis=1, ddof=1)
    m4 = ((samples - m[:, None]) ** 4).mean(axis=1)
    se_mean = s / np.sqrt(k)
    se_sd = np.sqrt(np.maximum(m4 - s**4, 0.0) / k) / (2.0 * np.where(s > 0, s, 1.0))
    return _z(m - mean, se_mean, mean), _z(s - sd, se_sd, sd)


def _z(diff: np.ndarray, se: np.ndarray, scale: np.ndarray) -> np.ndarray:
    exact = np.abs(diff) <= 1e-9 * (1.0 + np.abs(scale))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.where(exact, 0.0, np.inf))
    return np.abs(z)


def _rows(X: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` rows spread over ``X`` (all of them when it has fewer)."""
    idx = np.unique(np.linspace(0, len(X) - 1, min(n, len(X))).round().astype(int))
    return X.iloc[idx]


def moment_failures(fitted: Any, X: pd.DataFrame, rng: np.random.Generator) -> list[str]:
    """Rows whose samples disagree with ``mean()``/``sd()`` beyond the Bonferroni bound."""
    X = _rows(X, N_ROWS)
    samples = np.asarray(fitted.sample(X, N_DRAWS, rng), float)
    mean, sd = np.asarray(fitted.mean(X), float), np.asarray(fitted.sd(X), float)
    z_mean, z_sd = moment_z(samples, mean, sd)
    bound = bonferroni_z(2 * len(X))
    out = []
    for i in np.flatnonzero((z_mean > bound) | (z_sd > bound)):
        out.append(
            f"row {X.index[i]}: sample mean {samples[i].mean():.4g} vs mean() {mean[i]:.4g} (|z| {z_mean[i]:.1f}), "
            f"sample sd {samples[i].std(ddof=1):.4g} vs sd() {sd[i]:.4g} (|z| {z_sd[i]:.1f}); bound {bound:.2f}"
        )
    return out


def pit_continuous(fitted: Any, row: pd.DataFrame, draws: np.ndarray) -> tuple[np.ndarray, float]:
    """(PIT of ``draws`` under the row's density, the density's mass over the grid)."""
    lo, hi = draws.min(), draws.max()
    pad = 0.5 * (hi - lo) if hi > lo else 1.0
    grid = np.unique(np.concatenate([np.linspace(lo - pad, hi + pad, 4001), draws]))
    density = np.exp(np.asarray(fitted.logpdf(row.loc[row.index.repeat(len(grid))], grid), float))
    cdf = np.concatenate([[0.0], np.cumsum(np.diff(grid) * (density[1:] + density[:-1]) / 2.0)])
    mass = float(cdf[-1])
    return np.interp(draws, grid, cdf / mass if mass > 0 else cdf), mass


def pit_discrete(
    fitted: Any, row: pd.DataFrame, draws: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Randomised PIT of integer ``draws`` (support 0, 1, ...) and the pmf's mass up to
    ``max(draws)`` plus the mass the pmf puts in the next few values."""
    top = int(draws.max()) + 10
    support = np.arange(0, top + 1)
    pmf = np.exp(np.asarray(fitted.logpdf(row.loc[row.index.repeat(len(support))], support.astype(float)), float))
    cdf = np.cumsum(pmf)
    y = draws.astype(int)
    upper = cdf[y]
    lower = np.where(y > 0, cdf[np.maximum(y - 1, 0)], 0.0)
    return lower + rng.random(len(y)) * (upper - lower), float(cdf[-1])


def density_failures(fitted: Any, X: pd.DataFrame, discrete: bool, rng: np.random.Generator) -> list[str]:
    """Rows whose samples do not follow ``exp(logpdf)`` (KS of the PIT, Bonferroni over the
    rows) or whose density does not integrate to one."""
    X = _rows(X, N_DENSITY_ROWS)
    samples = np.asarray(fitted.sample(X, N_DRAWS, rng), float)
    out = []
    for i in range(len(X)):
        row = X.iloc[[i]]
        if discrete:
            pit, mass = pit_discrete(fitted, row, samples[i], rng)
        else:
            pit, mass = pit_continuous(fitted, row, samples[i])
        p = stats.kstest(pit, "uniform").pvalue
        if abs(mass - 1.0) > MASS_TOL or p < ALPHA / len(X):
            out.append(f"row {X.index[i]}: density mass {mass:.4f}, KS p-value of the samples' PIT {p:.2g}")
    return out
