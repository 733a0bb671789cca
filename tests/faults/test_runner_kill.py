"""The runner killed with SIGKILL mid-run, then run again: every finished cell is kept once,
the rest are run, nothing is duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from faults_support import cell_rows, dgpbench, kill_group, run_args, run_cli, suite_yaml

pytestmark = pytest.mark.timeout(300)


def test_sigkilled_run_resumes_without_loss_or_duplicates(tmp_path):
    seeds = list(range(8))
    (tmp_path / "suite.yaml").write_text(suite_yaml(["{name: fault_sleep, params: {seconds: 0.5}}"], seeds))
    args = run_args(tmp_path / "suite.yaml", tmp_path / "s.sqlite", "--workers", "1")
    proc = subprocess.Popen(dgpbench(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(cell_rows(tmp_path / "s.sqlite")) < 2:
            assert time.monotonic() < deadline, "no cells were stored"
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # the runner only; its pool workers are orphaned
        proc.wait(timeout=30)
    finally:
        kill_group(proc)  # then clean up the orphans
    before = {r["cell_key"]: r for r in cell_rows(tmp_path / "s.sqlite")}
    assert 2 <= len(before) < len(seeds), "the kill came too late to test a resume"

    out = run_cli(*args)
    assert out.returncode == 0, out.stderr
    assert "resumed" in out.stderr and f"{len(before)} already done" in out.stderr
    after = cell_rows(tmp_path / "s.sqlite")
    assert sorted(r["seed"] for r in after) == seeds  # every cell, exactly once
    assert {r["status"] for r in after} == {"ok"}
    assert len({r["run_id"] for r in after}) == 1
    for r in after:  # finished cells were kept, not rerun
        if r["cell_key"] in before:
            assert r == before[r["cell_key"]]
