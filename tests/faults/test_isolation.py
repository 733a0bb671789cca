"""Failure isolation: a model that raises, returns NaN, overruns its time limit or kills its
process becomes one row with its status, and the run goes on -- on the local process pool
and on a Dask cluster alike."""

from __future__ import annotations

import pytest
from faults_support import cell_rows, run_args, run_cli, suite_yaml

EXPECTED = {
    "fault_ok": "ok",
    "fault_raise": "error",
    "fault_nan": "diverged",
    "fault_sleep": "timeout",
    "fault_exit": "crashed",
}


@pytest.mark.parametrize("where", ["local", "dask"])
def test_each_failure_is_a_row_and_the_run_goes_on(where, tmp_path, request):
    models = [
        "{name: fault_ok}",
        "{name: fault_raise}",
        "{name: fault_nan}",
        "{name: fault_sleep, params: {seconds: 120}}",
        "{name: fault_exit}",
    ]
    (tmp_path / "suite.yaml").write_text(suite_yaml(models, [0], time_limit=8))
    store = tmp_path / "s.sqlite"
    target = ["--workers", "2"]
    if where == "dask":
        target = ["--scheduler", request.getfixturevalue("dask_cluster").address]
    out = run_cli(*run_args(tmp_path / "suite.yaml", store, *target), timeout=150)
    assert out.returncode == 0, out.stderr
    rows = cell_rows(store)
    detail = f"{[(r['model'], r['status'], r['error'][:300]) for r in rows]}\n{out.stderr}"
    assert sorted(r["model"] for r in rows) == sorted(EXPECTED), detail
    assert {r["model"]: r["status"] for r in rows} == EXPECTED, detail
    for r in rows:
        assert (r["error"] == "") == (r["status"] == "ok"), detail
    assert "Traceback" not in out.stderr, detail
