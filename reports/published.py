"""Published results shown beside measured ones as labelled reference rows, never mixed in.

Keyed on the generator's registered name (the data a number was published on), never on
a model: a published row names the method and the paper, not a dgpbench model. They are
context for reading measured rows, not scores: the settings differ (the IHDP numbers come
from the 1,000-replication set and their own split).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    generator: str  # registered generator name the number belongs to
    quantity: str  # a metric name, or a coefficient name (kind says which)
    kind: str  # "metric" | "coefficient"
    method: str
    value: float
    source: str
    note: str = ""
    se: float | None = None  # the standard error the source gives with the value, where it gives one


SHALIT = "Shalit, Johansson & Sontag (2017), Table 1"
IHDP_NOTE = "IHDP 1,000-replication set, 63/27/10 split; not this run's data"
REML = "REML fit of log_radon ~ 1 + floor + (1 | county) (Gelman & Hill 2007)"

# Shalit et al.'s Table 1 (IHDP): mean +- standard error over 1,000 replications, within
# sample (train + valid) and out of sample (test); OLS/LR-1 is one regression with the
# treatment as a feature, as dgpbench's s_learner.
_IHDP_TABLE = {
    "OLS/LR-1": ((5.8, 0.3), (5.8, 0.3), (0.73, 0.04), (0.94, 0.06)),
    "BART": ((2.1, 0.1), (2.3, 0.1), (0.23, 0.01), (0.34, 0.02)),
    "TARNet": ((0.88, 0.02), (0.95, 0.02), (0.26, 0.01), (0.28, 0.01)),
    "CFR-Wass": ((0.71, 0.02), (0.76, 0.02), (0.25, 0.01), (0.27, 0.01)),
}
IHDP_COLUMNS = ("sqrt_pehe_in", "sqrt_pehe_out", "ate_abs_error_in", "ate_abs_error_out")

PUBLISHED: tuple[Published, ...] = (
    *(
        Published("ihdp", metric, "metric", method, value, SHALIT, IHDP_NOTE, se)
        for method, cells in _IHDP_TABLE.items()
        for metric, (value, se) in zip(IHDP_COLUMNS, cells)
    ),
    Published("radon_mn", "intercept", "coefficient", "REML", 1.462, REML),
    Published("radon_mn", "floor", "coefficient", "REML", -0.693, REML),
    Published("radon_mn", "group_sd", "coefficient", "REML", 0.3282, REML, "county sd"),
    Published("radon_mn", "residual_sd", "coefficient", "REML", 0.7556, REML),
)


def published_for(generator_name: str) -> list[Published]:
    return [p for p in PUBLISHED if p.generator == generator_name]
