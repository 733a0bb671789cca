"""A plugin generator whose truth is inconsistent with its data: the data are drawn as
y = x + N(0, 1), but the truth's conditional law (and its joint sampler) claims
y = 0.5 + x + N(0, 1). `dgpbench check --plugin` must fail it, naming the checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from dgpbench.generators.base import Generator, Observed, Roles, Truth, coefficient_table
from dgpbench.generators.registry import GENERATORS

CLAIMED_INTERCEPT = 0.5  # what the truth says; the data use 0


class ClaimedLaw:
    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return CLAIMED_INTERCEPT + X["x"].to_numpy(float)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.ones(len(X))

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        return stats.norm.logpdf(y, self.mean(X), 1.0)

    def sample_y(self, X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        return self.mean(X) + rng.standard_normal(len(X))


class BrokenTruth(Generator):
    name = "broken_truth"
    description = "data y = x + noise, truth claiming y = 0.5 + x + noise"
    roles = Roles(outcome="y", covariates=("x",))

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        x = rng.standard_normal(2000)
        frame = pd.DataFrame({"x": x, "y": x + rng.standard_normal(2000)})
        law = ClaimedLaw()
        truth = Truth(
            coefficients={"intercept": CLAIMED_INTERCEPT, "x": 1.0},
            mean=law.mean,
            sd=law.sd,
            logpdf=law.logpdf,
            sample_y=law.sample_y,
        )
        return Observed(frame, self.roles, np.full(2000, "train")), truth

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
        slope, intercept = np.polyfit(x, y, 1)
        return coefficient_table(["intercept", "x"], [intercept, slope], [0.03, 0.03])


GENERATORS.register("broken_truth", BrokenTruth)
