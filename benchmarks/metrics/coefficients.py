"""Coefficient recovery: error, coverage and width of intervals, efficiency.

All per coefficient, keyed by the coefficient's name; the leaderboard's mean over seeds of
``coef_error`` is the bias, of ``coef_abs_error`` the mean absolute error, of
``coef_covers`` the interval coverage rate.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from dgpbench.benchmarks.metrics.base import Metric

if TYPE_CHECKING:
    from dgpbench.benchmarks.scoring.context import ScoringContext


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


def _per_name(ctx: ScoringContext, fn, *cols: str) -> dict[str, float] | None:
    table = ctx.coefficients
    if table is None:
        return None
    return {name: float(fn(*(row[c] for c in cols), ctx.truth.coefficients[name])) for name, row in table.items()}


def _efficiency(ctx: ScoringContext) -> dict[str, float] | None:
    """Per coefficient both tables have, where the canonical analysis reports a positive se."""
    mine, reference = ctx.coefficients, ctx.data.canonical
    if mine is None or reference is None:
        return None
    return {
        name: float(efficiency(row["estimate"], ctx.truth.coefficients[name], reference[name]["se"]))
        for name, row in mine.items()
        if name in reference and reference[name].get("se", 0) > 0
    }


_coefficient_metric = partial(
    Metric,
    face="coefficients",
    requires=("coefficients", "joint"),
    truth=("coefficients",),
    naive="linear_gaussian",
)

METRICS = [
    _coefficient_metric(
        name="coef_error",
        direction="nominal",
        evaluate=lambda ctx: _per_name(ctx, error, "estimate"),
        description="estimate - truth per coefficient; its mean over seeds is the bias",
        normalise=False,
        target=0.0,
    ),
    _coefficient_metric(
        name="coef_abs_error",
        direction="lower",
        evaluate=lambda ctx: _per_name(ctx, abs_error, "estimate"),
        description="|estimate - truth| per coefficient",
    ),
    _coefficient_metric(
        name="coef_covers",
        direction="nominal",
        evaluate=lambda ctx: _per_name(ctx, covers, "lower", "upper"),
        description="1 if the 95 % interval covers the truth; its mean over seeds is the coverage rate",
        normalise=False,
        target=0.95,
    ),
    _coefficient_metric(
        name="coef_interval_width",
        direction="lower",
        evaluate=lambda ctx: _per_name(ctx, lambda lo, up, _truth: width(lo, up), "lower", "upper"),
        description="width of the 95 % interval (read it beside coverage)",
        normalise=False,
    ),
    _coefficient_metric(
        name="coef_efficiency",
        direction="lower",
        evaluate=_efficiency,
        description="|error| / standard error of the canonical analysis on the same data (~1 = as efficient); "
        "the coefficient face's primary metric (averaged over coefficients per seed)",
        primary=1,
    ),
]
