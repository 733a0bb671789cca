"""Uncertainty primitives on cases whose answer is known."""

import math

import numpy as np
import pytest

from dgpbench.reports.stats import benjamini_hochberg, difference, holm, mean_se, shared_ranks


def test_mean_se_is_the_sample_sd_over_root_n():
    m, se = mean_se([1.0, 2.0, 3.0, 4.0, None, float("nan")])
    assert m == 2.5 and se == pytest.approx(math.sqrt(5 / 3) / 2)
    assert mean_se([7.0]) == (7.0, None) and mean_se([]) == (None, None)


def test_pairing_removes_what_the_seeds_share():
    """Two models whose values move together with the data: unpaired, the difference drowns
    in the data's noise; paired, it is exact."""
    data = {s: 10.0 * s for s in range(5)}
    a = {s: v + 1.0 for s, v in data.items()}
    b = {s: v + 0.5 * (s % 2) for s, v in data.items()}
    d = difference(a, b)
    assert d.paired and d.n == 5
    assert d.mean == pytest.approx(1.0 - 0.5 * 2 / 5)
    assert d.beyond_noise()
    unpaired = difference({s + 10: v for s, v in a.items()}, b)
    assert not unpaired.paired and not unpaired.beyond_noise()


def test_welch_difference_matches_scipy():
    from scipy.stats import ttest_ind

    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 6), rng.normal(0.5, 2, 9)
    d = difference(dict(enumerate(a)), {i + 100: v for i, v in enumerate(b)})
    ref = ttest_ind(a, b, equal_var=False)
    assert d.mean == pytest.approx(a.mean() - b.mean())
    assert d.p_value() == pytest.approx(ref.pvalue)


def test_paired_p_value_matches_scipy():
    from scipy.stats import ttest_rel

    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, 8)
    b = a + rng.normal(0.3, 0.5, 8)
    assert difference(dict(enumerate(a)), dict(enumerate(b))).p_value() == pytest.approx(ttest_rel(a, b).pvalue)


def test_holm_and_bh_on_a_worked_example():
    p = [0.01, 0.04, 0.03, 0.005, None]
    # Holm at 0.05: sorted 0.005 <= .05/4, 0.01 <= .05/3, 0.03 > .05/2 -> stop
    assert holm(p) == [True, False, False, True, False]
    # BH at 0.05: 0.04 <= .05 * 4/4 -> all four
    assert benjamini_hochberg(p) == [True, True, True, True, False]


def test_null_p_values_are_flagged_at_most_at_the_nominal_rate():
    rng = np.random.default_rng(2)
    false_flags = sum(any(holm(list(rng.uniform(size=50)))) for _ in range(400))
    assert false_flags / 400 <= 0.08  # family-wise rate 0.05, with Monte Carlo room


def test_models_the_seeds_cannot_tell_apart_share_a_rank():
    rng = np.random.default_rng(3)
    data = rng.normal(0, 1, 10)
    vals = {
        "best": {s: 1.0 + data[s] for s in range(10)},
        "tied": {s: 1.0 + data[s] + (0.01 if s % 2 else -0.01) for s in range(10)},  # mean difference 0
        "worse": {s: 2.0 + data[s] for s in range(10)},
    }
    ranks = shared_ranks(vals)
    assert ranks["best"] == ranks["tied"] == 1 and ranks["worse"] == 3
    assert shared_ranks(vals, lower_is_better=False)["worse"] == 1
