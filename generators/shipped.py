"""Real data shipped inside the package (``generators/data``), read once per process.

Read through ``importlib.resources`` so an installed wheel finds its own copy wherever it
lives. The cache holds read-only arrays; callers build their frames from copies, so a
model or test that edits a returned frame cannot change what the next ``sample`` returns.

Only observed columns are cached. IHDP's counterfactual columns (``y_cfactual``, ``mu0``,
``mu1``) are read from the file each time a truth is built and never kept at module level:
a model runs in a process that has scored earlier cells, and a cache reachable from this
module would hand it the counterfactuals of the very data it is fitted on.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

IHDP_REPLICATIONS = 10
IHDP_COLUMNS = ["treatment", "y_factual", "y_cfactual", "mu0", "mu1", *[f"x{i}" for i in range(1, 26)]]
IHDP_TRUTH_COLUMNS = ["y_cfactual", "mu0", "mu1"]
IHDP_OBSERVED_COLUMNS = [c for c in IHDP_COLUMNS if c not in IHDP_TRUTH_COLUMNS]


def data_file(*parts: str):
    """A traversable path to a shipped data file."""
    return resources.files("dgpbench.generators").joinpath("data", *parts)


@lru_cache(maxsize=2)
def _csv_columns(name: str) -> tuple[tuple[str, np.ndarray], ...]:
    """The columns of a shipped CSV with a header, as read-only arrays; cached."""
    with data_file(name).open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh)
    cols = []
    for name in frame.columns:
        values = frame[name].to_numpy(copy=True)
        values.flags.writeable = False
        cols.append((name, values))
    return tuple(cols)


def radon_frame() -> pd.DataFrame:
    """Minnesota radon (919 homes, 85 counties): county, county_name, floor,
    log_uranium, log_radon -- a fresh copy on every call."""
    return pd.DataFrame({name: values.copy() for name, values in _csv_columns("radon_mn.csv")})


def radon_group_sizes() -> np.ndarray:
    """Rows per county code 0..84 (the real, skewed sizes)."""
    county = dict(_csv_columns("radon_mn.csv"))["county"]
    return np.bincount(county.astype(np.int64))


def iris_frame() -> pd.DataFrame:
    """Fisher's (1936) Iris measurements (150 flowers, 50 per species): sepal_length,
    sepal_width, petal_length, petal_width (cm) and species -- a fresh copy on every call."""
    return pd.DataFrame({name: values.copy() for name, values in _csv_columns("iris.csv")})


def _read_ihdp(replication: int, columns: list[str]) -> np.ndarray:
    """Columns ``columns`` of IHDP replication ``replication`` (1..10), (747, k), read-only."""
    with data_file("ihdp", f"ihdp_npci_{replication}.csv").open("r", encoding="utf-8") as fh:
        values = np.loadtxt(fh, delimiter=",", dtype=float, usecols=[IHDP_COLUMNS.index(c) for c in columns], ndmin=2)
    values.flags.writeable = False
    return values


@lru_cache(maxsize=IHDP_REPLICATIONS)
def ihdp_observed(replication: int) -> np.ndarray:
    """The observed columns of replication ``replication`` (1..10) of Hill's IHDP as a
    read-only (747, 27) array in the order of :data:`IHDP_OBSERVED_COLUMNS`; cached."""
    return _read_ihdp(replication, IHDP_OBSERVED_COLUMNS)


def ihdp_truth(replication: int) -> np.ndarray:
    """The truth columns of replication ``replication`` as a read-only (747, 3) array in the
    order of :data:`IHDP_TRUTH_COLUMNS`: read afresh on every call (a few milliseconds),
    never cached, so no module holds them while a model runs."""
    return _read_ihdp(replication, IHDP_TRUTH_COLUMNS)
