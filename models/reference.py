"""Reference estimators (statsmodels) and the naive baselines every score is normalised against.

Reference estimators are the analyses a researcher would run, correctly specified where the
generator is built for them: ``ols``, ``twfe`` and ``mixedlm``. The naive baselines are the
"0" of every normalised score: ``linear_gaussian`` (ignores units and groups, offers every
capability), ``diff_in_means`` and ``s_learner``.

Optional roles: ``linear_gaussian`` serves data without a treatment or group (it is the
baseline of every face); there ``mu0``/``mu1`` raise a ValueError naming the missing role
(the harness asks for potential outcomes only when ``roles.treatment`` is set) and
``group_effects`` is empty. Models whose every capability needs a role refuse data without
it in ``supports``. Gaussian sds are floored at ``_SD_FLOOR`` times the outcome's sd, so a
perfect fit (the noise-free panel) still gives finite log-densities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import norm
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from dgpbench.generators import analyses
from dgpbench.generators.base import Observed, coefficient_table
from dgpbench.models.base import Capabilities, Fitted, Model

_SD_FLOOR = 1e-9


# --------------------------------------------------------------------------- data checks


def _numeric_problem(frame: pd.DataFrame, columns: list[str]) -> str:
    """Why these columns cannot enter a linear model ('' when they all can)."""
    for c in columns:
        if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])):
            return f"column {c!r} is not numeric ({frame[c].dtype})"
        if frame[c].isna().any():
            return f"column {c!r} has missing values"
    return ""


def _linear_problem(observed: Observed) -> str:
    """Why a regression of the outcome on the inputs cannot be fitted ('' when it can)."""
    view = observed.fit_view()
    problem = _numeric_problem(view.frame, [observed.roles.outcome, *observed.roles.inputs()])
    if problem:
        return problem
    if len(view.frame) <= len(observed.roles.inputs()) + 1:
        return f"{len(view.frame)} fitting rows are too few for {len(observed.roles.inputs()) + 1} coefficients"
    return ""


def _treatment_problem(observed: Observed) -> str:
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


def _columns(X: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> np.ndarray:
    """The named columns of ``X`` as a float matrix, or a ValueError naming those missing."""
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(f"rows lack the column(s) {missing} the model was fitted on")
    return X[list(columns)].to_numpy(dtype=float)


def _coef_names(columns, treatment: str | None) -> list[str]:
    """Shared coefficient names: the treatment is ``tau``, the rest keep their column name."""
    return ["tau" if c == treatment else c for c in columns]


def _floored(sigma: float, y: np.ndarray) -> float:
    return max(float(sigma), _SD_FLOOR * (float(np.std(y)) or 1.0))


# --------------------------------------------------------------------------- shared fitted parts


class _Table:
    """Coefficients capability from a precomputed table."""

    _table: pd.DataFrame

    def coefficients(self) -> pd.DataFrame:
        return self._table.copy()


class _Gaussian(Fitted):
    """y | x ~ Normal(mean(X), sd(X)): sd, samples and log-density shared by every Gaussian
    model here. Subclasses give ``mean`` and set ``_sigma`` (or override ``sd``)."""

    _sigma: float

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self._sigma)

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        m, s = self.mean(X), self.sd(X)
        return m[:, None] + s[:, None] * rng.standard_normal((len(X), int(n_samples)))

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        return norm.logpdf(np.asarray(y, float), self.mean(X), self.sd(X))


class _SetTreatment:
    """Potential outcomes of a model whose mean takes the treatment as an input: the mean with
    the treatment set to 0 (mu0) or 1 (mu1), whatever treatment the rows received."""

    _treatment: str | None

    def _assigned(self, X: pd.DataFrame, value: int) -> pd.DataFrame:
        if self._treatment is None:
            raise ValueError("potential outcomes need a treatment role; the fitted data had none")
        return X.assign(**{self._treatment: value})

    def mu0(self, X: pd.DataFrame) -> np.ndarray:
        return self.mean(self._assigned(X, 0))

    def mu1(self, X: pd.DataFrame) -> np.ndarray:
        return self.mean(self._assigned(X, 1))


@dataclass(frozen=True)
class _Linear:
    """intercept + inputs @ slopes by statsmodels OLS, classical (homoscedastic) intervals."""

    columns: tuple[str, ...]
    params: np.ndarray  # intercept first
    table: pd.DataFrame
    sigma: float

    @classmethod
    def fit(cls, observed: Observed) -> _Linear:
        roles = observed.roles
        columns = tuple(roles.inputs())
        design = sm.add_constant(_columns(observed.frame, columns), has_constant="add")
        res = sm.OLS(observed.y, design).fit()
        names = ["intercept", *_coef_names(columns, roles.treatment)]
        sigma = _floored(np.sqrt(res.scale), observed.y)
        return cls(columns, np.asarray(res.params), coefficient_table(names, res.params, res.bse), sigma)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.params[0] + _columns(X, self.columns) @ self.params[1:]


# --------------------------------------------------------------------------- ols


class OLSFitted(Fitted, _Table):
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
        problem = _linear_problem(observed)
        return not problem, problem

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        roles, inputs = observed.roles, observed.roles.inputs()
        names = {"const": "intercept", **dict(zip(inputs, _coef_names(inputs, roles.treatment)))}
        return OLSFitted(analyses.ols_hc1(observed.frame, roles.outcome, inputs, names))


# --------------------------------------------------------------------------- twfe


def _two_way_effects(
    r: np.ndarray, units: np.ndarray, periods: np.ndarray, tol: float = 1e-11, max_sweeps: int = 10_000
) -> tuple[np.ndarray, np.ndarray]:
    """Unit and period effects a, g with r ~ a[units] + g[periods] (least squares), by
    alternating group means: one sweep on a balanced panel, a few on an unbalanced one."""
    unit_n, period_n = np.bincount(units), np.bincount(periods)
    a, g = np.zeros(len(unit_n)), np.zeros(len(period_n))
    scale = max(float(np.abs(r).max()), 1.0)
    for _ in range(max_sweeps):
        da = np.bincount(units, r - a[units] - g[periods], len(unit_n)) / unit_n
        a += da
        dg = np.bincount(periods, r - a[units] - g[periods], len(period_n)) / period_n
        g += dg
        if max(np.abs(da).max(), np.abs(dg).max()) <= tol * scale:
            return a, g
    raise RuntimeError("two-way fixed effects did not converge (is the panel disconnected?)")


class TWFEFitted(_Gaussian, _SetTreatment, _Table):
    """y = unit effect + period effect + inputs @ beta; a unit or period unseen in fitting
    gets the average effect (the model knows nothing more of it)."""

    def __init__(self, roles, units: pd.Index, periods: pd.Index, unit_fx, period_fx, columns, beta, table, sigma):
        self._unit, self._time, self._treatment = roles.unit, roles.time, roles.treatment
        self._units, self._periods = units, periods
        self._unit_fx, self._period_fx = unit_fx, period_fx
        self._cols, self._beta = columns, beta
        self._table, self._sigma = table, sigma

    @staticmethod
    def _lookup(index: pd.Index, effects: np.ndarray, labels: pd.Series) -> np.ndarray:
        pos = index.get_indexer(labels)
        return np.where(pos >= 0, effects[pos], effects.mean())

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        _columns(X, [self._unit, self._time])
        return (
            self._lookup(self._units, self._unit_fx, X[self._unit])
            + self._lookup(self._periods, self._period_fx, X[self._time])
            + _columns(X, self._cols) @ self._beta
        )


class TWFE(Model):
    """Two-way fixed-effects difference in differences: y ~ d + covariates + unit FE + period FE.

    The coefficients are the generator layer's canonical TWFE analysis (effects swept out,
    no dummy columns; unit-clustered CR1 intervals equal to the dummy regression's), so the
    model and the efficiency yardstick can never disagree. The unit and period effects are
    then recovered from y - X @ beta for predictions. ``tau`` is the ATT under a constant
    effect and parallel trends. Covariates must vary within units and periods."""

    name = "twfe"
    description = "two-way fixed-effects DID (unit and period effects, unit-clustered intervals)"
    capabilities = Capabilities(conditional=True, log_density=True, potential_outcomes=True, coefficients=True)

    def supports(self, observed: Observed) -> tuple[bool, str]:
        roles = observed.roles
        missing = [r for r in ("unit", "time", "treatment") if getattr(roles, r) is None]
        if missing:
            return False, f"needs unit, time and treatment roles; this data lacks {', '.join(missing)}"
        problem = _linear_problem(observed) or _treatment_problem(observed)
        return not problem, problem

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        roles, frame = observed.roles, observed.frame
        table = analyses.twfe(frame, roles.outcome, roles.treatment, list(roles.covariates), roles.unit, roles.time)
        cols, beta = [roles.treatment, *roles.covariates], table["estimate"].to_numpy()
        unit_codes, units = pd.factorize(frame[roles.unit], sort=True)
        time_codes, periods = pd.factorize(frame[roles.time], sort=True)
        r = observed.y - _columns(frame, cols) @ beta
        unit_fx, period_fx = _two_way_effects(r, unit_codes, time_codes)
        resid = r - unit_fx[unit_codes] - period_fx[time_codes]
        dof = max(len(frame) - len(cols) - len(units) - len(periods) + 1, 1)
        sigma = _floored(np.sqrt(resid @ resid / dof), observed.y)
        return TWFEFitted(roles, pd.Index(units), pd.Index(periods), unit_fx, period_fx, cols, beta, table, sigma)


# --------------------------------------------------------------------------- mixedlm


class MixedLMFitted(_Gaussian, _Table):
    """y = inputs @ beta + b[group] + e. A group seen in fitting uses its BLUP and the
    residual sd; an unseen group has effect 0 and the marginal sd sqrt(group² + residual²)."""

    def __init__(self, group: str, columns, params, table, components, effects: pd.Series):
        self._group, self._cols, self._params = group, columns, params
        self._table, self._components, self._effects = table, components, effects
        self._sigma = components["residual_sd"]

    def _effect(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Each row's group effect and whether its group was seen in fitting."""
        _columns(X, [self._group])
        pos = self._effects.index.get_indexer(X[self._group])
        return np.where(pos >= 0, self._effects.to_numpy()[pos], 0.0), pos >= 0

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self._params[0] + _columns(X, self._cols) @ self._params[1:] + self._effect(X)[0]

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
        problem = _linear_problem(observed)
        if problem:
            return False, problem
        y = observed.fit_view().y
        if np.all(y == np.round(y)):
            return False, f"needs a continuous outcome; {observed.roles.outcome!r} takes only whole values"
        return True, ""

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        roles, frame = observed.roles, observed.frame
        columns = tuple(roles.inputs())
        res = analyses.reml(frame, roles.outcome, list(columns), roles.group)
        params = np.asarray(res.fe_params)
        names = ["intercept", *_coef_names(columns, roles.treatment)]
        table = coefficient_table(names, params, np.asarray(res.bse_fe))
        components = analyses.reml_variance_components(res)
        components["residual_sd"] = _floored(components["residual_sd"], observed.y)
        effects = pd.Series(
            {g: float(np.asarray(v)[0]) for g, v in res.random_effects.items()}, name=roles.group
        ).sort_index()
        return MixedLMFitted(roles.group, columns, params, table, components, effects)


