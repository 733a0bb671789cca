"""compare's arithmetic on hand-made per-seed rows: pairing, p-values against scipy's own t
tests, the correction across the table, directions as stored, and the face level."""

import math

import pytest
from scipy import stats

from dgpbench.reports.compare import compare
from dgpbench.reports.verdict import primary_candidates

INFO = {
    "crps": {"face": "distribution", "direction": "lower", "primary_rank": 1},
    "energy_distance": {"face": "distribution", "direction": "lower", "primary_rank": 2},
    "sqrt_pehe_in": {"face": "counterfactuals", "direction": "lower", "primary_rank": 2},
    "sqrt_pehe_out": {"face": "counterfactuals", "direction": "lower", "primary_rank": 1},
    "ate_abs_error_out": {"face": "counterfactuals", "direction": "lower"},
    "coef_efficiency": {"face": "coefficients", "direction": "lower", "primary_rank": 1},
    "coef_covers": {"face": "coefficients", "direction": "nominal", "target": 0.95},
    "coef_error": {"face": "coefficients", "direction": "nominal"},
    "made_up_score": {"face": "distribution", "direction": "higher"},
}


def rows(metric, values, generator="g", model="m", face=None, seeds=None):
    face = face or INFO.get(metric.partition("[")[0], {}).get("face", "distribution")
    seeds = seeds if seeds is not None else range(len(values))
    return [
        {"generator": generator, "model": model, "seed": s, "face": face, "metric": metric, "value": v}
        for s, v in zip(seeds, values)
    ]


def only(comparison, level="metric", **match):
    found = [d for d in comparison.deltas if d.level == level and all(getattr(d, k) == v for k, v in match.items())]
    assert len(found) == 1, found
    return found[0]


def test_shared_seeds_are_paired_and_match_scipys_paired_t_test():
    a, b = [1.0, 2.0, 4.0, 3.0], [1.3, 2.35, 4.3, 3.25]
    d = only(compare(rows("crps", a), rows("crps", b), INFO, "none"), metric="crps")
    assert d.paired and d.n == 4
    assert d.delta == pytest.approx(sum(b) / 4 - sum(a) / 4)
    assert d.p_value == pytest.approx(stats.ttest_rel(b, a).pvalue)
    # the seed-to-seed spread (1 .. 4) is shared, so pairing finds the change; unpaired it would not
    assert d.p_value < 0.05 < stats.ttest_ind(b, a, equal_var=False).pvalue


def test_disjoint_seeds_fall_back_to_welch():
    a, b = [1.0, 2.0, 4.0, 3.0], [1.3, 2.1, 4.6, 3.2, 2.0]
    c = compare(rows("crps", a), rows("crps", b, seeds=range(10, 15)), INFO, "none")
    d = only(c, metric="crps")
    assert not d.paired and c.paired is False
    assert d.p_value == pytest.approx(stats.ttest_ind(b, a, equal_var=False).pvalue)
    assert d.a_mean == pytest.approx(2.5) and d.b_se == pytest.approx(stats.sem(b))


def test_the_correction_controls_the_whole_table():
    """One real change (p < 1e-5) and two borderline ones (p ~ 0.03) among ten deltas: tested
    alone all three are flagged; Benjamini-Hochberg and Holm keep only the real one."""
    ra, rb = [], []
    for i in range(7):  # no change at all
        ra += rows("crps", [1.0, 2.0, 3.0], model=f"same{i}")
        rb += rows("crps", [1.0, 2.0, 3.0], model=f"same{i}")
    ra += rows("crps", [1.0, 2.0, 3.0, 4.0, 5.0], model="real")
    rb += rows("crps", [2.0, 3.001, 3.999, 5.0, 6.0], model="real")
    for m in ("edge1", "edge2"):
        ra += rows("crps", [1.0, 2.0, 3.0], model=m)
        rb += rows("crps", [1.1, 2.16, 3.1], model=m)
    p = {d.model: d.p_value for d in compare(ra, rb, INFO, "none").deltas if d.level == "metric"}
    assert p["real"] < 1e-5 and 0.01 < p["edge1"] < 0.05
    flagged = {
        corr: {d.model for d in compare(ra, rb, INFO, corr).flagged if d.level == "metric"}
        for corr in ("none", "bh", "holm")
    }
    assert flagged == {"none": {"real", "edge1", "edge2"}, "bh": {"real"}, "holm": {"real"}}


def test_an_unknown_correction_is_refused():
    with pytest.raises(ValueError, match="bh, holm, none"):
        compare([], [], INFO, "bonferroni")


