"""The compare view's arithmetic on hand-computed rows."""

import math

import pytest

from dgpbench.reports.compare import combined_se, difference, face_deltas, metric_deltas, tally, verdict


def row(metric, mean, se, face="distribution", model="m", score=None):
    return {"generator": "g", "model": model, "face": face, "metric": metric, "mean": mean, "se": se, "score": score}


def test_combined_se_is_the_se_of_a_difference():
    assert combined_se(0.3, 0.4) == pytest.approx(0.5)
    assert combined_se(None, 0.4) is None


@pytest.mark.parametrize(
    "delta,exceeds,direction,expected",
    [
        (-0.6, True, "lower", "better"),
        (0.6, True, "lower", "worse"),
        (0.6, True, "higher", "better"),
        (0.6, True, "nominal", "changed"),
        (0.4, False, "lower", "within se"),
        (0.0, False, "lower", "same"),
        (0.6, None, "lower", "unknown"),
        (None, None, "lower", "unknown"),
    ],
)
def test_verdict(delta, exceeds, direction, expected):
    assert verdict(delta, exceeds, direction) == expected


def test_metric_deltas():
    a = [row("crps", 1.0, 0.3, score=0.5), row("coverage", 0.9, 0.3), row("nll", 2.0, 0.3), row("gone", 1.0, 0.1)]
    b = [row("crps", 0.4, 0.4, score=0.8), row("coverage", 1.5, 0.4), row("nll", 2.4, 0.4), row("new", 1.0, 0.1)]
    out = {r["metric"]: r for r in metric_deltas(a, b, {"crps": "lower", "coverage": "nominal", "nll": "lower"})}
    crps = out["crps"]
    assert crps["delta"] == pytest.approx(-0.6) and crps["se"] == pytest.approx(0.5)
    assert crps["exceeds"] is True and crps["verdict"] == "better"
    assert crps["d_score"] == pytest.approx(0.3)
    assert out["coverage"]["verdict"] == "changed"
    assert out["nll"]["exceeds"] is False and out["nll"]["verdict"] == "within se"
    assert out["gone"]["verdict"] == "only in A" and out["new"]["verdict"] == "only in B"
    assert tally(list(out.values()))["better"] == 1


def test_noise_level_differences_are_zero():
    assert difference(0.1 + 0.2, 0.3) == 0.0
    assert difference(1.0, 1.0 + 1e-6) == pytest.approx(1e-6)
    (r,) = metric_deltas([row("crps", 0.1 + 0.2, 0.0)], [row("crps", 0.3, 0.0)], {"crps": "lower"})
    assert r["verdict"] == "same"


def test_metric_names_with_keys_use_their_base_direction():
    (r,) = metric_deltas(
        [row("coef_abs_error[x]", 1.0, 0.1)], [row("coef_abs_error[x]", 2.0, 0.1)], {"coef_abs_error": "lower"}
    )
    assert r["direction"] == "lower" and r["verdict"] == "worse"


def test_face_deltas():
    sa = [
        {
            "generator": "g",
            "model": "m",
            "coefficients": 0.5,
            "counterfactuals": None,
            "distribution": 1.0,
            "n_ok": 2,
            "n_total": 2,
        }
    ]
    sb = [
        {
            "generator": "g",
            "model": "m",
            "coefficients": 0.25,
            "counterfactuals": 0.1,
            "distribution": 1.0,
            "n_ok": 1,
            "n_total": 2,
        }
    ]
    (r,) = face_deltas(sa, sb)
    assert r["coefficients"]["delta"] == pytest.approx(-0.25)
    assert r["counterfactuals"]["delta"] is None and r["distribution"]["delta"] == 0.0
    assert r["b_cells"] == (1, 2) and not math.isnan(r["distribution"]["a"])
