"""Bad parameters fail at construction with BadInput naming generator and parameter."""

from __future__ import annotations

import pytest

from dgpbench.errors import BadInput
from dgpbench.generators.registry import GENERATORS, load_generator

BAD = [
    ("did_panel", {"n_unit": 10}, "n_unit"),  # unknown name
    ("did_panel", {"n_units": "10"}, "n_units"),  # wrong type
    ("did_panel", {"n_units": 1.5}, "n_units"),  # float for int
    ("did_panel", {"n_units": 1}, "n_units"),  # out of range
    ("did_panel", {"noise_sd": -0.1}, "noise_sd"),
    ("did_panel", {"treat_prob": 1.0}, "treat_prob"),
    ("did_panel", {"staggered": 1}, "staggered"),  # int for bool
    ("did_panel", {"n_periods": 10, "adoption_period": 10}, "adoption_period"),  # cross-field
    ("did_panel", {"adoption_period": 0}, "adoption_period"),
    ("heteroscedastic", {"n": 1}, "n"),
    ("heteroscedastic", {"n_test": -1}, "n_test"),
    ("two_mode_mixture", {"weight": 1.5}, "weight"),
    ("radon_like", {"family": "gamma"}, "family"),
    ("radon_like", {"group_sd": -1.0}, "group_sd"),
    ("radon_like", {"noise_sd": 0.0}, "noise_sd"),
    ("radon_mn", {"seed": 1}, "seed"),
    ("ihdp", {"replication": 11}, "replication"),
    ("ihdp", {"replication": "1"}, "replication"),
]


@pytest.mark.parametrize(
    "name, params, param", BAD, ids=[f"{n}-{'-'.join(f'{k}={v!r}' for k, v in p.items())}" for n, p, _ in BAD]
)
def test_bad_parameter_names_generator_and_parameter(name, params, param):
    with pytest.raises(BadInput) as err:
        load_generator(name, **params)
    assert name in str(err.value) and param in str(err.value)


@pytest.mark.parametrize("name", GENERATORS.names())
def test_defaults_construct(name):
    gen = load_generator(name)
    assert gen.params is not None


def test_adoption_period_defaults_to_half_the_periods():
    assert load_generator("did_panel").params.t0 == 50
    assert load_generator("did_panel", n_periods=10).params.t0 == 5
    assert load_generator("did_panel", n_periods=10, adoption_period=9).params.t0 == 9


def test_seed_must_be_a_non_negative_integer():
    gen = load_generator("heteroscedastic", n=10, n_test=0)
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(ValueError):
            gen.sample(bad)
