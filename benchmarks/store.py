"""The results store: one SQLite file, written only by the parent, one transaction per cell.

Rows are keyed by (run_id, cell_key), so results from several workers or machines merge by
plain insert and a resumed run skips what is stored. The schema carries a version with
one migration per step; nothing is ever pickled into or out of it (JSON only).

One class on purpose, and so past 300 lines: opening, migrating, and every write and read
share one connection and one transaction discipline. The schema and its migrations live in
``store_schema``, the look at an existing file before it is opened in ``store_file``, a
run's provenance (and whether its process is gone) in ``provenance``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dgpbench.benchmarks import provenance
from dgpbench.benchmarks.store_file import check_existing, read_only_uri
from dgpbench.benchmarks.store_schema import (
    APPLICATION_ID,
    CELL_ROWS,
    CURVE_ROWS,
    ESTIMATE_ROWS,
    INSERT_METRIC_INFO,
    METRIC_INFO,
    METRIC_ROWS,
    MIGRATIONS,
    READABLE_BEFORE,
    SCHEMA_VERSION,
    metric_row,
)
from dgpbench.errors import BadInput
from dgpbench.vocabulary import DEFAULT_STORE

if TYPE_CHECKING:
    from dgpbench.benchmarks.cell import CellResult
    from dgpbench.benchmarks.cell_spec import PlannedCell


# A cell's error text and its log are kept whole up to this many characters; beyond it, their
# head and tail (where a traceback names the failing line) are kept and the middle is cut, so
# that a model raising with (or printing) 20 MB cannot make a 20 MB row and a 40 MB report.
MAX_ERROR_CHARS = 20_000


def capped(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` whole if it fits ``limit`` characters, else its head and tail around a marker
    saying how much was cut."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half:,} characters cut ...]\n{text[-half:]}"


def storable(*values: Any) -> tuple[Any, ...]:
    """One row's values with every text made valid UTF-8: a character that cannot be encoded
    (a lone surrogate, as ``os.fsdecode`` makes of a non-UTF-8 byte) becomes ``?``. SQLite
    refuses such text outright, which would lose the whole cell."""
    return tuple(v.encode("utf-8", "replace").decode("utf-8") if isinstance(v, str) else v for v in values)


class StoreError(BadInput):
    """The store cannot be read or written (a full disk, a read-only folder): exit 2, no traceback."""


class Store:
    """Open (or create) a store; a foreign or corrupt file is refused and left untouched.

    ``create=True`` (the default, for ``run``) means results will be written: the path is
    checked for writing here, before any work starts, so a read-only folder or a full
    disk is reported up front rather than after the first cell, and an existing file must
    pass SQLite's ``quick_check``: a store with a corrupt page is refused untouched rather
    than written into. ``create=False`` (the readers) on a file or folder that cannot be
    written opens the store read-only, so a store on read-only media can be read.
    """

    def __init__(self, path: str | os.PathLike = DEFAULT_STORE, *, create: bool = True):
        self.path = Path(path)
        self.read_only = False
        if self.path.is_dir():
            raise StoreError(
                f"store {self.path} is a folder; pass the path of a store file, e.g. {self.path / 'dgpbench.sqlite'}"
            )
        if not self.path.exists():
            if not create:
                raise BadInput(f"store {self.path} does not exist; run `dgpbench run SUITE --store {self.path}` first")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise StoreError(
                    f"store {self.path}: cannot create its folder {self.path.parent}: "
                    "part of that path is a file, not a folder"
                ) from None
            except OSError as exc:
                raise StoreError(f"store {self.path}: cannot create its folder: {exc.strerror or exc}") from None
        else:
            check_existing(self.path, deep=create)
            self.read_only = not create and not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK))
        try:
            if self.read_only:
                self.db = sqlite3.connect(read_only_uri(self.path), uri=True, timeout=60, isolation_level=None)
            else:
                self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout = 60000")
            self._migrate()
            if create:  # take (and release) the write lock: fails now on a read-only path
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("ROLLBACK")
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"store {self.path}: cannot open it for writing ({exc}); check that its folder "
                "is writable and its disk has room"
            ) from None

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise BadInput(
                f"store {self.path} has schema {version}, newer than this dgpbench ({SCHEMA_VERSION}); upgrade dgpbench"
            )
        if version == SCHEMA_VERSION:
            return
        if self.read_only and set(range(version + 1, SCHEMA_VERSION + 1)) <= READABLE_BEFORE:
            return
        if self.read_only:
            raise BadInput(
                f"store {self.path} has schema {version} and must be upgraded to {SCHEMA_VERSION} to be read, "
                "but it cannot be written where it is: copy it to a writable folder"
            )
        self._set_wal()
        with self.transaction():
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for stmt in MIGRATIONS[step].split(";"):
                    if stmt.strip():
                        self.db.execute(stmt)
                if step == 2 and version >= 1:
                    self._backfill_metric_info()
                self.db.execute(f"PRAGMA user_version = {step}")
            self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def _backfill_metric_info(self) -> None:
        """Runs stored before metrics were kept with their run: take each metric they hold
        from the registry as it stands, with its primary rank, target and proper flag (what
        reports of those runs read until then)."""
        from dgpbench.benchmarks.metrics import METRICS, split_key

        names = {split_key(r[0])[0] for r in self.db.execute("SELECT DISTINCT metric FROM metrics")}
        known = [METRICS.get(n) for n in sorted(names) if n in METRICS.names()]
        for (run_id,) in self.db.execute("SELECT run_id FROM runs").fetchall():
            self.db.executemany(INSERT_METRIC_INFO, [(run_id, *metric_row(m)) for m in known])

    def _set_wal(self, patience: float = 60.0) -> None:
        """Switch a new store to WAL. The switch needs an exclusive lock and SQLite does not
        wait for it (no busy handler), so two runs creating one store at once retry here."""
        deadline = time.monotonic() + patience
        while True:
            try:
                self.db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @contextmanager
    def transaction(self):
        """One write transaction; a store that cannot be written (full disk, gone read-only,
        locked past the busy timeout) raises :class:`StoreError` naming the file."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise StoreError(f"store {self.path}: cannot write to it: {exc}") from None

    def close(self) -> None:
        self.db.close()

    # -- runs -------------------------------------------------------------------------------
    def start_run(self, suite, n_cells: int, rerun: bool = False, metrics: Sequence[Any] = ()) -> tuple[str, bool]:
        """(run_id, resumed): the latest run of the same suite unless ``rerun``.

        ``metrics`` (the suite's :class:`~dgpbench.benchmarks.metrics.Metric` entries) are
        stored with the run: their face, direction and naive baseline, as reports read them.

        The run records the host and process running it (in ``machine``). A run left
        ``running`` by a process of this host that is gone (SIGKILL, SIGTERM, a forced
        exit) is marked ``interrupted`` here, and said so on stderr when it is resumed.
        """
        self._mark_abandoned_runs()
        here = json.dumps(provenance.this_process())
        if not rerun:
            row = self.db.execute(
                "SELECT run_id, status FROM runs WHERE suite_hash = ? ORDER BY started_at DESC LIMIT 1",
                (suite.hash(),),
            ).fetchone()
            if row:
                with self.transaction():
                    self.db.execute(
                        "UPDATE runs SET status = 'running', n_cells = ?, machine = ? WHERE run_id = ?",
                        (n_cells, here, row["run_id"]),
                    )
                self._write_metric_info(row["run_id"], metrics)
                return row["run_id"], True
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        with self.transaction():
            self.db.execute(
                "INSERT INTO runs (run_id, suite_name, suite_hash, suite_json, started_at, status, git_commit,"
                " versions, machine, n_cells) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (
                    run_id,
                    suite.name,
                    suite.hash(),
                    json.dumps(suite.to_dict()),
                    time.time(),
                    provenance.git_commit(),
                    json.dumps(provenance.versions()),
                    here,
                    n_cells,
                ),
            )
        self._write_metric_info(run_id, metrics)
        return run_id, False

    def _mark_abandoned_runs(self) -> None:
        """Mark ``interrupted`` every run whose recorded process is gone, saying so."""
        for run in self.db.execute("SELECT run_id, machine FROM runs WHERE status = 'running'").fetchall():
            if provenance.abandoned(run["machine"]):
                with self.transaction():
                    self.db.execute(
                        "UPDATE runs SET status = 'interrupted', finished_at = ?"
                        " WHERE run_id = ? AND status = 'running'",
                        (time.time(), run["run_id"]),
                    )
                print(
                    f"run {run['run_id']} was left 'running' by a process that is gone (killed): marked interrupted",
                    file=sys.stderr,
                )

    def _write_metric_info(self, run_id: str, metrics: Sequence[Any]) -> None:
        rows = [(run_id, *metric_row(m)) for m in metrics]
        with self.transaction() as db:
            db.executemany(INSERT_METRIC_INFO, rows)

    def metric_info(self, run_id: str) -> dict[str, dict[str, Any]]:
        """The run's metrics by name: face, direction, naive baseline, normalise, description,
        primary rank (0: a diagnostic), nominal target, and whether it is a proper score."""
        rows = self.db.execute(f"SELECT {', '.join(METRIC_INFO)} FROM run_metrics WHERE run_id = ?", (run_id,))
        return {r["metric"]: {**dict(r), "normalise": bool(r["normalise"]), "proper": bool(r["proper"])} for r in rows}

    def finish_run(self, run_id: str, status: str = "done") -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?", (status, time.time(), run_id)
            )

    def done_keys(self, run_id: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT cell_key FROM cells WHERE run_id = ?", (run_id,))}

    def runs(self) -> list[dict[str, Any]]:
        return [_as_read(r) for r in self.db.execute("SELECT * FROM runs ORDER BY started_at")]

    def run(self, run_id: str | None = None) -> dict[str, Any]:
        """One run by id (a unique prefix works) or the latest run."""
        if run_id is None:
            row = self.db.execute("SELECT * FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
            if row is None:
                raise BadInput(f"store {self.path} holds no runs yet; run `dgpbench run SUITE` first")
            return _as_read(row)
        prefix = run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")  # literal, no wildcards
        rows = self.db.execute("SELECT * FROM runs WHERE run_id LIKE ? || '%' ESCAPE '\\'", (prefix,)).fetchall()
        if len(rows) != 1:
            ids = [r["run_id"] for r in self.runs()]
            what = "matches several runs" if rows else "is not in the store"
            raise BadInput(f"run {run_id!r} {what}; runs: {', '.join(ids[-8:]) or '(none)'}")
        return _as_read(rows[0])

    # -- cells ------------------------------------------------------------------------------
    def write_cell(self, run_id: str, cell: PlannedCell, result: CellResult) -> None:
        """One cell's row, metrics, estimates and curves in one transaction (or none of them).

        Every text goes in through :func:`storable`, so a message or label that is not valid
        Unicode (a lone surrogate) is stored with the bad characters replaced, not lost.
        """
        t = result.timings
        spec = cell.spec
        with self.transaction() as db:
            for table in ("cells", "metrics", "estimates", "curves"):
                db.execute(f"DELETE FROM {table} WHERE run_id = ? AND cell_key = ?", (run_id, result.cell_key))
            db.execute(
                "INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                storable(
                    run_id,
                    result.cell_key,
                    cell.generator_label,
                    cell.model_label,
                    spec.generator.name,
                    spec.model.name,
                    spec.seed,
                    result.status,
                    capped(result.error),
                    t.get("fit_s"),
                    t.get("score_s"),
                    t.get("total_s"),
                    result.peak_mem_mb,
                    json.dumps(t),
                    json.dumps(spec.to_dict()),
                    time.time(),
                    capped(result.log),
                ),
            )
            db.executemany(
                "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    storable(
                        run_id,
                        result.cell_key,
                        m["face"],
                        m["metric"],
                        m["value"],
                        m["oracle"],
                        m["naive"],
                        m["score"],
                        m["note"],
                    )
                    for m in result.metrics
                ],
            )
            db.executemany(
                "INSERT INTO estimates VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    storable(
                        run_id,
                        result.cell_key,
                        e["name"],
                        e["truth"],
                        e.get("truth_kind", "truth"),
                        e["estimate"],
                        e["lower"],
                        e["upper"],
                    )
                    for e in result.estimates
                ],
            )
            db.executemany(
                "INSERT INTO curves VALUES (?, ?, ?, ?)",
                [storable(run_id, result.cell_key, k, json.dumps(v)) for k, v in result.curves.items()],
            )

    # -- reading ----------------------------------------------------------------------------
    def _rows(self, select: str, run_id: str) -> list[dict[str, Any]]:
        """Rows of a query whose one parameter is the run id, as dicts."""
        return [dict(r) for r in self.db.execute(select, (run_id,))]

    def cells(self, run_id: str) -> list[dict[str, Any]]:
        return self._rows(CELL_ROWS, run_id)

    def metric_rows(self, run_id: str) -> list[dict[str, Any]]:
        """Tidy rows: run_id, generator, model, seed, face, metric, value, oracle, naive, score, status."""
        return self._rows(METRIC_ROWS, run_id)

    def estimate_rows(self, run_id: str) -> list[dict[str, Any]]:
        return self._rows(ESTIMATE_ROWS, run_id)

    def curve_rows(self, run_id: str) -> list[dict[str, Any]]:
        return [{**r, "data": json.loads(r["data"])} for r in self._rows(CURVE_ROWS, run_id)]


def _as_read(row: sqlite3.Row) -> dict[str, Any]:
    """A run as readers show it: ``running`` whose process is gone reads ``interrupted``
    (readers never write, so the store itself is corrected by the next run)."""
    run = dict(row)
    if run.get("status") == "running" and provenance.abandoned(run.get("machine")):
        run["status"] = "interrupted"
    return run
