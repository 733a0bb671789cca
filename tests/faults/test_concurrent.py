"""Two runs writing into one store at once both finish: no "database is locked", no lost row,
including when both create the store at the same moment."""

from __future__ import annotations

import multiprocessing
import subprocess

import pytest
from faults_support import cell_rows, dgpbench, run_args, suite_yaml

pytestmark = pytest.mark.timeout(300)


def test_two_runs_into_one_store_at_once(tmp_path):
    store = tmp_path / "s.sqlite"
    procs = []
    for name in ("first", "second"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(suite_yaml(["{name: fault_sleep, params: {seconds: 0.1}}"], list(range(6)), name=name))
        procs.append(
            subprocess.Popen(
                dgpbench(*run_args(path, store, "--workers", "1")),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    errs = []
    for p in procs:
        try:
            errs.append(p.communicate(timeout=240)[1])
        except subprocess.TimeoutExpired:
            p.kill()
            raise
    assert [p.returncode for p in procs] == [0, 0], errs
    assert not any("locked" in e for e in errs), errs
    rows = cell_rows(store)
    assert len({r["run_id"] for r in rows}) == 2
    assert sorted(r["seed"] for r in rows) == sorted(list(range(6)) * 2)


def _write_cells(folder: str, name: str, trials: int, barrier) -> None:
    from dgpbench.benchmarks import suite as suite_mod
    from dgpbench.benchmarks.cell import CellResult
    from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, PlannedCell
    from dgpbench.benchmarks.store import Store

    suite = suite_mod.Suite(
        name=name,
        seeds=(0,),
        generators=(suite_mod.Entry("heteroscedastic", "h"),),
        models=(suite_mod.Entry("ols", "ols"),),
        metrics=None,
    )
    metric = {
        "face": "distribution",
        "metric": "crps",
        "value": 1.0,
        "oracle": 0.5,
        "naive": 2.0,
        "score": 0.7,
        "note": "",
    }
    for trial in range(trials):
        barrier.wait(timeout=60)
        store = Store(f"{folder}/{trial}/s.sqlite")  # all processes create this store at once
        run_id, _ = store.start_run(suite, 10, rerun=True)
        for seed in range(10):
            spec = CellSpec(ComponentSpec("heteroscedastic", "1"), ComponentSpec("ols", "1"), seed)
            cell = PlannedCell(spec, "h", "ols")
            store.write_cell(run_id, cell, CellResult(cell.key(), "ok", metrics=[metric]))
        store.finish_run(run_id)
        store.close()


def test_many_writers_creating_one_store_at_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    n, trials = 6, 5
    barrier = ctx.Barrier(n)
    procs = [ctx.Process(target=_write_cells, args=(str(tmp_path), f"w{i}", trials, barrier)) for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
    assert [p.exitcode for p in procs] == [0] * n
    for trial in range(trials):
        assert len(cell_rows(tmp_path / f"{trial}" / "s.sqlite")) == n * 10
