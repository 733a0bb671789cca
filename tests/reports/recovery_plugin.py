"""Test-only plugin of the recovery tests (``--plugin tests/reports/recovery_plugin.py``):
OLS variants whose recovery is known by construction -- a constant bias of 0.3 on every
coefficient (``recovery_biased``), a fit to at most the first 300 rows (``recovery_capped``:
it stops learning) and coefficients that ignore the data (``recovery_blind``). Coefficients
only, so a cell is scored in milliseconds."""

from __future__ import annotations

from dgpbench.generators import analyses
from dgpbench.generators.base import Observed, coefficient_table
from dgpbench.models.base import Fitted
from dgpbench.models.reference import OLS, OLSFitted
from dgpbench.models.registry import MODELS

BIAS = 0.3
CAP = 300


class _Variant(OLS):
    description = "test-only OLS variant"

    def ols(self, observed: Observed, rows: int | None = None):
        frame, roles = observed.frame.iloc[:rows], observed.roles
        names = {"const": "intercept", **{c: c for c in roles.inputs()}}
        return analyses.ols_hc1(frame, roles.outcome, list(roles.inputs()), names)


class Biased(_Variant):
    name = "recovery_biased"

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        table = self.ols(observed)
        for col in ("estimate", "lower", "upper"):
            table[col] = table[col] + BIAS
        return OLSFitted(table)


class Capped(_Variant):
    name = "recovery_capped"

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return OLSFitted(self.ols(observed, CAP))


class Blind(_Variant):
    name = "recovery_blind"

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        names = ["intercept", *observed.roles.inputs()]
        return OLSFitted(coefficient_table(names, [0.5] * len(names), [1.0] * len(names)))


for _cls in (Biased, Capped, Blind):
    MODELS.register(_cls.name, _cls)
