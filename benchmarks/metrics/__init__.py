"""The metric registry: built-in metrics by name; entry-point group ``dgpbench.metrics``
(each entry point names a :class:`~dgpbench.benchmarks.metrics.base.Metric`)."""

from __future__ import annotations

from dgpbench.benchmarks.metrics import coefficients, counterfactuals, distribution
from dgpbench.benchmarks.metrics.base import Metric, normalised_score, split_key
from dgpbench.registry import Registry

METRICS = Registry("metric", "dgpbench.metrics")
for _module in (coefficients, counterfactuals, distribution):
    for _m in _module.METRICS:
        METRICS.register(_m.name, _m, source="builtin")


def selected_metrics(names: tuple[str, ...] | None) -> list[Metric]:
    """The suite's metrics (every registered one for ``metrics: all``)."""
    return [METRICS.get(n) for n in (names if names is not None else METRICS.names())]


__all__ = ["METRICS", "Metric", "normalised_score", "selected_metrics", "split_key"]
