"""A worked model plugin: one least-squares line per treatment arm, Normal noise.

    y | x, t ~ Normal(a_t + b_t . x, s_t),  fitted separately on the treated and control rows

It offers a conditional distribution, its log-density and potential outcomes (mu0, mu1 for
any rows), so it is scored on the distribution and counterfactual faces. Load it with
``dgpbench run SUITE --plugin docs/examples/per_arm_line.py``; check it with
``dgpbench check --plugin docs/examples/per_arm_line.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from dgpbench.generators.base import Observed
from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.registry import MODELS
from dgpbench.params import param


@dataclass(frozen=True)
class Params:
    ridge: float = param(0.0, "L2 penalty on the slopes (0: ordinary least squares)", ge=0.0, le=1e6)


def _line(X: np.ndarray, y: np.ndarray, ridge: float) -> tuple[np.ndarray, float]:
    """Coefficients (intercept first) and residual sd of a ridge-penalised least-squares line."""
    design = np.column_stack([np.ones(len(X)), X])
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    beta = np.linalg.solve(design.T @ design + penalty, design.T @ y)
    resid = y - design @ beta
    return beta, float(np.sqrt(np.mean(resid**2)))


class PerArmFitted(Fitted):
    """The two fitted lines. Every method reads the covariate and treatment columns by name
    from the frame it is given: the harness passes slices of the observed frame (without the
    outcome) that keep the frame's index, and the conformance checks pass repeated rows."""

    def __init__(self, covariates: list[str], treatment: str, betas: dict[int, np.ndarray], sds: dict[int, float]):
        self.covariates, self.treatment, self.betas, self.sds = covariates, treatment, betas, sds

    def _arm_mean(self, X: pd.DataFrame, arm: int) -> np.ndarray:
        beta = self.betas[arm]
        return beta[0] + X[self.covariates].to_numpy(float) @ beta[1:]

    def _arm(self, X: pd.DataFrame) -> np.ndarray:
        return X[self.treatment].to_numpy(int)

    # conditional distribution of y given (x, t)
    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return np.where(self._arm(X) == 1, self._arm_mean(X, 1), self._arm_mean(X, 0))

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.where(self._arm(X) == 1, self.sds[1], self.sds[0])

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        return self.mean(X)[:, None] + self.sd(X)[:, None] * rng.standard_normal((len(X), n_samples))

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        return stats.norm.logpdf(np.asarray(y, float), self.mean(X), self.sd(X))

    # potential outcomes: the realised treatment column is ignored
    def mu0(self, X: pd.DataFrame) -> np.ndarray:
        return self._arm_mean(X, 0)

    def mu1(self, X: pd.DataFrame) -> np.ndarray:
        return self._arm_mean(X, 1)


class PerArmLine(Model):
    name = "per_arm_line"
    description = "one least-squares line per treatment arm with its own Normal noise (a T-learner)"
    version = "1"
    Params = Params
    capabilities = Capabilities(conditional=True, log_density=True, potential_outcomes=True)
    smoke_params = {"ridge": 0.0}  # already fast: fits in milliseconds

    def supports(self, observed: Observed) -> tuple[bool, str]:
        roles = observed.roles
        if roles.treatment is None:
            return False, "needs a treatment role"
        if not roles.covariates:
            return False, "needs at least one covariate"
        t = observed.frame[roles.treatment]
        for arm in (0, 1):
            if int((t == arm).sum()) <= len(roles.covariates) + 1:
                return False, f"too few rows with {roles.treatment} = {arm} to fit a line"
        return True, ""

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        # deterministic: least squares uses no randomness (a model that does draws from
        # np.random.default_rng(seed), the seed the harness gives it)
        roles = observed.roles
        covariates, treatment = list(roles.covariates), roles.required("treatment")
        X = observed.frame[covariates].to_numpy(float)
        t = observed.frame[treatment].to_numpy(int)
        fits = {arm: _line(X[t == arm], observed.y[t == arm], self.params.ridge) for arm in (0, 1)}
        return PerArmFitted(
            covariates, treatment, {a: f[0] for a, f in fits.items()}, {a: f[1] for a, f in fits.items()}
        )


MODELS.register("per_arm_line", PerArmLine)
