"""A worked generator plugin: a confounded treatment with a constant effect.

    x ~ N(0, 1),  t ~ Bernoulli(1 / (1 + exp(-x))),  y = 0.5 + x + 1.0 t + N(0, 1)

Load it with ``dgpbench run SUITE --plugin docs/examples/confounded_line.py`` and check it
with ``dgpbench check --plugin docs/examples/confounded_line.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from dgpbench.generators.base import SPLITS, Generator, Observed, Roles, Truth, coefficient_table
from dgpbench.generators.registry import GENERATORS
from dgpbench.params import param

INTERCEPT, SLOPE, TAU, NOISE_SD = 0.5, 1.0, 1.0, 1.0


@dataclass(frozen=True)
class Params:
    n: int = param(2_000, "training rows", ge=10, le=10_000_000)
    n_test: int = param(500, "held-out test rows", ge=0, le=10_000_000)


class Law:
    """The conditional law of y given (x, t), and fresh joint rows.

    Its methods are the truth's callables: methods of a module-level class pickle (lambdas
    and closures do not), and they read columns by name, never rows by position.
    """

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return INTERCEPT + SLOPE * X["x"].to_numpy(float) + TAU * X["t"].to_numpy(float)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), NOISE_SD)

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        return stats.norm.logpdf(np.asarray(y, float), self.mean(X), NOISE_SD)

    def sample_y(self, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        return self.mean(X) + NOISE_SD * rng.standard_normal(len(X))

    def draw(self, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
        """``n`` rows (x, t, y) with each row's mu0, mu1 and noise: y = mu1 + noise where t = 1,
        mu0 + noise where t = 0, so y0 = mu0 + noise and y1 = mu1 + noise hold exactly."""
        x = rng.standard_normal(n)
        t = (rng.random(n) < 1.0 / (1.0 + np.exp(-x))).astype(int)
        noise = NOISE_SD * rng.standard_normal(n)
        mu0 = INTERCEPT + SLOPE * x
        mu1 = mu0 + TAU
        frame = pd.DataFrame({"x": x, "t": t, "y": np.where(t == 1, mu1, mu0) + noise})
        return frame, mu0, mu1, noise

    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` fresh rows with the frame's columns."""
        return self.draw(n, rng)[0]


class ConfoundedLine(Generator):
    """Rows 0..n-1 are ``train``, the next ``n_test`` rows ``test``."""

    name = "confounded_line"
    description = "y = 0.5 + x + 1.0 t + N(0, 1), t more likely where x is large: a confounded constant effect"
    version = "1"
    Params = Params
    size_param = "n"  # a suite's sweep over n gives recovery curves
    roles = Roles(outcome="y", covariates=("x",), treatment="t")

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        p, law = self.params, Law()
        # a fresh RangeIndex: row i of the frame is position i of every per-row truth array
        frame, mu0, mu1, noise = law.draw(p.n + p.n_test, rng)
        split = np.repeat(np.array([SPLITS[0], SPLITS[2]]), [p.n, p.n_test])
        truth = Truth(
            coefficients={"intercept": INTERCEPT, "x": SLOPE, "tau": TAU},
            mean=law.mean,
            sd=law.sd,
            logpdf=law.logpdf,
            sample_y=law.sample_y,
            sample_rows=law.sample_rows,
            mu0=mu0,  # noise-free potential outcomes, one per row of the frame
            mu1=mu1,
            y0=mu0 + noise,  # realised potential outcomes: y is y1 where t = 1, y0 where t = 0
            y1=mu1 + noise,
        )
        return Observed(frame, self.roles, split), truth  # the frame holds no truth column

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        """OLS of y on x and t with HC1 standard errors; rows named as the truth's coefficients."""
        X = sm.add_constant(frame[["x", roles.required("treatment")]].to_numpy(float), has_constant="add")
        fit = sm.OLS(frame[roles.outcome].to_numpy(float), X).fit(cov_type="HC1")
        return coefficient_table(["intercept", "x", "tau"], fit.params, fit.bse)


GENERATORS.register("confounded_line", ConfoundedLine)
