"""Helpers of the fault tests: tiny suites of the test-only models in ``plugin_models.py``, run
the way a user runs them (the ``dgpbench`` command in a subprocess), with every wait bounded."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = str(Path(__file__).with_name("plugin_models.py"))
TINY = "{name: heteroscedastic, params: {n: 30, n_test: 10}}"


def suite_yaml(
    models: list[str],
    seeds: list[int],
    *,
    name: str = "faults",
    time_limit: float = 60,
    generators: tuple[str, ...] = (TINY,),
    metrics: str = "[coef_error]",
) -> str:
    """A suite file's text; ``models`` and ``generators`` are YAML flow mappings."""
    lines = [
        f"name: {name}",
        f"seeds: {list(seeds)}",
        f"time_limit: {time_limit}",
        "generators:",
        *(f"  - {g}" for g in generators),
        "models:",
        *(f"  - {m}" for m in models),
        f"metrics: {metrics}",
    ]
    return "\n".join(lines) + "\n"


def run_args(suite: str | os.PathLike, store: str | os.PathLike, *target: str) -> tuple[str, ...]:
    """``run SUITE --store STORE --plugin PLUGIN --no-progress`` and where to run it
    (``--workers N`` or ``--scheduler ADDRESS``)."""
    return ("run", str(suite), "--store", str(store), "--plugin", PLUGIN, "--no-progress", *target)


def dgpbench(*args: str) -> list[str]:
    return [sys.executable, "-m", "dgpbench.cli.main", *args]


def start_cli(*args: str, cwd: str | os.PathLike | None = None) -> subprocess.Popen:
    """``dgpbench ARGS`` started in a subprocess of its own session, its output piped as text."""
    return subprocess.Popen(
        dgpbench(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, start_new_session=True
    )


def run_cli(*args: str, timeout: float = 180, cwd: str | os.PathLike | None = None) -> subprocess.CompletedProcess:
    """``dgpbench ARGS`` in a subprocess (its own session, cleaned up if it overruns)."""
    proc = start_cli(*args, cwd=cwd)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        pytest.fail(f"dgpbench {' '.join(args)} ran past {timeout} s\n{err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process group this test started (the runner and its pool workers)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def cell_rows(store: str | os.PathLike) -> list[dict]:
    """Every stored cell row (read-only, so a running writer is not disturbed)."""
    if not Path(store).exists():
        return []
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM cells")]
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


def metric_values(store: str | os.PathLike) -> dict[tuple[str, str], tuple]:
    """(cell_key, metric) -> (value, oracle, naive, score) of the store's cells."""
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return {
            (r[0], r[1]): tuple(r[2:])
            for r in db.execute("SELECT cell_key, metric, value, oracle, naive, score FROM metrics")
        }
    finally:
        db.close()
