"""The tool never damages its own store: ``-o`` onto the store (or over a file that is not
a page) is refused, an output is written whole or not at all, a store with a corrupt page is
refused before any write and left byte-identical, a store on read-only media can be read,
and a run killed mid-way is not left ``running`` forever.

Read-only media and a full disk are real where the machine allows it: a tmpfs mounted in a
private mount namespace (``unshare -m``, needs root or user namespaces), else skipped; a
failing write is also simulated in-process so that the atomic write is always tested.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shlex
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from faults_support import cell_rows, dgpbench, kill_group, run_args, run_cli, suite_yaml

from dgpbench.cli.main import main

pytestmark = pytest.mark.timeout(300)

SUITE = """name: tiny
seeds: [0, 1, 2]
generators: [{name: heteroscedastic, params: {n: 30, n_test: 10}}]
models: [{name: ols}]
"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> list[str]:
    """The folder's files but SQLite's own side files (an in-process command leaves its store
    connection open, and with it ``-wal`` and ``-shm``, until the test ends)."""
    return sorted(f for f in os.listdir(folder) if not f.endswith(("-wal", "-shm")))


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dgpbench: error: "), err
    return err[0]


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """A real store: the tiny suite run twice (two runs, for ``compare``)."""
    folder = tmp_path_factory.mktemp("stored")
    (folder / "suite.yaml").write_text(SUITE)
    for rerun in ([], ["--rerun"]):
        done = run_cli("run", str(folder / "suite.yaml"), "--store", str(folder / "s.sqlite"), "--no-progress", *rerun)
        assert done.returncode == 0, done.stderr  # a closed store: every write is in the main file
    return folder / "s.sqlite"


@pytest.fixture
def store(stored, tmp_path) -> Path:
    """A private copy of the stored runs."""
    copy = tmp_path / "s.sqlite"
    copy.write_bytes(stored.read_bytes())
    return copy


def _runs(store: Path, column: str) -> list:
    """One column of the store's runs, oldest first (read-only)."""
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return [r[0] for r in db.execute(f"SELECT {column} FROM runs ORDER BY started_at")]
    finally:
        db.close()


def _writers(store: Path, output: Path) -> dict[str, list[str]]:
    a, b = _runs(store, "run_id")
    s = ["--store", str(store)]
    return {
        "report": ["report", "-o", str(output), *s],
        "leaderboard": ["leaderboard", "--format", "html", "-o", str(output), *s],
        "compare-html": ["compare", a, b, "-o", str(output), *s],
        "compare-json": ["compare", a, b, "--format", "json", "-o", str(output), *s],
    }


WRITERS = ["report", "leaderboard", "compare-html", "compare-json"]


# -- -o never lands on the store or on a file that is not a page ---------------------------


@pytest.mark.parametrize("writer", WRITERS)
def test_output_onto_the_store_is_refused_and_the_store_untouched(writer, store, capsys):
    before = _digest(store)
    files = _files(store.parent)
    assert main(_writers(store, store)[writer]) == 2
    assert str(store) in _error_line(capsys)
    assert _digest(store) == before
    assert _files(store.parent) == files
    assert main(["results", "--store", str(store)]) == 0  # still a store


@pytest.mark.parametrize("writer", WRITERS)
def test_output_over_a_file_that_is_not_its_kind_is_refused(writer, store, capsys):
    other = store.parent / "copy-of-store.db"
    other.write_bytes(store.read_bytes())  # the store under another name: still a database
    notes = store.parent / "notes.txt"
    notes.write_text("my notes\n")
    for target in [other, notes] if writer != "compare-json" else [other]:
        before = _digest(target)
        assert main(_writers(store, target)[writer]) == 2
        assert str(target) in _error_line(capsys)
        assert _digest(target) == before


@pytest.mark.parametrize("writer", WRITERS)
def test_output_onto_a_folder_is_one_line_not_a_traceback(writer, store, capsys):
    folder = store.parent / "out"
    folder.mkdir()
    assert main(_writers(store, folder)[writer]) == 2
    assert str(folder) in _error_line(capsys)
    assert os.listdir(folder) == []


