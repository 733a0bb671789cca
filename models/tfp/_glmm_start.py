"""Where ``glmm_vi``'s surrogate starts: moment estimates of a random-intercept GLMM (numpy).

Henderson's mixed-model equations give the fixed and group effects for given variances;
EM updates of the variances alternate with them (inside penalised IRLS for Bernoulli and
Poisson). The result is the maximum-likelihood fit for the Normal family and a PQL-like
fit otherwise -- close enough that variational inference refines rather than travels --
and the covariance of the fixed effects and the regression of the group effects on them,
which set the coordinates the surrogate is factored in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit


@dataclass
class Start:
    """Moment estimates and the fixed linear maps of the surrogate's coordinates."""

    sds: np.ndarray  # group sd (, residual sd)
    sds_sd: np.ndarray  # their asymptotic sds
    beta: np.ndarray  # fixed effects
    cov_beta: np.ndarray  # their covariance, group effects integrated out
    u: np.ndarray  # group effects
    var_u: np.ndarray  # their variance given the fixed effects
    M: np.ndarray  # E[u | beta] = const + M beta   (groups x fixed effects)


def moment_start(
    family: str, X: np.ndarray, y: np.ndarray, g: np.ndarray, n_groups: int, iterations: int = 50
) -> Start:
    """Moment estimates for design ``X`` (intercept first), outcome ``y`` and group codes
    ``g`` in 0..n_groups-1. The mixed-model equations are solved by block elimination (the
    group block is diagonal): tens of milliseconds for the radon data."""
    n, p = X.shape
    eta = np.zeros(n)
    if family == "normal":
        w, z = np.ones(n), y
        phi = max(np.var(y - X @ np.linalg.lstsq(X, y, rcond=None)[0]), 1e-6)
        tau2 = 0.1 * phi
    else:
        phi, tau2 = 1.0, 0.1
        m = np.clip(y.mean(), 1e-3, 1 - 1e-3) if family == "bernoulli" else max(y.mean(), 1e-3)
        eta[:] = np.log(m / (1 - m)) if family == "bernoulli" else np.log(m)
    for _ in range(iterations):
        if family != "normal":
            eta = np.clip(eta, -30, 30)
            mu = expit(eta) if family == "bernoulli" else np.exp(eta)
            w = np.maximum(mu * (1 - mu) if family == "bernoulli" else mu, 1e-8)
            z = eta + (y - mu) / w
        wX = w[:, None] * X
        n_g = np.bincount(g, weights=w, minlength=n_groups)
        XtWZ = np.stack([np.bincount(g, weights=wX[:, j], minlength=n_groups) for j in range(p)])
        ZtWz = np.bincount(g, weights=w * z, minlength=n_groups)
        d = n_g + phi / tau2
        S = X.T @ wX - (XtWZ / d) @ XtWZ.T  # Schur complement: precision of beta * phi
        beta = np.linalg.solve(S, wX.T @ z - XtWZ @ (ZtWz / d))
        u = (ZtWz - XtWZ.T @ beta) / d
        var_u = phi / d
        tau2 = max(np.mean(u**2 + var_u), 1e-4)
        eta = X @ beta + u[g]
        if family == "normal":
            r = y - eta
            phi = max((r @ r + np.sum(n_g * var_u)) / n, 1e-8)
    # asymptotic sds of the two sds: var(tau^2) ~ 2 / sum_g (tau^2 + phi / n_g)^-2 and
    # var(sigma) ~ sigma^2 / (2 (n - groups))
    has = n_g > 0
    tau2_sd = np.sqrt(2.0 / np.sum((tau2 + phi / n_g[has]) ** -2.0))
    sds, sds_sd = [np.sqrt(tau2)], [tau2_sd / (2 * np.sqrt(tau2))]
    if family == "normal":
        sds.append(np.sqrt(phi))
        sds_sd.append(np.sqrt(phi / (2.0 * max(n - n_groups, 1))))
    cov_beta = phi * np.linalg.inv(S)
    return Start(np.array(sds), np.array(sds_sd), beta, (cov_beta + cov_beta.T) / 2, u, var_u, -(XtWZ / d).T)