# --------------------------------------------------------------------------- naive baselines


class SLearnerFitted(_Gaussian, _SetTreatment):
    def __init__(self, linear: _Linear, treatment: str | None):
        self._linear, self._treatment, self._sigma = linear, treatment, linear.sigma

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self._linear.predict(X)


class SLearner(Model):
    """S-learner with a linear base learner: one regression of y on covariates and treatment;
    potential outcomes set the treatment to 0 or 1. Its effect is constant by construction."""

    name = "s_learner"
    description = "naive S-learner: linear regression on covariates and treatment"
    capabilities = Capabilities(conditional=True, log_density=True, potential_outcomes=True)

    def supports(self, observed: Observed) -> tuple[bool, str]:
        problem = _treatment_problem(observed) or _linear_problem(observed)
        return not problem, problem

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return SLearnerFitted(_Linear.fit(observed), observed.roles.treatment)


class LinearGaussianFitted(SLearnerFitted, _Table):
    """The homoscedastic linear Gaussian of every face: pooled coefficients, complete-pooling
    variance components, and a multivariate normal over the numeric role columns."""

    def __init__(self, linear: _Linear, observed: Observed):
        super().__init__(linear, observed.roles.treatment)
        self._table = linear.table
        frame, group = observed.frame, observed.roles.group
        self._joint_cols = [c for c in observed.roles.columns() if not _numeric_problem(frame, [c])]
        joint = frame[self._joint_cols]
        self._joint_mean = joint.to_numpy(float).mean(axis=0)
        self._joint_cov = np.atleast_2d(np.cov(joint.to_numpy(float), rowvar=False))
        self._whole = {
            c: (joint[c].dtype, joint[c].min(), joint[c].max())
            for c in self._joint_cols
            if pd.api.types.is_integer_dtype(joint[c]) or pd.api.types.is_bool_dtype(joint[c])
        }
        labels = np.unique(frame[group]) if group is not None else []
        self._effects = pd.Series(0.0, index=pd.Index(labels), name=group)

    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """Draws of the fitted normal; integer (and 0/1) columns rounded into their observed range."""
        draws = rng.multivariate_normal(self._joint_mean, self._joint_cov, size=int(n), method="eigh")
        out = pd.DataFrame(draws, columns=self._joint_cols)
        for c, (dtype, lo, hi) in self._whole.items():
            out[c] = np.clip(np.round(out[c]), lo, hi).astype(dtype)
        return out

    def variance_components(self) -> dict[str, float]:
        return {"group_sd": 0.0, "residual_sd": self._sigma}

    def group_effects(self) -> pd.Series:
        return self._effects.copy()


