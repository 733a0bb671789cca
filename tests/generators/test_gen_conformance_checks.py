"""The generator conformance checks can fail: each breakage below is a generator that breaks
the one promise a check guards, and that check says so (the others are not asked)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dgpbench.generators import conformance
from dgpbench.generators.linear import Linear
from dgpbench.generators.nie_wager import NieWager

SMALL = {"n": 400, "n_test": 100}


def outcome(check: str, cls: type, name: str) -> conformance.Outcome:
    case = conformance.GeneratorCase(name, cls, dict(SMALL))
    return conformance.outcome_of(check, name, lambda: conformance.CHECKS[check](case))


class SwappedOutcomes(NieWager):
    """y0 and y1 exchanged: the observed y is no longer the realised potential outcome."""

    def _sample(self, rng):
        obs, truth = super()._sample(rng)
        return obs, dataclasses.replace(truth, y0=truth.y1, y1=truth.y0)


class ShortRowArrays(NieWager):
    """mu0 and mu1 for the train rows only: they no longer align with the frame."""

    def _sample(self, rng):
        obs, truth = super()._sample(rng)
        return obs, dataclasses.replace(truth, mu0=truth.mu0[: SMALL["n"]], mu1=truth.mu1[: SMALL["n"]])


class ShiftedIndex(NieWager):
    """The frame's index starts at 1: the oracle would look every row's mu0 up one row off."""

    def _sample(self, rng):
        obs, truth = super()._sample(rng)
        obs.frame.index = obs.frame.index + 1
        return obs, truth


class SeedIgnored(Linear):
    """Every seed draws the same data (the seed never reaches the rng)."""

    def sample(self, seed):
        return self._sample(np.random.default_rng(0))


class WrongSizeParam(Linear):
    size_param = "rows"


class InfiniteCoefficient(Linear):
    def _sample(self, rng):
        obs, truth = super()._sample(rng)
        return obs, dataclasses.replace(truth, coefficients={"intercept": 0.1, "x": float("inf")})


class BooleanOutcome(Linear):
    """The outcome is y > 0 as booleans, not numbers (a binary outcome is 0/1 integers)."""

    def _sample(self, rng):
        obs, truth = super()._sample(rng)
        obs.frame[obs.roles.outcome] = obs.frame[obs.roles.outcome] > 0
        return obs, truth


class DrawsWhenBuilt(Linear):
    """Each instance draws its own offset when built: two built with the same parameters disagree."""

    def __init__(self, **params):
        super().__init__(**params)
        self.offset = float(np.random.default_rng().normal())

    def _sample(self, rng):
        obs, truth = super()._sample(rng)
        obs.frame[obs.roles.outcome] += self.offset
        return obs, truth


class TruthInACycle(NieWager):
    """The truth refers to itself: observe() lets it go, but only a cycle collection frees it."""

    def _sample(self, rng):
        obs, truth = super()._sample(rng)
        truth.__dict__["itself"] = truth
        return obs, truth


@pytest.mark.parametrize(
    "check, cls, name, says",
    [
        ("check_observed_outcome_is_the_realised_potential_outcome", SwappedOutcomes, "nie_wager", "y1 where treated"),
        ("check_row_arrays_align_with_frame", ShortRowArrays, "nie_wager", "shape"),
        ("check_row_arrays_align_with_frame", ShiftedIndex, "nie_wager", "index"),
        ("check_seeds_differ", SeedIgnored, "linear", "seed is ignored"),
        ("check_params_declared_and_validated", WrongSizeParam, "linear", "size_param 'rows'"),
        ("check_coefficients_finite", InfiniteCoefficient, "linear", "non-finite"),
        ("check_declares_name_description_version", Linear, "my_linear", "registered as 'my_linear'"),
        ("check_roles_name_existing_columns", BooleanOutcome, "linear", "not numeric (bool"),
        ("check_built_by_class_and_after_pickle_agree", DrawsWhenBuilt, "linear", "built anew from its class"),
        ("check_observe_is_the_sample_without_its_truth", TruthInACycle, "nie_wager", "left a Truth alive"),
    ],
)
def test_a_broken_generator_fails_the_check_that_guards_it(check, cls, name, says):
    result = outcome(check, cls, name)
    assert result.status == conformance.FAIL and says in result.reason, result


@pytest.mark.parametrize("check", list(conformance.CHECKS))
def test_the_unbroken_generator_passes_or_says_why_not(check):
    result = outcome(check, NieWager, "nie_wager")
    assert result.status == conformance.PASS or (
        result.status == conformance.NOT_APPLICABLE and check == "check_group_effects_cover_the_groups"
    ), result


def test_run_all_names_every_failed_check():
    with pytest.raises(AssertionError, match="check_observed_outcome_is_the_realised_potential_outcome"):
        conformance.run_all("nie_wager", SwappedOutcomes, SMALL)
