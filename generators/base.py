"""The generator contract: ``sample(seed) -> (Observed, Truth)``, and ``observe(seed)``.

``Observed`` is everything a model may ever see; ``Truth`` is what the benchmark scores
against and lives in a separate object, so no truth column can leak through the frame.
``observe`` is the same draw with the truth let go before it returns: the harness holds
only that while a model runs, and draws the truth again afterwards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dgpbench.params import NoParams, as_dict, validate

SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Roles:
    """What each observed column means. Only ``outcome`` is required."""

    outcome: str
    covariates: tuple[str, ...] = ()
    treatment: str | None = None
    unit: str | None = None
    time: str | None = None
    group: str | None = None

    def columns(self) -> list[str]:
        """Every column named by a role, outcome first, without repeats."""
        cols = [self.outcome, *self.covariates, self.treatment, self.unit, self.time, self.group]
        out: list[str] = []
        for c in cols:
            if c is not None and c not in out:
                out.append(c)
        return out

    def required(self, role: str) -> str:
        """The column of an optional role that the caller cannot do without."""
        column = getattr(self, role)
        if column is None:
            raise ValueError(f"needs a {role} role; these roles set none")
        return column

    def inputs(self) -> list[str]:
        """Columns a conditional model conditions on: covariates, then treatment."""
        cols = list(self.covariates)
        if self.treatment is not None and self.treatment not in cols:
            cols.append(self.treatment)
        return cols


def _unknown_labels(split: np.ndarray) -> set:
    """Split labels outside SPLITS. One label broadcast over every row (stride 0, e.g. a
    10^6-row panel all in ``train``) is checked once: ``np.unique`` sorts the strings,
    which alone costs ~0.2 s there, twice the budget of building the whole panel."""
    if split.ndim == 1 and len(split) and split.strides[0] == 0:
        return {split[0]} - set(SPLITS)
    return set(np.unique(split)) - set(SPLITS)


@dataclass
class Observed:
    """The observed data: a frame, its roles, and a per-row split label (train/valid/test).

    Models are fitted on the train and valid rows only (:meth:`fit_view`); test rows are
    held out for out-of-sample scores. ``frame`` holds no truth and no counterfactual.
    """

    frame: pd.DataFrame
    roles: Roles
    split: np.ndarray  # one of SPLITS per row

    def __post_init__(self) -> None:
        missing = [c for c in self.roles.columns() if c not in self.frame.columns]
        if missing:
            raise ValueError(f"roles name columns missing from the frame: {missing}")
        self.split = np.asarray(self.split)
        if len(self.split) != len(self.frame):
            raise ValueError("split must have one label per row")
        bad = _unknown_labels(self.split)
        if bad:
            raise ValueError(f"unknown split labels {sorted(bad)}; valid: {SPLITS}")

    def mask(self, *parts: str) -> np.ndarray:
        out = self.split == parts[0]
        for p in parts[1:]:
            out |= self.split == p
        return out

    def subset(self, mask: np.ndarray) -> Observed:
        return Observed(self.frame.loc[mask].reset_index(drop=True), self.roles, self.split[mask])

    def fit_view(self) -> Observed:
        """Train and valid rows: all a model's ``fit`` receives."""
        m = self.mask("train", "valid")
        return self if m.all() else self.subset(m)

    def fingerprint(self) -> str:
        """A digest of the frame (column names, dtypes, values), the roles and the split.

        Two draws of one generator and seed must have the same fingerprint: the harness
        takes it from the draw a model is fitted on, before the model runs, and compares it
        with the draw it scores against -- a non-deterministic generator, not a model that
        edits its input afterwards, fails that comparison."""
        h = hashlib.sha256(repr(self.roles).encode())
        for name in self.frame.columns:
            values = self.frame[name].to_numpy()
            h.update(f"|{name}|{values.dtype}|{len(values)}|".encode())
            if values.dtype.kind in "biufcmM":
                h.update(np.ascontiguousarray(values).view(np.uint8).data)
            else:  # strings, categories: pandas' stable per-value hash
                h.update(pd.util.hash_array(values.astype(object)).data)
        h.update(f"|split|{len(self.split)}|".encode())
        if self.split.ndim == 1 and len(self.split) and self.split.strides[0] == 0:
            h.update(f"all {self.split[0]}".encode())  # one label broadcast over every row
        else:
            h.update(pd.util.hash_array(self.split.astype(object)).data)
        return h.hexdigest()

    @property
    def y(self) -> np.ndarray:
        return self.frame[self.roles.outcome].to_numpy(dtype=float)

    @property
    def X(self) -> pd.DataFrame:
        """Covariates and treatment (the inputs of a conditional model)."""
        return self.frame[self.roles.inputs()]


