"""Score one fitted model against the oracle and the naive baselines, all through one path.

Each metric row carries the model's value, the oracle's (the floor), the naive baseline's
and the normalised score (naive - model) / (naive - oracle), or why the score is missing.
Nothing here knows a model by its name: only declared capabilities count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from dgpbench.benchmarks.metrics import Metric, normalised_score, selected_metrics, split_key
from dgpbench.benchmarks.metrics.base import join_key
from dgpbench.benchmarks.scoring.context import CellData, ScoringContext
from dgpbench.models.base import Capabilities, model_seed
from dgpbench.models.oracle import oracle_fitted
from dgpbench.models.registry import load_model


def evaluate(metrics: Iterable[Metric], ctx: ScoringContext) -> dict[str, float]:
    """Values of every metric that applies to the context, flattened to ``name`` or ``name[key]``."""
    out: dict[str, float] = {}
    for m in metrics:
        if not m.applies(ctx.capabilities, ctx.truth):
            continue
        value = m.evaluate(ctx)
        if value is None:
            continue
        items = value.items() if isinstance(value, dict) else [("", value)]
        for key, v in items:
            out[join_key(m.name, key)] = float(v)
    return out


def _naive_context(data: CellData, name: str) -> ScoringContext | None:
    """The naive baseline fitted to the cell's data (None where it cannot serve the data)."""
    model = load_model(name)
    ok, _ = model.supports(data.observed.fit_view())
    if not ok:
        return None
    return ScoringContext(data, model.fit(data.observed, model_seed(data.seed)), model.capabilities, f"naive:{name}")


def _finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def score_cell(
    data: CellData, fitted: Any, capabilities: Capabilities, metric_names: tuple[str, ...] | None = None
) -> tuple[list[dict], list[dict]]:
    """(metric rows, estimate rows) of one fitted model on one generator draw."""
    metrics = [m for m in selected_metrics(metric_names) if m.applies(capabilities, data.truth)]
    model_ctx = ScoringContext(data, fitted, capabilities, "model")
    values = evaluate(metrics, model_ctx)
    oracle, oracle_caps = oracle_fitted(data.observed, data.truth)
    oracle_values = evaluate(metrics, ScoringContext(data, oracle, oracle_caps, "oracle"))
    naive_values: dict[str, dict[str, float]] = {}
    for naive in sorted({m.naive for m in metrics}):
        ctx = _naive_context(data, naive)
        naive_values[naive] = {} if ctx is None else evaluate([m for m in metrics if m.naive == naive], ctx)
    by_name = {m.name: m for m in metrics}
    rows = []
    for key, value in values.items():
        m = by_name[split_key(key)[0]]
        o = _finite(oracle_values.get(key))
        n = _finite(naive_values.get(m.naive, {}).get(key))
        if m.normalise:
            score, note = normalised_score(_finite(value), o, n)
        else:
            score, note = None, "not normalised"
        rows.append(
            {"face": m.face, "metric": key, "value": value, "oracle": o, "naive": n, "score": score, "note": note}
        )
    return rows, _estimates(data, model_ctx)


def _estimates(data: CellData, ctx: ScoringContext) -> list[dict]:
    """Coefficients and variance components beside their truth (or reference)."""
    truth = data.truth

    def row(name: str, true_value: float, estimate: float, lower=None, upper=None) -> dict:
        return {
            "name": name,
            "truth": true_value,
            "truth_kind": truth.kind,
            "estimate": estimate,
            "lower": lower,
            "upper": upper,
        }

    out = [
        row(name, truth.coefficients[name], r["estimate"], r.get("lower"), r.get("upper"))
        for name, r in (ctx.coefficients or {}).items()
    ]
    if ctx.capabilities.variance_components and truth.variance_components:
        vc = ctx.fitted.variance_components()
        out += [row(name, v, float(vc[name])) for name, v in truth.variance_components.items() if name in vc]
    return out
