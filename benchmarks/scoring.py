"""Which metrics apply to a (generator data, fitted model) pair, and their values.

The model, the oracle (truth wrapped as a fitted model) and the naive baselines all go
through :func:`evaluate`, which is what gives every metric its floor and its normalised
score. Nothing here knows a model by its name: only declared capabilities count.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dgpbench.benchmarks.metrics import Metric
from dgpbench.generators.base import Generator, Observed, Truth
from dgpbench.models.base import Capabilities

N_SAMPLES = 200  # conditional samples per row for CRPS and PIT
N_JOINT = 1000  # synthetic rows for the energy distance and sample-based coefficients


@dataclass
class CellData:
    """One generator draw, shared by the model, oracle and naive contexts of a cell."""

    generator: Generator
    observed: Observed
    truth: Truth
    seed: int
    _cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

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

    @property
    def y_eval(self) -> np.ndarray:
        """Outcomes the conditional distribution is scored on, never the ones it was fitted to.

        Held-out test rows where the generator has them; otherwise (a panel, a hierarchy: a
        fixed design) fresh outcomes drawn from the truth for the same rows; real data
        without either falls back to the observed outcomes (in-sample).
        """

        def draw():
            mask = self.eval_mask
            if self.observed.mask("test").any() or self.truth.sample_y is None:
                return self.observed.frame.loc[mask, self.observed.roles.outcome].to_numpy(float)
            rng = np.random.default_rng([self.seed, zlib.crc32(b"fresh-outcomes")])
            return np.asarray(self.truth.sample_y(self.features(mask), rng), float)

        return self.cached("y_eval", draw)

    def features(self, mask: np.ndarray) -> pd.DataFrame:
        """Rows without the outcome, keeping the frame's index (the oracle looks rows up by it)."""
        f = self.observed.frame
        return f.loc[mask, [c for c in f.columns if c != self.observed.roles.outcome]]

    def canonical(self) -> dict[str, dict[str, float]] | None:
        return self.cached(
            "canonical",
            lambda: _table(
                self.generator.canonical_analysis(self.observed.fit_view().frame, self.observed.roles), self.truth
            ),
        )


def _table(table: pd.DataFrame | None, truth: Truth) -> dict[str, dict[str, float]] | None:
    if table is None or len(table) == 0:
        return None
    rows = {
        r["name"]: {k: float(r[k]) for k in ("estimate", "se", "lower", "upper") if k in r}
        for r in table.to_dict("records")
        if r["name"] in truth.coefficients
    }
    return rows or None


class ScoringContext:
    """Arrays a metric needs for one fitted object, each computed once."""

    def __init__(self, data: CellData, fitted: Any, capabilities: Capabilities, role: str):
        self.data = data
        self.fitted = fitted
        self.capabilities = capabilities
        self.role = role  # model | oracle | naive:<name>
        self.truth = data.truth
        mask = data.eval_mask
        self.X_eval = data.features(mask)
        self.y_eval = data.y_eval
        self._cache: dict[str, Any] = {}

    def cached(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def rng(self, purpose: str) -> np.random.Generator:
        """A stream per (cell seed, purpose): the same for model, oracle and naive."""
        return np.random.default_rng([self.data.seed, zlib.crc32(purpose.encode())])

    def samples(self) -> np.ndarray:
        def draw():
            s = np.asarray(self.fitted.sample(self.X_eval, N_SAMPLES, self.rng("samples")), float)
            if s.shape != (len(self.X_eval), N_SAMPLES):
                raise ValueError(f"sample() returned shape {s.shape}, expected {(len(self.X_eval), N_SAMPLES)}")
            return s

        return self.cached("samples", draw)

    def coefficients(self) -> dict[str, dict[str, float]] | None:
        """The model's coefficient table, or the canonical analysis re-run on its samples."""

        def get():
            if self.capabilities.coefficients:
                return _table(self.fitted.coefficients(), self.truth)
            if self.capabilities.joint:
                rows = self.fitted.sample_rows(len(self.data.observed.fit_view().frame), self.rng("joint-coef"))
                return _table(self.data.generator.canonical_analysis(rows, self.data.observed.roles), self.truth)
            return None

        return self.cached("coefficients", get)

    def efficiency(self, fn) -> dict[str, float] | None:
        mine, ref = self.coefficients(), self.data.canonical()
        if mine is None or ref is None:
            return None
        return {
            n: float(fn(mine[n]["estimate"], self.truth.coefficients[n], ref[n]["se"]))
            for n in mine
            if n in ref and ref[n].get("se", 0) > 0
        }

    def potential_outcomes(self, part: str, treated_only: bool = False):
        """(mu0_hat, mu1_hat, mu0, mu1) on in-sample, out-of-sample or all rows."""
        obs = self.data.observed
        if obs.roles.treatment is None or self.truth.mu0 is None or self.truth.mu1 is None:
            return None
        mask = {"in": obs.mask("train", "valid"), "out": obs.mask("test"), "all": np.ones(len(obs.frame), bool)}[part]
        if treated_only:
            mask = mask & (obs.frame[obs.roles.treatment].to_numpy() == 1)
        if not mask.any():
            return None

        def predict():
            X = self.data.features(np.ones(len(obs.frame), bool))
            return np.asarray(self.fitted.mu0(X), float), np.asarray(self.fitted.mu1(X), float)

        m0, m1 = self.cached("po", predict)
        return m0[mask], m1[mask], self.truth.mu0[mask], self.truth.mu1[mask]

    def energy(self, fn) -> float | None:
        roles = self.data.observed.roles
        n = min(N_JOINT, len(self.data.observed.frame))
        model_rows = self.fitted.sample_rows(n, self.rng("joint-model"))
        truth_rows = self.truth.sample_rows(n, self.rng("joint-truth"))
        cols = [
            c
            for c in roles.columns()
            if c in model_rows and c in truth_rows and pd.api.types.is_numeric_dtype(truth_rows[c])
        ]
        t = truth_rows[cols].to_numpy(float)
        mu, sd = t.mean(0), t.std(0)
        sd[sd == 0] = 1.0
        return fn((model_rows[cols].to_numpy(float) - mu) / sd, (t - mu) / sd)


def applicable(metric: Metric, capabilities: Capabilities, truth: Truth) -> bool:
    """A metric applies when the fitted offers one of its capabilities and the truth has its fields."""
    caps = set(capabilities.names())
    return bool(caps.intersection(metric.requires)) and all(truth.has(f) for f in metric.truth)


def evaluate(metrics: Iterable[Metric], ctx: ScoringContext) -> dict[str, float]:
    """Values of every applicable metric, flattened to ``name`` or ``name[key]``."""
    out: dict[str, float] = {}
    for m in metrics:
        if not applicable(m, ctx.capabilities, ctx.truth):
            continue
        value = m.evaluate(ctx)
        if value is None:
            continue
        items = value.items() if isinstance(value, dict) else [("", value)]
        for key, v in items:
            out[f"{m.name}[{key}]" if key else m.name] = float(v)
    return out


def base_name(metric_key: str) -> str:
    return metric_key.split("[", 1)[0]


def is_finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)
