"""The naive baselines: the "0" of every normalised score (naive - model) / (naive - oracle).

``linear_gaussian`` ignores units and groups and offers every capability: it is the
baseline of every face. On data without a treatment or group its ``mu0``/``mu1`` raise a
ValueError naming the missing role (the harness asks for potential outcomes only when
``roles.treatment`` is set) and ``group_effects`` is empty. ``diff_in_means`` and
``s_learner`` are the naive answers to the counterfactual question; ``t_learner`` (one
regression per arm) is the simplest answer that lets the effect vary with the covariates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from dgpbench.generators.base import Observed, coefficient_table
from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.linear import (
    ConstantSdNormal,
    LinearFit,
    TableCoefficients,
    columns_of,
    floored,
    linear_problem,
    numeric_problem,
    treatment_problem,
)
from dgpbench.models.outcomes import NormalOutcome, SetTreatment


class SLearnerFitted(Fitted, ConstantSdNormal, SetTreatment):
    def __init__(self, linear: LinearFit, treatment: str | None):
        self._linear, self._treatment, self._sigma = linear, treatment, linear.sigma

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self._linear.predict(X)


class TreatmentRegression(Model):
    """Base of the learners that regress the outcome on covariates with a binary treatment."""

    def supports(self, observed: Observed) -> tuple[bool, str]:
        problem = treatment_problem(observed) or linear_problem(observed)
        return not problem, problem


class SLearner(TreatmentRegression):
    """S-learner with a linear base learner: one regression of y on covariates and treatment;
    potential outcomes set the treatment to 0 or 1. Its effect is constant by construction."""

    name = "s_learner"
    description = "naive S-learner: linear regression on covariates and treatment"
    capabilities = Capabilities(conditional=True, log_density=True, potential_outcomes=True)

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return SLearnerFitted(LinearFit.fit(observed), observed.roles.treatment)


class LinearGaussianFitted(SLearnerFitted, TableCoefficients):
    """The homoscedastic linear Gaussian of every face: pooled coefficients, complete-pooling
    variance components, and a multivariate normal over the numeric role columns."""

    def __init__(self, linear: LinearFit, observed: Observed):
        super().__init__(linear, observed.roles.treatment)
        self._table = linear.table
        frame, group = observed.frame, observed.roles.group
        self._joint_cols = [c for c in observed.roles.columns() if not numeric_problem(frame, [c])]
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
        problem = linear_problem(observed)
        return not problem, problem

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return LinearGaussianFitted(LinearFit.fit(observed), observed)


class DiffInMeansFitted(Fitted, TableCoefficients):
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
        problem = treatment_problem(observed) or numeric_problem(observed.frame, [observed.roles.outcome])
        return not problem, problem

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        y, t = observed.y, observed.frame[observed.roles.treatment].to_numpy()
        arms = CompareMeans(DescrStatsW(y[t == 1]), DescrStatsW(y[t == 0]))
        mean0, mean1 = float(y[t == 0].mean()), float(y[t == 1].mean())
        table = coefficient_table(["tau"], [mean1 - mean0], [arms.std_meandiff_separatevar])
        table[["lower", "upper"]] = [arms.tconfint_diff(alpha=0.05, usevar="unequal")]
        return DiffInMeansFitted(mean0, mean1, table)


class ArmRegression:
    """Least squares of y on an intercept and the covariates within one treatment arm; a
    covariate constant within the arm gets the minimum-norm coefficient, not an error."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        design = np.column_stack([np.ones(len(X)), X])
        self.coef, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
        resid = y - design @ self.coef
        self.sigma = floored(np.sqrt(resid @ resid / max(len(y) - rank, 1)), y)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.coef[0] + X @ self.coef[1:]


class TLearnerFitted(Fitted, NormalOutcome):
    """mu0 / mu1 from the control / treated regression; y | x, t from the arm the row received."""

    def __init__(self, covariates: list[str], treatment: str, arms: tuple[ArmRegression, ArmRegression]):
        self._covariates, self._treatment, self._arms = covariates, treatment, arms

    def _arm(self, X: pd.DataFrame) -> np.ndarray:
        return columns_of(X, [self._treatment])[:, 0] == 1

    def mu0(self, X: pd.DataFrame) -> np.ndarray:
        return self._arms[0].predict(columns_of(X, self._covariates))

    def mu1(self, X: pd.DataFrame) -> np.ndarray:
        return self._arms[1].predict(columns_of(X, self._covariates))

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return np.where(self._arm(X), self.mu1(X), self.mu0(X))

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.where(self._arm(X), self._arms[1].sigma, self._arms[0].sigma)


class TLearner(TreatmentRegression):
    """T-learner with linear base learners (Kuenzel et al. 2019): one regression of y on the
    covariates per arm, so the effect mu1 - mu0 varies with the covariates. Each arm's
    Gaussian has its own residual sd."""

    name = "t_learner"
    description = "T-learner: separate linear regressions of the outcome on covariates per arm"
    capabilities = Capabilities(conditional=True, log_density=True, potential_outcomes=True)

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        treatment = observed.roles.required("treatment")
        covariates = list(observed.roles.covariates)
        X, y = columns_of(observed.frame, covariates), observed.y
        treated = observed.frame[treatment].to_numpy() == 1
        arms = (ArmRegression(X[~treated], y[~treated]), ArmRegression(X[treated], y[treated]))
        return TLearnerFitted(covariates, treatment, arms)
