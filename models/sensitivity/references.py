"""Correct models the broken variants are measured against, where no cheap one existed.

* ``scale_gaussian`` -- an ordinary model: y | x ~ Normal(linear mean, linear sd). It is
  correctly specified for ``heteroscedastic`` (sd = x) and fits in milliseconds, so the
  distribution-face variants have a correct fitted model to break without TensorFlow.
* ``two_mode_family`` -- a yardstick for the sensitivity suite only: the family of
  ``two_mode_mixture`` with its one free number, the mixture weight, fitted by EM. Its
  variant keeps one of the two modes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dgpbench.generators.base import Observed
from dgpbench.generators.laws import normal_logpdf
from dgpbench.generators.two_mode_mixture import NARROW_SD, TwoModeLaw
from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.linear import LinearFit, columns_of, floored, linear_problem
from dgpbench.models.outcomes import NormalOutcome
from dgpbench.models.sensitivity import SensitivityOnly

# E|e| = sd * sqrt(2 / pi) for a normal e: the factor from mean absolute residual to sd.
ABS_TO_SD = float(np.sqrt(np.pi / 2.0))


class ScaleGaussianFitted(Fitted, NormalOutcome):
    def __init__(self, location: LinearFit, scale: np.ndarray, floor: float):
        self._location, self._scale, self._floor = location, scale, floor

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self._location.predict(X)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        inputs = columns_of(X, self._location.columns)
        return np.maximum(self._scale[0] + inputs @ self._scale[1:], self._floor)


class ScaleGaussian(Model):
    """y | x ~ Normal(a + x @ b, c + x @ d): the mean by OLS, the sd by least squares of the
    absolute OLS residuals on the same inputs times sqrt(pi/2) (a normal's E|e| / sd), floored
    at 1 % of the residual sd so it stays positive outside the fitted range."""

    name = "scale_gaussian"
    description = "Gaussian with mean and sd both linear in the inputs (OLS of y, then of |residual|)"
    capabilities = Capabilities(conditional=True, log_density=True)

    def supports(self, observed: Observed) -> tuple[bool, str]:
        problem = linear_problem(observed)
        return not problem, problem

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        location = LinearFit.fit(observed)
        inputs = columns_of(observed.frame, location.columns)
        resid = np.abs(observed.y - location.predict(observed.frame))
        design = np.column_stack([np.ones(len(inputs)), inputs])
        scale, *_ = np.linalg.lstsq(design, resid * ABS_TO_SD, rcond=None)
        return ScaleGaussianFitted(location, scale, floored(0.01 * location.sigma, observed.y))


class TwoModeFitted(Fitted):
    """The two-mode law with the fitted weight: mean, sd, density and draws of the law itself."""

    def __init__(self, weight: float):
        self.weight = weight
        self._law = TwoModeLaw(weight)

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self._law.mean(X)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return self._law.sd(X)

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        return self._law.logpdf(X, y)

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        x = columns_of(X, ["x"])[:, 0]
        return np.column_stack([self._law.draw_y(x, rng) for _ in range(int(n_samples))])


def two_mode_weight(x: np.ndarray, y: np.ndarray, tol: float = 1e-10, max_iter: int = 500) -> float:
    """EM for the weight w of w Normal(x, 0.01) + (1 - w) Normal(-x, x), from w = 1/2."""
    narrow, wide = normal_logpdf(y, x, NARROW_SD), normal_logpdf(y, -x, x)
    w = 0.5
    for _ in range(max_iter):
        a, b = np.log(w) + narrow, np.log1p(-w) + wide
        new = float(np.mean(np.exp(a - np.logaddexp(a, b))))
        new = min(max(new, 1e-9), 1 - 1e-9)
        if abs(new - w) < tol:
            return new
        w = new
    return w


class TwoModeFamily(SensitivityOnly, Model):
    """The family of ``two_mode_mixture`` with its weight fitted by EM: correct by construction."""

    name = "two_mode_family"
    description = "the two_mode_mixture family (narrow mode at +x, wide at -x), weight fitted by EM"
    sensitivity_role = "yardstick: the correct family of two_mode_mixture, so a variant can drop one mode"
    capabilities = Capabilities(conditional=True, log_density=True)

    def supports(self, observed: Observed) -> tuple[bool, str]:
        roles = observed.roles
        if roles.covariates != ("x",) or roles.treatment is not None:
            return False, "needs exactly one covariate named 'x' and no treatment (two_mode_mixture's data)"
        problem = linear_problem(observed)
        if problem:
            return False, problem
        if (observed.fit_view().frame["x"] <= 0).any():
            return False, "needs x > 0 (the wide mode's sd is x)"
        return True, ""

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return TwoModeFitted(two_mode_weight(observed.frame["x"].to_numpy(float), observed.y))
