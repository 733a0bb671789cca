"""Every registered model through the conformance checks, ids ``model-check_name``.

Checks apply by declared capability; a known failure runs as a strict xfail with its reason."""

import pytest

from dgpbench.models.conformance import CHECKS, KNOWN_FAILURES, applies, make_case
from dgpbench.models.registry import MODELS

_cases: dict[str, object] = {}


def case_for(name: str):
    if name not in _cases:
        _cases[name] = make_case(MODELS.get(name))
    return _cases[name]


def _params():
    for model in MODELS.names():
        for check in CHECKS:
            if not applies(check, MODELS.get(model)):
                continue
            reason = KNOWN_FAILURES.get((model, check))
            marks = [pytest.mark.xfail(reason=reason, strict=True, raises=AssertionError)] if reason else []
            yield pytest.param(model, check, id=f"{model}-{check}", marks=marks)


@pytest.mark.parametrize("model, check", list(_params()))
def test_conformance(model, check):
    CHECKS[check](case_for(model))


def test_known_failures_name_registered_models_and_checks():
    for model, check in KNOWN_FAILURES:
        assert model in MODELS.names() and check in CHECKS and applies(check, MODELS.get(model))
