"""The fitted random-intercept GLMM of :mod:`.glmm_vi`: posterior summaries and the
posterior predictive distribution, in numpy only (it pickles and predicts without
TensorFlow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, gammaln, logsumexp
from scipy.stats import norm

from dgpbench.generators.base import coefficient_table
from dgpbench.models.base import Fitted


class GlmmVIFitted(Fitted):
    """Posterior summaries and predictive distribution of a fitted GLMM (numpy only).

    Summaries are those of the fitted surrogate pushed to the model's coordinates: fixed
    effects (mean, sd; Normal, so the intervals are exact for the surrogate), posterior
    means of the group effects and of the two sds. ``mean``/``sd``/``logpdf``/``sample``
    are those of the posterior predictive of y given the row's group and covariates,
    averaged over ``draws`` surrogate draws of (beta, u, sds); a group unseen in fitting
    gets a fresh effect drawn from Normal(0, group_sd) (one draw per posterior draw, shared
    by all unseen groups: per-row summaries are exact, joint samples of two unseen groups
    are correlated).
    """

    def __init__(
        self, *, family, covariates, group, labels, coef_mean, coef_sd, group_mean, components, draws, level, info
    ):
        self.family = family
        self.covariates = list(covariates)
        self.group = group
        self.labels = pd.Index(labels)
        self.names = ["intercept", *self.covariates]
        self.coef_mean = np.asarray(coef_mean, float)
        self.coef_sd = np.asarray(coef_sd, float)
        self.group_mean = np.asarray(group_mean, float)
        self.components = {k: float(v) for k, v in components.items()}
        self.draws = {k: np.asarray(v, float) for k, v in draws.items()}
        self.level = float(level)
        self.info = dict(info)

    # -- coefficients and variance components
    def coefficients(self, level: float | None = None) -> pd.DataFrame:
        """Fixed effects with equal-tailed posterior intervals at ``level`` (default: the
        model's ``level`` parameter, 0.95)."""
        return coefficient_table(self.names, self.coef_mean, self.coef_sd, level=self.level if level is None else level)

    def variance_components(self) -> dict[str, float]:
        return dict(self.components)

    def group_effects(self) -> pd.Series:
        return pd.Series(self.group_mean, index=pd.Index(self.labels, name=self.group), name="group_effect")

    # -- predictive distribution
    def _eta(self, X: pd.DataFrame) -> np.ndarray:
        """Linear predictor per (row, draw), shape (len(X), draws)."""
        d = self.draws
        Z = np.column_stack([np.ones(len(X)), X[self.covariates].to_numpy(dtype=float)])
        eta = Z @ d["beta"].T
        pos = self.labels.get_indexer(X[self.group])
        seen = pos >= 0
        eta[seen] += d["u"][:, pos[seen]].T
        if (~seen).any():  # new groups: a fresh effect from the fitted group law
            eta[~seen] += (d["group_sd"] * d["new_group"])[None, :]
        return eta

    def _chunks(self, X: pd.DataFrame):
        """Row slices small enough that a (rows x draws) block stays around 16 MB."""
        step = max(1, 2_000_000 // len(self.draws["group_sd"]))
        for start in range(0, len(X), step):
            yield slice(start, start + step)

    def _moments(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        mean, sd = np.empty(len(X)), np.empty(len(X))
        for rows in self._chunks(X):
            eta = self._eta(X.iloc[rows])
            if self.family == "normal":
                m = eta.mean(axis=1)
                var = (self.draws["residual_sd"] ** 2).mean() + eta.var(axis=1)
            elif self.family == "bernoulli":
                m = expit(eta).mean(axis=1)
                var = m * (1 - m)
            else:
                lam = np.exp(eta)
                m = lam.mean(axis=1)
                var = m + lam.var(axis=1)
            mean[rows], sd[rows] = m, np.sqrt(var)
        return mean, sd

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self._moments(X)[0]

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return self._moments(X)[1]

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, float)
        out = np.empty(len(X))
        for rows in self._chunks(X):
            eta, yy = self._eta(X.iloc[rows]), y[rows, None]
            if self.family == "normal":
                lp = norm.logpdf(yy, eta, self.draws["residual_sd"][None, :])
            elif self.family == "bernoulli":
                lp = yy * eta - np.logaddexp(0.0, eta)
            else:
                lp = yy * eta - np.exp(eta) - gammaln(yy + 1)
            out[rows] = logsumexp(lp, axis=1) - np.log(eta.shape[1])
        return out

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        out = np.empty((len(X), n_samples))
        for rows in self._chunks(X):
            eta = self._eta(X.iloc[rows])
            n, s = eta.shape
            idx = rng.integers(0, s, size=(n, n_samples))
            e = np.take_along_axis(eta, idx, axis=1)
            if self.family == "normal":
                out[rows] = e + self.draws["residual_sd"][idx] * rng.standard_normal((n, n_samples))
            elif self.family == "bernoulli":
                out[rows] = rng.random((n, n_samples)) < expit(e)
            else:
                out[rows] = rng.poisson(np.exp(e))
        return out
