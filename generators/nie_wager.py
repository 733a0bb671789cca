"""Setups A-D of Nie & Wager (2021), "Quasi-oracle estimation of heterogeneous treatment
effects", Biometrika 108(2), section 6, written from the paper:

    Y = b(X) + (W - 1/2) tau(X) + sigma eps,   W | X ~ Bernoulli(e(X)),   eps ~ N(0, 1)

* A (difficult nuisance, easy effect): X ~ U[0, 1]^d, b = sin(pi x1 x2) + 2 (x3 - 1/2)^2
  + x4 + x5 / 2, e = trim_0.1(sin(pi x1 x2)), tau = (x1 + x2) / 2;
* B (randomised trial): X ~ N(0, I_d), b = max(0, x1 + x2, x3) + max(0, x4 + x5), e = 1/2,
  tau = x1 + log(1 + e^x2);
* C (easy propensity, difficult baseline): X ~ N(0, I_d), b = 2 log(1 + e^(x1 + x2 + x3)),
  e = 1 / (1 + e^(x2 + x3)), tau = 1;
* D (unrelated arms): X ~ N(0, I_d), b = (max(0, x1 + x2 + x3) + max(0, x4 + x5)) / 2,
  e = 1 / (1 + e^-x1 + e^-x2), tau = max(0, x1 + x2 + x3) - max(0, x4 + x5).

trim_eta(p) = max(eta, min(p, 1 - eta)). The paper ran n in {500, 1000}, d in {6, 12} and
sigma in {0.5, 1, 2, 4}. So mu0 = b - tau/2 and mu1 = b + tau/2: the true effects are
tau(X) itself, which is what sqrt(PEHE) is scored against.

``overlap`` is this benchmark's knob, not the paper's: the propensity's logit is divided by
it, e -> expit(logit(e) / overlap). 1 is the paper exactly (no transform is applied);
below 1 pushes propensities toward 0 and 1 (weaker overlap, stronger confounding), above 1
toward 1/2 (a randomised trial in the limit). Setup B is randomised, e = 1/2, and stays so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy import integrate, special, stats

from dgpbench.generators.analyses import ols_hc1
from dgpbench.generators.base import SPLITS, Generator, Observed, Roles, Truth
from dgpbench.generators.laws import NormalLaw, normal_logpdf, read_only
from dgpbench.params import param

SETUPS = ("A", "B", "C", "D")
TRIM = 0.1  # setup A's eta
TREATMENT = "w"


def covariate_names(d: int) -> tuple[str, ...]:
    return tuple(f"x{j}" for j in range(1, d + 1))


def _pos(v: np.ndarray) -> np.ndarray:
    return np.maximum(v, 0.0)


def baseline(setup: str, X: np.ndarray) -> np.ndarray:
    """b(X), the mean of the two potential outcomes."""
    x = X.T
    if setup == "A":
        return np.sin(np.pi * x[0] * x[1]) + 2 * (x[2] - 0.5) ** 2 + x[3] + 0.5 * x[4]
    if setup == "B":
        return np.maximum.reduce([np.zeros(len(X)), x[0] + x[1], x[2]]) + _pos(x[3] + x[4])
    if setup == "C":
        return 2 * np.logaddexp(0.0, x[0] + x[1] + x[2])
    return (_pos(x[0] + x[1] + x[2]) + _pos(x[3] + x[4])) / 2


def effect(setup: str, X: np.ndarray) -> np.ndarray:
    """tau(X) = mu1(X) - mu0(X)."""
    x = X.T
    if setup == "A":
        return (x[0] + x[1]) / 2
    if setup == "B":
        return x[0] + np.logaddexp(0.0, x[1])
    if setup == "C":
        return np.ones(len(X))
    return _pos(x[0] + x[1] + x[2]) - _pos(x[3] + x[4])


def paper_propensity(setup: str, X: np.ndarray) -> np.ndarray:
    """e(X) as in the paper (overlap = 1)."""
    x = X.T
    if setup == "A":
        return np.clip(np.sin(np.pi * x[0] * x[1]), TRIM, 1 - TRIM)
    if setup == "B":
        return np.full(len(X), 0.5)
    if setup == "C":
        return special.expit(-(x[1] + x[2]))
    return 1 / (1 + np.exp(-x[0]) + np.exp(-x[1]))


def propensity(setup: str, X: np.ndarray, overlap: float = 1.0) -> np.ndarray:
    """e(X) with the overlap knob applied to its logit (see the module docstring)."""
    e = paper_propensity(setup, X)
    return e if overlap == 1.0 else special.expit(special.logit(e) / overlap)


@cache
def average_effect(setup: str) -> float:
    """The population ATE E[tau(X)]: A (E x1 + E x2) / 2 = 1/2; B E[x1] + E[log(1 + e^Z)],
    Z ~ N(0, 1), by quadrature; C 1; D E max(0, N(0, 3)) - E max(0, N(0, 2)) = (sqrt 3 - sqrt 2) / sqrt(2 pi)."""
    if setup == "A":
        return 0.5
    if setup == "B":
        value, _ = integrate.quad(lambda z: np.logaddexp(0.0, z) * stats.norm.pdf(z), -np.inf, np.inf)
        return float(value)
    if setup == "C":
        return 1.0
    return (math.sqrt(3) - math.sqrt(2)) / math.sqrt(2 * math.pi)


class NieWagerLaw(NormalLaw):
    """y | X, w ~ Normal(b(X) + (w - 1/2) tau(X), sigma), and the joint law of (X, w, y)."""

    def __init__(self, setup: str, d: int, sigma: float, overlap: float):
        self.setup, self.d, self.sigma, self.overlap = setup, d, sigma, overlap
        self.covariates = covariate_names(d)

    def _x(self, X: pd.DataFrame) -> np.ndarray:
        return X[list(self.covariates)].to_numpy(float)

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        x, w = self._x(X), X[TREATMENT].to_numpy(float)
        return baseline(self.setup, x) + (w - 0.5) * effect(self.setup, x)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self.sigma)

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        return normal_logpdf(np.asarray(y, float), self.mean(X), self.sigma)

    def draw(self, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
        """``n`` rows (x1..xd, w, y) and each row's mu0, mu1 and noise sigma * eps, drawn in
        the paper's order: X, then W, then eps."""
        X = rng.uniform(0.0, 1.0, size=(n, self.d)) if self.setup == "A" else rng.standard_normal((n, self.d))
        w = (rng.random(n) < propensity(self.setup, X, self.overlap)).astype(np.int64)
        noise = self.sigma * rng.standard_normal(n)
        b, tau = baseline(self.setup, X), effect(self.setup, X)
        mu0, mu1 = b - tau / 2, b + tau / 2
        frame = pd.DataFrame(X, columns=list(self.covariates))
        frame[TREATMENT] = w
        frame["y"] = np.where(w == 1, mu1, mu0) + noise
        return frame, mu0, mu1, noise

    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        return self.draw(n, rng)[0]

    def truth_fields(self) -> dict:
        return {**super().truth_fields(), "sample_rows": self.sample_rows}


