"""The metric registry: built-in metrics by name; entry-point group ``dgpbench.metrics``
(each entry point names a :class:`~dgpbench.benchmarks.metrics.base.Metric`)."""

from __future__ import annotations

from dgpbench.benchmarks.metrics import coefficients, counterfactuals, distribution
from dgpbench.benchmarks.metrics.base import FACES, Metric, normalised_score
from dgpbench.registry import Registry

METRICS = Registry("metric", "dgpbench.metrics")
for _module in (coefficients, counterfactuals, distribution):
    for _m in _module.METRICS:
        METRICS.register(_m.name, _m, source="builtin")

__all__ = ["FACES", "METRICS", "Metric", "normalised_score"]
