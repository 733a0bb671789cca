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


SHALIT = "Shalit, Johansson & Sontag (2017), Table 1"
IHDP_NOTE = "IHDP 1,000-replication set, 63/27/10 split; not this run's data"
REML = "REML fit of log_radon ~ 1 + floor + (1 | county) (Gelman & Hill 2007)"

PUBLISHED: tuple[Published, ...] = (
    Published("ihdp", "sqrt_pehe_out", "metric", "TARNet", 0.95, SHALIT, IHDP_NOTE),
    Published("ihdp", "sqrt_pehe_out", "metric", "CFR-Wass", 0.76, SHALIT, IHDP_NOTE),
    Published("ihdp", "sqrt_pehe_in", "metric", "TARNet", 0.88, SHALIT, IHDP_NOTE),
    Published("ihdp", "ate_abs_error_in", "metric", "TARNet", 0.26, SHALIT, IHDP_NOTE),
    Published("ihdp", "ate_abs_error_out", "metric", "TARNet", 0.28, SHALIT, IHDP_NOTE),
    Published("radon_mn", "intercept", "coefficient", "REML", 1.462, REML),
    Published("radon_mn", "floor", "coefficient", "REML", -0.693, REML),
    Published("radon_mn", "group_sd", "coefficient", "REML", 0.3282, REML, "county sd"),
    Published("radon_mn", "residual_sd", "coefficient", "REML", 0.7556, REML),
)


def published_for(generator_name: str) -> list[Published]:
    return [p for p in PUBLISHED if p.generator == generator_name]
