"""Counterfactual recovery: individual effects, average effects, and Y(0) of the treated.

In-sample rows are those the model was fitted on (train + valid); out-of-sample rows are
the held-out test rows, where a generator has them (Shalit et al. 2017, IHDP protocol).

A forecast framing (``did_panel`` with ``framing: pre_period``) has no treatment role: the
model is fitted on the rows not yet treated, and its conditional mean of each held-out
post-adoption row is its forecast of Y(0) there. Those rows are scored by the forecast's
RMSE against the true mean Y(0), and by the ATT it imputes: mean(y1 - forecast) over them
(the imputation estimator of Borusyak, Jaravel & Spiess 2024).
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


def att_imputation_abs_error(y0_hat, y1, mu0, mu1):
    """|mean(y1 - y0_hat) - mean(mu1 - mu0)|: the imputed ATT's error on the treated rows.

    ``y1`` is the treated rows' realised outcome; with y0_hat = mu0 (the oracle) what is
    left is the mean noise of those rows, the floor no forecast can go below on average."""
    y1, mu0, mu1 = np.asarray(y1, float), np.asarray(mu0, float), np.asarray(mu1, float)
    return float(abs(np.mean(y1 - np.asarray(y0_hat, float)) - np.mean(mu1 - mu0)))


def _forecast(ctx: ScoringContext, fn) -> float | None:
    arrays = ctx.y0_forecast
    return None if arrays is None else fn(*arrays)


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
    _counterfactual_metric(
        name="y0_forecast_rmse",
        requires=("conditional",),
        truth=("mu0",),
        naive="linear_gaussian",
        evaluate=lambda ctx: _forecast(ctx, lambda y0_hat, m0, y1, m1: rmse(y0_hat, m0)),
        description="RMSE of the forecast Y(0) (the conditional mean) against the true mean Y(0) on "
        "held-out post-adoption rows; the counterfactual face's primary metric in a forecast framing",
        primary=3,  # where there is no treatment role, so no sqrt(PEHE)
        proper=True,
    ),
    _counterfactual_metric(
        name="att_forecast_abs_error",
        requires=("conditional",),
        truth=("mu0", "mu1", "y1"),
        naive="linear_gaussian",
        evaluate=lambda ctx: _forecast(ctx, att_imputation_abs_error),
        description="|ATT error| of the imputation estimate mean(y1 - forecast Y(0)) on held-out post-adoption rows",
        citation="Borusyak, Jaravel & Spiess (2024)",
    ),
]
