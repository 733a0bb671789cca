"""What the metrics read: one generator draw (:class:`CellData`) and, per fitted object, the
arrays scored on it (:class:`ScoringContext`).

Both only hand out arrays and named random streams; the formulas live in the metrics. Each
array is computed once per object (``functools.cached_property``, the one cache of both),
so the metrics that share samples or predictions do not redraw them. A random stream is
named by its purpose and derived from the cell's seed alone, which is what makes the
model, the oracle and the naive baselines see the very same draws.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from dgpbench.generators.base import Generator, Observed, Truth
from dgpbench.models.base import Capabilities

N_SAMPLES = 200  # conditional samples per row for CRPS and PIT
N_JOINT = 1000  # synthetic rows for the energy distance and sample-based coefficients

CoefficientTable = dict[str, dict[str, float]]  # name -> estimate, se, lower, upper


@dataclass
class CellData:
    """One generator draw, shared by the model, oracle and naive contexts of a cell."""

    generator: Generator
    observed: Observed
    truth: Truth
    seed: int

    def rng(self, purpose: str) -> np.random.Generator:
        """A fresh stream per (cell seed, purpose): the same for every fitted object of the cell."""
        return np.random.default_rng([self.seed, zlib.crc32(purpose.encode())])

    @property
    def outcome_is_discrete(self) -> bool:
        """Integer-typed outcome (Bernoulli, Poisson): log-likelihoods would be masses."""
        col = self.observed.frame[self.observed.roles.outcome]
        return pd.api.types.is_integer_dtype(col) or pd.api.types.is_bool_dtype(col)

    @property
    def eval_mask(self) -> np.ndarray:
        """Held-out test rows where the generator has them, otherwise every row."""
        test = self.observed.mask("test")
        return test if test.any() else np.ones(len(self.observed.frame), bool)

    @cached_property
    def y_eval(self) -> np.ndarray:
        """Outcomes the conditional distribution is scored on, never the ones it was fitted to.

        Held-out test rows where the generator has them; otherwise (a panel, a hierarchy: a
        fixed design) fresh outcomes drawn from the truth for the same rows; real data
        without either falls back to the observed outcomes (in-sample).
        """
        mask = self.eval_mask
        if self.observed.mask("test").any() or self.truth.sample_y is None:
            return self.observed.frame.loc[mask, self.observed.roles.outcome].to_numpy(float)
        return np.asarray(self.truth.sample_y(self.features(mask), self.rng("fresh-outcomes")), float)

    def features(self, mask: np.ndarray) -> pd.DataFrame:
        """Rows without the outcome, keeping the frame's index (the oracle looks rows up by it)."""
        f = self.observed.frame
        return f.loc[mask, [c for c in f.columns if c != self.observed.roles.outcome]]

    @cached_property
    def n_fit_rows(self) -> int:
        """Rows a model is fitted on: the size of a synthetic data set re-analysed like the real one."""
        return len(self.observed.fit_view().frame)

    @cached_property
    def canonical(self) -> CoefficientTable | None:
        """The correctly specified analysis of the fitted rows: the efficiency yardstick."""
        fit_frame = self.observed.fit_view().frame
        return _table(self.generator.canonical_analysis(fit_frame, self.observed.roles), self.truth)


def _table(table: pd.DataFrame | None, truth: Truth) -> CoefficientTable | None:
    """The rows of a coefficient table that name a true coefficient (None when none does)."""
    if table is None or len(table) == 0:
        return None
    rows = {
        r["name"]: {k: float(r[k]) for k in ("estimate", "se", "lower", "upper") if k in r}
        for r in table.to_dict("records")
        if r["name"] in truth.coefficients
    }
    return rows or None


