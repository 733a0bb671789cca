"""Small arrays for the report's pictures, computed in the worker beside the scores.

Reports only read the store, so everything a figure needs is saved here: curves on a grid,
a few hundred samples, per-period panel means, group effects, individual effects. Each
entry is plain lists (JSON), a few kilobytes at most. The randomness comes from the cell's
named streams ("figure-…"), never from the ones the scores draw, so a picture can change
without moving a stored number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dgpbench.benchmarks.scoring.context import CellData
from dgpbench.models.base import Capabilities

MAX_POINTS = 400  # rows in a scatter
GRID_POINTS = 60  # points of a curve


def _r(a) -> list:
    return [None if not np.isfinite(v) else round(float(v), 5) for v in np.asarray(a, float)]


def _subsample(data: CellData, n: int) -> np.ndarray:
    """Sorted positions of at most ``MAX_POINTS`` of ``n`` rows (the same for every figure of the cell)."""
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.sort(data.rng("figure-subsample").choice(n, MAX_POINTS, replace=False))


def _single_float_covariate(data: CellData) -> str | None:
    roles, frame = data.observed.roles, data.observed.frame
    if len(roles.covariates) != 1 or any(r is not None for r in (roles.treatment, roles.group, roles.unit, roles.time)):
        return None  # y depends on more than x (a panel's units and periods: a curve in x alone would mislead)
    x = roles.covariates[0]
    return x if pd.api.types.is_float_dtype(frame[x]) else None


def _conditional(data: CellData, fitted, x: str) -> dict[str, Any]:
    """Mean and sd of y | x on a grid, the model's beside the truth's."""
    truth, frame = data.truth, data.observed.frame
    grid = pd.DataFrame({x: np.linspace(frame[x].min(), frame[x].max(), GRID_POINTS)})
    return {
        "x": _r(grid[x]),
        "mean": _r(fitted.mean(grid)),
        "sd": _r(fitted.sd(grid)),
        "true_mean": _r(truth.mean(grid)) if truth.mean else None,
        "true_sd": _r(truth.sd(grid)) if truth.sd else None,
        "xlabel": x,
    }


def _samples(data: CellData, fitted, x: str) -> dict[str, Any]:
    """One draw of y | x per evaluation row beside the observed y, on a subsample of the rows."""
    obs, mask = data.observed, data.eval_mask
    idx = _subsample(data, int(mask.sum()))
    X = data.features(mask).iloc[idx]
    return {
        "x": _r(X[x]),
        "y_true": _r(obs.frame.loc[mask, obs.roles.outcome].to_numpy()[idx]),
        "y_model": _r(np.asarray(fitted.sample(X, 1, data.rng("figure-samples")))[:, 0]),
        "xlabel": x,
        "ylabel": obs.roles.outcome,
    }


def _joint_samples(data: CellData, fitted) -> dict[str, Any] | None:
    """Synthetic and true rows on the first two columns both have (None with fewer than two)."""
    assert data.truth.sample_rows is not None
    model_rows = fitted.sample_rows(MAX_POINTS, data.rng("figure-joint-model"))
    truth_rows = data.truth.sample_rows(MAX_POINTS, data.rng("figure-joint-truth"))
    cols = [c for c in data.observed.roles.columns() if c in model_rows and c in truth_rows][:2]
    if len(cols) < 2:
        return None
    return {
        "columns": cols,
        "model": [_r(model_rows[c]) for c in cols],
        "truth": [_r(truth_rows[c]) for c in cols],
    }


def _panel_paths(data: CellData, fitted) -> dict[str, Any]:
    """Per-period means over the units ever treated: observed, true Y(0) and predicted Y(0)."""
    frame, roles, truth = data.observed.frame, data.observed.roles, data.truth
    assert roles.treatment is not None and truth.mu0 is not None
    X = data.features(np.ones(len(frame), bool))
    treated_units = frame.loc[frame[roles.treatment] == 1, roles.unit].unique()
    rows = frame[roles.unit].isin(treated_units).to_numpy()
    df = pd.DataFrame(
        {
            "t": frame[roles.time].to_numpy()[rows],
            "observed": frame[roles.outcome].to_numpy()[rows],
            "true_y0": truth.mu0[rows],
            "predicted_y0": np.asarray(fitted.mu0(X), float)[rows],
            "d": frame[roles.treatment].to_numpy()[rows],
        }
    )
    g = df.groupby("t").mean()
    first = df.loc[df["d"] == 1, "t"].min() if (df["d"] == 1).any() else None
    return {
        "t": _r(g.index),
        "observed": _r(g["observed"]),
        "true_y0": _r(g["true_y0"]),
        "predicted_y0": _r(g["predicted_y0"]),
        "adoption": None if first is None else float(first),
    }


def _ite(data: CellData, fitted) -> dict[str, Any]:
    """True and predicted individual effects on a subsample of the evaluation rows."""
    truth, mask = data.truth, data.eval_mask
    assert truth.mu0 is not None and truth.mu1 is not None
    X = data.features(mask)
    idx = _subsample(data, int(mask.sum()))
    ite_hat = np.asarray(fitted.mu1(X), float) - np.asarray(fitted.mu0(X), float)
    ite = truth.mu1[mask] - truth.mu0[mask]
    return {"true": _r(ite[idx]), "predicted": _r(ite_hat[idx])}


def _group_effects(data: CellData, fitted) -> dict[str, Any]:
    """Estimated against true effect per group, with the group's size."""
    truth, frame, group = data.truth, data.observed.frame, data.observed.roles.group
    assert truth.group_effects is not None
    est = fitted.group_effects()
    common = [g for g in truth.group_effects.index if g in est.index]
    counts = frame[group].value_counts()
    return {
        "group": [str(g) for g in common],
        "true": _r(truth.group_effects[common]),
        "estimate": _r(est[common]),
        "n": [int(counts.get(g, 0)) for g in common],
    }


def figure_data(data: CellData, fitted, capabilities: Capabilities) -> dict[str, Any]:
    """Every figure's arrays that the fitted's capabilities and the truth allow, by figure name."""
    truth, roles = data.truth, data.observed.roles
    out: dict[str, Any] = {}
    x = _single_float_covariate(data)
    if capabilities.conditional and x is not None:
        out["conditional"] = _conditional(data, fitted, x)
        out["samples"] = _samples(data, fitted, x)
    if capabilities.joint and truth.sample_rows is not None:
        joint = _joint_samples(data, fitted)
        if joint is not None:
            out["joint_samples"] = joint
    if capabilities.potential_outcomes and roles.treatment is not None and truth.mu0 is not None:
        if roles.unit and roles.time:
            out["panel_paths"] = _panel_paths(data, fitted)
        else:
            out["ite"] = _ite(data, fitted)
    if capabilities.variance_components and truth.group_effects is not None and roles.group:
        out["group_effects"] = _group_effects(data, fitted)
    return out
