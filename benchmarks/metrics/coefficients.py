"""Coefficient recovery: error, coverage and width of intervals, efficiency.

All per coefficient, keyed by the coefficient's name; the leaderboard's mean over seeds of
``coef_error`` is the bias, of ``coef_abs_error`` the mean absolute error, of
``coef_covers`` the interval coverage rate.
"""

from __future__ import annotations

import numpy as np

from dgpbench.benchmarks.metrics.base import Metric


def error(estimate, truth):
    """Signed error estimate - truth (its mean over seeds is the bias)."""
    return np.asarray(estimate, float) - np.asarray(truth, float)


def abs_error(estimate, truth):
    return np.abs(error(estimate, truth))


def covers(lower, upper, truth):
    """1 where the interval [lower, upper] contains the truth, else 0."""
    t = np.asarray(truth, float)
    return ((np.asarray(lower, float) <= t) & (t <= np.asarray(upper, float))).astype(float)


def width(lower, upper):
    return np.asarray(upper, float) - np.asarray(lower, float)


def efficiency(estimate, truth, reference_se):
    """|error| in units of the correctly specified reference estimator's standard error.

    The root mean square over seeds estimates RMSE(model) / RMSE(reference), the efficiency
    ratio: about 1 for a model as efficient as the canonical analysis, larger when worse.
    """
    se = np.asarray(reference_se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, abs_error(estimate, truth) / se, np.nan)


def _per_name(ctx, fn, *cols):
    table = ctx.coefficients()
    if table is None:
        return None
    return {name: float(fn(*(row[c] for c in cols), ctx.truth.coefficients[name])) for name, row in table.items()}


METRICS = [
    Metric(
        "coef_error",
        "coefficients",
        "nominal",
        ("coefficients", "joint"),
        ("coefficients",),
        lambda ctx: _per_name(ctx, error, "estimate"),
        "estimate - truth per coefficient; its mean over seeds is the bias",
        "linear_gaussian",
        normalise=False,
    ),
    Metric(
        "coef_abs_error",
        "coefficients",
        "lower",
        ("coefficients", "joint"),
        ("coefficients",),
        lambda ctx: _per_name(ctx, abs_error, "estimate"),
        "|estimate - truth| per coefficient",
        "linear_gaussian",
    ),
    Metric(
        "coef_covers",
        "coefficients",
        "nominal",
        ("coefficients", "joint"),
        ("coefficients",),
        lambda ctx: _per_name(ctx, covers, "lower", "upper"),
        "1 if the 95 % interval covers the truth; its mean over seeds is the coverage rate",
        "linear_gaussian",
        normalise=False,
    ),
    Metric(
        "coef_interval_width",
        "coefficients",
        "lower",
        ("coefficients", "joint"),
        ("coefficients",),
        lambda ctx: _per_name(ctx, lambda lo, up, _truth: width(lo, up), "lower", "upper"),
        "width of the 95 % interval (read it beside coverage)",
        "linear_gaussian",
        normalise=False,
    ),
    Metric(
        "coef_efficiency",
        "coefficients",
        "lower",
        ("coefficients", "joint"),
        ("coefficients",),
        lambda ctx: ctx.efficiency(efficiency),
        "|error| / standard error of the canonical analysis on the same data (~1 = as efficient)",
        "linear_gaussian",
        normalise=False,
    ),
]
