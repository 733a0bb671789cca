"""The simplest process there is: y = 0.1 + 1.5 x + eps, x ~ N(0, 1), eps ~ N(0, 1).

Every model should recover both coefficients here -- a coefficient model directly,
a sample-only model through the canonical regression re-run on its synthetic rows -- and
its error should fall like 1/sqrt(n): the baseline of the recovery curves, where a
model that plateaus has a bias no amount of data removes. ``n`` is the swept size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.generators.analyses import ols_hc1
from dgpbench.generators.base import SPLITS, Generator, Observed, Roles, Truth
from dgpbench.generators.laws import GaussianGLMLaw, LinearPredictor
from dgpbench.params import param

INTERCEPT, SLOPE, NOISE_SD = 0.1, 1.5, 1.0


@dataclass(frozen=True)
class Params:
    n: int = param(1_000, "training rows", ge=3, le=100_000_000)
    n_test: int = param(1_000, "held-out test rows", ge=0, le=100_000_000)


class LinearLaw(GaussianGLMLaw):
    """y | x ~ Normal(0.1 + 1.5 x, 1), and the joint law with x ~ N(0, 1)."""

    def __init__(self) -> None:
        super().__init__(LinearPredictor(INTERCEPT, {"x": SLOPE}), NOISE_SD)

    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` fresh (x, y) rows: the generator's own rows come from here too."""
        x = pd.DataFrame({"x": rng.standard_normal(n)}, copy=False)
        x["y"] = self.sample_y(x, rng)
        return x

    def truth_fields(self) -> dict:
        return {**super().truth_fields(), "sample_rows": self.sample_rows}


class Linear(Generator):
    """Rows 0..n-1 are ``train``, the next ``n_test`` are ``test`` (rows are iid)."""

    name = "linear"
    description = "y = 0.1 + 1.5 x + N(0, 1) noise, x ~ N(0, 1): the simplest process, both coefficients recoverable"
    version = "1"
    Params = Params
    size_param = "n"

    roles = Roles(outcome="y", covariates=("x",))

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        p = self.params
        law = LinearLaw()
        frame = law.sample_rows(p.n + p.n_test, rng)
        split = np.repeat(np.array([SPLITS[0], SPLITS[2]]), [p.n, p.n_test])
        truth = Truth(coefficients={"intercept": INTERCEPT, "x": SLOPE}, **law.truth_fields())
        return Observed(frame, self.roles, split), truth

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        """OLS of y on x with HC1 se; rows ``intercept``, ``x``."""
        x = roles.covariates[0]
        return ols_hc1(frame, roles.outcome, [x], {"const": "intercept", x: "x"})
