"""Metric entries: a pure array function plus what it needs, its face and its direction.

Each metric's ``evaluate(ctx)`` pulls the arrays it needs from a
:class:`dgpbench.benchmarks.scoring.context.ScoringContext` and applies its own formula, a
pure numpy function of the face's module. It returns a float, ``{key: float}`` for
per-coefficient metrics (stored as ``name[key]``), or ``None`` where it does not apply to
this data. The oracle and the naive baseline are scored through the very same entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dgpbench.vocabulary import FACES

if TYPE_CHECKING:  # the context module is imported by the scoring step, which imports the metrics
    from dgpbench.benchmarks.scoring.context import ScoringContext
    from dgpbench.generators.base import Truth
    from dgpbench.models.base import Capabilities

DIRECTIONS = ("lower", "higher", "nominal")

MetricValue = float | dict[str, float] | None


@dataclass(frozen=True, kw_only=True)
class Metric:
    name: str
    face: str  # one of dgpbench.vocabulary.FACES
    direction: str  # lower / higher is better, or nominal (a target value)
    requires: tuple[str, ...]  # capabilities of the fitted model (any of them suffices)
    truth: tuple[str, ...]  # Truth fields it compares against
    evaluate: Callable[[ScoringContext], MetricValue]
    description: str
    naive: str  # baseline model whose value normalises this metric
    normalise: bool = True  # whether (naive - model) / (naive - oracle) is meaningful
    citation: str = ""
    # The face's verdict: 1 = the metric that decides the face score, 2, 3 = fallbacks used
    # where a model has no row of a better rank (e.g. energy distance for a joint-only
    # sampler that has no CRPS); 0 = a diagnostic shown beside it, never averaged in.
    primary: int = 0
    # A nominal metric's target (coverage rate 0.95, signed error 0): shown as the distance
    # |mean - target| rather than normalised. None: no target (a width, a proper score).
    target: float | None = None
    # A proper score (its expectation is best at the truth): a model better than the oracle
    # on it beyond noise has seen something it should not have (the leak alarm).
    proper: bool = False

    def __post_init__(self) -> None:
        if self.face not in FACES:
            raise ValueError(f"metric {self.name!r}: face must be one of {FACES}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"metric {self.name!r}: direction must be one of {DIRECTIONS}")
        if self.primary < 0:
            raise ValueError(f"metric {self.name!r}: primary is a rank of preference (0 = a diagnostic, 1 = first)")

    def applies(self, capabilities: Capabilities, truth: Truth) -> bool:
        """When the fitted offers one of the capabilities it requires and the truth has its fields."""
        return bool(set(capabilities.names()).intersection(self.requires)) and all(truth.has(f) for f in self.truth)


def split_key(metric_key: str) -> tuple[str, str | None]:
    """``"coef_error[tau]"`` -> ``("coef_error", "tau")``; ``"crps"`` -> ``("crps", None)``.

    Per-coefficient metrics are stored as ``name[key]``: the one parser of that form.
    """
    name, sep, rest = metric_key.partition("[")
    return name, (rest[:-1] if sep and rest.endswith("]") else None)


def join_key(name: str, key: str | None) -> str:
    """The inverse of :func:`split_key`: ``("coef_error", "tau")`` -> ``"coef_error[tau]"``."""
    return f"{name}[{key}]" if key else name


def normalised_score(
    model: float | None, oracle: float | None, naive: float | None, rel_tol: float = 1e-9
) -> tuple[float | None, str]:
    """(naive - model) / (naive - oracle): 1 = as good as the truth, 0 = no better than naive.

    Missing, with the reason, where any value is missing or the naive baseline is already
    as good as the oracle (the ratio would be 0/0 or +-inf).
    """
    if model is None or oracle is None or naive is None:
        return None, "no " + ("model" if model is None else "oracle" if oracle is None else "naive") + " value"
    gap = naive - oracle
    if abs(gap) <= rel_tol * max(1.0, abs(naive), abs(oracle)):
        return None, "naive equals oracle"
    return (naive - model) / gap, ""
