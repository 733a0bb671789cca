"""The whole conditional distribution: likelihood, CRPS, spread, calibration, and two-sample
scores for joint samplers (a distance and a classifier test).

Sample-based scores use unbiased forms: the "fair" CRPS estimator (Ferro 2014; Zamo &
Naveau 2018) and the U-statistic energy distance (Szekely & Rizzo 2013), so the oracle's
expected score is the true one whatever the number of samples.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from dgpbench.benchmarks.metrics.base import Metric

if TYPE_CHECKING:
    from dgpbench.benchmarks.scoring.context import ScoringContext


def nll_excess(logpdf_model, logpdf_truth):
    """Mean held-out NLL minus the oracle's: a Monte Carlo estimate of KL(truth || model)."""
    return float(np.mean(-np.asarray(logpdf_model, float)) - np.mean(-np.asarray(logpdf_truth, float)))


def crps_fair(samples, y):
    """Mean over rows of the fair CRPS of an m-member sample (rows x m) for observations y.

    CRPS = E|X - y| - 1/2 E|X - X'|, with the pair term averaged over the m(m-1) distinct
    pairs, which makes it unbiased for the CRPS of the distribution the samples come from.
    Computed in O(m log m) per row via sorted samples.
    """
    s = np.sort(np.asarray(samples, float), axis=1)
    y = np.asarray(y, float)[:, None]
    m = s.shape[1]
    term1 = np.mean(np.abs(s - y), axis=1)
    i = np.arange(1, m + 1)
    # sum_{j,k} |x_j - x_k| = 2 * sum_i (2i - m - 1) x_(i)
    pair_sum = 2.0 * np.sum((2 * i - m - 1) * s, axis=1)
    term2 = pair_sum / (2.0 * m * (m - 1))
    return float(np.mean(term1 - term2))


def sd_rmse(sd_model, sd_truth):
    return float(np.sqrt(np.mean((np.asarray(sd_model, float) - np.asarray(sd_truth, float)) ** 2)))


def pit_values(samples, y, rng):
    """Randomised PIT from samples: (rank of y among the m samples + U) / (m + 1).

    Exactly Uniform(0, 1) when y and the samples come from the same distribution.
    """
    s = np.asarray(samples, float)
    y = np.asarray(y, float)[:, None]
    below = np.sum(s < y, axis=1)
    ties = np.sum(s == y, axis=1)
    u = rng.random(len(below))
    return (below + u * (ties + 1)) / (s.shape[1] + 1)


def pit_ks(pit):
    """Kolmogorov-Smirnov distance of PIT values from Uniform(0, 1): 0 when calibrated."""
    p = np.sort(np.asarray(pit, float))
    n = len(p)
    grid_hi = np.arange(1, n + 1) / n
    grid_lo = np.arange(0, n) / n
    return float(max(np.max(grid_hi - p), np.max(p - grid_lo)))


def interval_coverage(pit, level=0.9):
    """Share of observations inside the central ``level`` prediction interval."""
    p = np.asarray(pit, float)
    a = (1 - level) / 2
    return float(np.mean((p >= a) & (p <= 1 - a)))


