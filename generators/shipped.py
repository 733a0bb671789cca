"""Real data shipped inside the package (``generators/data``), read once per process.

Read through ``importlib.resources`` so an installed wheel finds its own copy wherever it
lives. The cache holds read-only arrays; callers build their frames from copies, so a
model or test that edits a returned frame cannot change what the next ``sample`` returns.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

IHDP_REPLICATIONS = 10
IHDP_COLUMNS = ["treatment", "y_factual", "y_cfactual", "mu0", "mu1", *[f"x{i}" for i in range(1, 26)]]


def data_file(*parts: str):
    """A traversable path to a shipped data file."""
    return resources.files("dgpbench.generators").joinpath("data", *parts)


@lru_cache(maxsize=1)
def _radon_columns() -> tuple[tuple[str, np.ndarray], ...]:
    with data_file("radon_mn.csv").open("r", encoding="utf-8") as fh:
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
    return pd.DataFrame({name: values.copy() for name, values in _radon_columns()})


def radon_group_sizes() -> np.ndarray:
    """Rows per county code 0..84 (the real, skewed sizes)."""
    county = dict(_radon_columns())["county"]
    return np.bincount(county.astype(np.int64))


@lru_cache(maxsize=IHDP_REPLICATIONS)
def ihdp_array(replication: int) -> np.ndarray:
    """Replication ``replication`` (1..10) of Hill's IHDP as a read-only (747, 30) array in
    the order of :data:`IHDP_COLUMNS`."""
    with data_file("ihdp", f"ihdp_npci_{replication}.csv").open("r", encoding="utf-8") as fh:
        values = np.loadtxt(fh, delimiter=",", dtype=float)
    values.flags.writeable = False
    return values
