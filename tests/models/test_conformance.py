"""Every registered model through the conformance checks, ids ``model-check_name``."""

import pytest

from dgpbench.models.conformance import CHECKS, make_case
from dgpbench.models.registry import MODELS

_cases: dict[str, object] = {}


def case_for(name: str):
    if name not in _cases:
        _cases[name] = make_case(MODELS.get(name))
    return _cases[name]


@pytest.mark.parametrize("check", list(CHECKS), ids=list(CHECKS))
@pytest.mark.parametrize("model", MODELS.names())
def test_conformance(model, check):
    CHECKS[check](case_for(model))
