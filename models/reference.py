"""Reference estimators: the analyses a researcher would run, correctly specified where the
generator is built for them -- ``ols``, ``twfe`` and ``mixedlm`` (statsmodels).

Models whose every capability needs a role refuse data without it in ``supports``. The
naive baselines every score is normalised against live in :mod:`.baselines`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dgpbench.generators import analyses
from dgpbench.generators.base import Observed, Roles, coefficient_table
from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.linear import (
    ConstantSdNormal,
    TableCoefficients,
    coef_names,
    columns_of,
    floored,
    linear_problem,
    treatment_problem,
)
from dgpbench.models.outcomes import SetTreatment

# --------------------------------------------------------------------------- ols


class OLSFitted(Fitted, TableCoefficients):
    def __init__(self, table: pd.DataFrame):
        self._table = table


class OLS(Model):
    """Ordinary least squares of the outcome on covariates (and treatment), HC1 intervals.

    Only coefficients: its conditional and counterfactual faces would duplicate the naive
    ``linear_gaussian`` and ``s_learner``; here it is the canonical analysis of plain data."""

    name = "ols"
    description = "OLS of the outcome on covariates (+ treatment) with HC1 robust intervals"
    capabilities = Capabilities(coefficients=True)

    def supports(self, observed: Observed) -> tuple[bool, str]:
        problem = linear_problem(observed)
        return not problem, problem

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        roles, inputs = observed.roles, observed.roles.inputs()
        names = {"const": "intercept", **dict(zip(inputs, coef_names(inputs, roles.treatment)))}
        return OLSFitted(analyses.ols_hc1(observed.frame, roles.outcome, inputs, names))


# --------------------------------------------------------------------------- twfe


class TWFEFitted(Fitted, ConstantSdNormal, SetTreatment, TableCoefficients):
    """y = unit effect + period effect + inputs @ beta; a unit or period unseen in fitting
    gets the average effect (the model knows nothing more of it)."""

    def __init__(
        self,
        roles: Roles,
        effects: tuple[pd.Index, np.ndarray, pd.Index, np.ndarray],
        columns: list[str],
        beta: np.ndarray,
        table: pd.DataFrame,
        sigma: float,
    ):
        self._unit, self._time, self._treatment = roles.required("unit"), roles.required("time"), roles.treatment
        self._units, self._unit_fx, self._periods, self._period_fx = effects
        self._cols, self._beta = columns, beta
        self._table, self._sigma = table, sigma

    @staticmethod
    def _lookup(index: pd.Index, effects: np.ndarray, labels: pd.Series) -> np.ndarray:
        pos = index.get_indexer(labels)
        return np.where(pos >= 0, effects[pos], effects.mean())

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        columns_of(X, [self._unit, self._time])
        return (
            self._lookup(self._units, self._unit_fx, X[self._unit])
            + self._lookup(self._periods, self._period_fx, X[self._time])
            + columns_of(X, self._cols) @ self._beta
        )


class TWFE(Model):
    """Two-way fixed-effects difference in differences: y ~ d + covariates + unit FE + period FE.

    The coefficients are the generator layer's canonical TWFE analysis (effects swept out,
    no dummy columns; unit-clustered CR1 intervals equal to the dummy regression's), so the
    model and the efficiency yardstick can never disagree. The unit and period effects are
    then recovered from y - X @ beta by the same sweep, for predictions. ``tau`` is the ATT
    under a constant effect and parallel trends. Covariates must vary within units and periods.

    Without a treatment role (a panel's ``pre_period`` framing: fitted on the rows not yet
    treated) it is y ~ covariates + unit FE + period FE, and its mean for a post-adoption row
    is the forecast of Y(0): the unit's effect from its own pre-adoption rows, the period's
    from the units not (yet) treated then -- the imputation estimator's first step
    (Borusyak, Jaravel & Spiess 2024)."""

    name = "twfe"
    description = "two-way fixed-effects DID (unit and period effects, unit-clustered intervals)"
    capabilities = Capabilities(conditional=True, log_density=True, potential_outcomes=True, coefficients=True)

    def supports(self, observed: Observed) -> tuple[bool, str]:
        roles = observed.roles
        missing = [r for r in ("unit", "time") if getattr(roles, r) is None]
        if missing:
            return False, f"needs unit and time roles; this data lacks {', '.join(missing)}"
        problem = linear_problem(observed) or (treatment_problem(observed) if roles.treatment else "")
        return not problem, problem

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        roles, frame = observed.roles, observed.frame
        treatment, unit, time = roles.treatment, roles.required("unit"), roles.required("time")
        table = analyses.twfe(frame, roles.outcome, treatment, list(roles.covariates), unit, time)
        cols, beta = [*([treatment] if treatment else []), *roles.covariates], table["estimate"].to_numpy()
        unit_codes, units = pd.factorize(frame[unit], sort=True)
        time_codes, periods = pd.factorize(frame[time], sort=True)
        r = observed.y - columns_of(frame, cols) @ beta
        resid, unit_fx, period_fx = analyses.two_way_sweep(r[:, None], unit_codes, time_codes, len(units), len(periods))
        dof = max(len(frame) - len(cols) - len(units) - len(periods) + 1, 1)
        sigma = floored(np.sqrt(resid[:, 0] @ resid[:, 0] / dof), observed.y)
        effects = (pd.Index(units), unit_fx[:, 0], pd.Index(periods), period_fx[:, 0])
        return TWFEFitted(roles, effects, cols, beta, table, sigma)


# --------------------------------------------------------------------------- mixedlm


class MixedLMFitted(Fitted, ConstantSdNormal, TableCoefficients):
    """y = inputs @ beta + b[group] + e. A group seen in fitting uses its BLUP and the
    residual sd; an unseen group has effect 0 and the marginal sd sqrt(group² + residual²)."""

    def __init__(
        self,
        group: str,
        columns: tuple[str, ...],
        params: np.ndarray,
        table: pd.DataFrame,
        components: dict[str, float],
        effects: pd.Series,
    ):
        self._group, self._cols, self._params = group, columns, params
        self._table, self._components, self._effects = table, components, effects
        self._sigma = components["residual_sd"]

    def _effect(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Each row's group effect and whether its group was seen in fitting (labels of any
        type: iris's species are strings)."""
        if self._group not in X.columns:
            columns_of(X, [self._group])  # the error naming the missing column
        pos = self._effects.index.get_indexer(X[self._group])
        return np.where(pos >= 0, self._effects.to_numpy()[pos], 0.0), pos >= 0

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self._params[0] + columns_of(X, self._cols) @ self._params[1:] + self._effect(X)[0]

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        marginal = np.hypot(self._components["group_sd"], self._sigma)
        return np.where(self._effect(X)[1], self._sigma, marginal)

    def variance_components(self) -> dict[str, float]:
        return dict(self._components)

    def group_effects(self) -> pd.Series:
        return self._effects.copy()