@pytest.mark.parametrize(
    "metric,a,b,verdict",
    [
        ("crps", [1.0, 2.0, 3.0], [2.0, 3.01, 4.0], "worse"),  # lower is better and it rose
        ("crps", [2.0, 3.01, 4.0], [1.0, 2.0, 3.0], "better"),
        ("made_up_score", [1.0, 2.0, 3.0], [2.0, 3.01, 4.0], "better"),  # direction as stored, not registered
        ("coef_covers[x]", [0.5, 0.6, 0.7], [0.9, 0.99, 1.1], "better"),  # nominal: closer to its target 0.95
        ("coef_covers[x]", [0.9, 0.99, 1.1], [1.3, 1.41, 1.5], "worse"),
        ("coef_error[x]", [0.0, 0.1, 0.2], [0.5, 0.61, 0.7], "changed"),  # nominal with no stored target
        ("crps", [1.0, 2.0, 3.0], [1.0 + 1e-12, 2.0 + 2e-12, 3.0 + 1e-12], "unchanged"),  # floating-point noise
        ("crps", [1.0], [2.0], "untested"),  # one seed: no standard error, no test
    ],
)
def test_verdicts_follow_the_stored_direction(metric, a, b, verdict):
    d = only(compare(rows(metric, a), rows(metric, b), INFO, "none"), metric=metric)
    assert d.verdict == verdict
    assert d.flagged == (verdict in ("worse", "better", "changed"))


def test_rows_only_one_run_has_are_listed_not_tested():
    c = compare(rows("crps", [1.0, 2.0]) + rows("gone", [1.0, 2.0]), rows("crps", [1.0, 2.0]), INFO)
    assert c.only_a == [("g", "m", "gone")] and c.only_b == []
    assert {d.metric for d in c.deltas} == {"crps"}


def test_each_face_is_decided_by_its_primary_metric():
    values = {  # metric: (run A by seed, run B by seed)
        "sqrt_pehe_out": ([1.0, 2.0, 3.0], [2.0, 3.0, 4.01]),
        "sqrt_pehe_in": ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
        "ate_abs_error_out": ([1.0, 2.0, 3.0], [0.0, 1.0, 2.01]),
        "coef_efficiency[x]": ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
        "coef_efficiency[tau]": ([3.0, 2.0, 1.0], [5.0, 4.0, 3.01]),
        "energy_distance": ([0.1, 0.2, 0.3], [0.1, 0.2, 0.3]),
    }
    a = [r for metric, (va, _) in values.items() for r in rows(metric, va)]
    b = [r for metric, (_, vb) in values.items() for r in rows(metric, vb)]
    c = compare(a, b, INFO, "none")
    faces = {d.face: d for d in c.deltas if d.level == "face"}
    assert faces["counterfactuals"].metric == "sqrt_pehe_out"  # out of sample first
    assert faces["counterfactuals"].verdict == "worse"  # although the ATE error improved
    assert faces["distribution"].metric == "energy_distance"  # no CRPS: a joint sampler's
    coef = faces["coefficients"]
    assert coef.metric == "coef_efficiency" and coef.delta == pytest.approx((2 + 2 + 2.01) / 3 / 2)
    assert coef.a_mean == pytest.approx(2.0)  # the mean of the per-seed means over the names


def test_in_sample_pehe_decides_where_there_are_no_test_rows():
    c = compare(rows("sqrt_pehe_in", [1.0, 2.0]), rows("sqrt_pehe_in", [1.5, 2.5]), INFO)
    assert only(c, level="face", face="counterfactuals").metric == "sqrt_pehe_in"


def test_the_stored_primary_rank_decides_the_face():
    """The choice is the one stored with the run, the same the leaderboard makes."""
    info = {**INFO, "ate_abs_error_out": {**INFO["ate_abs_error_out"], "primary_rank": 1}}
    info["sqrt_pehe_out"] = {**INFO["sqrt_pehe_out"], "primary_rank": 0}
    assert primary_candidates(info, "counterfactuals") == ["ate_abs_error_out", "sqrt_pehe_in"]
    assert primary_candidates(INFO, "counterfactuals") == ["sqrt_pehe_out", "sqrt_pehe_in"]
    both = rows("sqrt_pehe_out", [1.0, 2.0]) + rows("ate_abs_error_out", [1.0, 2.0])
    assert only(compare(both, both, info), level="face").metric == "ate_abs_error_out"


def test_machine_rows_carry_every_column():
    c = compare(rows("crps", [1.0, 2.0, 3.0]), rows("crps", [2.0, 3.01, 4.0]), INFO)
    row = only(c, metric="crps").row()
    assert ",".join(row).startswith(
        "generator,model,face,metric,a_mean,a_se,b_mean,b_se,delta,se,p_value,paired,n,flagged,direction_better"
    )
    assert row["direction_better"] == "lower" and row["flagged"] is True and math.isfinite(row["p_value"])