class LinearGaussian(Model):
    """The naive baseline of every face: y | inputs ~ Normal(linear mean, constant sd),
    ignoring units and groups. Offers every capability; on data without a treatment its
    potential outcomes raise a ValueError (the harness does not ask for them there)."""

    name = "linear_gaussian"
    description = "naive baseline: homoscedastic linear Gaussian ignoring units and groups"
    capabilities = Capabilities(
        conditional=True,
        log_density=True,
        joint=True,
        potential_outcomes=True,
        coefficients=True,
        variance_components=True,
    )

    def supports(self, observed: Observed) -> tuple[bool, str]:
        problem = _linear_problem(observed)
        return not problem, problem

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return LinearGaussianFitted(_Linear.fit(observed), observed)


class DiffInMeansFitted(Fitted, _Table):
    def __init__(self, mean0: float, mean1: float, table: pd.DataFrame):
        self._mean0, self._mean1, self._table = mean0, mean1, table

    def mu0(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self._mean0)

    def mu1(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self._mean1)


class DiffInMeans(Model):
    """Difference in outcome means between the arms, blind to covariates: unbiased under
    randomisation, confounded otherwise. Welch (unequal variance) t interval for tau."""

    name = "diff_in_means"
    description = "naive baseline: difference in mean outcome between treated and control"
    capabilities = Capabilities(potential_outcomes=True, coefficients=True)

    def supports(self, observed: Observed) -> tuple[bool, str]:
        problem = _treatment_problem(observed) or _numeric_problem(observed.frame, [observed.roles.outcome])
        return not problem, problem

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        y, t = observed.y, observed.frame[observed.roles.treatment].to_numpy()
        arms = CompareMeans(DescrStatsW(y[t == 1]), DescrStatsW(y[t == 0]))
        mean0, mean1 = float(y[t == 0].mean()), float(y[t == 1].mean())
        table = coefficient_table(["tau"], [mean1 - mean0], [arms.std_meandiff_separatevar])
        table[["lower", "upper"]] = [arms.tconfint_diff(alpha=0.05, usevar="unequal")]
        return DiffInMeansFitted(mean0, mean1, table)
