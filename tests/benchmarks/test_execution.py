"""Execution: a future that raised becomes the right status; the runner shuts down the
executor it runs on whoever made it, however the run ends; a cell process gives the same
result as the cell run in this process."""

from __future__ import annotations

import concurrent.futures as cf
from types import SimpleNamespace

import pytest

from dgpbench.benchmarks import runner
from dgpbench.benchmarks import suite as suite_mod
from dgpbench.benchmarks.cell import run_cell
from dgpbench.benchmarks.execution.failures import failure_of
from dgpbench.errors import BadInput
from dgpbench.vocabulary import STATUSES

SUITE = """
name: execution
seeds: [0, 1]
time_limit: 60
metrics: [coef_error]
generators: [{name: heteroscedastic, params: {n: 60, n_test: 20}}]
models: [{name: ols}]
"""


def test_a_lost_dask_worker_is_recognised_by_its_type():
    distributed = pytest.importorskip("distributed.scheduler")
    lost = distributed.KilledWorker("cell-1", SimpleNamespace(address="tcp://127.0.0.1:1"), 3)
    assert failure_of(lost)[0] == "crashed"

    class KilledWorker(Exception):  # a look-alike name is no lost worker
        pass

    assert failure_of(KilledWorker("x")) == ("error", "KilledWorker: x")


class _RecordingExecutor(cf.ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.shutdowns: list[bool] = []

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.shutdowns.append(cancel_futures)
        super().shutdown(wait=wait, cancel_futures=cancel_futures)


def test_the_runner_shuts_down_an_executor_it_was_given(tmp_path):
    executor = _RecordingExecutor()
    summary = runner.run(
        suite_mod.parse(SUITE), tmp_path / "s.sqlite", executor=executor, progress=False, echo=lambda _: None
    )
    assert executor.shutdowns == [False]
    assert tuple(summary.counts) == STATUSES and summary.counts["ok"] == 2


def test_an_executor_is_shut_down_when_the_run_cannot_start(tmp_path):
    executor = _RecordingExecutor()
    with pytest.raises(BadInput):
        runner.run(
            suite_mod.parse(SUITE),
            tmp_path / "s.sqlite",
            executor=executor,
            only={"model": "no_such_model"},
            echo=lambda _: None,
        )
    assert executor.shutdowns == [True]


def test_a_cell_process_returns_what_the_cell_returns_here():
    from dgpbench.benchmarks.execution.cell_process import CellProcessPool

    the_plan = runner.plan(suite_mod.parse(SUITE))
    spec = the_plan.cells[0].spec
    processes = CellProcessPool()
    try:
        isolated = processes.run(spec, the_plan.settings)
    finally:  # the cell process waits for a next cell: end it with the test
        processes.close()
    here = run_cell(spec, the_plan.settings)
    assert isolated.status == here.status == "ok"
    assert isolated.cell_key == spec.key()
    assert isolated.metrics == here.metrics
