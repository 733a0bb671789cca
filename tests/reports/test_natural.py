"""Labels sorted as a reader counts them (:func:`dgpbench.reports.natural.natural_key`)."""

from __future__ import annotations

from dgpbench.reports.natural import natural_key


def test_numbers_inside_labels_sort_by_value():
    labels = ["ihdp_10", "ihdp_2", "ihdp_1", "linear", "ihdp_100", "Heteroscedastic", "ihdp_9"]
    assert sorted(labels, key=natural_key) == [
        "Heteroscedastic",
        "ihdp_1",
        "ihdp_2",
        "ihdp_9",
        "ihdp_10",
        "ihdp_100",
        "linear",
    ]


def test_labels_that_mix_digits_and_text_in_any_place_compare_without_error():
    labels = ["10x", "x10", "x", "2x", "", "x2y3", "x2y10", "ihdp_01", "ihdp_1", 7]
    ordered = sorted(labels, key=natural_key)
    assert ordered[:3] == ["", "2x", 7]  # "" first; then digits first, by value
    assert ordered.index("x2y3") < ordered.index("x2y10")
    assert ordered.index("ihdp_01") < ordered.index("ihdp_1")  # ties broken by the label itself


def test_decimal_values_of_a_sweep_sort_by_value():
    labels = ["did_noise@noise_sd=0.5", "did_noise@noise_sd=0.25", "did_noise@noise_sd=2.0", "did_noise@noise_sd=1.0"]
    assert sorted(labels, key=natural_key) == [
        "did_noise@noise_sd=0.25",
        "did_noise@noise_sd=0.5",
        "did_noise@noise_sd=1.0",
        "did_noise@noise_sd=2.0",
    ]
