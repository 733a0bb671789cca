"""Two-mode mixture: x ~ U(0.1, 1.0); with probability w (0.5) y ~ Normal(x, 0.01),
else y ~ Normal(-x, x).

The conditional mean (2w - 1) x is 0 at w = 0.5 and says nothing about either mode: a
single-Gaussian density model smears one wide bump over both; a two-component mixture
recovers the narrow ridge at +x and the wide one at -x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from dgpbench.generators.cross_section import CrossSection, CrossSectionParams, XLaw
from dgpbench.generators.laws import column, normal_logpdf
from dgpbench.params import param

NARROW_SD = 0.01


@dataclass(frozen=True)
class Params(CrossSectionParams):
    weight: float = param(0.5, "probability w of the narrow mode Normal(x, 0.01)", gt=0.0, lt=1.0)


class TwoModeLaw(XLaw):
    """y | x ~ w Normal(x, 0.01) + (1 - w) Normal(-x, x)."""

    def __init__(self, weight: float):
        self.weight = float(weight)
        self.slope = 2.0 * self.weight - 1.0

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return (2.0 * self.weight - 1.0) * column(X, "x")

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        # total variance: sum_k w_k (sd_k^2 + mean_k^2) - mean^2
        x, w = column(X, "x"), self.weight
        second = w * (NARROW_SD**2 + x * x) + (1.0 - w) * 2.0 * x * x
        return np.sqrt(second - ((2.0 * w - 1.0) * x) ** 2)

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        x, y = column(X, "x"), np.asarray(y, float)
        narrow = np.log(self.weight) + normal_logpdf(y, x, NARROW_SD)
        wide = np.log1p(-self.weight) + normal_logpdf(y, -x, x)
        return logsumexp(np.stack([narrow, wide]), axis=0)

    def draw_y(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        narrow = rng.random(len(x)) < self.weight
        z = rng.standard_normal(len(x))
        return np.where(narrow, x + NARROW_SD * z, -x + x * z)


class TwoModeMixture(CrossSection):
    name = "two_mode_mixture"
    description = "y | x a 50/50 mixture of Normal(x, 0.01) and Normal(-x, x): two modes, zero mean"
    version = "1"
    Params = Params

    def law(self) -> TwoModeLaw:
        return TwoModeLaw(self.params.weight)
