"""A cell its cell process's parent stopped (past its time limit) or saw die records how long
it ran until then: the failures table once said "max seconds 0.000" for a cell stopped at
its time limit, because only a cell that returns reports its own timings."""

from __future__ import annotations

import pytest

from dgpbench.benchmarks import runner
from dgpbench.benchmarks.store import Store

pytestmark = pytest.mark.timeout(240)

TIME_LIMIT = 3.0

PLUGIN = """
import os
import time
from dataclasses import dataclass

from dgpbench.models.base import Capabilities, Model
from dgpbench.models.registry import MODELS


@dataclass(frozen=True)
class Params:
    pass


class _Stall(Model):
    version = "1"
    Params = Params
    capabilities = Capabilities(coefficients=True)
    description = "test-only: never returns"

    def _fit(self, observed, seed):
        time.sleep(600)


class StallModel(_Stall):
    name = "stall_model"


class DieModel(_Stall):
    name = "die_model"
    description = "test-only: its process dies after a moment"

    def _fit(self, observed, seed):
        time.sleep(0.5)
        os._exit(5)


MODELS.register("stall_model", StallModel)
MODELS.register("die_model", DieModel)
"""

SUITE = f"""
name: stopped-cells
seeds: [0]
time_limit: {TIME_LIMIT}
metrics: [coef_error]
generators: [{{name: heteroscedastic, params: {{n: 60, n_test: 20}}}}]
models: [{{name: stall_model}}, {{name: die_model}}]
"""


def test_a_stopped_cell_stores_the_time_it_ran_until_it_was_stopped(tmp_path):
    plugin, suite = tmp_path / "stall_plugin.py", tmp_path / "suite.yaml"
    plugin.write_text(PLUGIN)
    suite.write_text(SUITE)
    summary = runner.run(
        str(suite), str(tmp_path / "s.sqlite"), plugins=(str(plugin),), workers=2, progress=False, echo=lambda _: None
    )
    cells = {c["model"]: c for c in Store(tmp_path / "s.sqlite").cells(summary.run_id)}
    assert cells["stall_model"]["status"] == "timeout"
    # stopped at its limit: at least the limit, not the 600 s the fit asked for (nor 0)
    assert TIME_LIMIT <= cells["stall_model"]["total_s"] < TIME_LIMIT + 30
    assert cells["die_model"]["status"] == "crashed" and "died" in cells["die_model"]["error"]
    assert 0.5 <= cells["die_model"]["total_s"] < 30
