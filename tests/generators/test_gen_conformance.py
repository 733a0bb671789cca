"""Every registered generator (at small sizes, and a few option variants) through the
conformance checks of :mod:`dgpbench.generators.conformance`, ids ``case-check_name``.

The checks are the ones ``dgpbench check --plugin`` runs on a third party's generator; a
check that does not apply (the truth defines nothing it reads) is skipped with its reason.
What is left here is not a per-generator check of that module.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from dgpbench.generators.conformance import CHECKS, GeneratorCase, NotApplicable
from dgpbench.generators.registry import GENERATORS, generator_class, load_generator

# small configurations so the whole suite runs in seconds; anything unnamed uses defaults
SMALL = {
    "did_panel": {"n_units": 40, "n_periods": 25},
    "heteroscedastic": {"n": 2000, "n_test": 500},
    "two_mode_mixture": {"n": 2000, "n_test": 500},
    "linear": {"n": 2000, "n_test": 500},
    "nie_wager": {"n": 2000, "n_test": 500},
}
VARIANTS = [
    (
        "did_panel",
        {
            "n_units": 40,
            "n_periods": 25,
            "staggered": True,
            "tau_x": 0.5,
            "tau_growth": 0.05,
            "trend_gap": 0.02,
            "noise_sd": 0.5,
        },
    ),
    ("did_panel", {"n_units": 40, "n_periods": 25, "noise_sd": 0.0}),
    ("did_panel", {"n_units": 40, "n_periods": 25, "framing": "pre_period", "staggered": True, "tau_growth": 0.05}),
    ("heteroscedastic", {"n": 2000, "n_test": 500, "hetero": 0.0}),
    ("heteroscedastic", {"n": 2000, "n_test": 500, "hetero": 2.5}),
    ("two_mode_mixture", {"n": 2000, "n_test": 500, "weight": 0.3, "separation": 0.0}),
    ("two_mode_mixture", {"n": 2000, "n_test": 500, "separation": 3.0}),
    ("radon_like", {"family": "bernoulli"}),
    ("radon_like", {"family": "poisson"}),
    ("two_mode_mixture", {"n": 2000, "n_test": 0, "weight": 0.2}),
    ("nie_wager", {"n": 2000, "n_test": 500, "setup": "B", "d": 12, "sigma": 0.5}),
    ("nie_wager", {"n": 2000, "n_test": 500, "setup": "C", "overlap": 0.5}),
    ("nie_wager", {"n": 2000, "n_test": 0, "setup": "D", "sigma": 4.0}),
]
CASES = [(name, SMALL.get(name, {})) for name in GENERATORS.names()] + VARIANTS
IDS = [
    name
    + (
        "(" + ",".join(f"{k}={v}" for k, v in p.items() if k not in SMALL.get(name, {})) + ")"
        if any(k not in SMALL.get(name, {}) for k in p)
        else ""
    )
    for name, p in CASES
]
case = pytest.mark.parametrize("name, params", CASES, ids=IDS)


@cache
def case_for(index: int) -> GeneratorCase:
    """One case per configuration, shared by its checks (its seed-0 draw is made once)."""
    name, params = CASES[index]
    return GeneratorCase(name, generator_class(name), dict(params))


@pytest.mark.parametrize(
    "index, check", [pytest.param(i, check, id=f"{IDS[i]}-{check}") for i in range(len(CASES)) for check in CHECKS]
)
def test_conformance(index, check):
    try:
        CHECKS[check](case_for(index))
    except NotApplicable as exc:
        pytest.skip(str(exc))


@case
def test_fingerprint_sees_a_changed_value_or_split(name, params):
    observed = load_generator(name, **params).observe(4)
    base = observed.fingerprint()
    assert observed.fingerprint() == base  # stable within a process
    frame = observed.frame.copy()
    column = observed.roles.outcome
    frame.loc[frame.index[-1], column] = frame[column].iloc[-1] + 1
    assert type(observed)(frame, observed.roles, observed.split).fingerprint() != base
    split = np.array(observed.split, copy=True)
    split[0] = "valid" if split[0] != "valid" else "train"
    assert type(observed)(observed.frame, observed.roles, split).fingerprint() != base


def test_observe_checks_the_seed_like_sample():
    gen = load_generator("heteroscedastic", n=10, n_test=0)
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="seed"):
            gen.observe(bad)