@dataclass
class Truth:
    """What the DGP defines, each optional; all row arrays align with ``Observed.frame``.

    ``kind`` is ``"truth"`` for simulated data and ``"reference"`` for real data, where the
    numbers are a published fit, not the process itself. Conditional callables take a frame
    holding the covariate (and treatment) columns of the rows to evaluate.
    """

    kind: str = "truth"
    coefficients: dict[str, float] = field(default_factory=dict)
    mean: Callable[[pd.DataFrame], np.ndarray] | None = None
    sd: Callable[[pd.DataFrame], np.ndarray] | None = None
    logpdf: Callable[[pd.DataFrame, np.ndarray], np.ndarray] | None = None
    sample_y: Callable[[pd.DataFrame, np.random.Generator], np.ndarray] | None = None
    sample_rows: Callable[[int, np.random.Generator], pd.DataFrame] | None = None
    mu0: np.ndarray | None = None
    mu1: np.ndarray | None = None
    y0: np.ndarray | None = None
    y1: np.ndarray | None = None
    group_effects: pd.Series | None = None
    variance_components: dict[str, float] = field(default_factory=dict)
    source: str = ""  # citation for a reference

    def has(self, name: str) -> bool:
        v = getattr(self, name)
        return v is not None and not (isinstance(v, dict) and not v)


COEFFICIENT_COLUMNS = ["name", "estimate", "se", "lower", "upper"]


def coefficient_table(names, estimates, ses, level: float = 0.95) -> pd.DataFrame:
    """Coefficient table with normal intervals at ``level`` (the one shape every analysis returns)."""
    from scipy.stats import norm

    est = np.asarray(estimates, float)
    se = np.asarray(ses, float)
    z = norm.ppf(0.5 + level / 2)
    return pd.DataFrame({"name": list(names), "estimate": est, "se": se, "lower": est - z * se, "upper": est + z * se})


class Generator:
    """A registered, parameterised DGP.

    Subclasses set ``name``, ``description``, ``version`` and ``Params`` (a frozen dataclass
    of :func:`dgpbench.params.param` fields) and implement ``_sample(rng)`` and
    ``canonical_analysis(frame, roles)``. The constructor only validates and stores.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    Params: ClassVar[type] = NoParams
    # The parameter that is the sample size (rows, units), or None where none is: a suite's
    # sweep over it gives recovery curves (error against n), a sweep over another parameter
    # a difficulty curve.
    size_param: ClassVar[str | None] = None

    def __init__(self, **params: Any):
        self.params = validate(self.Params, f"generator {self.name!r}", params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({as_dict(self.params)})"

    def sample(self, seed: int) -> tuple[Observed, Truth]:
        """Bit-identical per seed: all randomness comes from one ``numpy`` Generator."""
        return self._sample(np.random.default_rng(self._seed(seed)))

    def observe(self, seed: int) -> Observed:
        """The observed data of ``sample(seed)``; its truth is let go before this returns.

        What the harness holds while a model's ``supports`` and ``fit`` run, so that no
        ``Truth`` is alive then to be found on the stack or by the garbage collector; it
        builds the truth afterwards by calling ``sample(seed)`` again. ``Observed`` must
        therefore hold no reference to truth arrays (a generator's frame is built from
        copies), and ``Truth`` none to the ``Observed`` (so it is freed at once, without
        waiting for a cycle collection). A generator whose truth is costly may override
        ``_observe`` to skip building it; the draw must stay identical.
        """
        return self._observe(np.random.default_rng(self._seed(seed)))

    def _seed(self, seed: int) -> int:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"generator {self.name!r}: seed must be a non-negative integer, got {seed!r}")
        return int(seed)

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        raise NotImplementedError

    def _observe(self, rng: np.random.Generator) -> Observed:
        """``_sample(rng)``'s observed data; override to skip building the truth."""
        return self._sample(rng)[0]

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        """The analysis a researcher would run on this data, as :func:`coefficient_table`.

        Its coefficient names match ``Truth.coefficients``; it scores sample-only models and
        is the yardstick of the efficiency ratio.
        """
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "params": as_dict(self.params)}


def random_split(n: int, rng: np.random.Generator, fractions=(1.0, 0.0, 0.0)) -> np.ndarray:
    """Deterministic per-rng split labels with the given train/valid/test fractions."""
    counts = np.floor(np.asarray(fractions) * n).astype(int)
    counts[0] = n - counts[1:].sum()
    labels = np.repeat(np.array(SPLITS), counts)
    return labels[rng.permutation(n)]
