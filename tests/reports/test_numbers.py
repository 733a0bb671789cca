"""The one number format (:mod:`dgpbench.reports.numbers`), pinned string by string: the
terminal and the HTML pages both write it, so a change here is a change users see."""

from __future__ import annotations

import pytest

from dgpbench.reports import numbers
from dgpbench.reports.html import num


@pytest.mark.parametrize(
    "value,text",
    [
        (0.0142, "0.0142"),
        (1.234, "1.23"),
        (12.34, "12.3"),
        (123.4, "123"),
        (1234.4, "1234"),  # fixed-point up to 1e4: no "1.23e+03"
        (12345.0, "1.23e+04"),
        (9999.7, "1.00e+04"),  # rounds up into the scientific range
        (9.996, "10.0"),
        (0.5, "0.500"),  # trailing zeros say how many digits are meant
        (0.000371, "0.000371"),
        (3.71e-05, "3.71e-05"),  # genuinely tiny: keeps its digits
        (-0.0001234, "-0.000123"),
        (0.0, "0"),
        (-0.0, "0"),  # never "-0"
        (5.6e-17, "0"),  # floating-point residue
        (-3e-15, "0"),
        (-6.83, "-6.83"),
    ],
)
def test_a_lone_value_has_three_significant_digits(value, text):
    assert numbers.number(value) == text


@pytest.mark.parametrize(
    "mean,se,texts",
    [
        (0.014, 0.000234, ("0.01400", "0.00023")),  # the 0.014±0.000234: mean to the se's place
        (0.81234, 0.0531, ("0.812", "0.053")),
        (12.34, 3.2, ("12.3", "3.2")),
        (1234.5, 56.0, ("1234", "56")),
        (1234.5, 567.0, ("1230", "570")),  # an se in the hundreds rounds the mean to tens
        (-0.00001, 0.05, ("0", "0.050")),  # rounds to zero at the se's place: "0", never "-0.000"
        (0.81, 5.6e-17, ("0.810", "0")),  # no "± 5.6e-17"
        (0.81, 0.0, ("0.810", "0")),
        (0.81, 3e-07, ("0.810", "3.0e-07")),  # too many decimals: each on its own
        (3.71e-05, 1.2e-06, ("3.71e-05", "1.2e-06")),
        (12345.0, 567.0, ("1.23e+04", "570")),
        (0.81, None, ("0.810", None)),  # one seed: no se
        (-20.09, 4.4, ("-20.1", "4.4")),
    ],
)
def test_a_mean_is_written_to_the_decimal_place_of_its_se(mean, se, texts):
    assert numbers.mean_se(mean, se) == texts


@pytest.mark.parametrize(
    "mean,se,same",
    [(0.81, 0.0, True), (0.81, 5.6e-17, True), (2e6, 1e-4, True), (0.81, 1e-6, False), (0.81, None, False)],
)
def test_the_same_value_on_every_seed_is_a_negligible_se(mean, se, same):
    assert numbers.same_every_seed(mean, se) is same


def test_signed_differences():
    assert [numbers.signed(numbers.number(v), v) for v in (0.25, -0.25, 0.0, 1e-17)] == ["+0.250", "-0.250", "0", "0"]
    assert numbers.signed(numbers.mean_se(0.0001, 0.05)[0], 0.0001) == "0"  # never "+0"
    assert [numbers.number(v) for v in (float("inf"), float("-inf"), float("nan"))] == ["inf", "-inf", "nan"]


def test_html_writes_the_same_format():
    assert num(None) == "–" and num(float("nan")) == "–"
    assert num(0.0142) == numbers.number(0.0142) == "0.0142"
    assert num(-0.0) == "0" and num(5.6e-17) == "0"
    assert num(0.81234, 2) == "0.81"
    # a mean and its se, each written to the se's decimal place
    assert (num(0.014, se=0.000234), num(0.000234, of=0.014)) == ("0.01400", "0.00023")
    assert num(5.6e-17, of=0.81) == "0" and num(2e-4, of=2e6) == "0"  # no spread: the template says so in words
