"""What a cell may not take: more resident memory than the suite's ``memory_limit`` (its row
is ``crashed``, "memory limit"), processes that outlive it (they are stopped when the cell
returns, crashes or times out), the runner's terminal (what it prints is its log), or the
state of the cells after it (a plugin's cell gets a process no later cell shares) -- locally
and on a real Dask cluster, with every other cell stored as a clean run stores it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from faults_support import cell_rows, metric_values, run_args, run_cli, suite_yaml

from dgpbench.benchmarks import suite as suite_mod
from dgpbench.benchmarks.store import MAX_ERROR_CHARS
from dgpbench.errors import BadInput

pytestmark = pytest.mark.timeout(300)

LIMITS = str(Path(__file__).with_name("limit_models.py"))
SEEDS = [0, 1]
WELL_BEHAVED = ["{name: fault_ok}", "{name: ols}"]


def _run(
    tmp_path: Path, models: list[str], where: str, request, *, workers: int = 2, extra: str = "", **suite
) -> tuple:
    """Run a suite of ``models`` with both test plugins; return (the CLI's result, the store, its rows)."""
    path, store = tmp_path / "suite.yaml", tmp_path / "s.sqlite"
    path.write_text(suite_yaml(models, SEEDS, **suite) + extra)
    target = ["--workers", str(workers)]
    if where == "dask":
        target = ["--scheduler", request.getfixturevalue("dask_cluster").address]
    out = run_cli(*run_args(path, store, *target), "--plugin", LIMITS, timeout=240)
    return out, store, cell_rows(store)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict:
    """The well-behaved cells' metrics as a run of them alone stores them."""
    folder = tmp_path_factory.mktemp("clean")
    (folder / "suite.yaml").write_text(suite_yaml(WELL_BEHAVED, SEEDS))
    out = run_cli(*run_args(folder / "suite.yaml", folder / "s.sqlite", "--workers", "1"))
    assert out.returncode == 0, out.stderr
    return metric_values(folder / "s.sqlite")


def _check_the_rest(out, store: Path, rows: list[dict], clean: dict, expected: dict[str, str]) -> None:
    """Exit 0, no traceback, each label's status, and the well-behaved cells as in a clean run."""
    detail = f"{[(r['model'], r['seed'], r['status'], r['error'][:300]) for r in rows]}\n{out.stderr}"
    assert out.returncode == 0, detail
    assert "Traceback" not in out.stderr, detail
    expected = {**dict.fromkeys(["fault_ok", "ols"], "ok"), **expected}
    assert sorted((r["model"], r["seed"]) for r in rows) == sorted((m, s) for m in expected for s in SEEDS), detail
    assert {r["model"]: r["status"] for r in rows} == expected, detail
    values = metric_values(store)
    assert {k: v for k, v in values.items() if k in clean} == clean, "a well-behaved cell changed"
    assert clean.keys() <= values.keys()


@pytest.mark.parametrize("where", ["local", "dask"])
def test_a_cell_over_its_memory_limit_is_crashed_and_the_run_goes_on(where, tmp_path, request, clean):
    hog = "{name: fault_memory, label: hog, params: {mb: 1500}}"
    out, store, rows = _run(tmp_path, [*WELL_BEHAVED, hog], where, request, extra="memory_limit: 400\n")
    _check_the_rest(out, store, rows, clean, {"hog": "crashed"})
    for r in rows:
        if r["model"] == "hog":
            assert r["error"].startswith("memory limit: the cell used "), r["error"]
            assert "over its limit of 400 MB (suite key memory_limit)" in r["error"], r["error"]
            used = float(r["error"].split("used ")[1].split(" MB")[0].replace(",", ""))
            assert 400 < used < 1500, r["error"]  # stopped on its way up, not after the whole 1500 MB


@pytest.mark.parametrize("value", [0, -5, 2**21, ".nan", "lots", "true"])
def test_a_memory_limit_that_is_not_a_positive_number_of_mb_is_refused(value):
    text = suite_yaml(["{name: ols}"], SEEDS) + f"memory_limit: {value}\n"
    with pytest.raises(BadInput, match=r"^<string>: memory_limit: "):
        suite_mod.parse(text)


def test_a_bad_memory_limit_exits_2_with_one_line_before_anything_is_written(tmp_path):
    (tmp_path / "suite.yaml").write_text(suite_yaml(WELL_BEHAVED, SEEDS) + "memory_limit: 0\n")
    out = run_cli(*run_args(tmp_path / "suite.yaml", tmp_path / "s.sqlite", "--workers", "1"))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"dgpbench: error: {tmp_path / 'suite.yaml'}: memory_limit: 0 must be a number of MB in (0, 1048576]"
    ]
    assert not (tmp_path / "s.sqlite").exists()


