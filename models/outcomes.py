"""Outcome pieces several fitted models share, in numpy only (so the statsmodels, TensorFlow
and PyTorch models all import them without importing one another's backend).

* :class:`NormalOutcome` -- y | x ~ Normal(mean(X), sd(X)): draws and log-density from the
  model's own ``mean`` and ``sd``. One implementation, so that every Gaussian model's NLL
  and CRPS are computed with the same arithmetic.
* :class:`SetTreatment` -- potential outcomes of a model whose prediction takes the
  treatment as an input: the prediction with the treatment column set to 0 or 1.
* :func:`softplus` -- the link of the positive scale parameters the TFP models learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm


def softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z), without overflow for large z."""
    return np.logaddexp(0.0, z)


class NormalOutcome:
    """y | x ~ Normal(mean(X), sd(X)). A subclass gives ``mean`` and ``sd``."""

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Shape (len(X), n_samples), drawn row-major from one standard normal block."""
        m, s = self.mean(X), self.sd(X)
        return m[:, None] + s[:, None] * rng.standard_normal((len(X), int(n_samples)))

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        return norm.logpdf(np.asarray(y, float), self.mean(X), self.sd(X))


class SetTreatment:
    """mu0 / mu1 = the model's ``mean`` with the treatment column set to 0 / 1, whatever
    treatment the rows received.

    A subclass sets ``_treatment`` (the treatment column; None when the fitted data had none,
    then potential outcomes raise a ValueError) and may set ``_treatment_dtype`` (the dtype
    the set column gets; by default a plain integer column)."""

    _treatment: str | None
    _treatment_dtype: Any = None

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def _with_treatment(self, X: pd.DataFrame, value: int) -> pd.DataFrame:
        if self._treatment is None:
            raise ValueError("potential outcomes need a treatment role; the fitted data had none")
        if self._treatment_dtype is None:
            return X.assign(**{self._treatment: value})
        column = pd.Series(np.full(len(X), value), index=X.index).astype(self._treatment_dtype)
        return X.assign(**{self._treatment: column})

    def mu0(self, X: pd.DataFrame) -> np.ndarray:
        return self.mean(self._with_treatment(X, 0))

    def mu1(self, X: pd.DataFrame) -> np.ndarray:
        return self.mean(self._with_treatment(X, 1))