class ScoringContext:
    """The arrays the metrics score for one fitted object (model, oracle or naive baseline)."""

    def __init__(self, data: CellData, fitted: Any, capabilities: Capabilities, role: str):
        self.data = data
        self.fitted = fitted
        self.capabilities = capabilities
        self.role = role  # model | oracle | naive:<name>
        self.truth = data.truth
        self.X_eval = data.features(data.eval_mask)
        self.y_eval = data.y_eval

    def rng(self, purpose: str) -> np.random.Generator:
        return self.data.rng(purpose)

    @cached_property
    def samples(self) -> np.ndarray:
        """Draws of y | x per evaluation row, shape (rows, m): ``N_SAMPLES``, or fewer where
        the fitted keeps fewer per row (``n_samples``: a sampler whose draws cost a chain
        each) -- the metrics read from samples are unbiased at any count (the fair CRPS, the
        randomised PIT and the coverage from it), so fewer draws cost precision, not bias."""
        m = min(N_SAMPLES, int(getattr(self.fitted, "n_samples", N_SAMPLES)))
        s = np.asarray(self.fitted.sample(self.X_eval, m, self.rng("samples")), float)
        if s.shape != (len(self.X_eval), m):
            raise ValueError(f"sample() returned shape {s.shape}, expected {(len(self.X_eval), m)}")
        return s

    @cached_property
    def coefficients(self) -> CoefficientTable | None:
        """The model's coefficient table, or the canonical analysis re-run on its synthetic rows."""
        if self.capabilities.coefficients:
            return _table(self.fitted.coefficients(), self.truth)
        if self.capabilities.joint:
            rows = self.fitted.sample_rows(self.data.n_fit_rows, self.rng("joint-coef"))
            return _table(self.data.generator.canonical_analysis(rows, self.data.observed.roles), self.truth)
        return None

    @cached_property
    def _predicted_potential_outcomes(self) -> tuple[np.ndarray, np.ndarray]:
        X = self.data.features(np.ones(len(self.data.observed.frame), bool))
        return np.asarray(self.fitted.mu0(X), float), np.asarray(self.fitted.mu1(X), float)

    def potential_outcomes(
        self, part: str, treated_only: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """(mu0_hat, mu1_hat, mu0, mu1) on in-sample (``in``), held-out (``out``) or ``all`` rows.

        None where the data has no treatment or no true potential outcomes, or no such rows.
        """
        obs = self.data.observed
        if obs.roles.treatment is None or self.truth.mu0 is None or self.truth.mu1 is None:
            return None
        mask = {"in": obs.mask("train", "valid"), "out": obs.mask("test"), "all": np.ones(len(obs.frame), bool)}[part]
        if treated_only:
            mask = mask & (obs.frame[obs.roles.treatment].to_numpy() == 1)
        if not mask.any():
            return None
        m0, m1 = self._predicted_potential_outcomes
        return m0[mask], m1[mask], self.truth.mu0[mask], self.truth.mu1[mask]

    @cached_property
    def y0_forecast(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """(forecast, mu0, y1, mu1) on the held-out rows of a forecast framing: data without a
        treatment role whose truth has potential outcomes (a panel fitted on its rows not yet
        treated), where the model's conditional mean of a held-out row is its forecast of
        Y(0) there. None for any other data."""
        obs, truth = self.data.observed, self.truth
        if obs.roles.treatment is not None or truth.mu0 is None or truth.mu1 is None or truth.y1 is None:
            return None
        held_out = obs.mask("test")
        if not held_out.any():
            return None
        forecast = np.asarray(self.fitted.mean(self.data.features(held_out)), float)
        return forecast, truth.mu0[held_out], truth.y1[held_out], truth.mu1[held_out]

    @cached_property
    def joint_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(model rows, truth rows): up to ``N_JOINT`` synthetic and fresh true rows on the
        numeric columns of the roles both have, in their original units."""
        draw_truth = self.truth.sample_rows
        if draw_truth is None:
            raise ValueError("the truth defines no sample_rows")
        n = min(N_JOINT, len(self.data.observed.frame))
        model_rows = self.fitted.sample_rows(n, self.rng("joint-model"))
        truth_rows = draw_truth(n, self.rng("joint-truth"))
        cols = [
            c
            for c in self.data.observed.roles.columns()
            if c in model_rows and c in truth_rows and pd.api.types.is_numeric_dtype(truth_rows[c])
        ]
        return model_rows[cols].to_numpy(float), truth_rows[cols].to_numpy(float)
