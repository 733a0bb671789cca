"""A lost Dask scheduler is not a failure of the cells it cancelled, and an address that is not
a scheduler is refused quickly.

Killing the scheduler mid-run used to store every pending cell as ``error``
("CancelledError"), mark the run ``done`` and leave nothing for a resume to do. Those cells
must get no row, the run must end ``interrupted`` with exit 1 and say how many were lost, and
a resume on a new cluster must complete the suite with the values an uninterrupted run gives.
"""

from __future__ import annotations

import concurrent.futures as cf
import http.server
import socket
import sqlite3
import threading
import time

import pytest
from faults_support import cell_rows, kill_group, metric_values, run_args, run_cli, start_cli, suite_yaml

from dgpbench.benchmarks import runner
from dgpbench.benchmarks import suite as suite_mod

pytestmark = pytest.mark.timeout(420)

GENERATORS = (
    "{name: heteroscedastic, params: {n: 200, n_test: 100}}",
    "{name: two_mode_mixture, params: {n: 200, n_test: 100}}",
)
SEEDS = list(range(6))


def _run_status(store) -> list[str]:
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return [r[0] for r in db.execute("SELECT status FROM runs")]
    finally:
        db.close()


def _suite(tmp_path, markers) -> str:
    """Reference models, plus a slow test model that keeps the run going while the scheduler dies."""
    models = [
        "{name: ols}",
        "{name: linear_gaussian}",
        f"{{name: fault_sleep, params: {{seconds: 1.5, marker_dir: '{markers}'}}}}",
    ]
    path = tmp_path / "suite.yaml"
    path.write_text(suite_yaml(models, SEEDS, generators=GENERATORS))
    return str(path)


def test_a_killed_scheduler_loses_cells_that_a_resume_on_a_new_cluster_completes(tmp_path):
    pytest.importorskip("distributed")
    from dgpbench.benchmarks.perf.dask_cluster import DaskProcesses

    markers = tmp_path / "markers"
    markers.mkdir()
    suite = _suite(tmp_path, markers)
    n_cells = len(GENERATORS) * 3 * len(SEEDS)

    reference = tmp_path / "local.sqlite"  # the uninterrupted run
    out = run_cli(*run_args(suite, reference, "--workers", "2"))
    assert out.returncode == 0, out.stderr
    assert len(cell_rows(reference)) == n_cells and {r["status"] for r in cell_rows(reference)} == {"ok"}
    for marker in markers.iterdir():
        marker.unlink()

    store = tmp_path / "dask.sqlite"
    with DaskProcesses(tmp_path / "first", n_workers=2) as first:
        proc = start_cli(*run_args(suite, store, "--scheduler", first.address))
        try:
            deadline = time.monotonic() + 180
            while len(cell_rows(store)) < 2 or not any(markers.glob("*.pid")):
                assert time.monotonic() < deadline, "the run stored no cell on the cluster"
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.05)
            first.procs[0].kill()  # the scheduler process, mid-run
            t_kill = time.monotonic()
            out_text, err = proc.communicate(timeout=120)
            exited_after = time.monotonic() - t_kill
        finally:
            if proc.poll() is None:
                kill_group(proc)

    assert proc.returncode == 1, err
    before = {r["cell_key"]: r for r in cell_rows(store)}
    lost = n_cells - len(before)
    assert lost > 0, "the run finished before the scheduler died"
    assert {r["status"] for r in before.values()} == {"ok"}, [r["message"] for r in before.values()]
    assert f"{lost} lost (not stored)" in out_text
    assert f"{lost} cells were lost" in err and "run the same command again" in err
    assert _run_status(store) == ["interrupted"]
    assert exited_after < 60

    with DaskProcesses(tmp_path / "second", n_workers=2) as second:
        out = run_cli(*run_args(suite, store, "--scheduler", second.address))
    assert out.returncode == 0, out.stderr
    assert f"{lost} cells to run, {len(before)} already done" in out.stderr
    assert _run_status(store) == ["done"]
    after = {r["cell_key"]: r for r in cell_rows(store)}
    assert len(after) == n_cells and {r["status"] for r in after.values()} == {"ok"}
    assert all(after[k] == row for k, row in before.items())  # the rows stored before the kill are untouched
    assert metric_values(store) == metric_values(reference)


class _CancellingExecutor(cf.ThreadPoolExecutor):
    """Runs seed 0's cells and cancels the rest, as a Dask client that lost its scheduler does."""

    def submit(self, fn, /, *args, **kwargs):
        if args[0].seed == 0:
            return super().submit(fn, *args, **kwargs)
        future: cf.Future = cf.Future()
        future.cancel()
        future.set_running_or_notify_cancel()
        return future


def test_cancelled_cells_are_not_stored_and_a_resume_runs_them(tmp_path):
    """The runner alone, no cluster: a cancelled future is a lost cell, not an error row."""
    suite = suite_mod.parse(suite_yaml(["{name: ols}"], [0, 1, 2], generators=GENERATORS[:1]))
    store = tmp_path / "s.sqlite"
    summary = runner.run(suite, store, executor=_CancellingExecutor(1), progress=False, echo=lambda _: None)
    assert summary.lost == 2 and summary.counts["ok"] == 1 and summary.counts["error"] == 0
    assert "1 ok, 2 lost (not stored)" in runner.summary_line(summary)
    assert [r["seed"] for r in cell_rows(store)] == [0] and _run_status(store) == ["interrupted"]
    resumed = runner.run(suite, store, executor=cf.ThreadPoolExecutor(1), progress=False, echo=lambda _: None)
    assert resumed.lost == 0 and resumed.already_done == 1 and resumed.counts["ok"] == 2
    assert sorted(r["seed"] for r in cell_rows(store)) == [0, 1, 2] and _run_status(store) == ["done"]


class _Silent(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep the test's output clean
        pass


def _refused_quickly(tmp_path, address: str) -> None:
    (tmp_path / "suite.yaml").write_text(suite_yaml(["{name: fault_ok}"], [0]))
    store = tmp_path / "s.sqlite"
    t0 = time.monotonic()
    out = run_cli(*run_args(tmp_path / "suite.yaml", store, "--scheduler", address), timeout=60)
    elapsed = time.monotonic() - t0
    assert out.returncode == 2, out.stderr
    assert elapsed < 10, elapsed
    assert out.stderr.strip().count("\n") == 0 and address in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert not store.exists()  # refused before the store is created


def test_an_http_server_given_as_scheduler_is_refused_within_ten_seconds(tmp_path):
    pytest.importorskip("distributed")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Silent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _refused_quickly(tmp_path, f"tcp://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


def test_a_port_that_never_answers_given_as_scheduler_is_refused_within_ten_seconds(tmp_path):
    pytest.importorskip("distributed")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepts connections (the kernel does) and never says a word
        _refused_quickly(tmp_path, f"tcp://127.0.0.1:{listener.getsockname()[1]}")


def test_a_worker_given_as_scheduler_is_refused(dask_cluster, tmp_path):
    from distributed import Client

    with Client(dask_cluster.address, timeout="30s", set_as_default=False) as client:
        worker = next(iter(client.scheduler_info()["workers"]))
    _refused_quickly(tmp_path, worker)
