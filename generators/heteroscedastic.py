"""Heteroscedastic regression: x ~ U(0.1, 1.0), y ~ Normal(mean x, sd x).

The noise grows with the mean, so a model with one residual sd gets the mean right and
the spread wrong at both ends: the case a density model (MDN with one component) exists
for. The oracle's NLL per row is 1/2 ln(2 pi e x^2) and its expected CRPS x / sqrt(pi).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.generators.cross_section import CrossSection, CrossSectionParams, XLaw
from dgpbench.generators.laws import column, normal_logpdf


@dataclass(frozen=True)
class Params(CrossSectionParams):
    pass


class HeteroscedasticLaw(XLaw):
    """y | x ~ Normal(x, x) -- the second argument a standard deviation (numpy's ``scale``)."""

    slope = 1.0

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return column(X, "x")

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return column(X, "x")

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        x = column(X, "x")
        return normal_logpdf(np.asarray(y, float), x, x)

    def draw_y(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return x + x * rng.standard_normal(len(x))


class Heteroscedastic(CrossSection):
    name = "heteroscedastic"
    description = "y ~ Normal(x, sd x), x ~ U(0.1, 1): noise that grows with the mean"
    version = "1"
    Params = Params

    def law(self) -> HeteroscedasticLaw:
        return HeteroscedasticLaw()
