"""The model contract: typed hyperparameters, declared capabilities, ``fit -> Fitted``.

A model class declares, as one frozen :class:`Capabilities` value (like scikit-learn's
tags), what its fitted object offers; the planner knows before fitting what will be
scored, and the conformance suite checks each declared protocol. The public
:meth:`Model.fit` owns the invariants -- the model sees only the observed train/valid
rows, randomness flows from the seed it is given (the harness passes
:func:`model_seed` of the cell's seed), threads are pinned -- then calls ``_fit``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from dgpbench.generators.base import Observed
from dgpbench.params import NoParams, as_dict, validate


@dataclass(frozen=True)
class Capabilities:
    """What a model's ``Fitted`` offers. Each flag names one protocol below.

    conditional          -- :class:`ConditionalDistribution`: mean, sd, samples of y | x
    log_density          -- :class:`LogDensity`: exact log p(y | x)
    joint                -- :class:`JointSampler`: whole synthetic rows
    potential_outcomes   -- :class:`PotentialOutcomes`: mu0, mu1 for any rows
    coefficients         -- :class:`Coefficients`: a coefficient table with intervals
    variance_components  -- :class:`VarianceComponents`: group sd, residual sd, group effects
    """

    conditional: bool = False
    log_density: bool = False
    joint: bool = False
    potential_outcomes: bool = False
    coefficients: bool = False
    variance_components: bool = False

    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self) if getattr(self, f.name))


@runtime_checkable
class ConditionalDistribution(Protocol):
    def mean(self, X: pd.DataFrame) -> np.ndarray: ...
    def sd(self, X: pd.DataFrame) -> np.ndarray: ...
    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Array of shape (len(X), n_samples)."""


@runtime_checkable
class LogDensity(Protocol):
    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class JointSampler(Protocol):
    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` synthetic rows with the observed frame's role columns."""


@runtime_checkable
class PotentialOutcomes(Protocol):
    """Expected outcome of each row under control (mu0) and treatment (mu1).

    ``X`` holds the rows' observed columns other than the outcome (covariates, treatment,
    unit, time, group); the model ignores the realised treatment.
    """

    def mu0(self, X: pd.DataFrame) -> np.ndarray: ...
    def mu1(self, X: pd.DataFrame) -> np.ndarray: ...


@runtime_checkable
class Coefficients(Protocol):
    def coefficients(self) -> pd.DataFrame:
        """Columns name, estimate, se, lower, upper (95 % intervals); names as the truth's."""


@runtime_checkable
class VarianceComponents(Protocol):
    def variance_components(self) -> dict[str, float]:
        """Keys ``group_sd`` and ``residual_sd`` where defined."""

    def group_effects(self) -> pd.Series:
        """Estimated effect per group label."""


PROTOCOLS: dict[str, type] = {
    "conditional": ConditionalDistribution,
    "log_density": LogDensity,
    "joint": JointSampler,
    "potential_outcomes": PotentialOutcomes,
    "coefficients": Coefficients,
    "variance_components": VarianceComponents,
}


class Fitted:
    """Base of fitted objects: implement the methods of the declared protocols."""


MODEL_SEED_SALT = b"dgpbench-model-seed:"


def model_seed(cell_seed: int) -> int:
    """The seed the harness gives a model's ``fit`` in the cell of ``cell_seed``.

    The first four bytes (little-endian) of ``sha256(b"dgpbench-model-seed:<cell_seed>")``,
    masked to 31 bits. Never the generator's own seed: a model that was handed the cell's
    seed could redraw a public, deterministic generator and read its truth; this hash
    cannot be inverted to the cell seed. Defined here once; the README and
    ``docs/contracts.md`` state the formula so a plugin author can reproduce a cell's fit.
    """
    if isinstance(cell_seed, bool) or not isinstance(cell_seed, (int, np.integer)) or cell_seed < 0:
        raise ValueError(f"cell seed must be a non-negative integer, got {cell_seed!r}")
    digest = hashlib.sha256(MODEL_SEED_SALT + str(int(cell_seed)).encode("ascii")).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def thread_count() -> int:
    """Threads a model may use: the worker's setting (``DGPBENCH_THREADS``), 1 by default."""
    try:
        return max(1, int(os.environ.get("DGPBENCH_THREADS", "1")))
    except ValueError:
        return 1


class Model:
    """A registered model. Subclasses set ``name``, ``description``, ``version``,
    ``Params``, ``capabilities`` and ``smoke_params`` (a configuration that fits in seconds
    on tiny data, used by the conformance suite), and implement ``_fit``.

    The constructor only validates and stores hyperparameters; all work happens in ``fit``.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    Params: ClassVar[type] = NoParams
    capabilities: ClassVar[Capabilities] = Capabilities()
    smoke_params: ClassVar[dict[str, Any]] = {}

    def __init__(self, **params: Any):
        self.params = validate(self.Params, f"model {self.name!r}", params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({as_dict(self.params)})"

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "params": as_dict(self.params)}

    def supports(self, observed: Observed) -> tuple[bool, str]:
        """Whether this model can serve the data, and if not, why (shown to the user).

        ``observed`` is the fit view (train/valid rows), as in ``fit``: no test row's
        outcome reaches a model through either door."""
        return True, ""

    def fit(self, observed: Observed, seed: int = 0) -> Fitted:
        """Fit on the observed train/valid rows only: the test rows are cut here, before
        ``supports`` and ``_fit`` see the data. Truth cannot reach ``_fit``: the harness
        holds no ``Truth`` while a model runs (``benchmarks/cell.py``) and passes
        :func:`model_seed` of the cell's seed, not the seed that drew the data."""
        view = observed.fit_view()
        ok, reason = self.supports(view)
        if not ok:
            raise ValueError(f"model {self.name!r} cannot serve this data: {reason}")
        fitted = self._fit(view, int(seed))
        if not isinstance(fitted, Fitted):
            raise TypeError(f"model {self.name!r}: _fit must return a Fitted, got {type(fitted).__name__}")
        return fitted

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        raise NotImplementedError
