"""A store that cannot be used -- corrupt, foreign, unwritable, on a full disk -- stops the
command before any work with exit code 2 and one line naming the store; a file it refuses
is left byte-for-byte as it was, with no side files."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pytest

from dgpbench.benchmarks.store import Store
from dgpbench.cli.main import main

SUITE = """name: tiny
seeds: [0]
generators: [{name: heteroscedastic, params: {n: 30, n_test: 10}}]
models: [{name: ols}]
"""


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dgpbench: error: "), err
    return err[0]


def _real_store(path: Path) -> None:
    from dgpbench.benchmarks import suite as suite_mod
    from dgpbench.benchmarks.cell import CellResult
    from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, PlannedCell

    store = Store(path)
    run_id, _ = store.start_run(suite_mod.parse(SUITE), 40)
    for seed in range(40):
        spec = CellSpec(ComponentSpec("heteroscedastic", "1"), ComponentSpec("ols", "1"), seed)
        cell = PlannedCell(spec, "h", "ols")
        store.write_cell(run_id, cell, CellResult(cell.key(), "ok", curves={"c": list(range(200))}))
    store.close()


def _foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (t TEXT)")
    db.execute("INSERT INTO notes VALUES ('mine')")
    db.commit()
    db.close()


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(5000))


def _bad_header(path: Path) -> None:
    _real_store(path)
    data = bytearray(path.read_bytes())
    data[:100] = os.urandom(100)
    path.write_bytes(bytes(data))


def _truncated(path: Path) -> None:
    _real_store(path)
    path.write_bytes(path.read_bytes()[:4096])


@pytest.mark.parametrize("make", [_foreign, _random_bytes, _bad_header, _truncated])
@pytest.mark.parametrize("command", ["run", "leaderboard", "results"])
def test_corrupt_or_foreign_store_is_refused_and_left_untouched(make, command, tmp_path, capsys):
    (tmp_path / "suite.yaml").write_text(SUITE)
    store = tmp_path / "s.sqlite"
    make(store)
    before = store.read_bytes()
    files = sorted(os.listdir(tmp_path))
    args = {
        "run": ["run", str(tmp_path / "suite.yaml"), "--no-progress"],
        "leaderboard": ["leaderboard"],
        "results": ["results"],
    }[command]
    assert main([*args, "--store", str(store)]) == 2
    assert str(store) in _error_line(capsys)
    assert store.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == files


def _unwritable_paths(tmp_path: Path) -> list[str]:
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "a_folder").mkdir()
    paths = [
        str(tmp_path / "a_file" / "s.sqlite"),  # a folder of the path is a file
        str(tmp_path / "a_folder"),
    ]  # the store path is a folder
    if sys.platform.startswith("linux"):  # read-only even for root
        paths += [
            "/proc/self/dgpbench-test.sqlite",  # a folder nobody can create files in
            "/sys/dgpbench-test/s.sqlite",  # a folder nobody can create
            "/dev/full",
        ]  # every write: "no space left on device"
    return paths


def test_unwritable_or_full_store_path_fails_before_any_work(tmp_path, capsys):
    (tmp_path / "suite.yaml").write_text(SUITE)
    for path in _unwritable_paths(tmp_path):
        assert main(["run", str(tmp_path / "suite.yaml"), "--store", path, "--no-progress"]) == 2, path
        line = _error_line(capsys)  # one line: no traceback, and no run was started
        assert path in line, line
