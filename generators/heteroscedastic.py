"""Heteroscedastic regression: x ~ U(0.1, 1.0), y ~ Normal(mean x, sd c_h x^h).

The noise grows with the mean, so a model with one residual sd gets the mean right and
the spread wrong at both ends: the case a density model (MDN with one component) exists
for. ``hetero`` (h) is the strength of that growth, a difficulty knob: the sd is
c_h x^h with c_h = sqrt(E[x^2] / E[x^2h]), which holds the average noise variance
E[sd(x)^2] at E[x^2] = 0.37 whatever h, so the knob moves only how unequal the noise is
(the sd at x = 1 is 10^h times the sd at x = 0.1). h = 1 (default) is the source's
y ~ Normal(x, sd x), drawn bit for bit as before (c_1 = 1 exactly); h = 0 is homoscedastic
noise of sd sqrt(0.37) = 0.608. The oracle's NLL per row is 1/2 ln(2 pi e sd(x)^2) and its
expected CRPS sd(x) / sqrt(pi).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.generators.cross_section import X_HIGH, X_LOW, CrossSection, CrossSectionParams, XLaw
from dgpbench.generators.laws import column, normal_logpdf
from dgpbench.params import param


def uniform_x_moment(k: float) -> float:
    """E[x^k] for x ~ U(0.1, 1.0)."""
    return (X_HIGH ** (k + 1) - X_LOW ** (k + 1)) / ((k + 1) * (X_HIGH - X_LOW))


@dataclass(frozen=True)
class Params(CrossSectionParams):
    hetero: float = param(
        1.0,
        "heteroscedasticity strength h: sd(x) = c_h x^h at a fixed average variance E[x^2] = 0.37; "
        "1 = the source's sd x, 0 = constant sd 0.608",
        ge=0.0,
        le=4.0,
    )


class HeteroscedasticLaw(XLaw):
    """y | x ~ Normal(x, c_h x^h) -- the second argument a standard deviation (numpy's ``scale``)."""

    slope = 1.0

    def __init__(self, hetero: float = 1.0):
        self.hetero = float(hetero)
        self.scale = float(np.sqrt(uniform_x_moment(2.0) / uniform_x_moment(2.0 * self.hetero)))

    def noise_sd(self, x: np.ndarray) -> np.ndarray:
        return self.scale * np.power(x, self.hetero)

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return column(X, "x")

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return self.noise_sd(column(X, "x"))

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        x = column(X, "x")
        return normal_logpdf(np.asarray(y, float), x, self.noise_sd(x))

    def draw_y(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return x + self.noise_sd(x) * rng.standard_normal(len(x))


class Heteroscedastic(CrossSection):
    name = "heteroscedastic"
    description = "y ~ Normal(x, sd x), x ~ U(0.1, 1): noise that grows with the mean (hetero: how strongly)"
    version = "1"
    Params = Params

    def law(self) -> HeteroscedasticLaw:
        return HeteroscedasticLaw(self.params.hetero)