@dataclass(frozen=True)
class Params:
    setup: str = param(
        "A", "the paper's setup: A hard nuisance, B trial, C hard baseline, D unrelated arms", choices=SETUPS
    )
    n: int = param(1_000, "training rows (the paper: 500 and 1,000)", ge=10, le=100_000_000)
    n_test: int = param(1_000, "held-out test rows (sqrt_pehe_out is scored on them)", ge=0, le=100_000_000)
    d: int = param(6, "covariates x1..xd (the paper: 6 and 12; the setups use x1..x5)", ge=5, le=1_000)
    sigma: float = param(1.0, "noise sd (the paper: 0.5, 1, 2, 4)", gt=0.0)
    overlap: float = param(1.0, "propensity logit divided by this: 1 = the paper, < 1 less overlap", gt=0.0, le=1_000.0)


class NieWager(Generator):
    """Observed: ``x1``..``xd``, ``w`` (0/1), ``y``. Rows 0..n-1 are ``train``, the next
    ``n_test`` are ``test`` (rows are iid).

    Truth: mu0, mu1 (noise-free), y0, y1 (sharing each row's noise), the conditional law of
    y given (X, w), fresh rows, and ``tau``, the population ATE E[tau(X)].
    """

    name = "nie_wager"
    description = "Nie & Wager (2021) setups A-D: heterogeneous effects, with an overlap knob"
    version = "1"
    Params = Params
    size_param = "n"

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        p = self.params
        law = NieWagerLaw(p.setup, p.d, p.sigma, p.overlap)
        frame, mu0, mu1, noise = law.draw(p.n + p.n_test, rng)
        y0, y1 = mu0 + noise, mu1 + noise
        read_only(mu0, mu1, y0, y1)
        truth = Truth(
            coefficients={"tau": average_effect(p.setup)}, mu0=mu0, mu1=mu1, y0=y0, y1=y1, **law.truth_fields()
        )
        split = np.repeat(np.array([SPLITS[0], SPLITS[2]]), [p.n, p.n_test])
        roles = Roles(outcome="y", covariates=law.covariates, treatment=TREATMENT)
        return Observed(frame, roles, split), truth

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        """OLS of y on w and the covariates, HC1 se; the row of w is ``tau``. It targets the
        ATE where the effect is constant (setup C) and the part of the baseline the covariates
        leave out is uncorrelated with the propensity; elsewhere it is the standard analysis
        a researcher would run, not an unbiased one, which is what the benchmark measures."""
        treatment = roles.required("treatment")
        return ols_hc1(frame, roles.outcome, [treatment, *roles.covariates], {treatment: "tau"})
