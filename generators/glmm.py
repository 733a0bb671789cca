"""Random-intercept logit and Poisson GLMMs by maximum likelihood (adaptive Gauss-Hermite).

The canonical analysis of the non-Normal ``radon_like`` families. The truth's coefficients
are conditional on the county effect, so the yardstick must be a GLMM: a GLM that ignores
the groups estimates population-averaged numbers (a logit slope attenuated, a Poisson
intercept shifted by group_sd^2 / 2). statsmodels' ``BinomialBayesMixedGLM`` /
``PoissonBayesMixedGLM`` were tried and rejected: 4-110 s per fit on 919 rows, a failed
Laplace fit on the logit data, and variational posterior sds about half the sampling sd.

This is what ``lme4::glmer(nAGQ=7)`` does: the county effect b_g is integrated out of each
group's likelihood by adaptive Gauss-Hermite quadrature (centred at the mode of b_g, scaled
by its curvature; all groups at once), and (beta, log group_sd) are fitted by statsmodels'
``GenericLikelihoodModel`` (BFGS), whose standard errors come from the numerical Hessian.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import sparse
from scipy.special import expit, gammaln, logsumexp
from statsmodels.base.model import GenericLikelihoodModel

from dgpbench.generators.base import coefficient_table

N_NODES = 7


class RandomInterceptGLMM(GenericLikelihoodModel):
    """y_i | b ~ family(link^-1(x_i beta + b_g(i))), b_g ~ N(0, sd^2); params (beta, log sd)."""

    def __init__(self, endog, exog, groups, family: str, **kwds):
        if family not in ("bernoulli", "poisson"):
            raise ValueError(f"family must be bernoulli or poisson, got {family!r}")
        super().__init__(endog, exog, extra_params_names=["log_group_sd"], **kwds)
        self.family = family
        self.codes, levels = pd.factorize(np.asarray(groups), sort=True)
        n = len(self.codes)
        self.indicator = sparse.csr_matrix((np.ones(n), (self.codes, np.arange(n))), shape=(len(levels), n))
        self.z, self.w = np.polynomial.hermite.hermgauss(N_NODES)
        # log(y!) of the Poisson likelihood; the Bernoulli likelihood has no constant
        self.const = -gammaln(self.endog + 1.0) if family == "poisson" else np.zeros(n)

    def _loglik_rows(self, eta: np.ndarray) -> np.ndarray:
        y = self.endog[:, None] if eta.ndim == 2 else self.endog
        if self.family == "poisson":
            return y * eta - np.exp(eta) + (self.const[:, None] if eta.ndim == 2 else self.const)
        return y * eta - np.logaddexp(0.0, eta)

    def _mode(self, eta: np.ndarray, var: float) -> tuple[np.ndarray, np.ndarray]:
        """Mode and curvature of log p(y_g | b) + log N(b; 0, var), every group at once (Newton)."""
        b = np.zeros(self.indicator.shape[0])
        for _ in range(100):
            lin = eta + b[self.codes]
            mu = np.exp(lin) if self.family == "poisson" else expit(lin)
            wt = mu if self.family == "poisson" else mu * (1.0 - mu)
            grad = self.indicator @ (self.endog - mu) - b / var
            curv = self.indicator @ wt + 1.0 / var
            step = np.clip(grad / curv, -1.0, 1.0)
            b += step
            if np.abs(step).max() < 1e-11:
                break
        lin = eta + b[self.codes]
        mu = np.exp(lin) if self.family == "poisson" else expit(lin)
        return b, self.indicator @ (mu if self.family == "poisson" else mu * (1.0 - mu)) + 1.0 / var

    def loglike(self, params: np.ndarray) -> float:
        beta, var = params[:-1], float(np.exp(2.0 * params[-1]))
        if not np.isfinite(var) or var <= 0:
            return -np.inf
        eta = self.exog @ beta
        mode, curv = self._mode(eta, var)
        scale = np.sqrt(2.0 / curv)
        nodes = mode[:, None] + scale[:, None] * self.z[None, :]  # groups x nodes
        rows = self._loglik_rows(eta[:, None] + nodes[self.codes])  # rows x nodes
        f = self.indicator @ rows - nodes**2 / (2.0 * var)
        per_group = np.log(scale) - 0.5 * np.log(2.0 * np.pi * var) + logsumexp(f + self.z**2 + np.log(self.w), axis=1)
        return float(per_group.sum())


def glmm_table(frame: pd.DataFrame, outcome: str, covariates: list[str], group: str, family: str) -> pd.DataFrame:
    """Fixed effects of the random-intercept GLMM named ``intercept`` and each covariate."""
    fit = fit_glmm(frame, outcome, covariates, group, family)
    k = 1 + len(covariates)
    return coefficient_table(["intercept", *covariates], fit.params[:k], fit.bse[:k])


def fit_glmm(frame: pd.DataFrame, outcome: str, covariates: list[str], group: str, family: str):
    """Maximum-likelihood fit; the last parameter is log(group_sd). Starts at the GLM that
    ignores the groups and group_sd 0.5."""
    X = sm.add_constant(frame[covariates].to_numpy(float), has_constant="add")
    y = frame[outcome].to_numpy(float)
    fam = sm.families.Binomial() if family == "bernoulli" else sm.families.Poisson()
    start = np.append(sm.GLM(y, X, family=fam).fit().params, np.log(0.5))
    model = RandomInterceptGLMM(y, X, frame[group].to_numpy(), family)
    return model.fit(start_params=start, method="bfgs", maxiter=500, disp=0)