def test_the_default_memory_limit_keeps_a_suites_hash():
    suite = suite_mod.parse(suite_yaml(["{name: ols}"], SEEDS))
    assert suite.memory_limit == 4096 and "memory_limit" not in suite.to_dict()
    raised = suite_mod.parse(suite_yaml(["{name: ols}"], SEEDS) + "memory_limit: 8192\n")
    assert raised.memory_limit == 8192 and raised.hash() != suite.hash()


@pytest.mark.parametrize("where", ["local", "dask"])
def test_what_a_cell_started_is_stopped_when_it_returns_crashes_or_times_out(where, tmp_path, request, clean):
    markers = tmp_path / "markers"
    markers.mkdir()
    ways = {  # label -> (how the child is started, how the fit ends, the cell's status)
        "child_subprocess": ("subprocess", "return", "ok"),
        "child_orphan": ("orphan", "return", "ok"),
        "child_multiprocessing": ("multiprocessing", "return", "ok"),
        "child_then_exit": ("subprocess", "exit", "crashed"),
        "child_then_timeout": ("orphan", "sleep", "timeout"),
    }
    models = [
        f"{{name: fault_child, label: {label}, params: {{how: {how}, end: {end}, marker_dir: '{markers}'}}}}"
        for label, (how, end, _) in ways.items()
    ]
    out, store, rows = _run(tmp_path, [*WELL_BEHAVED, *models], where, request, time_limit=8)
    _check_the_rest(out, store, rows, clean, {label: status for label, (_, _, status) in ways.items()})
    pids = [int(p.read_text()) for p in markers.glob("*.pid")]
    assert len(pids) == len(ways) * len(SEEDS), sorted(markers.iterdir())
    deadline = time.monotonic() + 5  # a SIGKILLed process may take a moment to go
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)], "a process a cell started outlived it"
    logs = {(r["model"], r["seed"]): r["log"] for r in rows}
    for label in ways:  # the log survives a crash and a timeout
        for seed in SEEDS:
            assert "starting a child" in logs[label, seed], (label, logs[label, seed])


@pytest.mark.parametrize("where", ["local", "dask"])
def test_a_plugin_that_changes_module_state_does_not_change_later_cells(where, tmp_path, request, clean):
    """``fault_mutate`` shifts every OLS estimate of its process; the ``ols`` cells planned
    after it (one local worker: the same thread, in order) must score as in a clean run."""
    out, store, rows = _run(tmp_path, ["{name: fault_mutate}", *WELL_BEHAVED], where, request, workers=1)
    _check_the_rest(out, store, rows, clean, {"fault_mutate": "ok"})


def test_what_a_model_prints_is_its_cells_log_not_the_runners_output(tmp_path, request, clean):
    models = ["{name: fault_print}", "{name: fault_print, label: chatty, params: {repeat: 400}}"]
    out, store, rows = _run(tmp_path, [*WELL_BEHAVED, *models], "local", request)
    _check_the_rest(out, store, rows, clean, {"fault_print": "ok", "chatty": "ok"})
    assert "marker" not in out.stdout + out.stderr
    markers = ["marker-print-stdout", "marker-print-stderr", "marker-fd-1", "marker-fd-2", "marker-child"]
    for r in rows:
        if r["model"] == "fault_print":
            assert all(m in r["log"] for m in markers) and len(r["log"]) < 200, r["log"]
        elif r["model"] == "chatty":  # 44 kB printed: its head and tail kept
            assert len(r["log"]) < MAX_ERROR_CHARS + 100 and "characters cut" in r["log"], len(r["log"])
            assert r["log"].rstrip().endswith("marker-last-line") and "marker-fd-1" in r["log"]
        else:
            assert r["log"] == "", r
    exported = run_cli("results", "--table", "cells", "--format", "json", "--store", str(store))
    assert exported.returncode == 0, exported.stderr
    logs = {(c["model"], c["seed"]): c["log"] for c in json.loads(exported.stdout)}
    assert logs == {(r["model"], r["seed"]): r["log"] for r in rows}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
