"""One cell never ends a run: whatever a model does inside its cell -- raise, return NaN,
``sys.exit``, raise ``KeyboardInterrupt``, ``os._exit`` with code 0 or 3, fail with a message
that is not valid text -- becomes that cell's row, with the same status locally and on Dask,
and the run ends ``done`` with every other cell stored and exit code 0."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from faults_support import cell_rows, run_args, run_cli, suite_yaml

from dgpbench.benchmarks.cell import CellResult, run_cell
from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, PlannedCell, RunSettings
from dgpbench.benchmarks.store import Store
from dgpbench.models.registry import MODELS

BOUNDARY = str(Path(__file__).with_name("boundary_models.py"))
TIME_LIMIT = 120  # far above what any cell here takes, so a wait for it shows in the run's time

# label -> the status its cell must get wherever it runs; each label is a way of ``fault_misbehave``
# (boundary_models.py) but ``raise`` and ``nan``, which are plugin_models.py's ``fault_raise`` and ``fault_nan``
EXPECTED = {
    "raise": "error",
    "nan": "diverged",
    "sys_exit": "crashed",
    "keyboard_interrupt": "crashed",
    "exit0": "crashed",
    "exit3": "crashed",
    "surrogate": "error",
}
SEEDS = [0, 1]


def _suite(tmp_path: Path) -> Path:
    models = ["{name: fault_ok}", "{name: ols}", "{name: fault_raise, label: raise}", "{name: fault_nan, label: nan}"]
    models += [
        f"{{name: fault_misbehave, label: {how}, params: {{how: {how}}}}}"
        for how in EXPECTED
        if how not in ("raise", "nan")
    ]
    path = tmp_path / "suite.yaml"
    path.write_text(suite_yaml(models, SEEDS, time_limit=TIME_LIMIT))
    return path


def _runs(store: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in db.execute("SELECT run_id, status FROM runs")]
    finally:
        db.close()


@pytest.mark.timeout(400)
@pytest.mark.parametrize("where", ["local", "dask"])
def test_a_misbehaving_cell_is_its_own_row_with_the_same_status_locally_and_on_dask(where, tmp_path, request):
    suite, store = _suite(tmp_path), tmp_path / "s.sqlite"
    target = ["--workers", "2"]
    if where == "dask":
        target = ["--scheduler", request.getfixturevalue("dask_cluster").address]
    args = (*run_args(suite, store, *target), "--plugin", BOUNDARY)
    started = time.monotonic()
    out = run_cli(*args, timeout=TIME_LIMIT + 60)
    seconds = time.monotonic() - started
    rows = cell_rows(store)
    detail = f"{[(r['model'], r['seed'], r['status'], r['error'][:200]) for r in rows]}\n{out.stderr}"
    assert out.returncode == 0, detail
    assert "Traceback" not in out.stderr, detail
    # every cell stored once: the well-behaved ones ok, each misbehaving one with its status
    expected = {(m, s): "ok" for m in ("fault_ok", "ols") for s in SEEDS}
    expected |= {(m, s): status for m, status in EXPECTED.items() for s in SEEDS}
    assert {(r["model"], r["seed"]): r["status"] for r in rows} == expected, detail
    assert len(rows) == len(expected), detail
    for r in rows:
        assert (r["error"] == "") == (r["status"] == "ok"), detail
    surrogate = [r["error"] for r in rows if r["model"] == "surrogate"]
    assert all("cannot read caf?" in e for e in surrogate), surrogate  # the lone surrogate replaced
    [(run_id, status)] = _runs(store)
    assert status == "done"
    # ``os._exit(0)`` is a crash seen at once, not a cell waiting out its time limit
    assert seconds < TIME_LIMIT, f"the run took {seconds:.0f} s\n{detail}"

    again = run_cli(*args, timeout=TIME_LIMIT + 60)
    assert again.returncode == 0, again.stderr
    assert "0 cells to run" in again.stderr, again.stderr
    assert cell_rows(store) == rows
    assert _runs(store) == [(run_id, "done")]


def _cell(how: str) -> CellSpec:
    generator = ComponentSpec("heteroscedastic", "1", {"n": 30, "n_test": 10})
    return CellSpec(generator, ComponentSpec("fault_misbehave", "1", {"how": how}), 0)


SETTINGS = RunSettings(metrics=("coef_error",))


@pytest.fixture
def misbehave_registered(monkeypatch):
    """``fault_misbehave`` registered in this process for one test only: the conformance
    suite, collected after this file, checks every registered model."""
    monkeypatch.setattr(MODELS, "_entries", dict(MODELS._entries))
    import boundary_models

    MODELS.register(boundary_models.FaultMisbehave.name, boundary_models.FaultMisbehave)


@pytest.mark.parametrize("how", ["sys_exit", "keyboard_interrupt"])
def test_run_cell_turns_a_models_base_exception_into_a_crashed_row(how, misbehave_registered):
    result = run_cell(_cell(how), SETTINGS)
    assert result.status == "crashed"
    assert ("SystemExit" if how == "sys_exit" else "KeyboardInterrupt") in result.error


def test_the_users_own_ctrl_c_during_a_cell_still_interrupts(misbehave_registered):
    """A real SIGINT reaching the process that runs the cell is the user's Ctrl-C: it goes
    on up (the runner marks the run interrupted), unlike a KeyboardInterrupt a model raises.

    Python's own Ctrl-C handler is put in place first: a process started in the background by
    a non-interactive shell (as CI may start the tests) inherits SIGINT ignored, and then no
    Ctrl-C can reach it at all."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_cell(_cell("sigint"), SETTINGS)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_store_replaces_text_that_is_not_valid_unicode(tmp_path):
    bad = "caf" + "\udce9"  # what os.fsdecode(b"caf\xe9") gives
    cell = PlannedCell(_cell("surrogate"), f"gen {bad}", f"model {bad}")
    metric = {"face": "coefficients", "metric": "coef_error", "value": 1.0, "oracle": 0.5, "naive": 2.0}
    estimate = {"name": f"x {bad}", "truth": 1.0, "estimate": 1.1, "lower": 0.9, "upper": 1.3}
    result = CellResult(
        cell.key(), "error", f"RuntimeError: {bad}", [{**metric, "score": 0.3, "note": bad}], [estimate]
    )
    store = Store(tmp_path / "s.sqlite")
    store.write_cell("run-1", cell, result)
    [row] = store.cells("run-1")
    assert (row["generator"], row["model"], row["error"]) == ("gen caf?", "model caf?", "RuntimeError: caf?")
    [m] = store.metric_rows("run-1")
    assert (m["value"], m["note"]) == (1.0, "caf?")
    [e] = store.estimate_rows("run-1")
    assert e["name"] == "x caf?"
