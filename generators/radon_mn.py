"""Minnesota radon: the real data (919 homes in 85 counties), shipped in the package.

Real data has no truth. Its **reference** is the published REML fit of
log_radon ~ 1 + floor + (1 | county), which ``canonical_analysis`` reproduces to the
printed digits: a model is scored on how close it comes to what the standard estimator
says, labelled ``kind="reference"`` everywhere so no report calls it the truth. The seed
changes nothing: every seed returns the same data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dgpbench.generators.analyses import reml_table
from dgpbench.generators.base import Generator, Observed, Roles, Truth
from dgpbench.generators.shipped import radon_frame

REFERENCE_SOURCE = (
    "REML fit of log_radon ~ 1 + floor + (1 | county) on the Minnesota radon data "
    "(Gelman & Hill 2007, ch. 12; lme4 / statsmodels MixedLM): a reference, not the truth"
)


class RadonMN(Generator):
    name = "radon_mn"
    description = "Real Minnesota radon data (919 homes, 85 counties); reference = published REML fit"
    version = "1"

    roles = Roles(outcome="log_radon", covariates=("floor",), group="county")

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        frame = radon_frame()
        truth = Truth(
            kind="reference",
            coefficients={"intercept": 1.462, "floor": -0.693},
            variance_components={"group_sd": 0.3282, "residual_sd": 0.7556},
            source=REFERENCE_SOURCE,
        )
        return Observed(frame, self.roles, np.full(len(frame), "train")), truth

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        """REML MixedLM ``log_radon ~ 1 + floor + (1 | county)``; rows ``intercept``, ``floor``."""
        return reml_table(frame, roles.outcome, list(roles.covariates), roles.required("group"))
