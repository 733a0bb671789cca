"""The conformance checks can fail: each is run against a harness or model that breaks the
invariant it guards."""

from __future__ import annotations

import numpy as np
import pytest

from dgpbench.generators.base import Observed
from dgpbench.models import conformance
from dgpbench.models.registry import MODELS


@pytest.fixture
def case() -> conformance.Case:
    return conformance.make_case(MODELS.get("linear_gaussian"))  # ihdp: it has test rows


def test_truth_check_passes_on_the_real_fit(case):
    conformance.check_truth_not_visible_in_fit(case)


def test_truth_check_catches_test_rows_reaching_fit(case, monkeypatch):
    assert case.observed.mask("test").any()
    monkeypatch.setattr(Observed, "fit_view", lambda self: self)
    with pytest.raises(AssertionError, match="test row"):
        conformance.check_truth_not_visible_in_fit(case)


def test_truth_check_catches_a_counterfactual_column_under_any_name(case, monkeypatch):
    fit_view = Observed.fit_view
    mu1 = np.asarray(case.truth.mu1, float)

    def leaky(self: Observed) -> Observed:
        view = fit_view(self)
        frame = view.frame.assign(extra=mu1[self.mask("train", "valid")])
        return Observed(frame, view.roles, view.split)

    monkeypatch.setattr(Observed, "fit_view", leaky)
    with pytest.raises(AssertionError):
        conformance.check_truth_not_visible_in_fit(case)


def test_truth_check_catches_a_changed_seed(case, monkeypatch):
    model_cls = case.model_cls
    fit = model_cls.fit
    monkeypatch.setattr(model_cls, "fit", lambda self, observed, seed=0: fit(self, observed, seed + 1))
    with pytest.raises(AssertionError):
        conformance.check_truth_not_visible_in_fit(case)