@pytest.mark.parametrize("writer", WRITERS)
def test_output_over_its_own_earlier_output_is_replaced(writer, store, capsys):
    out = store.parent / ("out.json" if writer == "compare-json" else "out.html")
    assert main(_writers(store, out)[writer]) == 0
    first = out.read_bytes()
    assert main(_writers(store, out)[writer]) == 0
    assert out.read_bytes() == first  # deterministic, and allowed over its own kind
    assert capsys.readouterr().out.split() == [str(out), str(out)]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_write_that_fails_leaves_the_old_file_and_no_partial_one(writer, store, capsys, monkeypatch):
    out = store.parent / ("out.json" if writer == "compare-json" else "out.html")
    old = "<!doctype html><p>the old page</p>\n" if writer != "compare-json" else '{"old": 1}\n'
    out.write_text(old)

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    files = _files(store.parent)
    assert main(_writers(store, out)[writer]) == 2
    assert str(out) in _error_line(capsys)
    assert out.read_text() == old
    assert _files(store.parent) == files  # no temporary file left behind


# -- real read-only media and a real full disk (a tmpfs in a private mount namespace) -------


def _can_mount() -> bool:
    try:
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"], capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="cannot mount a tmpfs here (needs unshare -m)")


def _on_tmpfs(mount: Path, setup: str, args: list[str], *, size: str = "8m") -> subprocess.CompletedProcess:
    """``dgpbench ARGS`` with a fresh tmpfs mounted on ``mount`` (seen only by this command),
    after the shell commands ``setup`` ran in it."""
    mount_it = f"mount -t tmpfs -o size={size} tmpfs {shlex.quote(str(mount))}"
    script = f"{mount_it} && {setup} && exec {shlex.join(dgpbench(*args))}"
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=180)