class MixedLM(Model):
    """Random-intercept linear mixed model y ~ inputs + (1 | group), fitted by REML
    (statsmodels MixedLM); on radon_mn it reproduces the published reference fit."""

    name = "mixedlm"
    description = "REML linear mixed model with a random intercept per group (statsmodels)"
    capabilities = Capabilities(conditional=True, log_density=True, coefficients=True, variance_components=True)

    def supports(self, observed: Observed) -> tuple[bool, str]:
        if observed.roles.group is None:
            return False, "needs a group role; this data has none"
        problem = linear_problem(observed)
        if problem:
            return False, problem
        y = observed.fit_view().y
        if np.all(y == np.round(y)):
            return False, f"needs a continuous outcome; {observed.roles.outcome!r} takes only whole values"
        return True, ""

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        roles, frame = observed.roles, observed.frame
        group = roles.required("group")
        columns = tuple(roles.inputs())
        res = analyses.reml(frame, roles.outcome, list(columns), group)
        params = np.asarray(res.fe_params)
        names = ["intercept", *coef_names(columns, roles.treatment)]
        table = coefficient_table(names, params, np.asarray(res.bse_fe))
        components = analyses.reml_variance_components(res)
        components["residual_sd"] = floored(components["residual_sd"], observed.y)
        effects = pd.Series(
            {g: float(np.asarray(v)[0]) for g, v in res.random_effects.items()}, name=group
        ).sort_index()
        return MixedLMFitted(group, columns, params, table, components, effects)
