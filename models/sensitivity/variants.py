"""The broken variants: each a small subclass of a correct model whose ``_fit`` wraps the
correct fitted object in a :class:`Fitted` that breaks one thing.

A variant declares only the capabilities of the face its breakage concerns, so what it is
scored on is exactly what it breaks. The wrappers keep a model's samples, mean, sd and
density describing one distribution on the rows they are asked about, so the face catches
the breakage itself; the one exception is the permuted variant's density on a frame of a
different length, which the conformance density check declares as a known failure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dgpbench.generators.base import Observed
from dgpbench.generators.two_mode_mixture import NARROW_SD
from dgpbench.models.base import Capabilities, Coefficients, Fitted, Model, PotentialOutcomes
from dgpbench.models.baselines import TLearner
from dgpbench.models.linear import TableCoefficients, columns_of
from dgpbench.models.outcomes import NormalOutcome
from dgpbench.models.reference import OLS, TWFE
from dgpbench.models.sensitivity import Breakage, SensitivityOnly
from dgpbench.models.sensitivity.references import ScaleGaussian, TwoModeFamily

SD_FACTOR = 1.25
SHIFT_SE = 2.0

# --------------------------------------------------------------------------- fitted wrappers


class WideSd(Fitted):
    """The base's predictive distribution stretched about its mean by ``factor``: sd x factor,
    draws m + factor (draw - m), density p((y - m) / factor + m) / factor (exact for a
    location-scale family centred on the mean, as every Gaussian model is)."""

    def __init__(self, base, factor: float):
        self._base, self._factor = base, float(factor)

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self._base.mean(X)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return self._factor * self._base.sd(X)

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        m = self._base.mean(X)[:, None]
        return m + self._factor * (self._base.sample(X, n_samples, rng) - m)

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        m = self._base.mean(X)
        return self._base.logpdf(X, m + (np.asarray(y, float) - m) / self._factor) - np.log(self._factor)


class PermutedRows(Fitted):
    """Each row gets another row's whole predictive distribution: the marginal over rows is
    the base's, the conditional on x is wrong. The permutation depends only on the number
    of rows, so mean, sd, draws and density of one frame stay one distribution."""

    def __init__(self, base):
        self._base = base

    @staticmethod
    def _order(n: int) -> np.ndarray:
        return np.random.default_rng(n).permutation(n)

    def _rows(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.iloc[self._order(len(X))]

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._base.mean(self._rows(X)))

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._base.sd(self._rows(X)))

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self._base.sample(self._rows(X), n_samples, rng))

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        return np.asarray(self._base.logpdf(self._rows(X), y))


class OneMode(Fitted, NormalOutcome):
    """Only the narrow mode Normal(x, 0.01) of the two-mode law, with all the weight."""

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return columns_of(X, ["x"])[:, 0]

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), NARROW_SD)


class ConstantEffect(Fitted):
    """mu0 as the base's; mu1 = mu0 + the base's own ATE on the fitting rows, for every row."""

    def __init__(self, base, ate: float):
        self._base, self._ate = base, float(ate)

    def mu0(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._base.mu0(X), float)

    def mu1(self, X: pd.DataFrame) -> np.ndarray:
        return self.mu0(X) + self._ate


class ShiftedCoefficients(Fitted, TableCoefficients):
    """The base's coefficient table with every estimate (and its interval) moved up by
    ``shift`` of its own standard errors."""

    def __init__(self, table: pd.DataFrame, shift: float):
        moved = table.copy()
        delta = shift * moved["se"].to_numpy(float)
        for c in ("estimate", "lower", "upper"):
            moved[c] = moved[c].to_numpy(float) + delta
        self._table = moved


# --------------------------------------------------------------------------- variants

_DISTRIBUTION = Capabilities(conditional=True, log_density=True)


class WideSdVariant(SensitivityOnly, Model):
    """Put first among the bases of a correct Gaussian model: its fit, stretched."""

    breakage = Breakage(f"predictive sd x{SD_FACTOR}", "distribution")
    capabilities = _DISTRIBUTION

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return WideSd(super()._fit(observed, seed), SD_FACTOR)


class ShiftedVariant(SensitivityOnly, Model):
    """Put first among the bases of a correct model with coefficients: its table, shifted."""

    breakage = Breakage(f"coefficients biased by {SHIFT_SE:g} canonical se", "coefficients")
    capabilities = Capabilities(coefficients=True)

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        base = super()._fit(observed, seed)
        assert isinstance(base, Coefficients)
        return ShiftedCoefficients(base.coefficients(), SHIFT_SE)


def _variant(kind: type[Model], correct: type[Model], name: str, description: str) -> type[Model]:
    """``kind`` (a variant mixin) applied to ``correct``: a class named ``<Correct><Kind>`` in
    this module, so the registry and pickle find it by that name."""
    label = correct.__name__ + kind.__name__.removesuffix("Variant")
    return type(label, (kind, correct), {"name": name, "description": description, "__module__": __name__})


_MOVED = "with every coefficient moved up by 2 of its standard errors (sensitivity variant)"
TWFEWideSd = _variant(WideSdVariant, TWFE, "twfe_wide_sd", "twfe with its predictive sd x1.25 (sensitivity variant)")
ScaleGaussianWideSd = _variant(
    WideSdVariant,
    ScaleGaussian,
    "scale_gaussian_wide_sd",
    "scale_gaussian with its predictive sd x1.25 (sensitivity variant)",
)
OLSShifted = _variant(ShiftedVariant, OLS, "ols_shifted_2se", f"ols {_MOVED}")
TWFEShifted = _variant(ShiftedVariant, TWFE, "twfe_shifted_2se", f"twfe {_MOVED}")


class ScaleGaussianPermuted(SensitivityOnly, ScaleGaussian):
    name = "scale_gaussian_permuted"
    description = "scale_gaussian with its predictive distributions permuted across rows (sensitivity variant)"
    breakage = Breakage("samples permuted across rows (right marginal, wrong conditional)", "distribution")
    capabilities = _DISTRIBUTION

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return PermutedRows(super()._fit(observed, seed))


class TwoModeOneMode(TwoModeFamily):
    name = "two_mode_one_mode"
    description = "two_mode_family keeping only the narrow mode at +x (sensitivity variant)"
    breakage = Breakage("mixture keeps one of its two modes", "distribution")
    sensitivity_role = ""

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return OneMode()


class TLearnerConstantEffect(SensitivityOnly, TLearner):
    name = "t_learner_constant_effect"
    description = "t_learner predicting its own ATE as every row's effect (sensitivity variant)"
    breakage = Breakage("constant effect equal to the model's own ATE", "counterfactuals")
    capabilities = Capabilities(potential_outcomes=True)

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        base = super()._fit(observed, seed)
        assert isinstance(base, PotentialOutcomes)
        X = observed.frame
        return ConstantEffect(base, float(np.mean(base.mu1(X) - base.mu0(X))))