@needs_mount
def test_a_store_on_read_only_media_can_be_read(store, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    ro = media / "s.sqlite"
    setup = f"cp {shlex.quote(str(store))} {shlex.quote(str(ro))} && mount -o remount,ro {shlex.quote(str(media))}"
    for args in (["results"], ["leaderboard"], ["leaderboard", "--format", "csv"], ["results", "--table", "faces"]):
        on_media = _on_tmpfs(media, setup, [*args, "--store", str(ro)])
        assert on_media.returncode == 0, on_media.stderr
        here = run_cli(*args, "--store", str(store))
        assert on_media.stdout == here.stdout
    out = tmp_path / "elsewhere" / "r.html"
    on_media = _on_tmpfs(media, setup, ["report", "-o", str(out), "--store", str(ro)])
    assert on_media.returncode == 0, on_media.stderr
    assert on_media.stdout.strip() == str(out) and out.read_bytes().startswith(b"<!doctype html")
    (tmp_path / "suite.yaml").write_text(SUITE)
    refused = _on_tmpfs(media, setup, ["run", str(tmp_path / "suite.yaml"), "--store", str(ro), "--no-progress"])
    assert refused.returncode == 2, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and str(ro) in refused.stderr


@needs_mount
def test_a_store_from_before_cell_logs_on_read_only_media_can_be_read(store, tmp_path):
    """Schema 2 (no ``log`` column) cannot be upgraded on read-only media; it is read as it
    is, its cells without a log, and upgraded the next time it is opened where it can be."""
    db = sqlite3.connect(store)
    db.executescript("ALTER TABLE cells DROP COLUMN log; PRAGMA user_version = 2;")
    db.close()
    media = tmp_path / "media"
    media.mkdir()
    ro = media / "s.sqlite"
    setup = f"cp {shlex.quote(str(store))} {shlex.quote(str(ro))} && mount -o remount,ro {shlex.quote(str(media))}"
    for args in (["results"], ["results", "--table", "cells"]):
        on_media = _on_tmpfs(media, setup, [*args, "--store", str(ro)])
        assert on_media.returncode == 0, on_media.stderr
        here = run_cli(*args, "--store", str(store))  # upgrades the writable copy
        assert here.returncode == 0, here.stderr
        assert on_media.stdout == here.stdout
    assert on_media.stdout.splitlines()[0].endswith(",status,error,log")
    assert all(line.endswith(",ok,,") for line in on_media.stdout.splitlines()[1:])
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    db.close()


@needs_mount
def test_a_full_disk_leaves_no_partial_output(store, tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    out = small / "r.html"
    full = _on_tmpfs(
        small,
        f"printf '<!doctype html>old' > {shlex.quote(str(out))}",
        ["report", "-o", str(out), "--store", str(store)],
        size="16k",
    )
    assert full.returncode == 2, full.stderr
    assert len(full.stderr.strip().splitlines()) == 1 and str(out) in full.stderr


# -- a corrupt page is refused before any write ----------------------------------------------


def _corrupt_middle_page(path: Path) -> None:
    """Overwrite most of a b-tree page in the middle of the file (not its header page)."""
    db = sqlite3.connect(path)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    n_pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.close()
    assert n_pages >= 5, n_pages
    data = bytearray(path.read_bytes())
    start = (n_pages // 2) * page_size
    data[start : start + page_size // 2] = b"\xa5" * (page_size // 2)
    path.write_bytes(bytes(data))


def test_a_store_with_a_corrupt_page_is_refused_and_left_byte_identical(store, tmp_path, capsys):
    _corrupt_middle_page(store)
    (tmp_path / "suite.yaml").write_text(SUITE.replace("[0, 1, 2]", "[0, 1, 2, 3]"))
    before = _digest(store)
    files = sorted(os.listdir(tmp_path))
    assert main(["run", str(tmp_path / "suite.yaml"), "--store", str(store), "--no-progress"]) == 2
    line = _error_line(capsys)
    assert str(store) in line and "untouched" in line
    assert _digest(store) == before
    assert sorted(os.listdir(tmp_path)) == files  # no -wal or -shm left beside it


# -- a killed run is not left "running" -----------------------------------------------------


def _run_until_a_cell_is_stored(tmp_path: Path, seeds: list[int]) -> tuple[subprocess.Popen, Path, tuple]:
    """``dgpbench run`` of slow test-model cells in a subprocess, once its first cell is in:
    (the process, its store, its arguments)."""
    (tmp_path / "suite.yaml").write_text(suite_yaml(["{name: fault_sleep, params: {seconds: 0.5}}"], seeds))
    store = tmp_path / "s.sqlite"
    args = run_args(tmp_path / "suite.yaml", store, "--workers", "1")
    proc = subprocess.Popen(dgpbench(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while not cell_rows(store):
        if time.monotonic() > deadline or proc.poll() is not None:
            kill_group(proc)
            pytest.fail(f"no cell was stored: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    return proc, store, args


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_run_is_marked_interrupted_not_running(sig, tmp_path):
    seeds = list(range(6))
    proc, store, args = _run_until_a_cell_is_stored(tmp_path, seeds)
    try:
        os.kill(proc.pid, sig)  # the runner only
        proc.wait(timeout=30)
    finally:
        kill_group(proc)
    assert _runs(store, "status") == ["running"]  # what the killed process left behind
    stored = len(cell_rows(store))
    assert stored < len(seeds), "the kill came too late"

    shown = run_cli("leaderboard", "--store", str(store))  # a reader sees the truth, writes nothing
    assert shown.returncode == 0, shown.stderr
    assert "interrupted" in shown.stdout.splitlines()[0]
    assert _runs(store, "status") == ["running"]

    resumed = run_cli(*args)
    assert resumed.returncode == 0, resumed.stderr
    assert "interrupted" in resumed.stderr and f"{stored} already done" in resumed.stderr
    assert _runs(store, "status") == ["done"]
    assert sorted(r["seed"] for r in cell_rows(store)) == seeds


def test_a_run_still_going_reads_running(tmp_path):
    """The pid check does not mistake a live run for a dead one."""
    proc, store, _ = _run_until_a_cell_is_stored(tmp_path, list(range(4)))
    try:
        shown = run_cli("leaderboard", "--store", str(store))
        assert shown.returncode == 0, shown.stderr
        assert "running" in shown.stdout.splitlines()[0]
        assert proc.wait(timeout=120) == 0
    finally:
        kill_group(proc)
    assert _runs(store, "status") == ["done"]


def test_a_huge_error_message_is_stored_capped_with_its_head_and_tail(tmp_path):
    """A model that raises with a 20 MB message makes a row of ~20 KB, keeping the start of
    the message and the end of the traceback (issue 15, item 2)."""
    from dgpbench.benchmarks.cell import CellResult
    from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, PlannedCell
    from dgpbench.benchmarks.store import MAX_ERROR_CHARS, Store

    spec = CellSpec(ComponentSpec("heteroscedastic", "1", {}), ComponentSpec("ols", "1", {}), 0)
    message = "ValueError: " + "x" * 20_000_000 + "\nTraceback tail: line 42"
    store = Store(tmp_path / "s.sqlite")
    store.write_cell("run-1", PlannedCell(spec, "g", "m"), CellResult(spec.key(), "error", message))
    [row] = store.cells("run-1")
    assert len(row["error"]) < MAX_ERROR_CHARS + 100
    assert row["error"].startswith("ValueError: xxx") and row["error"].endswith("Traceback tail: line 42")
    assert "characters cut" in row["error"]
    short = "RuntimeError: boom"
    store.write_cell("run-1", PlannedCell(spec, "g", "m"), CellResult(spec.key(), "error", short))
    assert store.cells("run-1")[0]["error"] == short
