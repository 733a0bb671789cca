"""A random-intercept hierarchy calibrated on Minnesota radon, with known truth.

    eta = 1.462 - 0.693*floor + b_county,   b ~ N(0, 0.328^2),   floor ~ Bernoulli(0.166)

Normal family: log_radon = eta + e, e ~ N(0, 0.756^2). Bernoulli (logit link) and Poisson
(log link) families draw y from eta instead. The 85 counties keep the real data's skewed
sizes (1 to 116 homes, 919 in all, 39 counties under 5), because the hard part of the
real problem is shrinking the small groups, and uniform sizes would hide it. The floor
probability is the real fraction of first-floor measurements (153 / 919).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.generators.analyses import reml_table
from dgpbench.generators.base import Generator, Observed, Roles, Truth
from dgpbench.generators.laws import BernoulliLaw, ConditionalLaw, GaussianGLMLaw, LinearPredictor, PoissonLaw
from dgpbench.generators.shipped import radon_group_sizes
from dgpbench.params import param

FAMILIES = ("normal", "bernoulli", "poisson")


@dataclass(frozen=True)
class Params:
    family: str = param(
        "normal", "law of y given eta: normal (identity), bernoulli (logit), poisson (log)", choices=FAMILIES
    )
    intercept: float = param(1.462, "intercept on the link scale")
    floor_effect: float = param(-0.693, "floor coefficient on the link scale")
    group_sd: float = param(0.328, "sd of the county effects b", ge=0.0)
    noise_sd: float = param(0.756, "residual sd e (normal family only)", gt=0.0)
    floor_prob: float = param(153 / 919, "probability that a home was measured on the first floor", gt=0.0, lt=1.0)


class RadonLike(Generator):
    """Observed: ``county`` (0..84), ``floor`` (0/1) and the outcome ``log_radon`` (normal)
    or ``y`` (bernoulli, poisson); all rows ``train``."""

    name = "radon_like"
    description = "Random-intercept hierarchy with the real radon group sizes (Normal/Bernoulli/Poisson)"
    version = "1"
    Params = Params

    @property
    def roles(self) -> Roles:
        outcome = "log_radon" if self.params.family == "normal" else "y"
        return Roles(outcome=outcome, covariates=("floor",), group="county")

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        p = self.params
        sizes = radon_group_sizes()
        county = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        n = len(county)
        b = p.group_sd * rng.standard_normal(len(sizes))
        floor = (rng.random(n) < p.floor_prob).astype(np.int64)
        eta = LinearPredictor(p.intercept, {"floor": p.floor_effect}, "county", b)
        frame = pd.DataFrame({"county": county, "floor": floor})
        law: ConditionalLaw
        if p.family == "normal":
            law = GaussianGLMLaw(eta, p.noise_sd)
            components = {"group_sd": p.group_sd, "residual_sd": p.noise_sd}
        else:
            law = BernoulliLaw(eta) if p.family == "bernoulli" else PoissonLaw(eta)
            components = {"group_sd": p.group_sd}
        frame[self.roles.outcome] = law.sample_y(frame, rng)
        truth = Truth(
            coefficients={"intercept": p.intercept, "floor": p.floor_effect},
            variance_components=components,
            group_effects=pd.Series(b, index=pd.RangeIndex(len(b), name="county"), name="group_effect"),
            **law.truth_fields(),
        )
        return Observed(frame, self.roles, np.full(n, "train")), truth

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        """Normal: REML MixedLM ``outcome ~ 1 + floor + (1 | county)``. Bernoulli/Poisson:
        the same random-intercept GLMM by maximum likelihood with adaptive Gauss-Hermite
        quadrature (:mod:`~dgpbench.generators.glmm` says why not a plain GLM or statsmodels'
        Bayesian mixed GLMs). Rows ``intercept``, ``floor``."""
        covs = list(roles.covariates)
        if self.params.family == "normal":
            return reml_table(frame, roles.outcome, covs, roles.required("group"))
        from dgpbench.generators.glmm import glmm_table  # statsmodels: import on use

        return glmm_table(frame, roles.outcome, covs, roles.required("group"), self.params.family)
