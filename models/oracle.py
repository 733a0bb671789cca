"""The oracle: a generator's Truth used as a fitted model.

The oracle sets the floor of every metric: scored through the very same path as any model,
it gives each metric its best attainable value (the "1" of the normalised score
(naive - model) / (naive - oracle)). It is built by the harness from the truth, never fitted
and never registered as a model. It offers exactly what the truth defines; for real data
(``truth.kind == "reference"``) that is the published reference fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dgpbench.generators.base import Observed, Truth, coefficient_table
from dgpbench.models.base import Capabilities, Fitted


class OracleFitted(Fitted):
    """Truth behind the fitted-model protocols. Methods of capabilities the truth does not
    define raise a ValueError; :func:`oracle_fitted` declares only the ones it does."""

    def __init__(self, truth: Truth, n_rows: int):
        self._truth, self._n_rows = truth, n_rows

    def _need(self, *names: str):
        missing = [n for n in names if not self._truth.has(n)]
        if missing:
            raise ValueError(f"the truth defines no {', '.join(missing)}")
        return [getattr(self._truth, n) for n in names]

    # conditional distribution and density
    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._need("mean")[0](X), float)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._need("sd")[0](X), float)

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        (draw,) = self._need("sample_y")
        out = np.empty((len(X), int(n_samples)))
        for j in range(out.shape[1]):
            out[:, j] = draw(X, rng)
        return out

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        return np.asarray(self._need("logpdf")[0](X, np.asarray(y, float)), float)

    # joint sampling
    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        return self._need("sample_rows")[0](int(n), rng)

    # potential outcomes, looked up by the rows' positions in the observed frame
    def _rows(self, X: pd.DataFrame) -> np.ndarray:
        pos = np.asarray(X.index)
        if not np.issubdtype(pos.dtype, np.integer) or (len(pos) and (pos.min() < 0 or pos.max() >= self._n_rows)):
            raise ValueError(
                "the oracle's potential outcomes need rows of the observed frame with "
                f"its RangeIndex (positions 0..{self._n_rows - 1})"
            )
        return pos

    def mu0(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._need("mu0")[0], float)[self._rows(X)]

    def mu1(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._need("mu1")[0], float)[self._rows(X)]

    # coefficients and variance components
    def coefficients(self) -> pd.DataFrame:
        """True values with se 0, so each interval is the point itself."""
        coefs = self._need("coefficients")[0]
        return coefficient_table(list(coefs), list(coefs.values()), np.zeros(len(coefs)))

    def variance_components(self) -> dict[str, float]:
        return dict(self._need("variance_components")[0])

    def group_effects(self) -> pd.Series:
        """True group effects; an empty Series where the truth defines none (a reference)."""
        effects = self._truth.group_effects
        return pd.Series(dtype=float) if effects is None else effects.copy()


def oracle_capabilities(truth: Truth) -> Capabilities:
    """The capabilities the truth defines."""
    has = truth.has
    return Capabilities(
        conditional=has("mean") and has("sd") and has("sample_y"),
        log_density=has("logpdf"),
        joint=has("sample_rows"),
        potential_outcomes=has("mu0") and has("mu1"),
        coefficients=has("coefficients"),
        variance_components=has("variance_components"),
    )


def oracle_fitted(observed: Observed, truth: Truth) -> tuple[Fitted, Capabilities]:
    """The truth as a fitted model and the capabilities it offers (exactly what it defines)."""
    if truth.mu0 is not None and len(truth.mu0) != len(observed.frame):
        raise ValueError(f"truth has {len(truth.mu0)} potential outcomes for {len(observed.frame)} observed rows")
    return OracleFitted(truth, len(observed.frame)), oracle_capabilities(truth)
