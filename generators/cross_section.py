"""One covariate x ~ U(0.1, 1.0) and y | x from a law: shared by ``heteroscedastic`` and
``two_mode_mixture``, which differ only in the law of y given x.

The generator draws its rows with the very function the truth offers as ``sample_rows``,
so "fresh rows from the truth" and "the observed rows" cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.generators.analyses import ols_hc1
from dgpbench.generators.base import SPLITS, Generator, Observed, Roles, Truth
from dgpbench.generators.laws import ConditionalLaw
from dgpbench.params import param

X_LOW, X_HIGH = 0.1, 1.0


@dataclass(frozen=True)
class CrossSectionParams:
    n: int = param(10_000, "training rows (the source used 10,000)", ge=2, le=100_000_000)
    n_test: int = param(2_000, "held-out test rows", ge=0, le=100_000_000)


class XLaw(ConditionalLaw):
    """A law of y given x with x ~ U(0.1, 1.0); subclasses draw y from x alone and give
    ``slope``, the conditional mean's E[y | x] = slope * x (no intercept in either law)."""

    slope: float

    def draw_y(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def sample_y(self, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        return self.draw_y(X["x"].to_numpy(float), rng)

    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` fresh (x, y) rows of the joint law."""
        x = rng.uniform(X_LOW, X_HIGH, size=n)
        return pd.DataFrame({"x": x, "y": self.draw_y(x, rng)}, copy=False)

    def truth_fields(self) -> dict:
        return {**super().truth_fields(), "sample_rows": self.sample_rows}


class CrossSection(Generator):
    """Rows 0..n-1 are ``train``, the next ``n_test`` are ``test`` (rows are iid)."""

    roles = Roles(outcome="y", covariates=("x",))
    size_param = "n"

    def law(self) -> XLaw:
        raise NotImplementedError

    def coefficients(self) -> dict[str, float]:
        """The conditional-mean line E[y | x] = intercept + slope * x."""
        return {"intercept": 0.0, "x": self.law().slope}

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        p = self.params
        law = self.law()
        frame = law.sample_rows(p.n + p.n_test, rng)
        split = np.repeat(np.array([SPLITS[0], SPLITS[2]]), [p.n, p.n_test])
        truth = Truth(coefficients=self.coefficients(), **law.truth_fields())
        return Observed(frame, self.roles, split), truth

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        """OLS of y on x with HC1 se; rows ``intercept``, ``x``."""
        x = roles.covariates[0]
        return ols_hc1(frame, roles.outcome, [x], {"const": "intercept", x: "x"})
