"""A model that cheats: it reads the test outcomes by regenerating the data itself.

Generators are public and deterministic, so a model that knows which generator made its
data can draw that generator's data for candidate seeds until the rows match what ``fit``
received, and then holds the very test outcomes it will be scored on. It predicts them
with a tiny sd and is "better than the truth": the leak alarm (beats the oracle's CRPS
beyond noise) must flag it. Rows it cannot find fall back to the honest
``scale_gaussian`` it subclasses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.generators.base import Observed
from dgpbench.generators.cross_section import CrossSection
from dgpbench.generators.registry import load_generator
from dgpbench.models.base import Capabilities, Fitted
from dgpbench.models.linear import columns_of
from dgpbench.models.sensitivity import Breakage, SensitivityOnly
from dgpbench.models.sensitivity.references import ScaleGaussian, ScaleGaussianFitted
from dgpbench.params import param

# The leaked rows' predictive sd, as a share of the honest model's: a near point mass.
LEAK_SD_SHARE = 1e-3
CROSS_SECTIONS = ("heteroscedastic", "two_mode_mixture")


@dataclass(frozen=True)
class Params:
    generator: str = param("heteroscedastic", "the generator it assumes made its data", choices=CROSS_SECTIONS)
    n_test: int = param(2000, "the test rows it assumes that generator drew", ge=0)
    max_seed: int = param(1000, "seeds 0..max_seed are tried", ge=0, le=1_000_000)


class LeakedFitted(ScaleGaussianFitted):
    """The honest fit, except at rows whose ``x`` is a leaked test row: there the mean is
    that row's realised outcome and the sd a tiny share of the honest one."""

    def __init__(self, honest: ScaleGaussianFitted, leaked_x: np.ndarray, leaked_y: np.ndarray):
        super().__init__(honest._location, honest._scale, honest._floor)
        order = np.argsort(leaked_x)
        self._x, self._y = leaked_x[order], leaked_y[order]

    def _leaked(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Each row's position among the leaked rows, and whether it is one of them."""
        x = columns_of(X, ["x"])[:, 0]
        pos = np.clip(np.searchsorted(self._x, x), 0, max(len(self._x) - 1, 0))
        found = (self._x[pos] == x) if len(self._x) else np.zeros(len(x), bool)
        return pos, found

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        pos, found = self._leaked(X)
        return np.where(found, self._y[pos] if len(self._y) else 0.0, super().mean(X))

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        honest = super().sd(X)
        return np.where(self._leaked(X)[1], LEAK_SD_SHARE * honest, honest)


class OutcomeLeak(SensitivityOnly, ScaleGaussian):
    name = "outcome_leak"
    description = "scale_gaussian that regenerates its data to read the test outcomes (sensitivity variant)"
    breakage = Breakage("reads leaked test outcomes (regenerates the public generator)", "distribution", "suspect")
    Params = Params
    capabilities = Capabilities(conditional=True, log_density=True)

    def supports(self, observed: Observed) -> tuple[bool, str]:
        if observed.roles != CrossSection.roles:
            return False, f"needs the data of a one-covariate cross-section such as {self.params.generator!r}"
        return super().supports(observed)

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        honest = super()._fit(observed, seed)
        assert isinstance(honest, ScaleGaussianFitted)
        test = self._regenerate(observed)
        if test is None:
            return honest
        return LeakedFitted(honest, test.frame["x"].to_numpy(float), test.y)

    def _regenerate(self, observed: Observed) -> Observed | None:
        """The test rows of the first candidate draw whose fitting rows equal ``observed``'s."""
        p = self.params
        generator = load_generator(p.generator, n=len(observed.frame), n_test=p.n_test)
        mine = observed.frame[["x", "y"]].to_numpy(float)
        for candidate in range(p.max_seed + 1):
            drawn, _ = generator.sample(candidate)
            rows = drawn.fit_view().frame[["x", "y"]].to_numpy(float)
            if rows.shape == mine.shape and np.array_equal(rows, mine):
                return drawn.subset(drawn.mask("test"))
        return None
