"""Small arrays for the report's pictures, computed in the worker beside the scores.

Reports only read the store, so everything a figure needs is saved here: curves on a grid,
a few hundred samples, per-period panel means, group effects, individual effects. Each
entry is plain lists (JSON), a few kilobytes at most.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dgpbench.benchmarks.scoring import CellData
from dgpbench.models.base import Capabilities

MAX_POINTS = 400


def _r(a) -> list:
    return [None if not np.isfinite(v) else round(float(v), 5) for v in np.asarray(a, float)]


def _subsample(n: int, seed: int) -> np.ndarray:
    idx = np.arange(n)
    if n > MAX_POINTS:
        idx = np.sort(np.random.default_rng([seed, 7]).choice(n, MAX_POINTS, replace=False))
    return idx


def curves(data: CellData, fitted, caps: Capabilities) -> dict:
    obs, truth, roles = data.observed, data.truth, data.observed.roles
    out: dict = {}
    single_x = (
        len(roles.covariates) == 1
        and roles.treatment is None
        and roles.group is None
        and pd.api.types.is_float_dtype(obs.frame[roles.covariates[0]])
    )
    if caps.conditional and single_x:
        x = roles.covariates[0]
        lo, hi = obs.frame[x].min(), obs.frame[x].max()
        grid = pd.DataFrame({x: np.linspace(lo, hi, 60)})
        out["conditional"] = {
            "x": _r(grid[x]),
            "mean": _r(fitted.mean(grid)),
            "sd": _r(fitted.sd(grid)),
            "true_mean": _r(truth.mean(grid)) if truth.mean else None,
            "true_sd": _r(truth.sd(grid)) if truth.sd else None,
            "xlabel": x,
        }
        mask = data.eval_mask
        idx = _subsample(int(mask.sum()), data.seed)
        X = data.features(mask).iloc[idx]
        rng = np.random.default_rng([data.seed, 11])
        out["samples"] = {
            "x": _r(X[x]),
            "y_true": _r(obs.frame.loc[mask, roles.outcome].to_numpy()[idx]),
            "y_model": _r(np.asarray(fitted.sample(X, 1, rng))[:, 0]),
            "xlabel": x,
            "ylabel": roles.outcome,
        }
    if caps.joint and truth.sample_rows is not None:
        rng = np.random.default_rng([data.seed, 13])
        model_rows = fitted.sample_rows(MAX_POINTS, rng)
        truth_rows = truth.sample_rows(MAX_POINTS, rng)
        cols = [c for c in roles.columns() if c in model_rows and c in truth_rows][:2]
        if len(cols) == 2:
            out["joint_samples"] = {
                "columns": cols,
                "model": [_r(model_rows[c]) for c in cols],
                "truth": [_r(truth_rows[c]) for c in cols],
            }
    has_po = caps.potential_outcomes and roles.treatment is not None and truth.mu0 is not None
    if has_po and roles.unit and roles.time:
        frame = obs.frame
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
        out["panel_paths"] = {
            "t": _r(g.index),
            "observed": _r(g["observed"]),
            "true_y0": _r(g["true_y0"]),
            "predicted_y0": _r(g["predicted_y0"]),
            "adoption": None if first is None else float(first),
        }
    elif has_po:
        mask = data.eval_mask
        X = data.features(mask)
        idx = _subsample(int(mask.sum()), data.seed)
        ite_hat = np.asarray(fitted.mu1(X), float) - np.asarray(fitted.mu0(X), float)
        ite = truth.mu1[mask] - truth.mu0[mask]
        out["ite"] = {"true": _r(ite[idx]), "predicted": _r(ite_hat[idx])}
    if caps.variance_components and truth.group_effects is not None and roles.group:
        est = fitted.group_effects()
        common = [g for g in truth.group_effects.index if g in est.index]
        counts = obs.frame[roles.group].value_counts()
        out["group_effects"] = {
            "group": [str(g) for g in common],
            "true": _r(truth.group_effects[common]),
            "estimate": _r(est[common]),
            "n": [int(counts.get(g, 0)) for g in common],
        }
    return out
