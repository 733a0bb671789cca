"""Score one fitted model against the oracle and the naive baselines, all through one path.

Each metric row carries the model's value, the oracle's (the floor), the naive baseline's
and the normalised score (naive - model) / (naive - oracle), or why the score is missing.
"""

from __future__ import annotations

import math
from typing import Any

from dgpbench.benchmarks.metrics import normalised_score, selected_metrics
from dgpbench.benchmarks.scoring import CellData, ScoringContext, applicable, base_name, evaluate
from dgpbench.models.base import Capabilities
from dgpbench.models.oracle import oracle_fitted
from dgpbench.models.registry import load_model


def _naive_context(data: CellData, name: str) -> ScoringContext | None:
    """The naive baseline fitted once per cell (None where it cannot serve the data)."""

    def fit():
        model = load_model(name)
        ok, _ = model.supports(data.observed)
        if not ok:
            return None
        return ScoringContext(data, model.fit(data.observed, data.seed), model.capabilities, f"naive:{name}")

    return data.cached(f"naive:{name}", fit)


def _finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def score_cell(
    data: CellData, fitted: Any, capabilities: Capabilities, metric_names: tuple[str, ...] | None = None
) -> tuple[list[dict], list[dict]]:
    metrics = [m for m in selected_metrics(metric_names) if applicable(m, capabilities, data.truth)]
    model_ctx = ScoringContext(data, fitted, capabilities, "model")
    values = evaluate(metrics, model_ctx)
    oracle, oracle_caps = oracle_fitted(data.observed, data.truth)
    oracle_values = evaluate(metrics, ScoringContext(data, oracle, oracle_caps, "oracle"))
    naive_values: dict[str, dict[str, float]] = {}
    by_name = {m.name: m for m in metrics}
    for naive in sorted({m.naive for m in metrics}):
        ctx = _naive_context(data, naive)
        naive_values[naive] = {} if ctx is None else evaluate([m for m in metrics if m.naive == naive], ctx)
    rows = []
    for key, value in values.items():
        m = by_name[base_name(key)]
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
    out = []
    table = ctx.coefficients() or {}
    for name, row in table.items():
        out.append(
            {
                "name": name,
                "truth": data.truth.coefficients[name],
                "truth_kind": data.truth.kind,
                "estimate": row["estimate"],
                "lower": row.get("lower"),
                "upper": row.get("upper"),
            }
        )
    if ctx.capabilities.variance_components and data.truth.variance_components:
        vc = ctx.fitted.variance_components()
        for name, truth in data.truth.variance_components.items():
            if name in vc:
                out.append(
                    {
                        "name": name,
                        "truth": truth,
                        "truth_kind": data.truth.kind,
                        "estimate": float(vc[name]),
                        "lower": None,
                        "upper": None,
                    }
                )
    return out
