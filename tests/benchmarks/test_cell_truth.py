"""The cell's side of "truth cannot reach a model": the model's seed is a documented hash of
the cell seed, ``supports``/``fit`` see the fit view only, the truth comes from a second
draw that must match the first, and what a model does to its input does not reach scoring."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from dgpbench.benchmarks.cell import run_cell
from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, RunSettings
from dgpbench.generators.heteroscedastic import Heteroscedastic
from dgpbench.models.base import model_seed
from dgpbench.models.baselines import LinearGaussian

GEN = ComponentSpec("heteroscedastic", "1", {"n": 200, "n_test": 50})
SETTINGS = RunSettings(metrics=("nll_excess", "crps"))


def _cell(seed: int = 7) -> CellSpec:
    return CellSpec(GEN, ComponentSpec("linear_gaussian", "1", {}), seed)


def test_model_seed_is_the_documented_hash_and_never_the_cell_seed():
    for seed in (0, 1, 7, 2**31 - 1, 10**12):
        digest = hashlib.sha256(b"dgpbench-model-seed:%d" % seed).digest()
        assert model_seed(seed) == int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
    assert all(model_seed(s) != s for s in range(5000))
    assert len({model_seed(s) for s in range(5000)}) == 5000
    for bad in (-1, 1.0, True):
        with pytest.raises(ValueError, match="seed"):
            model_seed(bad)


def test_the_cell_fits_with_the_model_seed_on_the_fit_view(monkeypatch):
    seen: list[tuple[str, object]] = []
    fit, supports = LinearGaussian._fit, LinearGaussian.supports

    def spy_fit(self, observed, seed):
        seen.append(("fit", seed))
        return fit(self, observed, seed)

    def spy_supports(self, observed):
        seen.append(("supports", set(np.unique(observed.split))))
        return supports(self, observed)

    monkeypatch.setattr(LinearGaussian, "_fit", spy_fit)
    monkeypatch.setattr(LinearGaussian, "supports", spy_supports)
    result = run_cell(_cell(7), SETTINGS)
    assert result.status == "ok", result.error
    assert ("fit", model_seed(7)) == seen[[k for k, _ in seen].index("fit")]
    assert all(v != 7 for k, v in seen if k == "fit")  # the naive baseline's fit too
    assert all(v <= {"train", "valid"} for k, v in seen if k == "supports"), seen


def test_a_generator_that_draws_differently_twice_is_an_error(monkeypatch):
    sample = Heteroscedastic._sample
    calls = []

    def drifting(self, rng):
        observed, truth = sample(self, rng)
        calls.append(1)
        observed.frame.loc[0, "y"] += len(calls)  # each draw differs
        return observed, truth

    monkeypatch.setattr(Heteroscedastic, "_sample", drifting)
    result = run_cell(_cell(), SETTINGS)
    assert result.status == "error" and "DrawMismatch" in result.error


def test_a_model_that_edits_its_input_does_not_change_what_is_scored(monkeypatch):
    clean = {m["metric"]: m["value"] for m in run_cell(_cell(), SETTINGS).metrics}
    fit = LinearGaussian._fit

    def vandal(self, observed, seed):
        fitted = fit(self, observed, seed)
        observed.frame["y"] = 1e6  # after fitting: only the harness could still read it
        return fitted

    monkeypatch.setattr(LinearGaussian, "_fit", vandal)
    result = run_cell(_cell(), SETTINGS)
    assert result.status == "ok", result.error
    assert {m["metric"]: m["value"] for m in result.metrics} == clean


def test_no_frame_a_model_can_walk_up_to_holds_the_test_rows(monkeypatch):
    """A model that walks the call stack from ``_fit`` finds no Observed with test rows: the
    cell keeps only the fit view alive while the model runs (the test outcomes it is scored
    on come from the second draw)."""
    import sys

    from dgpbench.generators.base import Observed

    found: list[str] = []
    calls: list[int] = []
    fit = LinearGaussian._fit

    def snooping_fit(self, observed, seed):
        calls.append(seed)
        if len(calls) > 1:  # later fits are the harness's own naive baseline, after the model's
            return fit(self, observed, seed)
        frame = sys._getframe()
        while frame is not None:
            for name, value in frame.f_locals.items():
                if isinstance(value, Observed) and value.mask("test").any():
                    found.append(f"{frame.f_code.co_name}:{name}")
            frame = frame.f_back
        return fit(self, observed, seed)

    monkeypatch.setattr(LinearGaussian, "_fit", snooping_fit)
    result = run_cell(_cell(3), SETTINGS)
    assert result.status == "ok", result.error
    assert calls and calls[0] == model_seed(3)
    assert found == [], found