def energy_distance(a, b):
    """Unbiased energy distance 2E|X-Y| - E|X-X'| - E|Y-Y'| between two samples (rows).

    Zero in expectation when both come from the same distribution (Szekely & Rizzo 2013).
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    if a.ndim == 1:
        a, b = a[:, None], b[:, None]

    def mean_dist(p, q, same):
        d = np.sqrt(np.maximum(np.sum(p**2, 1)[:, None] + np.sum(q**2, 1)[None, :] - 2 * p @ q.T, 0.0))
        if same:
            n = len(p)
            return d.sum() / (n * (n - 1))
        return d.mean()

    return float(2 * mean_dist(a, b, False) - mean_dist(a, a, True) - mean_dist(b, b, True))


def standardised_energy_distance(model_rows, truth_rows):
    """Energy distance after scaling every column by the truth rows' mean and sd.

    Columns in different units then weigh alike; a constant true column is only centred.
    """
    t = np.asarray(truth_rows, float)
    mu, sd = t.mean(0), t.std(0)
    sd[sd == 0] = 1.0
    return energy_distance((np.asarray(model_rows, float) - mu) / sd, (t - mu) / sd)


def c2st_accuracy(a, b, rng: np.random.Generator, folds: int = 5) -> float:
    """Classifier two-sample test (Lopez-Paz & Oquab 2017): the cross-validated accuracy of
    a classifier told which of two samples (rows) each row came from.

    About 1/2 when the samples come from one distribution (no classifier beats chance on
    rows it was not fitted to), 1 when they are told apart without error; under the null the
    accuracy is a share of 2m guesses with sd about 1/sqrt(8m). It sees what a moment or a
    margin misses: a normal fitted to clustered data matches every mean and covariance, and
    a nearest-neighbour vote still finds the regions where one sample is denser.

    Both samples are cut to the smaller size m, so that 1/2 is chance. The classifier is a
    k-nearest-neighbour vote (k an odd number near the square root of the fitting rows) on columns
    standardised by the pooled rows: no fitting, so deterministic given the folds, which are
    drawn from ``rng``. Identical rows share a fold: a row and its exact copy in the other
    sample (a model that replays rows, or real data scored against itself) are never split
    between fitting and testing, where the copy's opposite label would push the accuracy
    below chance; two identical samples score exactly 1/2.
    """
    m = min(len(a), len(b))
    rows = np.concatenate([np.asarray(a, float)[:m], np.asarray(b, float)[:m]])
    if rows.ndim == 1:
        rows = rows[:, None]
    sd = rows.std(0)
    z = (rows - rows.mean(0)) / np.where(sd > 0, sd, 1.0)
    label = np.repeat([0, 1], m)
    _, copy_of = np.unique(z, axis=0, return_inverse=True)
    copy_of = copy_of.ravel()
    fold = (rng.permutation(copy_of.max() + 1) % folds)[copy_of]
    sq = np.sum(z**2, axis=1)
    correct = 0
    for k_fold in range(folds):
        fit, held = np.flatnonzero(fold != k_fold), np.flatnonzero(fold == k_fold)
        if not len(held):
            continue
        k = min(len(fit), 2 * int(np.sqrt(len(fit)) / 2) + 1)
        dist = sq[held, None] + sq[None, fit] - 2 * z[held] @ z[fit].T
        nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
        vote = label[fit][nearest].mean(axis=1) > 0.5
        correct += int(np.sum(vote == (label[held] == 1)))
    return correct / (2 * m)


def _nll_excess(ctx: ScoringContext) -> float | None:
    """Densities and probability masses are not comparable: continuous outcomes only."""
    true_logpdf = ctx.truth.logpdf
    if ctx.data.outcome_is_discrete or true_logpdf is None:
        return None
    return nll_excess(ctx.fitted.logpdf(ctx.X_eval, ctx.y_eval), true_logpdf(ctx.X_eval, ctx.y_eval))


def _pit(ctx: ScoringContext) -> np.ndarray:
    """The same values for every metric of a context: the "pit" stream restarts on each call."""
    return pit_values(ctx.samples, ctx.y_eval, ctx.rng("pit"))


def _sd_rmse(ctx: ScoringContext) -> float | None:
    true_sd = ctx.truth.sd
    return None if true_sd is None else sd_rmse(ctx.fitted.sd(ctx.X_eval), true_sd(ctx.X_eval))


def _energy_distance(ctx: ScoringContext) -> float:
    model_rows, truth_rows = ctx.joint_rows
    return standardised_energy_distance(model_rows, truth_rows)


def _c2st_accuracy(ctx: ScoringContext) -> float:
    model_rows, truth_rows = ctx.joint_rows
    return c2st_accuracy(model_rows, truth_rows, ctx.rng("c2st"))


_distribution_metric = partial(Metric, face="distribution", direction="lower", naive="linear_gaussian")
# of a conditional distribution; compared with the evaluation outcomes alone unless a truth field is named
_conditional_metric = partial(_distribution_metric, requires=("conditional",), truth=())

METRICS = [
    _distribution_metric(
        name="nll_excess",
        requires=("log_density",),
        truth=("logpdf",),
        evaluate=_nll_excess,
        description="held-out NLL per row minus the oracle's (estimates KL, in nats); the density diagnostic",
        proper=True,
    ),
    _conditional_metric(
        name="crps",
        evaluate=lambda ctx: crps_fair(ctx.samples, ctx.y_eval),
        description="mean CRPS on held-out rows (fair estimator from samples); the distribution face's primary metric",
        citation="Gneiting & Raftery (2007); Ferro (2014)",
        primary=1,
        proper=True,
    ),
    _conditional_metric(
        name="sd_rmse",
        truth=("sd",),
        evaluate=_sd_rmse,
        description="RMSE of the predicted conditional sd against the true sd",
    ),
    _conditional_metric(
        name="coverage_error_90",
        evaluate=lambda ctx: abs(interval_coverage(_pit(ctx), 0.9) - 0.9),
        description="|coverage of the central 90 % prediction interval - 0.9| (its target is 0)",
        normalise=False,
        target=0.0,
    ),
    _conditional_metric(
        name="pit_ks",
        evaluate=lambda ctx: pit_ks(_pit(ctx)),
        description="KS distance of the PIT from uniform (calibration; its target is 0)",
        citation="Gneiting, Balabdaoui & Raftery (2007)",
        normalise=False,
        target=0.0,
    ),
    _distribution_metric(
        name="energy_distance",
        requires=("joint",),
        truth=("sample_rows",),
        evaluate=_energy_distance,
        description="energy distance of synthetic rows to fresh truth rows (standardised columns); "
        "the distribution face's primary metric for joint-only samplers",
        citation="Szekely & Rizzo (2013)",
        primary=2,
        proper=True,
    ),
    _distribution_metric(
        name="c2st_accuracy",
        direction="nominal",
        requires=("joint",),
        truth=("sample_rows",),
        evaluate=_c2st_accuracy,
        description="classifier two-sample test: cross-validated accuracy telling synthetic rows from "
        "as many truth (or held-out real) rows; 0.5 = indistinguishable, 1 = always told apart",
        citation="Lopez-Paz & Oquab (2017)",
        normalise=False,
        target=0.5,
    ),
]
