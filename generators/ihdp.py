"""Hill (2011) semi-synthetic IHDP: real covariates of 747 infants, simulated outcomes.

Replications 1..10 of the NPCI set, shipped in the package (no header; treatment,
y_factual, y_cfactual, mu0, mu1, x1..x25 -- x1..x6 continuous, x7..x25 binary, x14
coded 1/2 as published and kept so). The data of a replication never changes; the seed
only draws the literature's 63/27/10 train/valid/test split, so "in-sample"
(train+valid) and "out-of-sample" (test) scores are reproducible per seed. A few
replications have extreme outcomes that dominate means: run several and report their spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.generators.analyses import ols_hc1
from dgpbench.generators.base import Generator, Observed, Roles, Truth, random_split
from dgpbench.generators.laws import read_only
from dgpbench.generators.shipped import (
    IHDP_OBSERVED_COLUMNS,
    IHDP_REPLICATIONS,
    IHDP_TRUTH_COLUMNS,
    ihdp_observed,
    ihdp_truth,
)
from dgpbench.params import param

COVARIATES = tuple(f"x{i}" for i in range(1, 26))
SPLIT_FRACTIONS = (0.63, 0.27, 0.10)


@dataclass(frozen=True)
class Params:
    replication: int = param(1, "IHDP replication (NPCI set)", ge=1, le=IHDP_REPLICATIONS)


class IHDP(Generator):
    """Observed: ``x1``..``x25``, ``t`` (0/1), ``y`` (the factual outcome).

    Truth: mu0, mu1 (noise-free), y0, y1 (noisy: the factual outcome under the realised
    treatment, the shipped counterfactual under the other) and ``tau`` = the ATE, mean(mu1 - mu0)
    over all 747 rows.
    """

    name = "ihdp"
    description = "Hill (2011) semi-synthetic IHDP (747 infants, 25 covariates), 10 replications"
    version = "1"
    Params = Params

    roles = Roles(outcome="y", covariates=COVARIATES, treatment="t")

    def _observe(self, rng: np.random.Generator) -> Observed:
        """The observed frame and split, read from the observed columns only."""
        data = ihdp_observed(self.params.replication)
        col = {name: i for i, name in enumerate(IHDP_OBSERVED_COLUMNS)}
        frame = pd.DataFrame(data[:, col["x1"] :].copy(), columns=list(COVARIATES))
        frame["t"] = (data[:, col["treatment"]] == 1).astype(np.int64)
        frame["y"] = data[:, col["y_factual"]].copy()
        split = random_split(len(frame), rng, SPLIT_FRACTIONS)
        return Observed(frame, self.roles, split)

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        observed = self._observe(rng)
        hidden = ihdp_truth(self.params.replication)
        col = {name: i for i, name in enumerate(IHDP_TRUTH_COLUMNS)}
        treated = observed.frame["t"].to_numpy() == 1
        y_f, y_cf = observed.frame["y"].to_numpy(float), hidden[:, col["y_cfactual"]]
        mu0, mu1 = hidden[:, col["mu0"]].copy(), hidden[:, col["mu1"]].copy()
        y0, y1 = np.where(treated, y_cf, y_f), np.where(treated, y_f, y_cf)
        read_only(mu0, mu1, y0, y1)
        truth = Truth(coefficients={"tau": float(np.mean(mu1 - mu0))}, mu0=mu0, mu1=mu1, y0=y0, y1=y1)
        return observed, truth

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        """OLS of y on t and the 25 covariates, HC1 se; the row of t is ``tau`` (the ATE under a constant effect)."""
        treatment = roles.required("treatment")
        return ols_hc1(frame, roles.outcome, [treatment, *roles.covariates], {treatment: "tau"})
