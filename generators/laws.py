"""Conditional laws of y given the observed covariates, as small picklable objects.

A ``Truth`` holds the bound methods of one law (``mean``, ``sd``, ``logpdf``,
``sample_y``), never lambdas: a cell's result crosses process (and Dask) boundaries, and a
bound method of a module-level class pickles with the few numbers it needs (coefficients,
one effect per unit or group), not with copies of the data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import special

_LOG_2PI = float(np.log(2.0 * np.pi))


def column(X: pd.DataFrame, name: str, dtype=float) -> np.ndarray:
    """One column of ``X`` as a numpy array (the laws' only way of reading the frame)."""
    return X[name].to_numpy(dtype=dtype)


class ConditionalLaw:
    """y | X. Subclasses implement ``mean``, ``sd``, ``logpdf`` and ``sample_y``."""

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sample_y(self, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """One draw of y per row of ``X``."""
        raise NotImplementedError

    def truth_fields(self) -> dict:
        """The keyword arguments of ``Truth`` this law fills."""
        return {"mean": self.mean, "sd": self.sd, "logpdf": self.logpdf, "sample_y": self.sample_y}


class NormalLaw(ConditionalLaw):
    """y | X ~ Normal(mean(X), sd(X)); subclasses give the two moments."""

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        return normal_logpdf(np.asarray(y, float), self.mean(X), self.sd(X))

    def sample_y(self, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        return self.mean(X) + self.sd(X) * rng.standard_normal(len(X))


def normal_logpdf(y: np.ndarray, mean: np.ndarray, sd: np.ndarray | float) -> np.ndarray:
    z = (y - mean) / sd
    return -0.5 * (_LOG_2PI + z * z) - np.log(sd)


class LinearPredictor:
    """eta = intercept + sum_k beta_k * x_k + group effect (one number per group code)."""

    def __init__(
        self,
        intercept: float,
        slopes: dict[str, float],
        group: str | None = None,
        group_effects: np.ndarray | None = None,
    ):
        self.intercept = float(intercept)
        self.slopes = dict(slopes)
        if (group is None) != (group_effects is None):
            raise ValueError("a group column and its effects come together")
        self.group = group
        self.group_effects = None if group_effects is None else np.asarray(group_effects, float)

    def __call__(self, X: pd.DataFrame) -> np.ndarray:
        eta = np.full(len(X), self.intercept)
        for name, beta in self.slopes.items():
            eta += beta * column(X, name)
        if self.group is not None and self.group_effects is not None:
            eta += self.group_effects[column(X, self.group, dtype=np.int64)]
        return eta


class GaussianGLMLaw(NormalLaw):
    """Identity link, constant residual sd."""

    def __init__(self, eta: LinearPredictor, residual_sd: float):
        self.eta = eta
        self.residual_sd = float(residual_sd)

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self.eta(X)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self.residual_sd)


class LinkLaw(ConditionalLaw):
    """y | X with mean ``inverse_link(eta(X))`` and sd ``sqrt(variance(mean))``: a GLM family."""

    def __init__(self, eta: LinearPredictor):
        self.eta = eta

    inverse_link: Callable[[np.ndarray], np.ndarray]  # a subclass sets both (staticmethods)
    variance: Callable[[np.ndarray], np.ndarray]

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self.inverse_link(self.eta(X))

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.sqrt(self.variance(self.mean(X)))


def _bernoulli_variance(p: np.ndarray) -> np.ndarray:
    return p * (1.0 - p)


def _identity(mean: np.ndarray) -> np.ndarray:
    return mean


class BernoulliLaw(LinkLaw):
    """y | X ~ Bernoulli(expit(eta)) (logit link)."""

    inverse_link = staticmethod(special.expit)
    variance = staticmethod(_bernoulli_variance)

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        # from the logit, stably: log p = -log(1 + e^-eta), log(1 - p) = -log(1 + e^eta)
        y, eta = np.asarray(y, float), self.eta(X)
        out = np.where(y == 1, -np.logaddexp(0.0, -eta), -np.logaddexp(0.0, eta))
        return np.where((y == 0) | (y == 1), out, -np.inf)

    def sample_y(self, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        return (rng.random(len(X)) < self.mean(X)).astype(np.int64)


class PoissonLaw(LinkLaw):
    """y | X ~ Poisson(exp(eta)) (log link): the variance is the mean."""

    inverse_link = staticmethod(np.exp)  # type: ignore[assignment]  # ufunc typing is wider than Callable
    variance = staticmethod(_identity)

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        y, mu = np.asarray(y, float), self.mean(X)
        out = special.xlogy(y, mu) - mu - special.gammaln(y + 1.0)
        return np.where((y >= 0) & (y == np.floor(y)), out, -np.inf)

    def sample_y(self, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        return rng.poisson(self.mean(X)).astype(np.int64)


def read_only(*arrays: np.ndarray) -> None:
    """Freeze truth arrays: they may be shared (y0 is mu0 when there is no noise)."""
    for a in arrays:
        a.flags.writeable = False
