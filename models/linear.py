"""What the reference estimators (:mod:`.reference`) and the naive baselines
(:mod:`.baselines`) share: the data checks behind their ``supports``, column access that
names what is missing, the OLS fit of the outcome on the inputs, and the fitted parts of a
Gaussian with one residual sd.

Gaussian sds are floored at ``SD_FLOOR`` times the outcome's sd, so a perfect fit (the
noise-free panel) still gives finite log-densities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from dgpbench.generators.base import Observed, coefficient_table
from dgpbench.models.outcomes import NormalOutcome

SD_FLOOR = 1e-9


# --------------------------------------------------------------------------- data checks


def numeric_problem(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """Why these columns cannot enter a linear model ('' when they all can)."""
    for c in columns:
        if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])):
            return f"column {c!r} is not numeric ({frame[c].dtype})"
        if frame[c].isna().any():
            return f"column {c!r} has missing values"
    return ""


def linear_problem(observed: Observed) -> str:
    """Why a regression of the outcome on the inputs cannot be fitted ('' when it can)."""
    view = observed.fit_view()
    problem = numeric_problem(view.frame, [observed.roles.outcome, *observed.roles.inputs()])
    if problem:
        return problem
    if len(view.frame) <= len(observed.roles.inputs()) + 1:
        return f"{len(view.frame)} fitting rows are too few for {len(observed.roles.inputs()) + 1} coefficients"
    return ""


def treatment_problem(observed: Observed) -> str:
    """Why the data has no usable binary treatment ('' when it has one with both arms)."""
    t = observed.roles.treatment
    if t is None:
        return "needs a treatment role; this data has none"
    values = observed.fit_view().frame[t]
    if not values.isin([0, 1]).all():
        return f"treatment {t!r} must be binary 0/1"
    counts = values.value_counts()
    if counts.get(0, 0) < 2 or counts.get(1, 0) < 2:
        return f"treatment {t!r} needs at least two fitting rows in each arm"
    return ""


# --------------------------------------------------------------------------- columns and names


def columns_of(X: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The named columns of ``X`` as a float matrix, or a ValueError naming those missing."""
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(f"rows lack the column(s) {missing} the model was fitted on")
    return X[list(columns)].to_numpy(dtype=float)


def coef_names(columns: Sequence[str], treatment: str | None) -> list[str]:
    """Shared coefficient names: the treatment is ``tau``, the rest keep their column name."""
    return ["tau" if c == treatment else c for c in columns]


def floored(sigma: float, y: np.ndarray) -> float:
    return max(float(sigma), SD_FLOOR * (float(np.std(y)) or 1.0))


# --------------------------------------------------------------------------- fitted parts


class TableCoefficients:
    """Coefficients capability from a precomputed table."""

    _table: pd.DataFrame

    def coefficients(self) -> pd.DataFrame:
        return self._table.copy()


class ConstantSdNormal(NormalOutcome):
    """y | x ~ Normal(mean(X), ``_sigma``); a subclass gives ``mean`` (or overrides ``sd``)."""

    _sigma: float

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self._sigma)


@dataclass(frozen=True)
class LinearFit:
    """intercept + inputs @ slopes by statsmodels OLS, classical (homoscedastic) intervals."""

    columns: tuple[str, ...]
    params: np.ndarray  # intercept first
    table: pd.DataFrame
    sigma: float

    @classmethod
    def fit(cls, observed: Observed) -> LinearFit:
        roles = observed.roles
        columns = tuple(roles.inputs())
        design = sm.add_constant(columns_of(observed.frame, columns), has_constant="add")
        res = sm.OLS(observed.y, design).fit()
        names = ["intercept", *coef_names(columns, roles.treatment)]
        sigma = floored(np.sqrt(res.scale), observed.y)
        return cls(columns, np.asarray(res.params), coefficient_table(names, res.params, res.bse), sigma)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.params[0] + columns_of(X, self.columns) @ self.params[1:]
