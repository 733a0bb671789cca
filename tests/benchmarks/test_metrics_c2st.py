"""c2st_accuracy: the classifier two-sample test on samples whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from dgpbench.benchmarks.metrics import METRICS
from dgpbench.benchmarks.metrics.distribution import c2st_accuracy


def _normal(seed: int, m: int, shift: float = 0.0, scale: float = 1.0, d: int = 4) -> np.ndarray:
    return shift + scale * np.random.default_rng(seed).standard_normal((m, d))


def test_one_distribution_gives_chance():
    """Under the null the accuracy is a share of 2m held-out guesses at chance: sd 1/sqrt(8m)."""
    m = 500
    values = [c2st_accuracy(_normal(2 * s, m), _normal(2 * s + 1, m), np.random.default_rng(s)) for s in range(8)]
    assert all(abs(v - 0.5) < 4 / np.sqrt(8 * m) for v in values)
    assert abs(np.mean(values) - 0.5) < 4 / np.sqrt(8 * m * len(values))


def test_separated_distributions_are_always_told_apart():
    assert c2st_accuracy(_normal(0, 200), _normal(1, 200, shift=6.0), np.random.default_rng(0)) == 1.0


@pytest.mark.parametrize("shift, scale", [(0.5, 1.0), (0.0, 2.0)])
def test_a_shift_or_a_spread_is_seen(shift, scale):
    """At m = 1,000 chance stays below 0.55 with near certainty (0.55 is 4.5 sd)."""
    acc = c2st_accuracy(_normal(0, 1_000), _normal(1, 1_000, shift, scale), np.random.default_rng(0))
    assert acc > 0.6


def test_a_moment_matched_normal_is_told_from_two_clusters():
    """Two clusters at -+2 against the normal with the same mean and sd: no first or second
    moment differs, the neighbours still do."""
    rng = np.random.default_rng(0)
    clusters = rng.choice([-2.0, 2.0], size=(1_000, 1)) + 0.3 * rng.standard_normal((1_000, 1))
    normal = clusters.std() * rng.standard_normal((1_000, 1))
    assert c2st_accuracy(clusters, normal, np.random.default_rng(1)) > 0.65


def test_a_sample_against_itself_is_exactly_chance():
    """Copies share a fold, so none is ever scored against its own opposite-labelled twin."""
    a = _normal(0, 300)
    assert c2st_accuracy(a, a[::-1], np.random.default_rng(3)) == 0.5


def test_deterministic_per_stream_and_cut_to_the_smaller_sample():
    a, b = _normal(0, 300), _normal(1, 100, shift=0.3)
    first = c2st_accuracy(a, b, np.random.default_rng(5))
    assert first == c2st_accuracy(a, b, np.random.default_rng(5))
    assert first == c2st_accuracy(a[:100], b, np.random.default_rng(5))  # the extra rows are not used
    assert c2st_accuracy(a[:, 0], b[:, 0], np.random.default_rng(5)) >= 0.0  # one column as a 1-d array


def test_registered_as_a_nominal_diagnostic_of_joint_samplers():
    m = METRICS.get("c2st_accuracy")
    assert (m.face, m.direction, m.target, m.primary, m.normalise) == ("distribution", "nominal", 0.5, 0, False)
    assert m.requires == ("joint",) and m.truth == ("sample_rows",) and "Lopez-Paz" in m.citation
