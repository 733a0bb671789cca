"""Counterfactual recovery: individual effects, average effects, and Y(0) of the treated.

In-sample rows are those the model was fitted on (train + valid); out-of-sample rows are
the held-out test rows, where a generator has them (Shalit et al. 2017, IHDP protocol).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from dgpbench.benchmarks.metrics.base import Metric

if TYPE_CHECKING:
    from dgpbench.benchmarks.scoring.context import ScoringContext


def sqrt_pehe(mu0_hat, mu1_hat, mu0, mu1):
    """sqrt(PEHE) = sqrt(mean(((mu1_hat - mu0_hat) - (mu1 - mu0))^2)) (Hill 2011)."""
    ite_hat = np.asarray(mu1_hat, float) - np.asarray(mu0_hat, float)
    ite = np.asarray(mu1, float) - np.asarray(mu0, float)
    return float(np.sqrt(np.mean((ite_hat - ite) ** 2)))


def ate_abs_error(mu0_hat, mu1_hat, mu0, mu1):
    """|mean(mu1_hat - mu0_hat) - mean(mu1 - mu0)|."""
    return float(abs(np.mean(np.asarray(mu1_hat) - np.asarray(mu0_hat)) - np.mean(np.asarray(mu1) - np.asarray(mu0))))


def rmse(estimate, truth):
    return float(np.sqrt(np.mean((np.asarray(estimate, float) - np.asarray(truth, float)) ** 2)))


def _on(ctx: ScoringContext, part: str, fn) -> float | None:
    po = ctx.potential_outcomes(part)
    return None if po is None else fn(*po)


def _treated(ctx: ScoringContext, fn) -> float | None:
    po = ctx.potential_outcomes("all", treated_only=True)
    return None if po is None else fn(*po)


_counterfactual_metric = partial(
    Metric,
    face="counterfactuals",
    direction="lower",
    requires=("potential_outcomes",),
    truth=("mu0", "mu1"),
    naive="diff_in_means",
)

METRICS = [
    _counterfactual_metric(
        name="sqrt_pehe_in",
        evaluate=lambda ctx: _on(ctx, "in", sqrt_pehe),
        description="sqrt(PEHE) on the rows the model was fitted on",
        citation="Hill (2011)",
        primary=2,  # where the data have no held-out rows
        proper=True,
    ),
    _counterfactual_metric(
        name="sqrt_pehe_out",
        evaluate=lambda ctx: _on(ctx, "out", sqrt_pehe),
        description="sqrt(PEHE) on held-out test rows; the counterfactual face's primary metric",
        citation="Hill (2011)",
        primary=1,
        proper=True,
    ),
    _counterfactual_metric(
        name="ate_abs_error_in",
        evaluate=lambda ctx: _on(ctx, "in", ate_abs_error),
        description="|ATE error| in sample",
    ),
    _counterfactual_metric(
        name="ate_abs_error_out",
        evaluate=lambda ctx: _on(ctx, "out", ate_abs_error),
        description="|ATE error| on held-out rows",
    ),
    _counterfactual_metric(
        name="att_abs_error",
        evaluate=lambda ctx: _treated(ctx, ate_abs_error),
        description="|ATT error|: average effect on the rows treated in the data",
    ),
    _counterfactual_metric(
        name="y0_rmse_treated",
        evaluate=lambda ctx: _treated(ctx, lambda m0h, m1h, m0, m1: rmse(m0h, m0)),
        description="RMSE of the predicted Y(0) (noise-free) on treated rows, "
        "e.g. the panel's treated post-adoption rows",
    ),
]
