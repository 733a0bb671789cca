"""iris: Fisher's measurements as shipped, a per-seed held-out reference, and the two
distribution scores a joint model gets on it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dgpbench.benchmarks.scoring import CellData, score_cell
from dgpbench.generators.registry import load_generator
from dgpbench.models.base import Capabilities
from dgpbench.models.oracle import oracle_fitted
from dgpbench.models.registry import load_model

MEASUREMENTS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def test_the_shipped_data_is_fishers():
    """150 flowers, 50 per species, and the column means every textbook prints (cm)."""
    obs, truth = load_generator("iris").sample(0)
    f = obs.frame
    assert list(f.columns) == [*MEASUREMENTS, "species"]
    assert f["species"].value_counts().to_dict() == {"setosa": 50, "versicolor": 50, "virginica": 50}
    means = f[MEASUREMENTS].mean().round(3).tolist()
    assert means == [5.843, 3.057, 3.758, 1.199]
    assert f.loc[0, MEASUREMENTS].tolist() == [5.1, 3.5, 1.4, 0.2]
    assert truth.kind == "reference" and "Fisher" in truth.source and not truth.coefficients
    assert obs.roles.group == "species" and obs.roles.outcome == "sepal_length"


def test_split_is_fixed_per_seed_and_the_reference_is_the_held_out_rows():
    gen = load_generator("iris")
    obs, truth = gen.sample(3)
    assert (obs.split == "test").sum() == 50 and (obs.split == "train").sum() == 100
    assert np.array_equal(obs.split, gen.sample(3)[0].split)
    assert not np.array_equal(obs.split, gen.sample(4)[0].split)
    held = obs.frame.loc[obs.mask("test")]
    rows = truth.sample_rows(1_000, np.random.default_rng(0))
    assert len(rows) == 50 and not rows.duplicated().sum() > held.duplicated().sum()
    key = list(rows.columns)
    pd.testing.assert_frame_equal(
        rows.sort_values(key).reset_index(drop=True), held.sort_values(key).reset_index(drop=True), check_exact=True
    )
    assert len(truth.sample_rows(20, np.random.default_rng(0))) == 20


class Replay:
    """A "model" that hands back its training flowers: a sample of the same population."""

    def __init__(self, rows: pd.DataFrame):
        self.rows = rows

    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        return self.rows.iloc[rng.permutation(len(self.rows))[:n]].reset_index(drop=True)


def _gaussian(data: CellData):
    model = load_model("linear_gaussian")
    return model.fit(data.observed, 0), model.capabilities


def _scores(fitted_of, seed: int) -> dict[str, float]:
    gen = load_generator("iris")
    obs, truth = gen.sample(seed)
    data = CellData(gen, obs, truth, seed)
    rows, _ = score_cell(data, *fitted_of(data), ("energy_distance", "c2st_accuracy"))
    return {r["metric"]: r["value"] for r in rows}


def test_the_reference_scored_against_itself_is_exactly_chance():
    """The oracle hands out the held-out rows themselves: the classifier cannot tell them
    from themselves (exactly 1/2, copies never split across folds), and their energy
    distance is below 0 (the cross term meets each row's own copy at distance 0)."""
    for seed in (0, 1):
        oracle = _scores(lambda d: oracle_fitted(d.observed, d.truth), seed)
        assert oracle["c2st_accuracy"] == 0.5 and oracle["energy_distance"] < 0.0


def test_a_gaussian_is_told_from_the_flowers_and_the_training_flowers_are_not():
    """A multivariate normal fitted to the training rows matches every mean and covariance
    but not the species clusters; the training flowers themselves are a sample of the same
    population. Averaged over six splits (each reference has only 50 rows)."""
    seeds = range(6)
    normal = [_scores(_gaussian, s) for s in seeds]
    replay = [_scores(lambda d: (Replay(d.observed.fit_view().frame), Capabilities(joint=True)), s) for s in seeds]

    def mean(scores, metric):
        return float(np.mean([s[metric] for s in scores]))

    assert mean(normal, "c2st_accuracy") > 0.55
    assert abs(mean(replay, "c2st_accuracy") - 0.5) < 0.08
    assert mean(normal, "energy_distance") > mean(replay, "energy_distance") + 0.03
    assert abs(mean(replay, "energy_distance")) < 0.03
