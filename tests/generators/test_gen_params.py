"""Bad parameters fail at construction with BadInput naming generator and parameter."""

from __future__ import annotations

import pytest

from dgpbench.errors import BadInput
from dgpbench.generators.registry import GENERATORS, load_generator
from dgpbench.params import as_dict

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
    ("linear", {"n": 2}, "n"),
    ("linear", {"slope": 2.0}, "slope"),  # the process is fixed
    ("nie_wager", {"setup": "E"}, "setup"),
    ("nie_wager", {"d": 4}, "d"),  # the setups use x1..x5
    ("nie_wager", {"sigma": 0.0}, "sigma"),
    ("nie_wager", {"overlap": 0.0}, "overlap"),
    ("iris", {"n": 100}, "n"),
]


@pytest.mark.parametrize(
    "name, params, param", BAD, ids=[f"{n}-{'-'.join(f'{k}={v!r}' for k, v in p.items())}" for n, p, _ in BAD]
)
def test_bad_parameter_names_generator_and_parameter(name, params, param):
    with pytest.raises(BadInput) as err:
        load_generator(name, **params)
    assert name in str(err.value) and param in str(err.value)


DEFAULTS = {
    "did_panel": {
        "n_units": 100,
        "n_periods": 100,
        "tau": 0.5,
        "trend": 0.01,
        "treat_prob": 0.5,
        "adoption_period": None,
        "staggered": False,
        "tau_x": 0.0,
        "tau_growth": 0.0,
        "trend_gap": 0.0,
        "noise_sd": 1.0,
        "framing": "all_rows",
    },
    "heteroscedastic": {"n": 10_000, "n_test": 2_000, "hetero": 1.0},
    "two_mode_mixture": {"n": 10_000, "n_test": 2_000, "weight": 0.5, "separation": 1.0},
    "radon_like": {
        "family": "normal",
        "intercept": 1.462,
        "floor_effect": -0.693,
        "group_sd": 0.328,
        "noise_sd": 0.756,
        "floor_prob": 153 / 919,
    },
    "radon_mn": {},
    "ihdp": {"replication": 1},
    "linear": {"n": 1_000, "n_test": 1_000},
    "nie_wager": {"setup": "A", "n": 1_000, "n_test": 1_000, "d": 6, "sigma": 1.0, "overlap": 1.0},
    "iris": {},
}


def test_every_generator_has_its_documented_defaults():
    assert set(DEFAULTS) == set(GENERATORS.names())
    for name, defaults in DEFAULTS.items():
        assert as_dict(load_generator(name).params) == defaults, name


def test_whole_numbers_are_coerced_to_float_parameters_and_stay_typed():
    params = load_generator("did_panel", tau=1, noise_sd=0, n_units=10).params
    assert params.tau == 1.0 and type(params.tau) is float
    assert params.noise_sd == 0.0 and type(params.noise_sd) is float
    assert params.n_units == 10 and type(params.n_units) is int


@pytest.mark.parametrize(
    "name, param, inside, outside",
    [
        ("did_panel", "n_units", 2, 1),  # ge: the bound itself is valid
        ("did_panel", "treat_prob", 0.99, 0.0),  # gt / lt: the bounds are not
        ("heteroscedastic", "n_test", 0, -1),
        ("two_mode_mixture", "weight", 0.01, 0.0),
        ("radon_like", "group_sd", 0.0, -1e-9),
        ("ihdp", "replication", 10, 11),
    ],
)
def test_range_bounds_accept_inside_and_refuse_outside(name, param, inside, outside):
    assert getattr(load_generator(name, **{param: inside}).params, param) == inside
    with pytest.raises(BadInput, match=param):
        load_generator(name, **{param: outside})


def test_adoption_period_defaults_to_half_the_periods():
    assert load_generator("did_panel").params.t0 == 50
    assert load_generator("did_panel", n_periods=10).params.t0 == 5
    assert load_generator("did_panel", n_periods=10, adoption_period=9).params.t0 == 9


def test_seed_must_be_a_non_negative_integer():
    gen = load_generator("heteroscedastic", n=10, n_test=0)
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(ValueError):
            gen.sample(bad)
