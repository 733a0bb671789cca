"""Dask: the same results as the local pool, bit for bit, and a worker killed mid-run loses
no cell (Dask reruns it elsewhere, or it is recorded as crashed)."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time

import pytest
from faults_support import cell_rows, dgpbench, kill_group, metric_values, run_args, run_cli, suite_yaml

pytestmark = pytest.mark.timeout(300)


def _same(a: tuple, b: tuple) -> bool:
    return all(
        x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))
        for x, y in zip(a, b, strict=True)
    )


def test_dask_cluster_gives_bit_identical_metrics_to_the_local_pool(dask_cluster, tmp_path):
    gens = (
        "{name: heteroscedastic, params: {n: 200, n_test: 100}}",
        "{name: two_mode_mixture, params: {n: 200, n_test: 100}}",
    )
    (tmp_path / "suite.yaml").write_text(
        suite_yaml(["{name: ols}", "{name: linear_gaussian}"], [0, 1], generators=gens, metrics="all")
    )
    local, dask = tmp_path / "local.sqlite", tmp_path / "dask.sqlite"
    out = run_cli("run", str(tmp_path / "suite.yaml"), "--store", str(local), "--workers", "2", "--no-progress")
    assert out.returncode == 0, out.stderr
    out = run_cli(
        "run", str(tmp_path / "suite.yaml"), "--store", str(dask), "--scheduler", dask_cluster.address, "--no-progress"
    )
    assert out.returncode == 0, out.stderr
    assert sorted((r["cell_key"], r["status"]) for r in cell_rows(local)) == sorted(
        (r["cell_key"], r["status"]) for r in cell_rows(dask)
    )
    assert len(cell_rows(local)) == 8 and {r["status"] for r in cell_rows(local)} == {"ok"}
    a, b = metric_values(local), metric_values(dask)
    assert a.keys() == b.keys() and len(a) > 8
    different = [k for k in a if not _same(a[k], b[k])]
    assert not different, [(k, a[k], b[k]) for k in different[:5]]


def test_a_dask_worker_killed_mid_run_loses_no_cell(dask_cluster, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    model = f"{{name: fault_sleep, params: {{seconds: 2, marker_dir: '{markers}'}}}}"
    seeds = [0, 1, 2]
    (tmp_path / "suite.yaml").write_text(suite_yaml([model], seeds))
    store = tmp_path / "s.sqlite"
    proc = subprocess.Popen(
        dgpbench(*run_args(tmp_path / "suite.yaml", store, "--scheduler", dask_cluster.address)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(markers.glob("*.pid")):
            assert time.monotonic() < deadline, "no cell started on the cluster"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        marker = next(markers.glob("*.pid"))
        worker_pid = int(marker.read_text())
        cell_pid = int(marker.name.split("-")[1].split(".")[0])
        os.kill(worker_pid, signal.SIGKILL)  # the Dask worker running that cell
        out, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            kill_group(proc)
    assert proc.returncode == 0, err
    rows = cell_rows(store)
    assert sorted(r["seed"] for r in rows) == seeds  # each cell exactly once
    assert {r["status"] for r in rows} <= {"ok", "crashed"}, rows
    # the killed worker's cell process noticed and went away too
    deadline = time.monotonic() + 10
    while _alive(cell_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(cell_pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
