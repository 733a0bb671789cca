"""ihdp: truth from the shipped CSVs, read here independently; the 63/27/10 split."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from dgpbench.errors import BadInput
from dgpbench.generators import shipped
from dgpbench.generators.registry import load_generator
from dgpbench.generators.shipped import data_file


def _csv_rows(replication: int) -> list[list[float]]:
    with data_file("ihdp", f"ihdp_npci_{replication}.csv").open() as fh:
        return [[float(v) for v in row] for row in csv.reader(fh) if row]


@pytest.mark.parametrize("replication", range(1, 11))
def test_truth_ate_is_the_replications_true_ate(replication):
    rows = _csv_rows(replication)
    true_ate = sum(r[4] - r[3] for r in rows) / len(rows)  # mu1 - mu0
    obs, truth = load_generator("ihdp", replication=replication).sample(0)
    assert len(obs.frame) == len(rows) == 747
    assert truth.coefficients["tau"] == pytest.approx(true_ate, rel=1e-12)
    assert np.mean(truth.mu1 - truth.mu0) == pytest.approx(true_ate, rel=1e-12)
    t = np.array([r[0] for r in rows])
    assert np.array_equal(obs.frame["t"], t)
    assert np.array_equal(obs.y, [r[1] for r in rows])
    cf = np.array([r[2] for r in rows])
    assert np.array_equal(np.where(t == 1, truth.y0, truth.y1), cf)


def test_layout():
    obs, _ = load_generator("ihdp").sample(0)
    assert list(obs.frame.columns) == [f"x{i}" for i in range(1, 26)] + ["t", "y"]
    assert obs.roles.treatment == "t" and len(obs.roles.covariates) == 25
    # x7..x25 are binary (x14 is coded 1/2 in the published files; kept as shipped)
    assert (obs.frame[[f"x{i}" for i in range(7, 26)]].nunique() == 2).all()
    assert obs.frame[[f"x{i}" for i in range(1, 7)]].nunique().min() > 2


def test_split_is_63_27_10_and_fixed_per_seed():
    gen = load_generator("ihdp", replication=3)
    a, b, c = gen.sample(0)[0], gen.sample(0)[0], gen.sample(1)[0]
    share = {s: np.mean(a.split == s) for s in ("train", "valid", "test")}
    assert share == pytest.approx({"train": 0.63, "valid": 0.27, "test": 0.10}, abs=0.005)
    assert np.array_equal(a.split, b.split) and not np.array_equal(a.split, c.split)
    assert a.frame.equals(c.frame)  # the seed draws the split, never the data


def test_replications_differ_and_range_is_checked():
    y1 = load_generator("ihdp", replication=1).sample(0)[0].y
    y2 = load_generator("ihdp", replication=2).sample(0)[0].y
    assert not np.array_equal(y1, y2)
    for bad in (0, 11):
        with pytest.raises(BadInput, match="replication"):
            load_generator("ihdp", replication=bad)


def test_counterfactuals_are_not_cached_beside_the_observed_columns():
    """A model runs in a worker that scored earlier cells: nothing reachable from the
    shipped-data module may hold the counterfactual columns the truth was built from."""
    gen = load_generator("ihdp", replication=2)
    _, truth = gen.sample(0)
    assert shipped.ihdp_observed.cache_info().currsize >= 1
    cached = shipped.ihdp_observed(2)
    assert cached.shape == (747, len(shipped.IHDP_OBSERVED_COLUMNS))
    assert not set(shipped.IHDP_TRUTH_COLUMNS) & set(shipped.IHDP_OBSERVED_COLUMNS)
    for hidden in (truth.mu0, truth.mu1):
        assert not any(np.array_equal(cached[:, j], hidden) for j in range(cached.shape[1]))
    assert not hasattr(shipped.ihdp_truth, "cache_info"), "the truth columns must be read afresh, never cached"
    assert shipped.ihdp_truth(2) is not shipped.ihdp_truth(2)
    assert not cached.flags.writeable
