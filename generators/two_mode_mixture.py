"""Two-mode mixture: x ~ U(0.1, 1.0); with probability w (0.5) y ~ Normal(s x, 0.01),
else y ~ Normal(-s x, x).

The conditional mean (2w - 1) s x is 0 at w = 0.5 and says nothing about either mode: a
single-Gaussian density model smears one wide bump over both; a two-component mixture
recovers the narrow ridge at +s x and the wide one at -s x.

``separation`` (s) is a difficulty knob: the mode centres lie 2 s x apart, 2 s sds of the
wide mode. s = 1 (default) is the source's +-x, drawn bit for bit as before; s = 0 puts
the narrow ridge at the wide mode's centre (one spike on one bump, no gap between modes);
larger s pulls them apart, which makes the single Gaussian's smear worse.
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
    weight: float = param(0.5, "probability w of the narrow mode Normal(s x, 0.01)", gt=0.0, lt=1.0)
    separation: float = param(
        1.0, "mode separation s: narrow mode centred at +s x, wide at -s x (1 = the source's +-x)", ge=0.0, le=10.0
    )


class TwoModeLaw(XLaw):
    """y | x ~ w Normal(s x, 0.01) + (1 - w) Normal(-s x, x).

    At s = 1 every expression reduces to the source's arithmetic exactly (1.0 * x is x, and
    1 + s^2 is 2.0), so the default draws and truth are those of the law without s."""

    def __init__(self, weight: float, separation: float = 1.0):
        self.weight, self.separation = float(weight), float(separation)
        self.slope = (2.0 * self.weight - 1.0) * self.separation

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self.slope * column(X, "x")

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        # total variance: sum_k w_k (sd_k^2 + mean_k^2) - mean^2, mode centres +-c = +-s x
        x, w, s = column(X, "x"), self.weight, self.separation
        c = s * x
        second = w * (NARROW_SD**2 + c * c) + (1.0 - w) * (1.0 + s * s) * x * x
        return np.sqrt(second - (self.slope * x) ** 2)

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        x, y = column(X, "x"), np.asarray(y, float)
        c = self.separation * x
        narrow = np.log(self.weight) + normal_logpdf(y, c, NARROW_SD)
        wide = np.log1p(-self.weight) + normal_logpdf(y, -c, x)
        return logsumexp(np.stack([narrow, wide]), axis=0)

    def draw_y(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        narrow = rng.random(len(x)) < self.weight
        z = rng.standard_normal(len(x))
        c = self.separation * x
        return np.where(narrow, c + NARROW_SD * z, -c + x * z)


class TwoModeMixture(CrossSection):
    name = "two_mode_mixture"
    description = "y | x a 50/50 mixture of Normal(x, 0.01) and Normal(-x, x): two modes (separation: how far apart)"
    version = "1"
    Params = Params

    def law(self) -> TwoModeLaw:
        return TwoModeLaw(self.params.weight, self.params.separation)
